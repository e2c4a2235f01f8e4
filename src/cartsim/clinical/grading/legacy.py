"""Legacy CRS scales, for grading simulated patients the way older trials did (clinical.md §0.4, §2.6).

- **Lee 2014** (Lee DW et al., Blood 2014;124:188): ZUMA-1/2/3, TRANSCEND, KarMMa, ELARA.
- **Penn** (Porter DL et al.; reproduced in clinical.md §2.6): ELIANA, JULIET.

Rates graded on different scales are not comparable (clinical.md §0.4): grade a simulated
cohort with the scale its comparator trial used.

Both scales grade a patient *with* CRS. To compare scales on the same patients, the CRS
presence gate is the ASTCT fever gate of the :class:`CRSAssessment` (fever ≥ 38 °C, or
ongoing CRS with fever masked by treatment); without it the legacy grade is 0. Hypotension
and hypoxia that another cause explains are ignored, as in ASTCT.

Both scales need inputs that ASTCT dropped (FiO₂, vasopressor dose, organ toxicity,
hospitalisation, coagulopathy). Each is a keyword argument; ``None`` means "not known".
**Not gradable:** when a missing input could change the grade, the grader raises
:class:`NotGradableError`, naming the missing inputs and the range of grades they leave open.
When the known inputs already fix the grade (e.g. mechanical ventilation gives Lee grade 4
whatever the organ toxicity), a missing input is fine. Pass 0 / False to state that an
organ toxicity or treatment is absent.

Interpretations (documented choices):

- Lee 2014 counts vasopressin like any pressor: two agents of any kind are "multiple pressors".
- CPAP and BiPAP are not "mechanical ventilation" for either legacy scale: under Lee 2014 the
  FiO₂ decides (< 40 % → 2, ≥ 40 % → 3); under Penn they are supplemental oxygen (grade 3).
- Penn "mild organ dysfunction" is creatinine CTCAE grade 1–2 or liver enzymes grade 1–3
  (grade 2); creatinine grade ≥ 3 or liver enzymes grade 4 give grade 3.
- Grade 1 criteria tagged [U] in clinical.md (symptomatic treatment only) are taken as
  "CRS present and nothing more severe". Grade 5 (death) is not a per-time-point grade.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validation import GradingInputError, NotGradableError
from .crs import CRSAssessment, OxygenSupport, grade_crs

LEE2014_FIO2_LIMIT_PERCENT = 40.0


@dataclass(frozen=True)
class _Contribution:
    """Possible range of one criterion's grade; ``missing`` names the unknown input, if any."""

    low: int
    high: int
    missing: str | None = None


def _known(grade: int) -> _Contribution:
    return _Contribution(grade, grade)


def _combine(scale: str, contributions: list[_Contribution]) -> int:
    low = max([1, *(part.low for part in contributions)])
    high = max([1, *(part.high for part in contributions)])
    if high == low:
        return low
    deciding = sorted({part.missing for part in contributions if part.missing and part.high > low})
    raise NotGradableError(
        f"{scale} CRS grade is not gradable from the inputs given: it is between {low} and {high} depending on "
        f"{', '.join(deciding)}; pass each of them (0 or False if absent)"
    )


def _check_grade(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4):
        raise GradingInputError(f"{name} = {value!r} is not allowed; it must be a CTCAE v5.0 grade, a whole number in [0, 4]")


def _vasopressor_agents(assessment: CRSAssessment) -> int:
    return int(assessment.vasopressors) + int(assessment.vasopressin)


def _hypotension_present(assessment: CRSAssessment) -> bool:
    return assessment.hypotension and not assessment.hypotension_other_cause


def _hypoxia_device(assessment: CRSAssessment) -> OxygenSupport:
    return OxygenSupport.NONE if assessment.hypoxia_other_cause else assessment.oxygen_support


