"""Tests of the consent chain: written and sealed on every append, verified, tampering caught."""

import importlib
import itertools
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader

from consent.chain import chained_digest
from consent.models import ConsentEvent, ConsentState, NoticeVersion, Purpose, Source, Subject
from consent.selectors import chains_verify_all, subject_chain_verify
from consent.services import consent_record_gpc, consent_update


def _raw_update(queryset, **fields):
    # What a tamperer with database access would do: the model's guards are bypassed.
    models.QuerySet.update(queryset, **fields)


def _raw_delete(queryset):
    models.QuerySet.delete(queryset)


@pytest.fixture
def history(subject):
    consent_update(
        subject=subject, purposes={"personalization": True, "measurement": False}, source="api"
    )
    consent_update(subject=subject, purposes={"personalization": False}, source=Source.BANNER)
    consent_record_gpc(subject=subject)
    return list(subject.consent_events.order_by("sequence"))


def _problems(subject):
    return subject_chain_verify(subject=subject).problems


def _rehash_from(subject, sequence, **changes):
    """Rewrite event `sequence` and recompute every hash after it, as SQL could."""
    prev_hash = ""
    for event in subject.consent_events.select_related("purpose", "notice").order_by("sequence"):
        if event.sequence < sequence:
            prev_hash = event.hash
            continue
        own_changes = changes if event.sequence == sequence else {}
        for field, value in own_changes.items():
            setattr(event, field, value)
        event.prev_hash = prev_hash
        prev_hash = chained_digest(subject_id=subject.public_id, event=event)
        _raw_update(
            ConsentEvent.objects.filter(pk=event.pk),
            prev_hash=event.prev_hash,
            hash=prev_hash,
            **own_changes,
        )
    return prev_hash


SEAL_FAILS = (
    "was rewritten and its hash recomputed: its seal does not match "
    "(or it was sealed with a key Tactful no longer has)"
)
HEAD_ALTERED = "the chain head (its length and last hash) was altered: its seal does not match"


def test_events_append__a_history__links_each_event_to_the_previous(history):
    # Given a history of four events

    # When
    links = [(e.sequence, e.prev_hash, e.hash) for e in history]

    # Then
    assert [sequence for sequence, _, _ in links] == [1, 2, 3, 4]
    assert links[0][1] == ""
    for (_, _, previous), (_, prev_hash, _) in itertools.pairwise(links):
        assert prev_hash == previous
    assert len({digest for _, _, digest in links}) == 4


def test_events_append__each_event__records_the_notice_in_force_and_no_identifiers(history):
    # Given
    notice = NoticeVersion.objects.get(version=1)

    # When
    field_names = {field.name for field in ConsentEvent._meta.get_fields()}

    # Then
    assert {event.notice_id for event in history} == {notice.pk}
    assert not field_names & {"ip", "ip_address", "user_agent", "url", "referrer"}


def test_events_append__a_history__seals_each_event_and_the_head(subject, history):
    # Given a history of four events

    # When
    stored = Subject.objects.get(pk=subject.pk)

    # Then each event and the head carry a seal, and the head names the last event
    assert all(len(event.seal) == 64 for event in history)
    assert len({event.seal for event in history}) == 4
    assert (stored.chain_length, stored.chain_head) == (4, history[-1].hash)
    assert len(stored.chain_seal) == 64


def test_subject_chain_verify__untouched__is_ok(subject, history):
    # Given

    # When
    report = subject_chain_verify(subject=subject)

    # Then
    assert (report.ok, report.length, report.problems) == (True, 4, ())


def test_subject_chain_verify__new_subject__is_ok(subject):
    # Given a subject that never chose

    # When
    report = subject_chain_verify(subject=subject)

    # Then its empty, sealed chain holds
    assert (report.ok, report.length) == (True, 0)


