"""Response criteria: hand-worked cases at every threshold of clinical.md §3.

Each table row names the clinical.md rule it checks (``rule``) and is worked by hand on both
sides of its boundary (e.g. an SPD decrease of exactly 50 % and of 49.9 %). Values are chosen so
that the arithmetic is visible in the case itself: ``4 x 2.5 = 10 cm²`` and so on.

- §3.1 Lugano 2014 CT: SPD PR (>= 50 %), nodal CR (LDi <= 1.5 cm), extranodal CR (0 x 0), the
  individual-lesion PD rule (LDi > 1.5 cm, PPD >= +50 % from nadir, +0.5 / +1.0 cm step by lesion
  size), new lesions (> 1.5 cm, extranodal > 1 cm; also through the long table's new-lesion
  columns), and the Deauville 5PS for PET-CT.
- §3.2 B-ALL: CR (< 5 % blasts, ANC >= 1.0, platelets >= 100), CRi, PR (<= 25 %, >= 50 % fall),
  PD (+25 % from nadir, new extramedullary disease), relapse after CR, 4-week remission, MRD < 1e-4.
- §3.3 IMWG: 90 / 50 / 25 % serum and 90 / 50 % urine reductions, urine < 100 / < 200 mg/24 h,
  CR and sCR, PD (+25 % from nadir plus the absolute increases), two consecutive assessments,
  plasmacytomas (>= 50 % shrinkage for PR/VGPR, disappearance for CR) and MRD < 1e-5.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cartsim.clinical.response import (
    BALLAssessment,
    ClinicalDataError,
    CTAssessment,
    IMWGAssessment,
    IMWGResponse,
    Lesion,
    NewLesion,
    PETAssessment,
    ResponseSummary,
    assess_ball,
    assess_ball_table,
    assess_imwg,
    assess_imwg_table,
    assess_lugano_ct,
    assess_lugano_ct_table,
    assess_lugano_pet,
    classify_ball,
    classify_ct,
    classify_imwg_unconfirmed,
    classify_pet,
    confirm_consecutive,
    is_mrd_negative,
    mrd_negative_remission_day,
)
from cartsim.clinical.response.imwg import is_imwg_mrd_negative, mrd_negative_cr_day
from cartsim.errors import CartsimError

# --------------------------------------------------------------------------------------------
# §3.1 Lugano 2014, CT
# --------------------------------------------------------------------------------------------


def node(longest: float, short: float) -> Lesion:
    return Lesion(longest, short)


def extranodal(longest: float, short: float) -> Lesion:
    return Lesion(longest, short, extranodal=True)


#: Baseline: one node 4 x 2.5 cm, SPD 10 cm² (PR needs SPD <= 5 cm²).
ONE_NODE = CTAssessment(0, [node(4.0, 2.5)])
#: Baseline: node 4 x 2.5 (10 cm²) + extranodal 3 x 2 (6 cm²), SPD 16 cm².
NODE_AND_EXTRANODAL = CTAssessment(0, [node(4.0, 2.5), extranodal(3.0, 2.0)])


def last_ct_category(*scans: CTAssessment) -> str:
    return str(classify_ct(scans)[-1])


CT_CASES = [
    # ---- PR / SD: >= 50 % SPD decrease from baseline
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(2.5, 2.0)])],
        "PR",
        "§3.1 PR: SPD 10 -> 5 cm² is exactly a 50 % decrease",
        id="spd-50.0pct-PR",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(2.5, 2.004)])],
        "SD",
        "§3.1 SD: SPD 10 -> 5.01 cm² is a 49.9 % decrease",
        id="spd-49.9pct-SD",
    ),
    pytest.param([ONE_NODE, CTAssessment(30, [node(4.0, 2.5)])], "SD", "§3.1 SD: no change", id="spd-unchanged-SD"),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(4.0, 3.75)])],
        "PD",
        "§3.1 PD: PPD 10 -> 15 cm² (+50.0 % from the baseline nadir), LDi 4 > 1.5, SDi +1.25 cm",
        id="ppd-plus-50pct-from-baseline-PD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(5.0, 2.99)])],
        "SD",
        "§3.1 PD needs PPD +50 %: 10 -> 14.95 cm² (+49.5 %) with LDi +1.0 cm is SD",
        id="ppd-plus-49.5pct-from-baseline-SD",
    ),
    # ---- CR: nodes to LDi <= 1.5 cm
    pytest.param([ONE_NODE, CTAssessment(30, [node(1.5, 1.0)])], "CR", "§3.1 CR: node LDi exactly 1.5 cm", id="node-ldi-1.5-CR"),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.51, 1.0)])],
        "PR",
        "§3.1 CR: node LDi 1.51 cm > 1.5 cm, SPD -84.9 % -> PR",
        id="node-ldi-1.51-PR",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [Lesion.too_small_to_measure()])],
        "CR",
        "§3.1: a node too small to measure is 5 x 5 mm, LDi 0.5 <= 1.5 cm",
        id="node-too-small-CR",
    ),
    pytest.param(
        [NODE_AND_EXTRANODAL, CTAssessment(30, [node(1.0, 1.0), Lesion.too_small_to_measure(extranodal=True)])],
        "PR",
        "§3.1 CR needs no extralymphatic disease; a too-small extranodal lesion (5 x 5 mm) remains",
        id="extranodal-too-small-PR",
    ),
    pytest.param(
        [NODE_AND_EXTRANODAL, CTAssessment(30, [node(1.0, 1.0), Lesion.not_visible(extranodal=True)])],
        "CR",
        "§3.1: an extranodal lesion no longer visible is 0 x 0 mm",
        id="extranodal-gone-CR",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)], non_target_disease=True)],
        "PR",
        "§3.1 CR needs non-measured lesions absent and no extralymphatic disease",
        id="non-target-disease-blocks-CR",
    ),
    # ---- new lesions: > 1.5 cm in any axis, extranodal > 1 cm, smaller only if unequivocal
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)], [NewLesion(1.5)])],
        "SD",
        "§3.1 new lesion > 1.5 cm is PD; a 1.5 cm node is not, but CR/PR need 'no new lesions'",
        id="new-node-1.5-SD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)], [NewLesion(1.51)])],
        "PD",
        "§3.1 PD: new lesion 1.51 cm > 1.5 cm",
        id="new-node-1.51-PD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)], [NewLesion(1.0, extranodal=True)])],
        "SD",
        "§3.1 PD: extranodal new lesion must be > 1 cm; 1.0 cm is not",
        id="new-extranodal-1.0-SD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)], [NewLesion(1.01, extranodal=True)])],
        "PD",
        "§3.1 PD: extranodal new lesion 1.01 cm > 1 cm",
        id="new-extranodal-1.01-PD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)], [NewLesion(0.5, unequivocally_lymphoma=True)])],
        "PD",
        "§3.1 PD: a lesion < 1 cm counts if unequivocally lymphoma",
        id="new-small-unequivocal-PD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)], non_target_progression=True)],
        "PD",
        "§3.1 PD: spleen / non-measured lesion / marrow progression (reported by the caller)",
        id="non-target-progression-PD",
    ),
    # ---- individual-lesion PD, judged against the nadir (nadir scan at day 30)
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(2.0, 2.0)]), CTAssessment(60, [node(3.0, 2.0)])],
        "PD",
        "§3.1 PD: PPD nadir 4 -> 6 cm² (+50.0 %), LDi 3 > 1.5 cm, LDi +1.0 cm for a lesion > 2 cm",
        id="ppd-plus-50pct-from-nadir-PD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(2.0, 2.0)]), CTAssessment(60, [node(2.99, 2.0)])],
        "SD",
        "§3.1 PD: PPD 4 -> 5.98 cm² is +49.5 % from nadir; SPD still -40.2 % from baseline -> SD",
        id="ppd-plus-49.5pct-from-nadir-SD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.0, 1.0)]), CTAssessment(60, [node(1.5, 1.0)])],
        "CR",
        "§3.1 PD needs LDi > 1.5 cm: PPD 1 -> 1.5 cm² (+50 %) at LDi 1.5 cm stays CR",
        id="pd-needs-ldi-over-1.5",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.2, 1.0)]), CTAssessment(60, [node(1.7, 1.1)])],
        "PD",
        "§3.1 PD: lesion <= 2 cm, LDi +0.5 cm from nadir (1.2 -> 1.7), PPD 1.2 -> 1.87 (+55.8 %)",
        id="small-lesion-step-0.5-PD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(1.2, 1.0)]), CTAssessment(60, [node(1.69, 1.1)])],
        "PR",
        "§3.1 PD: lesion <= 2 cm, LDi +0.49 and SDi +0.1 cm < 0.5 cm step; SPD -81.4 % -> PR",
        id="small-lesion-step-0.49-PR",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(2.0, 1.0)]), CTAssessment(60, [node(2.9, 1.2)])],
        "PR",
        "§3.1 PD: lesion > 2 cm needs +1.0 cm; LDi +0.9 cm (PPD +74 %) is not PD; SPD 3.48 -> PR",
        id="large-lesion-step-0.9-PR",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(2.0, 1.0)]), CTAssessment(60, [node(3.0, 1.2)])],
        "PD",
        "§3.1 PD: lesion > 2 cm, LDi +1.0 cm from nadir, PPD 2 -> 3.6 (+80 %)",
        id="large-lesion-step-1.0-PD",
    ),
    pytest.param(
        [ONE_NODE, CTAssessment(30, [node(2.0, 1.0)]), CTAssessment(60, [node(2.2, 2.0)])],
        "PD",
        "§3.1 PD: increase in LDi *or SDi*: SDi +1.0 cm (1 -> 2), PPD 2 -> 4.4",
        id="sdi-step-PD",
    ),
    pytest.param(
        [
            CTAssessment(0, [node(4.0, 2.5), node(3.0, 3.0)]),
            CTAssessment(30, [node(1.0, 1.0), node(2.0, 1.0)]),
            CTAssessment(60, [node(1.0, 1.0), node(3.0, 1.2)]),
        ],
        "PD",
        "§3.1 PD in a single lesion is enough while the SPD (19 -> 4.6 cm²) is far below baseline",
        id="one-of-two-lesions-PD",
    ),
]


@pytest.mark.parametrize(("scans", "expected", "rule"), CT_CASES)
def test_lugano_ct_category(scans: list[CTAssessment], expected: str, rule: str) -> None:
    assert last_ct_category(*scans) == expected, rule


def test_lugano_ct_summary_best_response_stops_at_progression() -> None:
    """§3.1: PR on day 30, CR on day 60, PD on day 90 (PPD 1 -> 4 cm²); the CR on day 120 after PD is ignored."""
    scans = [
        ONE_NODE,
        CTAssessment(30, [node(2.5, 2.0)]),
        CTAssessment(60, [node(1.0, 1.0)]),
        CTAssessment(90, [node(2.0, 2.0)]),
        CTAssessment(120, [node(1.0, 1.0)]),
    ]
    summary = assess_lugano_ct(scans)
    assert summary == ResponseSummary("Lugano 2014 CT", "CR", 30.0, 90.0, (30.0, 60.0, 90.0, 120.0), ("PR", "CR", "PD", "CR"))


@pytest.mark.parametrize(
    ("scans", "best", "response_day", "progression_day"),
    [
        pytest.param(
            [ONE_NODE, CTAssessment(28, [node(4.0, 2.5)]), CTAssessment(56, [node(3.0, 3.0)])], "SD", None, None, id="stable"
        ),
        pytest.param([ONE_NODE, CTAssessment(28, [node(6.0, 4.0)])], "PD", None, 28.0, id="primary-progression"),
        pytest.param(
            [ONE_NODE, CTAssessment(28, [node(3.0, 3.0)]), CTAssessment(56, [node(2.5, 2.0)])], "PR", 56.0, None, id="late-PR"
        ),
    ],
)
def test_lugano_ct_summary(
    scans: list[CTAssessment], best: str, response_day: float | None, progression_day: float | None
) -> None:
    """§3.1 best response ordering CR > PR > SD > PD; response = CR or PR; days as given."""
    summary = assess_lugano_ct(scans)
    assert (summary.best_response, summary.time_to_first_response_days, summary.time_to_progression_days) == (
        best,
        response_day,
        progression_day,
    )


def test_lugano_ct_table_matches_per_patient() -> None:
    """The long-table form gives the same summaries as :func:`assess_lugano_ct`, one row per patient."""
    rows = [
        ("a", 0, 0, 4.0, 2.5),
        ("a", 30, 0, 2.5, 2.0),
        ("b", 0, 0, 4.0, 2.5),
        ("b", 0, 1, 3.0, 3.0),
        ("b", 30, 0, 1.0, 1.0),
        ("b", 30, 1, 1.0, 1.0),
        ("b", 60, 1, 1.6, 1.0),
        ("b", 60, 0, 1.0, 1.0),
    ]
    frame = pd.DataFrame(rows, columns=["patient", "day", "lesion", "longest_diameter_cm", "short_axis_cm"])
    table = assess_lugano_ct_table(frame)
    assert list(table.columns) == ["patient", "best_response", "time_to_first_response_days", "time_to_progression_days"]
    assert table["patient"].tolist() == ["a", "b"]
    assert table["best_response"].tolist() == ["PR", "CR"]
    assert table["time_to_first_response_days"].tolist() == [30.0, 30.0]
    assert math.isnan(table["time_to_progression_days"].iloc[0])
    assert table["time_to_progression_days"].iloc[1] == 60.0  # PPD 1 -> 1.6 (+60 %), LDi 1.6 > 1.5, +0.6 cm


def test_lugano_ct_table_missing_flags_are_false() -> None:
    """Optional flag columns with missing cells (NaN, as a CSV gives them) read as False, not
    True: patient a's CR (all targets <= 1.5 cm on day 30) must survive a NaN
    non_target_disease / non_target_progression / extranodal cell."""
    frame = pd.DataFrame(
        {
            "patient": ["a", "a"],
            "day": [0, 30],
            "lesion": [0, 0],
            "longest_diameter_cm": [4.0, 1.0],
            "short_axis_cm": [2.5, 1.0],
            "extranodal": [np.nan, np.nan],
            "non_target_disease": [np.nan, np.nan],
            "non_target_progression": [np.nan, np.nan],
        }
    )
    table = assess_lugano_ct_table(frame)
    assert table["best_response"].tolist() == ["CR"]
    assert math.isnan(table["time_to_progression_days"].iloc[0])


def ct_table_with_new_lesion(**new_lesion: Any) -> pd.DataFrame:
    """Patient "a": node 4 x 2.5 (10 cm²) at baseline, 2.5 x 2.0 (5 cm², -50 %, PR) on day 30.

    The day-30 row carries ``new_lesion`` (new-lesion columns); the baseline row has them missing.
    """
    frame = pd.DataFrame(
        [("a", 0, 0, 4.0, 2.5), ("a", 30, 0, 2.5, 2.0)],
        columns=["patient", "day", "lesion", "longest_diameter_cm", "short_axis_cm"],
    )
    for name, value in new_lesion.items():
        frame[name] = [math.nan, value]
    return frame


@pytest.mark.parametrize(
    ("new_lesion", "expected", "rule"),
    [
        pytest.param({}, "PR", "§3.1 PR: no new-lesion columns, SPD -50 %", id="no-columns-PR"),
        pytest.param(
            {"new_lesion_longest_axis_cm": math.nan, "new_lesion_extranodal": math.nan},
            "PR",
            "§3.1 PR: a missing longest axis records no new lesion",
            id="missing-axis-PR",
        ),
        pytest.param(
            {"new_lesion_longest_axis_cm": 1.6}, "PD", "§3.1 PD: new lesion 1.6 > 1.5 cm in any axis", id="nodal-1.6-PD"
        ),
        pytest.param(
            {"new_lesion_longest_axis_cm": 1.5},
            "SD",
            "§3.1 PD needs a new lesion > 1.5 cm: 1.5 cm is not PD, but PR needs no new lesions -> SD",
            id="nodal-1.5-SD",
        ),
        pytest.param(
            {"new_lesion_longest_axis_cm": 1.1, "new_lesion_extranodal": True},
            "PD",
            "§3.1 PD: extranodal new lesion 1.1 > 1 cm",
            id="extranodal-1.1-PD",
        ),
        pytest.param(
            {"new_lesion_longest_axis_cm": 1.0, "new_lesion_extranodal": True},
            "SD",
            "§3.1 PD needs an extranodal new lesion > 1 cm: 1.0 cm -> SD (no new lesions for PR)",
            id="extranodal-1.0-SD",
        ),
        pytest.param(
            {"new_lesion_longest_axis_cm": 1.1, "new_lesion_extranodal": False},
            "SD",
            "§3.1 a nodal new lesion of 1.1 cm is not > 1.5 cm -> SD",
            id="nodal-1.1-SD",
        ),
        pytest.param(
            {"new_lesion_longest_axis_cm": 0.8, "new_lesion_unequivocal": True},
            "PD",
            "§3.1 PD: a lesion < 1 cm counts if it is unequivocally lymphoma",
            id="unequivocal-0.8-PD",
        ),
        pytest.param(
            {"new_lesion_longest_axis_cm": 0.8, "new_lesion_unequivocal": math.nan},
            "SD",
            "§3.1 a 0.8 cm lesion not unequivocally lymphoma (flag missing = False) -> SD",
            id="equivocal-0.8-SD",
        ),
    ],
)
def test_lugano_ct_table_new_lesion_columns(new_lesion: dict[str, Any], expected: str, rule: str) -> None:
    """The table's new-lesion columns give the same category as :class:`NewLesion` in :func:`assess_lugano_ct`."""
    table = assess_lugano_ct_table(ct_table_with_new_lesion(**new_lesion))
    assert table["best_response"].tolist() == [expected], rule
    progression = table["time_to_progression_days"].iloc[0]
    assert (progression == 30.0) if expected == "PD" else math.isnan(progression), rule
    axis = new_lesion.get("new_lesion_longest_axis_cm", math.nan)
    flags = {
        "extranodal": new_lesion.get("new_lesion_extranodal") is True,
        "unequivocally_lymphoma": new_lesion.get("new_lesion_unequivocal") is True,
    }
    new = [] if math.isnan(axis) else [NewLesion(axis, **flags)]
    assert assess_lugano_ct([ONE_NODE, CTAssessment(30, [node(2.5, 2.0)], new)]).best_response == expected, rule


