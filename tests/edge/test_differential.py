"""The edge and the origin, asked the same: every demo placement (the home hero with a holdout),
for a set of contexts and visitors (anonymous, each consent, preferences, Global Privacy
Control), on the native API and OFREP. The answers must be identical, wherever the edge decided
them."""

import itertools

import pytest

from tests.edge.live import Origin, Worker, until_revision
from tests.edge.visitors import both, subject_headers

CONTEXTS = [
    {},
    {"device": "mobile"},
    {"device": "desktop", "locale": "de"},
    {"utm_campaign": "spring-sale"},
    {"device": "mobile", "utm_campaign": "spring-sale", "local_hour": 21},
    {"device": ["mobile", "tablet"], "referrer": None},
]
CONSENTS = {
    "anonymous": None,
    "necessary-only": {"personalization": False},
    "measurement": {"measurement": True},
    "personalization": {"personalization": True},
    "everything": {"personalization": True, "measurement": True, "advertising": True},
}


HOLD_OUT_HALF_THE_HERO = (
    "from personalization.models import Placement; "
    "from personalization.services import _save; "
    "hero = Placement.objects.get(key='home-hero'); hero.holdout_percentage = 50; "
    "_save(hero, author=None, message='Holdout')"
)


@pytest.fixture(scope="module", autouse=True)
def holdout(origin: Origin, worker: Worker) -> None:
    """Half the home hero's measured visitors held out, on both tiers."""
    revision = worker.readyz()["revision"]
    origin.shell(HOLD_OUT_HALF_THE_HERO)
    until_revision(worker, revision + 1)


@pytest.fixture(scope="module")
def visitors(origin: Origin) -> dict[str, dict[str, str]]:
    made = {name: subject_headers(origin, p) if p else {} for name, p in CONSENTS.items()}
    made["runner"] = subject_headers(origin, {"personalization": True}, interests=["running"])
    # Many subjects, so the experiment's both arms are compared.
    for index in range(6):
        made[f"measured-{index}"] = subject_headers(origin, {"measurement": True})
    return made


def test_differential__decide__same_answers_for_every_context_and_visitor(
    origin: Origin, worker: Worker, visitors: dict[str, dict[str, str]]
):
    at_the_edge = worker.metric("tactful_edge_decisions_total")
    arms = set()
    held_out = 0
    for (name, headers), context in itertools.product(visitors.items(), CONTEXTS):
        for placements in (None, ["free-shipping-banner"], ["home-hero", "home-hero"]):
            body: dict[str, object] = {"context": context}
            if placements is not None:
                body["placements"] = placements
            edge, source = both(origin, worker, "/api/v1/decide", body, headers=headers)
            assert edge.status_code == source.status_code == 200, (name, context)
            assert edge.json() == source.json(), (name, context, placements)
            arms.add(edge.json()["decisions"].get("free-shipping-banner", {}).get("variant"))
            hero = edge.json()["decisions"].get("home-hero", {})
            held_out += "holdout" in hero.get("explanation", {})
    # Both arms of the experiment came up, some visitors were held out, and most decisions were
    # the edge's own.
    assert {"on", "off"} <= arms
    assert held_out > 0
    assert worker.metric("tactful_edge_decisions_total") - at_the_edge > 100


def test_differential__ofrep__same_answers_for_every_flag_context_and_visitor(
    origin: Origin, worker: Worker, visitors: dict[str, dict[str, str]]
):
    for (name, headers), context in itertools.product(visitors.items(), CONTEXTS[:4]):
        body = {"context": {**context, "targetingKey": name}}  # type: ignore[dict-item]
        edge, source = both(origin, worker, "/ofrep/v1/evaluate/flags", body, headers=headers)
        assert edge.json() == source.json(), (name, context)
        for key in ("home-hero", "recommendations", "free-shipping-banner"):
            path = f"/ofrep/v1/evaluate/flags/{key}"
            edge, source = both(origin, worker, path, body, headers=headers)
            assert edge.json() == source.json(), (name, context, key)


def test_differential__gpc__same_answers_once_recorded(origin: Origin, worker: Worker):
    # Given subjects who granted advertising, browsing with Global Privacy Control
    for purposes in ({"advertising": True}, {"advertising": True, "measurement": True}):
        headers = {**subject_headers(origin, purposes), "Sec-GPC": "1"}
        for context in CONTEXTS[:3]:
            # When / Then the same answers (the edge forwards until the token says GPC)
            edge, source = both(origin, worker, "/api/v1/decide", {"context": context},
                                headers=headers)  # fmt: skip
            assert edge.json() == source.json()
            assert edge.json()["consent"]["advertising"] is False
