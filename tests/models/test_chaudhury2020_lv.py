"""Chaudhury 2020 (a), the Lotka-Volterra model, against its computed reference and its
conserved quantity (models.md section 8)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cartsim
from cartsim.clinical import cmax_tmax
from cartsim.models import chaudhury2020_lv


@pytest.fixture(scope="module")
def lotka_volterra() -> cartsim.Model:
    return cartsim.models.get("chaudhury2020_lv")


def invariant(model: cartsim.Model, effector: np.ndarray, tumour: np.ndarray) -> np.ndarray:
    """H = rho*U - kE*ln(U) + d*CE - g*ln(CE) (1/day), constant along every exact orbit."""
    rho = model.parameter("expansion_rate").default
    k_e = model.parameter("effector_decline_rate").default
    g = model.parameter("tumour_growth_rate").default
    d = model.parameter("kill_rate").default
    return np.asarray(rho * tumour - k_e * np.log(tumour) + d * effector - g * np.log(effector))


def invariant_drift(model: cartsim.Model, rtol: float) -> float:
    """Largest |H(t) - H(0)| / |H(0)| on a daily grid over 365 days (about 3 orbits of 118.6 days)."""
    result = cartsim.simulate(model, times=np.arange(0.0, 366.0), rtol=rtol, atol=1e-12)
    assert result["status"].values[0] == "ok"
    h = invariant(model, result["effector"].values[0], result["tumour"].values[0])
    return float(np.max(np.abs(h - h[0])) / abs(h[0]))


def test_effector_peak(lotka_volterra: cartsim.Model) -> None:
    """CE peak 1.456e4 cells/uL at day 4.99 (computed reference, models.md section 8 (a);
    Chaudhury 2020 Eqs 4-5, illustrative values). Cmax compared at the 4 significant figures
    printed; the peak time to the last digit shown (2 decimals) on a 0.001-day grid; rtol 1e-10."""
    times = np.round(np.arange(0, 10001) * 0.001, 10)
    result = cartsim.simulate(lotka_volterra, times=times, rtol=1e-10, atol=1e-12)
    peak_array, when_array = cmax_tmax(result["effector"].values[0], result["time"].values)
    peak, when = float(peak_array), float(when_array)
    assert float(f"{peak:.4g}") == 1.456e4
    assert peak == pytest.approx(1.456e4, rel=5e-4)
    assert round(when, 2) == 4.99


def test_invariant_conserved_over_a_year(lotka_volterra: cartsim.Model) -> None:
    """H = rho*U - kE*ln(U) + d*CE - g*ln(CE) is conserved (models.md section 8 (a) pitfalls:
    classical Lotka-Volterra). Over 365 days (about 3 orbits) at rtol 1e-10 its relative drift
    stays below 100 * rtol (2.5e-9, i.e. 25 * rtol, observed: H is a difference of terms about 10 times
    larger than itself). The test can fail: at rtol 1e-4 the drift is more than 1e4 times larger."""
    tight = invariant_drift(lotka_volterra, 1e-10)
    loose = invariant_drift(lotka_volterra, 1e-4)
    assert tight < 100 * 1e-10
    assert loose > 1e4 * tight


def test_orbits_are_closed_no_cure(lotka_volterra: cartsim.Model) -> None:
    """No asymptotic cure (models.md section 8 (a) pitfalls): the tumour falls to a small
    positive minimum and then relapses above its initial 900 cells/uL within the year, and
    the orbit returns close to the initial state (within 5 % in log space on the 0.1-day grid)."""
    times = np.round(np.arange(0, 3651) * 0.1, 10)
    result = cartsim.simulate(lotka_volterra, times=times, rtol=1e-10, atol=1e-12)
    effector, tumour = result["effector"].values[0], result["tumour"].values[0]
    assert 0 < tumour.min() < 1.0
    later = times > 20
    assert tumour[later].max() > 900
    # Distance from the initial state in log space; its minimum after the first orbit ~ 0.
    distance = np.hypot(np.log(effector / 10.0), np.log(tumour / 900.0))
    assert distance[later].min() < 0.05
    assert result["status"].values[0] == "ok"


def test_zero_dose_gives_exponential_tumour_growth(lotka_volterra: cartsim.Model) -> None:
    """With no CAR-T (dose parameter 0) the dose target stays 0 and U = U(0)*exp(g*t) exactly
    (Eq 5 with CE = 0); compared at 1e-8 relative at rtol 1e-10."""
    times = np.arange(0.0, 29.0)
    result = cartsim.simulate(lotka_volterra, times=times, params={"infused_dose": 0.0}, rtol=1e-10, atol=1e-12)
    assert np.all(result["effector"].values[0] == 0.0)
    assert result["tumour"].values[0] == pytest.approx(900.0 * np.exp(0.15 * times), rel=1e-8)


def test_reference_points_and_scenario(lotka_volterra: cartsim.Model) -> None:
    """The module's reference points are reproduced by its first scenario (the docs figure),
    and the 28-day daily run of typical values ends "ok" (the conformance set-up; no IIV)."""
    scenario = next(iter(chaudhury2020_lv.SCENARIOS.values()))
    result = scenario.simulate(lotka_volterra, rtol=1e-10, atol=1e-12)
    for point in chaudhury2020_lv.REFERENCE_POINTS:
        value = float(result[point.variable].sel(time=point.time, method="nearest").values[0])
        assert value == pytest.approx(point.value, rel=5e-3)
    daily = cartsim.simulate(lotka_volterra, times=np.arange(0.0, 29.0), n_patients=100, seed=1)
    assert set(daily["status"].values) == {"ok"}
    assert all(math.isfinite(v) for v in daily["tumour"].values.ravel())
    assert not any(p.iiv is not None for p in lotka_volterra.parameters)