@pytest.mark.parametrize(
    ("tamper", "broken_at", "problem"),
    [
        (
            lambda events: _raw_update(events.filter(sequence=2), granted=True),
            2,
            "event #2 was changed after it was written",
        ),
        (
            lambda events: _raw_update(events.filter(sequence=1), control="forged"),
            1,
            "event #1 was changed after it was written",
        ),
        (
            lambda events: _raw_delete(events.filter(sequence=2)),
            2,
            "event #2 is missing or out of order",
        ),
        (
            lambda events: _raw_update(events.filter(sequence=4), raw_signal=""),
            4,
            "event #4 was changed after it was written",
        ),
        (
            lambda events: _raw_update(events.filter(sequence=3), seal="0" * 64),
            3,
            "event #3 was rewritten and its hash recomputed: its seal does not match",
        ),
        (
            lambda events: _raw_update(events.filter(sequence=3), seal=""),
            3,
            "event #3 has no seal: Tactful did not write it",
        ),
    ],
    ids=[
        "flipped-choice",
        "edited-control",
        "removed-event",
        "erased-signal",
        "forged-seal",
        "unsealed",
    ],
)
def test_subject_chain_verify__tampered__reports_where(
    subject, history, tamper, broken_at, problem
):
    # Given
    tamper(ConsentEvent.objects.filter(subject=subject))

    # When
    report = subject_chain_verify(subject=subject)

    # Then
    assert report.ok is False
    assert report.broken_at == broken_at
    assert report.problems[0].startswith(problem)


def test_subject_chain_verify__event_rewritten_and_rehashed_by_sql__fails_on_its_seal(
    subject, history
):
    # Given a tamperer who flips the refusal of measurement into a grant, recomputes every hash
    # after it, moves the head to the new last hash and makes the projection agree
    last_hash = _rehash_from(subject, 2, granted=True, kind="grant")
    _raw_update(Subject.objects.filter(pk=subject.pk), chain_head=last_hash)
    _raw_update(
        ConsentState.objects.filter(subject=subject, purpose__key="measurement"),
        granted=True,
        expires_at=history[1].created_at + timedelta(days=395),
    )

    # When
    problems = _problems(subject)

    # Then the hashes hold, but neither the event's seal nor the head's does
    assert problems == (f"event #2 {SEAL_FAILS}", HEAD_ALTERED)


def test_subject_chain_verify__last_event_deleted__head_says_longer(subject, history):
    # Given a tamperer who deletes the GPC signal and its traces in the projection
    _raw_delete(ConsentEvent.objects.filter(subject=subject, sequence=4))
    _raw_update(Subject.objects.filter(pk=subject.pk), gpc_at=None)
    _raw_delete(ConsentState.objects.filter(subject=subject, purpose__key="advertising"))

    # When
    report = subject_chain_verify(subject=subject)

    # Then the head, sealed at four events, gives it away
    assert (report.length, report.broken_at) == (3, None)
    assert report.problems == (
        "the chain ends at event #3 but its head records 4 events: the last 1 were deleted",
    )


def test_subject_chain_verify__whole_chain_deleted__head_says_it_existed(subject, history):
    # Given a tamperer who deletes every event, the projection and the GPC mark
    _raw_delete(ConsentEvent.objects.filter(subject=subject))
    _raw_delete(ConsentState.objects.filter(subject=subject))
    _raw_update(Subject.objects.filter(pk=subject.pk), gpc_at=None)

    # When
    problems = _problems(subject)

    # Then
    assert problems == ("all 4 events of the chain were deleted",)


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (
            {"chain_length": 0, "chain_head": "", "chain_seal": ""},
            "the chain head has no seal: Tactful did not write it",
        ),
        ({"chain_length": 0, "chain_head": "", "chain_seal": "f" * 64}, HEAD_ALTERED),
    ],
    ids=["unsealed", "forged"],
)
def test_subject_chain_verify__whole_chain_and_head_wiped__head_seal_fails(
    subject, history, head, problem
):
    # Given a tamperer who also resets the head, as if the subject had never chosen
    _raw_delete(ConsentEvent.objects.filter(subject=subject))
    _raw_delete(ConsentState.objects.filter(subject=subject))
    _raw_update(Subject.objects.filter(pk=subject.pk), gpc_at=None, **head)

    # When
    problems = _problems(subject)

    # Then
    assert problems == (problem,)


