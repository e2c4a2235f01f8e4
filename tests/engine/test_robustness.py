"""A corpus of pathological models and inputs: each patient ends correct or flagged, never silently wrong.

Every case of ``CASES`` runs one pathological patient between two healthy ones in a single
batch (per-patient ``params`` and dose schedules) and checks the engine's contract:

- the batch is never killed by an exception;
- a patient whose status is ``ok`` holds only finite values, and they agree with the case's
  reference (a closed form, or ``scipy.integrate.solve_ivp(method="Radau", rtol=1e-10)``);
- a patient with any other status carries a finite ``status_time`` inside the simulated span,
  finite values before it (which agree with the reference where it is trusted) and NaN after it;
- the two healthy patients are bit-identical to a run of them alone.

All cases share one model, ``ROBUSTNESS_TEXT``: a switchboard whose parameter ``mode`` picks
the right-hand side of ``x`` (a non-negative state), of the latent ``v`` (may go negative) and
of ``e`` (extinct below 1e-6), so the whole corpus compiles one kernel. The branches are
``a if mode == i else ...`` expressions, which evaluate only the selected branch.

Every case runs with each integration method ``cartsim.simulate`` offers (only the explicit
one before the ``method`` keyword exists). A last test runs 10,000 ``cart6`` patients with
log-normal parameter spread for a year and counts negative values of non-negative states.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import scipy.integrate
import scipy.special
import xarray as xr

import cartsim

METHODS: list[str | None] = ["explicit", "stiff", "auto"]

DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9

# --------------------------------------------------------------------------------------------
# The switchboard model
# --------------------------------------------------------------------------------------------

#: Right-hand side of the non-negative state ``x`` for each mode (mode 0: ``x`` is constant).
X_RHS: dict[str, str] = {
    "decay": "-k * x",  # k < 0 is exponential growth
    "quadratic": "k * x**2",  # blows up at t = 1 / (k x0)
    "exponential": "exp(x)",  # blows up at t = exp(-x0); exp overflows for x > 709.78
    "parameter_ratio": "c / k",  # constant; k = 0 divides by zero
    "inverse": "k / x",  # x = sqrt(x0**2 + 2 k t); x = 0 divides by zero
    # x = (x0**3 + 3 t)**(1/3); at x = 0 numba's 0.0 ** -2 would raise ZeroDivisionError
    # (whatever the error model) unless the kernel prints it as 1.0 / x**2.
    "negative_power": "x ** -2",
    "sqrt_drain": "-k * sqrt(x)",  # reaches 0 at t = 2 sqrt(x0) / k, then sqrt of a negative
    "log_drain": "log(x)",  # reaches 0 in finite time with infinite slope, then log of a negative
    "switch": "2 if x < 1 else 0.5",  # state-dependent switch crossed once
    "chatter": "k if x < c else -k",  # sliding mode: the switch attracts from both sides
    "drain": "-k * x - c",  # crosses 0 at t = ln(1 + k x0 / c) / k
    "sqrt_parameter": "sqrt(c) * x",  # c < 0: NaN from a parameter
    "fractional_power": "(x - c) ** 0.5",  # x < c: a negative base to a fractional power
    "oscillator": "-k * v",  # with v' = k (x - c): x = c + cos(k t)
    "logistic": "k * x * (1 - x / c)",
    "guarded_division": "-x / c if c > 0 else -x",  # the user guards a division by a parameter
    # A functional-cure factor (Chaudhury 2020): f stays finite as x -> 0, but its Jacobian is
    # inf/inf once (c/x)**3 overflows (x < 1e-103 c).
    "cure_factor": "-k * x + 0.5 * k * x / (1 + (c / x) ** 3)",
}
MODE: dict[str, int] = {"constant": 0, **{name: index for index, name in enumerate(X_RHS, start=1)}} | {
    "latent_drain": len(X_RHS) + 1,
    "extinction": len(X_RHS) + 2,
}


def _switchboard() -> str:
    x_branches = ", ".join(f"{rhs}, mode == {MODE[name]}" for name, rhs in X_RHS.items())
    return f"""
