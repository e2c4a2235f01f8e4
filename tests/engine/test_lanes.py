"""Lock-step lanes (cartsim.engine._lanes) give the bits of one patient at a time.

The batch solver runs patients' explicit phase in lanes and hands each patient to the
one-patient driver part-way through. Nothing of that may show: every library model, with
mid-run doses, failures at max_steps and both methods that start explicit, gives the same
trajectories, statuses, status times, step counts and switch times bit for bit as the
one-patient driver alone, whatever the size of the lane groups.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import xarray as xr

import cartsim
from cartsim.engine import _solve

TIMES = np.concatenate([np.arange(0.0, 60.0), np.arange(60.0, 181.0, 7.0), [180.5]])


def _population(model: cartsim.Model, n: int) -> dict[str, np.ndarray]:
    generator = np.random.default_rng(11)
    table = model.defaults * np.exp(0.25 * generator.standard_normal((n, len(model.parameters))))
    lower = [p.lower for p in model.parameters]
    upper = [p.upper for p in model.parameters]
    table = np.clip(table, lower, upper)
    return {name: table[:, i] for i, name in enumerate(model.parameter_names)}


def _doses(model: cartsim.Model, n: int) -> list[list[cartsim.Dose]]:
    """A second dose on day 10.5 for every other patient, where the model takes doses."""
    dosable = [s for s in model.states if s.dosable]
    if not dosable:
        return [[] for _ in range(n)]
    return [[cartsim.Dose(dosable[0].name, 1.0, time=10.5)] if i % 2 else [] for i in range(n)]


def _run(model: cartsim.Model, group: Callable[[int], int], monkeypatch: pytest.MonkeyPatch, **options: object) -> xr.Dataset:
    with monkeypatch.context() as patch:
        patch.setattr(_solve, "lane_group_size", group)
        return cartsim.simulate(model, times=TIMES, **options)  # type: ignore[arg-type]


def _assert_same_bits(lanes: xr.Dataset, alone: xr.Dataset, model: cartsim.Model) -> None:
    for name in [*model.state_names, *model.observable_names, "status_time", "stiff_from"]:
        np.testing.assert_array_equal(lanes[name].values, alone[name].values, err_msg=name)
    np.testing.assert_array_equal(lanes["status"].values, alone["status"].values)
    np.testing.assert_array_equal(lanes["solver_steps"].values, alone["solver_steps"].values)


@pytest.mark.parametrize("name", cartsim.models.names())
@pytest.mark.parametrize("method", ["explicit", "auto"])
def test_library_models_give_the_same_bits_in_lanes(name: str, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    model = cartsim.models.get(name)
    n = 37  # not a multiple of the 16 lanes: groups end part-filled
    options = {"params": _population(model, n), "doses": _doses(model, n), "method": method, "seed": 5}
    alone = _run(model, lambda n_patients: 0, monkeypatch, **options)
    for size in (16, 23):
        lanes = _run(model, lambda n_patients, size=size: size, monkeypatch, **options)
        _assert_same_bits(lanes, alone, model)
    assert (alone["status"].values == "ok").mean() > 0.5


@pytest.mark.parametrize("method", ["explicit", "auto"])
def test_failures_and_crossings_give_the_same_bits_in_lanes(
    pathological_model: cartsim.Model, cart6_model: cartsim.Model, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Patients that stop at max_steps, go negative, blow up or cross an extinction level
    part-way through are handed over with the state they had in their lane."""
    n = 40
    generator = np.random.default_rng(2)
    pathological = {
        "drift": np.where(np.arange(n) % 4 == 0, -0.05, 0.0),
        "growth": np.where(np.arange(n) % 4 == 1, 0.02 * generator.random(n), 0.0),
        "decay": np.where(np.arange(n) % 4 == 2, 0.5 + generator.random(n), 0.0),
    }
    for model, options in [
        (pathological_model, {"params": pathological}),
        (cart6_model, {"params": _population(cart6_model, n), "max_steps": 120}),
    ]:
        alone = _run(model, lambda n_patients: 0, monkeypatch, method=method, **options)
        lanes = _run(model, lambda n_patients: 16, monkeypatch, method=method, **options)
        _assert_same_bits(lanes, alone, model)
        # The cases happen, part-way through: several statuses, or max_steps after day 1.
        statuses = set(alone["status"].values)
        assert len(statuses) > 1 or (statuses == {"max_steps"} and (alone["status_time"].values > 1.0).all())


def test_outputs_too_many_to_stage_go_straight_to_out(cart6_model: cartsim.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lanes stage their patients' outputs only while all lanes' blocks fit in STAGE_BYTES;
    with more output times they write to ``out`` directly. Both give the driver's bits."""
    from cartsim.engine._lanes import LANES, STAGE_BYTES

    n = 40
    options = {"params": _population(cart6_model, n), "method": "auto"}
    many = np.linspace(0.0, 180.0, 1801)
    assert LANES * len(cart6_model.states) * many.size * 8 > STAGE_BYTES  # the direct path
    assert LANES * len(cart6_model.states) * TIMES.size * 8 <= STAGE_BYTES  # the staged path
    for times in (many, TIMES):
        with monkeypatch.context() as patch:
            patch.setattr(_solve, "lane_group_size", lambda n_patients: 0)
            alone = cartsim.simulate(cart6_model, times=times, **options)  # type: ignore[arg-type]
        with monkeypatch.context() as patch:
            patch.setattr(_solve, "lane_group_size", lambda n_patients: 16)
            lanes = cartsim.simulate(cart6_model, times=times, **options)  # type: ignore[arg-type]
        _assert_same_bits(lanes, alone, cart6_model)
        assert (alone["status"].values == "ok").all()
