"""Experiment statistics on aggregates alone (visitors, converters, sum and sum of squares):
estimates with intervals, a fixed-horizon test, an always-valid sequential test, Bayesian
chance to beat control and expected loss, sample-ratio mismatch and the sample size needed.

Methods, chosen to be the ones marketers meet in GrowthBook, Optimizely and Statsig:
- A conversion rate's interval is Wilson's score interval; a mean's is Student's t.
- Lift is treatment - control (absolute) and that over the control's mean (relative, with the
  delta method's interval). Two-sided tests at `alpha`: the pooled two-proportion z-test for
  rates, Welch's t-test for values.
- Always valid: the mixture sequential probability ratio test (mSPRT, Johari et al. 2017) on the
  relative lift with a normal mixing distribution of standard deviation τ = the goal's minimum
  effect. Its p-value is the smallest over every look (each day's cumulative figures) and its
  interval the intersection of every look's, so looking every day costs no validity.
- Bayesian, with flat priors and the normal approximation GrowthBook uses: the lift's posterior
  is N(d, s²) (for rates from the Beta(1 + converters, 1 + others) posteriors' moments); chance
  to beat control is P(lift in the good direction), expected loss is E[max(0, harm)] in the
  metric's own units if the treatment is chosen.
- Sample-ratio mismatch: Pearson's χ² of the visitors per arm against the configured weights.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

ALPHA = 0.05
POWER = 0.8
# A sample-ratio mismatch is reported below this p-value: rare enough by chance (1 in 1,000
# checks) that a flagged experiment almost surely has a bug in its assignment or tracking.
SRM_ALPHA = 0.001


@dataclass(frozen=True, slots=True)
class Sample:
    """A group's aggregates: each visitor's value is 1 or 0 for a rate, their total otherwise."""

    visitors: int
    converters: int
    total: float
    squares: float
    binary: bool

    @property
    def mean(self) -> float:
        return self.total / self.visitors if self.visitors else 0.0

    @property
    def variance(self) -> float:
        """Of one visitor's value: p(1 - p) for a rate, the sample variance otherwise."""
        n, mean = self.visitors, self.mean
        if self.binary:
            return mean * (1 - mean)
        if n < 2:
            return 0.0
        return max(0.0, (self.squares - n * mean * mean) / (n - 1))

    @property
    def standard_error(self) -> float:
        return math.sqrt(self.variance / self.visitors) if self.visitors else math.inf


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """A treatment against the control."""

    absolute: Interval
    # None when the control's mean is 0 (no relative change can be said).
    relative: Interval | None
    p_value: float
    chance_to_beat: float
    expected_loss: float
    significant: bool
    # In the metric's good direction (higher or lower is better), and significant.
    better: bool
    worse: bool


def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def mean_interval(sample: Sample, *, alpha: float = ALPHA) -> Interval:
    """The rate's Wilson score interval, or the mean's Student-t interval."""
    n, mean = sample.visitors, sample.mean
    if n == 0:
        return Interval(0.0, 0.0, 0.0)
    if sample.binary:
        z = _z(alpha)
        centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n))
        return Interval(mean, max(0.0, centre - half), min(1.0, centre + half))
    if n < 2:
        return Interval(mean, mean, mean)
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * sample.standard_error
    return Interval(mean, mean - half, mean + half)


def two_proportion_p_value(control: Sample, treatment: Sample) -> float:
    """The pooled two-proportion z-test's two-sided p-value."""
    n0, n1 = control.visitors, treatment.visitors
    pooled = (control.total + treatment.total) / (n0 + n1)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    if se == 0:
        return 1.0
    z = (treatment.mean - control.mean) / se
    return float(2 * stats.norm.sf(abs(z)))


def _difference_variance(control: Sample, treatment: Sample) -> tuple[float, float]:
    return control.variance / control.visitors, treatment.variance / treatment.visitors


