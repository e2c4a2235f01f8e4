"""Lymphoma response by the Lugano 2014 classification, CT-based (PET-based: :mod:`.lugano_pet`).

Source: Cheson et al., J Clin Oncol 2014;32:3059, as restated in the project reference
``clinical.md`` §3.1 (tags [V]).

CT rules applied to each follow-up scan, PD first:

- **PD** if any target lesion has LDi > 1.5 cm **and** PPD >= 1.5 x its PPD nadir **and** an
  increase in LDi or SDi from its nadir of >= 0.5 cm (lesion LDi <= 2 cm) or >= 1.0 cm
  (LDi > 2 cm); or a new lesion > 1.5 cm in any axis, an extranodal new lesion > 1 cm, or a new
  lesion unequivocally lymphoma; or non-target progression (spleen, non-measured lesions, new
  or recurrent marrow involvement), reported by the caller.
- **CR** if every nodal target has LDi <= 1.5 cm, every extranodal target is gone (0 x 0), no
  non-target disease remains and no new lesion was recorded.
- **PR** if the SPD has fallen by >= 50 % from baseline and no new lesion was recorded.
- **SD** otherwise.

Nadirs (each lesion's PPD, LDi and SDi) are running minima over the baseline and all earlier
scans; PR and SD are judged against the baseline SPD. A simulator with a single tumour volume
must first map it onto virtual target lesions (clinical.md §3.1 implementation notes). In the
long table of :func:`assess_lugano_ct_table`, new lesions go in optional ``new_lesion_*`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from cartsim.errors import ClinicalDataError

from ._common import (
    ResponseSummary,
    at_least,
    check_day,
    check_number,
    check_series,
    greater_than,
    is_missing,
    records,
    require_columns,
    summaries_to_frame,
    summarise,
)

#: Largest number of target lesions (clinical.md §3.1: "up to 6").
MAX_TARGET_LESIONS = 6
#: Nodal CR threshold and the individual-lesion PD size floor, cm of LDi.
NODE_NORMAL_LDI_CM = 1.5
#: Minimum SPD decrease from baseline for PR (fraction).
PR_SPD_DECREASE = 0.5
#: Minimum PPD increase from the lesion's nadir for PD (fraction).
PD_PPD_INCREASE = 0.5
#: Lesion LDi at or below which the smaller diameter-increase step applies, cm.
SMALL_LESION_LDI_CM = 2.0
#: Diameter increase from nadir needed for PD: small and large lesions, cm.
PD_STEP_SMALL_CM, PD_STEP_LARGE_CM = 0.5, 1.0
#: New-lesion size thresholds: any axis, and extranodal, cm (strictly greater than).
NEW_LESION_CM, NEW_EXTRANODAL_LESION_CM = 1.5, 1.0
#: Upper plausibility bound on any diameter, cm.
MAX_DIAMETER_CM = 100.0


class LuganoResponse(StrEnum):
    """Lugano 2014 CT categories, best first."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"


@dataclass(frozen=True)
class Lesion:
    """One target lesion on one CT scan: longest transverse diameter (LDi) and the perpendicular SDi, cm.

    Use :meth:`too_small_to_measure` (5 mm x 5 mm) and :meth:`not_visible` (0 x 0) for the
    Lugano default sizes. ``extranodal`` marks an extranodal site (CR needs it gone entirely).
    """

    longest_diameter_cm: float
    short_axis_cm: float
    extranodal: bool = False

    def __post_init__(self) -> None:
        longest = check_number("longest_diameter_cm", self.longest_diameter_cm, "cm", 0.0, MAX_DIAMETER_CM)
        short = check_number("short_axis_cm", self.short_axis_cm, "cm", 0.0, MAX_DIAMETER_CM)
        if short > longest:
            raise ClinicalDataError(
                f"short_axis_cm = {short:g} cm exceeds longest_diameter_cm = {longest:g} cm; "
                "SDi is the axis perpendicular to the longest diameter, so it cannot be longer"
            )
        if (short == 0.0) != (longest == 0.0):
            raise ClinicalDataError(
                f"a lesion of {longest:g} x {short:g} cm has one zero diameter; use 0 x 0 for a lesion no longer visible"
            )
        if not isinstance(self.extranodal, bool):
            raise ClinicalDataError(f"extranodal must be True or False, got {self.extranodal!r}")

    @property
    def product_cm2(self) -> float:
        """PPD: product of the perpendicular diameters, cm²."""
        return self.longest_diameter_cm * self.short_axis_cm

    @classmethod
    def too_small_to_measure(cls, *, extranodal: bool = False) -> Lesion:
        """A lesion present but too small to measure: assigned 5 mm x 5 mm (clinical.md §3.1)."""
        return cls(0.5, 0.5, extranodal)

    @classmethod
    def not_visible(cls, *, extranodal: bool = False) -> Lesion:
        """A lesion no longer visible: assigned 0 x 0 mm (clinical.md §3.1)."""
        return cls(0.0, 0.0, extranodal)


