"""Multiple myeloma response by the IMWG uniform criteria: sCR, CR, VGPR, PR, MR, SD, PD.

Sources: Durie et al., Leukemia 2006 (Table 5); Kumar et al., Lancet Oncol 2016, as restated in
the project reference ``clinical.md`` §3.3 (tags [V]).

Which marker is followed is decided at baseline from what the caller measured (the IMWG
measurability thresholds are not in clinical.md, so the caller decides by leaving a marker
``None`` or giving 0): M-protein (serum and/or urine, baseline > 0) if any; else the FLC
difference (involved - uninvolved, baseline > 0); else marrow plasma cells (PR needs a baseline
>= 30 %). Reductions are from baseline; PD is from the nadir ("lowest response value", baseline
and earlier visits) and needs both the relative and the absolute increase:

- **PD**: serum M-protein +25 % and +0.5 g/dL (+1 g/dL if the nadir was >= 5 g/dL); urine
  +25 % and +200 mg/24 h; FLC difference +25 % and > +10 mg/dL (FLC-followed patients only);
  marrow plasma cells +25 % and +10 percentage points (marrow-followed only); or new/enlarging
  bone lesions or plasmacytomas. Serum and urine are checked whenever measured at baseline.
- **CR**: serum and urine immunofixation negative, marrow plasma cells < 5 %, no soft-tissue
  plasmacytoma ("disappearance of soft-tissue plasmacytomas", whether or not one was present at
  baseline). **sCR**: CR plus a normal FLC ratio plus no clonal marrow plasma cells.
- **VGPR**: serum >= 90 % reduction and urine < 100 mg/24 h (each where measured).
- **PR**: serum >= 50 % reduction and urine >= 90 % reduction or < 200 mg/24 h; FLC difference
  >= 50 % reduction; marrow plasma cells >= 50 % reduction from a baseline >= 30 %.
- **Plasmacytomas** ("plasmacytomas present at baseline must shrink by >= 50 %"): when a
  soft-tissue plasmacytoma is present at baseline, VGPR and PR (whatever the followed marker)
  also need it gone at the visit, or its size (``plasmacytoma_spd_cm2``) reduced by >= 50 % from
  the baseline size. A plasmacytoma still present whose size is unknown at baseline or at the
  visit cannot show that reduction, so the visit falls back to MR (if the M-protein meets MR)
  or SD. clinical.md gives no size threshold for "enlarging" plasmacytomas, so growth in
  ``plasmacytoma_spd_cm2`` is not turned into PD: report it with
  ``new_bone_lesion_or_plasmacytoma``.
- **MR**: serum >= 25 % reduction and urine >= 50 % reduction (M-protein-followed patients).
- **SD** otherwise.

Presence of a plasmacytoma at a visit: ``soft_tissue_plasmacytoma`` is True or
``plasmacytoma_spd_cm2`` > 0 (see :attr:`IMWGAssessment.plasmacytoma_present`). The boolean alone
keeps its earlier meaning (False = no plasmacytoma, so ``plasmacytoma_spd_cm2=None`` with the flag
False means none, not "not imaged"); a measured size of 0 with the flag True is rejected as
contradictory.

MRD (clinical.md §3.3 rules: "IMWG 2016 MRD negativity is defined at 10⁻⁵"): ``mrd_fraction`` is
the measured MRD as a fraction of nucleated cells. The reference gives no comparison sign; this
module reads 10⁻⁵ as the level that must *not* be reached, as the B-ALL rule of §3.2 does with
10⁻⁴ ("MRD-negative = < 0.01 %"): MRD-negative means ``mrd_fraction < 1e-5``, and exactly 1e-5 is
MRD-positive (see :func:`is_imwg_mrd_negative`). MRD does not change the response category;
:func:`mrd_negative_cr_day` gives the day of the first confirmed CR/sCR that is MRD-negative
(kept out of :class:`ResponseSummary`, whose fields and table columns are shared by all criteria).

Two consecutive assessments: a category is confirmed at a visit when that visit and the next
both meet it; the confirmed category is the worse of the two (both PD for PD; one PD alone gives
SD). The last visit cannot be confirmed (category ``None``). Time to response and to progression
are the days of the first of the two visits. A marrow result is carried forward to later visits
without a marrow examination (IMWG does not repeat the marrow to confirm).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
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
    check_optional_number,
    check_series,
    greater_than,
    is_missing,
    records,
    require_columns,
    summaries_to_frame,
    summarise,
)

#: Response thresholds: reductions from baseline (fractions) and absolute limits.
VGPR_SERUM_REDUCTION, PR_SERUM_REDUCTION, MR_SERUM_REDUCTION = 0.90, 0.50, 0.25
VGPR_URINE_BELOW_MG_24H, PR_URINE_BELOW_MG_24H = 100.0, 200.0
PR_URINE_REDUCTION, MR_URINE_REDUCTION = 0.90, 0.50
PR_FLC_REDUCTION, PR_MARROW_REDUCTION, PR_MARROW_BASELINE_PERCENT = 0.50, 0.50, 30.0
CR_MARROW_PLASMA_CELLS_PERCENT = 5.0
#: PR (and VGPR) needs a plasmacytoma present at baseline to shrink by at least this fraction.
PR_PLASMACYTOMA_REDUCTION = 0.50
#: IMWG 2016 MRD-negative: MRD strictly below this fraction of nucleated cells (10⁻⁵).
IMWG_MRD_NEGATIVE_BELOW = 1e-5
#: Upper plausibility bound on the plasmacytoma size, cm² (100 cm x 100 cm).
MAX_PLASMACYTOMA_SPD_CM2 = 10_000.0
#: Progression: relative increase from nadir, and the absolute increases.
PD_RELATIVE_INCREASE = 0.25
PD_SERUM_G_DL, PD_SERUM_HIGH_NADIR_G_DL, HIGH_SERUM_NADIR_G_DL = 0.5, 1.0, 5.0
PD_URINE_MG_24H, PD_FLC_DIFFERENCE_MG_DL, PD_MARROW_POINTS = 200.0, 10.0, 10.0


class IMWGResponse(StrEnum):
    """IMWG categories, best first."""

    SCR = "sCR"
    CR = "CR"
    VGPR = "VGPR"
    PR = "PR"
    MR = "MR"
    SD = "SD"
    PD = "PD"


_RANK = {category: index for index, category in enumerate(IMWGResponse)}


@dataclass(frozen=True)
class IMWGAssessment:
    """One myeloma assessment; ``None`` means not measured at this visit.

    Attributes:
        day: assessment day (days; day 0 = infusion).
        serum_m_protein_g_dL: serum M-protein by electrophoresis, g/dL.
        urine_m_protein_mg_24h: 24-hour urine M-protein, mg/24 h.
        involved_flc_mg_dL, uninvolved_flc_mg_dL: serum free light chains, mg/dL (both or neither).
        marrow_plasma_cells_percent: plasma cells in the marrow, % (0-100).
        serum_immunofixation_negative, urine_immunofixation_negative: negative IFE.
        soft_tissue_plasmacytoma: a soft-tissue plasmacytoma is present (False: none).
        plasmacytoma_spd_cm2: size of the soft-tissue plasmacytomas, cm² (sum of the products
            of perpendicular diameters), or ``None`` if not measured. A value > 0 means a
            plasmacytoma is present even if ``soft_tissue_plasmacytoma`` is False; 0 means none
            (and then ``soft_tissue_plasmacytoma`` must not be True).
        normal_flc_ratio: the serum FLC ratio is normal (for sCR).
        marrow_clonal_cells_absent: no clonal plasma cells in the marrow by IHC/IF (for sCR);
            ``None`` if not examined.
        new_bone_lesion_or_plasmacytoma: new or enlarging bone lesions or plasmacytomas.
        mrd_fraction: measurable residual disease in the marrow as a fraction of nucleated cells
            (0-1), or ``None`` if not measured. It does not change the category; see
            :func:`mrd_negative_cr_day`.
    """

    day: float
    serum_m_protein_g_dL: float | None = None
    urine_m_protein_mg_24h: float | None = None
    involved_flc_mg_dL: float | None = None
    uninvolved_flc_mg_dL: float | None = None
    marrow_plasma_cells_percent: float | None = None
    serum_immunofixation_negative: bool = False
    urine_immunofixation_negative: bool = False
    soft_tissue_plasmacytoma: bool = False
    normal_flc_ratio: bool = False
    marrow_clonal_cells_absent: bool | None = None
    new_bone_lesion_or_plasmacytoma: bool = False
    plasmacytoma_spd_cm2: float | None = None
    mrd_fraction: float | None = None

    def __post_init__(self) -> None:
        check_day(self.day)
        check_optional_number("serum_m_protein_g_dL", self.serum_m_protein_g_dL, "g/dL", 0.0, 20.0)
        check_optional_number("urine_m_protein_mg_24h", self.urine_m_protein_mg_24h, "mg/24 h", 0.0, 100_000.0)
        check_optional_number("involved_flc_mg_dL", self.involved_flc_mg_dL, "mg/dL", 0.0, 100_000.0)
        check_optional_number("uninvolved_flc_mg_dL", self.uninvolved_flc_mg_dL, "mg/dL", 0.0, 100_000.0)
        check_optional_number("marrow_plasma_cells_percent", self.marrow_plasma_cells_percent, "%", 0.0, 100.0)
        check_optional_number("plasmacytoma_spd_cm2", self.plasmacytoma_spd_cm2, "cm²", 0.0, MAX_PLASMACYTOMA_SPD_CM2)
        check_optional_number("mrd_fraction", self.mrd_fraction, "(fraction of nucleated cells)", 0.0, 1.0)
        if self.soft_tissue_plasmacytoma and self.plasmacytoma_spd_cm2 == 0.0:
            raise ClinicalDataError(
                f"day {self.day:g}: soft_tissue_plasmacytoma is True but plasmacytoma_spd_cm2 is 0 cm²; "
                "give the plasmacytoma's size, or set soft_tissue_plasmacytoma to False"
            )
        if (self.involved_flc_mg_dL is None) != (self.uninvolved_flc_mg_dL is None):
            raise ClinicalDataError(f"day {self.day:g}: give both involved_flc_mg_dL and uninvolved_flc_mg_dL, or neither")
        for name, amount in (("serum", self.serum_m_protein_g_dL), ("urine", self.urine_m_protein_mg_24h)):
            if getattr(self, f"{name}_immunofixation_negative") and amount is not None and amount > 0.0:
                raise ClinicalDataError(
                    f"day {self.day:g}: {name}_immunofixation_negative is True but the {name} M-protein is {amount:g}; "
                    "an M-protein seen by electrophoresis cannot be immunofixation-negative"
                )

    @property
    def plasmacytoma_present(self) -> bool:
        """A soft-tissue plasmacytoma is present: flagged, or a measured size above 0 cm²."""
        return self.soft_tissue_plasmacytoma or (self.plasmacytoma_spd_cm2 or 0.0) > 0.0

    @property
    def flc_difference_mg_dL(self) -> float | None:
        """Involved minus uninvolved free light chain, mg/dL."""
        if self.involved_flc_mg_dL is None or self.uninvolved_flc_mg_dL is None:
            return None
        return self.involved_flc_mg_dL - self.uninvolved_flc_mg_dL


def is_imwg_mrd_negative(mrd_fraction: float) -> bool:
    """IMWG 2016 MRD-negative: MRD < 1e-5 of nucleated cells; exactly 1e-5 is positive (clinical.md §3.3)."""
    fraction = check_number("mrd_fraction", mrd_fraction, "(fraction of nucleated cells)", 0.0, 1.0)
    return fraction < IMWG_MRD_NEGATIVE_BELOW


def _followed_marker(baseline: IMWGAssessment) -> str:
    if (baseline.serum_m_protein_g_dL or 0.0) > 0.0 or (baseline.urine_m_protein_mg_24h or 0.0) > 0.0:
        return "m_protein"
    if (baseline.flc_difference_mg_dL or 0.0) > 0.0:
        return "flc"
    if (baseline.marrow_plasma_cells_percent or 0.0) > 0.0:
        return "marrow"
    raise ClinicalDataError(
        "the baseline assessment has no measurable disease: give a serum or urine M-protein, an FLC difference "
        "(involved - uninvolved) or marrow plasma cells above 0"
    )


def _reduction(value: float, baseline: float) -> float:
    return 1.0 - value / baseline


def _rose(value: float | None, nadir: float | None, absolute: float, *, strictly: bool = False) -> bool:
    if value is None or nadir is None:
        return False
    increase = value - nadir
    beyond_absolute = greater_than(increase, absolute) if strictly else at_least(increase, absolute)
    return beyond_absolute and at_least(increase, PD_RELATIVE_INCREASE * nadir)


def _nadir(values: list[float | None]) -> float | None:
    measured = [value for value in values if value is not None]
    return min(measured) if measured else None


def _progressed(visit: IMWGAssessment, earlier: list[IMWGAssessment], marker: str) -> bool:
    serum_nadir = _nadir([item.serum_m_protein_g_dL for item in earlier])
    serum_step = PD_SERUM_HIGH_NADIR_G_DL if serum_nadir is not None and serum_nadir >= HIGH_SERUM_NADIR_G_DL else PD_SERUM_G_DL
    return (
        visit.new_bone_lesion_or_plasmacytoma
        or _rose(visit.serum_m_protein_g_dL, serum_nadir, serum_step)
        or _rose(visit.urine_m_protein_mg_24h, _nadir([item.urine_m_protein_mg_24h for item in earlier]), PD_URINE_MG_24H)
        or (
            marker == "flc"
            and _rose(
                visit.flc_difference_mg_dL,
                _nadir([item.flc_difference_mg_dL for item in earlier]),
                PD_FLC_DIFFERENCE_MG_DL,
                strictly=True,
            )
        )
        or (
            marker == "marrow"
            and _rose(
                visit.marrow_plasma_cells_percent,
                _nadir([item.marrow_plasma_cells_percent for item in earlier]),
                PD_MARROW_POINTS,
            )
        )
    )


def _m_protein_level(visit: IMWGAssessment, baseline: IMWGAssessment) -> IMWGResponse:
    serum, urine = visit.serum_m_protein_g_dL, visit.urine_m_protein_mg_24h
    serum_base, urine_base = baseline.serum_m_protein_g_dL or 0.0, baseline.urine_m_protein_mg_24h or 0.0
    serum_cut = math.inf if serum_base == 0.0 or serum is None else _reduction(serum, serum_base)
    urine_cut = math.inf if urine_base == 0.0 or urine is None else _reduction(urine, urine_base)
    urine_below = 0.0 if urine is None else urine  # None only when urine is not followed (checked)
    if at_least(serum_cut, VGPR_SERUM_REDUCTION) and urine_below < VGPR_URINE_BELOW_MG_24H:
        return IMWGResponse.VGPR
    urine_partial = urine_base == 0.0 or at_least(urine_cut, PR_URINE_REDUCTION) or urine_below < PR_URINE_BELOW_MG_24H
    if at_least(serum_cut, PR_SERUM_REDUCTION) and urine_partial:
        return IMWGResponse.PR
    if _m_protein_minimal(visit, baseline):
        return IMWGResponse.MR
    return IMWGResponse.SD


def _plasmacytoma_shrunk(visit: IMWGAssessment, baseline: IMWGAssessment) -> bool:
    """The PR plasmacytoma rule: none at baseline, none now, or a >= 50 % smaller measured size."""
    if not baseline.plasmacytoma_present or not visit.plasmacytoma_present:
        return True
    size, base = visit.plasmacytoma_spd_cm2, baseline.plasmacytoma_spd_cm2
    if size is None or base is None:
        return False  # still present, shrinkage cannot be shown
    return at_least(_reduction(size, base), PR_PLASMACYTOMA_REDUCTION)


def _level(visit: IMWGAssessment, baseline: IMWGAssessment, marker: str) -> IMWGResponse:
    level = _marker_level(visit, baseline, marker)
    if level in (IMWGResponse.VGPR, IMWGResponse.PR) and not _plasmacytoma_shrunk(visit, baseline):
        minimal = marker == "m_protein" and _m_protein_minimal(visit, baseline)
        return IMWGResponse.MR if minimal else IMWGResponse.SD
    return level


def _m_protein_minimal(visit: IMWGAssessment, baseline: IMWGAssessment) -> bool:
    """The MR M-protein criterion (serum >= 25 % and urine >= 50 % reduction, each where followed)."""
    serum, urine = visit.serum_m_protein_g_dL, visit.urine_m_protein_mg_24h
    serum_base, urine_base = baseline.serum_m_protein_g_dL or 0.0, baseline.urine_m_protein_mg_24h or 0.0
    serum_cut = math.inf if serum_base == 0.0 or serum is None else _reduction(serum, serum_base)
    urine_cut = math.inf if urine_base == 0.0 or urine is None else _reduction(urine, urine_base)
    return at_least(serum_cut, MR_SERUM_REDUCTION) and at_least(urine_cut, MR_URINE_REDUCTION)


def _marker_level(visit: IMWGAssessment, baseline: IMWGAssessment, marker: str) -> IMWGResponse:
    complete = (
        visit.serum_immunofixation_negative
        and visit.urine_immunofixation_negative
        and visit.marrow_plasma_cells_percent is not None
        and visit.marrow_plasma_cells_percent < CR_MARROW_PLASMA_CELLS_PERCENT
        and not visit.plasmacytoma_present
    )
    if complete:
        return IMWGResponse.SCR if visit.normal_flc_ratio and visit.marrow_clonal_cells_absent else IMWGResponse.CR
    if marker == "m_protein":
        return _m_protein_level(visit, baseline)
    if marker == "flc":
        difference, base = visit.flc_difference_mg_dL, baseline.flc_difference_mg_dL
        partial = difference is not None and base is not None and at_least(_reduction(difference, base), PR_FLC_REDUCTION)
        return IMWGResponse.PR if partial else IMWGResponse.SD
    marrow, base = visit.marrow_plasma_cells_percent, baseline.marrow_plasma_cells_percent or 0.0
    partial = (
        marrow is not None and base >= PR_MARROW_BASELINE_PERCENT and at_least(_reduction(marrow, base), PR_MARROW_REDUCTION)
    )
    return IMWGResponse.PR if partial else IMWGResponse.SD


def _with_marrow_carried_forward(series: tuple[IMWGAssessment, ...]) -> list[IMWGAssessment]:
    filled = [series[0]]
    for visit in series[1:]:
        previous = filled[-1]
        if visit.marrow_plasma_cells_percent is None and previous.marrow_plasma_cells_percent is not None:
            visit = dataclasses.replace(
                visit,
                marrow_plasma_cells_percent=previous.marrow_plasma_cells_percent,
                marrow_clonal_cells_absent=previous.marrow_clonal_cells_absent
                if visit.marrow_clonal_cells_absent is None
                else visit.marrow_clonal_cells_absent,
            )
        filled.append(visit)
    return filled


def classify_imwg_unconfirmed(assessments: Sequence[IMWGAssessment]) -> list[IMWGResponse]:
    """The IMWG category each follow-up visit meets on its own, before the two-assessment rule."""
    series: tuple[IMWGAssessment, ...] = check_series(assessments, IMWGAssessment, "IMWG")
    marker = _followed_marker(series[0])
    followed_fields = {
        "m_protein": [
            name for name in ("serum_m_protein_g_dL", "urine_m_protein_mg_24h") if (getattr(series[0], name) or 0.0) > 0.0
        ],
        "flc": ["involved_flc_mg_dL"],
        "marrow": ["marrow_plasma_cells_percent"],
    }[marker]
    for visit in series[1:]:
        for name in followed_fields:
            if getattr(visit, name) is None:
                raise ClinicalDataError(f"day {visit.day:g}: {name} is missing, but it is the marker followed since baseline")
    filled = _with_marrow_carried_forward(series)
    categories = []
    for index in range(1, len(filled)):
        visit = filled[index]
        if _progressed(visit, filled[:index], marker):
            categories.append(IMWGResponse.PD)
        else:
            categories.append(_level(visit, filled[0], marker))
    return categories


def confirm_consecutive(unconfirmed: Sequence[IMWGResponse]) -> list[IMWGResponse | None]:
    """Apply the two-consecutive-assessments rule: each visit with the next; the last gets ``None``."""
    confirmed: list[IMWGResponse | None] = []
    for current, following in itertools.pairwise(unconfirmed):
        if current == following == IMWGResponse.PD:
            confirmed.append(IMWGResponse.PD)
        elif IMWGResponse.PD in (current, following):
            confirmed.append(IMWGResponse.SD)
        else:
            confirmed.append(max(current, following, key=_RANK.__getitem__))
    return [*confirmed, None] if unconfirmed else confirmed


def assess_imwg(assessments: Sequence[IMWGAssessment]) -> ResponseSummary:
    """Best confirmed response (sCR > CR > VGPR > PR > MR > SD > PD), first confirmed response (PR or better), PD day."""
    confirmed = confirm_consecutive(classify_imwg_unconfirmed(assessments))
    days = [visit.day for visit in assessments][1:]
    return summarise("IMWG", days, confirmed, list(IMWGResponse), ("sCR", "CR", "VGPR", "PR"), ("PD",))


def mrd_negative_cr_day(assessments: Sequence[IMWGAssessment]) -> float | None:
    """Day of the first confirmed CR or sCR with MRD < 1e-5 measured at that visit, or ``None``.

    "Confirmed" is the two-consecutive-assessments rule of :func:`assess_imwg` (the visit's
    confirmed category is CR or sCR); the MRD must be measured at that visit (it is not carried
    forward). ``None`` if confirmed PD comes first, or no such visit exists.
    """
    summary = assess_imwg(assessments)
    for visit, category in zip(tuple(assessments)[1:], summary.categories, strict=True):
        if category == IMWGResponse.PD:
            return None
        complete = category in (IMWGResponse.SCR, IMWGResponse.CR)
        if complete and visit.mrd_fraction is not None and is_imwg_mrd_negative(visit.mrd_fraction):
            return float(visit.day)
    return None


_FIELDS = tuple(field.name for field in dataclasses.fields(IMWGAssessment))
_FLAG_FIELDS = frozenset(field.name for field in dataclasses.fields(IMWGAssessment) if "bool" in str(field.type))


def _assessment_from_record(record: dict[str, Any]) -> IMWGAssessment:
    values: dict[str, Any] = {}
    for name, value in record.items():
        if is_missing(value):
            if name not in _FLAG_FIELDS or name == "marrow_clonal_cells_absent":
                values[name] = None
        elif name in _FLAG_FIELDS:
            values[name] = bool(value)
        else:
            values[name] = float(value)
    return IMWGAssessment(**values)


def assess_imwg_table(frame: pd.DataFrame) -> pd.DataFrame:
    """IMWG summaries for many patients: columns ``patient``, ``day`` and any :class:`IMWGAssessment` field.

    Missing values (NaN) mean "not measured" (or the default, for yes/no findings).
    """
    require_columns(frame, ("patient", "day"), "IMWG")
    columns = [name for name in _FIELDS if name in frame.columns]

    def build(rows: pd.DataFrame) -> ResponseSummary:
        return assess_imwg([_assessment_from_record(record) for record in records(rows[columns], "day")])

    return summaries_to_frame(frame, "patient", build)
