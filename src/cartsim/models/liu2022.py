"""Liu 2022: B-ALL response classes (CR, CD19+ relapse, CD19- relapse, non-response).

Liu L, Ma C, Zhang Z, ..., Chen W. Computational model of CAR T-cell immunotherapy dissects
and predicts leukemia patient responses at remission, resistance, and relapse. *J Immunother
Cancer* 2022 (volume, full author list and DOI to confirm). Preprint: Liu L, Ma C, Zhang Z,
Chen W, medRxiv 2021, doi:10.1101/2021.09.21.21263913.

Anti-CD19 CAR-T cells in B-ALL. Infused CAR-T cells start non-activated (nTN); CD19+
leukaemia (nB) activates them (saturating in nB) into activated cells (nTA), which proliferate
at a rate that saturates in nB, are lost at a constant rate, and kill leukaemia with
saturation. Leukaemia grows logistically. The CD19- relapse extension adds a CD19- leukaemia
clone (nBn), fed by antigen loss (km * nB) and killed only at a bystander rate reduced by the
factor kb. This module is that extended model; the complete-remission (CR) example is the
default parameter set with nBn(0) = 0 and km = 0, under which nBn stays exactly 0 and the
model reduces to the three-state one. Leukaemia burden is reported as % blasts through the
paper's empirical saturating map LB = 97.19 * (nB + nBn) / (nB + nBn + 1909).

How the points of models.md section 6 are handled:

- *Units.* All states are counts, probably per uL of blood (to confirm against the paper);
  the unit strings say so. The LB constants 97.19 and 1909 are empirical and are applied to
  nB + nBn.
- *nTN0 is not a dose.* ``effective_car_t_input`` (nTN0) is declared as the model's ``dose=``
  parameter because the CAR-T input enters as the initial condition nTN(0) = nTN0. It is the
  effective input estimated in the paper's fits, NOT the nominal product dose (cells or
  cells/kg); no mapping from a nominal dose to nTN0 is part of the published model, and any
  such mapping must be stated by the user.
- *Antigen loss without a matching loss, shared capacity.* As written in models.md, km * nB
  feeds nBn with no matching -km * nB term in dnB/dt, and nB and nBn each grow logistically
  towards the same capacity nMB without competing. The equations are kept as written (both
  points are "to confirm" against the paper before km is varied); neither matters for the
  published examples, where km = 0.
- *nBn(0) is fixed* at 19.89 in the CD19- relapse set-up (the scenario override).
- *The naive pool can persist.* With lTN = 3e-5 /day (CR set) about a fifth of nTN0 stays
  non-activated after remission, a reservoir that is re-activated when nB rises again; this is
  the model's behaviour and is kept.
- *No extinction rule.* Leukaemia decays continuously; outcome classifications need explicit
  count thresholds (e.g. nB < 1 for clearance in the tests). In the CR example nB bottoms out
  at ~7e-7 counts on day 36 and, with no threshold, regrows past 1 count on day ~250, which
  re-activates the reservoir (damped oscillations follow). A "CR" is therefore a statement
  about a threshold and a horizon, not an extinct state.
- The CD19- parameters (rBn, kb, KBn) have no CR value; their defaults are the CD19- relapse
  example's and are inert in the CR set (nBn = 0 and km = 0 keep nBn at 0).

Validation (tests/models/test_liu2022.py):

==========================================  ===================  ==================
target                                      value                kind
==========================================  ===================  ==================
CR example: activated CAR-T peak            612.7 on day 5.65    computed reference
CR example: leukaemia clearance             nB < 1 by day 7.5    computed reference
CR example: naive pool persists (lTN 3e-5)  qualitative          models.md pitfall
CD19- relapse: CD19- clone dominates        qualitative          models.md section 6
==========================================  ===================  ==================
"""

from __future__ import annotations

from ._scenario import ReferencePoint, Scenario

DESCRIPTION = "B-ALL response classes with a CD19- relapse clone (anti-CD19 CAR-T)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Reproducing the response classes of B-ALL after anti-CD19 CAR-T (complete remission, CD19+ "
    "relapse, CD19- relapse, non-response) and % blasts trajectories from a small mechanistic model."
)
CITATION = (
    "Liu L, Ma C, Zhang Z, ..., Chen W. Computational model of CAR T-cell immunotherapy dissects and "
    "predicts leukemia patient responses at remission, resistance, and relapse. J Immunother Cancer 2022 "
    "(volume and DOI to confirm). Preprint: medRxiv 2021, doi:10.1101/2021.09.21.21263913"
)