@dataclass(frozen=True)
class NewLesion:
    """A lesion absent at baseline: its longest axis, cm, and whether it is extranodal.

    ``unequivocally_lymphoma`` lets a small lesion count as progression (clinical.md §3.1).
    """

    longest_axis_cm: float
    extranodal: bool = False
    unequivocally_lymphoma: bool = False

    def __post_init__(self) -> None:
        check_number("longest_axis_cm", self.longest_axis_cm, "cm", 0.0, MAX_DIAMETER_CM)

    @property
    def is_progression(self) -> bool:
        """True if the lesion meets the Lugano new-lesion PD rule."""
        if self.unequivocally_lymphoma or greater_than(self.longest_axis_cm, NEW_LESION_CM):
            return True
        return self.extranodal and greater_than(self.longest_axis_cm, NEW_EXTRANODAL_LESION_CM)


@dataclass(frozen=True)
class CTAssessment:
    """One CT scan: the target lesions (same lesions, same order at every scan) and other findings.

    Attributes:
        day: scan day (days; day 0 = infusion).
        target_lesions: 1 to 6 :class:`Lesion` measurements.
        new_lesions: lesions not present at baseline. Any recorded new lesion rules out CR and PR;
            only those meeting :attr:`NewLesion.is_progression` make the scan PD.
        non_target_disease: residual disease outside the targets that rules out CR (extralymphatic
            disease, non-measured lesions present, enlarged organs, marrow involvement).
        non_target_progression: progression outside the targets that makes the scan PD (spleen
            growth rule, new or clearly progressed non-measured lesions, new marrow involvement).
    """

    day: float
    target_lesions: Sequence[Lesion]
    new_lesions: Sequence[NewLesion] = ()
    non_target_disease: bool = False
    non_target_progression: bool = False

    def __post_init__(self) -> None:
        check_day(self.day)
        targets, new = tuple(self.target_lesions), tuple(self.new_lesions)
        if not 1 <= len(targets) <= MAX_TARGET_LESIONS:
            raise ClinicalDataError(f"target_lesions has {len(targets)} lesions; Lugano allows 1 to {MAX_TARGET_LESIONS}")
        if not all(isinstance(item, Lesion) for item in targets):
            raise ClinicalDataError("target_lesions must contain Lesion objects")
        if not all(isinstance(item, NewLesion) for item in new):
            raise ClinicalDataError("new_lesions must contain NewLesion objects")
        object.__setattr__(self, "target_lesions", targets)
        object.__setattr__(self, "new_lesions", new)

    @property
    def spd_cm2(self) -> float:
        """SPD: sum of the target lesions' products of perpendicular diameters, cm²."""
        return sum(lesion.product_cm2 for lesion in self.target_lesions)


def _lesion_progressed(lesion: Lesion, nadir_product: float, nadir_longest: float, nadir_short: float) -> bool:
    if not greater_than(lesion.longest_diameter_cm, NODE_NORMAL_LDI_CM):
        return False
    if not at_least(lesion.product_cm2, (1.0 + PD_PPD_INCREASE) * nadir_product):
        return False
    step = PD_STEP_SMALL_CM if lesion.longest_diameter_cm <= SMALL_LESION_LDI_CM else PD_STEP_LARGE_CM
    return at_least(lesion.longest_diameter_cm - nadir_longest, step) or at_least(lesion.short_axis_cm - nadir_short, step)


def _check_same_targets(series: tuple[CTAssessment, ...]) -> None:
    layout = [lesion.extranodal for lesion in series[0].target_lesions]
    for scan in series[1:]:
        if [lesion.extranodal for lesion in scan.target_lesions] != layout:
            raise ClinicalDataError(
                f"the scan on day {scan.day:g} has {len(scan.target_lesions)} target lesions (nodal/extranodal "
                f"{[lesion.extranodal for lesion in scan.target_lesions]}), baseline has {len(layout)} ({layout}); "
                "follow the same target lesions in the same order"
            )
    if series[0].spd_cm2 <= 0.0:
        raise ClinicalDataError("baseline SPD is 0 cm²; Lugano response needs measurable disease at baseline")


def classify_ct(assessments: Sequence[CTAssessment]) -> list[LuganoResponse]:
    """The Lugano CT category of each follow-up scan (the first scan is the baseline)."""
    series: tuple[CTAssessment, ...] = check_series(assessments, CTAssessment, "Lugano CT")
    _check_same_targets(series)
    baseline_spd = series[0].spd_cm2
    nadirs = [[lesion.product_cm2, lesion.longest_diameter_cm, lesion.short_axis_cm] for lesion in series[0].target_lesions]
    categories = []
    for scan in series[1:]:
        lesion_pd = any(_lesion_progressed(lesion, *nadir) for lesion, nadir in zip(scan.target_lesions, nadirs, strict=True))
        if lesion_pd or scan.non_target_progression or any(new.is_progression for new in scan.new_lesions):
            categories.append(LuganoResponse.PD)
        elif scan.new_lesions:
            categories.append(LuganoResponse.SD)
        elif not scan.non_target_disease and all(
            lesion.longest_diameter_cm == 0.0 if lesion.extranodal else lesion.longest_diameter_cm <= NODE_NORMAL_LDI_CM
            for lesion in scan.target_lesions
        ):
            categories.append(LuganoResponse.CR)
        elif at_least(1.0 - scan.spd_cm2 / baseline_spd, PR_SPD_DECREASE):
            categories.append(LuganoResponse.PR)
        else:
            categories.append(LuganoResponse.SD)
        for lesion, nadir in zip(scan.target_lesions, nadirs, strict=True):
            nadir[:] = [
                min(nadir[0], lesion.product_cm2),
                min(nadir[1], lesion.longest_diameter_cm),
                min(nadir[2], lesion.short_axis_cm),
            ]
    return categories


