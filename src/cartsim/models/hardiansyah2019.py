"""Hardiansyah 2019: QSP model of CAR-T, CLL burden and IL-6, IL-10, IFN-gamma (CLL).

Hardiansyah D, Ng CM. Quantitative systems pharmacology model of chimeric antigen receptor
T-cell therapy. *Clin Transl Sci* 2019;12(4):343-349. doi:10.1111/cts.12636 (PMC6662387).
Equations: supplement Eqs 1-9; parameters: supplement Tables S1 (fixed) and S2 (per patient).

Anti-CD19 CAR-T in advanced chronic lymphocytic leukaemia (patients UPN1 and UPN3 of Kalos
et al. *Sci Transl Med* 2011). Effector and memory CAR-T cells each sit in peripheral blood
and tissue; CLL B cells in blood are the antigen: they drive effector expansion and are killed
by blood effectors. IL-6, IL-10 and IFN-gamma are secreted in proportion to B x CARTE_pb and
IL-10 inhibits IFN-gamma secretion. A saturating f(B) = B / (B + h) sets the direction of
effector <-> memory interconversion. The paper's claim: CAR-T and cytokine peaks track the
baseline disease burden, not the dose.

Units: every cell state (B cells and the four CAR-T pools) is in units of 1e9 cells (the
paper's convention, including the constant h); cytokines in pg/mL; time in days.

Errata and pitfalls (models.md section 4), each applied in ``TEXT`` with a comment:

1. Eq. 7 typo: the memory gain term is printed ``+aE*CARTM_pb*(1 - f(B))``; as printed, memory
   would stay identically 0. The term used is ``+aE*CARTE_pb*(1 - f(B))``, the flux that Eq. 5
   loses (and the one drawn in Fig. 1a).
2. ``h = 1e5`` is the number 1e5 in model units (1e9 cells); the printed unit "cells/mL" is
   wrong (both literal readings fail to reproduce the published memory curve). Hence f(B) is
   about 4e-5 at baseline: effectors convert to memory at roughly aE and the memory -> effector
   flux is negligible.
3. The factor 1e6 in cytokine production converts the Table S2 constants (pg/uL per 1e15
   cells^2 per day) to pg/mL per day with cells in 1e9 units: 1e9 * 1e9 / 1e15 * 1e3 = 1e6.
4. ``bG`` is in pg/mL (the printed "ng" is wrong).
5. The cytokine baselines are not tabulated; they were digitised from Fig. 1b (about +-30 %).
6. BioModels MODEL2009230001 is defective (constant infusion flux, Eq. 7 error in another
   form, mixed units) and is not used.
7. Moderate stiffness (kin = 76.78 /d, dCARTE up to 23 /d). Measured (60 days, daily output,
   1000 patients, 2-core machine): at rtol 1e-6 "auto" takes 340 steps per patient and
   0.27-0.30 s, "stiff" (RODAS4 with the symbolic Jacobian) 345-350 steps and 0.31-0.36 s,
   "explicit" alone 1500-1850 steps; at rtol 1e-10 "auto" 2.3-3.8 s and "stiff" 3.6-3.7 s.
   "auto" switches to the stiff method within the first 0.6-0.8 day at rtol 1e-6, is as robust
   (every patient "ok") and a little faster, so the model declares ``method="auto"``; the two
   agree to 2e-10 relative at rtol 1e-10.

No IIV and no residual-error model: the percentages printed in Table S2 are relative standard
errors of the per-patient estimates, not inter-individual variability. Patient UPN1 is the
default parameter set; UPN3 is a scenario (parameter overrides). The dose is a split bolus
(10 %, 30 %, 60 % on days 0, 1, 2) into blood effectors (``effector_blood``), in 1e9 cells.

Observables: total CAR-T in blood ``car_t_blood`` (effector + memory, 1e9 cells, the paper's
reported output) and the same as a concentration ``car_t_blood_concentration`` in cells/uL,
assuming a 5 L adult blood volume (models.md section 0; an assumption, not from the paper).

Validation (tests/models/test_hardiansyah2019.py), UPN1 scenario:

==============================================  ==========================  ===================
target                                          value                       kind
==============================================  ==========================  ===================
peak total CAR-T in blood                       2.55 (1e9 cells) at 3.8 d   computed reference
peak memory CAR-T in blood                      0.00734 (1e9 cells)         computed reference
IL-6 peak                                       2748 pg/mL, max at ~3.25 d  computed reference
IL-10 peak                                      915 pg/mL                   computed reference
IFN-gamma peak                                  828 pg/mL                   computed reference
B(50 d)                                         0.291 (1e9 cells)           computed reference
no CAR-T: cytokines stay at baseline            exact                       structural identity
no CAR-T: B grows at rB - dB = 0.0017 /d        exact                       structural identity
no growth/death: CAR-T pools sum to the dose    exact                       structural identity
peaks track burden B0, not dose                 qualitative                 published
==============================================  ==========================  ===================
"""

