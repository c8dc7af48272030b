"""Privacy-center forms: plain HTML forms that need no JavaScript; tampering is a form error."""

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms

from consent.selectors import PreferenceSpec

ACCEPT_ALL = "accept_all"
REJECT_ALL = "reject_all"
SAVE = "save"
PREFERENCE_PREFIX = "pref_"


class ConsentChoiceForm(forms.Form):
    """The first layer: Accept all, Reject all, or the ticked purposes (nothing pre-ticked)."""

    action = forms.ChoiceField(
        choices=[(ACCEPT_ALL, "Accept all"), (REJECT_ALL, "Reject all"), (SAVE, "Save choices")]
    )
    purposes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, optional_purposes: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.optional = list(optional_purposes)
        purposes = self.fields["purposes"]
        assert isinstance(purposes, forms.MultipleChoiceField)
        purposes.choices = [(key, key) for key in self.optional]

    def choices(self) -> dict[str, bool]:
        """Every optional purpose → granted, as the visitor chose."""
        action = self.cleaned_data["action"]
        ticked = set(self.cleaned_data["purposes"])
        return {
            key: action == ACCEPT_ALL or (action == SAVE and key in ticked) for key in self.optional
        }


class BannerChoiceForm(forms.Form):
    """A page's consent banner without JavaScript: Accept all or Reject all, then back."""

    choice = forms.ChoiceField(choices=[("accept", "Accept all"), ("reject", "Reject all")])
    next = forms.CharField(required=False, max_length=2000)


class GpcReconsentForm(forms.Form):
    """Advertising again despite Global Privacy Control: explicit, and told of the conflict."""

    confirm = forms.BooleanField(
        label="I know my browser asks sites not to sell or share my data, and I want to allow "
        "advertising and sharing on this site anyway."
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that this erases my data here and cannot be undone."
    )


class PreferencesForm(forms.Form):
    """One field per registry key (`pref_<key>`); any other `pref_` field is refused."""

    def __init__(
        self, *args: Any, specs: Mapping[str, PreferenceSpec], initial_values: Any = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.specs = specs
        for key, spec in specs.items():
            field_class = forms.MultipleChoiceField if spec.multiple else forms.ChoiceField
            widget = forms.CheckboxSelectMultiple if spec.multiple else forms.RadioSelect
            choices = list(spec.options)
            if not spec.multiple:
                choices = [("", "No preference"), *choices]
            self.fields[PREFERENCE_PREFIX + key] = field_class(
                label=spec.label,
                help_text=spec.description,
                choices=choices,
                required=False,
                widget=widget,
                initial=(initial_values or {}).get(key, [] if spec.multiple else ""),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        unknown = sorted(
            name.removeprefix(PREFERENCE_PREFIX)
            for name in self.data
            if name.startswith(PREFERENCE_PREFIX) and name not in self.fields
        )
        if unknown:
            raise forms.ValidationError(f"Unknown preference: {', '.join(unknown)}.")
        return cleaned

    def preferences(self) -> dict[str, list[str]]:
        values = {}
        for key, spec in self.specs.items():
            chosen = self.cleaned_data[PREFERENCE_PREFIX + key]
            values[key] = list(chosen) if spec.multiple else [chosen] if chosen else []
        return values
