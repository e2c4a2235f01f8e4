"""The likelihood terms against scipy.stats.norm, by hand, on tiny cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from cartsim.errors import FitError
from cartsim.fit import ErrorModel, minus_two_log_likelihood


def _m2ll(
    kind: str,
    predicted: list[float],
    observed: list[float],
    censored: list[bool],
    lower: list[float],
    upper: list[float],
    additive: float = 0.0,
    proportional: float = 0.0,
) -> float:
    return float(
        minus_two_log_likelihood(
            kind,
            np.array([predicted]),
            np.array(observed),
            np.array(censored),
            np.array(lower),
            np.array(upper),
            np.array([additive]),
            np.array([proportional]),
        )[0]
    )


def test_m3_censored_term_log_additive() -> None:
    """Beal's M3 on the log scale: -2 ln P(Y < LLOQ) = -2 norm.logcdf((ln LLOQ - ln f) / sd)."""
    f, lloq, sd = 3.0, 1.0, 0.5
    expected = -2 * norm.logcdf((math.log(lloq) - math.log(f)) / sd)
    assert _m2ll("log_additive", [f], [math.nan], [True], [-math.inf], [lloq], additive=sd) == pytest.approx(expected, rel=1e-12)


def test_m3_interval_term_far_in_the_tail() -> None:
    """An interval (lower, LLOQ) on the natural scale, 40 SD below the prediction, stays finite and exact."""
    f, sd, lower, lloq = 100.0, 2.0, 10.0, 20.0
    z_low, z_up = (lower - f) / sd, (lloq - f) / sd
    log_p = norm.logcdf(z_up) + math.log1p(-math.exp(norm.logcdf(z_low) - norm.logcdf(z_up)))
    assert _m2ll("additive", [f], [math.nan], [True], [lower], [lloq], additive=sd) == pytest.approx(-2 * log_p, rel=1e-10)


def test_quantified_terms_match_scipy_densities() -> None:
    """Quantified observations: the normal density on each error model's scale (log scale with its Jacobian)."""
    f, y = 4.0, 5.0
    log_density = norm.logpdf(math.log(y), math.log(f), 0.3) - math.log(y)  # density of y, not of ln y
    assert _m2ll("log_additive", [f], [y], [False], [-math.inf], [math.nan], additive=0.3) == pytest.approx(-2 * log_density)
    assert _m2ll("additive", [f], [y], [False], [-math.inf], [math.nan], additive=0.7) == pytest.approx(
        -2 * norm.logpdf(y, f, 0.7)
    )
    assert _m2ll("proportional", [f], [y], [False], [-math.inf], [math.nan], proportional=0.2) == pytest.approx(
        -2 * norm.logpdf(y, f, 0.2 * f)
    )
    combined_sd = math.sqrt(0.5**2 + (0.1 * f) ** 2)
    assert _m2ll("combined", [f], [y], [False], [-math.inf], [math.nan], 0.5, 0.1) == pytest.approx(
        -2 * norm.logpdf(y, f, combined_sd)
    )


def test_impossible_prediction_is_infinite() -> None:
    """A prediction <= 0 under a log-scale error model has zero likelihood."""
    assert _m2ll("log_additive", [0.0], [1.0], [False], [-math.inf], [math.nan], additive=0.3) == math.inf


def test_error_model_validation() -> None:
    with pytest.raises(FitError, match="`additive` > 0"):
        ErrorModel("log_additive", additive=0.0)
    with pytest.raises(FitError, match="must be one of"):
        ErrorModel("exponential", additive=1.0)  # type: ignore[arg-type]
