"""Layer 4 of the testing strategy: invariants of the engine, checked with hypothesis.

Each property runs with every integration method ``cartsim.simulate`` offers (only the
explicit one before the ``method`` keyword exists), on the two shared test models of
``tests/conftest.py`` (the linear two-compartment model and cart6), so no new kernel is
compiled.

What the engine guarantees, found by reading ``src/cartsim/engine`` and checked here:

- Output times never force steps: every output is read from the dense output of the step
  that contains it, independently of the other outputs. Extra output times strictly inside
  the span therefore leave the values at the original times **bit-identical** (stronger than
  the 1e-12 one might expect). Output times outside the original span change the
  integration span (the first output is where integration starts; the last step is cut at
  the last output), so the values then agree only to the solver's accuracy.
- Doses at the same time (within 1e-10 relative) are applied together before integration
  resumes, so k equal parts that add up exactly to D give bit-identical results; parts that
  do not add up exactly differ from D by a few ulps, which the integration carries forward.
- Patients are independent, so a batch equals a loop of single runs bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import cartsim

METHODS: list[str | None] = ["explicit", "stiff"]
ATOL = 1e-9  # the engine's default absolute tolerance
RTOL = 1e-6  # and relative tolerance

LINEAR_RATES = ("elimination_rate", "central_to_peripheral", "peripheral_to_central")


def run(model: cartsim.Model, method: str | None, **kwargs: Any) -> xr.Dataset:
    """``cartsim.simulate`` with ``method`` when the keyword exists (``None``: the default)."""
    if method is not None:
        kwargs["method"] = method
    return cartsim.simulate(model, **kwargs)


def assert_identical(first: xr.Dataset, second: xr.Dataset, names: tuple[str, ...]) -> None:
    for name in names:
        np.testing.assert_array_equal(first[name].values, second[name].values, err_msg=name)


def mixed_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual - expected| / max(|expected|, atol / rtol): the criterion the solver controls."""
    return float(np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), ATOL / RTOL)))


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

#: Rates of the linear model, from none to fast (up to 5/day: stiff for the explicit method
#: once the solution has decayed, where its steps are limited by stability).
rates = st.tuples(*[st.floats(0.0, 5.0) for _ in LINEAR_RATES]).map(lambda r: dict(zip(LINEAR_RATES, r, strict=True)))
#: Slow rates (up to 0.5/day): over 30 days the steps stay limited by accuracy.
slow_rates = st.tuples(*[st.floats(0.0, 0.5) for _ in LINEAR_RATES]).map(lambda r: dict(zip(LINEAR_RATES, r, strict=True)))
dose_time = st.floats(0.0, 20.0)
linear_state = st.sampled_from(["central", "peripheral"])
positive_amount = st.floats(1e-3, 1e3)
#: log-normal scale factors exp(0.3 z) of cart6's 16 parameters, z within +-2.5 SD.
cart6_scales = st.lists(st.floats(-2.5, 2.5), min_size=16, max_size=16).map(lambda z: np.exp(0.3 * np.array(z)))

LINEAR_TIMES = np.linspace(0.0, 30.0, 61)


