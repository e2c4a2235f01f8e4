"""CAR-T phenotypes, lymphodepletion and normal-T competition: the platform model's T-cell block.

Mechanisms and their provenance:

- **Normal-T competition after lymphodepletion** (Kimmel 2021, Eqs 2.1-2.2, Table 1 per-uL
  values): normal T cells regrow by a Gompertz law towards ``normal_t_capacity`` and compete
  with CAR-T through the total T = N + C in blood. While T is far below the normal-T capacity
  (just after lymphodepletion) the CAR-T homeostatic rate r_C(T) is raised; it relaxes
  towards ``car_t_homeostatic_rate`` as T recovers. The homeostatic term acts on effectors.
- **Lymphodepletion intensity**: N(0) = pre-lymphodepletion count x exp(-log depletion x
  intensity). Intensity 1 is a standard fludarabine/cyclophosphamide regimen and gives
  Kimmel's median post-lymphodepletion count of 6 cells/uL from 500 cells/uL; the product and
  indication presets map regimens to intensities.
- **Antigen-driven expansion**, saturating in the antigen-bearing cells (tumour antigen-positive
  clone plus, for CD19 products, healthy B cells), as in Hardiansyah 2019 (f(B) = B / (B + h))
  and Liu 2022 (rTA = rTA0 nB / (nB + KBpr)).
- **Effector -> memory conversion** when antigen is scarce and **memory reactivation** on
  antigen (Hardiansyah 2019 aE (1 - f(B)), aM f(B); CARTmath/Barros 2021 theta T C_M).
- **Exhaustion under chronic antigen**: effectors become exhausted at a rate proportional to
  the antigen signal; exhausted cells do not proliferate, kill weakly and die. Checkpoint
  inhibitor exposure lowers the exhaustion rate and reinvigorates exhausted cells (assumed
  form; Paixao 2022 has an exhausted phenotype, models.md section 9).

Compartments and units: CAR-T pools are whole-body amounts in 1e9 cells. What is observed
in blood (CAR+ cells/uL, transgene copies/ug) is the whole-body pool through Kimmel's mapping
between the body-wide T-cell pool and blood counts (5e8 uL; models.md section 0: not a blood
volume). Blood and tissue are not separate states: exchange between them equilibrates within
hours (Hardiansyah 2019: 76.78 /day out of blood, 1.84 /day back), far faster than expansion,
so a separate blood compartment would change only the first hours after infusion (and make
the system stiff) while the observations start at day 1.
"""

