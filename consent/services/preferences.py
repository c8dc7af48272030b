"""Preference writes: a subject's choices, and the registry of keys and values they come from."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from consent.exceptions import ConsentRequired, SensitiveData, UnknownPreference
from consent.firewall import sensitive_problems
from consent.models import (
    PERSONALIZATION,
    PreferenceKey,
    PreferenceOption,
    Subject,
    SubjectChange,
    SubjectPreferences,
)
from consent.selectors import consent_record_load, consent_snapshot_build, preference_specs
from consent.services.announce import change_commit
from consent.services.consent import subject_lock

MAX_VALUES = 50


def _validated(preferences: Mapping[str, Any]) -> dict[str, list[str]]:
    keys = [str(key) for key in preferences]
    values = [
        str(value)
        for chosen in preferences.values()
        if isinstance(chosen, list)
        for value in chosen
    ]
    if problems := sensitive_problems(keys=keys, values=values):
        raise SensitiveData(problems[0], details={"problems": problems})
    specs = preference_specs()
    unknown = sorted(set(keys) - set(specs))
    if unknown:
        raise UnknownPreference(
            f"Unknown preference: {', '.join(unknown)}.",
            details={"unknown": unknown, "known": sorted(specs)},
        )
    clean: dict[str, list[str]] = {}
    for key, chosen in preferences.items():
        spec = specs[key]
        if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
            raise UnknownPreference(
                f"{key}: a list of values.", details={"key": key, "allowed": spec.options}
            )
        allowed = [value for value, _ in spec.options]
        wrong = sorted(set(chosen) - set(allowed))
        if wrong:
            raise UnknownPreference(
                f"{key}: not an allowed value: {', '.join(wrong)}.",
                details={"key": key, "unknown": wrong, "allowed": allowed},
            )
        if len(set(chosen)) > (MAX_VALUES if spec.multiple else 1):
            raise UnknownPreference(
                f"{key}: choose at most one value.", details={"key": key, "allowed": allowed}
            )
        # Registry order, no duplicates: the same choice always reads the same.
        clean[key] = [value for value in allowed if value in chosen]
    return clean


def preferences_update(*, subject: Subject, preferences: Mapping[str, Any]) -> dict[str, list[str]]:
    """Set the keys given (an empty list clears one); the others keep their values.

    Refuses, before writing, sensitive keys or values, keys or values outside the registry,
    and any change while `personalization` is not granted (preferences serve nothing else).
    """
    clean = _validated(preferences)
    with transaction.atomic():
        subject = subject_lock(subject)
        record = consent_record_load(subject_id=subject.public_id)
        snapshot = consent_snapshot_build(subject_id=subject.public_id, record=record)
        if not snapshot.allows(PERSONALIZATION):
            raise ConsentRequired(
                "Preferences are used only for personalized content: grant it first.",
                details={"purpose": PERSONALIZATION},
            )
        stored = SubjectPreferences.objects.filter(subject=subject).first()
        values = {**(stored.values if stored else {}), **clean}
        values = {key: chosen for key, chosen in values.items() if chosen}
        if stored is not None and stored.values == values:
            return values
        SubjectPreferences.objects.update_or_create(
            subject=subject, defaults={"values": values, "updated_at": timezone.now()}
        )
        # The next decision reads the new preferences at once, on every transport.
        change_commit(subject=subject, kind=SubjectChange.Kind.PREFERENCES)
    return values


def _strip(*, key: str, value: str | None = None) -> None:
    """Remove a registry key (or one of its values) from every subject's stored choice."""
    chosen_by = SubjectPreferences.objects.select_related("subject").filter(values__has_key=key)
    for stored in chosen_by.select_for_update(of=("self",)):
        values = dict(stored.values)
        values[key] = [] if value is None else [v for v in values[key] if v != value]
        stored.values = {k: chosen for k, chosen in values.items() if chosen}
        stored.save(update_fields=["values"])
        change_commit(subject=stored.subject, kind=SubjectChange.Kind.PREFERENCES)


def preference_key_save(*, preference: PreferenceKey) -> PreferenceKey:
    """Validate (sensitive-data firewall included) and save a registry key."""
    preference.full_clean()
    with transaction.atomic():
        preference.save()
    return preference


def preference_key_delete(*, preference: PreferenceKey) -> None:
    with transaction.atomic():
        _strip(key=preference.key)
        preference.delete()


def preference_option_save(*, option: PreferenceOption) -> PreferenceOption:
    """Validate (sensitive-data firewall included) and save an allowed value."""
    option.full_clean()
    with transaction.atomic():
        before = PreferenceOption.objects.filter(pk=option.pk).values_list("value", flat=True)
        renamed_from = before.first() if option.pk is not None else None
        if renamed_from is not None and renamed_from != option.value:
            # Nobody chose the new value: the old one leaves every stored choice.
            _strip(key=option.preference.key, value=renamed_from)
        option.save()
    return option


def preference_option_delete(*, option: PreferenceOption) -> None:
    with transaction.atomic():
        _strip(key=option.preference.key, value=option.value)
        option.delete()