def welch(control: Sample, treatment: Sample) -> tuple[float, float]:
    """Welch's t-test: the two-sided p-value and the degrees of freedom."""
    a, b = _difference_variance(control, treatment)
    if a + b == 0:
        return (1.0 if treatment.mean == control.mean else 0.0), math.inf
    t = (treatment.mean - control.mean) / math.sqrt(a + b)
    parts = [v * v / (n - 1) for v, n in ((a, control.visitors), (b, treatment.visitors)) if n > 1]
    df = (a + b) ** 2 / sum(parts) if sum(parts) > 0 else math.inf
    return float(2 * stats.t.sf(abs(t), df)), df


def _relative(control: Sample, treatment: Sample) -> tuple[float, float] | None:
    """The relative lift and its variance by the delta method; None when the control's mean is 0."""
    m0, m1 = control.mean, treatment.mean
    if m0 == 0:
        return None
    se0, se1 = control.standard_error, treatment.standard_error
    return (m1 - m0) / m0, se1 * se1 / (m0 * m0) + m1 * m1 * se0 * se0 / m0**4


def relative_lift(control: Sample, treatment: Sample, *, alpha: float = ALPHA) -> Interval | None:
    """(treatment - control) / control with the delta method's interval."""
    relative = _relative(control, treatment)
    if relative is None:
        return None
    estimate, variance = relative
    half = _z(alpha) * math.sqrt(variance)
    return Interval(estimate, estimate - half, estimate + half)


def _posterior(sample: Sample) -> tuple[float, float]:
    """The posterior mean and variance of a group's mean (flat priors)."""
    if sample.binary:
        mean = (sample.total + 1) / (sample.visitors + 2)
        return mean, mean * (1 - mean) / (sample.visitors + 3)
    return sample.mean, sample.standard_error**2


def bayesian(
    control: Sample, treatment: Sample, *, higher_is_better: bool = True
) -> tuple[float, float]:
    """Chance that the treatment beats the control, and the expected loss of choosing it."""
    (m0, v0), (m1, v1) = _posterior(control), _posterior(treatment)
    gain = (m1 - m0) if higher_is_better else (m0 - m1)
    spread = math.sqrt(v0 + v1)
    if spread == 0:
        return (1.0 if gain > 0 else 0.0 if gain < 0 else 0.5), max(0.0, -gain)
    z = gain / spread
    chance = float(stats.norm.cdf(z))
    loss = spread * float(stats.norm.pdf(z)) - gain * float(stats.norm.cdf(-z))
    return chance, max(0.0, loss)


def compare(
    control: Sample, treatment: Sample, *, higher_is_better: bool = True, alpha: float = ALPHA
) -> Comparison:
    """The treatment against the control: lifts with intervals, the fixed-horizon p-value, and
    the Bayesian chance to beat control and expected loss. Both groups need a visitor."""
    difference = treatment.mean - control.mean
    se = math.sqrt(sum(_difference_variance(control, treatment)))
    if control.binary:
        p_value = two_proportion_p_value(control, treatment)
        critical = _z(alpha)
    else:
        p_value, df = welch(control, treatment)
        critical = float(stats.t.ppf(1 - alpha / 2, df)) if math.isfinite(df) else _z(alpha)
    half = critical * se
    chance, loss = bayesian(control, treatment, higher_is_better=higher_is_better)
    significant = p_value < alpha
    good = difference > 0 if higher_is_better else difference < 0
    return Comparison(
        absolute=Interval(difference, difference - half, difference + half),
        relative=relative_lift(control, treatment, alpha=alpha),
        p_value=p_value,
        chance_to_beat=chance,
        expected_loss=loss,
        significant=significant,
        better=significant and good,
        worse=significant and difference != 0 and not good,
    )


@dataclass(frozen=True, slots=True)
class Sequential:
    """The always-valid p-value and interval of the relative lift after every look so far."""

    p_value: float
    interval: Interval


