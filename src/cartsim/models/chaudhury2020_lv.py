"""Chaudhury 2020 (a): Lotka-Volterra CAR-T expansion and tumour killing (illustrative).

Chaudhury A, Zhu X, Chu L, Goliaei A, June CH, Kearns JD, Stein AM. Chimeric antigen
receptor T cell therapies: a review of cellular kinetic-pharmacodynamic modeling
approaches. *J Clin Pharmacol* 2020;60(S1). doi:10.1002/jcph.1691. BioModels
BIOMD0000001024 (curated).

The simplest model of the review's taxonomy (paper Eqs 4-5): CAR-T cells ``effector`` (CE)
expand in proportion to the tumour they meet (target-driven, mass action) and decline at a
constant rate, while the tumour ``tumour`` (U) grows exponentially and is killed by mass
action. Both states are in cells/uL of blood and time is in days. The parameter values are
illustrative (chosen by the authors to show the behaviour), not fitted to patients, so the
model has no inter-individual variability.

The dose is the initial condition CE(0) = ``infused_dose`` = 10 cells/uL (the paper gives
no dose event), so ``dose="infused_dose"``.

Pitfalls (models.md section 8) and how they are handled:

- This is the classical Lotka-Volterra system: its orbits are closed, so there is no
  asymptotic cure and the tumour relapses periodically (period 118.6 days with these
  values). The quantity ``H = rho*U - kE*ln(U) + d*CE - g*ln(CE)`` is conserved; its drift
  over many orbits measures the integrator's accuracy (tested).
- Units: ``expansion_rate`` and ``kill_rate`` are second-order constants,
  1/(day * cells/uL) = uL/(cell*day).

Validation (tests/models/test_chaudhury2020_lv.py):

==================================  ================================  ===================
target                              value                             kind
==================================  ================================  ===================
CE peak (Cmax, Tmax)                1.456e4 cells/uL at day 4.99      computed reference
                                    (got 1.4557e4 at 4.991 d)
H conserved over 365 days           drift < 100*rtol at rtol 1e-10    structural
                                    (2.5e-9; 3.0e-3 at rtol 1e-4)
==================================  ================================  ===================
"""

from __future__ import annotations

from ._scenario import ReferencePoint, Scenario

DESCRIPTION = "Lotka-Volterra CAR-T expansion and tumour killing (review tutorial model, illustrative values)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Teaching and testing: the simplest target-driven CAR-T expansion and killing model (Lotka- "
    "Volterra), with a conserved quantity that makes a sharp check of integrator accuracy over long "
    "horizons."
)
CITATION = (
    "Chaudhury A, Zhu X, Chu L, Goliaei A, June CH, Kearns JD, Stein AM. Chimeric antigen receptor T cell "
    "therapies: a review of cellular kinetic-pharmacodynamic modeling approaches. J Clin Pharmacol "
    "2020;60(S1). doi:10.1002/jcph.1691"
)

TEXT = f'''
model(name="chaudhury2020_lv", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="infused_dose")

expansion_rate = 0.0018 | unit="uL/(cell*day)", lower=0, symbol="rho"
    | source="Chaudhury 2020 Eq 4 (illustrative)"
    | description="target-driven CAR-T expansion rate per tumour cell/uL"
effector_decline_rate = 0.16 | unit="1/day", lower=0, symbol="k_E"
    | source="Chaudhury 2020 Eq 4 (illustrative)", description="CAR-T decline rate"
tumour_growth_rate = 0.15 | unit="1/day", lower=0, symbol="g"
    | source="Chaudhury 2020 Eq 5 (illustrative)", description="exponential tumour growth rate"
kill_rate = 0.00015 | unit="uL/(cell*day)", lower=0, symbol="d"
    | source="Chaudhury 2020 Eq 5 (illustrative)", description="tumour killing rate per CAR-T cell/uL"
infused_dose = 10 | unit="cells/uL", lower=0, symbol="C_E(0)"
    | source="Chaudhury 2020 Eqs 4-5, initial condition (illustrative)"
    | description="CAR-T dose: CAR-T cells/uL of blood at t = 0"
initial_tumour = 900 | unit="cells/uL", lower=0, symbol="U(0)"
    | source="Chaudhury 2020 Eqs 4-5, initial condition (illustrative)", description="tumour burden at t = 0"

d/dt(effector) = expansion_rate * effector * tumour - effector_decline_rate * effector
    | unit="cells/uL", symbol="C_E", description="CAR-T cells in blood (expanding/effector)"
d/dt(tumour) = tumour_growth_rate * tumour - kill_rate * effector * tumour
    | unit="cells/uL", symbol="U", description="tumour cells"
effector(0) = infused_dose
tumour(0) = initial_tumour
'''

#: Published set-ups; the first is the reference curve drawn on the model page.
SCENARIOS = {
    "illustrative": Scenario(
        "illustrative values, CE(0) = 10 and U(0) = 900 cells/uL, two orbits on a 0.1-day grid",
        end=240.0,
        step=0.1,
        source="Chaudhury 2020 Eqs 4-5 (illustrative)",
    ),
}

REFERENCE_POINTS = (ReferencePoint("effector", 4.99, 1.456e4, "computed", "CE peak (Cmax at Tmax)", "illustrative"),)