def test_lugano_ct_table_new_lesion_on_any_row_of_the_scan() -> None:
    """§3.1: a new lesion recorded on the second target row of a scan makes that scan PD (1.6 > 1.5 cm)."""
    frame = pd.DataFrame(
        {
            "patient": ["b"] * 6,
            "day": [0, 0, 30, 30, 60, 60],
            "lesion": [0, 1, 0, 1, 0, 1],
            "longest_diameter_cm": [4.0, 3.0, 1.0, 1.0, 1.0, 1.0],
            "short_axis_cm": [2.5, 3.0, 1.0, 1.0, 1.0, 1.0],
            "new_lesion_longest_axis_cm": [math.nan, math.nan, math.nan, math.nan, math.nan, 1.6],
        }
    )
    table = assess_lugano_ct_table(frame)
    assert table["best_response"].tolist() == ["CR"]  # CR on day 30, PD on day 60
    assert table["time_to_first_response_days"].tolist() == [30.0]
    assert table["time_to_progression_days"].tolist() == [60.0]


# --------------------------------------------------------------------------------------------
# §3.1 Lugano 2014, PET-CT (Deauville 5PS)
# --------------------------------------------------------------------------------------------

PET_BASELINE = PETAssessment(0, 5)


@pytest.mark.parametrize(
    ("scan", "expected", "rule"),
    [
        pytest.param(PETAssessment(30, 1), "CMR", "§3.1 CMR: score 1", id="score-1-CMR"),
        pytest.param(PETAssessment(30, 2), "CMR", "§3.1 CMR: score 2", id="score-2-CMR"),
        pytest.param(PETAssessment(30, 3, "increased"), "CMR", "§3.1 CMR: score 3 whatever the uptake", id="score-3-CMR"),
        pytest.param(PETAssessment(30, 4, "reduced"), "PMR", "§3.1 PMR: score 4, reduced uptake", id="score-4-reduced-PMR"),
        pytest.param(PETAssessment(30, 5, "reduced"), "PMR", "§3.1 PMR: score 5, reduced uptake", id="score-5-reduced-PMR"),
        pytest.param(PETAssessment(30, 4, "unchanged"), "NMR", "§3.1 NMR: score 4, no change", id="score-4-unchanged-NMR"),
        pytest.param(PETAssessment(30, 5, "increased"), "PMD", "§3.1 PMD: score 5, increased", id="score-5-increased-PMD"),
        pytest.param(PETAssessment(30, 2, new_fdg_avid_lesions=True), "PMD", "§3.1 PMD: new FDG-avid foci", id="new-foci-PMD"),
    ],
)
def test_lugano_pet_category(scan: PETAssessment, expected: str, rule: str) -> None:
    assert classify_pet([PET_BASELINE, scan]) == [expected], rule


