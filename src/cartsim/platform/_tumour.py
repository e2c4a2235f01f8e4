"""Tumour clones, healthy B cells and the disease readouts: the platform model's target block.

Mechanisms and their provenance:

- **Antigen-positive and antigen-negative clones** (Liu 2022, CD19- relapse model): both grow
  towards a shared carrying capacity; effector CAR-T cells kill the antigen-positive clone with
  saturation (Kimmel 2021, gamma_B C / (k_B + C), Table 1 cell units) and the antigen-negative
  clone only by bystander killing, ``bystander_kill_fraction`` = 1/kb (Liu 2022 kb = 7.9).
  Antigen loss moves cells from the positive to the negative clone (Liu 2022 km; here the flux
  leaves the positive clone, which Liu's equations omit, models.md section 6).
- **Stochastic cure** (Kimmel 2021): below 100 cells each clone is a birth-death process of
  whole cells, so a tumour can go extinct (cure) or escape.
- **Healthy B cells** (Leon-Triana 2021 Eqs 4a-4c): killed by CAR-T cells by mass action
  (alpha); produced from marrow at a rate that CAR-T cells inhibit (the form of Leon-Triana's
  extended Eqs 3a-3c), so B-cell aplasia lasts while CAR-T cells persist and B cells recover
  once they are lost. For BCMA products ``b_cell_antigen_weight`` = 0: B cells carry no target.
- **Disease readouts**, so that the clinical layer's response criteria apply directly: % marrow
  blasts and the MRD fraction (B-ALL), tumour volume and SPD (lymphoma), serum M-protein and
  soluble BCMA (myeloma, Singh 2021 turnover with production scaling as (burden / baseline)^gamma).
"""

