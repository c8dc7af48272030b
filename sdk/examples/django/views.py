"""A plain Django storefront (not Tactful) that renders Tactful's decisions on the server.

The first paint is this visitor's decisions (it works without JavaScript); the SDK starts from
exactly that (`bootstrap`) and keeps it live. Tactful is another site, so the visitor is known
to it by the signed subject token (the SDK's header identity), kept in this site's own cookie.

    # settings.py
    TACTFUL_URL = "https://tactful.example.com"   # listed origins: TACTFUL_CORS_ALLOWED_ORIGINS
    # urls.py
    path("", views.home), path("tactful-token", views.tactful_token)

Only the standard library talks to Tactful here; use your HTTP client of choice.
"""

import json
import re
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

TOKEN_COOKIE = "tactful_token"
PLACEMENTS = ["home-hero", "free-shipping-banner"]
# What the page shows when Tactful cannot answer in time: each placement's own default.
DEFAULTS: dict[str, Any] = {
    "home-hero": {"headline": "Gear for every day"},
    "free-shipping-banner": False,
}
TIMEOUT_SECONDS = 0.3
_TOKEN = re.compile(r"[\w.:-]{1,300}")


def _ask(request: HttpRequest, method: str, path: str, body: Any = None) -> Any:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token := request.COOKIES.get(TOKEN_COOKIE):
        headers["X-Tactful-Subject"] = token
    if request.headers.get("Sec-GPC") == "1":
        # The visitor's Global Privacy Control applies to what Tactful decides for them.
        headers["Sec-GPC"] = "1"
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(f"{settings.TACTFUL_URL}{path}", data, headers, method=method)
    with urllib.request.urlopen(call, timeout=TIMEOUT_SECONDS) as response:
        return json.load(response)


def tactful_bootstrap(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """This visitor's decisions and consent, for the first paint and the SDK; never fails."""
    token = request.COOKIES.get(TOKEN_COOKIE)
    try:
        body = {"placements": PLACEMENTS, "context": context}
        decided = _ask(request, "POST", "/api/v1/decide", body)
        consent = _ask(request, "GET", "/api/v1/consent")
    except (urllib.error.URLError, OSError, ValueError):
        # Tactful is slow or away: the defaults now, the SDK catches up in the browser.
        return {"defaults": DEFAULTS, "subjectToken": token}
    return {
        "decisions": decided["decisions"],
        "revision": decided["revision"],
        "consent": consent,
        "defaults": DEFAULTS,
        "subjectToken": token,
    }


def home(request: HttpRequest) -> HttpResponse:
    context = {"page": "home"}
    if campaign := request.GET.get("utm_campaign"):
        context["utm_campaign"] = campaign[:64]
    boot = tactful_bootstrap(request, context)
    decisions = boot.get("decisions", {})
    hero = decisions.get("home-hero", {}).get("value", DEFAULTS["home-hero"])
    shipping = decisions.get("free-shipping-banner", {}).get("value", False) is True
    response = render(
        request,
        "shop/home.html",
        {
            "boot": boot,
            "hero": hero,
            "shipping": shipping,
            "tactful_url": settings.TACTFUL_URL,
            "placements": PLACEMENTS,
            "context": context,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def tactful_token(request: HttpRequest) -> HttpResponse:
    """The SDK's `onSubjectToken`: keep Tactful's signed token in this site's own cookie."""
    token = request.body.decode("utf-8", "replace").strip()
    if not _TOKEN.fullmatch(token):
        return HttpResponse("Not a subject token.", status=400)
    response = HttpResponse(status=204)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=395 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
