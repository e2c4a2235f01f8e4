"""Chaudhury 2020 (b): EC50 expansion and killing, memory pool and functional cure (illustrative).

Chaudhury A, Zhu X, Chu L, Goliaei A, June CH, Kearns JD, Stein AM. Chimeric antigen
receptor T cell therapies: a review of cellular kinetic-pharmacodynamic modeling
approaches. *J Clin Pharmacol* 2020;60(S1). doi:10.1002/jcph.1691. BioModels
BIOMD0000001025 (curated).

The review's saturating model (paper Eqs 7-9). Until ``expansion_end`` (Tmax, 9.3 days, the
Stein 2019 typical peak time) CAR-T cells ``effector`` (CE) expand with a saturating
(EC50-type) dependence on themselves and the tumour; after Tmax they contract at
``effector_decline_rate`` (kE) while a fraction passes at ``persistence_conversion_rate``
(kEP) into a persistent (memory) pool ``persistent`` (CP) that declines slowly at
``persistent_decline_rate`` (beta). The tumour ``tumour`` (U) grows by Gompertz growth that a
"functional cure" factor F_cure = 1/(1 + (Ucrit/U)^h) shuts off once U falls well below
Ucrit, and only the effectors kill it, with saturating (EC50) kinetics. All states are in
cells/uL of blood, time is in days. The values are illustrative, not fitted, so the model
has no inter-individual variability.

The dose is the initial condition CE(0) = ``infused_dose`` = 10 cells/uL, so
``dose="infused_dose"``.

Pitfalls (models.md section 8) and how they are handled:

- Switch convention: the paper (and the BioModels piecewise functions) expand while
  ``t <= Tmax``; the text says so (``if t <= expansion_end``). The engine stops exactly at
  Tmax and integrates [0, Tmax] and [Tmax, end] as separate segments, evaluating the switch
  inside each segment, so the state is continuous at Tmax and no step crosses it (with
  segment integration ``t < Tmax`` would give the same trajectory: the two conventions differ
  only at the single instant t = Tmax).
- Only CE kills: CP does not appear in dU/dt (tested: U does not depend on beta or on CP).
- Gompertz ratio: written with natural logarithms; the BioModels files use log10, which gives
  the identical ratio.
- F_cure: growth is suppressed once U << Ucrit, so U stays positive and does not regrow
  while the effectors kill (tested over a year: minimum ~0.0087 cells/uL near day 103,
  U(365 d) ~0.0092; with ``cure_threshold = 0`` the tumour relapses to Umax within the
  year). With these illustrative values U does not tend to 0: once CE has contracted the
  1000-fold suppressed growth brings U back above Ucrit after ~1680 days.
- The unused second steepness constant h_T = 3 of the BioModels file is left out.
- Variant (c), first-order expansion (rho = 1 /d, g = 0.3, d = 0.0007, Umax = 100; supplement
  Eqs S1-S3, not curated), is the review's positivity stress case and is not a library model:
  its exact solution stays positive, but killing becomes so fast that solver noise at the
  atol level can push U below zero, where ln(U) and (Ucrit/U)^h are undefined (plain LSODA
  returns NaN from day 8.4 while reporting success). The tests run it with every method:
  each patient must end ``ok`` with finite, non-negative values or be flagged with a status
  and time. cartsim's explicit and automatic methods reject the steps that would make U
  negative; its stiff method steps explicitly where the Jacobian (inf/inf once (Ucrit/U)^h
  overflows) is not finite, so all three end ``ok``.

Validation (tests/models/test_chaudhury2020_ec50.py):

==============================  ===============================  ===================
target                          value                            kind
==============================  ===============================  ===================
CE(5 d), CE(9.3 d)              1.78e4, 2.28e4 cells/uL          computed reference
                                (got 1.784e4, 2.282e4)
U independent of CP and beta    identical U                      structural
F_cure: U > 0, no relapse       U > 0, U(365 d) < Ucrit/10       structural
positivity stress case (c)      flagged or non-negative          engine behaviour
==============================  ===============================  ===================
"""

from __future__ import annotations

from ._scenario import ReferencePoint, Scenario

DESCRIPTION = "EC50 CAR-T expansion and killing, memory pool and functional cure (review tutorial model, illustrative values)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Teaching the building blocks of CK-PD models (EC50-saturated expansion and killing, a switch at "
    "Tmax, a persistent pool, a functional-cure factor) with illustrative values; a fast, fully "
    "specified regression model."
)
CITATION = (
    "Chaudhury A, Zhu X, Chu L, Goliaei A, June CH, Kearns JD, Stein AM. Chimeric antigen receptor T cell "
    "therapies: a review of cellular kinetic-pharmacodynamic modeling approaches. J Clin Pharmacol "
    "2020;60(S1). doi:10.1002/jcph.1691"
)