def test_lugano_pet_summary() -> None:
    """§3.1 PET: PMR on day 30, CMR on day 60, PMD on day 180 -> best CMR, response day 30, PD day 180."""
    summary = assess_lugano_pet(
        [PET_BASELINE, PETAssessment(30, 4, "reduced"), PETAssessment(60, 3), PETAssessment(180, 5, "increased")]
    )
    assert (summary.best_response, summary.time_to_first_response_days, summary.time_to_progression_days) == ("CMR", 30.0, 180.0)


# --------------------------------------------------------------------------------------------
# §3.2 B-ALL
# --------------------------------------------------------------------------------------------


def ball(
    day: float, marrow: float, blood: float = 0.0, anc: float = 1.5, platelets: float = 150.0, **extra: Any
) -> BALLAssessment:
    return BALLAssessment(day, marrow, blood, anc, platelets, **extra)


#: Baseline: 80 % marrow blasts, 5 x 10⁹/L circulating blasts, cytopenic, no extramedullary disease.
BALL_BASELINE = ball(0, 80.0, 5.0, 0.5, 30.0)
#: Baseline with 40 % marrow blasts and 4 x 10⁹/L circulating blasts.
BALL_BASELINE_40 = ball(0, 40.0, 4.0, 0.5, 30.0)

BALL_CASES = [
    pytest.param(
        [BALL_BASELINE, ball(28, 4.9, 0, 1.0, 100)],
        "CR",
        "§3.2 CR: blasts 4.9 % < 5 %, ANC 1.0, platelets 100",
        id="CR-at-count-thresholds",
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 5.0, 0, 1.0, 100)],
        "PR",
        "§3.2 CR needs < 5 % blasts; 5.0 % is PR (<= 25 %, -93.75 %, counts recovered)",
        id="blasts-5.0-PR",
    ),
    pytest.param([BALL_BASELINE, ball(28, 2.0, 0, 0.99, 150)], "CRi", "§3.2 CRi: ANC 0.99 < 1.0 x 10⁹/L", id="CRi-neutropenia"),
    pytest.param(
        [BALL_BASELINE, ball(28, 2.0, 0, 1.5, 99.9)], "CRi", "§3.2 CRi: platelets 99.9 < 100 x 10⁹/L", id="CRi-thrombocytopenia"
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 2.0, 0.01)],
        "PR",
        "§3.2 CR needs no circulating blasts; 0.01 x 10⁹/L remain -> PR",
        id="circulating-blasts-PR",
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 2.0, 0, extramedullary_disease=True)],
        "PD",
        "§3.2 PD: new extramedullary disease",
        id="new-extramedullary-PD",
    ),
    pytest.param([BALL_BASELINE, ball(28, 25.0)], "PR", "§3.2 PR: marrow blasts exactly 25 %", id="PR-marrow-25.0"),
    pytest.param(
        [BALL_BASELINE, ball(28, 25.1)], "NR", "§3.2 PR needs <= 25 % marrow blasts; 25.1 % is not", id="NR-marrow-25.1"
    ),
    pytest.param(
        [BALL_BASELINE_40, ball(28, 20.0, 2.0)],
        "PR",
        "§3.2 PR: 40 -> 20 % and 4 -> 2 are exactly -50 %",
        id="PR-decrease-50.0pct",
    ),
    pytest.param([BALL_BASELINE_40, ball(28, 20.1, 2.0)], "NR", "§3.2 PR: 40 -> 20.1 % is -49.75 %", id="NR-decrease-49.75pct"),
    pytest.param(
        [BALL_BASELINE_40, ball(28, 20.0, 2.01)], "NR", "§3.2 PR: blood 4 -> 2.01 is -49.75 %", id="NR-blood-decrease-49.75pct"
    ),
    pytest.param(
        [BALL_BASELINE_40, ball(28, 10.0, 0, 0.9)], "NR", "§3.2 PR needs count recovery; ANC 0.9", id="NR-no-count-recovery"
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 20.0, 2.0), ball(56, 25.0, 2.0)],
        "PD",
        "§3.2 PD: marrow 20 -> 25 % is +25 % from the nadir",
        id="PD-marrow-plus-25pct-from-nadir",
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 20.0, 2.0), ball(56, 24.9, 2.0)],
        "PR",
        "§3.2 PD: 20 -> 24.9 % is +24.5 %; still PR against the 80 % baseline",
        id="no-PD-marrow-plus-24.5pct",
    ),
    pytest.param(
        [BALL_BASELINE_40, ball(28, 40.0, 5.0, 0.5, 30)],
        "PD",
        "§3.2 PD: circulating blasts 4 -> 5 (+25 %)",
        id="PD-blood-plus-25pct",
    ),
    pytest.param(
        [BALL_BASELINE_40, ball(28, 40.0, 4.99, 0.5, 30)],
        "NR",
        "§3.2 PD: circulating blasts 4 -> 4.99 (+24.75 %)",
        id="NR-blood-plus-24.75pct",
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 1.0), ball(56, 5.0)],
        "relapse",
        "§3.2 relapse: marrow blasts back to 5 % after CR",
        id="relapse-marrow-5.0",
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 1.0), ball(56, 4.9)], "CR", "§3.2: 4.9 % after CR is still CR", id="no-relapse-marrow-4.9"
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 1.0, 0, 0.5, 50), ball(56, 1.0, 0.1)],
        "relapse",
        "§3.2 relapse: blasts reappear in blood after CRi",
        id="relapse-blood-after-CRi",
    ),
    pytest.param(
        [BALL_BASELINE, ball(28, 1.0), ball(56, 1.0, extramedullary_disease=True)],
        "relapse",
        "§3.2 relapse: extramedullary site after CR",
        id="relapse-extramedullary",
    ),
]