def cart6_params(model: cartsim.Model, scales: list[np.ndarray]) -> dict[str, np.ndarray]:
    table = model.defaults * np.array(scales)
    return {name: table[:, i] for i, name in enumerate(model.parameter_names)}


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=25, deadline=None)
@given(params=rates, doses=st.lists(st.tuples(linear_state, dose_time), max_size=5))
def test_zero_dose_stays_zero(
    linear_model: cartsim.Model, method: str | None, params: dict[str, float], doses: list[tuple[str, float]]
) -> None:
    """Both states start at 0 and the model is linear and homogeneous: doses of nothing keep
    every value exactly 0 (a solver that invented mass or noise would fail)."""
    schedule = [cartsim.Dose(state, 0.0, time=t) for state, t in doses]
    result = run(linear_model, method, times=LINEAR_TIMES, params=params, doses=schedule)
    assert result["status"].item() == "ok"
    for name in ("central", "peripheral", "total"):
        assert np.all(result[name].values == 0.0), name


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(
    params=rates,
    state=linear_state,
    when=dose_time,
    parts=st.integers(2, 16),
    mantissa=st.integers(1, 2**20),
    exponent=st.integers(-20, 0),
)
def test_dose_split_into_exact_parts_is_bit_identical(
    linear_model: cartsim.Model,
    method: str | None,
    params: dict[str, float],
    state: str,
    when: float,
    parts: int,
    mantissa: int,
    exponent: int,
) -> None:
    """k doses of D/k at one time equal one dose of D bit for bit when the parts add up to D
    exactly (D/k = m 2^e with m k < 2^53): the doses are applied together, before integration
    resumes, so the integrator sees the same state. Any rates, including stiff ones."""
    part = mantissa * 2.0**exponent
    total = part * parts
    assert sum([part] * parts) == total  # the premise: the parts add up exactly
    single = run(linear_model, method, times=LINEAR_TIMES, params=params, doses=[cartsim.Dose(state, total, time=when)])
    split = run(linear_model, method, times=LINEAR_TIMES, params=params, doses=[cartsim.Dose(state, part, time=when)] * parts)
    assert single["status"].item() == split["status"].item() == "ok"
    assert_identical(single, split, ("central", "peripheral", "total", "solver_steps"))


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(params=slow_rates, state=linear_state, when=dose_time, parts=st.integers(2, 10), total=positive_amount)
def test_dose_split_into_rounded_parts_agrees_to_rounding(
    linear_model: cartsim.Model, method: str | None, params: dict[str, float], state: str, when: float, parts: int, total: float
) -> None:
    """k doses of D/k at one time equal one dose of D to 1e-10 (mixed relative/absolute with
    floor atol/rtol) when D/k is not exact.

    Why 1e-10 and not 1e-15: the k rounded parts add up to D only within k/2 ulps (about 1e-15
    relative); the step-size sequence is a continuous function of the state, so the ulps are
    carried forward, amplified by the controller. With accuracy-limited steps (the slow rates
    here) the measured worst case over 300 random cases was 5e-12 (explicit) and 1e-13 (stiff).
    (With fast rates the explicit method's steps become limited by stability once the solution
    has decayed; its controller then amplifies ulps up to the absolute tolerance, about 1e-9.)
    """
    single = run(linear_model, method, times=LINEAR_TIMES, params=params, doses=[cartsim.Dose(state, total, time=when)])
    split = run(
        linear_model, method, times=LINEAR_TIMES, params=params, doses=[cartsim.Dose(state, total / parts, time=when)] * parts
    )
    assert single["status"].item() == split["status"].item() == "ok"
    for name in ("central", "peripheral"):
        assert mixed_error(split[name].values, single[name].values) <= 1e-10, name


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=20, deadline=None)
@given(scales=cart6_scales, when=st.floats(0.0, 100.0), parts=st.integers(2, 10), total=st.floats(1e-2, 1e2))
def test_cart6_dose_split_agrees_to_rounding(
    cart6_model: cartsim.Model, method: str | None, scales: np.ndarray, when: float, parts: int, total: float
) -> None:
    """The same for a CAR-T re-infusion into cart6 (nonlinear): within 1e-10 mixed, for the
    reason given above (measured worst case over 60 random cases: 7.5e-13 explicit, 2e-14 stiff)."""
    times = np.arange(0.0, 121.0)
    params = cart6_params(cart6_model, [scales])
    single = run(cart6_model, method, times=times, params=params, doses=[cartsim.Dose("car_eff", total, time=when)])
    split = run(
        cart6_model, method, times=times, params=params, doses=[cartsim.Dose("car_eff", total / parts, time=when)] * parts
    )
    assert single["status"].item() == split["status"].item() == "ok"
    for name in cart6_model.state_names:
        assert mixed_error(split[name].values, single[name].values) <= 1e-10, name


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(
    scales=cart6_scales,
    original=st.lists(st.floats(0.0, 200.0), min_size=2, max_size=12, unique=True),
    extra=st.lists(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True), min_size=1, max_size=40),
)
def test_extra_output_times_inside_the_span_change_nothing(
    cart6_model: cartsim.Model, method: str | None, scales: np.ndarray, original: list[float], extra: list[float]
) -> None:
    """Output times never force steps (each output is read from the dense output of the step
    that contains it), so adding output times strictly inside [first, last] leaves the values
    at the original times bit-identical, for any parameters, and the step count unchanged."""
    times = np.array(sorted(original))
    inside = times[0] + np.array(extra) * (times[-1] - times[0])
    dense = np.union1d(times, inside)
    params = cart6_params(cart6_model, [scales])
    coarse = run(cart6_model, method, times=times, params=params)
    fine = run(cart6_model, method, times=dense, params=params)
    assert coarse["status"].item() == fine["status"].item() == "ok"
    picked = fine.sel(time=times)
    assert_identical(coarse, picked, (*cart6_model.state_names, "solver_steps"))


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=15, deadline=None)
@given(scales=cart6_scales, extension=st.floats(0.01, 300.0))
def test_extending_the_last_output_time_changes_values_within_the_tolerance(
    cart6_model: cartsim.Model, method: str | None, scales: np.ndarray, extension: float
) -> None:
    """An output time after the last one extends the integration: the last step of the shorter
    run is cut at its end, the longer run steps past it and reads it from the dense output. Values
    then agree to the solver's accuracy, not to rounding: within 1e-5 mixed (10 rtol; measured
    worst 9e-7 explicit, 4e-7 stiff)."""
    times = np.arange(0.0, 61.0)
    params = cart6_params(cart6_model, [scales])
    short = run(cart6_model, method, times=times, params=params)
    long = run(cart6_model, method, times=np.append(times, times[-1] + extension), params=params).isel(time=slice(0, times.size))
    assert short["status"].item() == long["status"].item() == "ok"
    for name in cart6_model.state_names:
        assert mixed_error(long[name].values, short[name].values) <= 1e-5, name


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=20, deadline=None)
@given(scales=st.lists(cart6_scales, min_size=1, max_size=5))
def test_batch_equals_loop(cart6_model: cartsim.Model, method: str | None, scales: list[np.ndarray]) -> None:
    """A batch of patients equals one run per patient, bit for bit: patients are independent
    (the parallel loop shares no state between them)."""
    times = np.arange(0.0, 91.0)
    params = cart6_params(cart6_model, scales)
    batch = run(cart6_model, method, times=times, params=params, n_patients=len(scales))
    assert batch.sizes["patient"] == len(scales)
    for index in range(len(scales)):
        alone = run(cart6_model, method, times=times, params={name: values[index] for name, values in params.items()})
        assert_identical(batch.isel(patient=[index]), alone, (*cart6_model.state_names, "status", "solver_steps"))


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(params=rates, doses=st.lists(st.tuples(linear_state, positive_amount, st.floats(0.0, 30.0)), min_size=1, max_size=6))
def test_linear_model_stays_non_negative(
    linear_model: cartsim.Model, method: str | None, params: dict[str, float], doses: list[tuple[str, float, float]]
) -> None:
    """Positive doses into a linear compartment model with non-negative rates give a
    non-negative exact solution; the numerical one never falls below the engine's own
    threshold of -10 atol (which would flag the patient), and every patient ends ok."""
    schedule = [cartsim.Dose(state, amount, time=t) for state, amount, t in doses]
    result = run(linear_model, method, times=LINEAR_TIMES, params=params, doses=schedule)
    assert result["status"].item() == "ok"
    for name in ("central", "peripheral"):
        values = result[name].values
        assert np.all(np.isfinite(values)), name
        assert values.min() >= -10 * ATOL, (name, values.min())


