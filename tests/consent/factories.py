"""factory-boy factories for consent models."""

import factory
from django.contrib.auth import get_user_model

from consent.models import Purpose, Subject


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