model(name="robustness", description="switchboard of pathological right-hand sides (tests/engine/test_robustness.py)")
mode = 0 | unit="1", description="which right-hand side: MODE in the test module"
k = 1    | unit="1/day"
c = 1    | unit="1"
x0 = 1   | unit="1"
d/dt(x) = piecewise({x_branches}, 0) | unit="1"
x(0) = x0
d/dt(v) = piecewise(k * (x - c), mode == {MODE["oscillator"]}, -k * v - c, mode == {MODE["latent_drain"]}, 0)
    | unit="1", nonnegative=False
d/dt(e) = -k * e if mode == {MODE["extinction"]} else 0 | unit="1", extinction=1e-6
e(0) = 1
"""


ROBUSTNESS_TEXT = _switchboard()


@pytest.fixture(scope="module")
def robustness_model() -> cartsim.Model:
    return cartsim.parse_model(ROBUSTNESS_TEXT)


def run(model: cartsim.Model, method: str | None, **kwargs: Any) -> xr.Dataset:
    """``cartsim.simulate`` with ``method`` when the keyword exists (``None``: the default)."""
    if method is not None:
        kwargs["method"] = method
    return cartsim.simulate(model, **kwargs)


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------

Reference = Callable[[np.ndarray], Mapping[str, np.ndarray]]
ANY_FAILURE = frozenset({"max_steps", "non_finite", "negative_state", "step_too_small"})
OK = frozenset({"ok"})


@dataclass(frozen=True)
class Case:
    """One pathological patient and what the engine must do with it.

    ``expect`` maps a method name (or ``"*"`` for any method) to the statuses allowed. When the
    status is ``ok`` the patient must match ``reference`` to ``tolerance``, mixed: relative
    above ``scale`` (default ``atol / rtol``, the level below which the solver controls
    absolute error), absolute and divided by ``scale`` below it. When the status is not ``ok``
    the status time must lie in the window ``status_time`` (if given) and the values before it
    must match the reference up to ``trusted_until``. ``why`` says why the tolerance is what it is.
    """

    id: str
    mode: str
    params: Mapping[str, float]
    times: tuple[float, ...]
    expect: Mapping[str, frozenset[str]]
    reference: Reference | None = None
    tolerance: float = 1e-5
    why: str = "default tolerances (rtol 1e-6): the global error stays within 10 rtol"
    trusted_until: float = math.inf
    status_time: tuple[float, float] | None = None
    scale: float | None = None
    doses: tuple[cartsim.Dose, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    def allowed(self, method: str | None) -> frozenset[str]:
        return self.expect.get(method or "explicit", self.expect.get("*", frozenset()))


def near(time: float, tolerance: float = 1e-9) -> tuple[float, float]:
    """The window ``time +- tolerance`` for ``Case.status_time``."""
    return (time - tolerance, time + tolerance)


def grid(start: float, stop: float, count: int) -> tuple[float, ...]:
    return tuple(float(t) for t in np.linspace(start, stop, count))


def radau(rhs: Callable[[float, float], float], start: float, until: float, state: str = "x") -> Reference:
    """The reference of a scalar ODE from scipy's Radau at rtol 1e-10 (valid on [times[0], until])."""

    def reference(times: np.ndarray) -> Mapping[str, np.ndarray]:
        inside = times[times <= until]
        solution = scipy.integrate.solve_ivp(
            lambda t, y: [rhs(t, y[0])], (inside[0], inside[-1]), [start], method="Radau", t_eval=inside, rtol=1e-10, atol=1e-14
        )
        assert solution.success, solution.message
        values = np.full(times.shape, np.nan)
        values[: inside.size] = solution.y[0]
        return {state: values}

    return reference


def extinct_decay(times: np.ndarray) -> Mapping[str, np.ndarray]:
    return {"e": np.where(times < math.log(1e6), np.exp(-times), 0.0)}


def doses_every(interval: float, count: int, amount: float) -> tuple[cartsim.Dose, ...]:
    return cartsim.Dose.repeated("x", amount, interval=interval, count=count, start=interval)


