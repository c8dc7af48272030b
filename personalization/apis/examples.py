"""Request and response examples of the decide, events and OFREP APIs, for the API docs.

Taken from real answers of the demo storefront; `tests/contract/test_schema_examples.py` holds
every one to the schema.
"""

from drf_spectacular.utils import OpenApiExample

from config.api import error_example

_MOBILE_HERO = {
    "theme": "mobile",
    "headline": "Shop on the go",
    "cta": "Browse",
    "image": "hero-mobile.svg",
}
_MOBILE_EXPLANATION = {
    "rule": 3,
    "segment": "mobile-visitors",
    "experiment": None,
    "purposes": [],
    "namespaces": ["context"],
    "attributes": {"context.device": "mobile"},
}


DECIDE_EXAMPLES = [
    OpenApiExample(
        "Two placements for a mobile visitor",
        value={"placements": ["home-hero", "recommendations"], "context": {"device": "mobile"}},
        request_only=True,
    ),
    OpenApiExample(
        "Every placement, with the page's context",
        value={"context": {"page": "home", "locale": "en-GB", "utm_campaign": "spring-sale"}},
        request_only=True,
    ),
    OpenApiExample(
        "A contextual rule serves; a consent-gated one is skipped",
        value={
            "revision": 1,
            "decisions": {
                "home-hero": {
                    "value": _MOBILE_HERO,
                    "variant": "mobile",
                    "reason": "TARGETING_MATCH",
                    "personalized": True,
                    "explanation": _MOBILE_EXPLANATION,
                },
                "recommendations": {
                    "value": "bestsellers",
                    "variant": "default",
                    "reason": "CONSENT_REQUIRED",
                    "personalized": False,
                    "explanation": {
                        "rule": None,
                        "segment": None,
                        "experiment": None,
                        "purposes": [],
                        "namespaces": [],
                        "skipped": [
                            {
                                "rule": 1,
                                "segment": "shoe-intent",
                                "missing_purposes": ["personalization"],
                            }
                        ],
                    },
                },
            },
            "consent": {
                "necessary": True,
                "personalization": False,
                "measurement": False,
                "advertising": False,
            },
        },
        response_only=True,
        status_codes=["200"],
    ),
    error_example(
        "A placement the revision does not have",
        "400",
        "unknown_placement",
        "Unknown placement: nope.",
        placements=["nope"],
    ),
]

EVENTS_EXAMPLES = [
    OpenApiExample(
        "A product view",
        value={
            "events": [
                {
                    "type": "product_view",
                    "properties": {"category": "shoes"},
                    "ts": 1764888199000,
                }
            ]
        },
        request_only=True,
    ),
    OpenApiExample(
        "Stored, but for an unknown type",
        value={
            "accepted": 1,
            "dropped": 1,
            "rejected": [
                {
                    "index": 1,
                    "code": "unknown_type",
                    "message": "Unknown event type 'teleport' (known: product_view).",
                }
            ],
        },
        response_only=True,
        status_codes=["202"],
    ),
    OpenApiExample(
        "Without personalization consent, nothing is stored",
        value={"accepted": 0, "dropped": 1, "reason": "CONSENT_REQUIRED"},
        response_only=True,
        status_codes=["202"],
    ),
    error_example(
        "Not a list of events",
        "400",
        "invalid",
        "The request is not valid.",
        events=['Expected a list of items but got type "str".'],
    ),
    error_example(
        "Too many requests",
        "429",
        "throttled",
        "Request was throttled. Expected available in 42 seconds.",
    ),
    error_example(
        "The signal store is down",
        "503",
        "signals_unavailable",
        "Signals cannot be stored right now; try again later.",
    ),
]

_OFREP_CONTEXT = {"context": {"targetingKey": "visitor-42", "device": "mobile"}}
_OFREP_HERO = {
    "key": "home-hero",
    "value": _MOBILE_HERO,
    "reason": "TARGETING_MATCH",
    "variant": "mobile",
    "metadata": {
        "reason": "TARGETING_MATCH",
        "personalized": True,
        "revision": 1,
        "segment": "mobile-visitors",
    },
}
_OFREP_INVALID = OpenApiExample(
    "A context that is not an object",
    value={"errorCode": "INVALID_CONTEXT", "errorDetails": "context must be a JSON object."},
    response_only=True,
    status_codes=["400"],
)

OFREP_FLAG_EXAMPLES = [
    OpenApiExample("A mobile visitor", value=_OFREP_CONTEXT, request_only=True),
    OpenApiExample(
        "Served by a contextual rule", value=_OFREP_HERO, response_only=True, status_codes=["200"]
    ),
    OpenApiExample(
        "The default, because a rule needs consent",
        value={
            "key": "recommendations",
            "value": "bestsellers",
            "reason": "DEFAULT",
            "variant": "default",
            "metadata": {"reason": "CONSENT_REQUIRED", "personalized": False, "revision": 1},
        },
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "No such flag",
        value={
            "key": "no-such-flag",
            "errorCode": "FLAG_NOT_FOUND",
            "errorDetails": "Flag 'no-such-flag' was not found.",
        },
        response_only=True,
        status_codes=["404"],
    ),
    OpenApiExample(
        "A context that is not an object",
        value={
            "key": "home-hero",
            "errorCode": "INVALID_CONTEXT",
            "errorDetails": "context must be a JSON object.",
        },
        response_only=True,
        status_codes=["400"],
    ),
]

OFREP_BULK_EXAMPLES = [
    OpenApiExample("A mobile visitor", value=_OFREP_CONTEXT, request_only=True),
    OpenApiExample(
        "Every flag",
        value={
            "flags": [
                {
                    "key": "free-shipping-banner",
                    "value": False,
                    "reason": "DEFAULT",
                    "variant": "default",
                    "metadata": {
                        "reason": "CONSENT_REQUIRED",
                        "personalized": False,
                        "revision": 1,
                    },
                },
                _OFREP_HERO,
            ]
        },
        response_only=True,
        status_codes=["200"],
    ),
    _OFREP_INVALID,
]
