"""Singh 2021: multiscale PK-PD model of anti-BCMA CAR-T (ide-cel, multiple myeloma).

Singh AP, Chen W, Zheng X, Mody H, Carpenter TJ, Zong A, Heald DL. Bench-to-bedside
translation of chimeric antigen receptor (CAR) T cells using a multiscale systems
pharmacokinetic-pharmacodynamic model: a case study with anti-BCMA CAR-T. *CPT
Pharmacometrics Syst Pharmacol* 2021;10(4):362-376. doi:10.1002/psp4.12598 (PMC8099446).
Equations: SI Eqs 6-20; clinical parameters: Table 1. Clinical data: mean profiles of the
phase 1 CRB-401 study (Raje N et al. *N Engl J Med* 2019) at 50, 150, 450 and 800e6 CAR+ cells.

bb2121 (idecabtagene vicleucel) in relapsed/refractory multiple myeloma. Effector and memory
CAR-T cells distribute between blood and bone marrow. In the marrow CARs bind BCMA on myeloma
cells (second-order association, first-order dissociation) into complexes; complexes per
CAR-T cell drive Emax expansion of marrow effectors, complexes per tumour cell drive Emax
killing of an exponentially growing tumour; effectors convert to memory. Serum M-protein and
soluble BCMA are turnover biomarkers whose production scales with (Tumor/Tumor0)^gamma.

Units and conventions (models.md sections 0 and 5):

- CAR-T pools are cell numbers (cells) in their compartment; the authors' code carries them as
  concentrations (cells/L), which is exactly equivalent since every CAR-T flux is a
  rate x concentration x fixed volume. Tumour: cells/L of marrow; complexes: complexes/L of
  marrow; M-protein g/L; sBCMA ng/mL.
- kon is published per molar per second and koff per second; the text converts them to per day
  as intermediates: kon_d = kon * 86400 / 6.023e23 (per (#/L) per day, ~1.019e-14) and
  koff_d = koff * 86400 (per day, ~206.1). The as-run values (kon 7.103e4, koff 2.385e-3, from
  the authors' code) are used rather than the rounded printed ones.
- M-protein production pg -> g (1e-12); sBCMA production pg/L -> ng/mL (1e-6);
  transgene (copies/ug) = TransC x blood CAR-T concentration (cells/L) = TransC x cells / Vb.

Pitfalls handled:

- SI Eq. 18 is misprinted (killing on CARTe_t); killing acts on the tumour, as in the
  authors' code.
- Details only in the authors' code: Tumor0 = 2.5e9 cells/L, the seed CARTe_t(0) = 1e-6 * Vbm
  cells (1e-6 cells/L, keeps complexes per CAR-T finite at t = 0) and the as-run kon/koff.
  The seed is a parameter (``marrow_seed_concentration``), so it survives compilation unchanged.
- Positivity of the free receptor intermediates ``free_car`` and ``free_bcma``: they are total
  minus bound, exactly positive in the true solution, but solver error can push them slightly
  below zero when binding saturates; a negative pair (both < 0) would then feed a spurious
  positive binding rate. The binding rate uses ``max(free, 0)`` for each. This is justified
  because the guard never acts on the exact solution (it only removes a non-physical
  sign) and it is self-correcting: while a free species is clamped, binding stops and
  dissociation brings it back above zero. So the guard is not silent, the unclamped free
  amounts are reported as observables ``free_car_fraction`` and ``free_bcma_fraction``
  (fractions of the totals): a negative value there flags solver error. Measured with 200 IIV
  patients over 180 days (450e6 cells, default tolerances): the minima are 0.998 (free CAR) and
  0.23 (free BCMA), so the guard never acted and results with and without it are identical.
- Cmax is taken over t > 1 d (the bolus in blood at t = 0 is an artificial spike), on a
  0.5-day output grid for the targets.
- IIV is reported as omega (SD of the log-normal eta). The omega = 0.5 on K12, K21, Kel_e and
  Kel_m is the authors' assumption, not an estimate; Rm's omega (0.00004) was not estimated.
- Stiff system (blood effector half-life ~9 min, koff_d ~206 /d, tumour at 0.008 /d); the
  model declares ``method="stiff"`` (RODAS4 with the symbolic Jacobian). Measured on the
  450e6 scenario, 180 days, daily output (2-core machine): at rtol 1e-6, 200 IIV patients take
  0.31 s with "stiff" (median 909 steps) against 0.39 s with "auto" (866 steps), every patient
  "ok" with both; at rtol 1e-10, 9.6 s against 11.1 s. "auto" is faster only for a single
  typical patient (a few ms either way), so "stiff" is kept.

Known behaviour of the fixed seed (reported, not hidden): the marrow seed of 1e-6 cells/L
(3.65e-6 cells) is part of the initial state, not of the dose. With a zero dose it still meets
a full tumour, expands at up to Kexp_max = 1.73 /d and becomes a full expansion: the blood
effector state (the dose target) does not stay at zero. Measured (rtol 1e-10, zero dose):
blood effectors peak at ~1.7e8 cells, the transgene reaches 1 copy/ug at day 25.5 and peaks at
~69,200 copies/ug at day 40.5 (later and higher than with any CRB-401 dose), and the tumour
falls to ~2.6e-6 of baseline by day 180. A zero seed is not an option either: complexes per
CAR-T are then 0/0 at t = 0 (status "non_finite"). ``test_zero_dose_seed_still_expands``
documents this.

Validation (tests/models/test_singh2021.py):

====================================================  ============================  ===================
target                                                value                         kind
====================================================  ============================  ===================
transgene Cmax (t > 1 d, 0.5-day grid), 50e6 cells    37,411 copies/ug at 16.5 d    computed reference
transgene Cmax, 150e6 cells                           36,479 copies/ug at 15.5 d    computed reference
transgene Cmax, 450e6 cells                           35,743 copies/ug at 14.0 d    computed reference
transgene Cmax, 800e6 cells                           35,484 copies/ug at 13.5 d    computed reference
peaks track baseline tumour burden far more than dose qualitative                   published
====================================================  ============================  ===================
"""

