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


def decide_for(*, subject_id, granted, attributes, placements=None):
    """The engine's decisions for a sample visitor on the current snapshot, served to nobody."""
    from consent.selectors import ConsentSnapshot
    from personalization.serving import decide_on
    from personalization.snapshot import snapshot_current

    consent = ConsentSnapshot(subject_id=subject_id, purposes=dict.fromkeys(granted, True))
    return decide_on(
        snapshot_current(), consent=consent, attributes=attributes, placements=placements
    )
