"""The privacy center (`/privacy/`): Django templates and plain forms; no JavaScript needed."""

from typing import Any

import orjson
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import Throttled

from config.api import DomainError
from consent.exceptions import ConsentRequired
from consent.explain import decision_explain
from consent.forms import (
    ACCEPT_ALL,
    REJECT_ALL,
    BannerChoiceForm,
    ConsentChoiceForm,
    EraseForm,
    GpcReconsentForm,
    PreferencesForm,
)
from consent.models import ADVERTISING, PERSONALIZATION, ConsentEvent, Source
from consent.precedence import GPC_RECONSENT_CONTROL
from consent.selectors import (
    ConsentSnapshot,
    consent_events_for,
    export_sections,
    gpc_conflict,
    notice_current,
    notice_published_get,
    notice_text,
    preference_specs,
    preferences_stored,
    purpose_list,
    subject_export,
    subject_for_request,
    subject_get,
)
from consent.services import (
    consent_for_request,
    consent_record_gpc,
    consent_update,
    erasure_keeps_consent_proof,
    gpc_of,
    preferences_update,
    subject_erase,
    subject_for_change,
)
from consent.tokens import subject_cookie_clear, subject_token_issue

# The day Tactful's handling of the GPC signal last changed (`/.well-known/gpc.json`).
GPC_LAST_UPDATE = "2026-11-24"
BASIS_TEXT = {
    "always_on": "Always on: the site needs it, and it remembers your choices.",
    "choice": "As you chose.",
    "tcf": "As you chose in this site's consent banner (IAB TCF).",
    "gpp": "As you chose in this site's US privacy choices (IAB GPP).",
    "gpc": "Off, because your browser sends the Global Privacy Control signal.",
    "expired": "Your permission expired. Please choose again.",
    "reconsent": "We changed how we use data for this. Please choose again.",
    "default": "Off until you allow it.",
}
CONTROLS = {ACCEPT_ALL: "accept-all", REJECT_ALL: "reject-all"}
MEASUREMENT_WINDOW_MAX = 7 * 24 * 3600
# The consent history and the erasure receipt in words, not keys.
KIND_TEXT = {
    "grant": "Allowed",
    "refuse": "Refused",
    "withdraw": "Turned off (withdrawn)",
    "expire": "Expired",
}
SOURCE_TEXT = {
    "banner": "In the site's banner",
    "privacy_center": "Here, in the privacy center",
    "api": "On the site",
    "gpc": "By your browser's Global Privacy Control signal",
    "tcf": "In the site's consent tool (IAB TCF)",
    "gpp": "In the site's US privacy choices (IAB GPP)",
    "system": "Automatically: a permission lasts 13 months at most",
}
CONTROL_TEXT = {
    "accept-all": "with Accept all",
    "reject-all": "with Reject all",
    "toggles": "purpose by purpose",
    "toggle": "with its switch",
    GPC_RECONSENT_CONTROL: "confirmed despite Global Privacy Control",
}
ERASED_TEXT = {
    "signals": "What you did on the site recently (products viewed)",
    "decision_history": "The history of what was personalized for you",
    "preferences": "Your preferences",
    "consent_state": "Your current choices",
    "cached_state": "Everything cached about you",
    "consent_events": "The record of your consent choices",
    "assignments": "Your test groups",
}
TOO_MANY_NEW_VISITORS = "Too many new visitors from this address just now: try again later."


def _optional_purposes() -> list[str]:
    return [purpose.key for purpose in purpose_list() if not purpose.always_on]


def _explanations(snapshot: ConsentSnapshot, specs: Any) -> tuple[list[Any], bool]:
    # Decision history exists only while personalization is granted; never shown otherwise.
    if snapshot.subject_id is None or not snapshot.allows(PERSONALIZATION):
        return [], False
    sections, unavailable = export_sections(subject_id=snapshot.subject_id)
    names = {purpose.key: purpose.name for purpose in purpose_list()}
    items = sections.get("recent_decisions") or []
    explained = [
        decision_explain(item, specs=specs, purpose_names=names)
        for item in items
        if isinstance(item, dict)
    ]
    return explained, bool(unavailable)