from __future__ import annotations

from cartsim.engine import Dose

from ._scenario import ReferencePoint, Scenario

DESCRIPTION = "Multiscale PK-PD model of anti-BCMA CAR-T with CAR-BCMA binding (multiple myeloma)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Translational PK-PD of anti-BCMA CAR-T (ide-cel) in myeloma: receptor-antigen binding, "
    "blood/marrow distribution, M-protein and sBCMA responses, and dose vs tumour-burden comparisons "
    "with IIV for virtual trials."
)
CITATION = (
    "Singh AP, Chen W, Zheng X, Mody H, Carpenter TJ, Zong A, Heald DL. Bench-to-bedside translation of "
    "chimeric antigen receptor (CAR) T cells using a multiscale systems pharmacokinetic-pharmacodynamic "
    "model: a case study with anti-BCMA CAR-T. CPT Pharmacometrics Syst Pharmacol 2021;10(4):362-376. "
    "doi:10.1002/psp4.12598"
)

TEXT = f'''
model(name="singh2021", citation="{CITATION}", description="{DESCRIPTION}", method="stiff", dose="effector_blood")

# Cellular kinetics (Table 1, clinical model). omega = SD of the log-normal eta.
max_expansion_rate = 1.73 | unit="1/day", lower=0, omega=0.22, symbol="Kexp_max"
    | source="Singh 2021 Table 1", description="maximal expansion rate of marrow effectors"
expansion_ec50 = 10 | unit="complexes/cell", lower=0, symbol="EC50_exp"
    | source="Singh 2021 Table 1", description="complexes per CAR-T cell for half-maximal expansion"
memory_conversion_rate = 2e-5 | unit="1/day", lower=0, omega=0.00004, symbol="Rm"
    | source="Singh 2021 Table 1 (omega not estimated, negligible)", description="effector to memory conversion rate"
# The omega = 0.5 on the four rates below is the authors' assumption, not an estimate.
effector_elimination_rate = 113 | unit="1/day", lower=0, omega=0.5, symbol="Kel_e"
    | source="Singh 2021 Table 1 (omega 0.5 assumed by the authors)", description="effector elimination from blood"
memory_elimination_rate = 0.219 | unit="1/day", lower=0, omega=0.5, symbol="Kel_m"
    | source="Singh 2021 Table 1 (omega 0.5 assumed by the authors)", description="memory elimination from blood"
blood_to_marrow_rate = 1.71 | unit="1/day", lower=0, omega=0.5, symbol="K12"
    | source="Singh 2021 Table 1 (omega 0.5 assumed by the authors)", description="CAR-T transfer from blood to marrow"
marrow_to_blood_rate = 0.176 | unit="1/day", lower=0, omega=0.5, symbol="K21"
    | source="Singh 2021 Table 1 (omega 0.5 assumed by the authors)", description="CAR-T transfer from marrow to blood"

# Tumour killing and growth
max_killing_rate = 0.343 | unit="1/day", lower=0, omega=0.5, symbol="Kkill_max"
    | source="Singh 2021 Table 1", description="maximal killing rate of myeloma cells"
killing_ec50 = 2.24 | unit="complexes/cell", lower=0, symbol="KC50_kill"
    | source="Singh 2021 Table 1 (fixed, in vitro)", description="complexes per tumour cell for half-maximal killing"
tumour_growth_rate = 0.008 | unit="1/day", lower=0, symbol="Kg"
    | source="Singh 2021 Table 1", description="exponential myeloma growth rate"
baseline_tumour = 2.5e9 | unit="cells/L", lower=0, symbol="Tumor0"
    | source="Singh 2021 authors' Monolix code (SI; not in Table 1), models.md section 5"
    | description="baseline BCMA+ myeloma cells per litre of bone marrow"

# CAR-BCMA binding (published per molar per second and per second; converted below)
association_rate = 7.103e4 | unit="1/(M*s)", lower=0, symbol="kon"
    | source="Singh 2021 authors' code (as run; Table 1 prints 7.1e4)", description="CAR-BCMA association rate constant"
dissociation_rate = 2.385e-3 | unit="1/s", lower=0, symbol="koff"
    | source="Singh 2021 authors' code (as run; Table 1 prints 2.39e-3)", description="CAR-BCMA dissociation rate constant"
car_density = 15000 | unit="CARs/cell", lower=0, symbol="Ag_CAR"
    | source="Singh 2021 Table 1", description="CAR molecules per CAR-T cell"
bcma_density = 12590 | unit="BCMA/cell", lower=0, symbol="Ag_Tumor"
    | source="Singh 2021 Table 1", description="BCMA molecules per myeloma cell"

# Volumes, seed and readouts
blood_volume = 5 | unit="L", lower=0, symbol="Vb"
    | source="Singh 2021 Table 1", description="blood volume"
marrow_volume = 3.65 | unit="L", lower=0, symbol="Vbm"
    | source="Singh 2021 Table 1", description="bone-marrow volume"
marrow_seed_concentration = 1e-6 | unit="cells/L", lower=0
    | source="Singh 2021 authors' code (CARTe_t(0) = 1e-6 * Vbm), models.md section 5"
    | description="initial marrow effector seed keeping complexes per CAR-T finite at t = 0 (not part of the dose)"
transgene_conversion = 0.002 | unit="copies/ug per (cells/L)", lower=0, symbol="TransC"
    | source="Singh 2021 Table 1", description="blood CAR-T concentration to transgene copies per ug gDNA"

# Biomarkers
m_protein_degradation_rate = 0.117 | unit="1/day", lower=0, symbol="Km"
    | source="Singh 2021 Table 1", description="serum M-protein degradation rate"
m_protein_production = 12.1 | unit="pg/(cell*day)", lower=0, symbol="Pm"
    | source="Singh 2021 Table 1", description="M-protein production per myeloma cell"
m_protein_burden_exponent = 0.215 | unit="1", lower=0, omega=0.21, symbol="gm"
    | source="Singh 2021 Table 1", description="tumour-burden exponent of M-protein production"
sbcma_degradation_rate = 0.7 | unit="1/day", lower=0, symbol="Kb"
    | source="Singh 2021 Table 1", description="soluble BCMA degradation rate"
sbcma_production = 0.175 | unit="pg/(cell*day)", lower=0, symbol="Pb"
    | source="Singh 2021 Table 1", description="soluble BCMA production per myeloma cell"
sbcma_burden_exponent = 1 | unit="1", lower=0, omega=1.0, symbol="gb"
    | source="Singh 2021 Table 1 (fixed at 1, omega 1.0)", description="tumour-burden exponent of sBCMA production"

# Unit conversions: kon per molar per second * 86400 s/day / 6.023e23 per mole -> per (#/L) per
# day; koff per second * 86400 s/day -> per day.
association_rate_per_day = association_rate * 86400 / 6.023e23
    | unit="L/(complex*day)", symbol="kon_d", description="kon in per (molecules/L) per day (~1.019e-14)"
dissociation_rate_per_day = dissociation_rate * 86400
    | unit="1/day", symbol="koff_d", description="koff in per day (~206.1)"

car_t_marrow = (effector_marrow + memory_marrow) / marrow_volume
    | unit="cells/L", symbol="cart_t", description="CAR-T cells per litre of marrow"
free_car = car_t_marrow * car_density - complexes
    | unit="CARs/L", symbol="car_free", description="free (unbound) CARs per litre of marrow"
free_bcma = tumour * bcma_density - complexes
    | unit="BCMA/L", symbol="ag_free", description="free (unbound) BCMA per litre of marrow"
# Positivity guard: free species are >= 0 in the exact solution; max(., 0) only removes a sign
# produced by solver error (self-correcting: dissociation continues while binding stops).
binding_rate = association_rate_per_day * max(free_car, 0) * max(free_bcma, 0)
    | unit="complexes/(L*day)", description="CAR-BCMA association (free species clamped at 0)"
complexes_per_car_t = complexes / car_t_marrow
    | unit="complexes/cell", symbol="cpc", description="CAR-BCMA complexes per CAR-T cell"
complexes_per_tumour_cell = complexes / tumour
    | unit="complexes/cell", symbol="cpt", description="CAR-BCMA complexes per myeloma cell"
expansion_rate = max_expansion_rate * complexes_per_car_t / (expansion_ec50 + complexes_per_car_t)
    | unit="1/day", symbol="Kexp", description="antigen-driven expansion rate of marrow effectors"
killing_rate = max_killing_rate * complexes_per_tumour_cell / (killing_ec50 + complexes_per_tumour_cell)
    | unit="1/day", symbol="Kkill", description="CAR-T killing rate of myeloma cells"
relative_burden = tumour / baseline_tumour
    | unit="1", description="tumour burden relative to baseline"

effector_net_to_marrow = blood_to_marrow_rate * effector_blood - marrow_to_blood_rate * effector_marrow
    | unit="cells/day", description="net effector transfer from blood to marrow"
memory_net_to_marrow = blood_to_marrow_rate * memory_blood - marrow_to_blood_rate * memory_marrow
    | unit="cells/day", description="net memory transfer from blood to marrow"
memory_conversion = memory_conversion_rate * effector_marrow
    | unit="cells/day", description="effector to memory conversion in marrow"
# 1e-12 converts pg to g (M-protein); 1e-6 converts pg/L to ng/mL (sBCMA).
m_protein_synthesis = m_protein_production * 1e-12 * baseline_tumour * relative_burden**m_protein_burden_exponent
    | unit="g/(L*day)", description="M-protein production, scaled by relative tumour burden"
sbcma_synthesis = sbcma_production * 1e-6 * baseline_tumour * relative_burden**sbcma_burden_exponent
    | unit="ng/(mL*day)", description="soluble BCMA production, scaled by relative tumour burden"

d/dt(effector_blood) = -effector_net_to_marrow - effector_elimination_rate * effector_blood
    | unit="cells", symbol="CARTe_pb", description="effector CAR-T cells in blood (dose target)"
d/dt(memory_blood) = -memory_net_to_marrow - memory_elimination_rate * memory_blood
    | unit="cells", symbol="CARTm_pb", dose=False, description="memory CAR-T cells in blood"
d/dt(effector_marrow) = effector_net_to_marrow + expansion_rate * effector_marrow - memory_conversion
    | unit="cells", symbol="CARTe_t", dose=False, description="effector CAR-T cells in bone marrow"
d/dt(memory_marrow) = memory_net_to_marrow + memory_conversion
    | unit="cells", symbol="CARTm_t", dose=False, description="memory CAR-T cells in bone marrow"
d/dt(complexes) = binding_rate - dissociation_rate_per_day * complexes
    | unit="complexes/L", symbol="Cplx", dose=False, description="CAR-BCMA complexes per litre of marrow"
# SI Eq. 18 prints the killing term on CARTe_t; the authors' code (and this text) kill the tumour.
d/dt(tumour) = (tumour_growth_rate - killing_rate) * tumour
    | unit="cells/L", symbol="Tumor", dose=False, description="BCMA+ myeloma cells per litre of marrow"
d/dt(m_protein) = m_protein_synthesis - m_protein_degradation_rate * m_protein
    | unit="g/L", symbol="M", dose=False, description="serum M-protein"
d/dt(soluble_bcma) = sbcma_synthesis - sbcma_degradation_rate * soluble_bcma
    | unit="ng/mL", symbol="sBCMA", dose=False, description="serum soluble BCMA"
effector_marrow(0) = marrow_seed_concentration * marrow_volume
tumour(0) = baseline_tumour
m_protein(0) = m_protein_production * 1e-12 * baseline_tumour / m_protein_degradation_rate
soluble_bcma(0) = sbcma_production * 1e-6 * baseline_tumour / sbcma_degradation_rate

baseline_m_protein = m_protein_production * 1e-12 * baseline_tumour / m_protein_degradation_rate
    | unit="g/L", symbol="M0", description="steady-state M-protein before treatment (~0.2585 g/L)"
baseline_sbcma = sbcma_production * 1e-6 * baseline_tumour / sbcma_degradation_rate
    | unit="ng/mL", symbol="sBCMA0", description="steady-state soluble BCMA before treatment (625 ng/mL)"
transgene = transgene_conversion * (effector_blood + memory_blood) / blood_volume
    | unit="copies/ug", observable=True, description="CAR transgene in blood (qPCR) = TransC x blood CAR-T per litre"
m_protein_change = 100 * (m_protein - baseline_m_protein) / baseline_m_protein
    | unit="%", observable=True, description="serum M-protein, percentage change from baseline"
sbcma_change = 100 * (soluble_bcma - baseline_sbcma) / baseline_sbcma
    | unit="%", observable=True, description="soluble BCMA, percentage change from baseline"
free_car_fraction = free_car / (car_t_marrow * car_density)
    | unit="1", observable=True, description="unclamped free CAR fraction; negative values flag solver error"
free_bcma_fraction = free_bcma / (tumour * bcma_density)
    | unit="1", observable=True, description="unclamped free BCMA fraction; negative values flag solver error"
'''