def superposed_decay(dose_times: np.ndarray, amount: float, rate: float) -> Reference:
    def reference(times: np.ndarray) -> Mapping[str, np.ndarray]:
        lag = times[:, None] - dose_times[None, :]
        landed = lag >= -1e-9
        return {"x": np.exp(-rate * times) + amount * np.sum(np.where(landed, np.exp(-rate * np.maximum(lag, 0.0)), 0.0), axis=1)}

    return reference


LOG_DRAIN_END = -float(scipy.special.expi(math.log(0.5)))  # x' = ln x from 0.5 reaches 0 at li(0.5)-li(0)
OVERFLOW_TIME = math.log(np.finfo(float).max / 1e300)  # 1e300 e^t overflows here (t = 19.0)
WEEK = 2 * math.pi / 7  # one oscillation a week
TEN_YEARS = tuple(float(t) for t in np.arange(0.0, 3651.0))

CASES = [
    # --- healthy references: the contract holds for ordinary patients too
    Case(
        "healthy-decay",
        "decay",
        {"k": 0.5},
        grid(0, 10, 21),
        {"*": OK},
        reference=lambda t: {"x": np.exp(-0.5 * t)},
    ),
    Case(
        "zero-derivative-is-exactly-constant",
        "constant",
        {"x0": 3.0},
        grid(0, 10, 11),
        {"*": OK},
        reference=lambda t: {"x": np.full(t.shape, 3.0), "v": np.zeros(t.shape), "e": np.ones(t.shape)},
        tolerance=0.0,
        why="a zero derivative leaves every state exactly where it is",
    ),
    # --- division by zero at run time (IEEE: x / 0 is infinite, so the patient is non_finite)
    Case(
        "division-by-zero-parameter",
        "parameter_ratio",
        {"k": 0.0, "c": 1.0},
        grid(0, 5, 6),
        {"*": frozenset({"non_finite"})},
        status_time=near(0.0),
    ),
    Case(
        "division-by-zero-state-after-reset-dose",
        "inverse",
        {"k": 1.0, "x0": 1.0},
        grid(0, 4, 41),
        {"*": frozenset({"non_finite"})},
        reference=lambda t: {"x": np.sqrt(1 + 2 * t)},
        status_time=near(2.0),
        doses=(cartsim.Dose("x", 0.0, time=2.0, mode="set"),),
    ),
    Case(
        "negative-integer-power-of-zero-state-after-reset-dose",
        "negative_power",
        {"x0": 1.0},
        grid(0, 4, 41),
        {"*": frozenset({"non_finite"})},
        reference=lambda t: {"x": np.cbrt(1 + 3 * t)},
        status_time=near(2.0),
        doses=(cartsim.Dose("x", 0.0, time=2.0, mode="set"),),
    ),
    Case(
        "non-finite-jacobian-with-finite-rhs",
        "cure_factor",
        {"k": 1.0, "c": 1.0, "x0": 1e-120},
        grid(0, 10, 11),
        {"*": OK},
        reference=lambda t: {"x": 1e-120 * np.exp(-t)},
        why="(c/x)**3 overflows, so the Jacobian is inf/inf while f = -x (1 - 0.5/(1 + inf)) = -x is finite: "
        "the stiff method takes explicit steps there (values far below atol: absolute accuracy)",
    ),
    Case(
        "guarded-division-by-zero-parameter",
        "guarded_division",
        {"c": 0.0},
        grid(0, 5, 11),
        {"*": OK},
        reference=lambda t: {"x": np.exp(-t)},
    ),
    # --- NaN from parameters (a NaN override itself is refused up front: test_status.py)
    Case(
        "nan-from-sqrt-of-negative-parameter",
        "sqrt_parameter",
        {"c": -1.0},
        grid(0, 5, 6),
        {"*": frozenset({"non_finite"})},
        status_time=near(0.0),
    ),
    Case(
        "nan-from-negative-base-fractional-power",
        "fractional_power",
        {"c": 2.0, "x0": 1.0},
        grid(0, 5, 6),
        {"*": frozenset({"non_finite"})},
        status_time=near(0.0),
    ),
    # --- overflow
    Case(
        "overflow-of-exp-at-start",
        "exponential",
        {"x0": 710.0},
        grid(0, 1, 3),
        {"*": frozenset({"non_finite"})},
        status_time=near(0.0),
    ),
    Case(
        "overflow-during-growth",
        "decay",
        {"k": -1.0, "x0": 1e300},
        grid(0, 30, 61),
        {"*": ANY_FAILURE},
        reference=lambda t: {"x": 1e300 * np.exp(t)},
        # The stage sums of a step (coefficients up to 12 in DOPRI5) overflow up to ln(100)
        # days before the solution itself does: an early flag is still a flag.
        status_time=(OVERFLOW_TIME - math.log(100), OVERFLOW_TIME),
    ),
    Case(
        "overflow-from-a-dose",
        "constant",
        {"x0": 1e308},
        grid(0, 2, 5),
        {"*": frozenset({"non_finite"})},
        reference=lambda t: {"x": np.full(t.shape, 1e308)},
        status_time=near(1.0),
        doses=(cartsim.Dose("x", 1e308, time=1.0),),
    ),
    # --- finite-time blow-up
    Case(
        "blow-up-quadratic",
        "quadratic",
        {"k": 1.0, "x0": 1.0},
        grid(0, 2, 41),
        {"*": ANY_FAILURE},
        reference=lambda t: {"x": 1 / (1 - t)},
        tolerance=1e-4,
        why="x' = x^2 amplifies errors like x: at t = 0.95 (x = 20) the global error is ~20 rtol",
        trusted_until=0.95,
        status_time=near(1.0, 1e-3),
    ),
    Case(
        "blow-up-exponential",
        "exponential",
        {"x0": 0.0},
        grid(0, 2, 41),
        {"*": ANY_FAILURE},
        reference=lambda t: {"x": -np.log1p(-t)},
        tolerance=1e-4,
        why="near the blow-up at t = 1 the error is amplified like exp(x) = 1 / (1 - t) (20x at t = 0.95)",
        trusted_until=0.95,
        status_time=near(1.0, 1e-3),
    ),
    Case(
        "close-to-blow-up-still-correct",
        "quadratic",
        {"k": 1.0, "x0": 1.0},
        (0.0, 0.5, 0.9, 0.99, 0.999),
        {"*": OK},
        reference=lambda t: {"x": 1 / (1 - t)},
        tolerance=1e-5,
        why="at rtol 1e-10 the amplification by x (up to 1000 at t = 0.999) still leaves 1e-5",
        settings={"rtol": 1e-10, "atol": 1e-12},
    ),
    # --- discontinuous right-hand sides (state-dependent switches)
    Case(
        "state-switch-crossed-once",
        "switch",
        {"x0": 0.0},
        grid(0, 3, 31),
        {"*": OK},
        reference=lambda t: {"x": np.where(t < 0.5, 2 * t, 1 + 0.5 * (t - 0.5))},
        tolerance=1e-4,
        why="across a jump of the derivative the embedded error estimate is no longer asymptotically "
        "valid, so the step that straddles it is less accurate than rtol (measured: 1.8e-5 explicit)",
    ),
    Case(
        "state-switch-sliding-mode",
        "chatter",
        {"k": 1.0, "c": 1.0, "x0": 0.0},
        grid(0, 5, 51),
        {"*": OK | ANY_FAILURE},
        reference=lambda t: {"x": np.minimum(t, 1.0)},
        tolerance=1e-4,
        why="x' = +-1 chatters around x = 1 after t = 1 (a Filippov sliding mode); each step "
        "across the switch is accurate only to the local tolerance, so the state wanders by a few "
        "atol/rtol around 1 rather than staying exactly there",
    ),
    # --- stiffness
    Case(
        "huge-stiffness-linear-decay",
        "decay",
        {"k": 1e6},
        grid(0, 10, 11),
        {"explicit": frozenset({"max_steps"}), "*": OK},
        reference=lambda t: {"x": np.exp(-1e6 * t)},
        settings={"max_steps": 1000},
    ),
    # --- square root and logarithm of a state going negative
    Case(
        "sqrt-of-a-state-reaching-zero",
        "sqrt_drain",
        {"k": 1.0, "x0": 1.0},
        grid(0, 4, 41),
        {"*": OK | ANY_FAILURE},
        reference=lambda t: {"x": np.where(t < 2, (1 - t / 2) ** 2, 0.0)},
        tolerance=1e-4,
        why="x' = -sqrt(x) is not Lipschitz at 0, where the solution reaches 0 at t = 2 and stays; "
        "the local error there is of the order of atol/rtol",
        trusted_until=1.9,
        status_time=near(2.0, 0.05),
    ),
    Case(
        "log-of-a-state-going-negative",
        "log_drain",
        {"x0": 0.5},
        grid(0, 1, 101),
        {"*": ANY_FAILURE},
        reference=radau(lambda t, x: math.log(x), 0.5, LOG_DRAIN_END - 0.02),
        tolerance=1e-4,
        why="the slope ln(x) becomes infinite at the end point, which degrades the steps just before it",
        trusted_until=LOG_DRAIN_END - 0.02,
        status_time=near(LOG_DRAIN_END, 1e-3),
    ),
    # --- tiny and huge values
    Case(
        "tiny-initial-value-logistic-takeoff",
        "logistic",
        {"k": 1.0, "c": 1.0, "x0": 1e-12},
        grid(0, 40, 81),
        {"*": OK},
        reference=lambda t: {"x": 1 / (1 + (1e12 - 1) * np.exp(-t))},
        tolerance=1e-4,
        why="28 days of exponential growth amplify relative errors (about 30 rtol at the takeoff)",
        settings={"atol": 1e-20},
    ),
    Case(
        "tiny-initial-value-1e-300",
        "decay",
        {"k": -1.0, "x0": 1e-300},
        grid(0, 10, 11),
        {"*": OK},
        reference=lambda t: {"x": 1e-300 * np.exp(t)},
        tolerance=1e-4,
        why="with atol 1e-310 the control is relative; 10 e-foldings of growth amplify it",
        settings={"atol": 1e-310},
    ),
    Case(
        "subnormal-initial-value",
        "decay",
        {"k": -1.0, "x0": 1e-310},
        grid(0, 10, 11),
        {"*": OK},
        reference=lambda t: {"x": 1e-310 * np.exp(t)},
        why="the whole solution is far below atol: only the absolute error (below atol) is checked",
    ),
    Case(
        "huge-initial-value-1e300",
        "decay",
        {"k": 0.5, "x0": 1e300},
        grid(0, 10, 21),
        {"*": OK},
        reference=lambda t: {"x": 1e300 * np.exp(-0.5 * t)},
    ),
    # --- extinction thresholds and states that must stay non-negative
    Case(
        "extinction-at-threshold",
        "extinction",
        {"k": 1.0},
        grid(0, 20, 41),
        {"*": OK},
        reference=extinct_decay,
        why="default tolerances; after ln(1e6) days the state is exactly 0 (tolerance below atol/rtol is absolute)",
    ),
    Case(
        "extinction-then-redose-regrows",
        "extinction",
        {"k": 1.0},
        grid(0, 20, 41),
        {"*": OK},
        reference=lambda t: {"e": np.where(t < math.log(1e6), np.exp(-t), 0.0) + np.where(t >= 16, np.exp(-(t - 16)), 0.0)},
        doses=(cartsim.Dose("e", 1.0, time=16.0),),
    ),
    Case(
        "non-negative-state-driven-below-zero",
        "drain",
        {"k": 1.0, "c": 1.0, "x0": 1.0},
        grid(0, 2, 41),
        {"*": frozenset({"negative_state"})},
        reference=lambda t: {"x": 2 * np.exp(-t) - 1},
        status_time=near(math.log(2 / (1 - 1e-8)), 1e-6),  # where 2 exp(-t) - 1 = -10 atol
    ),
    Case(
        "latent-state-may-go-negative",
        "latent_drain",
        {"k": 1.0, "c": 1.0},
        grid(0, 10, 21),
        {"*": OK},
        reference=lambda t: {"v": np.exp(-t) - 1},
    ),
    Case(
        "negative-initial-value-of-a-non-negative-state",
        "constant",
        {"x0": -1.0},
        grid(0, 1, 3),
        {"*": frozenset({"negative_state"})},
        status_time=near(0.0),
    ),
    # --- long horizons and busy schedules
    Case(
        "ten-years-weekly-oscillation",
        "oscillator",
        {"k": WEEK, "c": 2.0, "x0": 3.0},
        TEN_YEARS,
        {"*": OK},
        reference=lambda t: {"x": 2 + np.cos(WEEK * t), "v": np.sin(WEEK * t)},
        tolerance=1e-4,
        why="521 oscillations at rtol 1e-8: the phase error grows linearly with time, so the error is "
        "measured against the amplitude (scale 1); measured after 10 years: 9e-6 explicit, 5e-6 stiff",
        scale=1.0,
        settings={"rtol": 1e-8, "atol": 1e-10},
    ),
    Case(
        "ten-years-decay-to-underflow",
        "decay",
        {"k": 0.5},
        TEN_YEARS,
        {"*": OK},
        reference=lambda t: {"x": np.exp(-0.5 * t)},
    ),
    Case(
        "thousand-doses-every-hundredth-day",
        "decay",
        {"k": 0.5},
        grid(0, 10, 101),
        {"*": OK},
        reference=superposed_decay(np.arange(1, 1001) * 0.01, 0.01, 0.5),
        doses=doses_every(0.01, 1000, 0.01),
    ),
]