def _center(
    request: HttpRequest,
    *,
    status: int = 200,
    consent_form: ConsentChoiceForm | None = None,
    preferences_form: PreferencesForm | None = None,
    gpc_form: GpcReconsentForm | None = None,
) -> HttpResponse:
    snapshot = consent_for_request(request)
    subject = subject_get(public_id=snapshot.subject_id)
    specs = preference_specs()
    stored = preferences_stored(subject=subject) if subject is not None else {}
    explanations, explanations_unavailable = _explanations(snapshot, specs)
    purposes = [
        {
            "purpose": purpose,
            "granted": snapshot.allows(purpose.key),
            "basis": BASIS_TEXT.get(snapshot.basis.get(purpose.key, ""), ""),
            "ask": purpose.key in snapshot.ask,
        }
        for purpose in purpose_list()
    ]
    context = {
        "snapshot": snapshot,
        "subject": subject,
        "purposes": purposes,
        "notice": notice_current(),
        "asked_again": [p for p in purposes if p["ask"] and subject is not None],
        "gpc_conflict": subject is not None and gpc_conflict(subject=subject, snapshot=snapshot),
        "consent_form": consent_form,
        "preferences_form": preferences_form or PreferencesForm(specs=specs, initial_values=stored),
        "preferences_enabled": snapshot.allows(PERSONALIZATION),
        "gpc_form": gpc_form or GpcReconsentForm(),
        "explanations": explanations,
        "explanations_unavailable": explanations_unavailable,
        # What measurement keeps (personalization/outcomes): marks for the attribution window
        # (7 days at most), then totals of at least k visitors.
        "measurement_hours": round(
            min(settings.TACTFUL["ATTRIBUTION_SECONDS"], MEASUREMENT_WINDOW_MAX) / 3600
        ),
        "report_min_group": settings.TACTFUL["REPORT_MIN_GROUP"],
    }
    return render(request, "privacy/center.html", context, status=status)


@require_GET
def privacy_center(request: HttpRequest) -> HttpResponse:
    return _center(request)


@require_POST
def consent_choose(request: HttpRequest) -> HttpResponse:
    form = ConsentChoiceForm(request.POST, optional_purposes=_optional_purposes())
    if not form.is_valid():
        return _center(request, status=400, consent_form=form)
    action = form.cleaned_data["action"]
    try:
        response = _choose(
            request,
            redirect("privacy-center"),
            purposes=form.choices(),
            source=Source.PRIVACY_CENTER,
            control=CONTROLS.get(action, "toggles"),
        )
    except Throttled:
        form.add_error(None, TOO_MANY_NEW_VISITORS)
        return _center(request, status=429, consent_form=form)
    messages.success(request, "Your choices are saved. They apply from the next page you see.")
    return response


def _choose(
    request: HttpRequest,
    response: HttpResponse,
    *,
    purposes: dict[str, bool],
    source: Source,
    control: str,
) -> HttpResponse:
    """Record a visitor's choice made on a page (GPC first), and give them their new token.

    Raises `Throttled` when a new visitor comes from an address that made too many lately."""
    # One transaction: a choice that fails leaves no subject behind either.
    with transaction.atomic():
        subject = subject_for_change(request)
        if gpc_of(request):
            consent_record_gpc(subject=subject)
        snapshot = consent_update(
            subject=subject, purposes=purposes, source=source, control=control
        )
    subject_token_issue(response, subject.public_id, snapshot.version)
    return response


