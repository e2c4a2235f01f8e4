"""Hardiansyah 2019 against its computed references and structural identities (models.md section 4)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import xarray as xr

import cartsim
from cartsim.models import hardiansyah2019 as module

# A 0.001-day grid to day 60: peak values and times are read off it (the continuous maxima of the
# smooth curves differ from the grid maxima by < 1e-6 relative on this grid).
FINE_TIMES = np.round(np.arange(0, 60001) * 0.001, 10)
TIGHT: dict[str, Any] = {"rtol": 1e-10, "atol": 1e-12}
PEAKS = ("car_t_blood", "il6", "il10", "ifn_gamma")


@pytest.fixture(scope="module")
def hardiansyah() -> cartsim.Model:
    return cartsim.models.get("hardiansyah2019")


@pytest.fixture(scope="module")
def upn1(hardiansyah: cartsim.Model) -> xr.Dataset:
    result: xr.Dataset = module.SCENARIOS["upn1"].simulate(hardiansyah, times=FINE_TIMES, **TIGHT)
    return result


def _peak(result: xr.Dataset, name: str) -> tuple[float, float]:
    values = result[name].values[0]
    index = int(np.argmax(values))
    return float(values[index]), float(result["time"].values[index])


def _split_dose(total: float) -> tuple[cartsim.Dose, ...]:
    doses: tuple[cartsim.Dose, ...] = cartsim.Dose.split(
        "effector_blood", total, times=module.DOSE_DAYS, fractions=module.DOSE_FRACTIONS
    )
    return doses


def test_upn1_peak_total_car_t_in_blood(upn1: xr.Dataset) -> None:
    """Peak total CAR-T in blood 2.55 (1e9 cells) at day 3.8: computed reference, models.md
    section 4 (UPN1, Tables S1-S2); value within 0.5 % and time to the digit shown (one decimal)."""
    peak, when = _peak(upn1, "car_t_blood")
    assert peak == pytest.approx(2.55, rel=5e-3)
    assert round(when, 1) == 3.8
    assert _peak(upn1, "car_t_blood_concentration")[0] == pytest.approx(peak * 1e9 / 5e6, rel=1e-12)


def test_upn1_peak_memory_in_blood(upn1: xr.Dataset) -> None:
    """Peak memory CAR-T in blood 0.00734 (1e9 cells): computed reference, models.md section 4;
    within 0.5 %. Checks erratum 1 (Eq. 7 gain term) and erratum 2 (h = 1e5 model units)."""
    assert _peak(upn1, "memory_blood")[0] == pytest.approx(0.00734, rel=5e-3)


def test_upn1_cytokine_peaks(upn1: xr.Dataset) -> None:
    """IL-6 peak 2748 pg/mL with continuous maximum at ~3.25 d, IL-10 peak 915 pg/mL, IFN-gamma
    peak 828 pg/mL: computed references, models.md section 4; values within 0.5 %, IL-6 time
    within 0.01 d on the 0.001-day grid. Checks erratum 3 (1e6) and erratum 4 (bG in pg/mL)."""
    il6, il6_time = _peak(upn1, "il6")
    assert il6 == pytest.approx(2748, rel=5e-3)
    assert il6_time == pytest.approx(3.25, abs=0.01)
    assert _peak(upn1, "il10")[0] == pytest.approx(915, rel=5e-3)
    assert _peak(upn1, "ifn_gamma")[0] == pytest.approx(828, rel=5e-3)


def test_upn1_b_cells_at_day_50(upn1: xr.Dataset) -> None:
    """B(50 d) = 0.291 (1e9 cells): computed reference, models.md section 4; within 0.5 %."""
    assert float(upn1["b_cells"].sel(time=50.0).values[0]) == pytest.approx(0.291, rel=5e-3)


def test_upn3_scenario_runs(hardiansyah: cartsim.Model) -> None:
    """The UPN3 set-up (Table S2 overrides, 1.4e7 cells) runs cleanly and expands from its dose."""
    result = module.SCENARIOS["upn3"].simulate(hardiansyah)
    assert result["status"].values[0] == "ok"
    assert result["car_t_blood"].values[0].max() > module.UPN3_DOSE


def test_no_car_t_keeps_cytokines_at_baseline(hardiansyah: cartsim.Model) -> None:
    """Structural identity (i), models.md section 4: without CAR-T each cytokine stays exactly
    at its baseline (its derivative is exactly 0)."""
    result = cartsim.simulate(hardiansyah, times=np.arange(0.0, 61.0), **TIGHT)
    for name in ("il6", "il10", "ifn_gamma"):
        baseline = hardiansyah.parameter(f"baseline_{name}").default
        assert np.array_equal(result[name].values[0], np.full(61, baseline))
    assert not result["car_t_blood"].values.any()


def test_no_car_t_b_cells_grow_at_net_rate(hardiansyah: cartsim.Model) -> None:
    """Structural identity (ii), models.md section 4: without CAR-T, B(t) = B0 exp((rB - dB) t)
    with rB - dB = 0.0017 /d; within 1e-8 relative at rtol 1e-10."""
    times = np.arange(0.0, 366.0, 5.0)
    result = cartsim.simulate(hardiansyah, times=times, **TIGHT)
    net_rate = hardiansyah.parameter("b_cell_growth_rate").default - hardiansyah.parameter("b_cell_death_rate").default
    assert net_rate == pytest.approx(0.0017, abs=1e-15)
    expected = hardiansyah.parameter("baseline_b_cells").default * np.exp(net_rate * times)
    np.testing.assert_allclose(result["b_cells"].values[0], expected, rtol=1e-8)


def test_without_growth_and_death_car_t_pools_conserve_the_dose(hardiansyah: cartsim.Model) -> None:
    """Structural identity (iii), models.md section 4: with rE = dCARTE = rM = dCARTM = 0 the
    four CAR-T pools sum to the cumulative infused dose (0.11, 0.44, 1.1 after days 0, 1, 2);
    within 1e-8 relative at rtol 1e-10."""
    zero = {"effector_expansion_rate": 0.0, "effector_death_rate": 0.0, "memory_growth_rate": 0.0, "memory_death_rate": 0.0}
    times = np.round(np.arange(0, 201) * 0.1, 10)
    result = cartsim.simulate(hardiansyah, times=times, params=zero, doses=_split_dose(module.UPN1_DOSE), **TIGHT)
    pools = sum(result[name].values[0] for name in ("effector_blood", "effector_tissue", "memory_blood", "memory_tissue"))
    cumulative = np.select([times < 1, times < 2], [0.11, 0.44], 1.1)
    np.testing.assert_allclose(pools, cumulative, rtol=1e-8)
    assert result["memory_blood"].values[0, -1] > 0  # the pools do exchange


def test_peaks_track_burden_not_dose(hardiansyah: cartsim.Model) -> None:
    """Published claim (qualitative), models.md section 4: CAR-T and cytokine peaks track the
    baseline burden B0, not the dose. Quantified on UPN1: a 10-fold change of the dose moves
    every peak (total CAR-T in blood, IL-6, IL-10, IFN-gamma) by at most a quarter as many
    log-units as a 10-fold change of B0, in both directions. Measured: dose / 10 moves the peaks
    by < 1 % (ratios 0.992-0.994) where B0 / 10 divides them by 4 (CAR-T) and 140-370
    (cytokines); dose x 10 multiplies them by 1.09-3.5 (CAR-T includes the infusion spike) where
    B0 x 10 multiplies them by 46-780."""

    def peaks(dose: float, burden_factor: float) -> np.ndarray:
        burden = burden_factor * hardiansyah.parameter("baseline_b_cells").default
        result = cartsim.simulate(
            hardiansyah, times=FINE_TIMES[::10], params={"baseline_b_cells": burden}, doses=_split_dose(dose), **TIGHT
        )
        assert result["status"].values[0] == "ok"
        return np.array([result[name].values[0].max() for name in PEAKS])

    reference = peaks(module.UPN1_DOSE, 1.0)
    for factor in (0.1, 10.0):
        dose_shift = np.abs(np.log(peaks(module.UPN1_DOSE * factor, 1.0) / reference))
        burden_shift = np.abs(np.log(peaks(module.UPN1_DOSE, factor) / reference))
        assert np.all(burden_shift > math.log(3)), (factor, burden_shift)
        assert np.all(dose_shift < 0.25 * burden_shift), (factor, dose_shift, burden_shift)
    lower_dose = np.log(peaks(module.UPN1_DOSE / 10, 1.0) / reference)
    assert np.all(np.abs(lower_dose) < 0.02)


def test_zero_dose_leaves_dose_target_at_zero(hardiansyah: cartsim.Model) -> None:
    """A zero dose into blood effectors leaves every CAR-T pool at exactly zero."""
    result = cartsim.simulate(hardiansyah, times=np.arange(0.0, 29.0), doses=_split_dose(0.0))
    assert not result["effector_blood"].values.any()
    assert not result["memory_tissue"].values.any()
