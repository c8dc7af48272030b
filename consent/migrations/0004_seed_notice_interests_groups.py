"""Seed the first published notice, the `interests` preference, and the two staff groups."""

import hashlib

import orjson
from django.db import migrations
from django.utils import timezone

GROUPS = ["Marketers", "Privacy officers"]

NOTICE = {
    "version": 1,
    "title": "How this site uses your data",
    "language": "en",
    "reconsent_purposes": [],
    "text": (
        "We only use data about your visit for the purposes you allow, and you can change your "
        "mind at any time in the privacy center, as easily as you agreed.\n\n"
        "Strictly necessary: remembers your privacy choices and keeps the site secure. It "
        "cannot be switched off.\n\n"
        "Personalized content: uses the interests you choose and what you did on this site in "
        "the last few hours to choose what we show you first. Recent activity is forgotten "
        "within a day; your interests are kept until you change them or erase your data.\n\n"
        "Measurement: counts how pages and experiments perform, reported only for large groups "
        "of visitors.\n\n"
        "Advertising and sharing: lets us and advertising partners use data about your visit "
        "for ads here and elsewhere. A Global Privacy Control signal from your browser turns it "
        "off.\n\n"
        "We never use health, sexual orientation, religion, political opinions, ethnic origin, "
        "trade-union membership, biometric data or your precise location to personalize "
        "anything. You can download everything we hold about your browser, or erase it, from "
        "the privacy center. Your choices are valid for 13 months, then we ask again."
    ),
}

INTERESTS = {
    "key": "interests",
    "label": "Interests",
    "noun": "interest",
    "description": "Topics you would like to see first.",
    "multiple": True,
    "order": 0,
}
OPTIONS = [("outdoor", "Outdoor"), ("running", "Running"), ("fashion", "Fashion"), ("home", "Home")]


def _content_hash(notice):
    # A frozen copy of NoticeVersion.content_digest as it was when this migration was written.
    content = {k: notice[k] for k in ("version", "title", "text", "language")}
    content["reconsent_purposes"] = sorted(notice["reconsent_purposes"])
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def seed(apps, schema_editor):
    NoticeVersion = apps.get_model("consent", "NoticeVersion")
    PreferenceKey = apps.get_model("consent", "PreferenceKey")
    PreferenceOption = apps.get_model("consent", "PreferenceOption")
    Group = apps.get_model("auth", "Group")
    now = timezone.now()
    if not NoticeVersion.objects.exists():
        NoticeVersion.objects.create(
            **NOTICE, published_at=now, effective_at=now, content_hash=_content_hash(NOTICE)
        )
    interests, _ = PreferenceKey.objects.get_or_create(key=INTERESTS["key"], defaults=INTERESTS)
    for order, (value, label) in enumerate(OPTIONS):
        PreferenceOption.objects.get_or_create(
            preference=interests, value=value, defaults={"label": label, "order": order}
        )
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_chain_notices_preferences"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
