"""Doses and output times: the event semantics of the foundation issue."""

from __future__ import annotations

import numpy as np
import pytest

import cartsim


def test_dose_at_time_zero_applies(linear_model: cartsim.Model) -> None:
    result = cartsim.simulate(linear_model, times=[0.0, 1.0], doses=cartsim.Dose("central", 7.0, time=0.0))
    assert result["central"].values[0, 0] == 7.0
    assert result["total"].values[0, 0] == 7.0


def test_one_dose_equals_k_doses_at_the_same_time(linear_model: cartsim.Model) -> None:
    """D at t = 3 equals four doses of D/4 at t = 3 (they add), to rounding."""
    times = np.linspace(0, 30, 61)
    single = cartsim.simulate(linear_model, times=times, doses=[cartsim.Dose("central", 12.0, time=3.0)])
    split = cartsim.simulate(linear_model, times=times, doses=[cartsim.Dose("central", 3.0, time=3.0)] * 4)
    np.testing.assert_allclose(split["central"].values, single["central"].values, rtol=1e-14, atol=0)
    np.testing.assert_allclose(split["peripheral"].values, single["peripheral"].values, rtol=1e-14, atol=0)


def test_dose_at_float_ambiguous_time_lands_once(linear_model: cartsim.Model) -> None:
    """Doses at 0.1 * 3 and at 0.3 are the same time: both land, once each, and an output at
    0.3 sees them (post-dose convention)."""
    assert 0.1 * 3 != 0.3
    times = [0.0, 0.3, 1.0]
    result = cartsim.simulate(
        linear_model,
        times=times,
        doses=[cartsim.Dose("central", 1.0, time=0.1 * 3), cartsim.Dose("central", 1.0, time=0.3)],
    )
    assert result["central"].values[0, 1] == pytest.approx(2.0, rel=1e-12)
    reference = cartsim.simulate(linear_model, times=times, doses=[cartsim.Dose("central", 2.0, time=0.3)])
    np.testing.assert_allclose(result["central"].values, reference["central"].values, rtol=1e-14)


def test_output_at_a_dose_time_is_post_dose(linear_model: cartsim.Model) -> None:
    result = cartsim.simulate(linear_model, times=[0.0, 2.0, 4.0], doses=cartsim.Dose("central", 5.0, time=2.0))
    assert result["central"].values[0, 0] == 0.0
    assert result["central"].values[0, 1] == 5.0


def test_adding_output_times_does_not_change_values(cart6_model: cartsim.Model) -> None:
    """Output times never force steps: a dense grid gives bit-identical values on the coarse one."""
    coarse = np.arange(0.0, 101.0, 10.0)
    dense = np.union1d(coarse, np.linspace(0, 100, 997))
    a = cartsim.simulate(cart6_model, times=coarse)
    b = cartsim.simulate(cart6_model, times=dense).sel(time=coarse)
    for name in cart6_model.state_names:
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_split_dose_schedule(linear_model: cartsim.Model) -> None:
    """Dose.split gives 10/30/60 % on days 0/1/2 (Hardiansyah 2019's schedule)."""
    doses = cartsim.Dose.split("central", 100.0, times=[0, 1, 2], fractions=[0.1, 0.3, 0.6])
    assert [d.amount for d in doses] == pytest.approx([10.0, 30.0, 60.0], rel=1e-15)
    times = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
    result = cartsim.simulate(
        linear_model, times=times, doses=doses, params={"central_to_peripheral": 0.0}, rtol=1e-10, atol=1e-14
    )
    k = 0.3
    expected_at_3 = 10 * np.exp(-3 * k) + 30 * np.exp(-2 * k) + 60 * np.exp(-1 * k)
    assert result["central"].values[0, -1] == pytest.approx(expected_at_3, rel=1e-9)


def test_repeated_doses_and_reset(linear_model: cartsim.Model) -> None:
    doses = cartsim.Dose.repeated("central", 1.0, interval=7.0, count=3, start=1.0)
    assert [d.time for d in doses] == [1.0, 8.0, 15.0]
    reset = cartsim.simulate(
        linear_model,
        times=[0.0, 5.0, 5.5],
        doses=[cartsim.Dose("central", 9.0, 0.0), cartsim.Dose("central", 2.0, 5.0, mode="set")],
    )
    assert reset["central"].values[0, 1] == 2.0


def test_batch_equals_single_runs(cart6_model: cartsim.Model) -> None:
    """A batch of N patients equals N one-patient runs, bit for bit (patients are independent)."""
    times = np.arange(0.0, 61.0)
    rates = np.array([0.8, 1.0, 1.2, 1.5, 2.0])
    batch = cartsim.simulate(cart6_model, times=times, params={"expansion_rate": rates})
    for index, rate in enumerate(rates):
        single = cartsim.simulate(cart6_model, times=times, params={"expansion_rate": rate})
        for name in cart6_model.state_names:
            np.testing.assert_array_equal(batch[name].values[index], single[name].values[0])


def test_per_patient_dose_schedules(linear_model: cartsim.Model) -> None:
    schedules = [[cartsim.Dose("central", 1.0)], [cartsim.Dose("central", 2.0)], []]
    result = cartsim.simulate(linear_model, times=[0.0, 1.0], doses=schedules, n_patients=3)
    np.testing.assert_array_equal(result["central"].values[:, 0], [1.0, 2.0, 0.0])


def test_zero_dose_stays_zero(linear_model: cartsim.Model) -> None:
    result = cartsim.simulate(linear_model, times=np.arange(0.0, 30.0))
    assert np.all(result["central"].values == 0.0)
