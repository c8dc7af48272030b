"""Experiment statistics: the arithmetic against reference values and independent implementations,
and the methods proven by simulation (seeded, so every run is the same)."""

import math

import numpy as np
import pytest
from scipy import stats

from personalization.outcomes.statistics import (
    Sample,
    bayesian,
    compare,
    mean_interval,
    msprt_look,
    predicted_power,
    relative_lift,
    sample_ratio,
    sequential,
    two_proportion_p_value,
    visitors_needed,
    welch,
)


def rate(converters: int, visitors: int) -> Sample:
    return Sample(visitors, converters, float(converters), float(converters), binary=True)


def values(data: np.ndarray) -> Sample:
    return Sample(
        len(data), int((data > 0).sum()), float(data.sum()), float((data**2).sum()), binary=False
    )


# --- Reference values -----------------------------------------------------------------------


def test_mean_interval__rate__wilson_as_published_and_as_scipy():
    # 50 of 1,000: Wilson's 95 % interval is [3.813 %, 6.531 %]
    interval = mean_interval(rate(50, 1000))
    assert (interval.estimate, interval.low, interval.high) == pytest.approx(
        (0.05, 0.03813, 0.06531), abs=1e-5
    )
    for converters, visitors in [(0, 20), (1, 3), (7, 60), (480, 1000), (1000, 1000)]:
        ci = stats.binomtest(converters, visitors).proportion_ci(method="wilson")
        ours = mean_interval(rate(converters, visitors))
        assert (ours.low, ours.high) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_mean_interval__value__student_t():
    data = np.array([0.0, 0.0, 12.5, 40.0, 7.25])
    interval = mean_interval(values(data))
    low, high = stats.t.interval(0.95, 4, loc=data.mean(), scale=stats.sem(data))
    assert (interval.low, interval.high) == pytest.approx((low, high), rel=1e-12)


def test_two_proportion__reference_and_chi_square_equivalence():
    # 200/1,000 against 250/1,000: z = 2.677, p = 0.00742
    assert two_proportion_p_value(rate(200, 1000), rate(250, 1000)) == pytest.approx(
        0.007419, abs=1e-6
    )
    for (x0, n0), (x1, n1) in [
        ((30, 700), (45, 690)),
        ((5, 80), (9, 120)),
        ((512, 10_000), (530, 9_900)),
    ]:
        table = [[x0, n0 - x0], [x1, n1 - x1]]
        expected = stats.chi2_contingency(table, correction=False).pvalue
        assert two_proportion_p_value(rate(x0, n0), rate(x1, n1)) == pytest.approx(
            expected, rel=1e-9
        )


def test_welch__as_scipy_from_the_same_data():
    rng = np.random.default_rng(7)
    a = rng.lognormal(3, 1, 400) * (rng.random(400) < 0.2)
    b = rng.lognormal(3.1, 1, 350) * (rng.random(350) < 0.25)
    p_value, df = welch(values(a), values(b))
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert df == pytest.approx(expected.df, rel=1e-9)


def test_compare__lifts_with_intervals__reference_values():
    # 100/2,000 (5 %) against 130/2,000 (6.5 %)
    result = compare(rate(100, 2000), rate(130, 2000))
    se = math.sqrt(0.05 * 0.95 / 2000 + 0.065 * 0.935 / 2000)
    assert result.absolute.estimate == pytest.approx(0.015)
    assert result.absolute.high - result.absolute.estimate == pytest.approx(1.959964 * se, rel=1e-6)
    # Relative: +30 %, delta-method standard error 0.1680
    assert result.relative is not None
    assert result.relative.estimate == pytest.approx(0.30)
    rel_se = math.sqrt((0.065 * 0.935 / 2000) / 0.05**2 + 0.065**2 * (0.05 * 0.95 / 2000) / 0.05**4)
    assert rel_se == pytest.approx(0.1680, abs=1e-4)
    assert result.relative.low == pytest.approx(0.30 - 1.959964 * rel_se, rel=1e-6)
    assert result.p_value == pytest.approx(two_proportion_p_value(rate(100, 2000), rate(130, 2000)))
    # Pooled z = 2.0376: p = 0.0416, significant at 5 %, in the good direction
    assert result.p_value == pytest.approx(0.04159, abs=1e-5)
    assert (result.significant, result.better, result.worse) == (True, True, False)