@pytest.mark.parametrize(("visits", "expected", "rule"), BALL_CASES)
def test_ball_category(visits: list[BALLAssessment], expected: str, rule: str) -> None:
    assert str(classify_ball(visits)[-1]) == expected, rule


@pytest.mark.parametrize(
    ("visits", "minimum_days", "best", "response_day", "progression_day", "rule"),
    [
        pytest.param(
            [BALL_BASELINE, ball(28, 1.0), ball(56, 1.0)],
            28.0,
            "CR",
            28.0,
            None,
            "§3.2 CR with no recurrence for >= 4 weeks: CR on day 28 and still on day 56",
            id="CR-lasting-28-days",
        ),
        pytest.param(
            [BALL_BASELINE, ball(28, 1.0), ball(55, 1.0)],
            28.0,
            "PR",
            28.0,
            None,
            "§3.2: only 27 days of follow-up after the CR; unconfirmed CR counts as PR (meets PR)",
            id="CR-27-days-unconfirmed",
        ),
        pytest.param(
            [BALL_BASELINE, ball(28, 1.0), ball(55, 1.0)],
            0.0,
            "CR",
            28.0,
            None,
            "§3.2 with the duration rule switched off",
            id="CR-no-duration-rule",
        ),
        pytest.param(
            [BALL_BASELINE, ball(28, 1.0, 0, 0.5, 50), ball(42, 10.0), ball(70, 1.0)],
            28.0,
            "NR",
            None,
            42.0,
            "§3.2: CRi then relapse on day 42 (not lasting, no count recovery -> NR); later CR ignored",
            id="CRi-then-relapse",
        ),
        pytest.param(
            [BALL_BASELINE, ball(28, 1.0, 0, 0.5, 50), ball(56, 1.0), ball(70, 1.0)],
            28.0,
            "CRi",
            28.0,
            None,
            "§3.2: CRi lasting 28 days; the day-56 CR is followed for only 14 days",
            id="CRi-best",
        ),
        pytest.param(
            [BALL_BASELINE, ball(28, 90.0, 6.25, 0.5, 30)],
            28.0,
            "PD",
            None,
            28.0,
            "§3.2 PD: blood blasts 5 -> 6.25 (+25 %)",
            id="PD-day-28",
        ),
    ],
)
def test_ball_summary(
    visits: list[BALLAssessment],
    minimum_days: float,
    best: str,
    response_day: float | None,
    progression_day: float | None,
    rule: str,
) -> None:
    summary = assess_ball(visits, minimum_remission_days=minimum_days)
    assert (summary.best_response, summary.time_to_first_response_days, summary.time_to_progression_days) == (
        best,
        response_day,
        progression_day,
    ), rule


@pytest.mark.parametrize(
    ("mrd", "negative"),
    [
        pytest.param(0.0, True, id="zero"),
        pytest.param(9.99e-5, True, id="just-below-1e-4"),
        pytest.param(1e-4, False, id="exactly-1e-4"),
        pytest.param(1e-3, False, id="1e-3"),
    ],
)
def test_mrd_negative_threshold(mrd: float, negative: bool) -> None:
    """§3.2 MRD-negative = MRD < 0.01 % (1e-4); exactly 1e-4 is not negative."""
    assert is_mrd_negative(mrd) is negative


def test_mrd_negative_remission_day() -> None:
    """§3.2: the first lasting CR/CRi with MRD < 1e-4: day 28 has MRD 1e-4 (positive), day 56 has 5e-5."""
    visits = [
        BALL_BASELINE,
        ball(28, 1.0, mrd_fraction=1e-4),
        ball(56, 0.5, mrd_fraction=5e-5),
        ball(84, 0.5, mrd_fraction=0.0),
    ]
    assert mrd_negative_remission_day(visits) == 56.0
    assert mrd_negative_remission_day(visits[:3]) is None  # the day-56 CR is not followed for 28 days


def test_ball_table_matches_per_patient() -> None:
    """Rows of a long table in any order; patients sorted; optional columns absent or NaN."""
    frame = pd.DataFrame(
        {
            "patient": [2, 1, 1, 2, 1],
            "day": [28, 56, 0, 0, 28],
            "marrow_blasts_percent": [90.0, 1.0, 80.0, 80.0, 1.0],
            "circulating_blasts_1e9_per_L": [6.25, 0.0, 5.0, 5.0, 0.0],
            "neutrophils_1e9_per_L": [0.5, 1.5, 0.5, 0.5, 1.5],
            "platelets_1e9_per_L": [30.0, 150.0, 30.0, 30.0, 150.0],
            "mrd_fraction": [math.nan, 0.0, math.nan, math.nan, 1e-3],
        }
    )
    table = assess_ball_table(frame)
    assert table["patient"].tolist() == [1, 2]
    assert table["best_response"].tolist() == ["CR", "PD"]
    assert table["time_to_first_response_days"].iloc[0] == 28.0
    assert table["time_to_progression_days"].iloc[1] == 28.0


# --------------------------------------------------------------------------------------------
# §3.3 IMWG
# --------------------------------------------------------------------------------------------


def mm(day: float, serum: float | None = None, urine: float | None = None, **extra: Any) -> IMWGAssessment:
    return IMWGAssessment(day, serum, urine, **extra)


#: Baseline: serum M-protein 4.0 g/dL, urine 500 mg/24 h.
MM_BASELINE = mm(0, 4.0, 500.0)
#: Complete-response findings (both immunofixations negative, marrow < 5 %).
CR_FINDINGS: dict[str, Any] = {
    "serum_immunofixation_negative": True,
    "urine_immunofixation_negative": True,
    "marrow_plasma_cells_percent": 4.9,
}


def flc(day: float, involved: float) -> IMWGAssessment:
    """FLC-only assessment with an uninvolved light chain of 1 mg/dL."""
    return IMWGAssessment(day, involved_flc_mg_dL=involved, uninvolved_flc_mg_dL=1.0)


def marrow(day: float, percent: float) -> IMWGAssessment:
    return IMWGAssessment(day, marrow_plasma_cells_percent=percent)