#: Healthy patients that share every batch: a decay and a logistic growth.
GOOD_PARAMS = [{"mode": MODE["decay"], "k": 0.5}, {"mode": MODE["logistic"], "k": 1.0, "c": 10.0, "x0": 0.1}]


def test_case_ids_are_unique_and_the_corpus_is_large() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 20


def test_switchboard_modes_are_distinct(robustness_model: cartsim.Model) -> None:
    """Each mode has its own number and its own branch in the parsed derivative of x."""
    assert len(set(MODE.values())) == len(MODE)
    assert len(robustness_model.state("x").derivative.args) == len(X_RHS) + 1  # + the "otherwise" 0
    assert robustness_model.state_names == ("x", "v", "e")
    assert [s.nonnegative for s in robustness_model.states] == [True, False, True]
    assert robustness_model.state("e").extinction == 1e-6


def _columns(model: cartsim.Model, patients: list[Mapping[str, float]]) -> dict[str, np.ndarray]:
    defaults = dict(zip(model.parameter_names, model.defaults, strict=True))
    return {name: np.array([p.get(name, defaults[name]) for p in patients], dtype=float) for name in model.parameter_names}


def _variables(model: cartsim.Model) -> list[str]:
    return [*model.state_names, *model.observable_names]


def check_patient(result: xr.Dataset, index: int, case: Case, method: str | None, variables: list[str]) -> None:
    """The contract for one patient: correct when ok; flagged with a time and NaN after it otherwise."""
    status = str(result["status"].values[index])
    when = float(result["status_time"].values[index])
    times = result["time"].values
    values = {name: result[name].values[index] for name in variables}
    assert status in case.allowed(method), f"status {status!r} (at t = {when}), allowed {sorted(case.allowed(method))}"
    rtol = case.settings.get("rtol", DEFAULT_RTOL)
    atol = case.settings.get("atol", DEFAULT_ATOL)
    if status == "ok":
        assert math.isnan(when), f"an ok patient has status_time {when}"
        for name, array in values.items():
            assert np.all(np.isfinite(array)), f"patient marked ok holds non-finite {name}: {array}"
        trusted = np.ones(times.shape, dtype=bool)
    else:
        assert math.isfinite(when), f"status {status!r} without a finite status_time"
        assert times[0] - 1e-12 <= when <= times[-1] + 1e-12, f"status_time {when} outside the simulated span"
        if case.status_time is not None:
            low, high = case.status_time
            assert low <= when <= high, f"status {status!r} at t = {when!r}, expected in [{low!r}, {high!r}]"
        margin = 1e-9 * max(1.0, abs(when))
        for name, array in values.items():
            assert np.all(np.isnan(array[times > when + margin])), f"{name} is not NaN after status_time {when}"
            assert np.all(np.isfinite(array[times < when - margin])), f"{name} is not finite before status_time {when}"
        trusted = times < when - margin
    if case.reference is None:
        return
    trusted &= times <= case.trusted_until
    floor = atol / rtol if case.scale is None else case.scale
    with np.errstate(all="ignore"):  # the closed forms blow up where the case does
        reference = case.reference(times)
    for name, expected in reference.items():
        actual, wanted = values[name][trusted], np.asarray(expected)[trusted]
        if case.tolerance == 0.0:
            np.testing.assert_array_equal(actual, wanted, err_msg=name)
            continue
        error = np.abs(actual - wanted) / np.maximum(np.abs(wanted), floor)
        worst = int(np.argmax(error)) if error.size else 0
        assert error.size == 0 or error[worst] <= case.tolerance, (
            f"{name}: error {error[worst]:.3g} > {case.tolerance:g} at t = {times[trusted][worst]} "
            f"(got {actual[worst]!r}, expected {wanted[worst]!r}); tolerance: {case.why}"
        )


