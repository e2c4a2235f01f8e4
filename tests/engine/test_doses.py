"""Packing dose schedules into the kernel's flat arrays."""

from __future__ import annotations

import numpy as np

import cartsim
from cartsim.engine._doses import pack_doses


def _reference_pack(model: cartsim.Model, schedules: list[tuple[cartsim.Dose, ...]]) -> list[np.ndarray]:
    """The definition, patient by patient: each schedule sorted by (time, state, amount, set)."""
    index = {name: i for i, name in enumerate(model.state_names)}
    rows: list[tuple[float, int, float, bool]] = []
    starts = [0]
    for schedule in schedules:
        rows.extend(sorted((d.time, index[d.state], float(d.amount), d.mode == "set") for d in schedule))
        starts.append(len(rows))
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    return [
        np.array(starts, dtype=np.int64),
        np.array(columns[0], dtype=float),
        np.array(columns[1], dtype=np.int64),
        np.array(columns[2], dtype=float),
        np.array(columns[3], dtype=np.bool_),
    ]


def test_packed_doses_follow_each_patient_schedule(linear_model: cartsim.Model) -> None:
    """Shared schedules (packed once) and patient-specific ones give the rows the per-patient
    definition gives, in every patient's own time order."""
    rng = np.random.default_rng(7)
    shared = [
        (),
        (cartsim.Dose("central", 1.0, time=3.0),),
        (
            cartsim.Dose("central", 5.0, time=2.0),
            cartsim.Dose("central", 7.0, time=1.0, mode="set"),
            cartsim.Dose("central", 0.5, time=1.0),
        ),
    ]
    for _ in range(40):
        schedules = []
        for _ in range(int(rng.integers(0, 25))):
            if rng.random() < 0.6:
                schedules.append(shared[int(rng.integers(0, len(shared)))])
            else:
                count = int(rng.integers(0, 4))
                doses = (cartsim.Dose("central", float(rng.random()), time=float(rng.integers(0, 5))) for _ in range(count))
                schedules.append(tuple(doses))
        packed = pack_doses(linear_model, schedules)
        for got, expected in zip(packed, _reference_pack(linear_model, schedules), strict=True):
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def test_one_schedule_for_everyone_packs_like_separate_equal_schedules(linear_model: cartsim.Model) -> None:
    """The fast path for one shared schedule (the same object, or equal separate ones) gives
    the per-patient definition's arrays, and so does a population where one schedule differs."""
    shared = (cartsim.Dose("central", 2.0, time=4.0), cartsim.Dose("central", 1.0, time=1.0))
    same_object = [shared] * 5
    equal_copies = [tuple(list(shared)) for _ in range(5)]
    one_differs = [*equal_copies[:4], (shared[1],)]
    for schedules in (same_object, equal_copies, one_differs):
        for got, expected in zip(pack_doses(linear_model, schedules), _reference_pack(linear_model, schedules), strict=True):
            np.testing.assert_array_equal(got, expected)