TEXT = f'''
model(name="chaudhury2020_ec50", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="infused_dose")

expansion_rate = 8.8 | unit="1/day", lower=0, symbol="rho"
    | source="Chaudhury 2020 Eq 7 (illustrative)", description="maximal CAR-T expansion rate (until Tmax)"
expansion_ec50 = 1 | unit="cells/uL", lower=0, symbol="EC50_rho"
    | source="Chaudhury 2020 Eq 7 (illustrative)"
    | description="half-saturation of expansion (CAR-T plus tumour cells/uL)"
effector_decline_rate = 0.16 | unit="1/day", lower=0, symbol="k_E"
    | source="Chaudhury 2020 Eq 7 (illustrative; = Stein 2019 alpha)"
    | description="effector decline rate after Tmax"
persistence_conversion_rate = 0.0012 | unit="1/day", lower=0, symbol="k_EP"
    | source="Chaudhury 2020 Eqs 7-8 (illustrative)"
    | description="effector to persistent conversion rate after Tmax"
persistent_decline_rate = 0.0032 | unit="1/day", lower=0, symbol="beta"
    | source="Chaudhury 2020 Eq 8 (illustrative; = Stein 2019 beta)"
    | description="persistent (memory) CAR-T decline rate"
expansion_end = 9.3 | unit="day", lower=0, symbol="T_max"
    | source="Chaudhury 2020 Eqs 7-8 (illustrative; = Stein 2019 Tmax)"
    | description="switch time from expansion to contraction"
tumour_growth_rate = 0.2 | unit="1/day", lower=0, symbol="g"
    | source="Chaudhury 2020 Eq 9 (illustrative)", description="Gompertz tumour growth rate"
tumour_capacity = 1000 | unit="cells/uL", lower=0, symbol="U_max"
    | source="Chaudhury 2020 Eq 9 (illustrative)", description="tumour carrying capacity"
max_kill_rate = 0.35 | unit="1/day", lower=0, symbol="d"
    | source="Chaudhury 2020 Eq 9 (illustrative)", description="maximal killing rate"
kill_ec50 = 10 | unit="cells/uL", lower=0, symbol="EC50_d"
    | source="Chaudhury 2020 Eq 9 (illustrative)"
    | description="half-saturation of killing (CAR-T plus tumour cells/uL)"
cure_threshold = 0.1 | unit="cells/uL", lower=0, symbol="U_crit"
    | source="Chaudhury 2020 Eq 9 (illustrative)"
    | description="functional-cure threshold: growth stops well below it"
cure_steepness = 3 | unit="1", lower=0, symbol="h"
    | source="Chaudhury 2020 Eq 9 (illustrative)"
    | description="steepness (Hill exponent) of the functional-cure factor"
infused_dose = 10 | unit="cells/uL", lower=0, symbol="C_E(0)"
    | source="Chaudhury 2020 Eqs 7-9, initial condition (illustrative)"
    | description="CAR-T dose: CAR-T cells/uL of blood at t = 0"
initial_tumour = 900 | unit="cells/uL", lower=0, symbol="U(0)"
    | source="Chaudhury 2020 Eqs 7-9, initial condition (illustrative)", description="tumour burden at t = 0"

functional_cure = 1 / (1 + (cure_threshold / tumour) ** cure_steepness)
    | unit="1", symbol="F_cure", description="functional-cure factor on tumour growth"
gompertz_growth = tumour_growth_rate * tumour * (log(tumour_capacity) - log(tumour)) / log(tumour_capacity)
    | unit="cells/(uL*day)", description="Gompertz tumour growth before the functional-cure factor"
killing = max_kill_rate * effector * tumour / (kill_ec50 + effector + tumour)
    | unit="cells/(uL*day)", description="tumour cells killed by effector CAR-T cells"
expansion = expansion_rate * effector * tumour / (expansion_ec50 + effector + tumour)
    | unit="cells/(uL*day)", description="antigen-driven CAR-T expansion (until Tmax)"

d/dt(effector) = expansion if t <= expansion_end else -(persistence_conversion_rate + effector_decline_rate) * effector
    | unit="cells/uL", symbol="C_E", description="expanding/effector CAR-T cells in blood"
d/dt(persistent) = 0 if t <= expansion_end else persistence_conversion_rate * effector - persistent_decline_rate * persistent
    | unit="cells/uL", symbol="C_P", description="persistent (memory) CAR-T cells in blood"
d/dt(tumour) = functional_cure * gompertz_growth - killing
    | unit="cells/uL", symbol="U", description="tumour cells"
effector(0) = infused_dose
tumour(0) = initial_tumour

car_t_total = effector + persistent | unit="cells/uL", symbol="C", observable=True
    | description="total CAR-T cells in blood (effector + persistent)"
'''

#: Published set-ups; the first is the reference curve drawn on the model page.
SCENARIOS = {
    "illustrative": Scenario(
        "illustrative values, CE(0) = 10 and U(0) = 900 cells/uL, 0.1-day grid",
        end=100.0,
        step=0.1,
        source="Chaudhury 2020 Eqs 7-9 (illustrative)",
    ),
}

REFERENCE_POINTS = (
    ReferencePoint("effector", 5.0, 1.78e4, "computed", "CE(5 d)", "illustrative"),
    ReferencePoint("effector", 9.3, 2.28e4, "computed", "CE(Tmax = 9.3 d)", "illustrative"),
)
