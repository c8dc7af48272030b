"""The edge worker under workerd against a live origin: the decision contract, consent tokens,
what it forwards, and its errors — each answer compared with the origin's own."""

import time

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.edge.live import Origin, Worker
from tests.edge.visitors import both, post, subject_headers
from tests.faults.live import wait_until

DECIDE = "/api/v1/decide"
MOBILE = {"context": {"device": "mobile"}}


def _forwarded(worker: Worker) -> float:
    return worker.metric("tactful_edge_forwarded_total")


def test_worker__anonymous__decided_at_the_edge_as_the_origin_does(origin, worker):
    # Given an anonymous mobile visitor
    forwarded = _forwarded(worker)
    # When the edge and the origin decide every placement
    edge, source = both(origin, worker, DECIDE, MOBILE)
    # Then the answers are the same, and the edge did not ask the origin
    assert edge.status_code == source.status_code == 200
    assert edge.json() == source.json()
    assert edge.json()["decisions"]["recommendations"]["reason"] == "CONSENT_REQUIRED"
    assert _forwarded(worker) == forwarded
    assert worker.metric("tactful_edge_decisions_total", placement="home-hero") >= 1


def test_worker__consented_to_measurement__split_by_subject_at_the_edge(origin, worker):
    # Given a subject who granted measurement (the demo's experiment needs it)
    headers = subject_headers(origin, {"measurement": True})
    forwarded = _forwarded(worker)
    # When
    edge, source = both(origin, worker, DECIDE, MOBILE, headers=headers)
    # Then the experiment assigns the same arm on both tiers, decided at the edge
    assert edge.json() == source.json()
    assert edge.json()["decisions"]["free-shipping-banner"]["reason"] == "SPLIT"
    assert edge.json()["consent"]["measurement"] is True
    assert _forwarded(worker) == forwarded


def test_worker__personalization_and_preference_rule__forwarded_and_the_origins_answer(
    origin, worker
):
    # Given a subject who granted personalization and chose the outdoor interest
    headers = subject_headers(origin, {"personalization": True}, interests=["outdoor"])
    forwarded = worker.metric("tactful_edge_forwarded_total", why="prefs_or_signals")
    # When a desktop visit is decided (the signals and preference rules come first)
    edge, source = both(origin, worker, DECIDE, {"context": {"device": "desktop"}}, headers=headers)
    # Then the edge passed it on, and the answer is the origin's: the preference served
    assert edge.json() == source.json()
    assert edge.json()["decisions"]["home-hero"]["variant"] == "outdoor"
    assert worker.metric("tactful_edge_forwarded_total", why="prefs_or_signals") == forwarded + 1


def test_worker__forged_token__anonymous(origin, worker):
    # Given a token claiming every purpose, signed by a key that is not the origin's
    now = int(time.time())
    claims = {"sub": "forged-subject", "purposes": {"necessary": True, "measurement": True,
              "personalization": True, "advertising": True}, "gpc": False, "cv": 1,
              "iat": now, "exp": now + 300}  # fmt: skip
    forged = origin.sign(claims, key=Ed25519PrivateKey.generate())
    # When the edge decides with it
    edge = post(worker.base, DECIDE, MOBILE, headers={"X-Tactful-Consent": forged})
    # Then as for nobody: the origin's anonymous answer
    assert edge.json() == post(origin.base, DECIDE, MOBILE).json()
    assert edge.json()["consent"]["measurement"] is False


def test_worker__expired_token__anonymous(origin, worker):
    # Given a token signed by the origin that expired a second ago
    now = int(time.time())
    claims = {"sub": "late-subject", "purposes": {"necessary": True, "measurement": True},
              "gpc": False, "cv": 1, "iat": now - 301, "exp": now - 1}  # fmt: skip
    expired = origin.sign(claims)
    valid = origin.sign({**claims, "exp": now + 300})
    # When / Then the expired one is nobody, the same claims still valid are someone
    edge = post(worker.base, DECIDE, MOBILE, headers={"X-Tactful-Consent": expired})
    assert edge.json() == post(origin.base, DECIDE, MOBILE).json()
    fresh = post(worker.base, DECIDE, MOBILE, headers={"X-Tactful-Consent": valid})
    assert fresh.json()["consent"]["measurement"] is True


def test_worker__consent_token_older_than_subject_token__forwarded(origin, worker):
    # Given a subject who granted measurement, then withdrew it (a newer subject token)
    granted = subject_headers(origin, {"measurement": True})
    withdrawn = httpx.put(
        f"{origin.base}/api/v1/consent",
        json={"purposes": {"measurement": False}},
        headers={"X-Tactful-Subject": granted["X-Tactful-Subject"]},
        timeout=10,
    )
    stale = {**granted, "X-Tactful-Subject": withdrawn.headers["X-Tactful-Subject"]}
    forwarded = worker.metric("tactful_edge_forwarded_total", why="consent_outdated")
    # When the client still sends the old consent token
    edge, source = both(origin, worker, DECIDE, MOBILE, headers=stale)
    # Then the origin answers (the withdrawal holds), through the edge
    assert edge.json() == source.json()
    assert edge.json()["consent"]["measurement"] is False
    assert worker.metric("tactful_edge_forwarded_total", why="consent_outdated") == forwarded + 1


