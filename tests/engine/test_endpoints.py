"""simulate_endpoints: chunked per-patient endpoints equal those of the full trajectories."""

from __future__ import annotations

import numpy as np
import pytest

import cartsim
from cartsim.clinical import auc_linear_up_log_down, cmax_tmax

DAILY = np.arange(0.0, 366.0)


def iiv_params(model: cartsim.Model, n: int) -> dict[str, np.ndarray]:
    generator = np.random.default_rng(8)
    table = model.defaults * np.exp(0.3 * generator.standard_normal((n, len(model.parameters))))
    return {name: table[:, i] for i, name in enumerate(model.parameter_names)}


def test_endpoints_equal_those_of_the_trajectories(cart6_model: cartsim.Model) -> None:
    """The compiled reduction against the numpy NCA functions on the full trajectories: peaks
    and their times exactly; AUCs to 1e-13 relative (numpy sums pairwise and has its own log,
    the kernel sums left to right)."""
    params = iiv_params(cart6_model, 40)
    full = cartsim.simulate(cart6_model, times=DAILY, params=params)
    table = cartsim.simulate_endpoints(cart6_model, times=DAILY, params=params, chunk_size=16)
    assert list(table.index) == list(range(40))
    for name in cart6_model.state_names:
        peak, when = cmax_tmax(full[name].values, DAILY)
        auc = auc_linear_up_log_down(full[name].values, DAILY, start=0.0, end=28.0)
        np.testing.assert_array_equal(table[f"{name}_peak"].to_numpy(), peak)
        np.testing.assert_array_equal(table[f"{name}_time_of_peak"].to_numpy(), when)
        np.testing.assert_allclose(table[f"{name}_auc_0_28"].to_numpy(), auc, rtol=1e-13, atol=0)
        assert table.attrs["units"][f"{name}_auc_0_28"] == f"({cart6_model.state(name).unit})*day"
    np.testing.assert_array_equal(table["status"].to_numpy(), full["status"].values)
    np.testing.assert_array_equal(table["solver_steps"].to_numpy(), full["solver_steps"].values)


def test_chunk_size_does_not_change_results(stein: cartsim.Model) -> None:
    """With a seed, patient i draws from its own stream: any chunking gives the same bits."""
    calls: list[tuple[int, int]] = []
    small = cartsim.simulate_endpoints(
        stein, times=DAILY, n_patients=50, seed=4, chunk_size=7, progress=lambda done, total: calls.append((done, total))
    )
    large = cartsim.simulate_endpoints(stein, times=DAILY, n_patients=50, seed=4, chunk_size=1000)
    assert small.equals(large)
    assert calls[-1] == (50, 50)
    assert len(calls) == 8
    assert "transgene_peak" in small.columns


def test_a_failed_patient_after_a_full_chunk_sees_nothing_of_it(cart6_model: cartsim.Model) -> None:
    """Chunks share one trajectory buffer. A patient that stops early (here at max_steps,
    its il6 clearance made stiff for the explicit method) must get NaN, not the previous
    chunk's values, where it recorded nothing: its endpoints equal those of a run alone."""
    nominal = dict(zip(cart6_model.parameter_names, cart6_model.defaults, strict=True))
    stiff = {**nominal, "il6_clearance": 1e4}
    params = {name: np.array([nominal[name], stiff[name]]) for name in cart6_model.parameter_names}
    options = {"times": DAILY[:31], "method": "explicit", "max_steps": 400}
    both = cartsim.simulate_endpoints(cart6_model, params=params, chunk_size=1, **options)  # type: ignore[arg-type]
    alone = cartsim.simulate_endpoints(cart6_model, params={k: v[1:] for k, v in params.items()}, **options)  # type: ignore[arg-type]
    assert list(both["status"]) == ["ok", "max_steps"]
    assert np.isnan(both["il6_auc_0_28"].iloc[1])
    failed = both.iloc[[1]].reset_index(drop=True)
    assert failed.equals(alone.reset_index(drop=True))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chunk_size": 0}, r"`chunk_size` must be an integer >= 1"),
        ({"auc_window": (0.0, 28.5)}, r"`auc_window` end 28.5 day is not an output time"),
        ({"auc_window": (28.0, 0.0)}, r"`auc_window` must have start < end"),
        ({"method": "implicit"}, r"`method` must be one of 'explicit', 'stiff', 'auto', got 'implicit'"),
    ],
)
def test_bad_arguments_fail_before_any_work(stein: cartsim.Model, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(cartsim.SimulationError, match=match):
        cartsim.simulate_endpoints(stein, times=DAILY, n_patients=3, **kwargs)  # type: ignore[arg-type]


def test_reduction_handles_nan_like_the_nca_functions() -> None:
    """A failed patient's trailing NaN: the peak ignores NaN, an AUC touching NaN is NaN."""
    from cartsim.engine._reduce import reduce_endpoints

    times = np.arange(0.0, 6.0)
    values = np.array([[[1.0, 3.0, 2.0, 1.0, np.nan, np.nan]], [[np.nan] * 6], [[1.0, 2.0, 4.0, 4.0, 1.0, 0.5]]])
    peak, when, auc = (np.empty((1, 3)) for _ in range(3))
    reduce_endpoints(values, times, 0, 3, peak, when, auc)
    expected_peak, expected_when = cmax_tmax(values[:, 0, :], times)
    np.testing.assert_array_equal(peak[0], expected_peak)
    np.testing.assert_array_equal(when[0], expected_when)
    expected_auc = auc_linear_up_log_down(values[:, 0, :], times, start=0.0, end=3.0)
    np.testing.assert_allclose(auc[0], expected_auc, rtol=1e-14)
    reduce_endpoints(values, times, 0, 5, peak, when, auc)
    assert np.isnan(auc[0, :2]).all()
    assert np.isfinite(auc[0, 2])
