"""Results reads: an experiment's arms, or a placement's personalized visitors against its
holdout (overall and per rule), per goal, from the daily aggregates in the database.

Only visitors first exposed since the configuration last changed count (a phase): since the
experiment's arms, weights, coverage or seed last changed, since the placement's holdout did.
Mixing visitors split one way with visitors split another would bias every comparison.

A group (an arm, the personalized visitors, the holdout) with fewer than k = `REPORT_MIN_GROUP`
visitors shows no figures at all, not even its size, and is compared with nothing; the sample
ratio is checked only when every group can be shown. Over time, a chart shows a day only when
every group has gained at least k visitors since the day shown before it, so no two points
differ by fewer than k people.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import accumulate
from typing import Any

from django.core.cache import cache

from personalization.models import Experiment, Placement, Revision
from personalization.outcomes.cohorts import Kind
from personalization.outcomes.models import Cohort, CohortDay, Goal, GoalDay
from personalization.outcomes.selectors import attribution_seconds
from personalization.outcomes.statistics import (
    Comparison,
    Interval,
    Sample,
    SampleRatio,
    Sequential,
    compare,
    mean_interval,
    sample_ratio,
    sequential,
    visitors_needed,
)
from personalization.stats.backends.base import report_min_group

HOLDOUT, PERSONALIZED = "holdout", "personalized"


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A column of a results table: the cohorts it sums, its expected share of visitors."""

    key: str
    label: str
    weight: float
    cohorts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GroupSummary:
    key: str
    label: str
    control: bool
    # None when the group has fewer than k visitors.
    visitors: int | None
    expected_share: float


@dataclass(frozen=True, slots=True)
class Point:
    """A cumulative figure on a day: a rate or mean, or a relative lift, with its interval."""

    day: date
    interval: Interval


@dataclass(frozen=True, slots=True)
class GroupResult:
    key: str
    label: str
    control: bool
    shown: bool
    visitors: int | None = None
    converters: int | None = None
    estimate: Interval | None = None
    comparison: Comparison | None = None
    sequential: Sequential | None = None
    series: tuple[Point, ...] = ()
    lift_series: tuple[Point, ...] = ()


@dataclass(frozen=True, slots=True)
class GoalResult:
    key: str
    name: str
    binary: bool
    higher_is_better: bool
    guardrail: bool
    minimum_effect: float
    groups: tuple[GroupResult, ...]
    # Per group, for the goal's minimum effect at the control's observed rate (or variance).
    visitors_needed: int | None
    # Groups significantly worse than the control on a guardrail.
    harmed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """One comparison: its groups, their sample ratio, and the results per goal."""

    key: str
    title: str
    groups: tuple[GroupSummary, ...]
    sample_ratio: SampleRatio | None
    goals: tuple[GoalResult, ...]
    warnings: tuple[str, ...]

    @property
    def visitors_so_far(self) -> int | None:
        """The smallest group's visitors, once every group can be shown."""
        counts = [group.visitors for group in self.groups]
        if not counts or any(count is None for count in counts):
            return None
        return min(count for count in counts if count is not None)


@dataclass(frozen=True, slots=True)
class Phase:
    """The first revision of the current configuration, and when it was published."""

    revision: int
    started: datetime | None


@dataclass(frozen=True, slots=True)
class Report:
    kind: str
    key: str
    name: str
    status: str
    k: int
    generated_at: datetime
    attribution_seconds: float
    control: str
    phase: Phase
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = field(default=())