IMWG_CASES = [
    # ---- VGPR / PR / MR / SD on serum and urine M-protein
    pytest.param(
        [MM_BASELINE, mm(30, 0.4, 99.0)], "VGPR", "§3.3 VGPR: serum -90.0 % and urine 99 < 100 mg/24 h", id="VGPR-90pct"
    ),
    pytest.param([MM_BASELINE, mm(30, 0.4, 100.0)], "PR", "§3.3 VGPR needs urine < 100; 100 mg/24 h -> PR", id="PR-urine-100"),
    pytest.param([MM_BASELINE, mm(30, 0.41, 50.0)], "PR", "§3.3 VGPR: serum -89.75 % -> PR", id="PR-serum-89.75pct"),
    pytest.param([MM_BASELINE, mm(30, 2.0, 50.0)], "PR", "§3.3 PR: serum -50.0 %, urine -90.0 %", id="PR-50pct-urine-90pct"),
    pytest.param([MM_BASELINE, mm(30, 2.0, 199.9)], "PR", "§3.3 PR: urine 199.9 < 200 mg/24 h", id="PR-urine-199.9"),
    pytest.param(
        [MM_BASELINE, mm(30, 2.0, 200.0)], "MR", "§3.3 PR needs urine -90 % or < 200; 200 (-60 %) -> MR", id="MR-urine-200"
    ),
    pytest.param([MM_BASELINE, mm(30, 2.01, 40.0)], "MR", "§3.3 PR: serum -49.75 % -> MR", id="MR-serum-49.75pct"),
    pytest.param([MM_BASELINE, mm(30, 3.0, 250.0)], "MR", "§3.3 MR: serum -25.0 %, urine -50.0 %", id="MR-25pct-50pct"),
    pytest.param([MM_BASELINE, mm(30, 3.01, 250.0)], "SD", "§3.3 MR: serum -24.75 % -> SD", id="SD-serum-24.75pct"),
    pytest.param([MM_BASELINE, mm(30, 3.0, 251.0)], "SD", "§3.3 MR: urine -49.8 % -> SD", id="SD-urine-49.8pct"),
    pytest.param([mm(0, 4.0), mm(30, 2.0)], "PR", "§3.3 PR on serum alone when urine is not measured", id="PR-serum-only"),
    pytest.param([mm(0, None, 500.0), mm(30, None, 199.0)], "PR", "§3.3 PR on urine alone: < 200 mg/24 h", id="PR-urine-only"),
    # ---- CR / sCR
    pytest.param([MM_BASELINE, mm(30, 0.0, 0.0, **CR_FINDINGS)], "CR", "§3.3 CR: IFE negative, marrow 4.9 % < 5 %", id="CR"),
    pytest.param(
        [MM_BASELINE, mm(30, 0.0, 0.0, **{**CR_FINDINGS, "marrow_plasma_cells_percent": 5.0})],
        "VGPR",
        "§3.3 CR needs < 5 % marrow plasma cells; 5.0 % -> VGPR",
        id="VGPR-marrow-5.0",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 0.0, 0.0, **{**CR_FINDINGS, "urine_immunofixation_negative": False})],
        "VGPR",
        "§3.3 CR needs negative serum *and* urine IFE",
        id="VGPR-urine-IFE-positive",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 0.0, 0.0, soft_tissue_plasmacytoma=True, **CR_FINDINGS)],
        "VGPR",
        "§3.3 CR needs soft-tissue plasmacytomas gone",
        id="VGPR-plasmacytoma",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 0.0, 0.0, normal_flc_ratio=True, marrow_clonal_cells_absent=True, **CR_FINDINGS)],
        "sCR",
        "§3.3 sCR: CR + normal FLC ratio + no clonal marrow plasma cells",
        id="sCR",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 0.0, 0.0, normal_flc_ratio=True, marrow_clonal_cells_absent=False, **CR_FINDINGS)],
        "CR",
        "§3.3 sCR needs no clonal plasma cells in marrow",
        id="CR-clonal-cells",
    ),
    # ---- PD from the nadir, relative and absolute
    pytest.param(
        [mm(0, 4.0), mm(30, 2.0), mm(60, 2.5)],
        "PD",
        "§3.3 PD: serum nadir 2.0 -> 2.5 (+25 %, +0.5 g/dL)",
        id="PD-serum-25pct-0.5",
    ),
    pytest.param(
        [mm(0, 4.0), mm(30, 2.0), mm(60, 2.49)], "MR", "§3.3 PD: 2.0 -> 2.49 is +24.5 % and +0.49 g/dL", id="no-PD-serum-2.49"
    ),
    pytest.param(
        [mm(0, 4.0), mm(30, 1.0), mm(60, 1.49)],
        "PR",
        "§3.3 PD needs +0.5 g/dL: 1.0 -> 1.49 is +49 % but +0.49",
        id="no-PD-serum-absolute",
    ),
    pytest.param(
        [mm(0, 8.0), mm(30, 6.0), mm(60, 7.5)], "PD", "§3.3 PD: nadir 6 >= 5 g/dL, +1.5 (+25 %) >= +1", id="PD-high-nadir"
    ),
    pytest.param(
        [mm(0, 8.0), mm(30, 6.0), mm(60, 7.49)], "SD", "§3.3 PD: nadir 6, +1.49 g/dL is only +24.8 %", id="no-PD-high-nadir"
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 2.0, 100.0), mm(60, 2.0, 300.0)],
        "PD",
        "§3.3 PD: urine nadir 100 -> 300 mg/24 h (+200 mg/24 h, +200 %)",
        id="PD-urine-plus-200",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 2.0, 100.0), mm(60, 2.0, 299.0)],
        "SD",
        "§3.3 PD needs +200 mg/24 h: 100 -> 299; urine -40.2 % is not MR (-50 %)",
        id="no-PD-urine-plus-199",
    ),
    pytest.param(
        [mm(0, None, 2000.0), mm(30, None, 1000.0), mm(60, None, 1250.0)],
        "PD",
        "§3.3 PD: urine nadir 1000 -> 1250 (+25 %, +250 mg/24 h)",
        id="PD-urine-plus-25pct",
    ),
    pytest.param(
        [mm(0, None, 2000.0), mm(30, None, 1000.0), mm(60, None, 1249.0)],
        "SD",
        "§3.3 PD: urine 1000 -> 1249 is +24.9 %",
        id="no-PD-urine-plus-24.9pct",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 0.4, 50.0, new_bone_lesion_or_plasmacytoma=True)],
        "PD",
        "§3.3 PD: new or enlarging bone lesion or plasmacytoma",
        id="PD-new-bone-lesion",
    ),
    # ---- free light chains when M-protein is unmeasurable: baseline difference 50 - 1 = 49 mg/dL
    pytest.param([flc(0, 50.0), flc(30, 25.5)], "PR", "§3.3 PR: FLC difference 49 -> 24.5 (-50.0 %)", id="FLC-PR-50pct"),
    pytest.param([flc(0, 50.0), flc(30, 25.6)], "SD", "§3.3 PR: FLC difference 49 -> 24.6 (-49.8 %)", id="FLC-SD-49.8pct"),
    pytest.param(
        [flc(0, 50.0), flc(30, 20.0), flc(60, 30.01)],
        "PD",
        "§3.3 PD: FLC difference nadir 19 -> 29.01 (> +10 mg/dL)",
        id="FLC-PD",
    ),
    pytest.param(
        [flc(0, 50.0), flc(30, 20.0), flc(60, 30.0)],
        "SD",
        "§3.3 PD needs > +10 mg/dL: 19 -> 29 is exactly +10; -40.8 % is SD",
        id="FLC-no-PD-plus-10",
    ),
    # ---- marrow plasma cells when M-protein and FLC are unmeasurable
    pytest.param(
        [marrow(0, 40.0), marrow(30, 20.0)], "PR", "§3.3 PR: marrow 40 -> 20 % (-50 %), baseline >= 30 %", id="marrow-PR"
    ),
    pytest.param([marrow(0, 40.0), marrow(30, 20.1)], "SD", "§3.3 PR: marrow 40 -> 20.1 % (-49.75 %)", id="marrow-SD"),
    pytest.param(
        [marrow(0, 29.9), marrow(30, 10.0)], "SD", "§3.3 PR needs a marrow baseline >= 30 %; 29.9 %", id="marrow-baseline-29.9"
    ),
    pytest.param([marrow(0, 30.0), marrow(30, 15.0)], "PR", "§3.3 PR: marrow baseline exactly 30 %", id="marrow-baseline-30.0"),
    pytest.param(
        [marrow(0, 40.0), marrow(30, 20.0), marrow(60, 30.0)],
        "PD",
        "§3.3 PD: marrow 20 -> 30 % (+10 points, +50 %)",
        id="marrow-PD",
    ),
    pytest.param(
        [marrow(0, 40.0), marrow(30, 20.0), marrow(60, 29.9)],
        "SD",
        "§3.3 PD: marrow 20 -> 29.9 % (+9.9 points)",
        id="marrow-no-PD",
    ),
]


@pytest.mark.parametrize(("visits", "expected", "rule"), IMWG_CASES)
def test_imwg_unconfirmed_category(visits: list[IMWGAssessment], expected: str, rule: str) -> None:
    assert str(classify_imwg_unconfirmed(visits)[-1]) == expected, rule


def test_imwg_marrow_carried_forward_to_confirm_cr() -> None:
    """§3.3 CR needs marrow < 5 %; a marrow result is carried to the next visit without a marrow exam."""
    ife_negative = {"serum_immunofixation_negative": True, "urine_immunofixation_negative": True}
    visits = [
        MM_BASELINE,
        mm(30, 0.0, 0.0, marrow_plasma_cells_percent=3.0, **ife_negative),
        mm(60, 0.0, 0.0, **ife_negative),
    ]
    assert classify_imwg_unconfirmed(visits) == ["CR", "CR"]
    assert assess_imwg(visits).best_response == "CR"


R = IMWGResponse