def _case_params() -> list[Any]:
    params = []
    for case in CASES:
        for method in METHODS:
            params.append(pytest.param(case, method, id=f"{case.id}-{method or 'default'}"))
    return params


@pytest.mark.parametrize(("case", "method"), _case_params())
def test_pathological_patient_is_correct_or_flagged(case: Case, method: str | None, robustness_model: cartsim.Model) -> None:
    """One case between two healthy patients: see the module docstring for the contract, and
    each case's ``why`` for the reason of its tolerance."""
    model = robustness_model
    patients = [GOOD_PARAMS[0], {"mode": MODE[case.mode], **case.params}, GOOD_PARAMS[1]]
    times = np.array(case.times)
    common: dict[str, Any] = {"times": times, **case.settings}
    batch = run(model, method, params=_columns(model, patients), doses=[[], list(case.doses), []], **common)
    check_patient(batch, 1, case, method, _variables(model))
    # The healthy neighbours are ok and bit-identical to a run of them alone.
    alone = run(model, method, params=_columns(model, GOOD_PARAMS), doses=[[], []], **common)
    assert list(alone["status"].values) == ["ok", "ok"]
    for name in _variables(model):
        np.testing.assert_array_equal(batch[name].values[[0, 2]], alone[name].values, err_msg=name)
    np.testing.assert_array_equal(batch["status"].values[[0, 2]], alone["status"].values)


