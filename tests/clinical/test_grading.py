"""ASTCT CRS/ICANS grading and the legacy Lee 2014 / Penn scales (cartsim.clinical.grading).

Every case id cites the row of /work/shared/reference/clinical.md it checks (§2.1 CRS table
and footnotes, §2.2 ICANS table and footnotes, §2.3 ICE, §2.4 CAPD, §2.5 implementation rules,
§2.6 legacy scales). Expected grades are read off those tables by hand, not computed by the
code under test. Source of the consensus: Lee DW et al., Biol Blood Marrow Transplant
2019;25:625–638.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cartsim.clinical.grading import (
    CerebralEdema,
    CRSAssessment,
    GradingInputError,
    ICANSAssessment,
    ICEScore,
    LevelOfConsciousness,
    MotorFinding,
    NotGradableError,
    OxygenSupport,
    PediatricICANSAssessment,
    Seizure,
    grade_crs,
    grade_crs_lee2014,
    grade_crs_penn,
    grade_icans,
    grade_time_series,
    summarize_grades,
)
from cartsim.errors import CartsimError

FEVER = 39.0
O2 = OxygenSupport
LOC = LevelOfConsciousness

# ---------------------------------------------------------------------------------------------
# CRS (clinical.md §2.1 table + footnotes, §2.5 CRS rules)
# ---------------------------------------------------------------------------------------------

CRS_CASES = [
    # fever gate (§2.5 "Fever gate", §2.1 footnote *)
    pytest.param({"temperature_celsius": 37.0}, 0, id="§2.5 fever gate: afebrile, nothing -> 0"),
    pytest.param({"temperature_celsius": 37.99}, 0, id="§2.5 fever gate: 37.99 °C is below 38 -> 0"),
    pytest.param({"temperature_celsius": 38.0}, 1, id="§2.5 fever gate: exactly 38.0 °C is fever -> 1"),
    pytest.param({"temperature_celsius": FEVER}, 1, id="§2.5 fever alone -> 1"),
    pytest.param({}, 0, id="§2.5 fever gate: temperature not recorded, not masked -> 0"),
    pytest.param({"temperature_celsius": 37.0, "hypotension": True}, 0, id="§2.5 fever gate: hypotension without fever -> 0"),
    pytest.param(
        {"temperature_celsius": 37.0, "hypotension": True, "vasopressors": 2, "oxygen_support": O2.CPAP},
        0,
        id="§2.5 fever gate: shock + CPAP without fever or masking -> 0",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "fever_other_cause": True}, 0, id="§2.1 footnote *: fever explained by another cause -> 0"
    ),
    pytest.param(
        {"temperature_celsius": 37.0, "fever_masked_by_treatment": True, "hypotension": True, "vasopressors": 1},
        3,
        id="§2.1 footnote *: fever masked after tocilizumab, one vasopressor -> 3",
    ),
    pytest.param(
        {
            "temperature_celsius": 36.5,
            "fever_masked_by_treatment": True,
            "oxygen_support": O2.LOW_FLOW_NASAL_CANNULA,
            "oxygen_flow_l_per_min": 2,
        },
        2,
        id="§2.1 footnote *: fever masked by steroids, low-flow O2 -> 2",
    ),
    pytest.param(
        {"fever_masked_by_treatment": True, "oxygen_support": O2.FACEMASK},
        3,
        id="§2.1 footnote *: masked, temperature not recorded, facemask -> 3",
    ),
    pytest.param(
        {"temperature_celsius": 37.0, "fever_masked_by_treatment": True},
        1,
        id="§2.5 fever gate met by masking, no hypotension/hypoxia -> 1",
    ),
    # hypotension (§2.1 hypotension row, §2.5 hypotension rows)
    pytest.param({"temperature_celsius": FEVER, "hypotension": True}, 2, id="§2.1 hypotension not requiring vasopressors -> 2"),
    pytest.param({"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 1}, 3, id="§2.1 one vasopressor -> 3"),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressin": True},
        3,
        id="§2.5 vasopressin alone is 'a vasopressor' -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 1, "vasopressin": True},
        3,
        id="§2.5 vasopressin + one other agent is not 'multiple' -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 2},
        4,
        id="§2.1 multiple vasopressors (excluding vasopressin) -> 4",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 2, "vasopressin": True},
        4,
        id="§2.1 two vasopressors + vasopressin -> 4",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 2, "hypotension_other_cause": True},
        1,
        id="§2.5 attribution: hypotension explained by another cause is ignored -> 1",
    ),
    # hypoxia (§2.1 hypoxia row, footnote ‡, §2.5 hypoxia rows)
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.LOW_FLOW_NASAL_CANNULA, "oxygen_flow_l_per_min": 6.0},
        2,
        id="§2.1 footnote ‡: low-flow cannula at exactly 6 L/min -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.LOW_FLOW_NASAL_CANNULA},
        2,
        id="§2.1 low-flow nasal cannula, flow not recorded -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.NASAL_CANNULA, "oxygen_flow_l_per_min": 6.0},
        2,
        id="§2.1 footnote ‡: cannula at 6 L/min is low flow -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.NASAL_CANNULA, "oxygen_flow_l_per_min": 6.1},
        3,
        id="§2.1 footnote ‡: cannula at 6.1 L/min is high flow -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.HIGH_FLOW_NASAL_CANNULA, "oxygen_flow_l_per_min": 6.1},
        3,
        id="§2.1 high-flow nasal cannula > 6 L/min -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.BLOW_BY}, 2, id="§2.1 footnote ‡: blow-by counts as low flow -> 2"
    ),
    pytest.param({"temperature_celsius": FEVER, "oxygen_support": O2.FACEMASK}, 3, id="§2.1 facemask -> 3"),
    pytest.param({"temperature_celsius": FEVER, "oxygen_support": O2.NONREBREATHER_MASK}, 3, id="§2.1 nonrebreather mask -> 3"),
    pytest.param({"temperature_celsius": FEVER, "oxygen_support": O2.VENTURI_MASK}, 3, id="§2.1 Venturi mask -> 3"),
    pytest.param({"temperature_celsius": FEVER, "oxygen_support": O2.CPAP}, 4, id="§2.1 positive pressure: CPAP -> 4"),
    pytest.param({"temperature_celsius": FEVER, "oxygen_support": O2.BIPAP}, 4, id="§2.1 positive pressure: BiPAP -> 4"),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.MECHANICAL_VENTILATION},
        4,
        id="§2.1 intubation and mechanical ventilation -> 4",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.FACEMASK, "hypoxia_other_cause": True},
        1,
        id="§2.5 attribution: hypoxia explained by another cause is ignored -> 1",
    ),
    # combination (§2.1 footnote †, §2.5 "Combination")
    pytest.param(
        {
            "temperature_celsius": 39.5,
            "hypotension": True,
            "vasopressors": 1,
            "oxygen_support": O2.LOW_FLOW_NASAL_CANNULA,
            "oxygen_flow_l_per_min": 2,
        },
        3,
        id="§2.1 footnote † worked example: 39.5 °C + one vasopressor + low-flow cannula -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "oxygen_support": O2.FACEMASK},
        3,
        id="§2.1 footnote †: fluid-responsive hypotension + facemask, hypoxia more severe -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 2, "oxygen_support": O2.BLOW_BY},
        4,
        id="§2.1 footnote †: multiple vasopressors + blow-by, hypotension more severe -> 4",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 1, "oxygen_support": O2.CPAP},
        4,
        id="§2.1 footnote †: one vasopressor + CPAP -> 4",
    ),
]


@pytest.mark.parametrize(("inputs", "expected"), CRS_CASES)
def test_crs_grade(inputs: dict[str, Any], expected: int) -> None:
    assert grade_crs(CRSAssessment(**inputs)) == expected


# ---------------------------------------------------------------------------------------------
# ICANS, adults and children > 12 y (clinical.md §2.2 table + footnotes, §2.3 ICE, §2.5 ICANS rules)
# ---------------------------------------------------------------------------------------------

ICANS_CASES = [
    pytest.param({"ice_score": 10}, 0, id="§2.5 ICE 10, alert -> 0"),
    pytest.param({}, 0, id="§2.5 ICE not assessed, alert, nothing else -> 0"),
    pytest.param({"ice_score": 9}, 1, id="§2.2 ICE 9 (7–9) -> 1"),
    pytest.param({"ice_score": 7}, 1, id="§2.2 ICE 7 (7–9) -> 1"),
    pytest.param({"ice_score": 6}, 2, id="§2.2 ICE 6 (3–6) -> 2"),
    pytest.param({"ice_score": 3}, 2, id="§2.2 ICE 3 (3–6) -> 2"),
    pytest.param({"ice_score": 2}, 3, id="§2.2 ICE 2 (0–2) -> 3"),
    pytest.param({"ice_score": 1}, 3, id="§2.2 ICE 1 (0–2) -> 3"),
    pytest.param({"ice_score": 0}, 3, id="§2.2 footnote **: ICE 0, awake with global aphasia -> 3"),
    pytest.param({"ice_score": 0, "level_of_consciousness": LOC.UNAROUSABLE}, 4, id="§2.2 footnote **: ICE 0, unarousable -> 4"),
    pytest.param({"level_of_consciousness": LOC.UNAROUSABLE}, 4, id="§2.2 ICE 0 row: unarousable, unable to perform ICE -> 4"),
    pytest.param(
        {"ice_score": 10, "level_of_consciousness": LOC.AWAKENS_SPONTANEOUSLY},
        1,
        id="§2.5 consciousness alone: ICE 10 but awakens spontaneously -> 1",
    ),
    pytest.param({"ice_score": 10, "level_of_consciousness": LOC.AWAKENS_TO_VOICE}, 2, id="§2.2 awakens to voice -> 2"),
    pytest.param(
        {"ice_score": 8, "level_of_consciousness": LOC.AWAKENS_TO_TACTILE_STIMULUS},
        3,
        id="§2.2 awakens only to tactile stimulus -> 3",
    ),
    pytest.param(
        {"ice_score": 10, "level_of_consciousness": LOC.AWAKENS_TO_TACTILE_STIMULUS, "consciousness_other_cause": True},
        0,
        id="§2.2 footnote †: depressed consciousness from sedation is ignored -> 0",
    ),
    pytest.param({"ice_score": 10, "seizure": Seizure.RAPIDLY_RESOLVING}, 3, id="§2.2 seizure resolving rapidly -> 3"),
    pytest.param({"ice_score": 10, "seizure": Seizure.PROLONGED_OR_REPETITIVE}, 4, id="§2.2 seizure > 5 min or repetitive -> 4"),
    pytest.param(
        {"ice_score": 3, "seizure": Seizure.RAPIDLY_RESOLVING}, 3, id="§2.2 worked example: ICE 3 + generalised seizure -> 3"
    ),
    pytest.param(
        {"ice_score": 9, "motor_finding": MotorFinding.DEEP_FOCAL_WEAKNESS},
        4,
        id="§2.2 motor: deep focal weakness (hemiparesis) -> 4",
    ),
    pytest.param({"ice_score": 10, "motor_finding": MotorFinding.TREMOR}, 0, id="§2.2 footnote ‡: tremor excluded -> 0"),
    pytest.param(
        {"ice_score": 9, "motor_finding": MotorFinding.MYOCLONUS}, 1, id="§2.2 footnote ‡: myoclonus excluded, ICE 9 decides -> 1"
    ),
    pytest.param({"ice_score": 10, "cerebral_edema": CerebralEdema.FOCAL_EDEMA}, 3, id="§2.2 focal/local edema -> 3"),
    pytest.param({"ice_score": 10, "cerebral_edema": CerebralEdema.DIFFUSE_EDEMA}, 4, id="§2.2 diffuse cerebral edema -> 4"),
    pytest.param(
        {"ice_score": 5, "cerebral_edema": CerebralEdema.POSTURING}, 4, id="§2.2 decerebrate/decorticate posturing -> 4"
    ),
    pytest.param(
        {"ice_score": 10, "cerebral_edema": CerebralEdema.CRANIAL_NERVE_VI_PALSY}, 4, id="§2.2 cranial nerve VI palsy -> 4"
    ),
    pytest.param({"ice_score": 10, "cerebral_edema": CerebralEdema.PAPILLEDEMA}, 4, id="§2.2 papilledema -> 4"),
    pytest.param({"ice_score": 10, "cerebral_edema": CerebralEdema.CUSHINGS_TRIAD}, 4, id="§2.2 Cushing's triad -> 4"),
    pytest.param(
        {"ice_score": 10, "cerebral_edema": CerebralEdema.INTRACRANIAL_HEMORRHAGE},
        0,
        id="§2.2 footnote §: intracranial haemorrhage excluded -> 0",
    ),
    pytest.param(
        {"ice_score": ICEScore(orientation=4, naming=3, following_commands=1, writing=1, attention=1)},
        0,
        id="§2.3 ICE items all correct = 10 -> 0",
    ),
    pytest.param(
        {"ice_score": ICEScore(orientation=2, naming=3, following_commands=1, writing=1, attention=0)},
        1,
        id="§2.3 ICE items 2+3+1+1+0 = 7 -> 1",
    ),
    pytest.param(
        {"ice_score": ICEScore(orientation=1, naming=1, following_commands=0, writing=1, attention=0)},
        2,
        id="§2.3 ICE items 1+1+0+1+0 = 3 -> 2",
    ),
    pytest.param(
        {"ice_score": ICEScore(orientation=1, naming=0, following_commands=1, writing=0, attention=0)},
        3,
        id="§2.3 ICE items 1+0+1+0+0 = 2 -> 3",
    ),
]


@pytest.mark.parametrize(("inputs", "expected"), ICANS_CASES)
def test_icans_grade(inputs: dict[str, Any], expected: int) -> None:
    assert grade_icans(ICANSAssessment(**inputs)) == expected


def test_ice_score_total_of_items() -> None:
    """§2.3: orientation 4 + naming 3 + commands 1 + writing 1 + attention 1 = 10 points."""
    assert ICEScore(orientation=4, naming=3, following_commands=1, writing=1, attention=1).total == 10
    assert ICEScore(orientation=3, naming=2, following_commands=0, writing=1, attention=0).total == 6
    items = ICEScore(orientation=3, naming=2, following_commands=0, writing=1, attention=0)
    assert ICANSAssessment(ice_score=items).ice_score == 6


# ---------------------------------------------------------------------------------------------
# ICANS, children ≤ 12 y with CAPD (clinical.md §2.4; §2.5 "For children ≤12 years")
# ---------------------------------------------------------------------------------------------

PEDIATRIC_CASES = [
    pytest.param({"capd_score": 0}, 0, id="§2.4 CAPD 0 contributes nothing (1–8 floor, documented choice) -> 0"),
    pytest.param({"capd_score": 1}, 1, id="§2.4 grade 1: CAPD 1 (<9), awakens spontaneously -> 1"),
    pytest.param(
        {"capd_score": 8, "level_of_consciousness": LOC.AWAKENS_SPONTANEOUSLY},
        1,
        id="§2.4 grade 1: CAPD 8 (<9) and awakens spontaneously -> 1",
    ),
    pytest.param(
        {"capd_score": 8, "level_of_consciousness": LOC.AWAKENS_TO_VOICE}, 2, id="§2.4 grade 2: CAPD <9 and awakens to voice -> 2"
    ),
    pytest.param({"capd_score": 9}, 3, id="§2.4 grade 3: CAPD ≥9 (cut-point 9) -> 3"),
    pytest.param({"capd_score": 32}, 3, id="§2.4 grade 3: CAPD 32 (maximum) -> 3"),
    pytest.param(
        {"capd_score": 3, "level_of_consciousness": LOC.AWAKENS_TO_TACTILE_STIMULUS},
        3,
        id="§2.4 grade 3: awakens only to tactile stimulus -> 3",
    ),
    pytest.param({"capd_score": 3, "seizure": Seizure.RAPIDLY_RESOLVING}, 3, id="§2.4 grade 3: rapidly resolving seizure -> 3"),
    pytest.param({"capd_score": 3, "cerebral_edema": CerebralEdema.FOCAL_EDEMA}, 3, id="§2.4 grade 3: focal edema -> 3"),
    pytest.param({"unable_to_perform_capd": True}, 4, id="§2.4 grade 4: unable to perform CAPD -> 4"),
    pytest.param({"level_of_consciousness": LOC.UNAROUSABLE}, 4, id="§2.4 grade 4: unarousable -> 4"),
    pytest.param({"capd_score": 2, "seizure": Seizure.PROLONGED_OR_REPETITIVE}, 4, id="§2.4 grade 4: seizure > 5 min -> 4"),
    pytest.param(
        {"capd_score": 2, "motor_finding": MotorFinding.DEEP_FOCAL_WEAKNESS}, 4, id="§2.4 grade 4: deep focal motor weakness -> 4"
    ),
    pytest.param({"capd_score": 2, "cerebral_edema": CerebralEdema.PAPILLEDEMA}, 4, id="§2.4 grade 4: papilledema -> 4"),
    pytest.param({"capd_score": 12, "rass": -3}, 3, id="§2.4 note: CAPD valid at RASS -3 -> 3"),
    pytest.param({"rass": -5, "level_of_consciousness": LOC.UNAROUSABLE}, 4, id="§2.4 note: RASS -5, no CAPD, unarousable -> 4"),
]


@pytest.mark.parametrize(("inputs", "expected"), PEDIATRIC_CASES)
def test_pediatric_icans_grade(inputs: dict[str, Any], expected: int) -> None:
    assert grade_icans(PediatricICANSAssessment(**inputs)) == expected


# ---------------------------------------------------------------------------------------------
# Legacy scales (clinical.md §2.6)
# ---------------------------------------------------------------------------------------------

NO_ORGAN_LEE = {"organ_toxicity_grade": 0, "transaminitis_grade": 0}
NO_ORGAN_PENN = {
    "hospitalized_or_iv_therapy": False,
    "creatinine_grade": 0,
    "liver_enzyme_grade": 0,
    "coagulopathy_needing_plasma": False,
}
WORKED_EXAMPLE = {
    "temperature_celsius": 39.5,
    "hypotension": True,
    "vasopressors": 1,
    "oxygen_support": O2.LOW_FLOW_NASAL_CANNULA,
    "oxygen_flow_l_per_min": 2,
}

LEE_CASES = [
    pytest.param({"temperature_celsius": 37.0}, {}, 0, id="§2.6 Lee 2014: no CRS (ASTCT fever gate not met) -> 0"),
    pytest.param({"temperature_celsius": FEVER}, NO_ORGAN_LEE, 1, id="§2.6 Lee 2014 grade 1: fever only -> 1"),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.FACEMASK},
        {**NO_ORGAN_LEE, "fio2_percent": 39.0},
        2,
        id="§2.6 Lee 2014 grade 2: O2 < 40% -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.FACEMASK},
        {**NO_ORGAN_LEE, "fio2_percent": 40.0},
        3,
        id="§2.6 Lee 2014 grade 3: O2 ≥ 40% -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.MECHANICAL_VENTILATION},
        {},
        4,
        id="§2.6 Lee 2014 grade 4: mechanical ventilation, organ inputs not needed -> 4",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True},
        NO_ORGAN_LEE,
        2,
        id="§2.6 Lee 2014 grade 2: hypotension responsive to fluids -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 1},
        {**NO_ORGAN_LEE, "high_dose_vasopressor": False},
        2,
        id="§2.6 Lee 2014 grade 2: low-dose single pressor -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 1},
        {**NO_ORGAN_LEE, "high_dose_vasopressor": True},
        3,
        id="§2.6 Lee 2014 grade 3: high-dose pressor -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 1, "vasopressin": True},
        NO_ORGAN_LEE,
        3,
        id="§2.6 Lee 2014 grade 3: multiple pressors (vasopressin counts, documented) -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER},
        {"organ_toxicity_grade": 2, "transaminitis_grade": 0},
        2,
        id="§2.6 Lee 2014 grade 2: grade 2 organ toxicity -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER},
        {"organ_toxicity_grade": 3, "transaminitis_grade": 0},
        3,
        id="§2.6 Lee 2014 grade 3: grade 3 organ toxicity -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER},
        {"organ_toxicity_grade": 0, "transaminitis_grade": 4},
        3,
        id="§2.6 Lee 2014 grade 3: grade 4 transaminitis -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER},
        {"organ_toxicity_grade": 4},
        4,
        id="§2.6 Lee 2014 grade 4: grade 4 organ toxicity (not transaminitis) -> 4",
    ),
    pytest.param(
        WORKED_EXAMPLE,
        {**NO_ORGAN_LEE, "fio2_percent": 28.0, "high_dose_vasopressor": False},
        2,
        id="§2.6 Lee 2014: ASTCT worked example (ASTCT 3) with low-dose pressor, FiO2 28% -> 2",
    ),
]

PENN_CASES = [
    pytest.param({"temperature_celsius": 37.0}, {}, 0, id="§2.6 Penn: no CRS -> 0"),
    pytest.param({"temperature_celsius": FEVER}, NO_ORGAN_PENN, 1, id="§2.6 Penn grade 1: supportive care only -> 1"),
    pytest.param(
        {"temperature_celsius": FEVER},
        {**NO_ORGAN_PENN, "hospitalized_or_iv_therapy": True},
        2,
        id="§2.6 Penn grade 2: hospitalization / IV therapies -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER},
        {**NO_ORGAN_PENN, "creatinine_grade": 2},
        2,
        id="§2.6 Penn grade 2: creatinine ≤ grade 2 -> 2",
    ),
    pytest.param(
        {"temperature_celsius": FEVER}, {**NO_ORGAN_PENN, "liver_enzyme_grade": 3}, 2, id="§2.6 Penn grade 2: LFTs ≤ grade 3 -> 2"
    ),
    pytest.param(
        {"temperature_celsius": FEVER},
        {**NO_ORGAN_PENN, "creatinine_grade": 3},
        3,
        id="§2.6 Penn grade 3: grade 3 creatinine -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER}, {**NO_ORGAN_PENN, "liver_enzyme_grade": 4}, 3, id="§2.6 Penn grade 3: grade 4 LFTs -> 3"
    ),
    pytest.param(
        {"temperature_celsius": FEVER},
        {**NO_ORGAN_PENN, "coagulopathy_needing_plasma": True},
        3,
        id="§2.6 Penn grade 3: coagulopathy needing FFP/cryo -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True},
        NO_ORGAN_PENN,
        3,
        id="§2.6 Penn grade 3: hypotension treated with IV fluids -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.BLOW_BY},
        {},
        3,
        id="§2.6 Penn grade 3: any supplemental O2 (blow-by), organ inputs not needed -> 3",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "hypotension": True, "vasopressors": 1},
        {"high_dose_vasopressor": True},
        4,
        id="§2.6 Penn grade 4: high-dose pressors -> 4",
    ),
    pytest.param(
        {"temperature_celsius": FEVER, "oxygen_support": O2.MECHANICAL_VENTILATION},
        {},
        4,
        id="§2.6 Penn grade 4: mechanical ventilation -> 4",
    ),
    pytest.param(
        WORKED_EXAMPLE,
        {"high_dose_vasopressor": False},
        3,
        id="§2.6 Penn: ASTCT worked example with low-dose pressor and nasal cannula -> 3",
    ),
]


@pytest.mark.parametrize(("inputs", "legacy_inputs", "expected"), LEE_CASES)
def test_lee2014_grade(inputs: dict[str, Any], legacy_inputs: dict[str, Any], expected: int) -> None:
    assert grade_crs_lee2014(CRSAssessment(**inputs), **legacy_inputs) == expected


@pytest.mark.parametrize(("inputs", "legacy_inputs", "expected"), PENN_CASES)
def test_penn_grade(inputs: dict[str, Any], legacy_inputs: dict[str, Any], expected: int) -> None:
    assert grade_crs_penn(CRSAssessment(**inputs), **legacy_inputs) == expected


def test_penn_any_oxygen_is_grade_3_where_astct_is_2() -> None:
    """§0.4 / §2.6: Penn grades any supplemental O2 as 3; ASTCT grades low-flow cannula as 2."""
    assessment = CRSAssessment(temperature_celsius=FEVER, oxygen_support=O2.LOW_FLOW_NASAL_CANNULA, oxygen_flow_l_per_min=1)
    assert grade_crs(assessment) == 2
    assert grade_crs_penn(assessment) == 3


NOT_GRADABLE_CASES = [
    pytest.param(
        lambda: grade_crs_lee2014(CRSAssessment(temperature_celsius=FEVER)),
        r"Lee 2014 .* between 1 and 4 depending on organ_toxicity_grade, transaminitis_grade",
        id="§2.6 Lee 2014: organ toxicity unknown -> not gradable",
    ),
    pytest.param(
        lambda: grade_crs_lee2014(CRSAssessment(temperature_celsius=FEVER, oxygen_support=O2.FACEMASK), **NO_ORGAN_LEE),
        r"between 2 and 3 depending on fio2_percent",
        id="§2.6 Lee 2014: O2 without FiO2 -> not gradable",
    ),
    pytest.param(
        lambda: grade_crs_lee2014(CRSAssessment(temperature_celsius=FEVER, hypotension=True, vasopressors=1), **NO_ORGAN_LEE),
        r"between 2 and 3 depending on high_dose_vasopressor",
        id="§2.6 Lee 2014: single pressor, dose unknown",
    ),
    pytest.param(
        lambda: grade_crs_penn(CRSAssessment(temperature_celsius=FEVER, hypotension=True, vasopressors=1)),
        r"Penn .* between 3 and 4 depending on high_dose_vasopressor",
        id="§2.6 Penn: pressor dose unknown",
    ),
    pytest.param(
        lambda: grade_crs_penn(CRSAssessment(temperature_celsius=FEVER)),
        r"between 1 and 3 depending on coagulopathy_needing_plasma, creatinine_grade, hospitalized_or_iv_therapy",
        id="§2.6 Penn: hospitalization and organ inputs unknown",
    ),
]


@pytest.mark.parametrize(("call", "message"), NOT_GRADABLE_CASES)
def test_legacy_not_gradable(call: Callable[[], int], message: str) -> None:
    with pytest.raises(NotGradableError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# Bad inputs: rejected at construction, naming field, value, unit and what is allowed
# ---------------------------------------------------------------------------------------------

BAD_INPUT_CASES = [
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=98.6),
        r"temperature_celsius = 98\.6 °C is not allowed; it must be in \[30, 45\] °C",
        id="temperature in °F",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=29.9),
        r"temperature_celsius = 29\.9 °C .*\[30, 45\]",
        id="temperature below 30 °C",
    ),
    pytest.param(lambda: CRSAssessment(temperature_celsius=math.inf), r"temperature_celsius = inf °C", id="temperature infinite"),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius="hot"),
        r"temperature_celsius = 'hot' is not a number",
        id="temperature not a number",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, oxygen_support=O2.FACEMASK, oxygen_flow_l_per_min=-1),
        r"oxygen_flow_l_per_min = -1 L/min .*\[0, 100\] L/min",
        id="negative oxygen flow",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, oxygen_support=O2.LOW_FLOW_NASAL_CANNULA, oxygen_flow_l_per_min=6.1),
        r"oxygen_flow_l_per_min = 6\.1 L/min is inconsistent with oxygen_support = 'low_flow_nasal_cannula'",
        id="§2.1 footnote ‡: low-flow cannula at 6.1 L/min",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, oxygen_support=O2.HIGH_FLOW_NASAL_CANNULA, oxygen_flow_l_per_min=6),
        r"oxygen_flow_l_per_min = 6 L/min is inconsistent with oxygen_support = 'high_flow_nasal_cannula'",
        id="§2.1 footnote ‡: high-flow cannula at 6 L/min",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, oxygen_support=O2.NASAL_CANNULA),
        r"'nasal_cannula' needs oxygen_flow_l_per_min",
        id="cannula of unstated type without flow",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, oxygen_flow_l_per_min=2),
        r"oxygen_support = 'none' but oxygen_flow_l_per_min = 2 L/min",
        id="flow without device",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, oxygen_support="helmet"),
        r"oxygen_support = 'helmet' is not a valid OxygenSupport; allowed: 'none', 'blow_by'",
        id="unknown oxygen device",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, hypotension=True, vasopressors=-1),
        r"vasopressors = -1 agents \(vasopressin excluded\) .*whole number in \[0, 10\]",
        id="negative vasopressor count",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, hypotension=True, vasopressors=1.5),
        r"vasopressors = 1\.5 .*whole number",
        id="fractional vasopressor count",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, vasopressin=True),
        r"hypotension = False; a vasopressor is graded only as treatment of hypotension",
        id="vasopressor without hypotension",
    ),
    pytest.param(
        lambda: CRSAssessment(temperature_celsius=FEVER, hypotension="yes"),
        r"hypotension = 'yes' is not allowed; use True or False",
        id="flag not a bool",
    ),
    pytest.param(lambda: ICANSAssessment(ice_score=11), r"ice_score = 11 points .*whole number in \[0, 10\]", id="§2.3 ICE 11"),
    pytest.param(lambda: ICANSAssessment(ice_score=-1), r"ice_score = -1 points", id="§2.3 ICE -1"),
    pytest.param(lambda: ICANSAssessment(ice_score=5.5), r"ice_score = 5\.5 points .*whole number", id="§2.3 ICE 5.5"),
    pytest.param(
        lambda: ICEScore(orientation=5, naming=3, following_commands=1, writing=1, attention=1),
        r"ICE item orientation = 5 points .*\[0, 4\]",
        id="§2.3 orientation item > 4",
    ),
    pytest.param(
        lambda: ICEScore(orientation=4, naming=3, following_commands=2, writing=1, attention=1),
        r"ICE item following_commands = 2 points .*\[0, 1\]",
        id="§2.3 commands item > 1",
    ),
    pytest.param(
        lambda: ICANSAssessment(ice_score=5, level_of_consciousness=LOC.UNAROUSABLE),
        r"ice_score = 5 points but level_of_consciousness = 'unarousable'",
        id="§2.2 unarousable patient with ICE > 0",
    ),
    pytest.param(
        lambda: ICANSAssessment(seizure="grand_mal"),
        r"seizure = 'grand_mal' is not a valid Seizure; allowed: 'none', 'rapidly_resolving'",
        id="unknown seizure",
    ),
    pytest.param(
        lambda: ICANSAssessment(level_of_consciousness="drowsy"),
        r"level_of_consciousness = 'drowsy' is not a valid LevelOfConsciousness",
        id="unknown consciousness",
    ),
    pytest.param(lambda: PediatricICANSAssessment(capd_score=33), r"capd_score = 33 points .*\[0, 32\]", id="§2.4 CAPD 33"),
    pytest.param(
        lambda: PediatricICANSAssessment(capd_score=4, unable_to_perform_capd=True),
        r"capd_score = 4 points but unable_to_perform_capd = True",
        id="§2.4 CAPD score and unable",
    ),
    pytest.param(
        lambda: PediatricICANSAssessment(capd_score=10, rass=-4),
        r"capd_score = 10 points is not valid at rass = -4",
        id="§2.4 note: CAPD at RASS -4",
    ),
    pytest.param(lambda: PediatricICANSAssessment(rass=-6), r"rass = -6 is not allowed; .*\[-5, 4\]", id="RASS -6"),
    pytest.param(
        lambda: grade_crs_lee2014(CRSAssessment(temperature_celsius=FEVER), fio2_percent=10),
        r"fio2_percent = 10 % .*\[21, 100\] %",
        id="§2.6 Lee FiO2 below room air",
    ),
    pytest.param(
        lambda: grade_crs_lee2014(CRSAssessment(temperature_celsius=FEVER), organ_toxicity_grade=5),
        r"organ_toxicity_grade = 5 .*CTCAE v5\.0 grade",
        id="§2.6 organ toxicity grade 5",
    ),
    pytest.param(
        lambda: grade_crs_penn(CRSAssessment(temperature_celsius=FEVER), creatinine_grade=-1),
        r"creatinine_grade = -1 .*\[0, 4\]",
        id="§2.6 creatinine grade -1",
    ),
]


@pytest.mark.parametrize(("make", "message"), BAD_INPUT_CASES)
def test_bad_input_is_rejected(make: Callable[[], object], message: str) -> None:
    with pytest.raises(GradingInputError, match=message) as caught:
        make()
    assert isinstance(caught.value, CartsimError)
    assert isinstance(caught.value, ValueError)


def test_assessments_are_immutable_and_normalise_enum_strings() -> None:
    assessment = CRSAssessment(temperature_celsius=FEVER, oxygen_support="facemask")
    assert assessment.oxygen_support is OxygenSupport.FACEMASK
    with pytest.raises(AttributeError):
        assessment.temperature_celsius = 36.0


# ---------------------------------------------------------------------------------------------
# Time series of many patients (long DataFrame -> daily grades -> per-patient summary)
# ---------------------------------------------------------------------------------------------


def _cohort() -> pd.DataFrame:
    """Four hand-made patients; expected grades are written next to each row (§2.1/§2.2 tables)."""
    rows = [
        # patient, day, temp, masked, hypotension, vasopressors, oxygen, flow, ice, consciousness   CRS  ICANS
        ("A", 0, 37.0, False, False, 0, "none", None, 10, "alert"),  # 0    0
        ("A", 1, 38.5, False, False, 0, "none", None, 10, "alert"),  # 1    0
        ("A", 2, 39.0, False, True, 0, "none", None, 8, "alert"),  # 2    1
        ("A", 3, 37.2, True, True, 1, "nasal_cannula", 8.0, 3, "awakens_to_voice"),  # 3    2
        ("A", 4, 37.0, True, False, 0, "none", None, 7, "awakens_spontaneously"),  # 1    1
        ("A", 5, 36.8, False, False, 0, "none", None, 10, "alert"),  # 0    0
        ("A", 6, 36.9, False, False, 0, "none", None, 10, "alert"),  # 0    0
        ("B", 0, 38.0, False, False, 0, "none", None, None, "alert"),  # 1    0
        ("B", 1, 37.0, False, False, 0, "none", None, None, "alert"),  # 0    0
        ("B", 2, 38.2, False, False, 0, "low_flow_nasal_cannula", 2.0, 2, "alert"),  # 2    3
        ("B", 3, 37.1, False, False, 0, "none", None, 10, "alert"),  # 0    0
        ("C", 0, 36.6, False, False, 0, "none", None, 10, "alert"),  # 0    0
        ("C", 1, 36.7, False, False, 0, "none", None, 10, "alert"),  # 0    0
        ("D", 0, 37.0, False, False, 0, "none", None, 10, "alert"),  # 0    0
        ("D", 1, 39.1, False, True, 2, "cpap", None, 0, "unarousable"),  # 4    4
    ]
    columns = [
        "patient_id",
        "day",
        "temperature_celsius",
        "fever_masked_by_treatment",
        "hypotension",
        "vasopressors",
        "oxygen_support",
        "oxygen_flow_l_per_min",
        "ice_score",
        "level_of_consciousness",
    ]
    return pd.DataFrame(rows, columns=columns)


EXPECTED_CRS = [0, 1, 2, 3, 1, 0, 0, 1, 0, 2, 0, 0, 0, 0, 4]
EXPECTED_ICANS = [0, 0, 1, 2, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4]


def test_time_series_daily_grades() -> None:
    daily = grade_time_series(_cohort())
    assert list(daily.columns) == ["patient_id", "day", "crs_grade", "icans_grade"]
    assert daily["crs_grade"].tolist() == EXPECTED_CRS
    assert daily["icans_grade"].tolist() == EXPECTED_ICANS


def test_time_series_summary() -> None:
    """Max, onset (first day ≥1), duration (days ≥1), resolution (first 0 after the last episode)."""
    summary = summarize_grades(grade_time_series(_cohort()))
    nan = math.nan
    expected = pd.DataFrame(
        {
            "crs_max_grade": [3, 2, 0, 4],
            "crs_onset_day": [1.0, 0.0, nan, 1.0],
            "crs_duration_days": [4, 2, 0, 1],
            "crs_resolution_day": [5.0, 3.0, nan, nan],
            "icans_max_grade": [2, 3, 0, 4],
            "icans_onset_day": [2.0, 2.0, nan, 1.0],
            "icans_duration_days": [3, 1, 0, 1],
            "icans_resolution_day": [5.0, 3.0, nan, nan],
        },
        index=pd.Index(["A", "B", "C", "D"], name="patient_id"),
    )
    pd.testing.assert_frame_equal(summary, expected, check_dtype=False)
    assert summary["crs_duration_days"].dtype.kind == "i"


def test_time_series_equals_one_assessment_at_a_time() -> None:
    """Batch equals loop: the vectorised grader agrees with the single-assessment graders row by row."""
    cohort = _cohort()
    crs_fields = [
        "temperature_celsius",
        "fever_masked_by_treatment",
        "hypotension",
        "vasopressors",
        "oxygen_support",
        "oxygen_flow_l_per_min",
    ]
    loop_crs, loop_icans = [], []
    for record in cohort.to_dict("records"):
        crs_inputs = {name: record[name] for name in crs_fields}
        if isinstance(crs_inputs["oxygen_flow_l_per_min"], float) and math.isnan(crs_inputs["oxygen_flow_l_per_min"]):
            crs_inputs["oxygen_flow_l_per_min"] = None
        loop_crs.append(grade_crs(CRSAssessment(**crs_inputs)))
        ice = None if pd.isna(record["ice_score"]) else int(record["ice_score"])
        loop_icans.append(grade_icans(ICANSAssessment(ice_score=ice, level_of_consciousness=record["level_of_consciousness"])))
    daily = grade_time_series(cohort)
    assert daily["crs_grade"].tolist() == loop_crs == EXPECTED_CRS
    assert daily["icans_grade"].tolist() == loop_icans == EXPECTED_ICANS


def test_time_series_row_order_does_not_matter() -> None:
    cohort = _cohort()
    shuffled = cohort.sample(frac=1.0, random_state=np.random.RandomState(7))
    daily = grade_time_series(shuffled)
    pd.testing.assert_index_equal(daily.index, shuffled.index)
    assert daily.sort_index()["crs_grade"].tolist() == EXPECTED_CRS
    pd.testing.assert_frame_equal(summarize_grades(daily), summarize_grades(grade_time_series(cohort)))


def test_time_series_mixes_adults_and_children_and_enum_members() -> None:
    """§2.4: rows of children carry CAPD, rows of adults carry ICE; enum members work as column values."""
    frame = pd.DataFrame(
        {
            "patient_id": [1, 1, 2, 2],
            "day": [0, 1, 0, 1],
            "ice_score": [10, 6, None, None],
            "capd_score": [None, None, 4, 12],
            "seizure": [Seizure.NONE, Seizure.NONE, Seizure.NONE, Seizure.PROLONGED_OR_REPETITIVE],
        }
    )
    daily = grade_time_series(frame)
    assert "crs_grade" not in daily.columns
    assert daily["icans_grade"].tolist() == [0, 2, 1, 4]


def test_time_series_crs_only() -> None:
    frame = pd.DataFrame({"patient_id": [1, 1], "day": [0.0, 0.5], "temperature_celsius": [37.5, 38.0]})
    daily = grade_time_series(frame)
    assert list(daily.columns) == ["patient_id", "day", "crs_grade"]
    assert daily["crs_grade"].tolist() == [0, 1]


TIME_SERIES_BAD_CASES = [
    pytest.param(pd.DataFrame({"patient_id": [1], "temperature_celsius": [38.0]}), r"no day column", id="no day column"),
    pytest.param(
        pd.DataFrame({"patient_id": [1, 1], "day": [0, 0], "temperature_celsius": [38.0, 37.0]}),
        r"duplicated \(patient_id, day\).*\(row 1, patient_id=1, day=0\)",
        id="duplicated patient-day",
    ),
    pytest.param(
        pd.DataFrame({"patient_id": [1, 2], "day": [0, 3], "temperature_celsius": [38.0, 101.0]}),
        r"temperature_celsius = 101 °C .*\[30, 45\] °C.*\(row 1, patient_id=2, day=3\)",
        id="bad value names its row",
    ),
    pytest.param(
        pd.DataFrame({"patient_id": [7], "day": [2], "ice_score": [3], "capd_score": [5]}),
        r"both ice_score = 3 and a CAPD assessment.*patient_id=7",
        id="§2.4 ICE and CAPD on one row",
    ),
    pytest.param(
        pd.DataFrame({"patient_id": [1], "day": [0], "weight_kg": [70.0]}),
        r"no grading input column",
        id="no grading input column",
    ),
    pytest.param(
        pd.DataFrame({"patient_id": [1], "day": [math.nan], "temperature_celsius": [38.0]}), r"day = nan days", id="missing day"
    ),
]


@pytest.mark.parametrize(("frame", "message"), TIME_SERIES_BAD_CASES)
def test_time_series_bad_input(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(GradingInputError, match=message):
        grade_time_series(frame)


def test_summary_needs_grade_columns() -> None:
    with pytest.raises(GradingInputError, match=re.escape("missing: a *_grade column")):
        summarize_grades(pd.DataFrame({"patient_id": [1], "day": [0]}))


def test_case_table_size() -> None:
    """The brief asks for at least 40 grading cases; keep the table from shrinking unnoticed."""
    grading_cases = CRS_CASES + ICANS_CASES + PEDIATRIC_CASES + LEE_CASES + PENN_CASES
    assert len(grading_cases) >= 40


def test_time_series_empty_table_keeps_its_columns() -> None:
    """Output shape never depends on N (design.md): zero rows give the same columns."""
    daily = grade_time_series(pd.DataFrame({"patient_id": [], "day": [], "temperature_celsius": [], "ice_score": []}))
    assert list(daily.columns) == ["patient_id", "day", "crs_grade", "icans_grade"]
    summary = summarize_grades(daily)
    assert len(summary) == 0
    assert list(summary.columns) == [f"{name}_{field}" for name in ("crs", "icans")
                                     for field in ("max_grade", "onset_day", "duration_days", "resolution_day")]