@dataclass(slots=True)
class _Daily:
    """A group's figures per day: visitors, and per goal (converters, total, squares)."""

    visitors: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    goals: dict[int, dict[date, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
    )


def _daily(groups: Sequence[GroupSpec], since: int) -> dict[str, _Daily]:
    owner = {cohort: group.key for group in groups for cohort in group.cohorts}
    daily = {group.key: _Daily() for group in groups}
    current = {"cohort__in": owner, "revision__gte": since}
    for cohort, day, visitors in CohortDay.objects.filter(**current).values_list(
        "cohort", "day", "visitors"
    ):
        daily[owner[cohort]].visitors[day] += visitors
    rows = GoalDay.objects.filter(**current).values_list(
        "cohort", "goal", "day", "converters", "total", "squares"
    )
    for cohort, goal, day, converters, total, squares in rows:
        sums = daily[owner[cohort]].goals[goal][day]
        sums[0] += converters
        sums[1] += total
        sums[2] += squares
    return daily


def _cumulative(daily: _Daily, goal: Goal, days: Sequence[date]) -> list[Sample]:
    """The group's sample for `goal` at the end of each of `days`."""
    samples = []
    visitors, converters, total, squares = 0, 0.0, 0.0, 0.0
    sums = daily.goals.get(goal.pk, {})
    for day in days:
        visitors += daily.visitors.get(day, 0)
        c, t, q = sums.get(day, (0.0, 0.0, 0.0))
        converters, total, squares = converters + c, total + t, squares + q
        samples.append(Sample(visitors, round(converters), total, squares, goal.binary))
    return samples


def _shown_days(visitors: Sequence[Sequence[int]], k: int) -> list[int]:
    """Indexes of the days a chart may show: each group has k visitors by then, and has gained
    k since the next day shown (counting back from the last day)."""
    if not visitors or not visitors[0]:
        return []
    last = len(visitors[0]) - 1
    if any(group[last] < k for group in visitors):
        return []
    shown = [last]
    for index in range(last - 1, -1, -1):
        if all(g[index] >= k and g[shown[-1]] - g[index] >= k for g in visitors):
            shown.append(index)
    return sorted(shown)


def _section(
    key: str,
    title: str,
    specs: Sequence[GroupSpec],
    control: str,
    goals: Sequence[Goal],
    k: int,
    since: int,
) -> Section:
    daily = _daily(specs, since)
    days = sorted({day for d in daily.values() for day in d.visitors})
    visitors = {spec.key: sum(daily[spec.key].visitors.values()) for spec in specs}
    shown = {spec.key: visitors[spec.key] >= k for spec in specs}
    total_weight = sum(spec.weight for spec in specs) or 1.0
    summaries = tuple(
        GroupSummary(
            key=spec.key,
            label=spec.label,
            control=spec.key == control,
            visitors=visitors[spec.key] if shown[spec.key] else None,
            expected_share=spec.weight / total_weight,
        )
        for spec in specs
    )
    warnings: list[str] = []
    ratio = None
    # Only groups planned to get visitors are checked: an arm removed since, a placement
    # without a holdout, are not part of the split.
    planned = [spec for spec in specs if spec.weight > 0]
    if not all(shown[spec.key] for spec in planned):
        warnings.append(f"Groups with fewer than {k} visitors are not shown.")
    elif len(planned) > 1:
        ratio = sample_ratio([visitors[s.key] for s in planned], [s.weight for s in planned])
        if ratio is not None and ratio.mismatch:
            warnings.append(
                "Sample ratio mismatch: the groups' sizes differ from their planned shares "
                f"(p = {ratio.p_value:.1e}). Results are not trustworthy until its cause "
                "(assignment, caching, tracking) is found."
            )
    cumulative_visitors = {
        spec.key: list(accumulate(daily[spec.key].visitors.get(day, 0) for day in days))
        for spec in specs
    }
    chart_days = _shown_days([cumulative_visitors[s.key] for s in specs], k)
    results = []
    for goal in goals:
        result = _goal_result(goal, specs, control, daily, days, shown, chart_days)
        results.append(result)
        if result.harmed:
            warnings.append(
                f"Guardrail {goal.name}: {', '.join(result.harmed)} significantly "
                f"{'lower' if goal.higher_is_better else 'higher'} than {_label(specs, control)}."
            )
    return Section(key, title, summaries, ratio, tuple(results), tuple(warnings))


def _label(specs: Sequence[GroupSpec], key: str) -> str:
    return next(spec.label for spec in specs if spec.key == key)


def _goal_result(
    goal: Goal,
    specs: Sequence[GroupSpec],
    control: str,
    daily: Mapping[str, _Daily],
    days: Sequence[date],
    shown: Mapping[str, bool],
    chart_days: Sequence[int],
) -> GoalResult:
    samples = {spec.key: _cumulative(daily[spec.key], goal, days) for spec in specs}
    base = samples[control][-1] if days else None
    control_shown = shown[control] and base is not None
    tau = goal.minimum_effect / 100
    groups = []
    harmed = []
    for spec in specs:
        if not shown[spec.key] or not days:
            groups.append(GroupResult(spec.key, spec.label, spec.key == control, shown=False))
            continue
        series = samples[spec.key]
        final = series[-1]
        comparison = sequential_result = None
        lift_series: tuple[Point, ...] = ()
        if spec.key != control and control_shown and base is not None:
            comparison = compare(base, final, higher_is_better=goal.higher_is_better)
            looks = [
                (c, t)
                for c, t in zip(samples[control], series, strict=True)
                if c.visitors and t.visitors
            ]
            sequential_result = sequential(looks, tau=tau)
            lift_series = tuple(
                Point(days[i], comparison_at.relative)
                for i in chart_days
                if (comparison_at := compare(samples[control][i], series[i])).relative is not None
            )
            if goal.guardrail and comparison.worse:
                harmed.append(spec.label)
        groups.append(
            GroupResult(
                key=spec.key,
                label=spec.label,
                control=spec.key == control,
                shown=True,
                visitors=final.visitors,
                converters=final.converters,
                estimate=mean_interval(final),
                comparison=comparison,
                sequential=sequential_result,
                series=tuple(Point(days[i], mean_interval(series[i])) for i in chart_days),
                lift_series=lift_series,
            )
        )
    needed = (
        visitors_needed(base, minimum_effect=tau) if control_shown and base is not None else None
    )
    return GoalResult(
        key=goal.key,
        name=goal.name,
        binary=goal.binary,
        higher_is_better=goal.higher_is_better,
        guardrail=goal.guardrail,
        minimum_effect=goal.minimum_effect,
        groups=tuple(groups),
        visitors_needed=needed,
        harmed=tuple(harmed),
    )


def _cohort_ids(**lookup: object) -> dict[tuple[str, str, str, bool], list[int]]:
    found: dict[tuple[str, str, str, bool], list[int]] = defaultdict(list)
    rows = Cohort.objects.filter(**lookup).values_list(
        "pk", "segment", "experiment", "variant", "holdout"
    )
    for pk, segment, experiment, variant, holdout in rows:
        found[segment, experiment, variant, holdout].append(pk)
    return found


def _goals() -> list[Goal]:
    return list(Goal.objects.all())


def _phase(name: str, fingerprint: Callable[[Mapping[str, Any]], Any]) -> Phase:
    """Since which revision `fingerprint` of the configuration has been what it is now: the
    revisions are read back from the latest until it differs (cached per latest revision)."""
    latest = Revision.objects.order_by("-number").values_list("number", flat=True).first()
    if latest is None:
        return Phase(0, None)
    cache_key = f"outcomes:v1:phase:{name}:{latest}"
    cached: Phase | None = cache.get(cache_key)
    if cached is not None:
        return cached
    current: Any = None
    phase = Phase(0, None)
    revisions = Revision.objects.order_by("-number").values_list("number", "created_at", "snapshot")
    for position, (number, created_at, document) in enumerate(revisions.iterator(chunk_size=16)):
        value = fingerprint(document)
        if position == 0:
            current = value
        elif value != current:
            break
        phase = Phase(number, created_at)
    cache.set(cache_key, phase, 3600)
    return phase


def _experiment_fingerprint(key: str) -> Callable[[Mapping[str, Any]], Any]:
    def fingerprint(document: Mapping[str, Any]) -> Any:
        experiment = document.get("experiments", {}).get(key)
        if experiment is None:
            return None
        fields = ("placement", "arms", "coverage", "seed", "hash_version", "required_purpose")
        return {name: experiment.get(name) for name in fields}

    return fingerprint


def _holdout_fingerprint(key: str) -> Callable[[Mapping[str, Any]], Any]:
    def fingerprint(document: Mapping[str, Any]) -> Any:
        return (document.get("placements", {}).get(key) or {}).get("holdout")

    return fingerprint


def experiment_report(*, experiment: Experiment, now: datetime | None = None) -> Report:
    """An experiment's arms per goal; the first arm is the control."""
    k = report_min_group()
    arms = list(experiment.arms.select_related("variant").order_by("order", "id"))
    cohorts = _cohort_ids(kind=Kind.ARM.value, experiment=experiment.key)
    by_variant: dict[str, list[int]] = defaultdict(list)
    for (_, _, variant, _), ids in cohorts.items():
        by_variant[variant] += ids
    specs = [
        GroupSpec(
            arm.variant.key, arm.variant.key, arm.weight, tuple(by_variant.pop(arm.variant.key, []))
        )
        for arm in arms
    ]
    notes = []
    # Arms removed since keep their results, but are not part of the planned split.
    for variant, ids in sorted(by_variant.items()):
        specs.append(GroupSpec(variant, f"{variant} (removed)", 0.0, tuple(ids)))
        notes.append(f"{variant} is no longer an arm; its visitors are shown, not checked.")
    control = specs[0].key if specs else ""
    phase = _phase(f"experiment:{experiment.key}", _experiment_fingerprint(experiment.key))
    sections = []
    if specs:
        sections.append(_section("arms", "Arms", specs, control, _goals(), k, phase.revision))
    return Report(
        kind="experiment",
        key=experiment.key,
        name=experiment.name,
        status=experiment.status,
        k=k,
        generated_at=now or datetime.now(UTC),
        attribution_seconds=attribution_seconds(),
        control=control,
        phase=phase,
        sections=tuple(sections),
        notes=tuple(notes),
    )


def _rule_title(segment: str, experiment: str, variant: str) -> str:
    who = segment or "everyone"
    return f"{who} → experiment {experiment}" if experiment else f"{who} → {variant}"


def placement_report(*, placement: Placement, now: datetime | None = None) -> Report:
    """A placement's personalized visitors against its holdout, overall and per rule."""
    k = report_min_group()
    share = placement.holdout_percentage / 100
    weights = {PERSONALIZED: 1 - share, HOLDOUT: share}
    goals = _goals()
    phase = _phase(f"placement:{placement.key}", _holdout_fingerprint(placement.key))

    def specs_of(ids: Mapping[bool, Iterable[int]]) -> list[GroupSpec]:
        return [
            GroupSpec(
                PERSONALIZED, "Personalized", weights[PERSONALIZED], tuple(ids.get(False, ()))
            ),
            GroupSpec(HOLDOUT, "Holdout (default)", weights[HOLDOUT], tuple(ids.get(True, ()))),
        ]

    overall: dict[bool, list[int]] = defaultdict(list)
    for (_, _, _, holdout), ids in _cohort_ids(
        kind=Kind.PLACEMENT.value, placement=placement.key
    ).items():
        overall[holdout] += ids
    sections = [
        _section("overall", "All rules", specs_of(overall), HOLDOUT, goals, k, phase.revision)
    ]
    rules: dict[tuple[str, str, str], dict[bool, list[int]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (segment, experiment, variant, holdout), ids in _cohort_ids(
        kind=Kind.RULE.value, placement=placement.key
    ).items():
        rules[segment, experiment, variant][holdout] += ids
    for (segment, experiment, variant), held in sorted(rules.items()):
        title = _rule_title(segment, experiment, variant)
        key = f"rule:{segment or '*'}:{experiment or variant}"
        sections.append(_section(key, title, specs_of(held), HOLDOUT, goals, k, phase.revision))
    notes = []
    if share == 0:
        notes.append(
            "This placement has no holdout: personalized visitors are shown alone. Set a "
            "holdout (e.g. 5 %) on the placement to measure what personalization is worth."
        )
    return Report(
        kind="placement",
        key=placement.key,
        name=placement.name,
        status="enabled" if placement.enabled else "disabled",
        k=k,
        generated_at=now or datetime.now(UTC),
        attribution_seconds=attribution_seconds(),
        control=HOLDOUT,
        phase=phase,
        sections=tuple(sections),
        notes=tuple(notes),
    )