def _plain(text: str, *, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _same_origin(request: HttpRequest) -> bool:
    """The browser says the form was posted from one of this site's own pages.

    Every current browser sends `Origin` with a form POST (and `Sec-Fetch-Site`); a page on
    another site cannot forge either. See `banner_choose` for why this replaces the CSRF token.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site") == "same-origin"
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    return origin == own or origin in settings.CSRF_TRUSTED_ORIGINS


@csrf_exempt
@require_POST
def banner_choose(request: HttpRequest) -> HttpResponse:
    """A page banner's Accept all or Reject all without JavaScript: recorded, then back.

    The banner is shown before any choice, when nothing may be stored on the device yet, and
    Django's CSRF token needs a cookie. So this one form is protected from cross-site requests
    by the browser's own Origin header instead (OWASP: "verifying origin with standard
    headers"); one without it, or from elsewhere, is refused with 403.
    """
    if not _same_origin(request):
        return _plain("This choice can only be made on this site's own pages.", status=403)
    form = BannerChoiceForm(request.POST)
    if not form.is_valid():
        return _plain("Choose Accept all or Reject all.", status=400)
    accept = form.cleaned_data["choice"] == "accept"
    back = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    try:
        return _choose(
            request,
            redirect(back),
            purposes=dict.fromkeys(_optional_purposes(), accept),
            source=Source.BANNER,
            control="accept-all" if accept else "reject-all",
        )
    except Throttled:
        return _plain(TOO_MANY_NEW_VISITORS, status=429)


@require_POST
def gpc_reconsent(request: HttpRequest) -> HttpResponse:
    form = GpcReconsentForm(request.POST)
    subject = subject_for_request(request)
    if form.is_valid() and (subject is None or not consent_for_request(request).gpc):
        form.add_error(None, "There is no Global Privacy Control signal to override.")
    if not form.is_valid() or subject is None:
        return _center(request, status=400, gpc_form=form)
    snapshot = consent_update(
        subject=subject,
        purposes={ADVERTISING: True},
        source=Source.PRIVACY_CENTER,
        control=GPC_RECONSENT_CONTROL,
    )
    messages.success(request, "Advertising and sharing are allowed, as you asked.")
    response = redirect("privacy-center")
    subject_token_issue(response, subject.public_id, snapshot.version)
    return response


@require_POST
def preferences_save(request: HttpRequest) -> HttpResponse:
    specs = preference_specs()
    form = PreferencesForm(request.POST, specs=specs)
    if not form.is_valid():
        return _center(request, status=400, preferences_form=form)
    subject = subject_for_request(request)
    try:
        if subject is None:
            raise ConsentRequired(
                "Preferences are used only for personalized content: grant it first."
            )
        preferences_update(subject=subject, preferences=form.preferences())
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _center(request, status=exc.status_code, preferences_form=form)
    messages.success(request, "Your preferences are saved.")
    response = redirect("privacy-center")
    subject.refresh_from_db(fields=["consent_version"])
    subject_token_issue(response, subject.public_id, subject.consent_version)
    return response


def _history_row(event: ConsentEvent) -> dict[str, object]:
    what = KIND_TEXT.get(event.kind) or ("Allowed" if event.granted else "Turned off")
    how = SOURCE_TEXT.get(event.source, event.get_source_display())
    if event.control in CONTROL_TEXT:
        how = f"{how}, {CONTROL_TEXT[event.control]}"
    return {"event": event, "what": what, "how": how}


@require_GET
def consent_history(request: HttpRequest) -> HttpResponse:
    subject = subject_for_request(request)
    events = consent_events_for(subject_id=subject.public_id) if subject else []
    rows = [_history_row(event) for event in events]
    return render(request, "privacy/history.html", {"subject": subject, "events": rows})


def _receipt_lines(sections: dict[str, int]) -> list[str]:
    """An erasure receipt's sections in words: "Your preferences: 1 item"."""
    lines = []
    for section, count in sections.items():
        label = ERASED_TEXT.get(section) or section.replace("_", " ").capitalize()
        amount = "nothing" if count == 0 else "1 item" if count == 1 else f"{count} items"
        lines.append(f"{label}: {amount}")
    return lines


def _requested_language(request: HttpRequest) -> str:
    if language := request.GET.get("lang"):
        return language.lower()
    header = request.headers.get("Accept-Language", "")
    return header.split(",")[0].split(";")[0].strip().lower()


@require_GET
def notice_view(request: HttpRequest, version: int) -> HttpResponse:
    notice = notice_published_get(version=version)
    if notice is None:
        raise Http404("No published notice has this version.")
    shown = notice_text(notice=notice, language=_requested_language(request))
    return render(request, "privacy/notice.html", {"shown": shown, "current": notice_current()})


@require_GET
def export_json(request: HttpRequest) -> HttpResponse:
    subject = subject_for_request(request)
    if subject is None:
        return JsonResponse(
            {"error": {"code": "no_subject", "message": "This browser has no data here."}},
            status=404,
        )
    body = orjson.dumps(subject_export(subject=subject), option=orjson.OPT_INDENT_2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


def erase(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    subject = subject_for_request(request)
    context: dict[str, Any] = {"subject": subject, "keeps_proof": erasure_keeps_consent_proof()}
    if request.method == "GET":
        return render(request, "privacy/erase.html", {**context, "form": EraseForm()})
    form = EraseForm(request.POST)
    if subject is None:
        form.add_error(None, "This browser has no data here to erase.")
        return render(request, "privacy/erase.html", {**context, "form": form}, status=404)
    if not form.is_valid():
        return render(request, "privacy/erase.html", {**context, "form": form}, status=400)
    receipt = subject_erase(subject=subject)
    kept = [line.lower() for line in _receipt_lines(receipt.kept)]
    response = render(
        request,
        "privacy/erased.html",
        {
            **context,
            "receipt": receipt,
            "erased_lines": _receipt_lines(receipt.erased),
            "kept_lines": [line.replace(": ", " (") + ")" for line in kept],
        },
        status=200 if receipt.complete else 503,
    )
    if receipt.complete:
        subject_cookie_clear(response)
    return response


@require_GET
def gpc_well_known(request: HttpRequest) -> JsonResponse:
    """`/.well-known/gpc.json`: this site honours Global Privacy Control."""
    return JsonResponse({"gpc": True, "lastUpdate": GPC_LAST_UPDATE})
