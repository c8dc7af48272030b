"""The segment form and the builder's live check: catalogue, everyone, errors at the field."""

import json

import pytest
from django.urls import reverse

from consent.permissions import MARKETERS, PRIVACY_OFFICERS
from personalization.models import Segment

pytestmark = pytest.mark.django_db

SHOES_30M = "signals.product_view.category.shoes.count_30m"


def segment_post(client, condition, **extra):
    data = {"key": "s", "name": "S", "description": "", "condition": condition, **extra}
    return client.post(reverse("admin:personalization_segment_add"), data)


def check(client, condition, **extra):
    body = json.dumps({"condition": condition, **extra})
    return client.post(
        reverse("admin:personalization_segment_check"), body, content_type="application/json"
    )


def test_admin_segment__empty_condition__saved_for_everyone(admin_client):
    # When a marketer saves a segment with no condition at all
    response = segment_post(admin_client, "")
    # Then it is a segment for everyone
    assert response.status_code == 302
    assert Segment.objects.get(key="s").condition == {}


def test_admin_segment__mistyped_signal__error_at_the_field_and_nothing_saved(admin_client, demo):
    # When a marketer types product_veiw for product_view
    response = segment_post(
        admin_client, json.dumps({"signals.product_veiw.category.shoes.count_30m": {"$gte": 3}})
    )
    # Then the form says so at the condition, with the fix, and saves nothing
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["condition"]
    assert any(f'Did you mean "{SHOES_30M}"?' in error for error in errors)
    assert not Segment.objects.filter(key="s").exists()


def test_admin_segment__free_form_context__saved_with_a_warning(admin_client, demo):
    # When an undeclared context attribute is explicitly allowed
    response = segment_post(
        admin_client, json.dumps({"context.basket_size": {"$gt": 2}}), allow_free_form="on"
    )
    # Then it is saved, and the marketer is warned
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("not a declared context attribute" in m for m in messages)


def test_admin_segment__sensitive_value__plain_words_at_the_field(admin_client, demo):
    response = segment_post(admin_client, json.dumps({"context.page": "diabetes-guide"}))
    errors = response.context["adminform"].form.errors["condition"]
    assert errors == [
        'The value "diabetes-guide" can\'t be used: the word "diabet" touches health, a '
        "sensitive category that Tactful never personalizes on."
    ]


def test_segment_check__builder_condition__purposes_meaning_and_sample_match(admin_client, demo):
    # When the builder asks about "mobile visitors who viewed shoes three times in 30 minutes"
    condition = {"context.device": "mobile", SHOES_30M: {"$gte": 3}}
    sample = {
        "context": {"device": "mobile"},
        "signals": {"product_view": {"category": {"shoes": {"count_30m": 3}}}},
    }
    response = check(admin_client, condition, sample=sample)
    # Then it learns the purposes it needs, what it means, and that the sample is in it
    report = response.json()
    assert report["valid"] is True
    assert report["purposes"] == ["personalization"]
    assert report["description"].startswith("Device is mobile and Product view with category shoes")
    assert report["match"] is True
    assert (
        check(admin_client, condition, sample={"context": {"device": "desktop"}}).json()["match"]
        is False
    )


def test_segment_check__bad_rows__problems_by_row(admin_client, demo):
    condition = {"context.device": {"$nope": 1}, "signals.product_veiw.count_30m": {"$gte": 1}}
    report = check(admin_client, condition).json()
    assert report["valid"] is False
    assert 'Unknown operator "$nope"' in report["rows"]["context.device"][0]
    assert "Did you mean" in report["rows"]["signals.product_veiw.count_30m"][0]


@pytest.mark.parametrize(
    ("body", "status"),
    [("not json", 400), ("[1]", 400), (json.dumps({"condition": {"c": 1}}).ljust(40_000), 413)],
)
def test_segment_check__malformed_body__4xx(admin_client, body, status):
    response = admin_client.post(
        reverse("admin:personalization_segment_check"), body, content_type="application/json"
    )
    assert response.status_code == status
    assert "error" in response.json()


def test_segment_check__without_segment_permission__forbidden(staff):
    assert check(staff(PRIVACY_OFFICERS), {}).status_code == 403
    assert check(staff(MARKETERS), {}).status_code == 200


def test_admin_preview__without_placement_permission__forbidden(staff, demo):
    # Given a privacy officer, who may not see placements
    client = staff(PRIVACY_OFFICERS)
    # When they open or post the Preview
    url = reverse("admin:personalization_preview")
    # Then it is refused, while a marketer gets it
    assert client.get(url).status_code == 403
    assert client.post(url, {"context": "{}"}).status_code == 403
    assert staff(MARKETERS).get(url).status_code == 200


def test_marketer__context_attributes__can_declare_one(staff):
    # Given a marketer
    client = staff(MARKETERS)
    # When they declare a context attribute
    response = client.post(
        reverse("admin:personalization_contextkey_add"),
        {"key": "basket_size", "label": "Basket size", "type": "number", "values": "[]"},
    )
    # Then segments can pick it by name
    assert response.status_code == 302
    from personalization.workspace.catalogue import attribute_catalogue

    assert attribute_catalogue().label("context.basket_size") == "Basket size"
