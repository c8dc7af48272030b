"""Schedules: live at its time, undone at its end, exactly once however many processes look."""

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from consent.permissions import MARKETERS
from personalization import services
from personalization.models import (
    AuditEntry,
    ChangeSet,
    Placement,
    Revision,
    Rule,
    Schedule,
    Segment,
)
from personalization.workspace import schedules
from personalization.workspace import services as workspace
from personalization.workspace.exceptions import WorkspaceError
from personalization.workspace.selectors import live_get
from tests.consent.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
MONDAY_9_PARIS = datetime(2030, 3, 4, 9, 0, tzinfo=UTC) - timedelta(hours=1)  # 09:00 CET


@pytest.fixture
def author(demo):
    user: Any = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=MARKETERS))
    return user


def hero_change_set(author, **kwargs: Any) -> ChangeSet:
    hero = Placement.objects.get(key="home-hero")
    hero.variants.create(key="mobile-shoes", value={**hero.default_value, "headline": "Monday"})
    return workspace.changes_submit(
        entries=[("placements", "home-hero")], author=author, message="Monday hero", **kwargs
    )


def scheduled(author, *, publish_at=MONDAY_9_PARIS, revert_at=None) -> ChangeSet:
    change_set = hero_change_set(author)
    schedules.changeset_schedule(
        change_set=change_set,
        actor=author,
        publish_at=publish_at,
        revert_at=revert_at,
        time_zone="Europe/Paris",
    )
    change_set.refresh_from_db()
    return change_set


def test_schedule__monday_9_paris__live_at_its_time_once(author):
    # Given the new hero scheduled for Monday 9:00 in Paris
    change_set = scheduled(author)
    assert change_set.status == ChangeSet.Status.SCHEDULED
    [schedule] = change_set.schedules.all()
    assert (schedule.local_due_at.hour, schedule.due_at.hour) == (9, 8)
    before = Revision.objects.latest().number
    # When due work runs a minute early, then on time, then again
    early = schedules.schedules_publish_due(now=MONDAY_9_PARIS - timedelta(minutes=1))
    on_time = schedules.schedules_publish_due(now=MONDAY_9_PARIS)
    again = schedules.schedules_publish_due(now=MONDAY_9_PARIS + timedelta(minutes=1))
    # Then it was published once, at its time, by "system" on the author's change set
    assert (early, len(on_time), again) == ([], 1, [])
    assert Revision.objects.latest().number == before + 1
    assert "mobile-shoes" in live_get()["placements"]["home-hero"]["variants"]
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.PUBLISHED
    published = AuditEntry.objects.get(change_set=change_set, action="published")
    assert published.actor_name == "system"


def test_schedule__undo_at__what_was_live_comes_back(author):
    change_set = scheduled(author, revert_at=MONDAY_9_PARIS + timedelta(days=7))
    schedules.schedules_publish_due(now=MONDAY_9_PARIS)
    assert "mobile-shoes" in live_get()["placements"]["home-hero"]["variants"]
    [undo] = schedules.schedules_publish_due(now=MONDAY_9_PARIS + timedelta(days=7))
    assert undo.status == Schedule.Status.DONE
    assert "mobile-shoes" not in live_get()["placements"]["home-hero"]["variants"]
    revert = ChangeSet.objects.get(kind=ChangeSet.Kind.ROLLBACK)
    assert revert.message == f"Scheduled end of change set #{change_set.pk}: Monday hero"


def test_schedule__not_approved_by_its_time__fails_and_says_why(author, settings):
    settings.TACTFUL = {**settings.TACTFUL, "REQUIRE_APPROVAL": True}
    change_set = hero_change_set(author)
    schedules.changeset_schedule(change_set=change_set, actor=author, publish_at=MONDAY_9_PARIS)
    before = Revision.objects.latest().number
    # An approval-free change is approved at once; make it wait like a sensitive one
    ChangeSet.objects.filter(pk=change_set.pk).update(status=ChangeSet.Status.PENDING)
    [run] = schedules.schedules_publish_due(now=MONDAY_9_PARIS)
    assert (run.status, run.error) == (
        "failed",
        "It was not approved by its time (waiting for approval).",
    )
    assert Revision.objects.latest().number == before
    assert AuditEntry.objects.filter(change_set=change_set, action="failed").exists()


def test_schedule__time_in_the_past__refused(author):
    change_set = hero_change_set(author)
    with pytest.raises(WorkspaceError, match="That time has passed"):
        schedules.changeset_schedule(
            change_set=change_set, actor=author, publish_at=timezone.now() - timedelta(minutes=1)
        )
    assert not Schedule.objects.exists()


def drafts_post(client, **fields: str):
    data = {"entries": ["placements:home-hero"], "message": "Monday hero", "_publish": "1"}
    return client.post(reverse("admin:personalization_drafts"), {**data, **fields})


