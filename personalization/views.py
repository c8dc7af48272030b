"""The demo storefront at `/`: decided on the server for the first paint, kept live by the SDK."""

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from consent.explain import decision_explain
from consent.selectors import ConsentSnapshot, preference_specs, purpose_list
from consent.services import consent_for_request
from personalization.engine import Decision, Reason
from personalization.exceptions import UnknownPlacement
from personalization.models import Segment
from personalization.serving import decisions_serve
from personalization.snapshot import snapshot_current

HERO, BANNER, RECOMMENDATIONS = "home-hero", "free-shipping-banner", "recommendations"
PLACEMENTS = (HERO, BANNER, RECOMMENDATIONS)
# What the page shows for a placement the configuration does not have (seed_demo not run, or a
# marketer deleted it): the seed's own defaults, so the page always renders.
BUILT_IN_DEFAULTS: dict[str, Any] = {
    HERO: {
        "theme": "generic",
        "headline": "Gear for every day",
        "cta": "Shop the collection",
        "image": "hero-generic.svg",
    },
    BANNER: False,
    RECOMMENDATIONS: "bestsellers",
}
MOBILE_USER_AGENT = re.compile(r"Mobi|Android|iPhone", re.IGNORECASE)
CAMPAIGN = re.compile(r"[-a-z0-9_]{1,64}")


@dataclass(frozen=True, slots=True)
class Product:
    key: str
    name: str
    category: str
    price: int
    blurb: str

    @property
    def image(self) -> str:
        return f"storefront/img/{self.key}.svg"


PRODUCTS = (
    Product("ridge-runner", "Ridge Trail Runner", "shoes", 129, "Grippy lugs, light foam."),
    Product("city-knit", "City Knit Sneaker", "shoes", 89, "One-piece knit, all-day comfort."),
    Product("summit-boot", "Summit Hiking Boot", "shoes", 159, "Waterproof leather, firm ankle."),
    Product("tempo-racer", "Tempo Road Racer", "running", 139, "A light racer for tempo days."),
    Product("breeze-tee", "Breeze Running Tee", "running", 35, "Wicks sweat, dries in minutes."),
    Product("storm-shell", "Stormproof Shell", "outdoor", 189, "Three layers against the weather."),
    Product("basecamp-tent", "Basecamp 2P Tent", "outdoor", 249, "Pitches in five minutes flat."),
    Product("canyon-bottle", "Canyon Bottle", "accessories", 29, "Keeps water cold for a day."),
)
# The `recommendations` placement names a strategy; the page turns it into products.
RECOMMENDATION_ORDERS: dict[str, tuple[str, ...]] = {
    "bestsellers": ("storm-shell", "city-knit", "breeze-tee", "canyon-bottle"),
    "shoes-first": ("ridge-runner", "city-knit", "summit-boot", "tempo-racer"),
    "running-first": ("tempo-racer", "breeze-tee", "ridge-runner", "canyon-bottle"),
}
RECOMMENDATION_TITLES = {
    "bestsellers": "Bestsellers",
    "shoes-first": "Picked for you: shoes",
    "running-first": "Picked for you: running",
}


def storefront_context(request: HttpRequest) -> dict[str, str]:
    """The `context.*` attributes of this page view: contextual, never stored, no consent needed."""
    mobile = request.headers.get("Sec-CH-UA-Mobile") == "?1" or bool(
        MOBILE_USER_AGENT.search(request.headers.get("User-Agent", ""))
    )
    context = {"page": "home", "device": "mobile" if mobile else "desktop"}
    campaign = request.GET.get("utm_campaign", "").strip().lower()
    if CAMPAIGN.fullmatch(campaign):
        context["utm_campaign"] = campaign
    return context


def _fallback(key: str, value: Any) -> Decision:
    return Decision(
        key=key, value=value, variant="default", reason=Reason.ERROR, personalized=False
    )


