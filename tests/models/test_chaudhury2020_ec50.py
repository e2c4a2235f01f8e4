"""Chaudhury 2020 (b), the EC50 model with memory and functional cure, against its computed
references and structural claims; and the engine on the positivity stress case (c)
(models.md section 8)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

import cartsim
from cartsim.models import chaudhury2020_ec50

# Model (c), first-order expansion (Chaudhury 2020 supplement Eqs S1-S3; BioModels
# MODEL2109110005, not curated). NOT a library model: a positivity stress case for the engine.
# CE grows as 10*exp(t) until Tmax, so killing reaches d*CE ~ 76/day and the exact U falls to
# ~1e-30 cells/uL by Tmax and ~1e-227 by day 28, while ln(U) and (Ucrit/U)^h are undefined
# for U < 0.
FIRST_ORDER_TEXT = """
model(name="chaudhury2020_first_order_stress", description="Chaudhury 2020 (c): first-order expansion, positivity stress case")
expansion_rate = 1 | unit="1/day", lower=0, source="Chaudhury 2020 Eq S1 (illustrative)"
effector_decline_rate = 0.16 | unit="1/day", lower=0, source="Chaudhury 2020 Eq S1 (illustrative)"
persistence_conversion_rate = 0.0012 | unit="1/day", lower=0, source="Chaudhury 2020 Eqs S1-S2 (illustrative)"
persistent_decline_rate = 0.0032 | unit="1/day", lower=0, source="Chaudhury 2020 Eq S2 (illustrative)"
expansion_end = 9.3 | unit="day", lower=0, source="Chaudhury 2020 Eqs S1-S2 (illustrative)"
tumour_growth_rate = 0.3 | unit="1/day", lower=0, source="Chaudhury 2020 Eq S3 (illustrative)"
tumour_capacity = 100 | unit="cells/uL", lower=0, source="Chaudhury 2020 Eq S3 (illustrative)"
kill_rate = 0.0007 | unit="uL/(cell*day)", lower=0, source="Chaudhury 2020 Eq S3 (illustrative)"
cure_threshold = 0.1 | unit="cells/uL", lower=0, source="Chaudhury 2020 Eq S3 (illustrative)"
cure_steepness = 3 | unit="1", lower=0, source="Chaudhury 2020 Eq S3 (illustrative)"
infused_dose = 10 | unit="cells/uL", lower=0, source="Chaudhury 2020 initial condition (illustrative)"
initial_tumour = 900 | unit="cells/uL", lower=0, source="Chaudhury 2020 initial condition (illustrative)"
functional_cure = 1 / (1 + (cure_threshold / tumour) ** cure_steepness) | unit="1"
gompertz_growth = tumour_growth_rate * tumour * (log(tumour_capacity) - log(tumour)) / log(tumour_capacity)
    | unit="cells/(uL*day)"
contraction = (persistence_conversion_rate + effector_decline_rate) * effector | unit="cells/(uL*day)"
d/dt(effector) = expansion_rate * effector if t <= expansion_end else -contraction
    | unit="cells/uL"
d/dt(persistent) = 0 if t <= expansion_end else persistence_conversion_rate * effector - persistent_decline_rate * persistent
    | unit="cells/uL"
d/dt(tumour) = functional_cure * gompertz_growth - kill_rate * effector * tumour | unit="cells/uL"
effector(0) = infused_dose
tumour(0) = initial_tumour
"""


@pytest.fixture(scope="module")
def ec50() -> cartsim.Model:
    return cartsim.models.get("chaudhury2020_ec50")


@pytest.fixture(scope="module")
def first_order() -> cartsim.Model:
    return cartsim.parse_model(FIRST_ORDER_TEXT)


def expanded(model: cartsim.Model, state: str) -> sympy.Expr:
    """The state's derivative with every intermediate substituted."""
    expr = model.state(state).derivative
    by_symbol = {sympy.Symbol(i.name, real=True): i.expr for i in model.intermediates}
    while expr.free_symbols & by_symbol.keys():
        expr = expr.subs(by_symbol)
    return expr


def test_effector_at_5_days_and_tmax(ec50: cartsim.Model) -> None:
    """CE(5 d) = 1.78e4 and CE(9.3 d) = 2.28e4 cells/uL (computed reference, models.md
    section 8 (b); Chaudhury 2020 Eqs 7-9, illustrative values): equal at the 3 significant
    figures printed (and within 0.5 %), at rtol 1e-10 on a 0.1-day grid that contains 9.3."""
    times = np.round(np.arange(0, 101) * 0.1, 10)
    result = cartsim.simulate(ec50, times=times, rtol=1e-10, atol=1e-12)
    at_5, at_tmax = result["effector"].sel(time=[5.0, 9.3]).values[0]
    assert float(f"{at_5:.3g}") == 1.78e4
    assert float(f"{at_tmax:.3g}") == 2.28e4
    assert at_5 == pytest.approx(1.78e4, rel=5e-3)
    assert at_tmax == pytest.approx(2.28e4, rel=5e-3)