def grade_crs_lee2014(
    assessment: CRSAssessment,
    *,
    fio2_percent: float | None = None,
    high_dose_vasopressor: bool | None = None,
    organ_toxicity_grade: int | None = None,
    transaminitis_grade: int | None = None,
) -> int:
    """CRS grade (0–4) on the Lee 2014 scale (clinical.md §2.6).

    Args:
        assessment: the ASTCT inputs (fever gate, hypotension, vasopressors, oxygen device).
        fio2_percent: inspired oxygen fraction in %, in [21, 100]; needed when oxygen is
            given other than by mechanical ventilation (< 40 % → 2, ≥ 40 % → 3).
        high_dose_vasopressor: the single vasopressor is at high dose (→ 3; low dose → 2);
            needed when exactly one agent is given.
        organ_toxicity_grade: highest CTCAE v5.0 grade (0–4) of CRS-associated organ
            toxicity other than transaminitis (2 → 2, 3 → 3, 4 → 4).
        transaminitis_grade: CTCAE v5.0 grade (0–4) of transaminitis (2 → 2, 3 or 4 → 3).

    Raises:
        NotGradableError: a missing input could change the grade.
    """
    _check_grade("organ_toxicity_grade", organ_toxicity_grade)
    _check_grade("transaminitis_grade", transaminitis_grade)
    if fio2_percent is not None and not 21.0 <= fio2_percent <= 100.0:
        raise GradingInputError(f"fio2_percent = {fio2_percent!r} % is not allowed; it must be in [21, 100] %")
    if grade_crs(assessment) == 0:
        return 0

    device = _hypoxia_device(assessment)
    if device == OxygenSupport.NONE:
        hypoxia = _known(0)
    elif device == OxygenSupport.MECHANICAL_VENTILATION:
        hypoxia = _known(4)
    elif fio2_percent is None:
        hypoxia = _Contribution(2, 3, "fio2_percent")
    else:
        hypoxia = _known(3 if fio2_percent >= LEE2014_FIO2_LIMIT_PERCENT else 2)

    agents = _vasopressor_agents(assessment)
    if not _hypotension_present(assessment):
        hypotension = _known(0)
    elif agents >= 2:
        hypotension = _known(3)
    elif agents == 1 and high_dose_vasopressor is None:
        hypotension = _Contribution(2, 3, "high_dose_vasopressor")
    else:
        hypotension = _known(3 if agents == 1 and high_dose_vasopressor else 2)

    organ = (_Contribution(0, 4, "organ_toxicity_grade") if organ_toxicity_grade is None
             else _known(organ_toxicity_grade if organ_toxicity_grade >= 2 else 0))
    transaminitis = (_Contribution(0, 3, "transaminitis_grade") if transaminitis_grade is None
                     else _known(min(transaminitis_grade, 3) if transaminitis_grade >= 2 else 0))
    return _combine("Lee 2014", [hypoxia, hypotension, organ, transaminitis])


def grade_crs_penn(
    assessment: CRSAssessment,
    *,
    hospitalized_or_iv_therapy: bool | None = None,
    high_dose_vasopressor: bool | None = None,
    creatinine_grade: int | None = None,
    liver_enzyme_grade: int | None = None,
    coagulopathy_needing_plasma: bool | None = None,
) -> int:
    """CRS grade (0–4) on the Penn scale (clinical.md §2.6).

    Args:
        assessment: the ASTCT inputs. Any supplemental oxygen (even low-flow cannula or
            blow-by) → 3; mechanical ventilation → 4. Hypotension treated with fluids or
            low-dose pressors → 3.
        hospitalized_or_iv_therapy: hospitalised for CRS or given IV therapies (→ 2).
        high_dose_vasopressor: any vasopressor is at high dose (→ 4); needed when a
            vasopressor is given.
        creatinine_grade: CTCAE v5.0 grade (0–4) of creatinine increase (1–2 → 2, ≥ 3 → 3).
        liver_enzyme_grade: CTCAE v5.0 grade (0–4) of liver enzymes (1–3 → 2, 4 → 3).
        coagulopathy_needing_plasma: coagulopathy needing FFP or cryoprecipitate (→ 3).

    Raises:
        NotGradableError: a missing input could change the grade.
    """
    _check_grade("creatinine_grade", creatinine_grade)
    _check_grade("liver_enzyme_grade", liver_enzyme_grade)
    if grade_crs(assessment) == 0:
        return 0

    device = _hypoxia_device(assessment)
    if device == OxygenSupport.NONE:
        hypoxia = _known(0)
    else:
        hypoxia = _known(4 if device == OxygenSupport.MECHANICAL_VENTILATION else 3)

    if not _hypotension_present(assessment):
        hypotension = _known(0)
    elif _vasopressor_agents(assessment) == 0:
        hypotension = _known(3)
    elif high_dose_vasopressor is None:
        hypotension = _Contribution(3, 4, "high_dose_vasopressor")
    else:
        hypotension = _known(4 if high_dose_vasopressor else 3)

    def flag(value: bool | None, grade: int, name: str) -> _Contribution:
        return _Contribution(0, grade, name) if value is None else _known(grade if value else 0)

    if creatinine_grade is None:
        creatinine = _Contribution(0, 3, "creatinine_grade")
    else:
        creatinine = _known(3 if creatinine_grade >= 3 else 2 if creatinine_grade >= 1 else 0)
    if liver_enzyme_grade is None:
        liver = _Contribution(0, 3, "liver_enzyme_grade")
    else:
        liver = _known(3 if liver_enzyme_grade >= 4 else 2 if liver_enzyme_grade >= 1 else 0)
    return _combine(
        "Penn",
        [
            hypoxia,
            hypotension,
            flag(hospitalized_or_iv_therapy, 2, "hospitalized_or_iv_therapy"),
            creatinine,
            liver,
            flag(coagulopathy_needing_plasma, 3, "coagulopathy_needing_plasma"),
        ],
    )
