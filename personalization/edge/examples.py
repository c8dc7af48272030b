"""Request and response examples of the edge tier's endpoints, for the API docs."""

from drf_spectacular.utils import OpenApiExample

from config.api import error_example

_DOCUMENT = {
    "revision": 7,
    "segments": {"mobile-visitors": {"condition": {"context.device": "mobile"}}},
    "experiments": {},
    "placements": {
        "home-hero": {
            "value_type": "string",
            "default": "generic",
            "enabled": True,
            "client_evaluable": False,
            "variants": {"mobile": {"value": "shop-on-the-go"}},
            "rules": [
                {
                    "order": 1,
                    "segment": "mobile-visitors",
                    "variant": "mobile",
                    "experiment": None,
                    "rollout": 100.0,
                    "purposes": [],
                    "namespaces": ["context"],
                }
            ],
        }
    },
}
_PURPOSES = [
    {"key": "necessary", "always_on": True},
    {"key": "personalization", "always_on": False},
    {"key": "measurement", "always_on": False},
    {"key": "advertising", "always_on": False},
]


def _snapshot(kind: str) -> OpenApiExample:
    return OpenApiExample(
        f"The {kind} snapshot of revision 7",
        value={
            "format": f"tactful.{kind}-snapshot/1",
            "revision": 7,
            "published_at": "2026-12-05T09:30:00+00:00",
            "purposes": _PURPOSES,
            "document": _DOCUMENT,
        },
        response_only=True,
        status_codes=["200"],
    )


_NO_KEY = error_example(
    "No edge key", "401", "not_authenticated", "Authentication credentials were not provided."
)

EDGE_SNAPSHOT_EXAMPLES = [_snapshot("edge"), _NO_KEY]
CLIENT_SNAPSHOT_EXAMPLES = [_snapshot("client")]
EDGE_EXPOSURES_EXAMPLES = [
    OpenApiExample(
        "A measured subject split into an arm at the edge",
        value={
            "exposures": [
                {
                    "subject": "m0c2sfEqohX2IaDUQXX_NQ",
                    "revision": 7,
                    "decisions": [
                        {
                            "placement": "free-shipping-banner",
                            "reason": "SPLIT",
                            "variant": "on",
                            "segment": None,
                            "experiment": "free-shipping-test",
                        }
                    ],
                }
            ]
        },
        request_only=True,
    ),
    OpenApiExample(
        "Recorded",
        value={"recorded": 1, "dropped": 0},
        response_only=True,
        status_codes=["202"],
    ),
    error_example(
        "Not a batch",
        "400",
        "invalid",
        "The request is not valid.",
        exposures=['Expected a list of items but got type "str".'],
    ),
    _NO_KEY,
]