from __future__ import annotations

from cartsim.engine import Dose

from ._scenario import ReferencePoint, Scenario

DESCRIPTION = "QSP model of CAR-T, CLL burden and IL-6/IL-10/IFN-gamma release (CLL)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Linking CAR-T expansion to cytokine release (IL-6, IL-10, IFN-gamma) in CLL and showing that "
    "peaks track baseline disease burden rather than dose: a mechanistic basis for burden-driven CRS "
    "risk."
)
CITATION = (
    "Hardiansyah D, Ng CM. Quantitative systems pharmacology model of chimeric antigen receptor T-cell "
    "therapy. Clin Transl Sci 2019;12(4):343-349. doi:10.1111/cts.12636"
)

TEXT = f'''
model(name="hardiansyah2019", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="effector_blood")

# Fixed parameters (supplement Table S1, common to both patients)
il6_elimination_rate = 3.96 | unit="1/day", lower=0, symbol="dIL6"
    | source="Hardiansyah 2019 Table S1", description="IL-6 elimination rate"
il10_elimination_rate = 4.68 | unit="1/day", lower=0, symbol="dIL10"
    | source="Hardiansyah 2019 Table S1", description="IL-10 elimination rate"
ifn_gamma_elimination_rate = 1.51 | unit="1/day", lower=0, symbol="dIFNg"
    | source="Hardiansyah 2019 Table S1", description="IFN-gamma elimination rate"
ifn_gamma_residual_secretion = 0.59 | unit="1", lower=0, upper=1, symbol="aG"
    | source="Hardiansyah 2019 Table S1"
    | description="fraction of IFN-gamma secretion left under maximal IL-10 inhibition"
# Erratum 4: bG is in pg/mL (the printed unit "ng" is wrong).
il10_half_inhibition = 650 | unit="pg/mL", lower=0, symbol="bG"
    | source="Hardiansyah 2019 Table S1 (unit corrected to pg/mL, models.md section 4 erratum 4)"
    | description="IL-10 level giving half-maximal inhibition of IFN-gamma secretion"
memory_growth_rate = 0.0509 | unit="1/day", lower=0, symbol="rM"
    | source="Hardiansyah 2019 Table S1", description="memory CAR-T proliferation rate"
memory_death_rate = 0.408 | unit="1/day", lower=0, symbol="dCARTM"
    | source="Hardiansyah 2019 Table S1", description="memory CAR-T death rate"
memory_activation_rate = 1 | unit="1/day", lower=0, symbol="aM"
    | source="Hardiansyah 2019 Table S1", description="memory to effector activation rate (scaled by f(B))"
blood_to_tissue_rate = 76.78 | unit="1/day", lower=0, symbol="kin"
    | source="Hardiansyah 2019 Table S1", description="CAR-T transfer rate from blood to tissue"
tissue_to_blood_rate = 1.84 | unit="1/day", lower=0, symbol="kout"
    | source="Hardiansyah 2019 Table S1", description="CAR-T transfer rate from tissue to blood"
# Erratum 2: h = 1e5 is numeric in model units (1e9 cells); the printed "cells/mL" is wrong.
switch_half_saturation = 1e5 | unit="1e9 cells", lower=0, symbol="h"
    | source="Hardiansyah 2019 Table S1 (read as 1e5 model units, models.md section 4 erratum 2)"
    | description="B-cell level giving f(B) = 1/2 in the effector/memory switch"
b_cell_growth_rate = 0.0093 | unit="1/day", lower=0, symbol="rB"
    | source="Hardiansyah 2019 Table S1", description="CLL B-cell proliferation rate"
b_cell_death_rate = 0.0076 | unit="1/day", lower=0, symbol="dB"
    | source="Hardiansyah 2019 Table S1", description="CLL B-cell death rate"

# Patient-specific parameters: UPN1 (supplement Table S2; the printed % are RSEs, not IIV)
il6_production = 0.0018 | unit="pg/uL per 1e15 cells^2 per day", lower=0, symbol="P_IL6"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="IL-6 production per B cell x blood effector"
il10_production = 0.0007 | unit="pg/uL per 1e15 cells^2 per day", lower=0, symbol="P_IL10"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="IL-10 production per B cell x blood effector"
ifn_gamma_production = 0.0003 | unit="pg/uL per 1e15 cells^2 per day", lower=0, symbol="P_IFNg"
    | source="Hardiansyah 2019 Table S2 (UPN1)"
    | description="IFN-gamma production per B cell x blood effector (before IL-10 inhibition)"
effector_expansion_rate = 16.16 | unit="1/(1e9 cells*day)", lower=0, symbol="rE"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="effector expansion rate per unit of B cells"
effector_death_rate = 23.04 | unit="1/day", lower=0, symbol="dCARTE"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="effector elimination rate"
effector_to_memory_rate = 0.024 | unit="1/day", lower=0, symbol="aE"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="effector to memory conversion rate (scaled by 1 - f(B))"
killing_rate = 0.19 | unit="1/(1e9 cells*day)", lower=0, symbol="KBC"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="killing of B cells by blood effectors"
baseline_b_cells = 4.14 | unit="1e9 cells", lower=0, symbol="B0"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="baseline CLL burden in blood"
baseline_il6 = 1.7 | unit="pg/mL", lower=0, symbol="IL6_0"
    | source="Hardiansyah 2019 Fig. 1b (UPN1, digitised, about +-30 %; models.md section 4)"
    | description="baseline IL-6"
baseline_il10 = 4.5 | unit="pg/mL", lower=0, symbol="IL10_0"
    | source="Hardiansyah 2019 Fig. 1b (UPN1, digitised, about +-30 %; models.md section 4)"
    | description="baseline IL-10"
baseline_ifn_gamma = 2.3 | unit="pg/mL", lower=0, symbol="IFNg_0"
    | source="Hardiansyah 2019 Fig. 1b (UPN1, digitised, about +-30 %; models.md section 4)"
    | description="baseline IFN-gamma"
blood_volume = 5 | unit="L", lower=0, symbol="V_b"
    | source="models.md section 0: assumed adult blood volume (not in the paper)"
    | description="blood volume used only to report CAR-T in blood as cells/uL"

effector_memory_switch = b_cells / (b_cells + switch_half_saturation)
    | unit="1", symbol="f(B)", description="saturating switch of effector/memory interconversion"
il10_unblocked_fraction = il10_half_inhibition / (il10 + il10_half_inhibition)
    | unit="1", description="fraction of the inhibitable IFN-gamma secretion not blocked by IL-10"
il10_inhibition = ifn_gamma_residual_secretion + (1 - ifn_gamma_residual_secretion) * il10_unblocked_fraction
    | unit="1", symbol="Fd(IL10)", description="IL-10 inhibition of IFN-gamma secretion"
effector_to_memory_flux = effector_to_memory_rate * effector_blood * (1 - effector_memory_switch)
    | unit="1e9 cells/day", description="effector to memory conversion in blood"
memory_to_effector_flux = memory_activation_rate * memory_blood * effector_memory_switch
    | unit="1e9 cells/day", description="memory to effector activation in blood"
effector_net_to_tissue = blood_to_tissue_rate * effector_blood - tissue_to_blood_rate * effector_tissue
    | unit="1e9 cells/day", description="net effector flux from blood to tissue"
memory_net_to_tissue = blood_to_tissue_rate * memory_blood - tissue_to_blood_rate * memory_tissue
    | unit="1e9 cells/day", description="net memory flux from blood to tissue"
effector_net_growth = effector_expansion_rate * b_cells * effector_blood - effector_death_rate * effector_blood
    | unit="1e9 cells/day", description="antigen-driven expansion minus death of blood effectors"
memory_net_growth = memory_growth_rate * memory_blood - memory_death_rate * memory_blood
    | unit="1e9 cells/day", description="proliferation minus death of blood memory cells"
# Erratum 3: 1e6 converts pg/uL per 1e15 cells^2 per day to pg/mL per day with cells in 1e9
# units (1e9 * 1e9 / 1e15 * 1e3 = 1e6).
cytokine_drive = 1e6 * b_cells * effector_blood
    | unit="(pg/mL)/(pg/uL) x 1e15 cells^2", description="B x blood effectors, scaled to pg/mL production"

d/dt(b_cells) = (b_cell_growth_rate - b_cell_death_rate - killing_rate * effector_blood) * b_cells
    | unit="1e9 cells", symbol="B", dose=False, description="CLL B cells in blood (antigen)"
d/dt(effector_blood) = effector_net_growth - effector_net_to_tissue - effector_to_memory_flux + memory_to_effector_flux
    | unit="1e9 cells", symbol="CARTE_pb", description="effector CAR-T cells in peripheral blood (dose target)"
d/dt(effector_tissue) = effector_net_to_tissue
    | unit="1e9 cells", symbol="CARTE_t", dose=False, description="effector CAR-T cells in tissue"
# Erratum 1: the gain term is aE*CARTE_pb*(1 - f(B)) (printed with CARTM_pb in Eq. 7), i.e. the
# effector_to_memory_flux that the effector equation (Eq. 5) loses.
d/dt(memory_blood) = memory_net_growth - memory_net_to_tissue + effector_to_memory_flux - memory_to_effector_flux
    | unit="1e9 cells", symbol="CARTM_pb", dose=False, description="memory CAR-T cells in peripheral blood"
d/dt(memory_tissue) = memory_net_to_tissue
    | unit="1e9 cells", symbol="CARTM_t", dose=False, description="memory CAR-T cells in tissue"
d/dt(il6) = il6_elimination_rate * (baseline_il6 - il6) + il6_production * cytokine_drive
    | unit="pg/mL", symbol="IL6", dose=False, description="serum IL-6"
d/dt(il10) = il10_elimination_rate * (baseline_il10 - il10) + il10_production * cytokine_drive
    | unit="pg/mL", symbol="IL10", dose=False, description="serum IL-10"
ifn_gamma_secretion = ifn_gamma_production * cytokine_drive * il10_inhibition
    | unit="pg/mL/day", description="CAR-T-driven IFN-gamma secretion under IL-10 inhibition"
d/dt(ifn_gamma) = ifn_gamma_elimination_rate * (baseline_ifn_gamma - ifn_gamma) + ifn_gamma_secretion
    | unit="pg/mL", symbol="IFNg", dose=False, description="serum IFN-gamma"
b_cells(0) = baseline_b_cells
il6(0) = baseline_il6
il10(0) = baseline_il10
ifn_gamma(0) = baseline_ifn_gamma

car_t_blood = effector_blood + memory_blood | unit="1e9 cells", observable=True
    | description="total CAR-T cells in peripheral blood (effector + memory), the paper's output"
car_t_blood_concentration = 1000 * car_t_blood / blood_volume | unit="cells/uL", observable=True
    | description="total CAR-T in blood as cells/uL, assuming the blood volume (5 L): 1e9 cells / (1e6 uL/L)"
'''