def assess_lugano_ct(assessments: Sequence[CTAssessment]) -> ResponseSummary:
    """Best overall response (CR > PR > SD > PD), first response day (CR or PR) and progression day, by CT."""
    categories = classify_ct(assessments)
    days = [scan.day for scan in assessments][1:]
    return summarise("Lugano 2014 CT", days, categories, list(LuganoResponse), ("CR", "PR"), ("PD",))


#: Columns of the long-format CT table: one row per patient, scan day and target lesion.
CT_TABLE_COLUMNS = ("patient", "day", "lesion", "longest_diameter_cm", "short_axis_cm")
#: Optional new-lesion columns of the CT table (see :func:`assess_lugano_ct_table`).
CT_TABLE_NEW_LESION_COLUMNS = ("new_lesion_longest_axis_cm", "new_lesion_extranodal", "new_lesion_unequivocal")


def _new_lesion_from_row(row: dict[str, Any], day: float) -> NewLesion | None:
    """The new lesion recorded on one table row, or ``None`` if its longest axis is missing."""
    extranodal, unequivocal = (not is_missing(row.get(name)) and bool(row[name]) for name in CT_TABLE_NEW_LESION_COLUMNS[1:])
    if is_missing(row.get("new_lesion_longest_axis_cm")):
        if extranodal or unequivocal:
            raise ClinicalDataError(
                f"the scan on day {day:g}, lesion {row['lesion']!r}: new_lesion_extranodal or new_lesion_unequivocal is "
                "True but new_lesion_longest_axis_cm is missing; give the new lesion's longest axis in cm"
            )
        return None
    return NewLesion(float(row["new_lesion_longest_axis_cm"]), extranodal, unequivocal)


def _flag(row: dict[str, Any], name: str) -> bool:
    """An optional boolean column: absent or missing (NaN/None) is False, as documented."""
    value = row.get(name)
    return not is_missing(value) and bool(value)


def assess_lugano_ct_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Lugano CT summaries for many patients from a long table of target-lesion measurements.

    Required columns: :data:`CT_TABLE_COLUMNS`. Optional boolean columns: ``extranodal`` (per
    lesion), ``non_target_disease`` and ``non_target_progression`` (per scan; any True row of the
    scan counts).

    New lesions (clinical.md §3.1: "> 1.5 cm in any axis, or an extranodal lesion > 1 cm; a lesion
    < 1 cm counts only if it is unequivocally lymphoma") go in the optional columns
    :data:`CT_TABLE_NEW_LESION_COLUMNS`, which describe at most one new lesion per row:

    - ``new_lesion_longest_axis_cm``: longest axis of a new lesion seen on that scan, cm; missing
      (NaN/None) means the row records no new lesion.
    - ``new_lesion_extranodal``: the new lesion is extranodal (> 1 cm is then PD).
    - ``new_lesion_unequivocal``: the new lesion is unequivocally lymphoma (PD whatever its size).

    The two flags are read only with a longest axis (missing = False); a True flag without one
    is an error. Each row belongs to a target lesion, so a scan holds as many new lesions as it
    has rows; one is enough to decide the category, because any new lesion rules out CR and PR
    and a single one meeting the rule makes the scan PD (see :class:`NewLesion`). A new lesion
    on the baseline scan is ignored, as in :func:`assess_lugano_ct`.

    Returns one row per patient (sorted) with the columns of ``summaries_to_frame``.
    """
    require_columns(frame, CT_TABLE_COLUMNS, "Lugano CT")

    def build(rows: pd.DataFrame) -> ResponseSummary:
        scans = []
        for day, scan_rows in rows.groupby("day", sort=True):
            lesion_rows = records(scan_rows, "lesion")
            lesions = [
                Lesion(float(row["longest_diameter_cm"]), float(row["short_axis_cm"]), _flag(row, "extranodal"))
                for row in lesion_rows
            ]
            scan_day = float(day)  # type: ignore[arg-type]
            new_lesions = [new for row in lesion_rows if (new := _new_lesion_from_row(row, scan_day)) is not None]
            scans.append(
                CTAssessment(
                    scan_day,
                    lesions,
                    new_lesions,
                    non_target_disease=any(_flag(row, "non_target_disease") for row in lesion_rows),
                    non_target_progression=any(_flag(row, "non_target_progression") for row in lesion_rows),
                )
            )
        return assess_lugano_ct(scans)

    return summaries_to_frame(frame, "patient", build)
