"""The documentation page of the integrated platform model, generated from the model object.

``python -m cartsim.report.platform_page docs`` (part of ``make model-pages``) writes
``docs/platform.md`` (mechanism diagram, the mechanism notes of each block, the equations from
:meth:`Model.latex`, the state, observable and parameter tables with sources, the calibrated
parameters, the grading bridge and the tested behaviours) and its figure, one simulated
patient's story. A test keeps the committed page in step with the model.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from cartsim.platform import CALIBRATED_PARAMETERS, _t_cells, _toxicity, _tumour, grading, platform_model
from cartsim.platform import _grades as grades_block
from cartsim.platform import model as platform_module

from .model_pages import _observables, _parameters, _states

FIGURE = "figures/platform_patient.png"

DIAGRAM = """```mermaid
flowchart LR
  LD[lymphodepletion intensity] --> N[normal T cells]
  N <-->|niche competition| E
  DOSE[CAR-T dose] --> E[effector CAR-T]
  E -->|antigen scarce| M[memory CAR-T]
  M -->|antigen| E
  E -->|chronic antigen| X[exhausted CAR-T]
  CPI[checkpoint inhibitor] -.->|reduces, reinvigorates| X
  E -->|kills| TP[antigen+ tumour]
  E -.->|bystander| TN[antigen- tumour]
  TP -->|antigen loss| TN
  E -->|kills, blocks production| B[healthy B cells]
  TP & B -->|antigen signal| E
  E -->|killing| IFN[IFN-gamma]
  IFN --> MY[myeloid activation]
  MY -->|x killing| IL6[IL-6]
  IL6 --> V[temperature, MAP, SpO2]
  V --> CRS[CRS grade]
  IL6 & IFN & E --> NI[neuro-inflammation]
  NI --> ICANS[ICE score, consciousness: ICANS grade]
  TOCI[tocilizumab] -.->|blocks IL-6 signalling| V
  STER[corticosteroids] -.->|suppress| E & IL6 & NI
  CRS -->|policy| TOCI
  CRS & ICANS -->|policy| STER
```"""

BEHAVIOURS = (
    "Higher baseline tumour burden gives a higher CAR-T peak, a higher IL-6 peak and a higher CRS grade.",
    "Tocilizumab given at CRS grade 2 lowers the distribution of maximum CRS grades without lowering the CAR-T peak "
    "by more than 10 %.",
    "Early corticosteroids lower the CAR-T peak; late ones barely do.",
    "A pre-existing antigen-negative clone relapses while CAR-T cells persist and B-cell aplasia continues (CD19- "
    "relapse); loss of persistence gives an antigen-positive relapse with B-cell recovery.",
    "Deeper lymphodepletion gives higher expansion.",
    "CRS onset precedes ICANS onset in most patients; both start within the first 14 days in >= 99 % of patients.",
    "With no CAR-T dose nothing expands, cytokines stay at baseline, there is no aplasia and the tumour follows its "
    "natural growth.",
)


def _notes(module: ModuleType) -> str:
    """A block module's docstring without its first line."""
    doc = (module.__doc__ or "").strip()
    body = doc.partition("\n")[2].strip().replace("``", "`")
    # Sphinx roles (:mod:`~cartsim.x`) read as plain code on the page.
    return re.sub(r":(?:mod|func|class|data|meth):`~?([^`]+)`", r"`\1`", body)


