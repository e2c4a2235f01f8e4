"""Per-patient status: a failing patient is flagged with a time and never poisons the batch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cartsim


def test_failures_are_flagged_per_patient(pathological_model: cartsim.Model) -> None:
    """Patient 0 is fine, 1 goes negative at t = 1, 2 blows up at t = 1, 3 has a NaN parameter."""
    times = np.linspace(0, 3, 31)
    result = cartsim.simulate(
        pathological_model,
        times=times,
        params={"drift": [0.0, -1.0, 0.0, 0.0], "growth": [0.0, 0.0, 1.0, 0.0], "decay": [0.1, 0.0, 0.0, 0.1]},
        atol=1e-9,
    )
    status = list(result["status"].values)
    assert status[0] == "ok"
    assert status[1] == "negative_state"
    assert status[2] in {"step_too_small", "non_finite", "max_steps"}
    # x = 1 - t crosses -10 atol at t = 1 + 1e-8: located on the dense output, not at a step end.
    assert result["status_time"].values[1] == pytest.approx(1.0 + 1e-8, abs=1e-9)
    assert result["status_time"].values[2] == pytest.approx(1.0, abs=1e-3)
    assert math.isnan(result["status_time"].values[0])
    # Values before the failure are kept, values after it are NaN (never marked ok).
    x = result["x"].values
    assert np.all(np.isfinite(x[0]))
    np.testing.assert_allclose(x[1, times <= 1.0], 1 - times[times <= 1.0], atol=1e-12)
    assert np.all(np.isnan(x[1, times > 1.0]))
    np.testing.assert_allclose(x[2, times < 0.95], 1 / (1 - times[times < 0.95]), rtol=1e-4)


def test_nan_parameter_is_non_finite_at_start(pathological_model: cartsim.Model) -> None:
    """A NaN override is refused up front; a NaN reaching the kernel is flagged, not propagated."""
    with pytest.raises(cartsim.ParameterError, match="not finite"):
        cartsim.simulate(pathological_model, times=[0.0, 1.0], params={"drift": float("nan")})


def test_ok_patients_never_hold_non_finite_values(pathological_model: cartsim.Model) -> None:
    growth = np.linspace(0.0, 2.0, 41)  # blow-up at t = 1/growth: some inside [0, 3], some not
    result = cartsim.simulate(pathological_model, times=np.linspace(0, 3, 7), params={"growth": growth})
    ok = result["status"].values == "ok"
    assert ok.sum() > 5
    assert (~ok).sum() > 5
    assert np.all(np.isfinite(result["x"].values[ok]))


def test_extinction_is_a_state_event_independent_of_steps(pathological_model: cartsim.Model) -> None:
    """With extinction at 1e-6, start 1 and decay 1/day the state hits zero at t = ln(1e6)
    exactly, whatever the tolerances (the crossing is located on the dense output)."""
    crossing = math.log(1e6)
    times = np.array([0.0, crossing - 0.01, crossing + 0.01, 20.0])
    for rtol in (1e-4, 1e-6, 1e-9):
        result = cartsim.simulate(pathological_model, times=times, params={"decay": 1.0}, rtol=rtol, atol=1e-12)
        extinct = result["extinct"].values[0]
        assert extinct[1] == pytest.approx(math.exp(-(crossing - 0.01)), rel=max(10 * rtol, 1e-8))
        assert extinct[2] == 0.0
        assert extinct[3] == 0.0
    # The same state without the rule (x, same equation) stays positive.
    assert result["x"].values[0, -1] > 0


def test_max_steps_is_flagged(cart6_model: cartsim.Model) -> None:
    result = cartsim.simulate(cart6_model, times=[0.0, 365.0], max_steps=20)
    assert result["status"].values[0] == "max_steps"
    assert 0 < result["status_time"].values[0] < 365


def test_status_names_of_many_codes_match_one_by_one() -> None:
    """The vectorised lookup gives each code's name and rejects codes that have none."""
    from cartsim.engine._status import STATUS_NAMES, status_name, status_names

    codes = np.array(sorted(STATUS_NAMES) * 3, dtype=np.int64)
    assert list(status_names(codes)) == [status_name(c) for c in codes]
    assert status_names(np.array([], dtype=np.int64)).size == 0
    for bad in ([-1], [max(STATUS_NAMES) + 1]):
        with pytest.raises(KeyError, match="unknown status code"):
            status_names(np.array(bad))
