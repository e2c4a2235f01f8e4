"""Virtual-population covariates: moments, correlations, bounds and per-patient seeding.

The statistical checks use n = 10,000 draws and the usual bounds for a correct sampler:
|sqrt(n) (mean - mu) / sigma| < 3 and |sqrt(n/2) (S^2 / sigma^2 - 1)| < 5 (the variance bound
is wider because the sample variance of a truncated or skewed law has a larger spread than
the normal approximation), correlations within 0.02, proportions within 3 binomial SDs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cartsim.errors import ParameterError
from cartsim.population import Covariate, Population

N = 10_000
AGE = Covariate("age", "normal", "years", mean=62, sd=14, lower=18, upper=85, source="test")
WEIGHT = Covariate("weight", "lognormal", "kg", mean=78, sd=0.22, lower=40, upper=160, source="test")
BURDEN = Covariate("burden", "lognormal", "1e9 cells", mean=95, sd=1.1, source="test")
SEX = Covariate("sex", "categorical", "", levels=("female", "male"), probabilities=(0.38, 0.62), source="test")
CORRELATIONS = {("age", "weight"): 0.3, ("weight", "burden"): -0.4}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return Population((AGE, WEIGHT, BURDEN, SEX), CORRELATIONS).sample(N, seed=2026)


def _moments(covariate: Covariate, *, log: bool = False) -> tuple[float, float]:
    """Mean and variance of the truncated marginal (of its log with ``log``), computed
    independently with scipy."""
    location, scale, lower, upper = covariate.log_scale()
    law = stats.truncnorm((lower - location) / scale, (upper - location) / scale, loc=location, scale=scale)
    if covariate.kind == "normal" or log:
        return float(law.mean()), float(law.var())
    first, second = law.expect(np.exp), law.expect(lambda x: np.exp(2 * x))
    return first, second - first**2


def _check(values: np.ndarray, mean: float, variance: float) -> None:
    assert abs(math.sqrt(N) * (values.mean() - mean) / math.sqrt(variance)) < 3
    assert abs(math.sqrt(N / 2) * (values.var(ddof=1) / variance - 1)) < 5


@pytest.mark.parametrize("covariate", [AGE, WEIGHT], ids=lambda c: c.name)
def test_mean_and_variance_match_the_truncated_marginal(sample: pd.DataFrame, covariate: Covariate) -> None:
    _check(sample[covariate.name].to_numpy(dtype=float), *_moments(covariate))


@pytest.mark.parametrize("covariate", [WEIGHT, BURDEN], ids=lambda c: c.name)
def test_log_normal_covariates_are_normal_on_the_log_scale(sample: pd.DataFrame, covariate: Covariate) -> None:
    """On the log scale, where the law is defined. (The natural-scale variance of a log-normal
    with SD 1.1 has a kurtosis of about 230, for which the variance bound above does not hold
    even for an exact sampler, so the burden is checked here only.)"""
    _check(np.log(sample[covariate.name].to_numpy(dtype=float)), *_moments(covariate, log=True))


def test_no_draw_outside_the_bounds(sample: pd.DataFrame) -> None:
    for covariate in (AGE, WEIGHT, BURDEN):
        values = sample[covariate.name].to_numpy(dtype=float)
        assert ((values >= covariate.lower) & (values <= covariate.upper)).all()
    assert set(sample["sex"]) == {"female", "male"}


def test_rank_correlations_are_those_of_the_gaussian_copula(sample: pd.DataFrame) -> None:
    """Spearman's rho of a Gaussian copula with correlation r is (6/pi) asin(r/2), whatever
    the (monotone, truncated) marginals; zero where no correlation is given."""
    expected = {("age", "weight"): 0.3, ("weight", "burden"): -0.4, ("age", "burden"): 0.0}
    for (a, b), r in expected.items():
        rho = stats.spearmanr(sample[a], sample[b]).statistic
        assert abs(rho - 6 / math.pi * math.asin(r / 2)) < 0.02, (a, b)


def test_categorical_proportions(sample: pd.DataFrame) -> None:
    share = (sample["sex"] == "male").mean()
    assert abs(share - 0.62) < 3 * math.sqrt(0.62 * 0.38 / N)


def test_patients_are_the_same_whatever_the_chunking() -> None:
    population = Population((AGE, WEIGHT, SEX), {("age", "weight"): 0.3})
    whole = population.sample(1000, seed=7)
    parts = [population.sample(seed=7, patient_ids=range(start, start + 250)) for start in range(0, 1000, 250)]
    assert pd.concat(parts).equals(whole)
    assert not population.sample(1000, seed=8).equals(whole)


def test_units_and_sources_travel_with_the_table(sample: pd.DataFrame) -> None:
    assert sample.attrs["units"]["weight"] == "kg"
    assert sample.attrs["sources"]["age"] == "test"
    assert sample.index.name == "patient_id"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Covariate("x", "normal", "kg", mean=1, sd=0), r"covariate `x`: mean = 1 and sd = 0 \(kg\)"),
        (lambda: Covariate("x", "normal", "kg", mean=1, sd=1, lower=2), r"bounds \[2, inf\] kg must .* hold the mean 1"),
        (lambda: Covariate("x", "lognormal", "kg", mean=-1, sd=1), r"median > 0"),
        (lambda: Covariate("x", "uniform", "kg", mean=1, sd=1), r"kind 'uniform' is not one of"),  # type: ignore[arg-type]
        (lambda: Covariate("x", "categorical", "", levels=("a", "b"), probabilities=(0.5, 0.6)), r"add up to 1"),
        (lambda: Population((AGE, AGE)), r"unique"),
        (lambda: Population((AGE,), {("age", "height"): 0.2}), r"no covariate 'height'"),
        (lambda: Population((AGE, WEIGHT), {("age", "weight"): 1.0}), r"must be in \(-1, 1\)"),
        (lambda: Population((AGE, WEIGHT, BURDEN), {("age", "weight"): 0.9, ("weight", "burden"): 0.9,
                                                     ("age", "burden"): -0.9}), r"positive-definite"),
        (lambda: Population((AGE,)).sample(0, seed=1), r"n_patients must be an integer >= 1, got 0"),
    ],
)
def test_bad_specifications_are_clear_errors(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError, match=message):
        build()