TEXT = '''
# --- T-cell niche after lymphodepletion (Kimmel 2021, Table 1 per-uL values) ---
normal_t_capacity = 500 | unit="cells/uL", lower=1, symbol="K_N"
    | source="Kimmel 2021 Table 1 (2.5e11 cells / 5e8)", description="normal-T carrying capacity"
car_t_capacity = 139 | unit="cells/uL", lower=0.001, symbol="K_C"
    | source="Kimmel 2021 Table 1 (6.96e10 cells / 5e8)", description="CAR-T carrying capacity of the T-cell niche"
normal_t_growth_rate = 0.17 | unit="1/day", lower=0, symbol="r_N"
    | source="Kimmel 2021 Table 1", description="Gompertz regrowth rate of normal T cells"
car_t_homeostatic_rate = 0.0251 | unit="1/day", lower=0, symbol="rho_C"
    | source="Kimmel 2021 Table 1", description="baseline CAR-T homeostatic rate once the niche has recovered"
signalling_inefficiency = 0.423 | unit="1", lower=0, symbol="a"
    | source="Kimmel 2021 Table 1", description="signalling inefficiency in the homeostatic rate r_C(T)"
reconstitution_impact = 0.525 | unit="1/day", lower=0, symbol="b"
    | source="Kimmel 2021 Table 1", description="extra homeostatic CAR-T rate while the T-cell niche is empty"
body_per_blood_volume = 5e8 | unit="uL", lower=1, symbol="5e8"
    | source="Kimmel 2021 (models.md section 0): mapping between the body-wide T-cell pool and blood counts"
    | description="whole-body cells per cell/uL of blood"
pre_lymphodepletion_t_cells = 500 | unit="cells/uL", lower=1e-3
    | source="assumed: the normal-T capacity of Kimmel 2021 (a patient covariate in the presets)"
    | description="normal T cells in blood before lymphodepletion"
lymphodepletion_intensity = 1 | unit="1", lower=0, upper=3
    | source="calibrated by the presets: 0 = no lymphodepletion, 1 = standard fludarabine/cyclophosphamide"
    | description="intensity of the lymphodepleting regimen"
lymphodepletion_log_depletion = 4.4228 | unit="1", lower=0
    | source="derived: ln(500/6), so that intensity 1 gives Kimmel 2021's median post-lymphodepletion count, 6 cells/uL"
    | description="natural-log depletion of normal T cells per unit of intensity"

# --- CAR-T phenotypes ---
antigen_expansion_rate = 0.4 | unit="1/day", lower=0, omega=0.3
    | source="assumed (with Kimmel 2021 homeostasis it gives ZUMA-1 medians of CAR-T cells/uL, clinical.md C7-C10, at the default burden); calibrated by the presets"
    | description="maximal antigen-driven proliferation rate of effector CAR-T cells"
antigen_half_saturation = 10 | unit="1e9 cells", lower=1e-6
    | source="assumed (saturating form of Hardiansyah 2019 f(B) and Liu 2022 KBpr); calibrated by the presets"
    | description="antigen-bearing cells giving half-maximal stimulation"
effector_death_rate = 0.2 | unit="1/day", lower=0, omega=0.2
    | source="assumed (contraction from day 7 to 28 in ZUMA-1, clinical.md C7-C9, 0.1-0.16 /day); calibrated by the presets"
    | description="death rate of effector CAR-T cells"
memory_conversion_rate = 0.024 | unit="1/day", lower=0, symbol="aE"
    | source="Hardiansyah 2019 Table S2 (UPN1)", description="effector to memory conversion rate, scaled by 1 - antigen signal"
memory_reactivation_rate = 0.1 | unit="1/day", lower=0, symbol="aM"
    | source="assumed: Hardiansyah 2019's aM = 1 /day multiplies a switch f(B) of about 4e-5 (models.md section 4 erratum 2), so its effective rate was tiny; 1 x antigen signal here would drain the memory pool"
    | description="memory to effector reactivation rate, scaled by the antigen signal"
memory_death_rate = 0.0032 | unit="1/day", lower=0, symbol="beta"
    | source="Stein 2019 Table 1 (persistence-phase decline); calibrated by the presets (costimulation)"
    | description="death rate of memory CAR-T cells (sets long-term persistence)"
exhaustion_rate = 0.05 | unit="1/day", lower=0
    | source="assumed (exhausted phenotype as in Paixao 2022, models.md section 9)"
    | description="effector to exhausted conversion rate under full antigen signal"
exhausted_death_rate = 0.2 | unit="1/day", lower=0
    | source="assumed", description="death rate of exhausted CAR-T cells"
exhausted_kill_fraction = 0.2 | unit="1", lower=0, upper=1
    | source="assumed", description="killing capacity of an exhausted cell relative to an effector"
vector_copies_per_cell = 2 | unit="copies/cell", lower=1e-3, symbol="VCN"
    | source="clinical.md section 5.3 (VCN typically 1-3)", description="mean vector copies per CAR+ cell"
other_leukocytes = 1500 | unit="cells/uL", lower=1
    | source="assumed (non-T leukocytes after count recovery; neutropenia after lymphodepletion is not modelled)"
    | description="nucleated blood cells other than T cells, for the copies-to-cells bridge"
dna_per_cell = 6.6e-6 | unit="ug/cell", lower=1e-9
    | source="clinical.md section 5.3 (one diploid genome ~ 6.6 pg)", description="genomic DNA per nucleated cell"

normal_t(0) = pre_lymphodepletion_t_cells * exp(-lymphodepletion_log_depletion * lymphodepletion_intensity)

car_t_total = effector + memory + exhausted
    | unit="1e9 cells", description="all CAR-T cells in the body"
car_t_blood = 1e9 * car_t_total / body_per_blood_volume
    | unit="cells/uL", observable=True, description="CAR+ T cells per uL of blood (flow cytometry)"
transgene = car_t_blood * vector_copies_per_cell / ((normal_t + car_t_blood + other_leukocytes) * dna_per_cell)
    | unit="copies/ug", observable=True
    | description="CAR transgene copies per ug of blood genomic DNA (qPCR), by the copies-to-cells bridge of clinical.md section 5.3"
total_t_blood = normal_t + car_t_blood
    | unit="cells/uL", symbol="T", description="normal plus CAR-T cells in blood (the niche's occupancy)"
niche_vacancy = (total_t_blood - normal_t_capacity)**2
    | unit="(cells/uL)^2", description="(T - K_N)^2 in Kimmel's r_C(T)"
homeostatic_rate_factor = car_t_homeostatic_rate + reconstitution_impact * niche_vacancy / (signalling_inefficiency * total_t_blood**2 + niche_vacancy)
    | unit="1/day", symbol="r_C", description="Kimmel 2021 CAR-T homeostatic rate r_C(T), raised while the niche is empty"
homeostatic_growth = -homeostatic_rate_factor * log(total_t_blood / car_t_capacity)
    | unit="1/day", description="Gompertz homeostatic growth of effectors (negative once T > K_C)"
antigen_cells = tumour_antigen_positive + b_cell_antigen_weight * healthy_b_cells
    | unit="1e9 cells", description="cells carrying the CAR's target antigen"
antigen_signal = antigen_cells / (antigen_cells + antigen_half_saturation)
    | unit="1", description="saturating antigen stimulation of CAR-T cells (0-1)"
exhaustion_flux = exhaustion_rate * antigen_signal * (1 - checkpoint_exhaustion_reduction) * effector
    | unit="1e9 cells/day", description="effectors becoming exhausted under chronic antigen"
memory_flux = memory_conversion_rate * (1 - antigen_signal) * effector
    | unit="1e9 cells/day", description="effectors becoming memory cells when antigen is scarce"
reactivation_flux = memory_reactivation_rate * antigen_signal * memory
    | unit="1e9 cells/day", description="memory cells reactivated into effectors on antigen"
reinvigoration_flux = checkpoint_reinvigoration_rate * checkpoint_effect * exhausted
    | unit="1e9 cells/day", description="exhausted cells reinvigorated by checkpoint blockade"
effector_growth_rate = antigen_expansion_rate * antigen_signal * steroid_expansion_factor + homeostatic_growth
    | unit="1/day", description="per-capita proliferation of effectors (antigen-driven plus homeostatic)"

d/dt(effector) = (effector_growth_rate - effector_death_rate) * effector - memory_flux - exhaustion_flux + reactivation_flux + reinvigoration_flux
    | unit="1e9 cells", description="effector CAR-T cells (the infused product enters here)"
d/dt(memory) = memory_flux - reactivation_flux - memory_death_rate * memory
    | unit="1e9 cells", dose=False, description="memory CAR-T cells"
d/dt(exhausted) = exhaustion_flux - reinvigoration_flux - exhausted_death_rate * exhausted
    | unit="1e9 cells", dose=False, description="exhausted CAR-T cells"
d/dt(normal_t) = -normal_t_growth_rate * normal_t * log(total_t_blood / normal_t_capacity)
    | unit="cells/uL", dose=False, symbol="N", description="normal (non-CAR) T cells in blood"
'''
