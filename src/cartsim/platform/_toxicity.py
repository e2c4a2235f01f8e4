"""Cytokines, vitals and neurotoxicity, and their treatments: the platform model's toxicity block.

Mechanisms and their provenance:

- **Cytokines** (Hardiansyah 2019 structure and elimination rates): IFN-gamma is produced by
  CAR-T cells in proportion to their killing (tumour and healthy B cells killed per day); IL-6
  in proportion to killing times the activated fraction of myeloid cells, which IFN-gamma
  activates (macrophage-mediated CRS, as in Santurio 2025; assumed form). The activation is
  what delays the onset of CRS by a day or two after infusion. Both are eliminated
  first-order on top of their baselines; corticosteroids suppress production.
  Tocilizumab blocks the IL-6 receptor, which also removes part of IL-6's clearance, so serum
  IL-6 rises after tocilizumab while its signalling falls (an assumed fraction).
- **Vitals** (documented, parameterised links, assumed values): receptor-bound IL-6 signalling
  raises body temperature, lowers the mean arterial pressure (MAP, the pressure without
  vasopressor support) and the oxygen saturation on room air, each by a Hill function of the
  free IL-6 signal. The thresholds that turn vitals into ASTCT inputs (hypotension, the number
  of vasopressors, the oxygen device) are parameters, used both here (the in-model grade that
  triggers treatment) and by :mod:`cartsim.platform.grading`, which grades the simulated vitals
  with the clinical layer.
- **ICANS**: a latent neuro-inflammation (encephalopathy) index, driven by IL-6 and IFN-gamma
  together with the CAR-T level in blood (ZUMA-1: peak CAR-T cells associated with neurologic
  events, clinical.md section 5.3), resolving first-order and suppressed by corticosteroids
  (tocilizumab does not cross the blood-brain barrier and has no effect on it). It maps to the
  ICE score (10 / (1 + index)) and the level of consciousness by thresholds.
- **Treatments** as exposure states (amounts in mg, first-order elimination): tocilizumab,
  corticosteroids (dexamethasone equivalents) and a checkpoint inhibitor (anti-PD-1), dosed
  by ``Dose`` or by the state-triggered events of the treatment policies.
"""

