"""Request and response examples of the consent, preference and subject APIs, for the API docs.

Taken from real answers of the demo storefront; `tests/contract/test_schema_examples.py` holds
every one to the schema.
"""

from drf_spectacular.utils import OpenApiExample

from config.api import error_example

_SUBJECT = "m0c2sfEqohX2IaDUQXX_NQ"
_TOKEN = f"{_SUBJECT}.1:1xVexM:_S-gv8pyQh37CKd3ZhY-nmHwUMXqOf8q0-cF6DLyDK4"
# A consent token for edges, as PUT /api/v1/consent answers it (see consent/edge_tokens.py).
_CONSENT_TOKEN = (
    "eyJhbGciOiJFZERTQSIsInR5cCI6InRhY3RmdWwtY29uc2VudCtqd3QiLCJraWQiOiJabTlkUThVdDFyN2NPMG03Vj"
    "NZaEt4cTFtV2w4aDBHM2NVN3VRbVMwcFhvIn0.eyJpc3MiOiJ0YWN0ZnVsIiwic3ViIjoibTBjMnNmRXFvaFgySWFE"
    "VVFYWF9OUSIsInB1cnBvc2VzIjp7Im5lY2Vzc2FyeSI6dHJ1ZSwicGVyc29uYWxpemF0aW9uIjp0cnVlLCJtZWFzdX"
    "JlbWVudCI6dHJ1ZSwiYWR2ZXJ0aXNpbmciOmZhbHNlfSwiZ3BjIjpmYWxzZSwiY3YiOjEsImlhdCI6MTc2NDg5Mjgw"
    "MCwiZXhwIjoxNzY0ODkzMTAwfQ.q3c5bT4bqyBvLkqGSvd1Q7m0Zt8sS2Cqz1q1B6P0uQ1hQmM6e2n7aY0s3Q8xWfJ"
    "4r9KZ1mV0cT5o2lP7kN3bAw"
)
_NOTICE_HASH = "dc2e86268e98cbf13d6368e94d527d81dc14757ff6bfd4e4dfdb1cc4e4075507"
_GRANTED = {"necessary": True, "personalization": True, "measurement": True, "advertising": False}
_AVAILABLE = {
    "interests": {
        "label": "Interests",
        "description": "Topics you would like to see first.",
        "multiple": True,
        "values": [
            {"value": "outdoor", "label": "Outdoor"},
            {"value": "running", "label": "Running"},
        ],
    }
}


CONSENT_GET_EXAMPLES = [
    OpenApiExample(
        "A visitor who has not chosen yet",
        value={
            "subject": None,
            "purposes": {
                "necessary": True,
                "personalization": False,
                "measurement": False,
                "advertising": False,
            },
            "gpc": False,
            "basis": {
                "necessary": "always_on",
                "personalization": "default",
                "measurement": "default",
                "advertising": "default",
            },
            "ask": ["personalization", "measurement", "advertising"],
            "notice": 1,
        },
        response_only=True,
        status_codes=["200"],
    ),
]

