"""The reports API's JSON: an experiment's or a placement's results, as the admin shows them."""

from typing import Any

from rest_framework import serializers

from personalization.outcomes.reports import GoalResult


class IntervalSerializer(serializers.Serializer[Any]):
    estimate = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class PointSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    estimate = serializers.FloatField(source="interval.estimate")
    low = serializers.FloatField(source="interval.low")
    high = serializers.FloatField(source="interval.high")


class ComparisonSerializer(serializers.Serializer[Any]):
    absolute = IntervalSerializer(help_text="Treatment - control, in the metric's unit.")
    relative = IntervalSerializer(
        allow_null=True, help_text="(Treatment - control) / control; null if the control is 0."
    )
    p_value = serializers.FloatField(
        help_text="Two-sided: pooled two-proportion z-test (rates), Welch's t-test (values)."
    )
    chance_to_beat = serializers.FloatField(
        help_text="Posterior probability of being better than the control (flat priors)."
    )
    expected_loss = serializers.FloatField(
        help_text="Expected harm, in the metric's unit, if this group is chosen."
    )
    significant = serializers.BooleanField()
    better = serializers.BooleanField(help_text="Significant, in the good direction.")
    worse = serializers.BooleanField(help_text="Significant, in the bad direction.")


class SequentialSerializer(serializers.Serializer[Any]):
    p_value = serializers.FloatField(help_text="Always-valid (mSPRT) p-value over every day.")
    interval = IntervalSerializer(help_text="Always-valid interval of the relative lift.")


class GroupResultSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField(source="label")
    control = serializers.BooleanField()
    shown = serializers.BooleanField(help_text="False: fewer than k visitors, no figures.")
    visitors = serializers.IntegerField(allow_null=True)
    converters = serializers.IntegerField(allow_null=True)
    estimate = IntervalSerializer(allow_null=True, help_text="Rate or mean, 95 % interval.")
    comparison = ComparisonSerializer(allow_null=True)
    sequential = SequentialSerializer(allow_null=True)
    series = PointSerializer(many=True, help_text="Cumulative rate or mean on chart days.")
    lift_series = PointSerializer(many=True, help_text="Cumulative relative lift on chart days.")


class GoalResultSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    metric = serializers.SerializerMethodField()
    higher_is_better = serializers.BooleanField()
    guardrail = serializers.BooleanField()
    minimum_effect = serializers.FloatField(help_text="Relative change to detect, in percent.")
    visitors_needed = serializers.IntegerField(
        allow_null=True, help_text="Per group, for the minimum effect at 80 % power."
    )
    harmed = serializers.ListField(
        child=serializers.CharField(), help_text="Groups significantly worse on a guardrail."
    )
    groups = GroupResultSerializer(many=True)

    def get_metric(self, result: GoalResult) -> str:
        return "binary" if result.binary else "value"


class GroupSummarySerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField(source="label")
    control = serializers.BooleanField()
    visitors = serializers.IntegerField(allow_null=True, help_text="Null under k visitors.")
    expected_share = serializers.FloatField()


class SampleRatioSerializer(serializers.Serializer[Any]):
    p_value = serializers.FloatField()
    mismatch = serializers.BooleanField(help_text="p < 0.001.")
    observed = serializers.ListField(child=serializers.IntegerField())
    expected = serializers.ListField(child=serializers.FloatField())


class SectionSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    groups = GroupSummarySerializer(many=True)
    sample_ratio = SampleRatioSerializer(allow_null=True)
    visitors_so_far = serializers.IntegerField(
        allow_null=True, help_text="The smallest group's visitors, once every group is shown."
    )
    warnings = serializers.ListField(child=serializers.CharField())
    goals = GoalResultSerializer(many=True)


class PhaseSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(
        help_text="Only visitors first served at this revision or later count."
    )
    started = serializers.DateTimeField(allow_null=True)


class ReportSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["experiment", "placement"])
    key = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    k = serializers.IntegerField(help_text="Groups under k visitors show no figures.")
    generated_at = serializers.DateTimeField()
    attribution_seconds = serializers.FloatField()
    control = serializers.CharField(help_text="The group the others are compared with.")
    phase = PhaseSerializer(
        help_text="Since when: the last change of the experiment's split or the holdout."
    )
    current = serializers.SerializerMethodField(
        help_text="False when the latest aggregates could not be read (store down)."
    )
    notes = serializers.ListField(child=serializers.CharField())
    sections = SectionSerializer(many=True)

    def get_current(self, report: Any) -> bool:
        return bool(self.context.get("current", True))