def decimal_times(tenths: int) -> tuple[float, float, float]:
    """Three spellings of tenths / 10 that may differ in the last bits: 0.1 summed, 0.1 times n, n / 10."""
    summed = 0.0
    for _ in range(tenths):
        summed += 0.1
    return summed, tenths * 0.1, tenths / 10


def test_decimal_spellings_really_differ() -> None:
    """The premise of the next test: the spellings differ for some n (0.1 * 3 != 0.3)."""
    assert 0.1 * 3 != 0.3
    assert sum(len(set(decimal_times(n))) > 1 for n in range(1, 201)) > 50


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(
    tenths=st.integers(1, 200),
    spellings=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    amounts=st.tuples(positive_amount, positive_amount),
)
def test_doses_at_float_ambiguous_times_land_once(
    linear_model: cartsim.Model, method: str | None, tenths: int, spellings: tuple[int, int], amounts: tuple[float, float]
) -> None:
    """Two doses at two spellings of the same decimal time (e.g. 0.1 * 3 and 0.3) land once
    each, together, and an output at that time sees both.

    With no elimination or exchange, central is exactly the sum of the doses that landed; with
    the model's rates the result equals one dose of the sum at n / 10 to 1e-12 mixed (the doses
    land at the earlier spelling, at most a few ulps from n / 10, which moves the last step of
    that segment by as much: rounding-level differences only).
    """
    spelled = decimal_times(tenths)
    first, second = spelled[spellings[0]], spelled[spellings[1]]
    exact_time = tenths / 10
    times = np.arange(0, 251) / 10  # n / 10 is one of them; no other spelling of it is
    doses = [cartsim.Dose("central", amounts[0], time=first), cartsim.Dose("central", amounts[1], time=second)]
    still = {"elimination_rate": 0.0, "central_to_peripheral": 0.0}
    result = run(linear_model, method, times=times, params=still, doses=doses)
    assert result["status"].item() == "ok"
    central = result["central"].values[0]
    landed = amounts[0] + amounts[1]
    at = int(np.searchsorted(times, exact_time))
    assert times[at] == exact_time
    assert np.all(central[:at] == 0.0)
    assert np.all(central[at:] == landed), "the output at the dose time and every later one hold both doses, once"
    moving = run(linear_model, method, times=times, doses=doses)
    reference = run(linear_model, method, times=times, doses=[cartsim.Dose("central", landed, time=exact_time)])
    for name in ("central", "peripheral"):
        assert mixed_error(moving[name].values, reference[name].values) <= 1e-12, name
