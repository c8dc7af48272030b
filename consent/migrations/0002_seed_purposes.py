"""Seed the four built-in purposes with plain-language texts and their TCF / Consent Mode mappings."""

from django.db import migrations

# TCF v2.2 purposes: 1 store/access on a device, 2 limited data for ads, 3-4 ad profiles,
# 5-6 content profiles, 7 ad measurement, 8 content measurement, 9 audience statistics,
# 10 develop and improve services. Strictly necessary processing is not a TCF purpose.
PURPOSES = [
    {
        "key": "necessary",
        "name": "Strictly necessary",
        "description": (
            "Remembers the privacy choices you make here and keeps the site secure and working. "
            "It cannot be switched off: without it we could not even remember that you said no."
        ),
        "example": (
            "A cookie that records which purposes you allowed, so we do not ask you again on "
            "every page."
        ),
        "retention_days": 395,
        "always_on": True,
        "tcf_purposes": [],
        "consent_mode_types": ["functionality_storage", "security_storage"],
        "order": 0,
    },
    {
        "key": "personalization",
        "name": "Personalized content",
        "description": (
            "Uses the interests you tell us and what you did on this site in the last few hours "
            "to choose what we show you first. It stays with us; nothing is shared with other "
            "companies, and recent activity is forgotten within a day."
        ),
        "example": (
            "After you look at hiking boots, the home page shows outdoor gear before anything else."
        ),
        "retention_days": 30,
        "always_on": False,
        "tcf_purposes": [1, 5, 6],
        "consent_mode_types": ["personalization_storage"],
        "order": 10,
    },
    {
        "key": "measurement",
        "name": "Measurement",
        "description": (
            "Counts how pages and experiments perform so we can improve the site. Results are "
            "only ever reported for large groups of visitors, never for you alone."
        ),
        "example": (
            "Comparing whether more visitors finish checkout with the new checkout page or "
            "with the old one."
        ),
        "retention_days": 90,
        "always_on": False,
        "tcf_purposes": [1, 8, 9, 10],
        "consent_mode_types": ["analytics_storage"],
        "order": 20,
    },
    {
        "key": "advertising",
        "name": "Advertising and sharing",
        "description": (
            "Lets us use data about your visit, and share it with advertising partners, to show "
            "you ads here and on other sites and to measure those ads. Privacy laws call this "
            "selling or sharing; a Global Privacy Control signal from your browser turns it off."
        ),
        "example": "An ad for the jacket you looked at here appears later on another website.",
        "retention_days": 30,
        "always_on": False,
        "tcf_purposes": [1, 2, 3, 4, 7],
        "consent_mode_types": ["ad_storage", "ad_user_data", "ad_personalization"],
        "order": 30,
    },
]


def seed(apps, schema_editor):
    Purpose = apps.get_model("consent", "Purpose")
    for fields in PURPOSES:
        Purpose.objects.update_or_create(key=fields["key"], defaults=fields)


def unseed(apps, schema_editor):
    Purpose = apps.get_model("consent", "Purpose")
    Purpose.objects.filter(key__in=[fields["key"] for fields in PURPOSES]).delete()


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