def test_compare__lower_is_better__direction_of_better_and_worse():
    more = compare(rate(500, 10_000), rate(600, 10_000), higher_is_better=False)
    assert (more.significant, more.better, more.worse) == (True, False, True)
    assert more.chance_to_beat < 0.01


def test_relative_lift__control_of_zero__none():
    assert relative_lift(rate(0, 100), rate(3, 100)) is None


def test_bayesian__chance_and_loss__as_monte_carlo_on_beta_posteriors():
    control, treatment = rate(480, 10_000), rate(540, 10_000)
    rng = np.random.default_rng(11)
    a = rng.beta(1 + 480, 1 + 10_000 - 480, 400_000)
    b = rng.beta(1 + 540, 1 + 10_000 - 540, 400_000)
    chance, loss = bayesian(control, treatment)
    assert chance == pytest.approx((b > a).mean(), abs=0.005)
    assert loss == pytest.approx(np.maximum(a - b, 0).mean(), rel=0.05)
    # Symmetry: the control's chance to beat the treatment is the rest.
    assert bayesian(treatment, control)[0] == pytest.approx(1 - chance, abs=1e-9)


def test_msprt_look__reference_value():
    # r = 0.3, V = 0.02821 (the 100 vs 130 of 2,000 example), τ = 0.1:
    # Λ = sqrt(V / (V + τ²)) · exp(τ² r² / (2 V (V + τ²))) = 0.8592 · exp(0.4175) = 1.3044
    look = msprt_look(rate(100, 2000), rate(130, 2000), tau=0.1)
    assert look is not None
    p_value, interval = look
    v = (0.065 * 0.935 / 2000) / 0.05**2 + 0.065**2 * (0.05 * 0.95 / 2000) / 0.05**4
    ratio = math.sqrt(v / (v + 0.01)) * math.exp(0.01 * 0.09 / (2 * v * (v + 0.01)))
    assert p_value == pytest.approx(1 / ratio, rel=1e-9)
    assert p_value == pytest.approx(0.76662, abs=1e-5)
    # The always-valid interval is wider than the fixed-horizon one.
    fixed = relative_lift(rate(100, 2000), rate(130, 2000))
    assert fixed is not None
    assert interval.low < fixed.low and interval.high > fixed.high


def test_sample_ratio__52_48_of_20000__mismatch_reference():
    srm = sample_ratio([10_400, 9_600], [0.5, 0.5])
    assert srm is not None
    # χ² = 2 · 400² / 10,000 = 32, p = 1.54e-8
    assert srm.p_value == pytest.approx(stats.chi2.sf(32, 1), rel=1e-9)
    assert srm.p_value == pytest.approx(1.54e-8, rel=0.01)
    assert srm.mismatch


def test_sample_ratio__weights_respected_and_degenerate_cases():
    srm = sample_ratio([9_000, 1_000], [0.9, 0.1])
    assert srm is not None and srm.p_value == pytest.approx(1.0) and not srm.mismatch
    assert sample_ratio([10], [1.0]) is None
    assert sample_ratio([0, 0], [0.5, 0.5]) is None


def test_visitors_needed__five_percent_base_ten_percent_lift__reference():
    # (1.96 + 0.8416)² · (0.05 · 0.95 + 0.055 · 0.945) / 0.005² = 31,230.7 visitors per arm
    # for 5 % → 5.5 % at alpha = 0.05 and power 0.8.
    control = rate(5_000, 100_000)
    assert visitors_needed(control, minimum_effect=0.10) == 31_231
    assert predicted_power(control, visitors=31_231, minimum_effect=0.10) == pytest.approx(
        0.80, abs=0.001
    )
    assert visitors_needed(rate(0, 100), minimum_effect=0.10) is None


# --- Simulations: the methods do what they promise ------------------------------------------

EXPERIMENTS = 1000