_COUNT = "count (per uL, to confirm)"
_SOURCE_CR = "models.md section 6: CR example (Liu 2022)"
_SOURCE_NEG = "models.md section 6: CD19- relapse example (Liu 2022); inert in the CR set"

TEXT = f'''
model(name="liu2022", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="effective_car_t_input")

leukaemia_growth_rate = 0.069 | unit="1/day", lower=0, symbol="rBp"
    | source="{_SOURCE_CR}", description="logistic growth rate of CD19+ leukaemia"
leukaemia_capacity = 2939.1 | unit="{_COUNT}", lower=0, symbol="nMB"
    | source="{_SOURCE_CR}", description="leukaemia carrying capacity (shared by the CD19+ and CD19- clones)"
max_kill_rate = 22.72 | unit="1/day", lower=0, symbol="eBp"
    | source="{_SOURCE_CR}", description="maximal CD19+ leukaemia killing per activated CAR-T cell"
kill_half_saturation = 5891.45 | unit="{_COUNT}", lower=0, symbol="KBp"
    | source="{_SOURCE_CR}", description="CD19+ leukaemia level of half-maximal killing"
max_proliferation_rate = 1.62 | unit="1/day", lower=0, symbol="rTA0"
    | source="{_SOURCE_CR}", description="maximal proliferation rate of activated CAR-T cells"
proliferation_half_saturation = 637.64 | unit="{_COUNT}", lower=0, symbol="KBpr"
    | source="{_SOURCE_CR}", description="CD19+ leukaemia level of half-maximal proliferation"
activated_loss_rate = 0.12 | unit="1/day", lower=0, symbol="lTA0"
    | source="{_SOURCE_CR}", description="loss rate of activated CAR-T cells"
max_activation_rate = 0.65 | unit="1/day", lower=0, symbol="ka"
    | source="{_SOURCE_CR}", description="maximal activation rate of non-activated CAR-T cells"
activation_half_saturation = 1808.02 | unit="{_COUNT}", lower=0, symbol="KBpTN"
    | source="{_SOURCE_CR}", description="CD19+ leukaemia level of half-maximal activation"
nonactivated_loss_rate = 3e-5 | unit="1/day", lower=0, symbol="lTN"
    | source="{_SOURCE_CR}", description="loss rate of non-activated CAR-T cells"
cd19neg_growth_rate = 0.1 | unit="1/day", lower=0, symbol="rBn"
    | source="{_SOURCE_NEG}", description="logistic growth rate of CD19- leukaemia"
antigen_loss_rate = 0 | unit="1/day", lower=0, symbol="km"
    | source="models.md section 6: km = 0 in both examples"
    | description="CD19+ to CD19- conversion by antigen loss (feeds nBn with no matching loss from nB)"
cd19neg_kill_reduction = 7.9 | unit="1", lower=1, symbol="kb"
    | source="{_SOURCE_NEG}", description="factor by which CD19- cells are killed less efficiently (bystander)"
cd19neg_kill_half_saturation = 5956.03 | unit="{_COUNT}", lower=0, symbol="KBn"
    | source="{_SOURCE_NEG}", description="CD19- leukaemia level of half-maximal killing"
baseline_cd19pos_leukaemia = 2200.24 | unit="{_COUNT}", lower=0, symbol="nB0"
    | source="{_SOURCE_CR}", description="CD19+ leukaemia at infusion (the observed baseline in the fits)"
effective_car_t_input = 16.46 | unit="{_COUNT}", lower=0, symbol="nTN0"
    | source="{_SOURCE_CR}"
    | description="effective CAR-T input nTN(0), estimated per patient; NOT the nominal product dose"
baseline_cd19neg_leukaemia = 0 | unit="{_COUNT}", lower=0, symbol="nBn0"
    | source="models.md section 6: 0 in the CR example, fixed at 19.89 in the CD19- relapse set-up"
    | description="pre-existing CD19- clone at infusion"

leukaemia = cd19pos_leukaemia + cd19neg_leukaemia
    | unit="{_COUNT}", description="all leukaemia cells, CD19+ and CD19-"
proliferation_rate = max_proliferation_rate * cd19pos_leukaemia / (cd19pos_leukaemia + proliferation_half_saturation)
    | unit="1/day", symbol="rTA", description="activated CAR-T proliferation rate, saturating in nB"
activation = max_activation_rate * cd19pos_leukaemia / (cd19pos_leukaemia + activation_half_saturation) * nonactivated_car_t
    | unit="{_COUNT}/day", description="activation flux of non-activated CAR-T cells"
cd19pos_killing = max_kill_rate * cd19pos_leukaemia / (cd19pos_leukaemia + kill_half_saturation) * activated_car_t
    | unit="{_COUNT}/day", description="CD19+ leukaemia killing by activated CAR-T cells"
cd19neg_max_kill_rate = max_kill_rate / cd19neg_kill_reduction
    | unit="1/day", symbol="eBp/kb", description="maximal bystander killing of CD19- cells per activated CAR-T cell"
cd19neg_killing = cd19neg_max_kill_rate * cd19neg_leukaemia / (cd19neg_leukaemia + cd19neg_kill_half_saturation) * activated_car_t
    | unit="{_COUNT}/day", description="bystander killing of CD19- leukaemia (reduced by kb)"
cd19pos_growth = leukaemia_growth_rate * cd19pos_leukaemia * (1 - cd19pos_leukaemia / leukaemia_capacity)
    | unit="{_COUNT}/day", description="logistic growth of CD19+ leukaemia"
cd19neg_growth = cd19neg_growth_rate * cd19neg_leukaemia * (1 - cd19neg_leukaemia / leukaemia_capacity)
    | unit="{_COUNT}/day", description="logistic growth of CD19- leukaemia (same capacity nMB, no competition)"

d/dt(cd19pos_leukaemia) = cd19pos_growth - cd19pos_killing
    | unit="{_COUNT}", symbol="nB", description="CD19+ leukaemia cells"
d/dt(activated_car_t) = proliferation_rate * activated_car_t + activation - activated_loss_rate * activated_car_t
    | unit="{_COUNT}", symbol="nTA", description="activated CAR-T cells"
d/dt(nonactivated_car_t) = -activation - nonactivated_loss_rate * nonactivated_car_t
    | unit="{_COUNT}", symbol="nTN", description="non-activated (infused, not yet activated) CAR-T cells"
d/dt(cd19neg_leukaemia) = cd19neg_growth + antigen_loss_rate * cd19pos_leukaemia - cd19neg_killing
    | unit="{_COUNT}", symbol="nBn", description="CD19- leukaemia cells (antigen-escape clone)"
cd19pos_leukaemia(0) = baseline_cd19pos_leukaemia
nonactivated_car_t(0) = effective_car_t_input
cd19neg_leukaemia(0) = baseline_cd19neg_leukaemia

leukaemia_burden = 97.19 * leukaemia / (leukaemia + 1909)
    | unit="% blasts", symbol="LB", observable=True, source="models.md section 6 (empirical map)"
    | description="leukaemia burden as % blasts (saturating map of nB + nBn)"
'''