def storefront_decisions(
    *, consent: ConsentSnapshot, context: Mapping[str, Any]
) -> tuple[int, dict[str, Decision], dict[str, Any]]:
    """The revision, each placement's decision for this visitor, and each placement's default."""
    snapshot = snapshot_current()
    known = [key for key in PLACEMENTS if key in snapshot.placements]
    defaults = {
        key: snapshot.placements[key].default if key in known else BUILT_IN_DEFAULTS[key]
        for key in PLACEMENTS
    }
    try:
        result = decisions_serve(consent=consent, context=context, placements=known)
        revision, served = result.revision, result.decisions
    except UnknownPlacement:
        # A revision without one of them was swapped in meanwhile: the defaults, this once.
        revision, served = snapshot.revision, {}
    decisions = {key: served.get(key) or _fallback(key, defaults[key]) for key in PLACEMENTS}
    return revision, decisions, defaults


def _recommended(strategy: Any) -> tuple[str, list[Product]]:
    key = strategy if isinstance(strategy, str) and strategy in RECOMMENDATION_ORDERS else ""
    order = RECOMMENDATION_ORDERS[key or "bestsellers"]
    by_key = {product.key: product for product in PRODUCTS}
    return RECOMMENDATION_TITLES[key or "bestsellers"], [by_key[k] for k in order]


def _hero(value: Any) -> dict[str, str]:
    hero = dict(BUILT_IN_DEFAULTS[HERO])
    if isinstance(value, dict):
        hero.update({k: str(v) for k, v in value.items() if k in hero and isinstance(v, str)})
    return hero


@method_decorator(never_cache, name="dispatch")
class StorefrontView(View):
    """The shop page: works without JavaScript, stores nothing on the device before a choice."""

    def get(self, request: HttpRequest) -> HttpResponse:
        consent = consent_for_request(request)
        context = storefront_context(request)
        revision, decisions, defaults = storefront_decisions(consent=consent, context=context)
        purposes = list(purpose_list())
        purpose_names = {purpose.key: purpose.name for purpose in purposes}
        specs = preference_specs()
        explanations = {
            key: asdict(decision_explain(d.explanation, specs=specs, purpose_names=purpose_names))
            for key, d in decisions.items()
            if d.personalized
        }
        title, recommended = _recommended(decisions[RECOMMENDATIONS].value)
        bootstrap = {
            "revision": revision,
            "decisions": {key: d.as_dict() for key, d in decisions.items()},
            "defaults": defaults,
            "consent": {
                "subject": consent.subject_id,
                "purposes": consent.purposes,
                "gpc": consent.gpc,
                "ask": list(consent.ask),
            },
            "context": context,
            "placements": list(PLACEMENTS),
            "products": {p.key: {**asdict(p), "image": p.image} for p in PRODUCTS},
            "recommendations": {
                key: {"title": RECOMMENDATION_TITLES[key], "products": list(order)}
                for key, order in RECOMMENDATION_ORDERS.items()
            },
            "segments": dict(Segment.objects.values_list("key", "name")),
            "purposeNames": purpose_names,
            "preferences": {
                key: {"noun": spec.noun, "labels": dict(spec.options)}
                for key, spec in specs.items()
            },
        }
        return render(
            request,
            "storefront/index.html",
            {
                "bootstrap": bootstrap,
                "hero": _hero(decisions[HERO].value),
                "hero_decision": decisions[HERO],
                "banner_decision": decisions[BANNER],
                "recommendations_decision": decisions[RECOMMENDATIONS],
                "hero_why": explanations.get(HERO),
                "banner_why": explanations.get(BANNER),
                "recommendations_why": explanations.get(RECOMMENDATIONS),
                "free_shipping": decisions[BANNER].value is True,
                "recommended_title": title,
                "recommended": recommended,
                "products": PRODUCTS,
                "ask_consent": bool(consent.ask),
                "gpc": consent.gpc,
                "purposes": [p for p in purposes if not p.always_on],
            },
        )