def msprt_look(
    control: Sample, treatment: Sample, *, tau: float, alpha: float = ALPHA
) -> tuple[float, Interval] | None:
    """One look of the mSPRT on the relative lift: its p-value (1 / the mixture likelihood
    ratio, at most 1) and the interval of lifts it cannot reject. None without a relative lift
    or with no spread at all."""
    relative = _relative(control, treatment)
    if relative is None or relative[1] == 0 or tau <= 0:
        return None
    estimate, v = relative
    t2 = tau * tau
    log_ratio = 0.5 * math.log(v / (v + t2)) + t2 * estimate**2 / (2 * v * (v + t2))
    p_value = 1.0 if log_ratio <= 0 else math.exp(-log_ratio)
    half = math.sqrt(v * (v + t2) / t2 * (math.log((v + t2) / v) - 2 * math.log(alpha)))
    return p_value, Interval(estimate, estimate - half, estimate + half)


def sequential(
    looks: Sequence[tuple[Sample, Sample]], *, tau: float, alpha: float = ALPHA
) -> Sequential | None:
    """The mSPRT over every look (control, treatment) in time order: the smallest p-value and
    the intersection of the intervals (the latest estimate). None when no look can be made."""
    p_value = 1.0
    low, high = -math.inf, math.inf
    estimate = None
    for control, treatment in looks:
        if not control.visitors or not treatment.visitors:
            continue
        look = msprt_look(control, treatment, tau=tau, alpha=alpha)
        if look is None:
            continue
        p, interval = look
        p_value = min(p_value, p)
        estimate = interval.estimate
        if interval.high >= low and interval.low <= high:
            low, high = max(low, interval.low), min(high, interval.high)
    if estimate is None:
        return None
    return Sequential(p_value, Interval(estimate, low, high))


@dataclass(frozen=True, slots=True)
class SampleRatio:
    """Pearson's χ² test of the visitors per group against their expected shares."""

    p_value: float
    observed: tuple[int, ...]
    expected: tuple[float, ...]

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


def sample_ratio(observed: Sequence[int], weights: Sequence[float]) -> SampleRatio | None:
    """None with fewer than two groups, no visitor or a group that should get none."""
    if len(observed) < 2 or len(observed) != len(weights) or sum(observed) == 0:
        return None
    total_weight = sum(weights)
    if total_weight <= 0 or any(w <= 0 for w in weights):
        return None
    visitors = sum(observed)
    expected = tuple(visitors * w / total_weight for w in weights)
    result = stats.chisquare(list(observed), f_exp=list(expected))
    return SampleRatio(float(result.pvalue), tuple(observed), expected)


def _effect_and_spread(control: Sample, minimum_effect: float) -> tuple[float, float] | None:
    """The planned absolute effect and the sum of both groups' per-visitor variances."""
    mean = control.mean
    if mean == 0 or control.visitors < 2:
        return None
    effect = abs(mean * minimum_effect)
    if control.binary:
        treated = min(max(mean * (1 + minimum_effect), 0.0), 1.0)
        spread = mean * (1 - mean) + treated * (1 - treated)
    else:
        spread = 2 * control.variance
    return (effect, spread) if effect > 0 and spread > 0 else None


def visitors_needed(
    control: Sample, *, minimum_effect: float, alpha: float = ALPHA, power: float = POWER
) -> int | None:
    """Visitors per group for a two-sided test at `alpha` to detect a relative change of
    `minimum_effect` with `power`, from the control's rate or variance; None if unknown."""
    planned = _effect_and_spread(control, minimum_effect)
    if planned is None:
        return None
    effect, spread = planned
    z = _z(alpha) + float(stats.norm.ppf(power))
    return math.ceil(z * z * spread / (effect * effect))


def predicted_power(
    control: Sample, *, visitors: int, minimum_effect: float, alpha: float = ALPHA
) -> float | None:
    """The chance that `visitors` per group detect a relative change of `minimum_effect`."""
    planned = _effect_and_spread(control, minimum_effect)
    if planned is None or visitors <= 0:
        return None
    effect, spread = planned
    return float(stats.norm.cdf(effect / math.sqrt(spread / visitors) - _z(alpha)))