#: The CD19- relapse example of models.md section 6 (every other value as in the CR set).
CD19NEG_RELAPSE_PARAMS: dict[str, float] = {
    "leukaemia_growth_rate": 0.086,
    "leukaemia_capacity": 19988.53,
    "max_kill_rate": 8.6,
    "kill_half_saturation": 794.99,
    "max_proliferation_rate": 1.7,
    "proliferation_half_saturation": 827.08,
    "activated_loss_rate": 0.04,
    "max_activation_rate": 0.19,
    "activation_half_saturation": 93066.8,
    "nonactivated_loss_rate": 0.073,
    "cd19neg_growth_rate": 0.1,
    "antigen_loss_rate": 0.0,
    "cd19neg_kill_reduction": 7.9,
    "cd19neg_kill_half_saturation": 5956.03,
    "baseline_cd19pos_leukaemia": 17212.23,
    "effective_car_t_input": 0.3,
    "baseline_cd19neg_leukaemia": 19.89,
}

#: Published set-ups; the first is the reference curve drawn on the model page.
SCENARIOS = {
    "complete_remission": Scenario(
        "CR example (default parameters), 0.05-day grid", end=60.0, step=0.05, source="models.md section 6: CR example"
    ),
    "cd19neg_relapse": Scenario(
        "CD19- relapse example: pre-existing CD19- clone nBn(0) = 19.89, km = 0",
        end=365.0,
        step=0.5,
        params=CD19NEG_RELAPSE_PARAMS,
        source="models.md section 6: CD19- relapse example",
    ),
}

REFERENCE_POINTS = (ReferencePoint("activated_car_t", 5.65, 612.7, "computed", "nTA peak (CR example)", "complete_remission"),)
