"""Admin forms: the Preview's sample visitor."""

from typing import Any

from django import forms

from consent.selectors import purpose_keys

NAMESPACE_HELP = {
    "context": 'Sent by the page with each request, e.g. {"device": "mobile", "utm_campaign": '
    '"spring-sale"}.',
    "prefs": 'Set by the visitor in the privacy center, e.g. {"interests": ["outdoor"]}.',
    "signals": "Short-lived behaviour, e.g. "
    '{"product_view": {"count_30m": 3, "category": {"shoes": {"count_30m": 3}}}}.',
}


class JsonObjectField(forms.JSONField):
    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        if result in (None, ""):
            return {}
        if not isinstance(result, dict):
            raise forms.ValidationError("Enter a JSON object, e.g. {}.")
        return result


class PreviewForm(forms.Form):
    context = JsonObjectField(required=False, initial=dict, help_text=NAMESPACE_HELP["context"])
    prefs = JsonObjectField(required=False, initial=dict, help_text=NAMESPACE_HELP["prefs"])
    signals = JsonObjectField(required=False, initial=dict, help_text=NAMESPACE_HELP["signals"])
    purposes = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Purposes the sample visitor has granted (necessary is always on).",
    )
    subject_id = forms.CharField(
        required=False,
        initial="preview-visitor",
        max_length=64,
        help_text="Pseudonymous id used for experiment and rollout bucketing; blank = anonymous.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(key, key) for key in purpose_keys() if key != "necessary"]
        self.fields["purposes"].choices = choices  # type: ignore[attr-defined]
        for name in ("context", "prefs", "signals"):
            self.fields[name].widget = forms.Textarea(attrs={"rows": 3, "cols": 80})
