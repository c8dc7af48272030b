"""factory-boy factories for the personalization models."""

import factory

from personalization.models import Placement, Rule, Segment, Variant


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"segment-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").title())
    condition = factory.LazyFunction(lambda: {"context.device": "mobile"})


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Placement
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"placement-{n}")
    name = factory.LazyAttribute(lambda o: o.key.title())
    value_type = "string"
    default_value = "default-value"


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    placement = factory.SubFactory(PlacementFactory)
    key = factory.Sequence(lambda n: f"variant-{n}")
    value = factory.LazyAttribute(lambda o: o.key)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    placement = factory.SubFactory(PlacementFactory)
    order = factory.Sequence(lambda n: (n + 1) * 10)
    segment = factory.SubFactory(SegmentFactory)
    variant = factory.SubFactory(VariantFactory, placement=factory.SelfAttribute("..placement"))