def test_drafts_page__schedule_in_a_time_zone__stored_in_utc(admin_client, demo):
    hero = Placement.objects.get(key="home-hero")
    hero.variants.create(key="mobile-shoes", value=hero.default_value)
    response = drafts_post(admin_client, publish_at="2030-03-04T09:00", time_zone="Europe/Paris")
    assert response.status_code == 302
    schedule = Schedule.objects.get()
    assert schedule.due_at == MONDAY_9_PARIS
    assert schedule.change_set.status == ChangeSet.Status.SCHEDULED


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        (
            {"publish_at": "2030-03-31T02:30", "time_zone": "Europe/Paris"},
            "publish_at",
            "02:30 does not exist that day in Europe/Paris: the clocks go forward.",
        ),
        (
            {"publish_at": "2020-01-01T09:00", "time_zone": "UTC"},
            "publish_at",
            "That time has passed: choose a time in the future.",
        ),
        (
            {"publish_at": "2030-03-04T09:00", "revert_at": "2030-03-04T08:00", "time_zone": "UTC"},
            "revert_at",
            "The change must be undone after it is published.",
        ),
        (
            {"revert_at": "2030-03-04T08:00", "time_zone": "UTC"},
            "revert_at",
            "Choose when to publish too: the undo comes after it.",
        ),
        ({"publish_at": "Monday", "time_zone": "UTC"}, "publish_at", "Enter a valid date/time."),
    ],
)
def test_drafts_page__bad_schedule__error_at_the_field_nothing_made(
    admin_client, demo, fields, field, error
):
    hero = Placement.objects.get(key="home-hero")
    hero.variants.create(key="mobile-shoes", value=hero.default_value)
    response = drafts_post(admin_client, **fields)
    assert response.context["form"].errors[field] == [error]
    assert not ChangeSet.objects.exists()


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="row locks between connections need PostgreSQL (DATABASE_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_schedules_publish_due__many_threads_at_once__published_exactly_once(demo_live, admin_user):
    # Given a due schedule, and eight callers that look for due work at the same moment
    scheduled(admin_user)
    before = Revision.objects.latest().number
    start = threading.Barrier(8)
    ran: list[int] = []

    def call() -> None:
        try:
            start.wait()
            ran.extend(s.pk for s in schedules.schedules_publish_due(now=MONDAY_9_PARIS))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one ran it, and exactly one revision was published
    assert len(ran) == 1
    assert Revision.objects.latest().number == before + 1


SETUP = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from personalization.models import Placement, Schedule
from personalization.workspace import schedules, services
call_command("seed_demo", verbosity=0)
author = User.objects.create_superuser("author", password="x")
hero = Placement.objects.get(key="home-hero")
hero.variants.create(key="mobile-shoes", value=hero.default_value)
change_set = services.changes_submit(
    entries=[("placements", "home-hero")], author=author, message="Monday hero"
)
schedules.changeset_schedule(
    change_set=change_set, actor=author, publish_at=timezone.now() + timedelta(hours=1)
)
# Monday 9:00 has come.
Schedule.objects.update(due_at=timezone.now() - timedelta(seconds=1))
"""

REPORT = """
from personalization.models import Revision, Schedule
print(Revision.objects.count(), list(Schedule.objects.values_list("status", flat=True)))
"""


def test_publish_due__four_processes_at_once__published_exactly_once(tmp_path: Path):
    # Given an embedded (SQLite) site with a due schedule
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.base", "TACTFUL_VAR_DIR": str(tmp_path)}

    def manage(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    for step in (("migrate", "-v0"), ("shell", "-c", SETUP)):
        setup = manage(*step)
        assert setup.wait(120) == 0, setup.stdout.read() if setup.stdout else ""
    # When four processes run the due work at the same moment
    runs = [manage("publish_due") for _ in range(4)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    # Then one published it and the others found nothing due
    assert [run.returncode for run in runs] == [0, 0, 0, 0], outputs
    assert sorted("revision r2" in out for out in outputs) == [False, False, False, True], outputs
    report = manage("shell", "-c", REPORT)
    assert report.communicate(timeout=120)[0].strip().splitlines()[-1] == "2 ['done']"


def test_review_page__schedule__shown_in_its_time_zone_and_in_utc(author, admin_client):
    change_set = scheduled(author)
    page = admin_client.get(
        reverse("admin:personalization_changeset_review", args=[change_set.pk])
    ).content.decode()
    assert "Publish on Monday 4 March 2030, 09:00 Europe/Paris" in page
    assert "(08:00 UTC)" in page


def test_schedule__published_by_hand_first__its_schedule_is_cancelled(author):
    change_set = scheduled(author)
    schedules.changeset_unschedule(change_set=change_set, actor=author)
    schedules.changeset_schedule(change_set=change_set, actor=author, publish_at=MONDAY_9_PARIS)
    ChangeSet.objects.filter(pk=change_set.pk).update(status=ChangeSet.Status.APPROVED)
    change_set.refresh_from_db()
    workspace.changeset_publish(change_set=change_set, actor=author)
    assert list(change_set.schedules.values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
    ]
    assert schedules.schedules_publish_due(now=MONDAY_9_PARIS) == []


def test_schedule__segment_it_needs_deleted_meanwhile__fails_in_words_once(author):
    # Given a scheduled hero rule on the live spring-campaign segment
    hero = Placement.objects.get(key="home-hero")
    spring = Segment.objects.get(key="spring-campaign")
    hero.rules.create(order=1, segment=spring, variant=hero.variants.get(key="outdoor"))
    change_set = workspace.changes_submit(
        entries=[("placements", "home-hero")], author=author, message="Spring hero"
    )
    schedules.changeset_schedule(change_set=change_set, actor=author, publish_at=MONDAY_9_PARIS)
    # When, before Monday, the segment is deleted and that is published
    Rule.objects.filter(segment=spring).delete()
    spring.delete()
    services.entries_publish(
        entries=[("segments", "spring-campaign")], author=None, message="No more spring"
    )
    before = Revision.objects.latest().number
    # Then Monday's publication is refused in words, once, and nothing is published
    [run] = schedules.schedules_publish_due(now=MONDAY_9_PARIS)
    assert run.status == "failed"
    assert run.error == (
        "What is live changed since this change set was made: placement home-hero needs "
        "segment spring-campaign."
    )
    assert Revision.objects.latest().number == before
    assert schedules.schedules_publish_due(now=MONDAY_9_PARIS) == []
