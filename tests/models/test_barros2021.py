"""Barros 2021 (CARTmath) against its computed reference numbers, its extinction rule and its
dosing semantics (models.md section 7)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import xarray as xr

import cartsim
from cartsim.models import barros2021

#: Tight tolerances for reference comparisons. States span 1e-6 to 1e11 cells; atol stays at
#: 1e-9 cells (1e-3 of the extinction level) because below ~1e-10 the stiff method's rounding
#: noise in the (exactly zero) CAR-T pools at T ~ 1e11 cells (~2e-11 cells) exceeds the
#: tolerance and the step size collapses (untreated HDLM-2 hits max_steps at atol 1e-12).
REFERENCE = {"rtol": 1e-10, "atol": 1e-9}
EX1 = barros2021.SCENARIOS["ex1"]
EX2 = barros2021.SCENARIOS["ex2"]


@pytest.fixture(scope="module")
def cartmath() -> cartsim.Model:
    return cartsim.models.get("barros2021")


@pytest.fixture(scope="module")
def ex1(cartmath: cartsim.Model) -> xr.Dataset:
    return EX1.simulate(cartmath, **REFERENCE)


@pytest.fixture(scope="module")
def ex2(cartmath: cartsim.Model) -> xr.Dataset:
    return EX2.simulate(cartmath, **REFERENCE)


def _at(result: xr.Dataset, variable: str, day: float) -> float:
    return float(result[variable].sel(time=day).values[0])


def test_ex1_tumour_on_day_42(ex1: xr.Dataset) -> None:
    """ex1: tumour on day 42, just before dosing, 2.146e7 cells (models.md section 7, computed
    reference); within 0.5 % and equal at the 4 digits shown. The dose goes into C_T only, so
    T(42) is the same before and after it."""
    tumour = _at(ex1, "tumour", 42.0)
    assert tumour == pytest.approx(2.146e7, rel=5e-3)
    assert float(f"{tumour:.4g}") == 2.146e7


def test_ex1_tumour_below_one_cell_by_day_45_9(ex1: xr.Dataset) -> None:
    """ex1: the tumour falls below 1 cell by day 45.9 (models.md section 7, computed
    reference). To the digit shown, on the 0.1-day grid: T(45.9) < 1 <= T(45.8)."""
    assert _at(ex1, "tumour", 45.9) < 1.0
    assert _at(ex1, "tumour", 45.8) >= 1.0


def test_ex1_effectors_on_day_50(ex1: xr.Dataset) -> None:
    """ex1: C_T(50) = 7.09e5 cells (models.md section 7, computed reference); within 0.5 %
    and equal at the 3 digits shown."""
    effectors = _at(ex1, "effector_car_t", 50.0)
    assert effectors == pytest.approx(7.09e5, rel=5e-3)
    assert float(f"{effectors:.3g}") == 7.09e5


def test_extinction_is_step_independent(cartmath: cartsim.Model) -> None:
    """The reference software zeroes populations below 1e-6 cells after every RK4 step, so
    its extinction time moves with the step. Here the crossing of 1e-6 is located on the dense
    output (``extinction=1e-6``), so ex1's tumour extinction time is the same, on a 1e-5-day
    grid, at rtol 1e-6, 1e-8 and 1e-10 (very different step sequences), and the last value
    before it is the level itself (within one grid step of decay, ~3e-5 relative). atol is
    1e-12 cells here: the extinction time is only as accurate as T near the 1e-6 level, and
    ex1 (T <= 1e8) has none of the large-T rounding noise that rules this out elsewhere."""
    times = np.round(np.concatenate([[0.0], 50.3 + np.arange(20001) * 1e-5]), 10)
    extinction_times = []
    steps = []
    for rtol in (1e-6, 1e-8, 1e-10):
        result = cartsim.simulate(cartmath, times=times, doses=EX1.doses, rtol=rtol, atol=1e-12)
        tumour = result["tumour"].values[0]
        first_zero = int(np.argmax(tumour == 0.0))
        assert first_zero > 1
        assert np.all(tumour[first_zero:] == 0.0)
        assert 1e-6 <= tumour[first_zero - 1] < 1e-6 * (1 + 1e-4)
        extinction_times.append(times[first_zero])
        steps.append(int(result["solver_steps"].values[0]))
    assert len(set(steps)) == 3  # the step sequences really differ
    assert extinction_times[0] == extinction_times[1] == extinction_times[2]
    assert 50.0 < extinction_times[0] < 51.0


def test_ex1_identical_across_tolerances(cartmath: cartsim.Model, ex1: xr.Dataset) -> None:
    """The whole ex1 run (states below 1e-6 set to 0) agrees between rtol 1e-8 and 1e-10:
    relative 1e-6 above 1 cell, and exact zeros at the same grid points."""
    loose = EX1.simulate(cartmath, rtol=1e-8, atol=1e-9)
    for state in ("effector_car_t", "memory_car_t", "tumour"):
        tight_values, loose_values = ex1[state].values[0], loose[state].values[0]
        big = np.abs(tight_values) > 1.0
        np.testing.assert_allclose(loose_values[big], tight_values[big], rtol=1e-6)
    np.testing.assert_array_equal(loose["tumour"].values == 0.0, ex1["tumour"].values == 0.0)


def test_tumour_stays_zero_until_rechallenge(ex2: xr.Dataset) -> None:
    """T = 0 is absorbing: after its extinction (ex2, 2e6 CAR-T on day 42) the tumour is exactly
    0 at every output until the rechallenge adds 1e6 cells on day 250 (additive: 0 + 1e6)."""
    times = ex2["time"].values
    tumour = ex2["tumour"].values[0]
    extinct = int(np.argmax(tumour == 0.0))
    assert 42.0 < times[extinct] < 60.0
    assert np.all(tumour[(times >= times[extinct]) & (times < 250.0)] == 0.0)
    assert _at(ex2, "tumour", 250.0) == 1e6  # the output at a dose time is after the dose
    assert _at(ex2, "tumour", 250.25) > 0.0


def test_ex2_rechallenge_rejected_by_memory(ex2: xr.Dataset) -> None:
    """ex2 [Fig. 3a]: the day-250 rechallenge is rejected. By then effectors have nearly gone
    (C_T ~0.04 cells, decaying at phi - rho = -0.085 /day) but ~1.2e6 memory cells remain
    (mu = 0.005 /day). The 1e6 tumour cells re-activate them (theta * T * C_M ~ 7e6 cells/day),
    effectors rise to ~1e6 within a day, killing (gamma * C_T ~ 3.7 /day) exceeds growth
    (r = 0.057 /day), and the tumour goes extinct again within ~2 weeks and stays extinct."""
    times = ex2["time"].values
    tumour = ex2["tumour"].values[0]
    assert _at(ex2, "memory_car_t", 249.75) > 1e6
    assert _at(ex2, "effector_car_t", 249.75) < 1.0
    assert _at(ex2, "effector_car_t", 251.0) > 5e5
    after = times > 250.0
    assert tumour[after].max() < 1e6  # never grows past the rechallenge size
    re_extinct = times[after][np.argmax(tumour[after] == 0.0)]
    assert 250.0 < re_extinct < 265.0
    assert np.all(tumour[times >= re_extinct] == 0.0)


def test_same_day_additive_doses_commute(cartmath: cartsim.Model) -> None:
    """Doses sharing a day add up and commute (models.md section 7): 1e6 + 0.5e6 CAR-T on day
    42 in either order equals 1.5e6 at once (ex1); a CAR-T dose and a tumour rechallenge on
    the same day commute too."""
    times = np.arange(0.0, 101.0)

    def run(doses: tuple[cartsim.Dose, ...]) -> np.ndarray:
        result = cartsim.simulate(cartmath, times=times, doses=doses, **REFERENCE)
        return np.stack([result[s].values[0] for s in ("effector_car_t", "memory_car_t", "tumour")])

    car_t = "effector_car_t"
    single = run((cartsim.Dose(car_t, 1.5e6, 42.0),))
    split = run((cartsim.Dose(car_t, 1e6, 42.0), cartsim.Dose(car_t, 0.5e6, 42.0)))
    reversed_split = run((cartsim.Dose(car_t, 0.5e6, 42.0), cartsim.Dose(car_t, 1e6, 42.0)))
    np.testing.assert_allclose(split, single, rtol=1e-12, atol=0)
    np.testing.assert_allclose(reversed_split, single, rtol=1e-12, atol=0)
    mixed = (cartsim.Dose(car_t, 2e5, 60.0), cartsim.Dose("tumour", 1e6, 60.0))
    np.testing.assert_allclose(run((*EX1.doses, *mixed)), run((*EX1.doses, *mixed[::-1])), rtol=1e-12, atol=0)


def test_untreated_controls_follow_closed_forms(cartmath: cartsim.Model) -> None:
    """Without CAR-T the tumour follows its closed form: logistic for HDLM-2,
    T(t) = K / (1 + (K/T0 - 1) exp(-r t)) with K = 1/b, and exponential for Raji (b = 0)."""
    hdlm2 = barros2021.SCENARIOS["untreated_hdlm2"].simulate(cartmath, **REFERENCE)
    capacity = 1.0 / cartmath.parameter("inverse_carrying_capacity").default
    growth = cartmath.parameter("tumour_growth_rate").default
    t = hdlm2["time"].values
    logistic = capacity / (1.0 + (capacity / 2e6 - 1.0) * np.exp(-growth * t))
    np.testing.assert_allclose(hdlm2["tumour"].values[0], logistic, rtol=1e-7)
    raji = barros2021.SCENARIOS["untreated_raji"].simulate(cartmath, **REFERENCE)
    raji_growth = barros2021.RAJI_PARAMS["tumour_growth_rate"]
    expected = 3e6 * np.exp(raji_growth * raji["time"].values)
    np.testing.assert_allclose(raji["tumour"].values[0], expected, rtol=1e-7)
    assert np.all(raji["total_car_t"].values == 0.0)


def test_raji_ido_ordering(cartmath: cartsim.Model) -> None:
    """ex4-ex6 (models.md section 7, Fig. 3b-d, qualitative): IDO (higher alpha) weakens the
    CAR-T19 effect and 1-MT partly restores it, so on day 15 the tumour is largest for Raji-IDO+,
    then IDO+ with 1-MT, then Raji; all are below the untreated control."""

    def tumour_day_15(name: str) -> float:
        return float(barros2021.SCENARIOS[name].simulate(cartmath, **REFERENCE)["tumour"].values[0, -1])

    raji, ido, ido_1mt, untreated = (tumour_day_15(n) for n in ("ex4", "ex5", "ex6", "untreated_raji"))
    assert raji < ido_1mt < ido < untreated


def test_scenarios_finish_quickly_with_adaptive_solver(cartmath: cartsim.Model) -> None:
    """Raji is nearly balanced (phi - rho = -5.4e-5 /day) and fast (theta * T up to ~1e5 /day),
    hence the reference software's 1e-5-day RK4 step. With the model's ``method="auto"`` every
    published scenario finishes "ok" at default tolerances in a few hundred steps."""
    assert math.isclose(
        barros2021.RAJI_PARAMS["effector_expansion_rate"] - barros2021.RAJI_PARAMS["effector_death_rate"], -5.36e-5
    )
    start = time.perf_counter()
    for name, scenario in barros2021.SCENARIOS.items():
        result = scenario.simulate(cartmath)
        assert result["status"].values[0] == "ok", name
        assert int(result["solver_steps"].values[0]) < 5000, name
    assert time.perf_counter() - start < 10.0


def test_zero_dose_leaves_no_car_t(cartmath: cartsim.Model) -> None:
    """A zero CAR-T dose (dose target C_T) leaves every CAR-T pool at zero over 28 days."""
    assert cartmath.dose == "effector_car_t"
    result = cartsim.simulate(cartmath, times=np.arange(29.0), doses=cartsim.Dose("effector_car_t", 0.0, 0.0))
    assert np.all(result["total_car_t"].values == 0.0)


def test_reference_points_match(cartmath: cartsim.Model) -> None:
    """The model page's reference points are reproduced by their scenarios (0.5 %)."""
    for point in barros2021.REFERENCE_POINTS:
        result = barros2021.SCENARIOS[point.scenario].simulate(cartmath, times=[0.0, point.time], **REFERENCE)
        assert float(result[point.variable].values[0, -1]) == pytest.approx(point.value, rel=5e-3)