TEXT = '''
# --- Tumour (Liu 2022 clones; Kimmel 2021 killing) ---
baseline_tumour = 94.86 | unit="1e9 cells", lower=1e-9
    | source="Kimmel 2021: median metabolic tumour volume 94.86 mL (1 mL ~ 1e9 cells); set by the indication presets"
    | description="tumour burden at infusion"
antigen_negative_fraction = 0 | unit="1", lower=0, upper=1
    | source="Liu 2022 CD19- relapse example: 19.89 / 17212 = 1.2e-3 (default 0: no pre-existing clone)"
    | description="fraction of the baseline tumour that lacks the target antigen"
tumour_growth_rate = 0.01 | unit="1/day", lower=0, symbol="r_B"
    | source="Kimmel 2021 (BioModels default; literature range 0.01-0.5); set by the indication presets"
    | description="net growth rate of the antigen-positive clone"
antigen_negative_growth_rate = 0.01 | unit="1/day", lower=0, symbol="rBn"
    | source="assumed equal to the antigen-positive clone (Liu 2022 fits 0.1 vs 0.086 /day in B-ALL)"
    | description="net growth rate of the antigen-negative clone"
tumour_capacity = 1000 | unit="1e9 cells", lower=1e-6, symbol="nMB"
    | source="assumed (about 1 kg of tumour; Liu 2022 uses a logistic capacity)"
    | description="carrying capacity shared by both clones"
max_kill_rate = 1.15 | unit="1/day", lower=0, omega=0.3, symbol="gamma_B"
    | source="Kimmel 2021 Table 1", description="maximal per-cell killing rate of antigen-positive tumour"
kill_half_saturation = 2.024 | unit="1e9 cells", lower=1e-9, symbol="k_B"
    | source="Kimmel 2021 Table 1 (2.024e9 cells)", description="effector CAR-T giving half-maximal killing"
bystander_kill_fraction = 0.127 | unit="1", lower=0, upper=1, symbol="1/kb"
    | source="Liu 2022 (kb = 7.9)", description="killing of antigen-negative cells relative to antigen-positive"
antigen_loss_rate = 0 | unit="1/day", lower=0, symbol="km"
    | source="Liu 2022 (km = 0 in the CD19- relapse example)", description="antigen loss of positive tumour cells"

# --- Healthy B cells (Leon-Triana 2021) ---
healthy_b_cells_normal = 25 | unit="1e9 cells", lower=1e-6
    | source="Leon-Triana 2021 (B(0) = 2.5e10 cells)", description="healthy B cells at steady state (and at infusion)"
b_cell_lifetime = 60 | unit="day", lower=1e-3, symbol="tau_B"
    | source="Leon-Triana 2021", description="mean lifetime of healthy B cells"
b_cell_kill_rate = 0.045 | unit="1/(1e9 cells*day)", lower=0, symbol="alpha"
    | source="Leon-Triana 2021 (4.5e-11 per cell per day)", description="mass-action killing of B cells by effector CAR-T"
b_cell_production_inhibition = 0.01 | unit="1e9 cells", lower=1e-9, symbol="C50"
    | source="form of Leon-Triana 2021 Eqs 3a-3c; value assumed (1e7 cells, not the 1e9 of BIOMD0000001012) so that persisting CAR-T keep B-cell aplasia"
    | description="CAR-T cells halving B-cell production from marrow progenitors"
b_cell_antigen_weight = 1 | unit="1", lower=0, upper=1
    | source="product attribute: 1 for CD19 CARs (B cells carry CD19), 0 for BCMA CARs"
    | description="whether healthy B cells carry the CAR's target"
normal_b_cells_per_ul = 330 | unit="cells/uL", lower=1e-3
    | source="clinical.md section 5.1 (CD19+ B cells, medians 325 / 340 cells/uL)"
    | description="blood B-cell count at the steady state"

# --- Disease readouts ---
normal_marrow_cells = 1000 | unit="1e9 cells", lower=1e-3
    | source="assumed (about 1e12 nucleated marrow cells in an adult)"
    | description="normal nucleated marrow cells, the denominator of % blasts and MRD"
baseline_spd = 3700 | unit="mm^2", lower=0
    | source="clinical.md section 5.2 (ZUMA-1 median SPD about 3,700 mm^2, unconfirmed)"
    | description="sum of the product of diameters at infusion (lymphoma)"
baseline_m_protein = 2 | unit="g/dL", lower=0
    | source="assumed (measurable myeloma: serum M-protein >= 1 g/dL)"
    | description="serum M-protein at infusion (myeloma)"
m_protein_degradation_rate = 0.117 | unit="1/day", lower=0, symbol="Km"
    | source="Singh 2021 Table 1", description="serum M-protein degradation rate"
m_protein_burden_exponent = 0.215 | unit="1", lower=0, symbol="gm"
    | source="Singh 2021 Table 1", description="exponent of tumour burden in M-protein production"
baseline_sbcma = 625 | unit="ng/mL", lower=0, symbol="sBCMA0"
    | source="Singh 2021 (Pb 1e-6 Tumor0 / Kb)", description="soluble BCMA at infusion (myeloma)"
sbcma_degradation_rate = 0.7 | unit="1/day", lower=0, symbol="Kb"
    | source="Singh 2021 Table 1", description="soluble BCMA degradation rate"

tumour_antigen_positive(0) = baseline_tumour * (1 - antigen_negative_fraction)
tumour_antigen_negative(0) = baseline_tumour * antigen_negative_fraction
healthy_b_cells(0) = healthy_b_cells_normal
m_protein(0) = baseline_m_protein
soluble_bcma(0) = baseline_sbcma

killing_effectors = effector + exhausted_kill_fraction * exhausted
    | unit="1e9 cells", description="effector-equivalent CAR-T cells available for killing"
kill_rate = max_kill_rate * killing_effectors / (kill_half_saturation + killing_effectors)
    | unit="1/day", description="per-cell killing rate of antigen-positive tumour cells"
tumour_burden = tumour_antigen_positive + tumour_antigen_negative
    | unit="1e9 cells", observable=True, description="all tumour cells"
crowding = 1 - tumour_burden / tumour_capacity
    | unit="1", description="logistic growth limitation shared by both clones"
tumour_kill_flux = kill_rate * (tumour_antigen_positive + bystander_kill_fraction * tumour_antigen_negative)
    | unit="1e9 cells/day", description="tumour cells killed per day"
b_cell_kill_flux = b_cell_antigen_weight * b_cell_kill_rate * killing_effectors * healthy_b_cells
    | unit="1e9 cells/day", description="healthy B cells killed per day (on-target, off-tumour)"
b_cell_production = healthy_b_cells_normal / b_cell_lifetime / (1 + b_cell_antigen_weight * car_t_total / b_cell_production_inhibition)
    | unit="1e9 cells/day", description="B cells produced per day, inhibited by CAR-T cells"
burden_ratio = tumour_burden / baseline_tumour
    | unit="1", description="tumour burden relative to infusion"

d/dt(tumour_antigen_positive) = tumour_growth_rate * tumour_antigen_positive * crowding - kill_rate * tumour_antigen_positive - antigen_loss_rate * tumour_antigen_positive
    | unit="1e9 cells", dose=False, stochastic_below=1e-7, cell_amount=1e-9
    | description="antigen-positive tumour cells (a birth-death process below 100 cells)"
d/dt(tumour_antigen_negative) = antigen_negative_growth_rate * tumour_antigen_negative * crowding - bystander_kill_fraction * kill_rate * tumour_antigen_negative + antigen_loss_rate * tumour_antigen_positive
    | unit="1e9 cells", dose=False, stochastic_below=1e-7, cell_amount=1e-9
    | description="antigen-negative tumour cells (a birth-death process below 100 cells)"
d/dt(healthy_b_cells) = b_cell_production - healthy_b_cells / b_cell_lifetime - b_cell_kill_flux
    | unit="1e9 cells", dose=False, description="healthy B cells (B-cell aplasia when low)"
d/dt(m_protein) = m_protein_degradation_rate * (baseline_m_protein * (burden_ratio + 1e-12)**m_protein_burden_exponent - m_protein)
    | unit="g/dL", dose=False, description="serum M-protein (myeloma; Singh 2021 turnover)"
d/dt(soluble_bcma) = sbcma_degradation_rate * (baseline_sbcma * burden_ratio - soluble_bcma)
    | unit="ng/mL", dose=False, description="soluble BCMA (myeloma; Singh 2021 turnover, exponent 1)"

b_cells_blood = normal_b_cells_per_ul * healthy_b_cells / healthy_b_cells_normal
    | unit="cells/uL", observable=True, description="healthy CD19+ B cells per uL of blood"
tumour_volume = tumour_burden
    | unit="mL", observable=True, description="tumour volume (1 mL ~ 1e9 cells, Kimmel 2021)"
sum_of_diameters_product = baseline_spd * burden_ratio**(2/3)
    | unit="mm^2", observable=True, description="SPD, scaling as volume^(2/3) (assumed spherical lesions)"
marrow_blasts_percent = 100 * tumour_burden / (tumour_burden + normal_marrow_cells)
    | unit="%", observable=True, description="leukaemic blasts as % of nucleated marrow cells (B-ALL)"
mrd_fraction = tumour_burden / (tumour_burden + normal_marrow_cells)
    | unit="1", observable=True, description="measurable residual disease, leukaemic fraction of marrow cells"
'''
