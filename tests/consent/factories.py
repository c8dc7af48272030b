"""factory-boy factories for consent models."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from consent.models import NoticeVersion, PreferenceKey, PreferenceOption, Purpose, Subject


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"visitor{n}")


class PurposeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purpose
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"purpose-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").capitalize())
    description = "Plain-language description."
    example = "A concrete example."
    retention_days = 30
    order = factory.Sequence(lambda n: 100 + n)


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject


class NoticeVersionFactory(factory.django.DjangoModelFactory):
    """A draft notice; the seeded version 1 is already published."""

    class Meta:
        model = NoticeVersion

    version = factory.Sequence(lambda n: 2 + n)
    title = factory.LazyAttribute(lambda o: f"Notice v{o.version}")
    text = factory.LazyAttribute(lambda o: f"What we do with data, version {o.version}.")
    language = "en"
    reconsent_purposes = factory.LazyFunction(list)
    created_at = factory.LazyFunction(timezone.now)


class PreferenceKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PreferenceKey
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"topic-{n}")
    label = factory.LazyAttribute(lambda o: o.key.capitalize())
    noun = "topic"
    multiple = True


class PreferenceOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PreferenceOption
        django_get_or_create = ("preference", "value")

    preference = factory.SubFactory(PreferenceKeyFactory)
    value = factory.Sequence(lambda n: f"value-{n}")
    label = factory.LazyAttribute(lambda o: o.value.capitalize())
