"""The platform model's definition: conformance, provenance, and grades that agree with the clinical layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import cartsim
from cartsim.platform import CALIBRATED_PARAMETERS, platform_model
from cartsim.platform.grading import astct_inputs, daily_grades, grade_assessments
from cartsim.testing import check_model

DOSE = cartsim.Dose("effector", 0.14)


def test_platform_model_passes_the_library_conformance_check() -> None:
    """Units, provenance (description and source of every parameter), bounds, citation, LaTeX,
    a 100-patient IIV simulation and the zero-dose check (cartsim.testing.check_model)."""
    check_model(platform_model())


def test_every_parameter_has_a_source_that_is_a_paper_or_says_assumed() -> None:
    """Every value is from a paper/table, derived, a standard fact, or 'assumed' with a reason."""
    kinds = ("Kimmel", "Leon-Triana", "Hardiansyah", "Liu", "Singh", "Stein", "clinical.md", "ASTCT", "assumed",
             "derived", "calibrated", "standard physiology", "label", "product attribute")
    for parameter in platform_model().parameters:
        assert parameter.unit, parameter.name
        assert any(kind in parameter.source for kind in kinds), (parameter.name, parameter.source)
        if parameter.source.startswith("assumed") and parameter.source != "assumed":
            assert len(parameter.source) > len("assumed ("), parameter.name


def test_calibrated_parameters_are_declared_and_named_as_such_in_their_source() -> None:
    model = platform_model()
    for name in CALIBRATED_PARAMETERS:
        assert "calibrated" in model.parameter(name).source or "set by the indication presets" in model.parameter(name).source


@pytest.fixture(scope="module")
def cohort() -> xr.Dataset:
    # High burden for grades up to 4, and a tocilizumab course so that masked fevers occur.
    doses = [DOSE, cartsim.Dose("tocilizumab", 560.0, time=2.0)]
    result: xr.Dataset = cartsim.simulate(platform_model(), times=np.arange(0, 30.0, 0.25), doses=doses, n_patients=150, seed=5,
                            params={"baseline_tumour": 150.0})
    return result


def test_in_model_grades_equal_the_clinical_layer_grades_of_the_same_vitals(cohort: xr.Dataset) -> None:
    """The in-model ASTCT grades (which trigger treatment) equal the clinical layer's grades of
    the simulated vitals at every assessment, over grades 0-4 of CRS and 0-3 of ICANS."""
    graded = grade_assessments(cohort)
    np.testing.assert_array_equal(graded["crs_grade"].to_numpy(), cohort["crs_grade"].values.ravel())
    np.testing.assert_array_equal(graded["icans_grade"].to_numpy(), cohort["icans_grade"].values.ravel())
    assert set(graded["crs_grade"]) == {0, 1, 2, 3, 4}
    inputs = astct_inputs(cohort)
    assert inputs["fever_masked_by_treatment"].any()


def test_daily_grades_are_the_worst_of_the_day(cohort: xr.Dataset) -> None:
    daily = daily_grades(cohort)
    assert len(daily) == 150 * 30
    worst = cohort["crs_grade"].values.reshape(150, 30, 4).max(axis=2)
    np.testing.assert_array_equal(daily["crs_grade"].to_numpy(), worst.ravel())


def test_grading_rejects_a_dataset_of_another_model(linear_model: cartsim.Model) -> None:
    result = cartsim.simulate(linear_model, times=[0.0, 1.0])
    with pytest.raises(cartsim.SimulationError, match=r"not a platform-model result.*temperature"):
        astct_inputs(result)


def test_platform_page_is_up_to_date() -> None:
    """docs/platform.md is generated from the model (`make model-pages`); its figure exists."""
    from cartsim.report.platform_page import FIGURE, platform_page

    docs = Path(__file__).resolve().parents[2] / "docs"
    committed = (docs / "platform.md").read_text(encoding="utf-8")
    assert committed == platform_page(), "docs/platform.md is stale: run `make model-pages`"
    assert (docs / FIGURE).stat().st_size > 10_000