TEXT = '''
# --- Cytokines (Hardiansyah 2019) ---
il6_elimination_rate = 3.96 | unit="1/day", lower=0, symbol="dIL6"
    | source="Hardiansyah 2019 Table S1", description="IL-6 elimination rate"
ifn_gamma_elimination_rate = 1.51 | unit="1/day", lower=0, symbol="dIFNg"
    | source="Hardiansyah 2019 Table S1", description="IFN-gamma elimination rate"
baseline_il6 = 1.7 | unit="pg/mL", lower=0, symbol="IL6_0"
    | source="Hardiansyah 2019 Fig. 1b (UPN1, digitised)", description="baseline serum IL-6"
baseline_ifn_gamma = 2.3 | unit="pg/mL", lower=0, symbol="IFNg_0"
    | source="Hardiansyah 2019 Fig. 1b (UPN1, digitised)", description="baseline serum IFN-gamma"
il6_per_kill = 150 | unit="pg/mL per 1e9 cells killed", lower=0, omega=0.6
    | source="assumed (production in proportion to killing, as Hardiansyah 2019's B x CARTE); calibrated by the presets"
    | description="IL-6 released per 1e9 target cells killed by fully activated myeloid cells"
ifn_gamma_per_kill = 5 | unit="pg/mL per 1e9 cells killed", lower=0, omega=0.6
    | source="assumed; calibrated by the presets", description="IFN-gamma released per 1e9 target cells killed"
myeloid_activation_rate = 1 | unit="1/day", lower=0
    | source="assumed (macrophage-mediated CRS, Santurio 2025, models.md section 9; equations not yet extracted)"
    | description="activation rate of IL-6-producing myeloid cells under full IFN-gamma signal"
myeloid_deactivation_rate = 0.5 | unit="1/day", lower=0
    | source="assumed", description="return of activated myeloid cells to rest"
myeloid_ifn_gamma_half_effect = 150 | unit="pg/mL", lower=1e-6
    | source="assumed", description="IFN-gamma giving half-maximal myeloid activation"
il6_receptor_clearance = 0.5 | unit="1", lower=0, upper=1
    | source="assumed (receptor-mediated IL-6 clearance: serum IL-6 rises after tocilizumab)"
    | description="fraction of IL-6 clearance that tocilizumab's receptor blockade removes"

# --- Vitals (assumed links; thresholds shared with cartsim.platform.grading) ---
normal_temperature = 37 | unit="degC", lower=30, upper=45
    | source="standard physiology", description="body temperature without inflammation"
fever_max_rise = 3 | unit="degC", lower=0
    | source="assumed (fevers up to about 40 degC in CRS)", description="largest IL-6-driven rise in temperature"
fever_il6_half_effect = 42 | unit="pg/mL", lower=1e-6
    | source="assumed: fever (>= 38 degC) from about 30 pg/mL of free IL-6 (clinical.md section 5.4: 1e1-1e2 pg/mL in mild CRS)"
    | description="free IL-6 giving half the maximal fever"
baseline_map = 85 | unit="mmHg", lower=20
    | source="standard physiology", description="mean arterial pressure without inflammation"
map_max_drop = 45 | unit="mmHg", lower=0
    | source="assumed", description="largest IL-6-driven fall in mean arterial pressure"
map_il6_half_effect = 500 | unit="pg/mL", lower=1e-6
    | source="assumed: hypotension from about 450 pg/mL of free IL-6 (clinical.md section 5.4: 1e3-1e4 pg/mL in severe CRS)"
    | description="free IL-6 giving half the maximal fall in MAP"
baseline_spo2 = 97 | unit="%", lower=50, upper=100
    | source="standard physiology", description="oxygen saturation on room air without inflammation"
spo2_max_drop = 25 | unit="%", lower=0
    | source="assumed", description="largest IL-6-driven fall in oxygen saturation"
spo2_il6_half_effect = 800 | unit="pg/mL", lower=1e-6
    | source="assumed: oxygen need from about 400 pg/mL of free IL-6", description="free IL-6 giving half the maximal desaturation"
fever_threshold = 38 | unit="degC", lower=30, upper=45
    | source="ASTCT (clinical.md section 2.1): fever is >= 38.0 degC", description="fever threshold"
hypotension_map = 65 | unit="mmHg", lower=0
    | source="assumed (MAP < 65 mmHg, the usual definition; ASTCT gives no number)", description="MAP below which the patient is hypotensive"
one_vasopressor_map = 55 | unit="mmHg", lower=0
    | source="assumed", description="MAP below which fluids do not suffice and one vasopressor is needed"
two_vasopressors_map = 45 | unit="mmHg", lower=0
    | source="assumed", description="MAP below which two vasopressors are needed"
low_flow_oxygen_spo2 = 92 | unit="%", lower=0, upper=100
    | source="assumed (usual saturation target 92 %)", description="room-air SpO2 below which low-flow oxygen is needed"
high_flow_oxygen_spo2 = 88 | unit="%", lower=0, upper=100
    | source="assumed", description="room-air SpO2 below which high-flow oxygen (> 6 L/min) is needed"
positive_pressure_spo2 = 80 | unit="%", lower=0, upper=100
    | source="assumed", description="room-air SpO2 below which positive pressure ventilation is needed"

# --- ICANS: latent neuro-inflammation ---
neuro_max_drive = 0.8 | unit="1/day", lower=0, omega=0.6
    | source="assumed; calibrated by the presets", description="maximal rate of rise of the neuro-inflammation index"
neuro_cytokine_half_effect = 500 | unit="pg/mL", lower=1e-6
    | source="assumed", description="IL-6 plus IFN-gamma giving half-maximal neuro-inflammatory drive"
neuro_car_t_half_effect = 20 | unit="cells/uL", lower=1e-6
    | source="assumed (ZUMA-1: peak CAR-T associated with neurologic events, clinical.md section 5.3)"
    | description="blood CAR-T level giving half-maximal neuro-inflammatory drive"
neuro_resolution_rate = 0.5 | unit="1/day", lower=0
    | source="assumed (ICANS lasts days)", description="resolution rate of the neuro-inflammation index"
drowsy_index = 1 | unit="1", lower=0
    | source="assumed", description="index from which the patient awakens only spontaneously (ICANS 1)"
awakens_to_voice_index = 2 | unit="1", lower=0
    | source="assumed", description="index from which the patient awakens only to voice (ICANS 2)"
awakens_to_touch_index = 4 | unit="1", lower=0
    | source="assumed", description="index from which the patient awakens only to tactile stimulus (ICANS 3)"
unarousable_index = 9 | unit="1", lower=0
    | source="assumed", description="index from which the patient is unarousable (ICANS 4)"

# --- Treatments: exposures and effects ---
tocilizumab_elimination_rate = 0.1155 | unit="1/day", lower=0
    | source="assumed half-life 6 days (Actemra label: concentration-dependent, up to 11-13 days at steady state)"
    | description="tocilizumab elimination rate"
tocilizumab_half_block = 50 | unit="mg", lower=1e-6
    | source="assumed (an 8 mg/kg dose blocks >90 % of IL-6 signalling)", description="tocilizumab amount blocking half of IL-6 signalling"
steroid_elimination_rate = 0.462 | unit="1/day", lower=0
    | source="assumed: 36 h biological half-life of dexamethasone (plasma half-life 3-4 h)"
    | description="elimination rate of the corticosteroid effect"
steroid_half_effect = 10 | unit="mg", lower=1e-6
    | source="assumed (one 10 mg dexamethasone dose gives half the maximal effect)", description="dexamethasone-equivalent amount for half effect"
steroid_max_expansion_inhibition = 0.9 | unit="1", lower=0, upper=1
    | source="assumed", description="largest suppression of antigen-driven CAR-T expansion by corticosteroids"
steroid_max_cytokine_inhibition = 0.8 | unit="1", lower=0, upper=1
    | source="assumed", description="largest suppression of cytokine production by corticosteroids"
steroid_max_neuro_inhibition = 0.9 | unit="1", lower=0, upper=1
    | source="assumed", description="largest suppression of the neuro-inflammatory drive by corticosteroids"
checkpoint_elimination_rate = 0.0315 | unit="1/day", lower=0
    | source="pembrolizumab half-life 22 days (Keytruda label)", description="checkpoint inhibitor elimination rate"
checkpoint_half_effect = 20 | unit="mg", lower=1e-6
    | source="assumed (200 mg gives about 90 % of the maximal effect)", description="checkpoint inhibitor amount for half effect"
checkpoint_max_exhaustion_reduction = 0.8 | unit="1", lower=0, upper=1
    | source="assumed", description="largest reduction of the exhaustion rate by checkpoint blockade"
checkpoint_reinvigoration_rate = 0.1 | unit="1/day", lower=0
    | source="assumed", description="reinvigoration rate of exhausted cells under full checkpoint blockade"

il6(0) = baseline_il6
ifn_gamma(0) = baseline_ifn_gamma

tocilizumab_block = tocilizumab / (tocilizumab + tocilizumab_half_block)
    | unit="1", observable=True, description="fraction of IL-6 signalling blocked by tocilizumab"
steroid_effect = steroids / (steroids + steroid_half_effect)
    | unit="1", description="corticosteroid effect (0-1)"
steroid_expansion_factor = 1 - steroid_max_expansion_inhibition * steroid_effect
    | unit="1", description="fraction of antigen-driven expansion left under corticosteroids"
checkpoint_effect = checkpoint_inhibitor / (checkpoint_inhibitor + checkpoint_half_effect)
    | unit="1", description="checkpoint blockade (0-1)"
checkpoint_exhaustion_reduction = checkpoint_max_exhaustion_reduction * checkpoint_effect
    | unit="1", description="fraction of the exhaustion rate removed by checkpoint blockade"
killing_flux = tumour_kill_flux + b_cell_kill_flux
    | unit="1e9 cells/day", observable=True, description="target cells killed per day (tumour and healthy B cells)"
cytokine_production_factor = 1 - steroid_max_cytokine_inhibition * steroid_effect
    | unit="1", description="fraction of cytokine production left under corticosteroids"

d/dt(myeloid_activation) = myeloid_activation_rate * ifn_gamma / (ifn_gamma + myeloid_ifn_gamma_half_effect) * (1 - myeloid_activation) - myeloid_deactivation_rate * myeloid_activation
    | unit="1", dose=False, description="fraction of IL-6-producing myeloid cells (monocytes, macrophages) activated"
d/dt(il6) = il6_elimination_rate * baseline_il6 + il6_per_kill * killing_flux * myeloid_activation * cytokine_production_factor - il6_elimination_rate * (1 - il6_receptor_clearance * tocilizumab_block) * il6
    | unit="pg/mL", dose=False, symbol="IL6", description="serum IL-6"
d/dt(ifn_gamma) = ifn_gamma_elimination_rate * (baseline_ifn_gamma - ifn_gamma) + ifn_gamma_per_kill * killing_flux * cytokine_production_factor
    | unit="pg/mL", dose=False, symbol="IFNg", description="serum IFN-gamma"
neuro_drive = neuro_max_drive * (il6 + ifn_gamma) / (il6 + ifn_gamma + neuro_cytokine_half_effect) * car_t_blood / (car_t_blood + neuro_car_t_half_effect)
    | unit="1/day", description="rate of rise of the neuro-inflammation index"
d/dt(neuro_inflammation) = neuro_drive * (1 - steroid_max_neuro_inhibition * steroid_effect) - neuro_resolution_rate * neuro_inflammation
    | unit="1", dose=False, description="latent neuro-inflammation index behind ICANS"
d/dt(tocilizumab) = -tocilizumab_elimination_rate * tocilizumab
    | unit="mg", description="tocilizumab in the body"
d/dt(steroids) = -steroid_elimination_rate * steroids
    | unit="mg", description="corticosteroid effect, in dexamethasone-equivalent mg"
d/dt(checkpoint_inhibitor) = -checkpoint_elimination_rate * checkpoint_inhibitor
    | unit="mg", description="checkpoint inhibitor (anti-PD-1) in the body"

free_il6 = il6 * (1 - tocilizumab_block)
    | unit="pg/mL", description="IL-6 signalling through unblocked receptors"
temperature = normal_temperature + fever_max_rise * free_il6**2 / (free_il6**2 + fever_il6_half_effect**2)
    | unit="degC", observable=True, description="body temperature"
temperature_unblocked = normal_temperature + fever_max_rise * il6**2 / (il6**2 + fever_il6_half_effect**2)
    | unit="degC", observable=True, description="temperature the patient would have without tocilizumab (the masked fever)"
mean_arterial_pressure = baseline_map - map_max_drop * free_il6**2 / (free_il6**2 + map_il6_half_effect**2)
    | unit="mmHg", observable=True, description="mean arterial pressure without vasopressor support"
spo2_room_air = baseline_spo2 - spo2_max_drop * free_il6**2 / (free_il6**2 + spo2_il6_half_effect**2)
    | unit="%", observable=True, description="oxygen saturation on room air"
ice_score_continuous = 10 / (1 + neuro_inflammation)
    | unit="points", observable=True, description="ICE score before rounding to whole points (10 = no impairment)"
'''
