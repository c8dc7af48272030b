"""Results charts: SVG geometry inside the plot, a description with the figures, or none."""

from datetime import date

from personalization.outcomes.charts import HEIGHT, WIDTH, difference, lift_chart, time_chart
from personalization.outcomes.reports import GoalResult, GroupResult, Point
from personalization.outcomes.statistics import Sample, compare, mean_interval

DAYS = [date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)]


def result(*groups: GroupResult) -> GoalResult:
    return GoalResult("purchase", "Purchase", True, True, False, 10.0, groups, None, ())


def group(key: str, samples: list[Sample], control: Sample | None = None) -> GroupResult:
    series = tuple(Point(d, mean_interval(s)) for d, s in zip(DAYS, samples, strict=True))
    comparison = compare(control, samples[-1]) if control else None
    return GroupResult(
        key,
        key,
        control is None,
        True,
        samples[-1].visitors,
        samples[-1].converters,
        series[-1].interval,
        comparison,
        None,
        series,
        (),
    )


def rate(converters: int, visitors: int) -> Sample:
    return Sample(visitors, converters, float(converters), float(converters), True)


def test_time_chart__two_groups__lines_and_bands_inside_the_plot():
    on = group("on", [rate(10, 200), rate(22, 400), rate(30, 600)])
    off = group("off", [rate(14, 200), rate(30, 400), rate(45, 600)], control=rate(30, 600))
    chart = time_chart(result(on, off))
    assert chart is not None
    assert [line.label for line in chart.lines] == ["on", "off"]
    for line in chart.lines:
        assert len(line.dots) == 3
        for dot in line.dots:
            assert chart.plot_left <= dot.x <= chart.plot_right
            assert 0 <= dot.y <= chart.plot_bottom
        assert len(line.band.split()) == 6
    assert chart.description.startswith("Cumulative rate of Purchase with 95 % intervals")
    assert "on 5.00 %" in chart.description and "off 7.50 %" in chart.description


def test_lift_chart__compared_group__whisker_around_its_estimate_right_of_zero():
    on = group("on", [rate(10, 200), rate(22, 400), rate(300, 6000)])
    off = group("off", [rate(14, 200), rate(30, 400), rate(450, 6000)], control=rate(300, 6000))
    chart = lift_chart(result(on, off))
    assert chart is not None
    [bar] = chart.bars
    assert bar.label == "off"
    assert chart.zero < bar.low < bar.estimate < bar.high <= WIDTH
    assert "off: +50.0 %" in chart.description


def test_charts__nothing_shown__no_chart():
    hidden = GroupResult("on", "on", True, False)
    assert time_chart(result(hidden)) is None
    assert lift_chart(result(hidden)) is None
    assert HEIGHT > 0


def test_difference__rates_in_points_values_in_their_unit():
    assert difference(0.0113, binary=True) == "+1.13 pp"
    assert difference(-1.5, binary=False) == "-1.50"