#: Total infused CAR-T (1e9 cells) of each patient, Table S2.
UPN1_DOSE = 1.1
UPN3_DOSE = 0.014
#: Split-dose schedule: 10 %, 30 %, 60 % on days 0, 1, 2 (Hardiansyah 2019; Kalos 2011).
DOSE_DAYS = (0.0, 1.0, 2.0)
DOSE_FRACTIONS = (0.1, 0.3, 0.6)

#: Table S2 values of patient UPN3 (overrides of the UPN1 defaults).
UPN3_PARAMS = {
    "il6_production": 6e-3,
    "il10_production": 1.7e-2,
    "ifn_gamma_production": 6e-3,
    "effector_expansion_rate": 14.40,
    "effector_death_rate": 1.44,
    "effector_to_memory_rate": 0.12,
    "killing_rate": 2.21,
    "baseline_b_cells": 0.93,
    "baseline_il6": 1.0,
    "baseline_il10": 0.5,
    "baseline_ifn_gamma": 1.7,
}

#: Published set-ups; the first is the reference curve drawn on the model page.
SCENARIOS = {
    "upn1": Scenario(
        "patient UPN1 (Table S2), 1.1e9 CAR-T split 10/30/60 % on days 0/1/2, 0.05-day grid",
        end=60.0,
        step=0.05,
        doses=Dose.split("effector_blood", UPN1_DOSE, times=DOSE_DAYS, fractions=DOSE_FRACTIONS),
        source="Hardiansyah 2019 Tables S1-S2, Fig. 1",
    ),
    "upn3": Scenario(
        "patient UPN3 (Table S2), 1.4e7 CAR-T split 10/30/60 % on days 0/1/2, 0.05-day grid",
        end=60.0,
        step=0.05,
        params=UPN3_PARAMS,
        doses=Dose.split("effector_blood", UPN3_DOSE, times=DOSE_DAYS, fractions=DOSE_FRACTIONS),
        source="Hardiansyah 2019 Tables S1-S2, Fig. 1",
    ),
}

REFERENCE_POINTS = (
    ReferencePoint("car_t_blood", 3.8, 2.55, "computed", "peak total CAR-T in blood", "upn1"),
    ReferencePoint("b_cells", 50.0, 0.291, "computed", "B(50 d)", "upn1"),
)
