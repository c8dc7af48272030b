"""Structured logs: JSON lines with the request id, no personal data, floods held back."""

import logging

import orjson
import pytest

from config.logging import JsonFormatter, MetricsHandler, RepeatFilter, redact
from consent.tokens import subject_token_sign
from tests.observability.samples import sample

pytestmark = pytest.mark.django_db


def record(name: str = "tactful.test", level: int = logging.WARNING, msg: str = "m", *args):
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_access_log__decide_request__one_json_line_with_request_id_route_and_status(
    client, json_logs
):
    # Given a proxy that set a request id
    # When a decision is asked for
    response = client.post(
        "/api/v1/decide",
        data=b"{}",
        content_type="application/json",
        headers={"X-Request-ID": "proxy-id-12345678"},
    )
    # Then the id is echoed, and the access line carries it with the route pattern and status
    assert response["X-Request-ID"] == "proxy-id-12345678"
    access = [e for e in json_logs.entries() if e["logger"] == "config.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "proxy-id-12345678"
    assert (access[0]["method"], access[0]["route"], access[0]["status"]) == (
        "POST",
        "/api/v1/decide",
        200,
    )
    assert access[0]["level"] == "INFO"
    assert isinstance(access[0]["duration_ms"], float)


def test_request_id__missing_or_malformed__a_fresh_one_is_made(client):
    # When one request has no id and another a hostile one
    plain = client.get("/healthz")
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\n<script>"})
    # Then each gets its own generated id, never the hostile text
    ids = {plain["X-Request-ID"], hostile["X-Request-ID"]}
    assert len(ids) == 2
    assert all(len(i) == 32 and i.isalnum() for i in ids)


def test_access_log__request_full_of_personal_data__none_of_it_is_written(client, json_logs):
    # Given a request with a subject token, an e-mail in the query, an address and a browser
    token = subject_token_sign("subject-abc")
    client.cookies["tactful_subject"] = token
    # When it is served
    client.post(
        "/api/v1/decide?email=jane.doe@example.com",
        data=b'{"context": {"device": "mobile"}}',
        content_type="application/json",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "User-Agent": "Mozilla/5.0 (Jane's phone)",
            "X-Tactful-Subject": token,
        },
        REMOTE_ADDR="198.51.100.23",
    )
    # Then no line mentions any of it
    text = json_logs.text
    assert "config.access" in text
    for secret in (token, "subject-abc", "jane.doe", "203.0.113.7", "198.51.100.23", "Mozilla"):
        assert secret not in text


def test_json_formatter__exception__type_and_redacted_traceback():
    # Given an error whose message names a person and an address
    try:
        raise ValueError("lookup of jane@example.com from 192.0.2.1 failed")
    except ValueError:
        import sys

        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    # When formatted
    entry = orjson.loads(JsonFormatter().format(rec))
    # Then the exception is there, the personal data is not
    assert entry["exc_type"] == "ValueError"
    assert "[email]" in entry["exc"] and "[ip]" in entry["exc"]
    assert "jane@example.com" not in entry["exc"] and "192.0.2.1" not in entry["exc"]


def test_json_formatter__unknown_extra__is_not_serialised():
    # Given a record carrying a request-like object
    rec = record()
    rec.request = object()
    rec.status_code = 500
    # When
    entry = orjson.loads(JsonFormatter().format(rec))
    # Then only the allowed extra goes out
    assert entry["status_code"] == 500
    assert "request" not in entry


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail a.b+c@shop.example.org now", "mail [email] now"),
        ("from 10.1.2.3:5432", "from [ip]:5432"),
        ("v6 2001:db8:0:0:0:0:2:1 here", "v6 [ip] here"),
        ("revision 12 at 12:30", "revision 12 at 12:30"),
    ],
)
def test_redact__personal_data__masked(text, expected):
    assert redact(text) == expected


def test_repeat_filter__same_warning_floods__one_passes_then_a_count():
    # Given a filter with a 10-second window and a controllable clock
    now = [100.0]
    repeat = RepeatFilter(seconds=10)
    repeat.clock = lambda: now[0]
    # When the same warning comes three times at once, then once after the window
    name, level = "personalization.signals.selectors", logging.WARNING
    passed = [repeat.filter(record(name, level, "store down %s", "x")) for _ in range(3)]
    now[0] += 11
    later = record(name, level, "store down %s", "y")
    # Then only the first passed, and the next one says how many were held back
    assert passed == [True, False, False]
    assert repeat.filter(later) is True
    assert later.repeated == 2


def test_repeat_filter__info_records__never_held_back():
    repeat = RepeatFilter(seconds=10)
    assert all(repeat.filter(record(level=logging.INFO)) for _ in range(3))


def test_metrics_handler__fallback_warning__counted_as_degraded_component():
    # Given
    before = sample("tactful_degraded_total", component="signals")
    warnings = sample("tactful_log_records_total", level="warning")
    # When a signal-store fallback is logged, and another record names its component itself
    handler = MetricsHandler()
    handler.handle(record(name="personalization.signals.selectors"))
    explicit = record(name="config.middleware")
    explicit.component = "database"
    handler.handle(explicit)
    # Then both count as degraded, under their component
    assert sample("tactful_degraded_total", component="signals") == before + 1
    assert sample("tactful_degraded_total", component="database") >= 1
    assert sample("tactful_log_records_total", level="warning") == warnings + 2


def test_logging_settings__root__json_console_and_metrics_handlers():
    # Given the configured root logger
    handlers = logging.getLogger().handlers
    # Then a JSON console handler with the filters, and the metrics handler
    kinds = {type(h).__name__: h for h in handlers}
    assert "MetricsHandler" in kinds
    console = kinds["StreamHandler"]
    assert isinstance(console.formatter, JsonFormatter)
    assert {type(f).__name__ for f in console.filters} == {"RequestIdFilter", "RepeatFilter"}