@pytest.mark.parametrize(
    ("unconfirmed", "confirmed", "rule"),
    [
        pytest.param([R.PR, R.PR], [R.PR, None], "§3.3 two consecutive PR confirm PR; the last visit is unconfirmed", id="PR-PR"),
        pytest.param([R.VGPR, R.PR], [R.PR, None], "§3.3 VGPR then PR confirms only PR", id="VGPR-PR"),
        pytest.param([R.CR, R.SCR], [R.CR, None], "§3.3 CR then sCR confirms CR", id="CR-sCR"),
        pytest.param([R.PD, R.PD], [R.PD, None], "§3.3 PD needs two consecutive PD", id="PD-PD"),
        pytest.param([R.PD, R.SD], [R.SD, None], "§3.3 a single PD is not confirmed", id="PD-SD"),
        pytest.param([R.CR, R.PD], [R.SD, None], "§3.3 a CR followed by PD is not a confirmed response", id="CR-PD"),
        pytest.param([R.PR], [None], "§3.3 one visit cannot be confirmed", id="single"),
        pytest.param([], [], "no visits", id="empty"),
        pytest.param([R.MR, R.PR, R.VGPR, R.VGPR], [R.MR, R.PR, R.VGPR, None], "§3.3 each visit with the next", id="improving"),
    ],
)
def test_confirm_consecutive(unconfirmed: list[IMWGResponse], confirmed: list[IMWGResponse | None], rule: str) -> None:
    assert confirm_consecutive(unconfirmed) == confirmed, rule


@pytest.mark.parametrize(
    ("visits", "best", "response_day", "progression_day", "rule"),
    [
        pytest.param(
            [mm(0, 4.0), mm(30, 1.9), mm(60, 1.8), mm(90, 0.3), mm(120, 0.35), mm(150, 0.9), mm(180, 1.0)],
            "VGPR",
            30.0,
            150.0,
            "§3.3: PR confirmed on days 30+60, VGPR on 90+120, PD (nadir 0.3 -> 0.9, 1.0) on 150+180",
            id="response-then-confirmed-PD",
        ),
        pytest.param(
            [mm(0, 4.0), mm(30, 1.9), mm(60, 1.8), mm(90, 0.3), mm(120, 0.35), mm(150, 0.9), mm(180, 0.35)],
            "VGPR",
            30.0,
            None,
            "§3.3: a single PD visit (day 150) is not progression",
            id="unconfirmed-PD",
        ),
        pytest.param(
            [mm(0, 4.0), mm(30, 3.5), mm(60, 1.9)],
            "SD",
            None,
            None,
            "§3.3: the PR on the last visit is not confirmed",
            id="unconfirmed-PR",
        ),
        pytest.param(
            [mm(0, 4.0), mm(30, 1.0)], None, None, None, "§3.3: one follow-up visit confirms nothing", id="single-visit"
        ),
        pytest.param(
            [mm(0, 2.0), mm(30, 2.6), mm(60, 2.7)], "PD", None, 30.0, "§3.3: PD confirmed on days 30+60", id="primary-PD"
        ),
    ],
)
def test_imwg_summary(
    visits: list[IMWGAssessment], best: str | None, response_day: float | None, progression_day: float | None, rule: str
) -> None:
    summary = assess_imwg(visits)
    assert (summary.best_response, summary.time_to_first_response_days, summary.time_to_progression_days) == (
        best,
        response_day,
        progression_day,
    ), rule


def test_imwg_table_matches_per_patient() -> None:
    """Long table with NaN for "not measured"; booleans as a column; patients sorted."""
    frame = pd.DataFrame(
        {
            "patient": ["p2", "p2", "p2", "p1", "p1", "p1"],
            "day": [0, 30, 60, 0, 30, 60],
            "serum_m_protein_g_dL": [4.0, 0.3, 0.2, 2.0, 2.6, 2.7],
            "urine_m_protein_mg_24h": [math.nan] * 6,
            "new_bone_lesion_or_plasmacytoma": [False] * 6,
        }
    )
    table = assess_imwg_table(frame)
    assert table["patient"].tolist() == ["p1", "p2"]
    assert table["best_response"].tolist() == ["PD", "VGPR"]
    assert table["time_to_progression_days"].iloc[0] == 30.0
    assert table["time_to_first_response_days"].iloc[1] == 30.0


#: Baseline with a soft-tissue plasmacytoma of 4 x 2 = 8 cm² (PR needs <= 4 cm²).
PC_BASELINE = mm(0, 4.0, 500.0, plasmacytoma_spd_cm2=8.0)


def pc_flc(day: float, involved: float, **extra: Any) -> IMWGAssessment:
    return IMWGAssessment(day, involved_flc_mg_dL=involved, uninvolved_flc_mg_dL=1.0, **extra)


PLASMACYTOMA_CASES = [
    # ---- PR / VGPR need a baseline plasmacytoma to shrink by >= 50 %
    pytest.param(
        [PC_BASELINE, mm(30, 2.0, 50.0, plasmacytoma_spd_cm2=4.0)],
        "PR",
        "§3.3 PR: serum -50 %, urine -90 %, plasmacytoma 8 -> 4 cm² (-50.0 %)",
        id="PR-plasmacytoma-50pct",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 2.0, 50.0, plasmacytoma_spd_cm2=4.01)],
        "MR",
        "§3.3 PR needs plasmacytoma -50 %: 8 -> 4.01 (-49.9 %); serum -50 %, urine -90 % still meet MR",
        id="MR-plasmacytoma-49.9pct",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 0.4, 99.0, plasmacytoma_spd_cm2=4.0)],
        "VGPR",
        "§3.3 VGPR (serum -90 %, urine 99) with plasmacytoma -50.0 %",
        id="VGPR-plasmacytoma-50pct",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 0.4, 99.0, plasmacytoma_spd_cm2=4.01)],
        "MR",
        "§3.3 VGPR is 'PR and better': plasmacytoma -49.9 % -> MR",
        id="MR-VGPR-plasmacytoma-49.9pct",
    ),
    pytest.param(
        [mm(0, 4.0, 300.0, plasmacytoma_spd_cm2=8.0), mm(30, 2.0, 199.0, plasmacytoma_spd_cm2=6.0)],
        "SD",
        "§3.3 PR (urine 199 < 200) fails on plasmacytoma -25 %; urine 300 -> 199 is -33.7 %, not MR (-50 %)",
        id="SD-plasmacytoma-25pct-urine-not-MR",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 2.0, 50.0, plasmacytoma_spd_cm2=0.0)],
        "PR",
        "§3.3 PR: plasmacytoma gone (0 cm²)",
        id="PR-plasmacytoma-gone-0",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 2.0, 50.0)],
        "PR",
        "§3.3 PR: no size and soft_tissue_plasmacytoma False means no plasmacytoma (boolean meaning kept)",
        id="PR-plasmacytoma-flag-false",
    ),
    pytest.param(
        [mm(0, 4.0, 500.0, soft_tissue_plasmacytoma=True), mm(30, 2.0, 50.0, soft_tissue_plasmacytoma=True)],
        "MR",
        "§3.3 PR needs the -50 % to be shown: present at both visits with no size -> MR",
        id="MR-plasmacytoma-size-unknown",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 2.0, 50.0, soft_tissue_plasmacytoma=True)],
        "MR",
        "§3.3 PR needs the -50 % to be shown: 8 cm² at baseline, present without a size -> MR",
        id="MR-plasmacytoma-visit-size-unknown",
    ),
    pytest.param(
        [mm(0, 4.0, 500.0, soft_tissue_plasmacytoma=True), mm(30, 2.0, 50.0)],
        "PR",
        "§3.3 PR: a flagged baseline plasmacytoma gone at the visit",
        id="PR-flagged-plasmacytoma-gone",
    ),
    pytest.param(
        [mm(0, 4.0, 500.0, soft_tissue_plasmacytoma=True, plasmacytoma_spd_cm2=8.0), mm(30, 2.0, 50.0, plasmacytoma_spd_cm2=3.0)],
        "PR",
        "§3.3 PR: flag and size agree at baseline; 8 -> 3 cm² (-62.5 %)",
        id="PR-flag-and-size",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 2.0, 50.0, plasmacytoma_spd_cm2=3.0)],
        "PR",
        "§3.3 the shrinkage rule is for plasmacytomas present at baseline (a new one is PD only through the flag)",
        id="PR-no-baseline-plasmacytoma",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 4.0, 500.0, plasmacytoma_spd_cm2=16.0)],
        "SD",
        "§3.3 no size threshold for 'enlarging' in clinical.md: growth 8 -> 16 cm² alone is not PD",
        id="SD-plasmacytoma-growth-without-flag",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 4.0, 500.0, plasmacytoma_spd_cm2=16.0, new_bone_lesion_or_plasmacytoma=True)],
        "PD",
        "§3.3 PD: enlarging plasmacytoma reported with the flag",
        id="PD-plasmacytoma-enlarging-flag",
    ),
    # ---- CR needs the plasmacytoma gone
    pytest.param(
        [PC_BASELINE, mm(30, 0.0, 0.0, plasmacytoma_spd_cm2=0.0, **CR_FINDINGS)],
        "CR",
        "§3.3 CR: IFE negative, marrow 4.9 %, plasmacytoma 0 cm²",
        id="CR-plasmacytoma-0",
    ),
    pytest.param(
        [PC_BASELINE, mm(30, 0.0, 0.0, plasmacytoma_spd_cm2=0.25, **CR_FINDINGS)],
        "VGPR",
        "§3.3 CR needs disappearance: 0.25 cm² left (-96.9 %, enough for VGPR)",
        id="VGPR-plasmacytoma-residual",
    ),
    pytest.param(
        [MM_BASELINE, mm(30, 0.0, 0.0, plasmacytoma_spd_cm2=0.25, **CR_FINDINGS)],
        "VGPR",
        "§3.3 CR needs no soft-tissue plasmacytoma even if none was seen at baseline",
        id="VGPR-plasmacytoma-not-at-baseline",
    ),
    # ---- the rule holds whatever marker is followed
    pytest.param(
        [pc_flc(0, 50.0, plasmacytoma_spd_cm2=8.0), pc_flc(30, 25.5, plasmacytoma_spd_cm2=4.0)],
        "PR",
        "§3.3 PR on FLC (49 -> 24.5, -50 %) with plasmacytoma -50 %",
        id="FLC-PR-plasmacytoma-50pct",
    ),
    pytest.param(
        [pc_flc(0, 50.0, plasmacytoma_spd_cm2=8.0), pc_flc(30, 25.5, plasmacytoma_spd_cm2=4.01)],
        "SD",
        "§3.3 PR on FLC fails on plasmacytoma -49.9 %; no MR without M-protein -> SD",
        id="FLC-SD-plasmacytoma-49.9pct",
    ),
    pytest.param(
        [
            IMWGAssessment(0, marrow_plasma_cells_percent=40.0, plasmacytoma_spd_cm2=8.0),
            IMWGAssessment(30, marrow_plasma_cells_percent=20.0, plasmacytoma_spd_cm2=4.01),
        ],
        "SD",
        "§3.3 PR on marrow (40 -> 20 %) fails on plasmacytoma -49.9 %",
        id="marrow-SD-plasmacytoma-49.9pct",
    ),
]


