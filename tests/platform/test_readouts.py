"""The platform's disease readouts feed the clinical layer's response criteria directly."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import cartsim
from cartsim.clinical.response import assess_ball_table, assess_imwg_table, assess_lugano_ct_table
from cartsim.platform import platform_model
from cartsim.platform.readouts import ball_table, imwg_table, lugano_ct_table

DAYS = [28, 56, 90, 180, 270, 365]
DOSE = cartsim.Dose("effector", 0.14)


def _cohort(doses: object, **params: float) -> xr.Dataset:
    result: xr.Dataset = cartsim.simulate(platform_model(), times=np.arange(0, 366.0), doses=doses, n_patients=40, seed=11,
                                          params=params or None)
    return result


@pytest.fixture(scope="module")
def treated() -> xr.Dataset:
    return _cohort(DOSE)


@pytest.fixture(scope="module")
def untreated() -> xr.Dataset:
    return _cohort(None)


def test_treated_patients_respond_and_untreated_ones_do_not(treated: xr.Dataset, untreated: xr.Dataset) -> None:
    """With CAR-T the default patients reach CR (B-ALL, Lugano CT) and at least PR (IMWG,
    whose M-protein falls as burden^0.215, Singh 2021); without, none responds."""
    assert (assess_ball_table(ball_table(treated, DAYS))["best_response"] == "CR").all()
    assert (assess_lugano_ct_table(lugano_ct_table(treated, DAYS))["best_response"] == "CR").all()
    assert assess_imwg_table(imwg_table(treated, DAYS))["best_response"].isin(["PR", "VGPR", "CR", "sCR"]).all()
    assert (assess_ball_table(ball_table(untreated, DAYS))["best_response"] == "PD").all()
    for table, assess in ((lugano_ct_table, assess_lugano_ct_table), (imwg_table, assess_imwg_table)):
        assert (assess(table(untreated, DAYS))["best_response"] == "SD").all()


def test_antigen_negative_relapse_is_seen_by_every_criterion() -> None:
    """A CD19- relapse (0.1 % antigen-negative cells growing at 0.05 /day) is a relapse after
    remission: a time to progression within the year under each criterion."""
    result = _cohort(DOSE, antigen_negative_fraction=1e-3, antigen_negative_growth_rate=0.05)
    for table, assess in ((ball_table, assess_ball_table), (lugano_ct_table, assess_lugano_ct_table),
                          (imwg_table, assess_imwg_table)):
        summary = assess(table(result, DAYS))
        assert summary["time_to_progression_days"].notna().all(), table.__name__
        assert (summary["time_to_progression_days"] <= 365).all()


def test_tables_have_the_baseline_and_each_assessment_day(treated: xr.Dataset) -> None:
    table = ball_table(treated, DAYS)
    assert sorted(table["day"].unique()) == [0.0, *map(float, DAYS)]
    assert len(table) == 40 * (len(DAYS) + 1)
    lesions = lugano_ct_table(treated, DAYS)
    np.testing.assert_allclose((lesions["longest_diameter_cm"] * 10) ** 2,
                               treated["sum_of_diameters_product"].sel(time=[0.0, *DAYS]).values.ravel(), rtol=1e-12)


def test_assessment_days_must_be_output_times(treated: xr.Dataset) -> None:
    with pytest.raises(cartsim.SimulationError, match=r"assessment day\(s\) 28.5"):
        ball_table(treated, [28.5])
