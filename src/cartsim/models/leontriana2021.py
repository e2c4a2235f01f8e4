"""León-Triana 2021: B-ALL with healthy B cells and B-cell aplasia (whole-body cells).

León-Triana O, Sabir S, Calvo GF, Belmonte-Beitia J, Chulián S, Martínez-Rubio Á, Rosa M,
Pérez-Martínez A, Ramírez-Orellana M, Pérez-García VM. CAR T cell therapy in B-cell acute
lymphoblastic leukaemia: insights from mathematical models. *Commun Nonlinear Sci Numer
Simul* 2021;94:105570. doi:10.1016/j.cnsns.2020.105570

Whole-body cell numbers in B-ALL after CAR-T infusion (paper Eqs 4a-4c; BIOMD0000001011).
CAR-T cells C are stimulated by encounters with any CD19+ cell, leukaemic (L) or healthy
mature B (B), at ``stimulation_rate`` per CD19+ cell (mass action, no saturation), die with
mean lifetime ``car_t_lifetime``, and kill both CD19+ populations at ``killing_rate``. The
leukaemia grows exponentially; healthy B cells have no source and die with mean lifetime
``b_cell_lifetime``, so their decline is B-cell aplasia.

Dose. The infusion is the initial condition C(0) = ``infused_dose`` (1e7 cells) at t = 0
(``dose="infused_dose"``). A re-challenge with stored CAR-T cells is an additive bolus on
``car_t``.

Pitfalls, and how they are handled:

- rho_C = alpha / 4 (as the paper, and BIOMD0000001011 as an assignment rule). It is declared
  as the intermediate ``stimulation_rate = killing_rate / 4``: varying ``killing_rate``
  (alpha), as a user override or under IIV, moves the stimulation rate with it, keeping the
  paper's ratio. Changing the ratio means editing the model text.
- No B-cell source in Eqs 4a-4c: aplasia is permanent (B decreases monotonically) and B-cell
  recovery cannot be studied with this form.
- Mass action over many orders of magnitude (C up to ~1e10, L down to small numbers): set
  per-state absolute tolerances (in cells) when simulating, e.g.
  ``atol={"car_t": 1e-3, "leukaemia": 1e-6, "b_cells": 1e-6}``. There is no extinction
  rule and nothing is clamped: L may fall below one cell deterministically;
  :func:`below_one_cell_time` reports when, with an explicit threshold.
- The extended variant (Eqs 3a-3c, BIOMD0000001012: B-cell progenitors I with CAR-T-inhibited
  maturation) is deliberately NOT implemented: it has not been checked against the paper,
  and its BioModels encoding is not an oracle (its progenitor term in dC/dt is not
  proportional to C, so it creates CAR-T cells from nothing, and the progenitor outflow uses
  the constant I0 instead of the state I, so I grows without bound and I0 is used both as a
  flux and as a pool size).
- The paper's explicit formula for the maximal CAR-T expansion is not encoded here.

Validation (tests/models/test_leontriana2021.py):

=========================================================  ===========================  ==================
target                                                     value                        kind
=========================================================  ===========================  ==================
CAR-T peak with C(0) = 1e7 cells                           1.64e10 cells on day 12.2    computed reference
healthy B cells at day 14 (from 2.5e10)                    3.5e8 cells                  computed reference
dose sensitivity: 1e6 vs 1e8 cells moves the CAR-T peak    < 20 %                       published (qualitative)
no B-cell source: aplasia permanent (B decreasing)         structural                   published
=========================================================  ===========================  ==================
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._scenario import ReferencePoint, Scenario

if TYPE_CHECKING:
    import xarray as xr

DESCRIPTION = "B-ALL with healthy B cells: CAR-T expansion and B-cell aplasia (whole-body cells)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Explaining B-cell aplasia and the early post-infusion dynamics of B-ALL with whole-body cell "
    "numbers; showing that the infused dose barely changes the CAR-T peak. No B-cell recovery (no "
    "source term)."
)
CITATION = (
    "León-Triana O, Sabir S, Calvo GF, Belmonte-Beitia J, Chulián S, Martínez-Rubio Á, Rosa M, Pérez-Martínez A, "
    "Ramírez-Orellana M, Pérez-García VM. CAR T cell therapy in B-cell acute lymphoblastic leukaemia: insights from "
    "mathematical models. Commun Nonlinear Sci Numer Simul 2021;94:105570. doi:10.1016/j.cnsns.2020.105570"
)

#: Per-state absolute tolerances (cells) suited to this model's range of magnitudes.
ABSOLUTE_TOLERANCES = {"car_t": 1e-3, "leukaemia": 1e-6, "b_cells": 1e-6}

TEXT = f'''
model(name="leontriana2021", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="infused_dose")

killing_rate = 4.5e-11 | unit="1/(cell*day)", lower=0, symbol="alpha"
    | source="León-Triana 2021 (Eqs 4a-4c parameters)"
    | description="killing rate of CD19+ cells (leukaemic and healthy B) per CAR-T cell"
car_t_lifetime = 14 | unit="day", lower=0, symbol="tau_C"
    | source="León-Triana 2021", description="mean lifetime of CAR-T cells"
leukaemia_growth_rate = 0.03333333333333333 | unit="1/day", lower=0, symbol="rho_L"
    | source="León-Triana 2021 (1/30 per day)", description="leukaemia growth rate"
b_cell_lifetime = 60 | unit="day", lower=0, symbol="tau_B"
    | source="León-Triana 2021", description="mean lifetime of healthy mature B cells"
infused_dose = 1e7 | unit="cells", lower=0, symbol="C(0)"
    | source="León-Triana 2021 (initial condition)"
    | description="CAR-T dose, the initial condition C(0) at infusion (t = 0)"
initial_leukaemia = 5e10 | unit="cells", lower=0, symbol="L(0)"
    | source="León-Triana 2021 (initial condition)", description="leukaemic B cells at infusion"
initial_b_cells = 2.5e10 | unit="cells", lower=0, symbol="B(0)"
    | source="León-Triana 2021 (initial condition)", description="healthy B cells at infusion"

stimulation_rate = killing_rate / 4
    | unit="1/(cell*day)", symbol="rho_C"
    | description="CAR-T stimulation per CD19+ cell encountered; tied to alpha (rho_C = alpha/4)"

d/dt(car_t) = stimulation_rate * (leukaemia + b_cells) * car_t - car_t / car_t_lifetime
    | unit="cells", symbol="C", description="CAR-T cells (whole body)"
d/dt(leukaemia) = leukaemia_growth_rate * leukaemia - killing_rate * leukaemia * car_t
    | unit="cells", symbol="L", description="leukaemic (CD19+) B cells (whole body)"
d/dt(b_cells) = -killing_rate * b_cells * car_t - b_cells / b_cell_lifetime
    | unit="cells", symbol="B", description="healthy mature B cells (whole body); no source: aplasia"
car_t(0) = infused_dose
leukaemia(0) = initial_leukaemia
b_cells(0) = initial_b_cells

cd19_positive_cells = leukaemia + b_cells | unit="cells", observable=True
    | description="all CD19+ cells (leukaemic + healthy B): the CAR-T antigen load"
b_cells_relative_to_baseline = b_cells / initial_b_cells | unit="1", observable=True
    | description="healthy B cells relative to B(0): depth of B-cell aplasia"
'''


def below_one_cell_time(result: xr.Dataset, state: str = "leukaemia", threshold: float = 1.0) -> np.ndarray:
    """First output time (day) at which ``state`` is below ``threshold`` cells, per patient; NaN if never.

    The model has no extinction rule and nothing is clamped: the leukaemia can fall to
    sub-cell values deterministically, and this reports when it first does with an explicit
    threshold (default one cell). The time resolution is the output grid (no interpolation).
    """
    values = np.asarray(result[state].values, dtype=float)
    times = np.asarray(result["time"].values, dtype=float)
    below = values < threshold
    first = np.argmax(below, axis=1)
    return np.where(below.any(axis=1), times[first], math.nan)


#: Published set-ups; the first is the reference curve drawn on the model page.
SCENARIOS = {
    "typical": Scenario(
        "C(0) = 1e7 CAR-T cells, L(0) = 5e10, B(0) = 2.5e10 cells; 0.05-day grid",
        end=100.0,
        step=0.05,
        source="León-Triana 2021 Eqs 4a-4c",
    ),
    "dose_1e6": Scenario(
        "C(0) = 1e6 CAR-T cells (10-fold lower dose)",
        end=100.0,
        step=0.05,
        params={"infused_dose": 1e6},
        source="León-Triana 2021 (dose-sensitivity claim)",
    ),
    "dose_1e8": Scenario(
        "C(0) = 1e8 CAR-T cells (10-fold higher dose)",
        end=100.0,
        step=0.05,
        params={"infused_dose": 1e8},
        source="León-Triana 2021 (dose-sensitivity claim)",
    ),
}

REFERENCE_POINTS = (
    ReferencePoint("car_t", 12.2, 1.64e10, "computed", "CAR-T peak, 1.64e10 cells on day 12.2", "typical"),
    ReferencePoint("b_cells", 14.0, 3.5e8, "computed", "healthy B cells at day 14", "typical", tolerance=0.05 / 3.5),
)