@pytest.mark.parametrize(("visits", "expected", "rule"), PLASMACYTOMA_CASES)
def test_imwg_plasmacytoma(visits: list[IMWGAssessment], expected: str, rule: str) -> None:
    assert str(classify_imwg_unconfirmed(visits)[-1]) == expected, rule


def test_imwg_table_reads_plasmacytoma_size() -> None:
    """§3.3 through the table: the same serum and urine fall is PR with plasmacytoma -50 % and MR with -49.9 %."""
    frame = pd.DataFrame(
        {
            "patient": ["x"] * 3 + ["y"] * 3,
            "day": [0, 30, 60] * 2,
            "serum_m_protein_g_dL": [4.0, 2.0, 2.0] * 2,
            "urine_m_protein_mg_24h": [500.0, 50.0, 50.0] * 2,
            "plasmacytoma_spd_cm2": [8.0, 4.0, 4.0, 8.0, 4.01, 4.01],
            "mrd_fraction": [math.nan] * 6,
        }
    )
    table = assess_imwg_table(frame)
    assert table["best_response"].tolist() == ["PR", "MR"]
    assert table["time_to_first_response_days"].iloc[0] == 30.0
    assert math.isnan(table["time_to_first_response_days"].iloc[1])


@pytest.mark.parametrize(
    ("mrd", "negative"),
    [
        pytest.param(0.0, True, id="zero"),
        pytest.param(9.99e-6, True, id="just-below-1e-5"),
        pytest.param(1e-5, False, id="exactly-1e-5"),
        pytest.param(5e-5, False, id="5e-5-negative-for-B-ALL-not-IMWG"),
        pytest.param(1.0, False, id="one"),
    ],
)
def test_imwg_mrd_negative_threshold(mrd: float, negative: bool) -> None:
    """§3.3 IMWG 2016 MRD negativity at 1e-5, read as MRD < 1e-5 (as §3.2 reads 1e-4); exactly 1e-5 is positive."""
    assert is_imwg_mrd_negative(mrd) is negative


def cr_visit(day: float, mrd: float | None = None, **extra: Any) -> IMWGAssessment:
    return mm(day, 0.0, 0.0, mrd_fraction=mrd, **{**CR_FINDINGS, **extra})


@pytest.mark.parametrize(
    ("visits", "expected", "rule"),
    [
        pytest.param(
            [MM_BASELINE, cr_visit(60, 1e-5), cr_visit(90, 5e-6), cr_visit(120)],
            90.0,
            "§3.3: CR confirmed on 60+90 and 90+120; MRD 1e-5 on day 60 is positive, 5e-6 on day 90 negative",
            id="second-CR-MRD-negative",
        ),
        pytest.param(
            [MM_BASELINE, cr_visit(60, 1e-5), cr_visit(90, 5e-6)],
            None,
            "§3.3 two consecutive assessments: the day-90 CR is the last visit, unconfirmed",
            id="MRD-negative-CR-unconfirmed",
        ),
        pytest.param(
            [MM_BASELINE, cr_visit(60, 0.0), mm(90, 0.3, 50.0)],
            None,
            "§3.3: CR then VGPR confirms only VGPR, so the MRD-negative day 60 is not a confirmed CR",
            id="CR-then-VGPR",
        ),
        pytest.param(
            [MM_BASELINE, mm(60, 0.3, 50.0, mrd_fraction=0.0), cr_visit(90), cr_visit(120)],
            None,
            "§3.3: MRD-negative at a VGPR visit does not count; the later CRs have no MRD",
            id="MRD-negative-VGPR",
        ),
        pytest.param(
            [MM_BASELINE, cr_visit(60, 9.99e-6, normal_flc_ratio=True, marrow_clonal_cells_absent=True), cr_visit(90)],
            60.0,
            "§3.3: sCR on day 60 with CR on day 90 confirms CR; MRD 9.99e-6 < 1e-5",
            id="sCR-MRD-negative",
        ),
        pytest.param(
            [mm(0, 2.0), mm(30, 2.6), mm(60, 2.7), mm(90, 0.0, **CR_FINDINGS, mrd_fraction=0.0), mm(120, 0.0, **CR_FINDINGS)],
            None,
            "§3.3: confirmed PD on days 30+60 comes first",
            id="after-PD",
        ),
    ],
)
def test_mrd_negative_cr_day(visits: list[IMWGAssessment], expected: float | None, rule: str) -> None:
    assert mrd_negative_cr_day(visits) == expected, rule


def test_tables_keep_their_columns_with_no_patients() -> None:
    """Output shape never depends on N: an empty table gives the summary columns and no rows."""
    empty = pd.DataFrame(columns=["patient", "day"])
    table = assess_imwg_table(empty)
    assert list(table.columns) == ["patient", "best_response", "time_to_first_response_days", "time_to_progression_days"]
    assert len(table) == 0


# --------------------------------------------------------------------------------------------
# Bad input: rejected at construction with the field, value, unit and allowed range
# --------------------------------------------------------------------------------------------