#: CRB-401 flat doses (CAR+ cells), bolus into blood effectors at t = 0.
CRB401_DOSES = (50e6, 150e6, 450e6, 800e6)

#: Published set-ups; the first is the reference curve drawn on the model page.
#: Conformance checks (cartsim.testing.check_model) the published model fails on purpose.
CONFORMANCE_EXCEPTIONS = {
    "zero_dose": "the published fixed marrow seed (1e-6 cells/L) expands into a full response without "
    "a dose; a zero seed makes complexes per CAR-T 0/0 (see the module docstring)",
}

SCENARIOS = {
    f"crb401_{int(dose / 1e6)}e6": Scenario(
        f"CRB-401 dose {int(dose / 1e6)}e6 CAR+ cells, bolus into blood at t = 0, 0.5-day grid to day 180",
        end=180.0,
        step=0.5,
        doses=(Dose("effector_blood", dose, 0.0),),
        source="Singh 2021 Table 1; Raje 2019 (CRB-401)",
    )
    for dose in CRB401_DOSES
}

REFERENCE_POINTS = (
    ReferencePoint("transgene", 16.5, 37411.0, "computed", "Cmax, 50e6 cells", "crb401_50e6"),
    ReferencePoint("transgene", 15.5, 36479.0, "computed", "Cmax, 150e6 cells", "crb401_150e6"),
    ReferencePoint("transgene", 14.0, 35743.0, "computed", "Cmax, 450e6 cells", "crb401_450e6"),
    ReferencePoint("transgene", 13.5, 35484.0, "computed", "Cmax, 800e6 cells", "crb401_800e6"),
)
