"""Every library model: the conformance check, its module's documentation and data, and the
computed reference points it declares (models.md; each model's own tests hold the details)."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest

import cartsim
from cartsim.models import ReferencePoint, Scenario
from cartsim.testing import ModelCheckError, check_model
from tests.conftest import LINEAR_TEXT

EXPECTED = (
    "barros2021",
    "chaudhury2020_ec50",
    "chaudhury2020_lv",
    "hardiansyah2019",
    "kimmel2021",
    "leontriana2021",
    "liu2022",
    "singh2021",
    "stein2019",
)


def test_the_library_has_every_specified_model() -> None:
    """The nine models of the model-library issue (models.md sections 1-8)."""
    assert cartsim.models.names() == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_conformance(name: str) -> None:
    """cartsim.testing.check_model passes; a model may skip a check only with a stated reason."""
    module = import_module(f"cartsim.models.{name}")
    check_model(cartsim.models.get(name), skip=getattr(module, "CONFORMANCE_EXCEPTIONS", None))


def test_singh_exemption_is_still_needed() -> None:
    """Singh 2021 skips `zero_dose`; the exemption stays only while the check really fails."""
    with pytest.raises(ModelCheckError, match="zero_dose: with a zero dose `effector_blood` does not stay at 0"):
        check_model(cartsim.models.get("singh2021"))


@pytest.mark.parametrize("name", EXPECTED)
def test_module_documents_the_model(name: str) -> None:
    """Docstring opens with "Author Year:" and carries the citation's DOI and a validation
    table; the model header holds the same citation; scenarios and reference points exist."""
    module = import_module(f"cartsim.models.{name}")
    model = cartsim.models.get(name)
    doc = module.__doc__ or ""
    first_line = doc.strip().splitlines()[0]
    assert ":" in first_line
    assert any(ch.isdigit() for ch in first_line.split(":")[0])
    doi = module.CITATION.split("doi:")[-1].split()[0].rstrip(".")
    assert doi in doc.replace("\n", " ")
    assert "Validation" in doc
    assert model.citation == module.CITATION
    assert module.SCENARIOS
    assert all(isinstance(s, Scenario) for s in module.SCENARIOS.values())
    assert all(isinstance(p, ReferencePoint) for p in module.REFERENCE_POINTS)
    for point in module.REFERENCE_POINTS:
        assert point.scenario in module.SCENARIOS
        assert point.variable in (*model.state_names, *model.observable_names)
        assert point.kind in ("published", "computed")


COMPUTED_POINTS = [
    pytest.param(name, point, id=f"{name}-{point.variable}-{point.time:g}")
    for name in EXPECTED
    for point in import_module(f"cartsim.models.{name}").REFERENCE_POINTS
    if point.kind == "computed"
]


@pytest.mark.parametrize(("name", "point"), COMPUTED_POINTS)
def test_computed_reference_points(name: str, point: ReferencePoint) -> None:
    """Each computed reference (models.md, LSODA rtol <= 1e-9) drawn on the model pages is
    reproduced by its scenario within 0.5 %, the library issue's tolerance for computed
    references (or half a unit of the last digit where fewer digits were printed, as
    `ReferencePoint.tolerance` records), at rtol 1e-10 on a grid containing the point's time."""
    module = import_module(f"cartsim.models.{name}")
    scenario = module.SCENARIOS[point.scenario]
    times = np.union1d(scenario.times(), [point.time])
    result = scenario.simulate(name, times=times, rtol=1e-10, atol=getattr(module, "ABSOLUTE_TOLERANCES", 1e-12))
    value = float(result[point.variable].sel(time=point.time).values[0])
    assert value == pytest.approx(point.value, rel=point.tolerance)


def test_print_citations_lists_the_models_a_script_used() -> None:
    """A fresh process that simulates two library models and a user model prints cartsim's
    reference, then each model's, in order of first use, each once."""
    script = (
        "import cartsim\n"
        "cartsim.simulate('singh2021', times=[0.0, 1.0])\n"
        "cartsim.simulate('stein2019', times=[0.0, 1.0])\n"
        "cartsim.simulate('singh2021', times=[0.0, 2.0])\n"
        # The suite's shared linear test model (its kernel is compiled once for the whole suite).
        f"cartsim.simulate(cartsim.parse_model({LINEAR_TEXT!r}), times=[0.0, 1.0])\n"
        "cartsim.print_citations()\n"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    lines = output.strip().splitlines()
    assert lines[0].startswith("[1] cartsim ")
    assert lines[1].startswith("[2] Singh AP")
    assert "doi:10.1002/psp4.12598" in lines[1]
    assert lines[2].startswith("[3] Stein AM")
    assert "doi:10.1002/psp4.12388" in lines[2]
    assert lines[3] == "[4] model 'linear_two_compartment': no citation declared"
    assert len(lines) == 4


@pytest.mark.parametrize("name", EXPECTED)
def test_model_page_is_up_to_date(name: str) -> None:
    """docs/models/<name>.md is generated from the model object (`make model-pages`): the
    committed page must match what the model produces now, and its figure must exist."""
    from cartsim.report.model_pages import model_page

    docs = Path(__file__).resolve().parents[2] / "docs" / "models"
    committed = (docs / f"{name}.md").read_text(encoding="utf-8")
    assert committed == model_page(name), f"docs/models/{name}.md is stale: run `make model-pages`"
    assert (docs / "figures" / f"{name}.png").stat().st_size > 10_000