def test_nan_parameter_of_one_patient_is_refused_before_the_batch_runs(robustness_model: cartsim.Model) -> None:
    """A NaN parameter itself never reaches the kernel: the call is refused up front, naming the
    patient, so it cannot poison the others (NaN made at run time is in the corpus above)."""
    with pytest.raises(cartsim.ParameterError, match=r"parameter `k` value nan 1/day is not finite \(patient 1\)"):
        cartsim.simulate(robustness_model, times=[0.0, 1.0], params={"mode": 1.0, "k": [0.5, math.nan, 0.5]})


# --------------------------------------------------------------------------------------------
# 10,000 cart6 patients for a year
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_ten_thousand_cart6_patients_stay_non_negative(cart6_model: cartsim.Model, method: str | None) -> None:
    """10,000 patients, every parameter scaled by exp(0.3 z) (z ~ N(0, 1), seed 2024), daily
    output for 365 days: no value of a non-negative state is below -10 atol, every patient is ok."""
    n = 10_000
    generator = np.random.default_rng(2024)
    scales = np.exp(0.3 * generator.standard_normal((n, len(cart6_model.parameters))))
    table = cart6_model.defaults * scales
    params = {name: table[:, i] for i, name in enumerate(cart6_model.parameter_names)}
    result = run(cart6_model, method, times=np.arange(0.0, 366.0), params=params)
    assert result.sizes["patient"] == n
    below = 0
    for state in cart6_model.states:
        assert state.nonnegative
        values = result[state.name].values
        below += int(np.count_nonzero(values < -10 * DEFAULT_ATOL))
        assert np.all(np.isfinite(values)), state.name
    assert below == 0
    statuses, counts = np.unique(result["status"].values, return_counts=True)
    assert dict(zip(statuses.tolist(), counts.tolist(), strict=True)) == {"ok": n}