def test_subject_chain_verify__state_flipped__projection_differs_from_events(subject, history):
    # Given a tamperer who grants personalization in the projection only
    _raw_update(
        ConsentState.objects.filter(subject=subject, purpose__key="personalization"),
        granted=True,
    )
    at = f"{history[2].created_at:%Y-%m-%d %H:%M:%S} UTC"

    # When
    problems = _problems(subject)

    # Then
    assert problems == (
        f"the current state of personalization says granted (Banner, {at}), "
        f"but its events say not granted (Banner, {at})",
    )


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            lambda states: _raw_delete(states.filter(purpose__key="measurement")),
            "the current state of measurement is missing, but its events say not granted (API, ",
        ),
        (
            lambda states: _raw_update(states.filter(purpose__key="advertising"), source="api"),
            "the current state of advertising says not granted (API, ",
        ),
        (
            lambda states: _raw_update(states.filter(purpose__key="advertising"), source="forged"),
            "the current state of advertising says not granted (forged, ",
        ),
        (
            lambda states: _raw_update(
                states.filter(purpose__key="measurement"), control="gpc-reconsent"
            ),
            "the current state of measurement says not granted as a re-consent over GPC (API, ",
        ),
    ],
    ids=["deleted", "source-changed", "source-unknown", "control-changed"],
)
def test_subject_chain_verify__state_edited__projection_differs(subject, history, tamper, problem):
    # Given
    tamper(ConsentState.objects.filter(subject=subject))

    # When
    problems = _problems(subject)

    # Then
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_subject_chain_verify__state_without_event__reported(subject):
    # Given an advertising grant written into the projection, with no event behind it
    consent_update(subject=subject, purposes={"measurement": True}, source="api")
    state = ConsentState.objects.get(subject=subject)
    ConsentState.objects.create(
        subject=subject,
        purpose=Purpose.objects.get(key="advertising"),
        granted=True,
        source=Source.API,
        updated_at=state.updated_at,
        expires_at=state.expires_at,
    )

    # When
    problems = _problems(subject)

    # Then
    assert len(problems) == 1
    assert problems[0].startswith("the current state of advertising says granted (API, ")
    assert problems[0].endswith("but no event decides it")


def test_subject_chain_verify__grant_extended__reported(subject):
    # Given a grant whose expiry was pushed back in the projection
    consent_update(subject=subject, purposes={"measurement": True}, source="api")
    state = ConsentState.objects.get(subject=subject)
    _raw_update(ConsentState.objects.filter(pk=state.pk), expires_at=None)

    # When
    problems = _problems(subject)

    # Then
    assert len(problems) == 1
    assert problems[0].startswith("the grant of measurement is recorded to last until ever")


def test_subject_chain_verify__grant_shortened__is_ok(subject):
    # Given a grant that lapses sooner than its event allows (as after a shorter grant period)
    consent_update(subject=subject, purposes={"measurement": True}, source="api")
    state = ConsentState.objects.get(subject=subject)
    _raw_update(ConsentState.objects.filter(pk=state.pk), expires_at=state.updated_at)

    # When
    report = subject_chain_verify(subject=subject)

    # Then it errs on the safe side, so it holds
    assert report.ok


def test_subject_chain_verify__gpc_mark_removed__reported(subject, history):
    # Given a tamperer who removes the subject's GPC mark
    _raw_update(Subject.objects.filter(pk=subject.pk), gpc_at=None)
    at = f"{history[3].created_at:%Y-%m-%d %H:%M:%S} UTC"

    # When
    problems = _problems(subject)

    # Then
    assert problems == (
        f"the subject records Global Privacy Control never, but its events record it at {at}",
    )


def test_subject_chain_verify__erased_with_proof__holds(subject, history):
    # Given an erasure that kept the proof: no projection is left, not even the GPC mark
    _raw_delete(ConsentState.objects.filter(subject=subject))
    _raw_update(
        Subject.objects.filter(pk=subject.pk), erased_at=history[-1].created_at, gpc_at=None
    )

    # When
    report = subject_chain_verify(subject=subject)

    # Then
    assert (report.ok, report.length) == (True, 4)


def test_subject_chain_verify__notice_text_changed_after_publishing__is_broken(subject, history):
    # Given someone rewrote the published notice the events refer to
    _raw_update(NoticeVersion.objects.filter(version=1), text="We never said that.")

    # When
    problems = _problems(subject)

    # Then
    assert problems == (
        "the text of notice v1 (named by event #1) was changed after it was published",
    )


def test_events_append__after_a_deleted_tail__continues_from_the_head(subject, history):
    # Given a deleted last event
    _raw_delete(ConsentEvent.objects.filter(subject=subject, sequence=4))

    # When the visitor chooses again
    consent_update(subject=subject, purposes={"measurement": True}, source="api")

    # Then the new event goes on from the head, leaving the deletion visible
    assert list(subject.consent_events.values_list("sequence", flat=True)) == [1, 2, 3, 5]
    assert _problems(subject)[0] == "event #4 is missing or out of order"