BAD_INPUT_CASES = [
    pytest.param(
        lambda: Lesion(-1.0, 0.5), r"longest_diameter_cm = -1\.0 cm is outside the allowed range \[0, 100\]", id="negative-LDi"
    ),
    pytest.param(lambda: Lesion(2.0, math.nan), r"short_axis_cm = nan cm is outside the allowed range", id="nan-SDi"),
    pytest.param(lambda: Lesion(1.0, 2.0), r"short_axis_cm = 2 cm exceeds longest_diameter_cm = 1 cm", id="SDi-above-LDi"),
    pytest.param(lambda: Lesion(1.0, 0.0), r"one zero diameter; use 0 x 0", id="one-zero-diameter"),
    pytest.param(lambda: Lesion("2", 1.0), r"longest_diameter_cm must be a number in cm, got '2'", id="string-LDi"),  # type: ignore[arg-type]
    pytest.param(lambda: NewLesion(-0.1), r"longest_axis_cm = -0\.1 cm is outside", id="negative-new-lesion"),
    pytest.param(lambda: CTAssessment(0, [node(1.0, 1.0)] * 7), r"has 7 lesions; Lugano allows 1 to 6", id="seven-targets"),
    pytest.param(lambda: CTAssessment(0, []), r"has 0 lesions; Lugano allows 1 to 6", id="no-targets"),
    pytest.param(lambda: CTAssessment(math.inf, [node(1.0, 1.0)]), r"day = inf days is outside", id="infinite-day"),
    pytest.param(
        lambda: classify_ct([ONE_NODE, CTAssessment(30, [node(1.0, 1.0), node(1.0, 1.0)])]),
        r"has 2 target lesions .* baseline has 1 .*same target lesions",
        id="target-count-changes",
    ),
    pytest.param(
        lambda: classify_ct([CTAssessment(0, [Lesion.not_visible()]), CTAssessment(30, [node(1.0, 1.0)])]),
        r"baseline SPD is 0 cm²",
        id="baseline-SPD-zero",
    ),
    pytest.param(
        lambda: classify_ct([ONE_NODE, CTAssessment(0, [node(1.0, 1.0)])]),
        r"strictly increasing, got day 0 after day 0",
        id="same-day",
    ),
    pytest.param(
        lambda: classify_ct([ONE_NODE]), r"needs a baseline and at least one follow-up assessment, got 1", id="baseline-only"
    ),
    pytest.param(
        lambda: PETAssessment(0, 6),
        r"deauville_score = 6 is not a Deauville 5-point score; allowed: 1, 2, 3, 4 or 5",
        id="deauville-6",
    ),
    pytest.param(lambda: PETAssessment(0, 0), r"deauville_score = 0 is not", id="deauville-0"),
    pytest.param(lambda: PETAssessment(0, 3.0), r"deauville_score = 3\.0 is not", id="deauville-float"),  # type: ignore[arg-type]
    pytest.param(
        lambda: PETAssessment(0, 4, "worse"), r"uptake_change = 'worse' is unknown; allowed: 'reduced'", id="unknown-uptake"
    ),  # type: ignore[arg-type]
    pytest.param(
        lambda: classify_pet([PET_BASELINE, PETAssessment(30, 4)]), r"score of 4 or 5 needs uptake_change", id="missing-uptake"
    ),
    pytest.param(
        lambda: ball(0, 100.1), r"marrow_blasts_percent = 100\.1 % is outside the allowed range \[0, 100\]", id="blasts-over-100"
    ),
    pytest.param(lambda: ball(0, -0.1), r"marrow_blasts_percent = -0\.1 %", id="blasts-negative"),
    pytest.param(lambda: ball(0, 10.0, anc=-1.0), r"neutrophils_1e9_per_L = -1\.0 10⁹/L is outside", id="negative-ANC"),
    pytest.param(
        lambda: ball(0, 10.0, mrd_fraction=1.5),
        r"mrd_fraction = 1\.5 \(fraction of nucleated cells\) is outside the allowed range \[0, 1\]",
        id="MRD-over-1",
    ),
    pytest.param(
        lambda: ball(0, 10.0, extramedullary_disease="yes"), r"extramedullary_disease must be True or False", id="EMD-string"
    ),
    pytest.param(lambda: is_mrd_negative(-1e-5), r"mrd_fraction = -1e-05", id="MRD-negative-value"),
    pytest.param(
        lambda: assess_ball([BALL_BASELINE, ball(28, 1.0)], minimum_remission_days=-1),
        r"minimum_remission_days = -1 days",
        id="negative-duration",
    ),
    pytest.param(
        lambda: mm(0, -0.1), r"serum_m_protein_g_dL = -0\.1 g/dL is outside the allowed range \[0, 20\]", id="negative-serum"
    ),
    pytest.param(lambda: mm(0, None, math.nan), r"urine_m_protein_mg_24h = nan mg/24 h", id="nan-urine"),
    pytest.param(
        lambda: IMWGAssessment(0, marrow_plasma_cells_percent=101.0),
        r"marrow_plasma_cells_percent = 101\.0 %",
        id="marrow-over-100",
    ),
    pytest.param(
        lambda: IMWGAssessment(0, involved_flc_mg_dL=10.0),
        r"give both involved_flc_mg_dL and uninvolved_flc_mg_dL",
        id="half-FLC",
    ),
    pytest.param(
        lambda: mm(0, 0.5, serum_immunofixation_negative=True),
        r"serum_immunofixation_negative is True but the serum M-protein is 0\.5",
        id="IFE-negative-with-M-protein",
    ),
    pytest.param(
        lambda: assess_imwg([mm(0, 0.0), mm(30, 0.0)]), r"baseline assessment has no measurable disease", id="nothing-measurable"
    ),
    pytest.param(
        lambda: mm(0, 4.0, plasmacytoma_spd_cm2=-0.1),
        r"plasmacytoma_spd_cm2 = -0\.1 cm² is outside the allowed range \[0, 10000\]",
        id="negative-plasmacytoma",
    ),
    pytest.param(
        lambda: mm(0, 4.0, plasmacytoma_spd_cm2=math.inf), r"plasmacytoma_spd_cm2 = inf cm²", id="infinite-plasmacytoma"
    ),
    pytest.param(
        lambda: mm(0, 4.0, soft_tissue_plasmacytoma=True, plasmacytoma_spd_cm2=0.0),
        r"soft_tissue_plasmacytoma is True but plasmacytoma_spd_cm2 is 0 cm²",
        id="plasmacytoma-flag-with-size-0",
    ),
    pytest.param(
        lambda: mm(0, 4.0, mrd_fraction=1.5),
        r"mrd_fraction = 1\.5 \(fraction of nucleated cells\) is outside the allowed range \[0, 1\]",
        id="IMWG-MRD-over-1",
    ),
    pytest.param(lambda: mm(0, 4.0, mrd_fraction=-1e-6), r"mrd_fraction = -1e-06", id="IMWG-MRD-negative-value"),
    pytest.param(lambda: is_imwg_mrd_negative(math.nan), r"mrd_fraction = nan", id="IMWG-MRD-helper-nan"),
    pytest.param(
        lambda: assess_lugano_ct_table(ct_table_with_new_lesion(new_lesion_unequivocal=True)),
        r"day 30, lesion 0: new_lesion_extranodal or new_lesion_unequivocal is True but new_lesion_longest_axis_cm is missing",
        id="table-new-lesion-flag-without-axis",
    ),
    pytest.param(
        lambda: assess_lugano_ct_table(ct_table_with_new_lesion(new_lesion_longest_axis_cm=-1.0)),
        r"patient 'a': longest_axis_cm = -1\.0 cm is outside",
        id="table-negative-new-lesion",
    ),
    pytest.param(
        lambda: assess_imwg([MM_BASELINE, mm(30, 2.0)]),
        r"day 30: urine_m_protein_mg_24h is missing",
        id="followed-marker-missing",
    ),
    pytest.param(
        lambda: classify_ball([BALL_BASELINE, MM_BASELINE]),
        r"assessment 1 must be a BALLAssessment, got IMWGAssessment",
        id="mixed-kinds",
    ),
    pytest.param(
        lambda: assess_imwg_table(pd.DataFrame({"day": [0]})),
        r"IMWG table is missing column\(s\) \['patient'\]",
        id="table-no-patient",
    ),
    pytest.param(
        lambda: assess_ball_table(pd.DataFrame({"patient": [1], "day": [0]})),
        r"B-ALL table is missing column\(s\) \['marrow_blasts_percent'",
        id="table-missing-columns",
    ),
    pytest.param(
        lambda: assess_imwg_table(pd.DataFrame({"patient": [7, 7], "day": [0, 30], "serum_m_protein_g_dL": [4.0, -1.0]})),
        r"patient 7: serum_m_protein_g_dL = -1\.0 g/dL",
        id="table-bad-value-names-patient",
    ),
]


@pytest.mark.parametrize(("make", "message"), BAD_INPUT_CASES)
def test_bad_input_is_rejected_with_a_clear_message(make: Any, message: str) -> None:
    with pytest.raises(ClinicalDataError) as caught:
        make()
    assert re.search(message, str(caught.value)), str(caught.value)
    assert isinstance(caught.value, CartsimError)
    assert isinstance(caught.value, ValueError)


def test_assessments_are_immutable() -> None:
    """Inputs are frozen; lesion sequences are stored as tuples."""
    scan = CTAssessment(0, [node(1.0, 1.0)])
    assert isinstance(scan.target_lesions, tuple)
    with pytest.raises(AttributeError):
        scan.day = 3  # type: ignore[misc]
