"""The edge snapshot (edge key, ETag), the client snapshot and edge keys."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from personalization.edge.documents import snapshots_forget
from personalization.edge.keys import edge_key_digest
from personalization.edge.models import EdgeKey
from personalization.edge.selectors import edge_key_check
from personalization.edge.services import edge_key_create, edge_key_revoke
from personalization.models import Placement
from personalization.services import placement_set_enabled


@pytest.fixture(autouse=True)
def _fresh_documents():
    snapshots_forget()
    yield
    snapshots_forget()


@pytest.fixture
def edge_key(db):
    return edge_key_create(name="test-edge")[1]


def _get(client, name, key=None, **headers):
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.get(reverse(name), **headers)


def test_edge_key__created__stored_as_a_digest_only(db):
    # When a key is created
    edge_key, key = edge_key_create(name="cloudflare")
    # Then the row holds its digest and a prefix, never the key itself
    row = EdgeKey.objects.get(pk=edge_key.pk)
    assert row.digest == edge_key_digest(key) and key not in (row.digest, row.prefix)
    assert key.startswith(f"tek_{row.prefix}_") and edge_key_check(key)


def test_edge_snapshot__no_key__401_with_bearer_challenge(client, demo):
    # When the edge snapshot is asked for without a key
    response = _get(client, "edge-snapshot")
    # Then
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("key", ["nope", "tek_AAAAAAAAAAAA_" + "a" * 43])
def test_edge_snapshot__unknown_or_malformed_key__401(client, demo, key):
    response = _get(client, "edge-snapshot", key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_edge_snapshot__revoked_key__401_at_once(client, demo):
    # Given a key that was used (and so cached)
    edge_key, key = edge_key_create(name="old")
    assert _get(client, "edge-snapshot", key).status_code == 200
    # When it is revoked
    edge_key_revoke(edge_key=edge_key)
    # Then the very next request is refused
    assert _get(client, "edge-snapshot", key).status_code == 401


def test_edge_snapshot__demo__every_placement_with_rule_purposes_and_no_marketer_notes(
    client, demo, edge_key
):
    # When
    response = _get(client, "edge-snapshot", edge_key)
    # Then
    assert response.status_code == 200 and response["ETag"].startswith('"')
    body = response.json()
    assert body["format"] == "tactful.edge-snapshot/1"
    assert body["revision"] == body["document"]["revision"] >= 1
    assert body["purposes"][0] == {"key": "necessary", "always_on": True}
    document = body["document"]
    assert set(document["placements"]) == {"home-hero", "recommendations", "free-shipping-banner"}
    hero_rules = document["placements"]["home-hero"]["rules"]
    assert [(r["segment"], r["purposes"], r["namespaces"]) for r in hero_rules] == [
        ("shoe-intent", ["personalization"], ["signals"]),
        ("prefers-outdoor", ["personalization"], ["prefs"]),
        ("mobile-visitors", [], ["context"]),
    ]
    experiment_rule = document["placements"]["free-shipping-banner"]["rules"][-1]
    assert experiment_rule["experiment"] == "free-shipping-test"
    assert experiment_rule["purposes"] == ["measurement"]
    text = response.content.decode()
    assert "description" not in text and '"name"' not in text


def test_edge_snapshot__same_etag__304_without_body(client, demo, edge_key):
    # Given the ETag of the current snapshot
    etag = _get(client, "edge-snapshot", edge_key)["ETag"]
    # When asked again with it
    response = _get(client, "edge-snapshot", edge_key, HTTP_IF_NONE_MATCH=etag)
    # Then
    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == etag


def test_edge_snapshot__after_a_publish__new_revision_and_etag(
    client, demo, edge_key, django_capture_on_commit_callbacks
):
    # Given the snapshot's ETag
    before = _get(client, "edge-snapshot", edge_key)
    # When a marketer turns a placement off
    with django_capture_on_commit_callbacks(execute=True):
        placement_set_enabled(placement=Placement.objects.get(key="home-hero"), enabled=False)
    response = _get(client, "edge-snapshot", edge_key, HTTP_IF_NONE_MATCH=before["ETag"])
    # Then the new revision is served, with the placement off
    assert response.status_code == 200 and response["ETag"] != before["ETag"]
    body = response.json()
    assert body["revision"] == before.json()["revision"] + 1
    assert body["document"]["placements"]["home-hero"]["enabled"] is False


def test_edge_snapshot__warm__no_database_query(client, demo, edge_key, django_assert_num_queries):
    # Given a snapshot served once (key, revision and registry cached)
    _get(client, "edge-snapshot", edge_key)
    # When served again / Then without a query
    with django_assert_num_queries(0):
        assert _get(client, "edge-snapshot", edge_key).status_code == 200


def test_client_snapshot__demo__only_client_evaluable_placements_and_what_they_use(client, demo):
    # When a browser asks, without any key
    response = _get(client, "client-snapshot")
    # Then only the free-shipping banner, its segment and its experiment are in it
    assert response.status_code == 200 and response["ETag"]
    body = response.json()
    assert body["format"] == "tactful.client-snapshot/1"
    document = body["document"]
    assert set(document["placements"]) == {"free-shipping-banner"}
    assert set(document["segments"]) == {"spring-campaign"}
    assert set(document["experiments"]) == {"free-shipping-test"}


def test_client_snapshot__placement_marked_later__appears(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a placement not client-evaluable
    from personalization.services import _save

    hero = Placement.objects.get(key="home-hero")
    assert "home-hero" not in _get(client, "client-snapshot").json()["document"]["placements"]
    # When a marketer marks it (a publish)
    hero.client_evaluable = True
    with django_capture_on_commit_callbacks(execute=True):
        _save(hero, author=None, message="Client-evaluable home hero")
    # Then the client snapshot has it and the segments it needs
    document = _get(client, "client-snapshot").json()["document"]
    assert "home-hero" in document["placements"]
    assert {"shoe-intent", "prefers-outdoor", "mobile-visitors"} <= set(document["segments"])


def test_create_edge_key__command__prints_an_active_key(db, capsys):
    # When
    call_command("create_edge_key", "cdn")
    # Then
    key = capsys.readouterr().out.strip()
    assert edge_key_check(key)
    assert EdgeKey.objects.get().name == "cdn"


def test_edge_key_admin__add__shows_the_key_once_and_revoke_action_refuses_it(admin_client, db):
    # When an admin adds a key
    response = admin_client.post(
        reverse("admin:personalization_edgekey_add"), {"name": "cdn"}, follow=True
    )
    # Then the key is shown in a message, and works
    text = response.content.decode()
    key = text.split("The key of cdn is ", 1)[1].split(" ", 1)[0]
    assert edge_key_check(key)
    # When it is revoked with the action
    edge_key = EdgeKey.objects.get()
    admin_client.post(
        reverse("admin:personalization_edgekey_changelist"),
        {"action": "revoke", "_selected_action": [edge_key.pk]},
    )
    # Then
    assert not edge_key_check(key)


def test_edge_snapshot__placement_with_a_holdout__carries_it(
    client, demo, edge_key, django_capture_on_commit_callbacks
):
    # Given a marketer holds 10 % of the home hero's measured visitors out
    from personalization.services import _save

    hero = Placement.objects.get(key="home-hero")
    hero.holdout_percentage = 10
    with django_capture_on_commit_callbacks(execute=True):
        _save(hero, author=None, message="Holdout")
    # When / Then the edge snapshot has the holdout the engine reads
    placements = _get(client, "edge-snapshot", edge_key).json()["document"]["placements"]
    assert placements["home-hero"]["holdout"] == {
        "percentage": 10.0,
        "seed": "holdout:home-hero",
        "required_purpose": "measurement",
    }
    assert "holdout" not in placements["recommendations"]