def test_subject_chain_verify__key_rotated_with_fallback__holds(subject, history, settings):
    # Given a new chain key, the old one (derived from SECRET_KEY) kept as a fallback
    settings.TACTFUL = {
        **settings.TACTFUL,
        "CHAIN_KEY": "a-new-chain-key",
        "CHAIN_KEY_FALLBACKS": [settings.SECRET_KEY],
    }

    # When
    report = subject_chain_verify(subject=subject)

    # Then
    assert report.ok


def test_subject_chain_verify__other_key__fails_every_seal(subject, history, settings):
    # Given events sealed under another key than the one Tactful has now
    settings.TACTFUL = {**settings.TACTFUL, "CHAIN_KEY": "not-the-key-that-sealed-them"}

    # When
    problems = _problems(subject)

    # Then the first event and the head fail their seals
    assert problems == (f"event #1 {SEAL_FAILS}", HEAD_ALTERED)


def test_chain_anchor_migration__chains_from_before__sealed_as_found(subject, history):
    # Given chains as they were before seals existed
    _raw_update(ConsentEvent.objects.all(), seal="")
    _raw_update(Subject.objects.all(), chain_length=0, chain_head="", chain_seal="")
    state = MigrationLoader(connection).project_state(("consent", "0006_chain_anchor"))
    migration = importlib.import_module("consent.migrations.0006_chain_anchor")

    # When the data migration runs, on the models as they were then
    migration.seal_existing_chains(state.apps, None)

    # Then they verify, trusted as of now
    assert subject_chain_verify(subject=subject).ok


def test_chains_verify_all__many_subjects__one_pass_of_three_queries(
    subject_factory, django_assert_num_queries
):
    # Given ten subjects with chains
    for _ in range(10):
        consent_update(
            subject=subject_factory(),
            purposes={"personalization": True, "measurement": False},
            source="api",
        )

    # When every chain is verified
    with django_assert_num_queries(3):
        reports = list(chains_verify_all())

    # Then subjects, events and states were each read once
    assert [(report.ok, report.length) for report in reports] == [(True, 2)] * 10


def test_verify_consent_chains__all_intact__reports_them(subject, subject_factory, history, capsys):
    # Given a second subject's chain
    consent_update(subject=subject_factory(), purposes={"measurement": True}, source="api")

    # When
    call_command("verify_consent_chains")

    # Then
    assert "2 chains verified (5 events); 0 failed." in capsys.readouterr().out


def test_verify_consent_chains__tampered__fails_naming_each_problem(subject, history, capsys):
    # Given an edited event and a deleted tail
    _raw_update(ConsentEvent.objects.filter(subject=subject, sequence=3), kind="grant")
    _raw_delete(ConsentEvent.objects.filter(subject=subject, sequence=4))

    # When
    with pytest.raises(CommandError):
        call_command("verify_consent_chains")

    # Then each problem is a line naming the subject
    err = capsys.readouterr().err.splitlines()
    assert f"FAILED {subject.public_id}: event #3 was changed after it was written." in err
    assert (
        f"FAILED {subject.public_id}: the chain ends at event #3 but its head records 4 events: "
        "the last 1 were deleted."
    ) in err


def test_verify_consent_chains__reseal_after_rotation__old_key_can_go(
    subject, subject_factory, history, settings, capsys
):
    # Given a rotated key, the old one a fallback, and a second subject whose chain was tampered
    tampered = subject_factory()
    consent_update(subject=tampered, purposes={"measurement": True}, source="api")
    _raw_update(ConsentEvent.objects.filter(subject=tampered), control="forged")
    old_key = settings.SECRET_KEY
    settings.TACTFUL = {**settings.TACTFUL, "CHAIN_KEY": "new", "CHAIN_KEY_FALLBACKS": [old_key]}

    # When the chains are verified and resealed, and the old key is dropped
    with pytest.raises(CommandError):
        call_command("verify_consent_chains", "--reseal")
    settings.TACTFUL = {**settings.TACTFUL, "CHAIN_KEY_FALLBACKS": []}

    # Then the intact chain holds under the new key alone; the tampered one was not laundered
    assert "1 resealed under the current key, 0 already were; 1 not resealed" in (
        capsys.readouterr().out
    )
    assert subject_chain_verify(subject=subject).ok
    assert _problems(tampered)[0] == "event #1 was changed after it was written"
    assert Subject.objects.get(pk=tampered.pk).chain_seal != ""