def test_switch_at_tmax(ec50: cartsim.Model) -> None:
    """The model expands while t <= Tmax (models.md section 8 pitfalls, switch convention): the
    text says `t <= expansion_end`, the engine breaks the integration at Tmax = 9.3 d, CE peaks
    exactly there (continuous state, derivative jump) and CP is exactly 0 until Tmax."""
    assert "t <= expansion_end" in chaudhury2020_ec50.TEXT
    assert set(ec50.switches) == {sympy.Symbol("expansion_end", real=True)}
    times = np.round(np.arange(0, 201) * 0.1, 10)
    result = cartsim.simulate(ec50, times=times, rtol=1e-10, atol=1e-12)
    effector = result["effector"].values[0]
    assert times[np.argmax(effector)] == 9.3
    assert np.all(result["persistent"].values[0, times <= 9.3] == 0.0)
    assert np.all(result["persistent"].values[0, times > 9.3] > 0.0)


def test_only_effectors_kill(ec50: cartsim.Model) -> None:
    """Only CE kills; CP does not appear in dU/dt (models.md section 8 pitfalls). Symbolically,
    dU/dt has neither CP nor beta; numerically, U over 100 days is the same (1e-7 relative at
    rtol 1e-10) when beta changes 150-fold or 1e4 cells/uL are added to CP at t = 0, while CP
    itself changes. kEP speeds CE's decline after Tmax, so it leaves U unchanged up to Tmax
    and changes it afterwards (the comparison can tell)."""
    tumour_rate = expanded(ec50, "tumour").free_symbols
    assert sympy.Symbol("persistent", real=True) not in tumour_rate
    assert sympy.Symbol("persistent_decline_rate", real=True) not in tumour_rate
    assert sympy.Symbol("effector", real=True) in tumour_rate

    times = np.round(np.arange(0, 1001) * 0.1, 10)
    params = {
        "persistent_decline_rate": [0.0032, 0.5, 0.0032, 0.0032],
        "persistence_conversion_rate": [0.0012, 0.0012, 0.0012, 0.12],
    }
    doses: list[list[cartsim.Dose]] = [[], [], [cartsim.Dose("persistent", 1e4, time=0.0)], []]
    result = cartsim.simulate(ec50, times=times, params=params, doses=doses, rtol=1e-10, atol=1e-12)
    assert set(result["status"].values) == {"ok"}
    tumour, persistent = result["tumour"].values, result["persistent"].values
    for patient in (1, 2):
        assert tumour[patient] == pytest.approx(tumour[0], rel=1e-7)
        assert np.max(np.abs(persistent[patient] - persistent[0])) > 10.0
    before = times <= 9.3
    assert tumour[3, before] == pytest.approx(tumour[0, before], rel=1e-7)
    assert not np.allclose(tumour[3, ~before], tumour[0, ~before], rtol=1e-3)


def test_functional_cure_keeps_tumour_positive_and_small(ec50: cartsim.Model) -> None:
    """F_cure suppresses growth once U << Ucrit, so U stays positive without regrowing
    (models.md section 8 pitfalls). With default tolerances over 365 days: status ok, U > 0 at
    every output, its minimum (~0.0087 cells/uL, about day 103) below Ucrit/10, and U(365 d)
    still below Ucrit/10 (per-capita growth there ~2e-4/day). Without the factor
    (cure_threshold = 0, F_cure = 1) the same patient relapses to > 90 % of Umax by day 365.
    (With these illustrative values U does not tend to 0: once the effectors are gone the
    residual growth, though 1000-fold suppressed, brings U back above Ucrit after ~1680 days.)"""
    times = np.arange(0.0, 366.0)
    result = cartsim.simulate(ec50, times=times, params={"cure_threshold": [0.1, 0.0]})
    assert set(result["status"].values) == {"ok"}
    cured, uncured = result["tumour"].values
    assert np.all(cured > 0)
    assert cured.min() < 0.01
    assert cured[-1] < 0.01
    assert uncured[-1] > 0.9 * 1000


def test_zero_dose_and_conformance_run(ec50: cartsim.Model) -> None:
    """A zero dose leaves the dose target (CE) at zero and the untreated tumour grows towards
    Umax; the 28-day daily run of typical values (no IIV) ends "ok"; the module's reference
    points are reproduced by its first scenario within 0.5 %."""
    times = np.arange(0.0, 29.0)
    untreated = cartsim.simulate(ec50, times=times, params={"infused_dose": 0.0})
    assert np.all(untreated["effector"].values == 0.0)
    assert np.all(np.diff(untreated["tumour"].values[0]) > 0)
    daily = cartsim.simulate(ec50, times=times, n_patients=100, seed=1)
    assert set(daily["status"].values) == {"ok"}
    assert not any(p.iiv is not None for p in ec50.parameters)
    scenario = next(iter(chaudhury2020_ec50.SCENARIOS.values()))
    result = scenario.simulate(ec50, rtol=1e-10, atol=1e-12)
    for point in chaudhury2020_ec50.REFERENCE_POINTS:
        value = float(result[point.variable].sel(time=point.time).values[0])
        assert value == pytest.approx(point.value, rel=5e-3)


