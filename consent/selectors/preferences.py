"""Preference reads: the registry of keys and values, as visitors and explanations see it."""

from dataclasses import dataclass

from django.db.models import QuerySet

from consent.models import PreferenceKey, Subject, SubjectPreferences


def preference_keys() -> QuerySet[PreferenceKey]:
    return PreferenceKey.objects.prefetch_related("options").order_by("order", "key")


@dataclass(frozen=True, slots=True)
class PreferenceSpec:
    """One registry key with its allowed values, in display order."""

    key: str
    label: str
    noun: str
    description: str
    multiple: bool
    options: tuple[tuple[str, str], ...]  # (value, label)

    def value_label(self, value: str) -> str:
        return dict(self.options).get(value, value)


def preference_specs() -> dict[str, PreferenceSpec]:
    return {
        key.key: PreferenceSpec(
            key=key.key,
            label=key.label,
            noun=key.noun,
            description=key.description,
            multiple=key.multiple,
            options=tuple((option.value, option.label) for option in key.options.all()),
        )
        for key in preference_keys()
    }


def preferences_stored(*, subject: Subject) -> dict[str, list[str]]:
    """What the subject chose, read from the database (not the cache)."""
    values = (
        SubjectPreferences.objects.filter(subject=subject).values_list("values", flat=True).first()
    )
    return dict(values or {})
