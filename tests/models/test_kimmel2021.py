"""Kimmel 2021 against its published and computed reference numbers (models.md section 2)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import xarray as xr
from scipy.integrate import solve_ivp

import cartsim
from cartsim.models import kimmel2021

#: Tight tolerances for reference comparisons; the tumour falls to ~1e-13 mL, so its absolute
#: tolerance must be far below that for its relative accuracy to hold.
# Deterministic reference runs: the hybrid stochastic mode is off (tested in the cure tests).
TIGHT: dict[str, Any] = {"rtol": 1e-10, "atol": {"normal_t": 1e-12, "car_t": 1e-12, "tumour": 1e-22}, "hybrid": False}
#: 75 % quantile of the standard normal: the IQR of N(0, sigma^2) is 2 * 0.67449 * sigma.
Z75 = 0.6744897501960817


@pytest.fixture(scope="module")
def kimmel() -> cartsim.Model:
    return cartsim.models.get("kimmel2021")


@pytest.fixture(scope="module")
def typical(kimmel: cartsim.Model) -> xr.Dataset:
    """Typical patient on a 0.01-day grid over one year."""
    times = np.round(np.arange(0, 36501) * 0.01, 10)
    result: xr.Dataset = cartsim.simulate(kimmel, times=times, **TIGHT)
    return result


def _at(result: xr.Dataset, variable: str, day: float) -> float:
    return float(result[variable].sel(time=day).values[0])


def _reference_rhs(parameters: dict[str, float]):  # type: ignore[no-untyped-def]
    """Eqs 2.1-2.3 written out independently of the model text (r_C as in the Fig. 2b inset)."""
    p = parameters

    def rhs(_: float, y: np.ndarray) -> list[float]:
        normal, car, tumour = y
        total = normal + car
        r_c = p["car_t_baseline_rate"] + p["reconstitution_boost"] * (total - p["normal_t_capacity"]) ** 2 / (
            p["signalling_inefficiency"] * total**2 + (total - p["normal_t_capacity"]) ** 2
        )
        return [
            -p["normal_t_growth_rate"] * normal * math.log(total / p["normal_t_capacity"]),
            -r_c * car * math.log(total / p["car_t_capacity"]),
            p["tumour_growth_rate"] * tumour - p["max_kill_rate"] * tumour * car / (p["kill_half_saturation"] + car),
        ]

    return rhs


def test_deterministic_car_t_peak(typical: xr.Dataset) -> None:
    """CAR-T peak 30.1 cells/uL at day 7.0 (models.md section 2, computed reference, LSODA
    rtol<=1e-9). Compared at the precision printed: value to 0.05, time to the last digit shown
    (0.1 d) on a 0.01-day grid."""
    car_t = typical["car_t"].values[0]
    peak = int(np.argmax(car_t))
    assert car_t[peak] == pytest.approx(30.1, abs=0.05)
    assert round(float(typical["time"].values[peak]), 1) == 7.0


def test_car_t_at_14_28_90_days(typical: xr.Dataset) -> None:
    """C(14), C(28), C(90) = 8.97, 2.49, 0.338 cells/uL (models.md section 2, computed
    reference); compared to half a unit of the last printed digit (3 significant figures)."""
    assert _at(typical, "car_t", 14.0) == pytest.approx(8.97, abs=0.005)
    assert _at(typical, "car_t", 28.0) == pytest.approx(2.49, abs=0.005)
    assert _at(typical, "car_t", 90.0) == pytest.approx(0.338, abs=0.0005)


def test_normal_t_at_28_and_90_days(typical: xr.Dataset) -> None:
    """N(28), N(90) = 473, 499.6 cells/uL (models.md section 2, computed reference); compared to
    half a unit of the last printed digit."""
    assert _at(typical, "normal_t", 28.0) == pytest.approx(473.0, abs=0.5)
    assert _at(typical, "normal_t", 90.0) == pytest.approx(499.6, abs=0.05)


@pytest.mark.parametrize(
    ("day", "median", "q1", "q3"),
    [(7.0, 27.5, 16.5, 57.5), (14.0, 9.1, 3.8, 31.1), (28.0, 2.1, 0.6, 6.1), (90.0, 0.1, 0.01, 0.4)],
)
def test_typical_curve_inside_zuma1_iqr(typical: xr.Dataset, day: float, median: float, q1: float, q3: float) -> None:
    """Moffitt ZUMA-1 CAR-T counts, median (IQR) cells/uL: d7 27.5 (16.5-57.5), d14 9.1
    (3.8-31.1), d28 2.1 (0.6-6.1), d90 0.1 (0.01-0.4) (models.md section 2, published; the
    data the model was fitted to). A published comparison, not a fit: the typical curve must lie
    inside each reported IQR."""
    value = _at(typical, "car_t", day)
    assert q1 <= value <= q3, f"C({day:g} d) = {value:.3g} cells/uL outside the ZUMA-1 IQR [{q1}, {q3}] (median {median})"


def test_deterministic_tumour_never_reaches_zero(typical: xr.Dataset) -> None:
    """Deterministic B never reaches 0 (models.md section 2 pitfalls): it falls far below the
    hybrid threshold of ~100 cells (1e-7 mL) and regrows. Deterministic minimum with the typical
    values: 7.46e-14 mL on day 160.1 (computed here against scipy Radau rtol 1e-11; compared
    at 0.5 %, day to 0.1 d)."""
    tumour = typical["tumour"].values[0]
    lowest = int(np.argmin(tumour))
    assert np.all(tumour > 0)
    assert tumour[lowest] < 1e-7
    assert tumour[lowest] == pytest.approx(7.46e-14, rel=5e-3)
    assert round(float(typical["time"].values[lowest]), 1) == 160.1
    assert tumour[-1] > tumour[lowest]  # regrowth: no deterministic cure


def test_matches_independent_scipy_solution(kimmel: cartsim.Model, typical: xr.Dataset) -> None:
    """Cross-implementation: the whole year against scipy Radau (rtol 1e-11) of Eqs 2.1-2.3
    written out in this test; relative error below 1e-6 for N and C, 1e-5 for B (which spans
    15 orders of magnitude)."""
    parameters = {p.name: p.default for p in kimmel.parameters}
    times = typical["time"].values[::100]
    initial = [parameters["normal_t_after_lymphodepletion"], parameters["infused_dose"], parameters["initial_tumour_volume"]]
    reference = solve_ivp(
        _reference_rhs(parameters), (0.0, times[-1]), initial, method="Radau", t_eval=times, rtol=1e-11, atol=1e-24
    )
    assert reference.success
    for index, (state, bound) in enumerate((("normal_t", 1e-6), ("car_t", 1e-6), ("tumour", 1e-5))):
        ours = typical[state].values[0, ::100]
        assert np.max(np.abs(ours / reference.y[index] - 1)) < bound, state


def test_progression_time_definition() -> None:
    """Progression = B >= 1.2 B(0) (models.md section 2, published definition): the first output
    time at or above the threshold, per patient; NaN when never reached."""
    times = np.array([0.0, 1.0, 2.0, 3.0])
    tumour = np.array([[10.0, 11.0, 12.0, 13.0], [10.0, 9.0, 11.9, 11.99], [5.0, 6.5, 5.0, 7.0]])
    result = xr.Dataset(
        {"tumour": (("patient", "time"), tumour)},
        coords={"time": times, "initial_tumour_volume": ("patient", [10.0, 10.0, 5.0])},
    )
    found = kimmel2021.progression_time(result)
    assert found.shape == (3,)
    assert found[0] == 2.0  # exactly 1.2 B(0) counts
    assert math.isnan(found[1])
    assert found[2] == 1.0


def test_progression_time_against_event_detection(kimmel: cartsim.Model) -> None:
    """With a fast tumour (r_B = 0.2/day, inside the paper's literature range 0.01-0.5) the tumour
    escapes; progression_time on a 0.1-day grid is the first grid point at or after the crossing
    time found by scipy event detection. The typical patient (r_B = 0.01) does not progress
    within a year (NaN)."""
    times = np.round(np.arange(0, 3651) * 0.1, 10)
    result = cartsim.simulate(kimmel, times=times, params={"tumour_growth_rate": [0.01, 0.2]}, **TIGHT)
    found = kimmel2021.progression_time(result)
    assert math.isnan(found[0])
    parameters = {p.name: p.default for p in kimmel.parameters} | {"tumour_growth_rate": 0.2}
    threshold = 1.2 * parameters["initial_tumour_volume"]

    def crossing(_: float, y: np.ndarray) -> float:
        return float(y[2] - threshold)

    crossing.terminal = True  # type: ignore[attr-defined]
    crossing.direction = 1  # type: ignore[attr-defined]
    initial = [parameters["normal_t_after_lymphodepletion"], parameters["infused_dose"], parameters["initial_tumour_volume"]]
    reference = solve_ivp(
        _reference_rhs(parameters), (0.0, 365.0), initial, method="Radau", events=crossing, rtol=1e-11, atol=1e-24
    )
    event_time = float(reference.t_events[0][0])
    assert event_time <= found[1] < event_time + 0.1


def test_cell_conversion_maps_table_1_to_per_microlitre(kimmel: cartsim.Model) -> None:
    """The model's own factor 5e8 (models.md section 0: not a blood volume) maps the paper's
    Table 1 cell numbers to the per-uL defaults at the precision printed: K_N 2.50e11 -> 500,
    K_C 6.96e10 -> 139, k_B 2.024e9 -> 4.05, C(0) 1.80e8 -> 0.36, N(0) 3.00e9 -> 6; and back."""
    table_1 = {
        "normal_t_capacity": 2.50e11,
        "car_t_capacity": 6.96e10,
        "kill_half_saturation": 2.024e9,
        "infused_dose": 1.80e8,
        "normal_t_after_lymphodepletion": 3.00e9,
    }
    for name, cells in table_1.items():
        default = kimmel.parameter(name).default
        assert kimmel2021.cells_to_per_microlitre(cells) == pytest.approx(default, rel=2e-3), name
        assert kimmel2021.per_microlitre_to_cells(kimmel2021.cells_to_per_microlitre(cells)) == pytest.approx(cells)
    both = kimmel2021.cells_to_per_microlitre(np.array([5e8, 1e9]))
    np.testing.assert_allclose(both, [1.0, 2.0])


@pytest.mark.parametrize(
    ("name", "q1", "q3"),
    [
        ("car_t_capacity", 6.15, 9.65),
        ("normal_t_growth_rate", 0.165, 0.170),
        ("car_t_baseline_rate", 2.08, 3.54),
        ("reconstitution_boost", 4.67, 5.22),
        ("max_kill_rate", 0.64, 1.35),
        ("kill_half_saturation", 1.40, 3.125),
    ],
)
def test_iiv_omega_derived_from_table_1_quartiles(kimmel: cartsim.Model, name: str, q1: float, q3: float) -> None:
    """IIV is an assumption of cartsim, derived from the Table 1 quartile ranges (models.md
    section 2): omega = ln(Q3/Q1) / (2 * 0.67449), given to 3 significant figures (rel 2e-3)."""
    iiv = kimmel.parameter(name).iiv
    assert iiv is not None
    assert iiv.reported_as == "omega"
    assert math.sqrt(iiv.variance) == pytest.approx(math.log(q3 / q1) / (2 * Z75), rel=2e-3)


def test_no_iiv_where_the_paper_gives_no_usable_range(kimmel: cartsim.Model) -> None:
    """`a`: the printed range [0.100, 0.302] excludes the estimate 0.423 (typo, models.md
    section 2 pitfalls), so no IIV; K_N (literature) and r_B (not fitted) have none either."""
    for name in ("signalling_inefficiency", "normal_t_capacity", "tumour_growth_rate"):
        assert kimmel.parameter(name).iiv is None, name
    assert kimmel.parameter("signalling_inefficiency").default == 0.423


def test_second_infusion_helps_only_after_relymphodepletion(kimmel: cartsim.Model) -> None:
    """Kimmel 2021 conclusion (models.md section 2, dose handling; ESM section 6): a second
    infusion (additive bolus on C at day 30) expands only if N is first reset to its post-LD
    level (mode="set"). With re-LD CAR-T rise well above the first peak (to ~69 cells/uL); without
    it they never exceed the level right after the bolus."""
    day = 30.0
    runs = {
        name: kimmel2021.SCENARIOS[f"second_infusion_{name}_relymphodepletion"].simulate(kimmel, **TIGHT)
        for name in ("with", "without")
    }
    for result in runs.values():
        assert result["status"].values[0] == "ok"
    times = runs["with"]["time"].values
    after = times > day
    right_after = _at(runs["without"], "car_t", 30.1)
    assert runs["without"]["car_t"].values[0, after].max() <= right_after
    assert _at(runs["with"], "normal_t", 30.1) < 10.0
    assert runs["with"]["car_t"].values[0, after].max() > 2 * 30.1
    assert runs["with"]["tumour"].values[0].min() < 1e-6 * runs["without"]["tumour"].values[0].min()


def test_second_infusion_doses() -> None:
    """Re-lymphodepletion is a reset (mode="set") of normal_t; the infusion adds to car_t."""
    reset, infusion = kimmel2021.second_infusion(45.0, 0.5)
    assert (reset.state, reset.mode, reset.amount, reset.time) == ("normal_t", "set", 6.0, 45.0)
    assert (infusion.state, infusion.mode, infusion.amount, infusion.time) == ("car_t", "add", 0.5, 45.0)
    assert kimmel2021.second_infusion(45.0, relymphodepletion=False) == (cartsim.Dose("car_t", 0.36, 45.0),)


def test_deterministic_response_follows_cure_drivers(kimmel: cartsim.Model) -> None:
    """Published (qualitative, via the hybrid model): cure probability rises with K_C and falls
    with N(0). Deterministic analogue: the tumour's lowest value over a year falls as K_C rises
    and rises with N(0)."""
    times = np.arange(0.0, 366.0)
    by_capacity = cartsim.simulate(kimmel, times=times, params={"car_t_capacity": [100.0, 139.0, 200.0]}, **TIGHT)
    by_normal = cartsim.simulate(kimmel, times=times, params={"normal_t_after_lymphodepletion": [1.0, 6.0, 30.0]}, **TIGHT)
    assert np.all(np.diff(by_capacity["tumour"].min("time").values) < 0)
    assert np.all(np.diff(by_normal["tumour"].min("time").values) > 0)


def test_zero_dose_keeps_car_t_at_zero(kimmel: cartsim.Model) -> None:
    """The dose is the initial condition (dose="infused_dose"): zero dose, no CAR-T; N still
    regrows towards K_N (T = N > 0 keeps ln(T/K) defined) and the tumour grows at r_B."""
    result = cartsim.simulate(kimmel, times=np.arange(0.0, 29.0), params={"infused_dose": 0.0})
    assert kimmel.dose == "infused_dose"
    assert result["status"].values[0] == "ok"
    assert np.all(result["car_t"].values == 0)
    assert result["tumour"].values[0, -1] == pytest.approx(94.86 * math.exp(0.01 * 28), rel=1e-6)


def test_complete_depletion_is_rejected(kimmel: cartsim.Model) -> None:
    """ln(T/K) needs T > 0 (models.md section 2 pitfalls): N(0) = 0 is outside the parameter's
    range (lower bound one cell, 2e-9 cells/uL), rejected before any integration."""
    with pytest.raises(cartsim.ParameterError, match="normal_t_after_lymphodepletion"):
        cartsim.simulate(kimmel, times=[0.0, 1.0], params={"normal_t_after_lymphodepletion": 0.0})


def test_iiv_population_runs_cleanly(kimmel: cartsim.Model) -> None:
    """100 IIV patients over 28 days (daily output) all finish "ok" with positive T-cell counts;
    with the module's per-state tolerances the tumour undershoots zero by no more than its atol
    (1e-15 mL), i.e. only by solver error far below one cell."""
    atol = kimmel2021.ABSOLUTE_TOLERANCES
    result = cartsim.simulate(kimmel, times=np.arange(0.0, 29.0), n_patients=100, seed=11, atol=atol)
    assert set(result["status"].values) == {"ok"}
    assert float(result["tumour"].min()) > -10 * atol["tumour"]
    assert np.all(result["car_t"].values > 0)
    assert np.all(result["normal_t"].values > 0)


# --- Hybrid stochastic cure (Kimmel 2021 ESM section 5; the engine's `stochastic_below`) ---


def test_cure_probability_rises_with_car_t_capacity() -> None:
    """Published (qualitative, Kimmel 2021): cure probability rises with K_C. Seeded cohorts of
    500 patients (IIV and tumour events from seed 1, common to all arms) at K_C = 70, 139 and
    280 cells/uL: the cure fraction increases, and the extreme arms' Wilson 95 % intervals do
    not overlap."""
    arms = [kimmel2021.cure_probability(500, seed=1, params={"car_t_capacity": k}) for k in (70.0, 139.0, 280.0)]
    assert arms[0].probability < arms[1].probability < arms[2].probability
    assert arms[0].high < arms[2].low


def test_cure_probability_falls_with_normal_t_at_infusion() -> None:
    """Published (qualitative, Kimmel 2021): cure probability falls as more normal T cells are
    left after lymphodepletion (N(0) = 1, 6, 30 cells/uL; 500 patients, seed 1)."""
    arms = [kimmel2021.cure_probability(500, seed=1, params={"normal_t_after_lymphodepletion": n}) for n in (1.0, 6.0, 30.0)]
    assert arms[0].probability > arms[1].probability > arms[2].probability
    assert arms[0].low > arms[2].high


def test_cure_is_weakly_sensitive_to_the_threshold() -> None:
    """Kimmel 2021 reports outcomes depending only weakly on the switching threshold: moving
    it from 100 to 1,000 cells changes the cure fraction of the same 1,000 seeded patients by
    less than 0.02 (the binomial SE of one arm is ~0.016)."""
    fractions = []
    higher = cartsim.parse_model(
        kimmel2021.TEXT.replace("stochastic_below=1e-7", "stochastic_below=1e-6"), name="kimmel2021_1000_cells"
    )
    for model in (cartsim.models.get("kimmel2021"), higher):
        result = cartsim.simulate(model, times=np.arange(0.0, 366.0), n_patients=1000, seed=1, atol=kimmel2021.HYBRID_TOLERANCES)
        assert (result["status"].values == "ok").all()
        fractions.append(float(kimmel2021.outcomes(result)["cured"].mean()))
    assert max(fractions) - min(fractions) < 0.02


def test_outcomes_of_a_hybrid_cohort(kimmel: cartsim.Model) -> None:
    """Cured patients hold exactly 0 cells from their cure day on; everyone else keeps a
    positive tumour; the deterministic run of the same patients cures no one."""
    times = np.arange(0.0, 366.0)
    hybrid = cartsim.simulate(kimmel, times=times, n_patients=200, seed=4, atol=kimmel2021.HYBRID_TOLERANCES)
    table = kimmel2021.outcomes(hybrid)
    tumour = hybrid["tumour"].values
    assert 0 < table["cured"].sum() < 200
    for row, (cured, day) in enumerate(zip(table["cured"], table["cure_day"], strict=True)):
        if cured:
            assert np.all(tumour[row, times >= day] == 0.0)
            assert np.all(tumour[row, times < day] > 0.0)
        else:
            assert np.all(tumour[row] > 0.0)
    deterministic = cartsim.simulate(
        kimmel, times=times, n_patients=200, seed=4, hybrid=False, **{"rtol": TIGHT["rtol"], "atol": TIGHT["atol"]}
    )
    assert not kimmel2021.outcomes(deterministic)["cured"].any()
    assert hybrid.attrs["stochastic_mode"].startswith("tumour: birth-death")
    # A deterministic tumour that underflows to 0.0 (it can, after ~1e-320 cells) is no cure;
    # the same zeros in a hybrid result are.
    underflowed = deterministic.copy(deep=True)
    underflowed["tumour"].values[0, times >= 300] = 0.0
    assert not kimmel2021.outcomes(underflowed)["cured"].iloc[0]
    underflowed.attrs["stochastic_mode"] = hybrid.attrs["stochastic_mode"]
    assert kimmel2021.outcomes(underflowed)["cure_day"].iloc[0] == 300.0