# --- model (c): the positivity stress case ---------------------------------------------


def first_order_plain_lsoda() -> tuple[np.ndarray, np.ndarray, bool]:
    """Model (c) to Tmax with scipy's LSODA at its default tolerances and no positivity guard
    (as a plain SBML simulation would run it): times, U and the solver's success flag."""
    rho, g, u_max, d, u_crit, h = 1.0, 0.3, 100.0, 0.0007, 0.1, 3.0

    def rhs(t: float, y: np.ndarray) -> list[float]:
        effector, tumour = y
        with np.errstate(all="ignore"):
            cure = 1 / (1 + (u_crit / tumour) ** h)
            growth = cure * g * tumour * (np.log(u_max) - np.log(tumour)) / np.log(u_max)
        return [rho * effector, growth - d * effector * tumour]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solution = solve_ivp(rhs, (0.0, 9.3), [10.0, 900.0], method="LSODA")
    return solution.t, solution.y[1], bool(solution.success)


def test_stress_case_breaks_an_unguarded_solver() -> None:
    """models.md section 8 (c): without a positivity guard the tumour goes negative and
    ln(U) turns the solution into NaN (computed reference, behaviour). scipy's LSODA at
    default tolerances reports success although U is NaN from about day 8.4: the silent
    failure the engine must not reproduce."""
    times, tumour, success = first_order_plain_lsoda()
    assert success
    assert np.isnan(tumour[-1])
    first_bad = times[np.argmax(~(tumour > 0))]
    assert 7.0 < first_bad < 9.3


@pytest.mark.parametrize("method", ["auto", "explicit", "stiff"])
def test_stress_case_is_correct_or_flagged(first_order: cartsim.Model, method: str) -> None:
    """The engine on model (c) with default tolerances over 28 days (models.md section 10.6):
    it never returns "ok" with NaN/Inf or with U below -10*atol. Either the patient is "ok" and
    U is finite and >= -10*atol at every output (and tiny after Tmax, as the exact solution
    is), or it is flagged negative_state/non_finite with a status time, with finite values
    before that time.

    Observed: auto and explicit return "ok" with U > 0 throughout (down to ~3e-227
    cells/uL at day 28): a step whose U would be negative gives NaN from ln(U) and is
    rejected, so the step shrinks instead. From ~12 days (U ~ 3e-104) the symbolic Jacobian
    is inf/inf = NaN although U is positive; "stiff" then takes explicit steps and also
    returns "ok" (test_stress_case_stiff_method_survives_a_non_finite_jacobian)."""
    times = np.round(np.arange(0, 281) * 0.1, 10)
    atol = 1e-9  # the default
    result = cartsim.simulate(first_order, times=times, method=method)
    status = str(result["status"].values[0])
    tumour = result["tumour"].values[0]
    states = np.stack([result[name].values[0] for name in first_order.state_names])
    if status == "ok":
        assert np.all(np.isfinite(states))
        assert np.all(states >= -10 * atol)
        assert np.all(tumour[times > 9.3] < 1e-20)
    else:
        assert status in {"negative_state", "non_finite"}
        when = float(result["status_time"].values[0])
        assert 0.0 < when <= 28.0
        assert np.all(np.isfinite(states[:, times < when]))
        assert np.all(states[:, times < when] >= -10 * atol)


def test_stress_case_default_method_is_correct(first_order: cartsim.Model) -> None:
    """With the model's default method and tolerances the engine gets model (c) right: "ok",
    U > 0 and finite at every output over 28 days, as the exact solution (positive) is."""
    times = np.round(np.arange(0, 281) * 0.1, 10)
    result = cartsim.simulate(first_order, times=times)
    assert result["status"].values[0] == "ok"
    tumour = result["tumour"].values[0]
    assert np.all(np.isfinite(tumour))
    assert np.all(tumour > 0)


def test_stress_case_stiff_method_survives_a_non_finite_jacobian(first_order: cartsim.Model) -> None:
    """With method="stiff" the Jacobian turns inf/inf once (Ucrit/U)^3 overflows (~day 12)
    while f stays finite; the engine steps explicitly there instead of flagging the patient
    non_finite, and U stays positive and finite (it was flagged before this fallback)."""
    times = np.round(np.arange(0, 281) * 0.1, 10)
    result = cartsim.simulate(first_order, times=times, method="stiff")
    assert result["status"].values[0] == "ok"
    tumour = result["tumour"].values[0]
    assert np.all(np.isfinite(tumour))
    assert np.all(tumour > 0)
