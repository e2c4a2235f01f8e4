"""Lymphoma metabolic response by Lugano 2014 PET-CT, from the Deauville five-point scale (5PS).

Source: Cheson et al., J Clin Oncol 2014;32:3059, as restated in the project reference
``clinical.md`` §3.1 (tags [V]; the wording of the five scores themselves is [U], so only the
score *number* is used). Each follow-up scan, PMD first:

- **PMD**: new FDG-avid foci, or score 4-5 with increased uptake compared with baseline.
- **CMR**: score 1, 2 or 3 (with or without a residual mass).
- **PMR**: score 4-5 with reduced uptake; **NMR** (no metabolic response): score 4-5, no
  significant change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cartsim.errors import ClinicalDataError

from ._common import ResponseSummary, check_day, check_series, summarise


class MetabolicResponse(StrEnum):
    """Lugano 2014 PET-CT (Deauville 5PS) categories, best first."""

    CMR = "CMR"  # complete metabolic response
    PMR = "PMR"  # partial metabolic response
    NMR = "NMR"  # no metabolic response (stable disease)
    PMD = "PMD"  # progressive metabolic disease


class UptakeChange(StrEnum):
    """FDG uptake of a PET scan compared with the baseline scan."""

    REDUCED = "reduced"
    UNCHANGED = "unchanged"  # no significant change
    INCREASED = "increased"


@dataclass(frozen=True)
class PETAssessment:
    """One PET-CT scan scored on the Deauville five-point scale.

    Attributes:
        day: scan day (days; day 0 = infusion).
        deauville_score: 1 to 5.
        uptake_change: uptake compared with baseline; required on follow-up scans scoring 4 or 5,
            ignored otherwise (and on the baseline scan).
        new_fdg_avid_lesions: new FDG-avid foci consistent with lymphoma.
    """

    day: float
    deauville_score: int
    uptake_change: UptakeChange | None = None
    new_fdg_avid_lesions: bool = False

    def __post_init__(self) -> None:
        check_day(self.day)
        score = self.deauville_score
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ClinicalDataError(f"deauville_score = {score!r} is not a Deauville 5-point score; allowed: 1, 2, 3, 4 or 5")
        if self.uptake_change is not None:
            try:
                object.__setattr__(self, "uptake_change", UptakeChange(self.uptake_change))
            except ValueError:
                allowed = ", ".join(repr(item.value) for item in UptakeChange)
                raise ClinicalDataError(f"uptake_change = {self.uptake_change!r} is unknown; allowed: {allowed}") from None


def classify_pet(assessments: Sequence[PETAssessment]) -> list[MetabolicResponse]:
    """The Lugano PET-CT category of each follow-up scan (the first scan is the baseline)."""
    series: tuple[PETAssessment, ...] = check_series(assessments, PETAssessment, "Lugano PET-CT")
    categories = []
    for scan in series[1:]:
        if scan.new_fdg_avid_lesions:
            categories.append(MetabolicResponse.PMD)
        elif scan.deauville_score <= 3:
            categories.append(MetabolicResponse.CMR)
        elif scan.uptake_change is None:
            raise ClinicalDataError(
                f"the PET scan on day {scan.day:g} scores {scan.deauville_score}; a score of 4 or 5 needs "
                "uptake_change (reduced, unchanged or increased compared with baseline)"
            )
        else:
            by_change = {
                UptakeChange.REDUCED: MetabolicResponse.PMR,
                UptakeChange.UNCHANGED: MetabolicResponse.NMR,
                UptakeChange.INCREASED: MetabolicResponse.PMD,
            }
            categories.append(by_change[scan.uptake_change])
    return categories


def assess_lugano_pet(assessments: Sequence[PETAssessment]) -> ResponseSummary:
    """Best overall metabolic response (CMR > PMR > NMR > PMD), first response day (CMR or PMR), progression day."""
    categories = classify_pet(assessments)
    days = [scan.day for scan in assessments][1:]
    return summarise("Lugano 2014 PET-CT", days, categories, list(MetabolicResponse), ("CMR", "PMR"), ("PMD",))
