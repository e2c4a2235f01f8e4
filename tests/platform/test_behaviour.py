"""Qualitative behaviours of the integrated platform model (issue: the integrated CAR-T platform
model, tests 1 and 3-7), each on a seeded virtual cohort.

Cohorts are paired: the same seed gives the same inter-individual draws, so a comparison
changes one thing at a time for the same patients. Numbers in the assertions are the
behaviours' own claims (higher, lower, "barely"), with the margins stated where they are not
plain orderings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xarray as xr

import cartsim
from cartsim.platform import platform_model
from cartsim.platform.grading import toxicity_summary

#: 1.4e8 CAR+ cells (axi-cel 2e6/kg for 70 kg), in the dose state's unit (1e9 cells).
DOSE = cartsim.Dose("effector", 0.14)
COHORT = 200
SEED = 20261204
#: Assessments every 6 hours: the grading clock of the platform's toxicity.
GRID = np.arange(0, 61.0, 0.25)
YEAR = np.arange(0, 366.0, 0.5)


def cohort(times: np.ndarray = GRID, doses: Any = DOSE, **params: float) -> xr.Dataset:
    result: xr.Dataset = cartsim.simulate(
        platform_model(), times=times, doses=doses, n_patients=COHORT, seed=SEED, params=params or None
    )
    assert (result["status"].values == "ok").all()
    return result


@pytest.fixture(scope="module")
def standard() -> xr.Dataset:
    return cohort()


def test_higher_burden_raises_car_t_peak_il6_peak_and_crs_grade() -> None:
    """Test 1: a higher baseline tumour burden gives a higher CAR-T peak, IL-6 peak and CRS grade
    (Hardiansyah 2019's claim that peaks track burden, not dose; Hay 2017 risk factor)."""
    low, high = cohort(baseline_tumour=20.0), cohort(baseline_tumour=200.0)
    for variable in ("car_t_blood", "il6"):
        ratio = high[variable].max("time").values / low[variable].max("time").values
        assert (ratio > 1.0).all(), variable
    grade_low = toxicity_summary(low)["crs_max_grade"].to_numpy()
    grade_high = toxicity_summary(high)["crs_max_grade"].to_numpy()
    assert (grade_high >= grade_low).all()
    assert grade_high.mean() > grade_low.mean() + 0.5
    assert (grade_high >= 3).mean() > (grade_low >= 3).mean()


def test_early_corticosteroids_lower_the_peak_late_ones_barely() -> None:
    """Test 3: dexamethasone 10 mg every 6 h for 3 days from the day of infusion lowers the
    CAR-T peak; the same course from day 7 (after the peak) changes it by under 5 %."""
    none = cohort().car_t_blood.max("time").values

    def course(start: float) -> list[cartsim.Dose]:
        return [DOSE, *cartsim.Dose.repeated("steroids", 10.0, interval=0.25, count=12, start=start)]

    early = cohort(doses=course(0.0)).car_t_blood.max("time").values / none
    late = cohort(doses=course(7.0)).car_t_blood.max("time").values / none
    assert np.median(early) < 0.7
    assert (early < 0.95).all()
    assert (np.abs(late - 1.0) < 0.05).all()
    assert (late > early).all()


def _relapse_day(result: xr.Dataset) -> np.ndarray:
    """First day after the nadir at which the tumour is back above 1 % of its baseline (NaN: none)."""
    burden = result["tumour_burden"].values
    baseline = burden[:, :1]
    nadir = np.argmin(burden, axis=1)
    after = (np.arange(burden.shape[1])[None, :] > nadir[:, None]) & (burden > 0.01 * baseline)
    first = np.argmax(after, axis=1)
    times = result["time"].values
    return np.where(after.any(axis=1), times[first], np.nan)


def _at_relapse(result: xr.Dataset, variable: str, day: np.ndarray) -> np.ndarray:
    """Each relapsed patient's value on its relapse day (``day``: NaN for the others, left out)."""
    patients = np.flatnonzero(np.isfinite(day))
    index = np.searchsorted(result["time"].values, day[patients])
    return result[variable].values[patients, index]


def test_antigen_negative_clone_relapses_with_persistent_car_t_and_aplasia() -> None:
    """Test 4a (Liu 2022 CD19- relapse): a pre-existing antigen-negative clone (0.1 % of the
    tumour) relapses while CAR-T cells persist and B-cell aplasia continues."""
    result = cohort(YEAR, antigen_negative_fraction=1e-3, antigen_negative_growth_rate=0.05)
    day = _relapse_day(result)
    relapsed = np.isfinite(day)
    assert relapsed.mean() > 0.9
    negative_share = _at_relapse(result, "tumour_antigen_negative", day) / _at_relapse(result, "tumour_burden", day)
    # The relapse is antigen-negative: the negative clone is most of it in every patient
    # (some patients' weaker CAR-T let a few antigen-positive cells regrow too).
    assert (negative_share > 0.5).all()
    assert np.median(negative_share) > 0.99
    assert (_at_relapse(result, "car_t_blood", day) > 0.1).mean() > 0.9
    # B-cell aplasia: under 10 % of the normal count (330 cells/uL).
    assert (_at_relapse(result, "b_cells_blood", day) < 33.0).mean() > 0.9


def test_loss_of_persistence_gives_antigen_positive_relapse_with_b_cell_recovery() -> None:
    """Test 4b: short-lived memory CAR-T cells (memory death 0.1 /day instead of 0.0032)
    are lost; the antigen-positive tumour relapses and healthy B cells recover."""
    result = cohort(YEAR, memory_death_rate=0.1, tumour_growth_rate=0.05)
    day = _relapse_day(result)
    relapsed = np.isfinite(day)
    assert relapsed.mean() > 0.8
    positive_share = _at_relapse(result, "tumour_antigen_positive", day) / _at_relapse(result, "tumour_burden", day)
    assert (positive_share > 0.99).all()
    assert (_at_relapse(result, "b_cells_blood", day) > 33.0).mean() > 0.9
    # The persistent comparison: with the default memory lifetime the same patients keep aplasia.
    persistent = cohort(YEAR, tumour_growth_rate=0.05)
    assert np.median(persistent["b_cells_blood"].sel(time=180).values) < 33.0


def test_deeper_lymphodepletion_raises_expansion() -> None:
    """Test 5 (Kimmel 2021): deeper lymphodepletion (fewer normal T cells at infusion) gives a
    higher CAR-T peak, patient by patient, and a monotone dose-response over three intensities."""
    peaks = [cohort(lymphodepletion_intensity=level).car_t_blood.max("time").values for level in (0.6, 0.8, 1.0)]
    assert (peaks[1] > peaks[0]).all()
    assert (peaks[2] > peaks[1]).all()


def test_crs_precedes_icans_and_both_start_within_14_days(standard: xr.Dataset) -> None:
    """Test 6: CRS onset precedes ICANS onset in most patients with both, and both start
    within the first 14 days in >= 99 % of simulated patients who have them (clinical.md
    C26-C27: 0 % new CRS and 0.7 % new ICANS after day 14)."""
    summary = toxicity_summary(standard)
    both = summary.dropna(subset=["crs_onset_day", "icans_onset_day"])
    assert len(both) > COHORT // 2
    assert (both["crs_onset_day"] < both["icans_onset_day"]).mean() > 0.8
    for toxicity in ("crs", "icans"):
        onset = summary[f"{toxicity}_onset_day"].dropna()
        assert len(onset) > 0
        assert (onset <= 14).mean() >= 0.99


def test_no_car_t_means_no_expansion_cytokines_or_aplasia_and_natural_tumour_growth() -> None:
    """Test 7: without a CAR-T dose nothing expands, cytokines stay at their baselines, B cells
    stay normal and the tumour follows its logistic growth (analytic solution)."""
    result = cohort(YEAR, doses=None)
    assert (result["car_t_blood"].values == 0).all()
    assert np.allclose(result["il6"].values, result["baseline_il6"].values[:, None], rtol=1e-12, atol=0)
    assert np.allclose(result["ifn_gamma"].values, result["baseline_ifn_gamma"].values[:, None], rtol=1e-12, atol=0)
    assert np.allclose(result["b_cells_blood"].values, 330.0, rtol=1e-9)
    assert (result["crs_grade"].values == 0).all()
    assert (result["icans_grade"].values == 0).all()
    rate = result["tumour_growth_rate"].values[:, None]
    start = result["baseline_tumour"].values[:, None]
    capacity = result["tumour_capacity"].values[:, None]
    growth = np.exp(rate * result["time"].values[None, :])
    logistic = capacity * start * growth / (capacity + start * (growth - 1))
    # Default solver tolerance (rtol 1e-6) over a year of growth: 1e-5 relative.
    np.testing.assert_allclose(result["tumour_burden"].values, logistic, rtol=1e-5)


def test_checkpoint_blockade_reduces_exhaustion() -> None:
    """The checkpoint-inhibitor hook: anti-PD-1 exposure (200 mg on the day of infusion) lowers
    the exhausted share of CAR-T cells at the peak and raises the number of effectors."""
    none = cohort()
    blocked = cohort(doses=[DOSE, cartsim.Dose("checkpoint_inhibitor", 200.0)])
    for result in (none, blocked):
        result["exhausted_share"] = result["exhausted"] / (result["effector"] + result["memory"] + result["exhausted"])
    at = 10.0
    assert (blocked["exhausted_share"].sel(time=at).values < 0.5 * none["exhausted_share"].sel(time=at).values).all()
    assert (blocked["effector"].sel(time=at).values > none["effector"].sel(time=at).values).all()
