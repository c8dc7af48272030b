"""Contract fixtures: recorded requests and responses that the server and the SDK both test.

Each `contracts/fixtures/*.json` holds a request, the state it assumes (the demo storefront,
optionally a subject with given consent, optionally an outage) and the exact response. Here
every fixture is replayed against the server and must give that response; the SDK's tests serve
the same files from a fake server, so a change on either side fails the other's tests.

Values that legitimately differ between runs (revision numbers, tokens, ids, ETags) are listed
in the fixture's `ignore` as JSON pointers (`*` matches any key); they must still be present.
After an intentional change, `TACTFUL_CONTRACTS_RECORD=1 pytest tests/contract` rewrites the
responses; review the diff before committing it.
"""

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
from tests.faults.outages import database_down

FIXTURES = Path(__file__).resolve().parents[2] / "contracts" / "fixtures"
RECORD = os.environ.get("TACTFUL_CONTRACTS_RECORD") == "1"
RECORDED_HEADERS = ("Content-Type", "ETag", "Retry-After", "WWW-Authenticate")
IGNORED = "<ignored>"

pytestmark = pytest.mark.django_db


def _mask(value: Any, pointer: list[str]) -> Any:
    if not pointer:
        return IGNORED
    head, rest = pointer[0], pointer[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        return {k: (_mask(v, rest) if k in keys else v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, rest) if head in ("*", str(i)) else v for i, v in enumerate(value)]
    return value


def masked(body: Any, ignore: list[str]) -> Any:
    for pointer in ignore:
        if not pointer.startswith("header:"):
            body = _mask(body, pointer.strip("/").split("/"))
    return body


def subject_token(purposes: dict[str, bool], capture: Any) -> str:
    with capture(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes=purposes, source="api")
    return subject_token_sign(subject.public_id)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_contract_fixture__replayed_on_the_server__gives_the_recorded_response(
    path, client, demo, django_capture_on_commit_callbacks
):
    # Given the state the fixture describes
    fixture = json.loads(path.read_text())
    state, request = fixture["state"], fixture["request"]
    token = (
        subject_token(state["subject"], django_capture_on_commit_callbacks)
        if state["subject"]
        else ""
    )
    headers = {k: v.replace("{{subject_token}}", token) for k, v in request["headers"].items()}
    content_type = headers.pop("Content-Type", "")
    if "raw" in request:
        data = request["raw"].encode()
    elif "body" in request:
        data = orjson.dumps(request["body"])
    else:
        data = b""
    fault = database_down() if state["fault"] == "database_down" else contextlib.nullcontext()
    # When the request is replayed
    with fault:
        response = client.generic(
            request["method"], request["path"], data, content_type=content_type, headers=headers
        )
    body = orjson.loads(response.content) if response.content else None
    recorded = {h: response[h] for h in RECORDED_HEADERS if response.has_header(h)}
    if RECORD:
        fixture["response"] = {"status": response.status_code, "headers": recorded, "body": body}
        path.write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
    # Then the response is the recorded one
    expected = fixture["response"]
    ignore = fixture["ignore"]
    assert response.status_code == expected["status"]
    ignored_headers = {p.removeprefix("header:") for p in ignore if p.startswith("header:")}
    for name, value in expected["headers"].items():
        assert response.has_header(name), name
        if name not in ignored_headers:
            assert response[name] == value, name
    assert masked(body, ignore) == masked(expected["body"], ignore)


def test_contract_fixtures__each_names_a_state_a_request_and_a_response():
    # The SDK reads these files too: keep their shape stable.
    for path in FIXTURES.glob("*.json"):
        fixture = json.loads(path.read_text())
        assert set(fixture) == {"name", "description", "state", "request", "response", "ignore"}
        assert fixture["name"] == path.stem
        assert set(fixture["state"]) == {"demo", "subject", "fault"}
        assert set(fixture["response"]) == {"status", "headers", "body"}
        assert 200 <= fixture["response"]["status"] < 600
