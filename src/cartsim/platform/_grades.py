"""The in-model ASTCT grades of the platform model, computed from its simulated vitals.

These intermediates let the treatment policies trigger on "CRS grade >= 2" inside the
engine. They restate the ASTCT rules (clinical.md section 2.5) on the model's vitals with the
thresholds declared in the toxicity block; :mod:`cartsim.platform.grading` grades the same
vitals with the clinical layer, and the tests check that both agree at every time point.

- Fever gate: temperature >= 38 degC, or a fever masked by tocilizumab or corticosteroids
  already given (the temperature without tocilizumab is still >= 38 degC).
- Hypotension: MAP below ``hypotension_map`` -> 2; below ``one_vasopressor_map`` -> 3 (one
  vasopressor); below ``two_vasopressors_map`` -> 4 (two vasopressors).
- Hypoxia: room-air SpO2 below ``low_flow_oxygen_spo2`` -> 2 (low-flow cannula); below
  ``high_flow_oxygen_spo2`` -> 3 (high flow); below ``positive_pressure_spo2`` -> 4.
- ICANS: the ICE score is the continuous score rounded half up to whole points (ICE <= 9 ->
  1, <= 6 -> 2, <= 2 -> 3), and the level of consciousness follows the neuro-inflammation
  index thresholds (awakens spontaneously -> 1, to voice -> 2, to touch -> 3, unarousable -> 4).
"""

#: Exposure (mg) above which a treatment counts as given, for the masked-fever rule.
TREATED_AMOUNT_MG = 1e-3

TEXT = f'''
# --- In-model ASTCT grades (restating clinical.md section 2.5 on the simulated vitals) ---
fever_gate = 1 if temperature >= fever_threshold or (tocilizumab + steroids > {TREATED_AMOUNT_MG} and temperature_unblocked >= fever_threshold) else 0
    | unit="1", description="1 when the ASTCT fever gate is open (fever, or fever masked by treatment)"
hypotension_grade = piecewise(4, mean_arterial_pressure < two_vasopressors_map, 3, mean_arterial_pressure < one_vasopressor_map, 2, mean_arterial_pressure < hypotension_map, 0)
    | unit="1", description="CRS grade contribution of hypotension"
hypoxia_grade = piecewise(4, spo2_room_air < positive_pressure_spo2, 3, spo2_room_air < high_flow_oxygen_spo2, 2, spo2_room_air < low_flow_oxygen_spo2, 0)
    | unit="1", description="CRS grade contribution of hypoxia"
crs_grade = fever_gate * max(1, hypotension_grade, hypoxia_grade)
    | unit="1", observable=True, description="ASTCT CRS grade of the simulated vitals (0-4)"
ice_grade = piecewise(3, ice_score_continuous < 2.5, 2, ice_score_continuous < 6.5, 1, ice_score_continuous < 9.5, 0)
    | unit="1", description="ICANS grade contribution of the ICE score"
consciousness_grade = piecewise(4, neuro_inflammation >= unarousable_index, 3, neuro_inflammation >= awakens_to_touch_index, 2, neuro_inflammation >= awakens_to_voice_index, 1, neuro_inflammation >= drowsy_index, 0)
    | unit="1", description="ICANS grade contribution of the level of consciousness"
icans_grade = max(ice_grade, consciousness_grade)
    | unit="1", observable=True, description="ASTCT ICANS grade of the simulated neurological state (0-4)"
'''