def _hdlm2_rhs(_t: float, y: np.ndarray) -> list[float]:
    """models.md section 7 equations with the HDLM-2 parameters, transcribed independently."""
    effectors, memory, tumour = y
    return [
        (0.265 - 0.35) * effectors + 6.0e-6 * tumour * memory - 4.5e-8 * tumour * effectors,
        0.15 * effectors - 6.0e-6 * tumour * memory - 5.0e-3 * memory,
        5.650026e-2 * tumour * (1 - 1.404029e-12 * tumour) - 3.715843e-6 * tumour * effectors,
    ]


def test_ex1_matches_scipy_radau(ex1: xr.Dataset) -> None:
    """Cross-implementation: ex1 up to day 46 (before any state nears the 1e-6 level) against
    scipy's Radau (rtol 1e-10), restarted after the additive 1.5e6 dose into C_T on day 42;
    within 1e-6 relative above 1 cell."""
    from scipy.integrate import solve_ivp

    times = ex1["time"].values
    before, after = times[times <= 42.0], times[(times >= 42.0) & (times <= 46.0)]
    options = {"method": "Radau", "rtol": 1e-10, "atol": 1e-9}
    first = solve_ivp(_hdlm2_rhs, (0.0, 42.0), [0.0, 0.0, 2e6], t_eval=before, **options)
    start = first.y[:, -1] + np.array([1.5e6, 0.0, 0.0])  # cartsim's output at 42 is after the dose
    second = solve_ivp(_hdlm2_rhs, (42.0, 46.0), start, t_eval=after, **options)
    assert first.success
    assert second.success
    for row, state in enumerate(("effector_car_t", "memory_car_t", "tumour")):
        ours = ex1[state].sel(time=after).values[0]
        big = np.abs(second.y[row]) > 1.0
        np.testing.assert_allclose(ours[big], second.y[row][big], rtol=1e-6)
        np.testing.assert_allclose(ex1[state].sel(time=before[:-1]).values[0], first.y[row][:-1], rtol=1e-6, atol=1e-6)