def test_simulation__aa_rates__false_positive_rate_five_percent():
    # Given 1,000 A/A experiments of 4,000 visitors per arm at a 5 % rate
    rng = np.random.default_rng(20241201)
    a = rng.binomial(4000, 0.05, EXPERIMENTS)
    b = rng.binomial(4000, 0.05, EXPERIMENTS)
    # When each is tested
    significant = [
        compare(rate(x, 4000), rate(y, 4000)).significant for x, y in zip(a, b, strict=True)
    ]
    # Then about 5 % are (falsely) significant
    assert 0.03 <= np.mean(significant) <= 0.07


def test_simulation__aa_values__false_positive_rate_five_percent():
    # Given 1,000 A/A experiments of revenue per visitor (20 % buy, log-normal amounts)
    rng = np.random.default_rng(20241202)
    n = 1500
    spend = rng.lognormal(3.5, 1.0, (EXPERIMENTS, 2, n)) * (rng.random((EXPERIMENTS, 2, n)) < 0.2)
    # When Welch's test compares the arms
    significant = [compare(values(e[0]), values(e[1])).significant for e in spend]
    # Then about 5 % are significant
    assert 0.03 <= np.mean(significant) <= 0.07


def test_simulation__ten_percent_lift_on_five_percent__power_as_predicted():
    # Given experiments sized by the formula for a 10 % relative lift on a 5 % base rate
    n = visitors_needed(rate(5_000, 100_000), minimum_effect=0.10)
    assert n is not None
    predicted = predicted_power(rate(5_000, 100_000), visitors=n, minimum_effect=0.10)
    assert predicted is not None
    rng = np.random.default_rng(20241203)
    control = rng.binomial(n, 0.05, EXPERIMENTS)
    treatment = rng.binomial(n, 0.055, EXPERIMENTS)
    # When each is tested
    detected = [
        compare(rate(x, n), rate(y, n)).better for x, y in zip(control, treatment, strict=True)
    ]
    # Then the share that detects the lift is the predicted power, within 5 points
    assert predicted == pytest.approx(0.80, abs=0.001)
    assert abs(float(np.mean(detected)) - predicted) <= 0.05


def test_simulation__injected_52_48_split__flagged_as_srm():
    # Given 20,000 visitors assigned 52/48 by a buggy split meant to be 50/50
    rng = np.random.default_rng(20241204)
    first = int(rng.binomial(20_000, 0.52))
    srm = sample_ratio([first, 20_000 - first], [0.5, 0.5])
    # Then the mismatch is flagged
    assert srm is not None and srm.mismatch
    # While fair 50/50 splits are (almost) never flagged: the threshold is 1 in 1,000
    fair = rng.binomial(20_000, 0.5, EXPERIMENTS)
    flagged = [sample_ratio([x, 20_000 - x], [0.5, 0.5]).mismatch for x in fair]  # type: ignore[union-attr]
    assert np.mean(flagged) <= 0.005


def test_simulation__daily_peeks__msprt_stays_valid_where_the_fixed_test_does_not():
    # Given 500 A/A experiments looked at every day for 14 days (1,000 visitors per arm a day)
    rng = np.random.default_rng(20241205)
    days, daily = 14, 1000
    a = rng.binomial(daily, 0.05, (500, days)).cumsum(axis=1)
    b = rng.binomial(daily, 0.05, (500, days)).cumsum(axis=1)
    naive, always_valid = [], []
    for x, y in zip(a, b, strict=True):
        looks = [
            (rate(int(x[d]), daily * (d + 1)), rate(int(y[d]), daily * (d + 1)))
            for d in range(days)
        ]
        # Stopping at the first significant look, as a marketer peeking would
        naive.append(any(two_proportion_p_value(c, t) < 0.05 for c, t in looks))
        result = sequential(looks, tau=0.1)
        always_valid.append(result is not None and result.p_value < 0.05)
    # Then peeking with the fixed-horizon test is wrong far more than 5 % of the time, and the
    # always-valid test stays under 5 %
    assert np.mean(naive) > 0.12
    assert np.mean(always_valid) <= 0.05
