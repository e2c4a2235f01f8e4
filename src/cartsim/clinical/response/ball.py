"""B-cell acute lymphoblastic leukaemia (B-ALL) response: CR, CRi, PR, PD, relapse and MRD.

Source: harmonized criteria (Biol Blood Marrow Transplant 2010, reproduced in PMC7272718
Table 4a) as restated in the project reference ``clinical.md`` §3.2 (tags [V]).

Rules applied to each follow-up assessment, in this order:

- **CR**: marrow blasts < 5 % (M1), no circulating blasts, no extramedullary disease,
  ANC >= 1.0 x 10⁹/L and platelets >= 100 x 10⁹/L.
- **CRi**: as CR but with neutrophils < 1.0 x 10⁹/L or platelets < 100 x 10⁹/L.
- **relapse**: after an earlier CR or CRi, blasts reappear: marrow blasts >= 5 %, any
  circulating blasts, or extramedullary disease (a rise that stays below these is still CR/CRi).
- **PD** (never in remission so far): marrow blasts or absolute circulating blasts >= 25 % above
  their lowest earlier value (nadir, baseline included) and above it, or new extramedullary
  disease (absent at the previous assessment).
- **PR**: marrow blasts <= 25 % and >= 50 % below baseline, circulating blasts >= 50 % below
  baseline, count recovery (the CR thresholds), and no extramedullary disease that was absent at
  baseline (the reference asks for a >= 50 % decrease of extramedullary disease; a yes/no flag
  cannot measure it, so disease present since baseline does not block PR).
- **NR** (no response) otherwise.

CR "with no recurrence for >= 4 weeks": a CR/CRi counts towards the best response and the time
to response only when every assessment up to one at least ``minimum_remission_days`` (28) later
is still CR/CRi; an unconfirmed one counts as PR if it meets PR, else NR. MRD-negative means
MRD < 0.01 % (1e-4 as a fraction).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from cartsim.errors import ClinicalDataError

from ._common import (
    ResponseSummary,
    at_least,
    check_day,
    check_number,
    check_optional_number,
    check_series,
    is_missing,
    records,
    require_columns,
    summaries_to_frame,
    summarise,
)

#: M1 marrow: CR needs marrow blasts strictly below this, %.
CR_MARROW_BLASTS_PERCENT = 5.0
#: PR needs marrow blasts at or below this, %.
PR_MARROW_BLASTS_PERCENT = 25.0
#: PR needs blasts reduced by at least this fraction from baseline.
PR_BLAST_DECREASE = 0.5
#: PD needs blasts increased by at least this fraction from the nadir.
PD_BLAST_INCREASE = 0.25
#: Count recovery: neutrophils and platelets, 10⁹/L.
RECOVERED_NEUTROPHILS_1E9_PER_L = 1.0
RECOVERED_PLATELETS_1E9_PER_L = 100.0
#: MRD-negative: MRD strictly below this fraction of nucleated cells (0.01 %).
MRD_NEGATIVE_BELOW = 1e-4
#: Days a remission must last to count (clinical.md §3.2: "no recurrence for >= 4 weeks").
MINIMUM_REMISSION_DAYS = 28.0


class BALLResponse(StrEnum):
    """B-ALL categories, best first (RELAPSE only follows a CR/CRi and ends the series)."""

    CR = "CR"
    CRI = "CRi"
    PR = "PR"
    NR = "NR"
    PD = "PD"
    RELAPSE = "relapse"


@dataclass(frozen=True)
class BALLAssessment:
    """One B-ALL assessment of marrow, blood and extramedullary sites.

    Attributes:
        day: assessment day (days; day 0 = infusion).
        marrow_blasts_percent: blasts in the bone marrow, % of nucleated cells (0-100).
        circulating_blasts_1e9_per_L: absolute blasts in peripheral blood, 10⁹/L.
        neutrophils_1e9_per_L: absolute neutrophil count (ANC), 10⁹/L.
        platelets_1e9_per_L: platelet count, 10⁹/L.
        extramedullary_disease: disease outside marrow and blood (e.g. CNS2/CNS3, testes).
        mrd_fraction: measurable residual disease as a fraction of nucleated cells (0-1), or
            ``None`` if not measured.
    """

    day: float
    marrow_blasts_percent: float
    circulating_blasts_1e9_per_L: float
    neutrophils_1e9_per_L: float
    platelets_1e9_per_L: float
    extramedullary_disease: bool = False
    mrd_fraction: float | None = None

    def __post_init__(self) -> None:
        check_day(self.day)
        check_number("marrow_blasts_percent", self.marrow_blasts_percent, "%", 0.0, 100.0)
        check_number("circulating_blasts_1e9_per_L", self.circulating_blasts_1e9_per_L, "10⁹/L", 0.0, 1000.0)
        check_number("neutrophils_1e9_per_L", self.neutrophils_1e9_per_L, "10⁹/L", 0.0, 1000.0)
        check_number("platelets_1e9_per_L", self.platelets_1e9_per_L, "10⁹/L", 0.0, 10000.0)
        check_optional_number("mrd_fraction", self.mrd_fraction, "(fraction of nucleated cells)", 0.0, 1.0)
        if not isinstance(self.extramedullary_disease, bool):
            raise ClinicalDataError(f"extramedullary_disease must be True or False, got {self.extramedullary_disease!r}")

    @property
    def counts_recovered(self) -> bool:
        """ANC >= 1.0 x 10⁹/L and platelets >= 100 x 10⁹/L."""
        return (
            self.neutrophils_1e9_per_L >= RECOVERED_NEUTROPHILS_1E9_PER_L
            and self.platelets_1e9_per_L >= RECOVERED_PLATELETS_1E9_PER_L
        )

    @property
    def leukaemia_detected(self) -> bool:
        """Marrow blasts >= 5 %, any circulating blasts, or extramedullary disease."""
        return (
            self.marrow_blasts_percent >= CR_MARROW_BLASTS_PERCENT
            or self.circulating_blasts_1e9_per_L > 0.0
            or self.extramedullary_disease
        )


def is_mrd_negative(mrd_fraction: float) -> bool:
    """MRD-negative: MRD < 1e-4 (0.01 %) of nucleated cells (clinical.md §3.2)."""
    return check_number("mrd_fraction", mrd_fraction, "(fraction of nucleated cells)", 0.0, 1.0) < MRD_NEGATIVE_BELOW


def _rose_from_nadir(value: float, nadir: float) -> bool:
    return value > nadir and at_least(value, (1.0 + PD_BLAST_INCREASE) * nadir)


def _fell_by_half(value: float, baseline: float) -> bool:
    if baseline == 0.0:
        return value == 0.0
    return at_least(1.0 - value / baseline, PR_BLAST_DECREASE)


def _meets_partial(visit: BALLAssessment, baseline: BALLAssessment) -> bool:
    return (
        visit.marrow_blasts_percent <= PR_MARROW_BLASTS_PERCENT
        and _fell_by_half(visit.marrow_blasts_percent, baseline.marrow_blasts_percent)
        and _fell_by_half(visit.circulating_blasts_1e9_per_L, baseline.circulating_blasts_1e9_per_L)
        and visit.counts_recovered
        and (not visit.extramedullary_disease or baseline.extramedullary_disease)
    )


def classify_ball(assessments: Sequence[BALLAssessment]) -> list[BALLResponse]:
    """The B-ALL category of each follow-up assessment, before the 4-week remission rule."""
    series: tuple[BALLAssessment, ...] = check_series(assessments, BALLAssessment, "B-ALL")
    baseline = series[0]
    marrow_nadir, blood_nadir = baseline.marrow_blasts_percent, baseline.circulating_blasts_1e9_per_L
    was_in_remission = False
    categories = []
    for previous, visit in itertools.pairwise(series):
        remission = not visit.leukaemia_detected
        if remission:
            category = BALLResponse.CR if visit.counts_recovered else BALLResponse.CRI
        elif was_in_remission:
            category = BALLResponse.RELAPSE
        elif (
            _rose_from_nadir(visit.marrow_blasts_percent, marrow_nadir)
            or _rose_from_nadir(visit.circulating_blasts_1e9_per_L, blood_nadir)
            or (visit.extramedullary_disease and not previous.extramedullary_disease)
        ):
            category = BALLResponse.PD
        elif _meets_partial(visit, baseline):
            category = BALLResponse.PR
        else:
            category = BALLResponse.NR
        categories.append(category)
        was_in_remission = was_in_remission or remission
        marrow_nadir = min(marrow_nadir, visit.marrow_blasts_percent)
        blood_nadir = min(blood_nadir, visit.circulating_blasts_1e9_per_L)
    return categories


def _confirmed_categories(
    series: Sequence[BALLAssessment], raw: list[BALLResponse], minimum_remission_days: float
) -> list[BALLResponse]:
    """Downgrade CR/CRi not maintained for ``minimum_remission_days`` to PR (if met) or NR."""
    follow_up = list(series[1:])
    confirmed: list[BALLResponse] = []
    for index, (visit, category) in enumerate(zip(follow_up, raw, strict=True)):
        if category not in (BALLResponse.CR, BALLResponse.CRI):
            confirmed.append(category)
            continue
        window_end = next(
            (later for later in range(index, len(follow_up)) if follow_up[later].day >= visit.day + minimum_remission_days), None
        )
        lasted = window_end is not None and all(
            raw[later] in (BALLResponse.CR, BALLResponse.CRI) for later in range(index, window_end + 1)
        )
        if lasted:
            confirmed.append(category)
        else:
            confirmed.append(BALLResponse.PR if _meets_partial(visit, series[0]) else BALLResponse.NR)
    return confirmed


def assess_ball(
    assessments: Sequence[BALLAssessment], *, minimum_remission_days: float = MINIMUM_REMISSION_DAYS
) -> ResponseSummary:
    """Best overall response (CR > CRi > PR > NR > PD), first response day (CR, CRi or PR) and PD/relapse day.

    ``categories`` in the result are after the remission-duration rule; set
    ``minimum_remission_days=0`` to count a single CR/CRi assessment.
    """
    check_number("minimum_remission_days", minimum_remission_days, "days", 0.0, 365.0)
    raw = classify_ball(assessments)
    series = tuple(assessments)
    confirmed = _confirmed_categories(series, raw, minimum_remission_days)
    days = [visit.day for visit in series[1:]]
    return summarise("B-ALL", days, confirmed, list(BALLResponse), ("CR", "CRi", "PR"), ("PD", "relapse"))


def mrd_negative_remission_day(
    assessments: Sequence[BALLAssessment], *, minimum_remission_days: float = MINIMUM_REMISSION_DAYS
) -> float | None:
    """Day of the first lasting CR/CRi with MRD < 1e-4 measured at that assessment, or ``None``."""
    summary = assess_ball(assessments, minimum_remission_days=minimum_remission_days)
    for visit, category in zip(tuple(assessments)[1:], summary.categories, strict=True):
        if category in ("relapse", "PD"):
            return None
        if category in ("CR", "CRi") and visit.mrd_fraction is not None and visit.mrd_fraction < MRD_NEGATIVE_BELOW:
            return float(visit.day)
    return None


#: Required columns of the B-ALL table (one row per patient and assessment day).
BALL_TABLE_COLUMNS = (
    "patient",
    "day",
    "marrow_blasts_percent",
    "circulating_blasts_1e9_per_L",
    "neutrophils_1e9_per_L",
    "platelets_1e9_per_L",
)


def assess_ball_table(frame: pd.DataFrame, *, minimum_remission_days: float = MINIMUM_REMISSION_DAYS) -> pd.DataFrame:
    """B-ALL summaries for many patients; optional columns ``extramedullary_disease`` and ``mrd_fraction``."""
    require_columns(frame, BALL_TABLE_COLUMNS, "B-ALL")

    def build(rows: pd.DataFrame) -> ResponseSummary:
        visits = [
            BALLAssessment(
                float(row["day"]),
                float(row["marrow_blasts_percent"]),
                float(row["circulating_blasts_1e9_per_L"]),
                float(row["neutrophils_1e9_per_L"]),
                float(row["platelets_1e9_per_L"]),
                bool(row.get("extramedullary_disease", False)),
                None if is_missing(row.get("mrd_fraction")) else float(row["mrd_fraction"]),
            )
            for row in records(rows, "day")
        ]
        return assess_ball(visits, minimum_remission_days=minimum_remission_days)

    return summaries_to_frame(frame, "patient", build)