def test_worker__gpc_not_yet_recorded__forwarded_then_recorded(origin, worker):
    # Given a subject who granted advertising, now browsing with Global Privacy Control
    headers = {**subject_headers(origin, {"advertising": True}), "Sec-GPC": "1"}
    # When the edge is asked
    edge = post(worker.base, DECIDE, MOBILE, headers=headers)
    # Then the origin answered (and recorded the signal): advertising is off
    assert edge.status_code == 200 and edge.json()["consent"]["advertising"] is False
    assert worker.metric("tactful_edge_forwarded_total", why="gpc_unrecorded") >= 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"placements": ["home-hero", "no-such-placement"]}, "unknown_placement"),
        ({"context": {"device": {"nested": True}}}, "invalid"),
        ({"placements": "home-hero"}, "invalid"),
        ({"placements": ["Not a slug!", 3, None, ""]}, "invalid"),
        ({"placements": ["x"] * 101}, "invalid"),
        ({"context": {"1bad": 1, "fine": [1, [2]], "big": 2**60}}, "invalid"),
        ({"context": None}, "invalid"),
        ([1, 2], "invalid"),
        ("text", "invalid"),
        (None, "invalid"),
    ],
)
def test_worker__invalid_decide__the_origins_400(origin, worker, body, code):
    # When / Then the same status and body, word for word
    edge, source = both(origin, worker, DECIDE, content=orjson.dumps(body))
    assert edge.status_code == source.status_code == 400
    assert edge.json() == source.json()
    assert edge.json()["error"]["code"] == code


def test_worker__malformed_json__400_parse_error(origin, worker):
    # When
    edge, source = both(origin, worker, DECIDE, content=b"{nope")
    # Then both refuse it alike (the parser's own wording differs: JavaScript's, orjson's)
    assert edge.status_code == source.status_code == 400
    assert edge.json()["error"]["code"] == source.json()["error"]["code"] == "parse_error"
    assert edge.json()["error"]["message"].startswith("Malformed JSON: ")


def test_worker__oversized_body__413(origin, worker):
    # Given a body over 64 KiB
    content = b'{"context": {"x": "' + b"a" * 70_000 + b'"}}'
    # When / Then
    edge, source = both(origin, worker, DECIDE, content=content)
    assert edge.status_code == source.status_code == 413
    assert edge.json() == source.json()


def test_worker__not_json__415(origin, worker):
    edge, source = both(origin, worker, DECIDE, content=b"device=mobile",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert edge.status_code == source.status_code == 415
    assert edge.json() == source.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/ofrep/v1/evaluate/flags/home-hero", {"context": {"device": "mobile"}}),
        ("/ofrep/v1/evaluate/flags/recommendations", {"context": {"targetingKey": "u1"}}),
        ("/ofrep/v1/evaluate/flags/no-such-flag", {}),
        ("/ofrep/v1/evaluate/flags/it's", {}),
        ("/ofrep/v1/evaluate/flags/home-hero", {"context": {"targetingKey": 3}}),
        ("/ofrep/v1/evaluate/flags/home-hero", {"context": []}),
        ("/ofrep/v1/evaluate/flags/home-hero", [1]),
        ("/ofrep/v1/evaluate/flags/home-hero", {"context": {"a b": 1}}),
        ("/ofrep/v1/evaluate/flags", {"context": {"utm_campaign": "spring-sale"}}),
        ("/ofrep/v1/evaluate/flags", {"context": "x"}),
    ],
)
def test_worker__ofrep__the_origins_answers(origin, worker, path, body):
    edge, source = both(origin, worker, path, body)
    assert edge.status_code == source.status_code
    assert edge.json() == source.json()


def test_worker__ofrep_bulk_etag__304_when_unchanged(worker):
    # Given the bulk evaluation's ETag
    first = post(worker.base, "/ofrep/v1/evaluate/flags", {"context": {}})
    # When asked again with it / Then nothing changed
    again = post(worker.base, "/ofrep/v1/evaluate/flags", {"context": {}},
                 headers={"If-None-Match": first.headers["ETag"]})  # fmt: skip
    assert first.status_code == 200 and again.status_code == 304


def test_worker__other_routes__passed_to_the_origin(origin, worker):
    # When the consent API is read through the edge
    response = httpx.get(f"{worker.base}/api/v1/consent", timeout=10)
    # Then it is the origin's answer
    assert response.status_code == 200
    assert response.json() == httpx.get(f"{origin.base}/api/v1/consent", timeout=10).json()


def test_worker__metrics__revision_age_and_decisions(worker):
    # When the edge's metrics are read
    text = httpx.get(f"{worker.base}/edge/metrics", timeout=5).text
    # Then they say which revision it decides from and how fresh it is
    assert worker.metric("tactful_edge_snapshot_revision") == worker.readyz()["revision"] >= 1
    assert 0 <= worker.metric("tactful_edge_snapshot_age_seconds") < 60
    assert "# TYPE tactful_edge_decisions_total counter" in text


def test_worker__measured_subject__exposures_reported_to_the_origin(origin, worker):
    # Given a measured subject whom the edge splits into an experiment arm
    headers = subject_headers(origin, {"measurement": True})
    decided = post(worker.base, DECIDE, MOBILE, headers=headers).json()
    arm = decided["decisions"]["free-shipping-banner"]["variant"]

    def arms_at_the_origin() -> list[dict[str, object]]:
        httpx.get(f"{worker.base}/edge/healthz", timeout=5)  # requests carry the reports
        export = httpx.get(f"{origin.base}/api/v1/subject/export", timeout=5,
                           headers={"X-Tactful-Subject": headers["X-Tactful-Subject"]})  # fmt: skip
        marks = export.json()["exposure_marks"]
        return [m for m in marks if m["kind"] == "arm"]

    # When the edge reports its exposures / Then the origin has the arm, as if it had served it
    wait_until(lambda: bool(arms_at_the_origin()), "the edge's exposures at the origin")
    (mark,) = arms_at_the_origin()
    assert (mark["experiment"], mark["variant"]) == ("free-shipping-test", arm)
    assert worker.metric("tactful_edge_exposures_total", result="reported") >= 1