def platform_page() -> str:
    """The Markdown page of the platform model."""
    model = platform_model()
    lines = [
        "# The integrated CAR-T platform model",
        "",
        "> Research and education only: never for clinical decisions about a patient.",
        "",
        f"> {model.citation}",
        "",
        _notes(platform_module),
        "",
        "```python",
        "import numpy as np",
        "import cartsim",
        "from cartsim.platform import platform_model",
        "from cartsim.platform.grading import toxicity_summary",
        "",
        "cohort = cartsim.simulate(platform_model(), times=np.arange(0, 61.0, 0.25),",
        '                          doses=cartsim.Dose("effector", 0.14), n_patients=1000, seed=1)',
        "print(toxicity_summary(cohort).describe())   # CRS and ICANS grades, onset, duration",
        "```",
        "",
        "## Mechanisms",
        "",
        DIAGRAM,
        "",
        f"![one simulated patient: CAR-T, tumour, B cells, IL-6 and grades]({FIGURE})",
        "",
    ]
    for title, module in (
        ("CAR-T cells, lymphodepletion and competition", _t_cells),
        ("Tumour, healthy B cells and disease readouts", _tumour),
        ("Cytokines, vitals, neurotoxicity and treatments", _toxicity),
        ("In-model grades", grades_block),
    ):
        lines += [f"### {title}", "", _notes(module), ""]
    lines += ["## Grading with the clinical layer", "", _notes(grading), ""]
    lines += ["## Equations", "", "$$", model.latex(), "$$", ""]
    lines += _states(model) + _observables(model) + _parameters(model)
    lines += [
        "## Calibrated parameters",
        "",
        "The product and indication presets calibrate these parameters (their population means and spreads); "
        "the defaults above give a plausible large-B-cell-lymphoma patient (ZUMA-1 medians of CAR-T cells/uL "
        "at days 7 and 28) and are not a calibration:",
        "",
        *[f"- `{name}`: {model.parameter(name).description}" for name in CALIBRATED_PARAMETERS],
        "",
        "## Tested behaviours",
        "",
        "Each is a test on a seeded virtual cohort in `tests/platform/` (the in-model grades are also checked "
        "against the clinical layer's grading of the same vitals at every assessment):",
        "",
        *[f"{number}. {text}" for number, text in enumerate(BEHAVIOURS, start=1)],
        "",
    ]
    return "\n".join(lines).rstrip() + "\n"


def figure(path: Path) -> None:
    """One simulated patient's story: CAR-T, tumour and B cells, IL-6 and temperature, grades."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import cartsim

    times = np.arange(0, 120.25, 0.25)
    result = cartsim.simulate(platform_model(), times=times, doses=cartsim.Dose("effector", 0.14))
    figure_, axes = plt.subplots(3, 1, figsize=(7.5, 7.2), sharex=True)
    cells = axes[0]
    for name, label, colour in (("car_t_blood", "CAR-T cells/uL", "#1f5f99"), ("b_cells_blood", "B cells/uL", "#2e8b57"),
                                ("tumour_burden", "tumour (1e9 cells)", "#c0392b")):
        cells.plot(times, np.maximum(result[name].values[0], 1e-6), color=colour, lw=1.6, label=label)
    cells.set_yscale("log")
    cells.set_ylim(1e-4, 1e4)
    cells.legend(fontsize=8, frameon=False, loc="upper right")
    cells.set_title("expansion, killing, contraction and persistence; B-cell aplasia", fontsize=9)
    cytokine = axes[1]
    cytokine.plot(times, result["il6"].values[0], color="#8e44ad", lw=1.6, label="IL-6 (pg/mL)")
    cytokine.set_yscale("log")
    cytokine.set_ylabel("pg/mL")
    warm = cytokine.twinx()
    warm.plot(times, result["temperature"].values[0], color="#e67e22", lw=1.2, label="temperature (degC)")
    warm.set_ylabel("degC")
    cytokine.legend(handles=[*cytokine.get_lines(), *warm.get_lines()], fontsize=8, frameon=False, loc="upper right")
    grade = axes[2]
    grade.step(times, result["crs_grade"].values[0], where="post", color="#c0392b", label="CRS grade (ASTCT)")
    grade.step(times, result["icans_grade"].values[0], where="post", color="#34495e", label="ICANS grade (ASTCT)")
    grade.set_ylim(-0.2, 4.2)
    grade.set_xlabel("days after infusion")
    grade.legend(fontsize=8, frameon=False, loc="upper right")
    for axis in axes:
        axis.set_xlim(0, 120)
    figure_.suptitle("cartsim platform model: one patient, default parameters, 1.4e8 CAR-T cells", fontsize=10)
    figure_.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure_.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(figure_)


def write_page(directory: Path, *, with_figure: bool = True) -> Path:
    """Write ``platform.md`` (and its figure) into ``directory``; returns the page."""
    directory.mkdir(parents=True, exist_ok=True)
    page = directory / "platform.md"
    page.write_text(platform_page(), encoding="utf-8")
    if with_figure:
        figure(directory / FIGURE)
    return page


if __name__ == "__main__":  # pragma: no cover - a documentation build step
    print(write_page(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