CONSENT_PUT_EXAMPLES = [
    OpenApiExample(
        "Accept all in the site's banner",
        value={
            "purposes": {"personalization": True, "measurement": True, "advertising": True},
            "source": "banner",
            "control": "accept-all",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Withdraw personalization",
        value={"purposes": {"personalization": False}},
        request_only=True,
    ),
    OpenApiExample(
        "Pass on the host CMP's TC string",
        # IAB Tech Lab's iabtcf-java test vector: TCF purposes 3 to 9 consented.
        value={
            "tc_string": "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAA"
            "EAYQAQAAAACAAAABAAA"
        },
        request_only=True,
    ),
    OpenApiExample(
        "Pass on the host CMP's GPP string (US National: opted out of sale, sharing, ads)",
        value={"gpp_string": "DBABLA~BVQVAAAAAgA.QA", "gpp_sid": [7]},
        request_only=True,
    ),
    OpenApiExample(
        "The subject after its first choice",
        value={
            "subject": _SUBJECT,
            "purposes": _GRANTED,
            "gpc": False,
            "basis": {
                "necessary": "always_on",
                "personalization": "choice",
                "measurement": "choice",
                "advertising": "default",
            },
            "ask": ["advertising"],
            "notice": 1,
            "token": _TOKEN,
            "consent_token": _CONSENT_TOKEN,
        },
        response_only=True,
        status_codes=["200"],
    ),
    error_example(
        "A misspelt purpose",
        "400",
        "unknown_purpose",
        "Unknown purpose: personalisation.",
        unknown=["personalisation"],
        known=["advertising", "measurement", "necessary", "personalization"],
    ),
    error_example(
        "The database is down",
        "503",
        "service_unavailable",
        "The database is unavailable right now; try again shortly.",
    ),
]
_DATABASE_DOWN = CONSENT_PUT_EXAMPLES[-1]

PREFERENCES_GET_EXAMPLES = [
    OpenApiExample(
        "No preference chosen yet",
        value={"preferences": {}, "available": _AVAILABLE},
        response_only=True,
        status_codes=["200"],
    ),
    _DATABASE_DOWN,
]

PREFERENCES_PUT_EXAMPLES = [
    OpenApiExample(
        "Choose an interest",
        value={"preferences": {"interests": ["outdoor"]}},
        request_only=True,
    ),
    OpenApiExample(
        "Clear the interests",
        value={"preferences": {"interests": []}},
        request_only=True,
    ),
    OpenApiExample(
        "Saved",
        value={"preferences": {"interests": ["outdoor"]}, "available": _AVAILABLE},
        response_only=True,
        status_codes=["200"],
    ),
    error_example(
        "A key outside the registry",
        "400",
        "unknown_preference",
        "Unknown preference: shoe_size.",
        unknown=["shoe_size"],
        known=["interests"],
    ),
    error_example(
        "Personalization is not granted",
        "409",
        "consent_required",
        "Preferences are used only for personalized content: grant it first.",
        purpose="personalization",
    ),
]

_NO_SUBJECT = error_example(
    "No subject token", "404", "no_subject", "No valid subject token: this client has no data here."
)

SUBJECT_EXPORT_EXAMPLES = [
    OpenApiExample(
        "A subject who accepted in the banner",
        value={
            "schema": "tactful.subject-export/1",
            "generated_at": "2026-12-04T22:43:19.704563+00:00",
            "subject": {
                "id": _SUBJECT,
                "created_at": "2026-12-04T22:43:19.568437+00:00",
                "gpc_at": None,
                "account_linked": False,
            },
            "consent": {
                "purposes": _GRANTED,
                "basis": {
                    "necessary": "always_on",
                    "personalization": "choice",
                    "measurement": "choice",
                    "advertising": "default",
                },
                "notice": 1,
            },
            "consent_events": [
                {
                    "sequence": 1,
                    "at": "2026-12-04T22:43:19.572327+00:00",
                    "purpose": "personalization",
                    "kind": "grant",
                    "granted": True,
                    "source": "banner",
                    "control": "accept-all",
                    "raw_signal": None,
                    "signal": None,
                    "notice": {"version": 1, "content_hash": _NOTICE_HASH},
                    "hash": "8cec4a1e1f1b8e287caa6c3e41a79a707331a42004f43d45f11f22dcc4d193e3",
                }
            ],
            "preferences": {"interests": ["outdoor"]},
            "signals": {
                "attributes": {
                    "product_view": {
                        "count_5m": 1,
                        "count_30m": 1,
                        "count_session": 1,
                        "seconds_since_last": 40,
                        "category": {"shoes": {"count_5m": 1, "count_30m": 1, "count_session": 1}},
                    }
                },
                "events_retained": 1,
                "oldest_event_seconds_ago": 40,
                "session_started_seconds_ago": 40,
                "retention_seconds": 14400,
            },
            "recent_decisions": [
                {
                    "at": "2026-12-04T22:43:19+00:00",
                    "placement": "home-hero",
                    "variant": "mobile",
                    "reason": "TARGETING_MATCH",
                    "segment": "mobile-visitors",
                    "experiment": None,
                    "purposes": [],
                    "namespaces": ["context"],
                    "attributes": {"context.device": "mobile"},
                }
            ],
            "unavailable": [],
        },
        response_only=True,
        status_codes=["200"],
    ),
    _NO_SUBJECT,
    _DATABASE_DOWN,
]

SUBJECT_ERASE_EXAMPLES = [
    OpenApiExample(
        "Erased; consent proof kept by policy",
        value={
            "subject": _SUBJECT,
            "at": "2026-12-04T22:43:19.709944+00:00",
            "complete": True,
            "erased": {
                "decision_history": 1,
                "signals": 1,
                "preferences": 1,
                "consent_state": 2,
                "cached_state": 1,
            },
            "kept": {"consent_events": 2},
            "failed": [],
        },
        response_only=True,
        status_codes=["200"],
    ),
    _NO_SUBJECT,
    error_example(
        "A part could not be erased: nothing else was",
        "503",
        "erasure_incomplete",
        "Part of the data could not be erased just now; nothing else was. Try again.",
        subject=_SUBJECT,
        at="2026-12-04T22:43:19.709944+00:00",
        complete=False,
        erased={"signals": 1},
        kept={},
        failed=["personalization.receivers.history_on_erase"],
    ),
]

CONSENT_TOKEN_EXAMPLES = [
    OpenApiExample(
        "A fresh consent token",
        value={"token": _CONSENT_TOKEN, "expires_in": 300},
        response_only=True,
        status_codes=["200"],
    ),
    error_example(
        "No subject token",
        "404",
        "no_subject",
        "No valid subject token: this client has no consent.",
    ),
]
