"""ASTCT consensus grading of immune effector cell-associated neurotoxicity (ICANS), grades 0–4.

Source: Lee DW et al., Biol Blood Marrow Transplant 2019;25:625–638 (clinical.md §2.2–§2.5).
The most severe domain sets the grade:

=====================  ==============================================================  =====
Domain                 Finding                                                         Grade
=====================  ==============================================================  =====
ICE score (0–10)       10 / 7–9 / 3–6 / 0–2 (awake; ICE 0 with global aphasia)         0/1/2/3
CAPD (children ≤12 y)  0 / 1–8 / ≥ 9 / unable to perform CAPD                          0/1/3/4
Consciousness          alert / spontaneously / to voice / to touch / unarousable       0–4
Seizure                rapidly resolving (clinical or EEG) / prolonged or repetitive   3/4
Motor                  deep focal weakness (hemiparesis, paraparesis)                  4
Cerebral edema / ICP   focal edema / diffuse edema, posturing, CN VI palsy,            3/4
                       papilledema, Cushing's triad
=====================  ==============================================================  =====

ICE alone never gives grade 4: an ICE of 0 is grade 3, and grade 4 only when the patient is
unarousable — which the level of consciousness carries. **Excluded findings** are accepted
as inputs so that records can be passed as they are, and contribute 0: tremor and myoclonus
(:attr:`MotorFinding.TREMOR`, :attr:`MotorFinding.MYOCLONUS`; grade them with CTCAE v5.0) and
intracranial haemorrhage with or without edema (:attr:`CerebralEdema.INTRACRANIAL_HEMORRHAGE`).
Depressed consciousness that another cause explains (e.g. sedating drugs) is ignored.
Grade 5 (death from ICANS) is an outcome event, not a per-time-point grade.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import (
    GradingInputError,
    RowLabel,
    as_bool,
    as_codes,
    as_float,
    check_range,
    first_bad,
    no_row_label,
)

CAPD_DELIRIUM_CUT_POINT = 9
"""CAPD ≥ 9 indicates delirium (Traube et al., Crit Care Med 2014; clinical.md §2.4)."""
CAPD_MAX_SCORE = 32  # 8 items scored 0–4
RASS_CAPD_LIMIT = -4  # CAPD is not valid when RASS ≤ −4


class LevelOfConsciousness(enum.StrEnum):
    """Depressed level of consciousness not explained by another cause (§2.2 footnote †)."""

    ALERT = "alert"
    AWAKENS_SPONTANEOUSLY = "awakens_spontaneously"
    AWAKENS_TO_VOICE = "awakens_to_voice"
    AWAKENS_TO_TACTILE_STIMULUS = "awakens_to_tactile_stimulus"
    UNAROUSABLE = "unarousable"
    """Unarousable, or needs vigorous or repetitive tactile stimuli; stupor or coma."""


class Seizure(enum.StrEnum):
    """Seizure domain of ICANS (§2.2)."""

    NONE = "none"
    RAPIDLY_RESOLVING = "rapidly_resolving"
    """Any clinical seizure, focal or generalised, that resolves rapidly; or nonconvulsive
    seizures on EEG that resolve with intervention (grade 3)."""
    PROLONGED_OR_REPETITIVE = "prolonged_or_repetitive"
    """Life-threatening prolonged seizure (> 5 min); or repetitive clinical or electrical
    seizures without return to baseline in between (grade 4)."""


class MotorFinding(enum.StrEnum):
    """Motor domain of ICANS (§2.2 footnote ‡). Tremor and myoclonus are accepted but do not count."""

    NONE = "none"
    DEEP_FOCAL_WEAKNESS = "deep_focal_weakness"
    """Deep focal motor weakness such as hemiparesis or paraparesis (grade 4)."""
    TREMOR = "tremor"
    MYOCLONUS = "myoclonus"


class CerebralEdema(enum.StrEnum):
    """Elevated intracranial pressure / cerebral edema domain of ICANS (§2.2 footnote §)."""

    NONE = "none"
    FOCAL_EDEMA = "focal_edema"
    """Focal/local edema on neuroimaging (grade 3)."""
    DIFFUSE_EDEMA = "diffuse_edema"
    POSTURING = "posturing"
    """Decerebrate or decorticate posturing (grade 4)."""
    CRANIAL_NERVE_VI_PALSY = "cranial_nerve_vi_palsy"
    PAPILLEDEMA = "papilledema"
    CUSHINGS_TRIAD = "cushings_triad"
    INTRACRANIAL_HEMORRHAGE = "intracranial_hemorrhage"
    """Intracranial haemorrhage with or without edema: excluded from ICANS (contributes 0)."""


_CONSCIOUSNESS_BY_CODE = np.array([0, 1, 2, 3, 4])
_SEIZURE_BY_CODE = np.array([0, 3, 4])
_MOTOR_BY_CODE = np.array([0, 4, 0, 0])
_EDEMA_BY_CODE = np.array([0, 3, 4, 4, 4, 4, 4, 0])
_UNAROUSABLE = list(LevelOfConsciousness).index(LevelOfConsciousness.UNAROUSABLE)

ICANS_COLUMNS: Mapping[str, Any] = {
    "ice_score": None,
    "capd_score": None,
    "unable_to_perform_capd": False,
    "rass": None,
    "level_of_consciousness": LevelOfConsciousness.ALERT,
    "consciousness_other_cause": False,
    "seizure": Seizure.NONE,
    "motor_finding": MotorFinding.NONE,
    "cerebral_edema": CerebralEdema.NONE,
}
"""Input columns of the ICANS grader and their defaults (``None`` = not assessed)."""


@dataclass(frozen=True, kw_only=True)
class ICEScore:
    """The 10-point ICE score from its items (clinical.md §2.3); 10 = no impairment.

    Attributes:
        orientation: year, month, city, hospital, 1 point each (0–4).
        naming: names 3 objects, 1 point each (0–3).
        following_commands: follows a simple command (0–1).
        writing: writes a standard sentence (0–1).
        attention: counts backwards from 100 by 10 (0–1).
    """

    orientation: int
    naming: int
    following_commands: int
    writing: int
    attention: int

    def __post_init__(self) -> None:
        for name, most in (("orientation", 4), ("naming", 3), ("following_commands", 1), ("writing", 1), ("attention", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value <= most:
                raise GradingInputError(
                    f"ICE item {name} = {value!r} points is not allowed; it must be a whole number in [0, {most}]"
                )

    @property
    def total(self) -> int:
        """The ICE score, 0–10."""
        return int(self.orientation + self.naming + self.following_commands + self.writing + self.attention)


@dataclass(frozen=True, kw_only=True)
class ICANSAssessment:
    """One ICANS assessment of an adult or a child > 12 years (clinical.md §2.2), validated at construction.

    Attributes:
        ice_score: ICE score 0–10, or an :class:`ICEScore` of items (stored as its total);
            ``None`` if not assessed (the other domains still grade). Must be 0 or ``None``
            when the patient is unarousable.
        level_of_consciousness: :class:`LevelOfConsciousness`.
        consciousness_other_cause: the depressed consciousness has another cause (e.g.
            sedating medication) and is ignored.
        seizure: :class:`Seizure`. motor_finding: :class:`MotorFinding`.
        cerebral_edema: :class:`CerebralEdema` (raised ICP / edema domain).
    """

    ice_score: int | ICEScore | None = None
    level_of_consciousness: LevelOfConsciousness = LevelOfConsciousness.ALERT
    consciousness_other_cause: bool = False
    seizure: Seizure = Seizure.NONE
    motor_finding: MotorFinding = MotorFinding.NONE
    cerebral_edema: CerebralEdema = CerebralEdema.NONE

    def __post_init__(self) -> None:
        if isinstance(self.ice_score, ICEScore):
            object.__setattr__(self, "ice_score", self.ice_score.total)
        _normalise_enums(self, prepare_icans_columns(_one_row(self), no_row_label))


@dataclass(frozen=True, kw_only=True)
class PediatricICANSAssessment:
    """One ICANS assessment of a child ≤ 12 years (or an older patient with developmental delay).

    The ICE score is replaced by the Cornell Assessment of Pediatric Delirium (clinical.md §2.4).

    Attributes:
        capd_score: CAPD total, 0–32 points; ``None`` if not assessed. 1–8 → grade 1,
            ≥ 9 → grade 3, 0 → no contribution.
        unable_to_perform_capd: the child cannot perform the CAPD → grade 4.
        rass: Richmond Agitation-Sedation Scale (−5..4), optional; CAPD is not valid at
            RASS ≤ −4, so a CAPD score given with such a RASS is rejected.
        level_of_consciousness, consciousness_other_cause, seizure, motor_finding,
        cerebral_edema: as in :class:`ICANSAssessment`.
    """

    capd_score: int | None = None
    unable_to_perform_capd: bool = False
    rass: int | None = None
    level_of_consciousness: LevelOfConsciousness = LevelOfConsciousness.ALERT
    consciousness_other_cause: bool = False
    seizure: Seizure = Seizure.NONE
    motor_finding: MotorFinding = MotorFinding.NONE
    cerebral_edema: CerebralEdema = CerebralEdema.NONE

    def __post_init__(self) -> None:
        _normalise_enums(self, prepare_icans_columns(_one_row(self), no_row_label))


def grade_icans(assessment: ICANSAssessment | PediatricICANSAssessment) -> int:
    """ASTCT ICANS grade (0–4) of one assessment; see the module docstring for the rules.

    Example (the ASTCT worked example): an ICE score of 3 with a generalised seizure that
    resolves rapidly is grade 3::

        grade_icans(ICANSAssessment(ice_score=3, seizure=Seizure.RAPIDLY_RESOLVING))  # -> 3
    """
    return int(icans_grades(prepare_icans_columns(_one_row(assessment), no_row_label))[0])


def _one_row(assessment: object) -> dict[str, list[Any]]:
    return {name: [getattr(assessment, name)] for name in ICANS_COLUMNS if hasattr(assessment, name)}


def _normalise_enums(assessment: object, prepared: Mapping[str, np.ndarray]) -> None:
    for name, kind in _ENUM_COLUMNS.items():
        object.__setattr__(assessment, name, list(kind)[int(prepared[name][0])])


_ENUM_COLUMNS: Mapping[str, type[enum.StrEnum]] = {
    "level_of_consciousness": LevelOfConsciousness,
    "seizure": Seizure,
    "motor_finding": MotorFinding,
    "cerebral_edema": CerebralEdema,
}


def prepare_icans_columns(columns: Mapping[str, Any], row_label: RowLabel) -> dict[str, np.ndarray]:
    """Validate raw ICANS inputs (sequences of equal length) and convert them to arrays.

    Missing keys take the defaults of :data:`ICANS_COLUMNS`. A row may carry an ICE score
    (adults, children > 12 y) or a CAPD assessment (children ≤ 12 y), never both.
    """
    length = len(next(iter(columns.values())))

    def column(name: str) -> Any:
        return columns[name] if name in columns else [ICANS_COLUMNS[name]] * length

    out: dict[str, np.ndarray] = {}
    for name, low, high, unit in (("ice_score", 0, 10, "points"), ("capd_score", 0, CAPD_MAX_SCORE, "points"),
                                  ("rass", -5, 4, "")):
        out[name] = as_float(name, column(name), row_label)
        check_range(name, out[name], low=low, high=high, unit=unit, row_label=row_label, allow_missing=True, integer=True)
    for name in ("unable_to_perform_capd", "consciousness_other_cause"):
        out[name] = as_bool(name, column(name), row_label)
    for name, kind in _ENUM_COLUMNS.items():
        out[name] = as_codes(name, column(name), kind, row_label)
    _check_icans_consistency(out, row_label)
    return out


def _check_icans_consistency(values: Mapping[str, np.ndarray], row_label: RowLabel) -> None:
    ice, capd, rass = values["ice_score"], values["capd_score"], values["rass"]
    has_capd = ~np.isnan(capd) | values["unable_to_perform_capd"]
    with np.errstate(invalid="ignore"):
        checks = [
            (~np.isnan(ice) & has_capd,
             "a row has both ice_score = {ice:g} and a CAPD assessment; use the ICE score for adults and children > 12 y, "
             "CAPD for children ≤ 12 y (clinical.md §2.4), not both"),
            (~np.isnan(capd) & values["unable_to_perform_capd"],
             "capd_score = {capd:g} points but unable_to_perform_capd = True; give one or the other"),
            (~np.isnan(capd) & (rass <= RASS_CAPD_LIMIT),
             "capd_score = {capd:g} points is not valid at rass = {rass:g} (CAPD is not used when RASS ≤ −4, clinical.md §2.4); "
             "pass capd_score=None and grade by level of consciousness"),
            ((ice > 0) & (values["level_of_consciousness"] == _UNAROUSABLE),
             "ice_score = {ice:g} points but level_of_consciousness = 'unarousable'; an unarousable patient cannot perform "
             "the ICE, so pass ice_score=0 or None"),
        ]
    for wrong, message in checks:
        index = first_bad(wrong)
        if index is not None:
            raise GradingInputError(message.format(ice=ice[index], capd=capd[index], rass=rass[index]) + row_label(index))


def icans_grades(values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Vectorised ASTCT ICANS grade (int array, 0–4) from prepared columns (see :func:`prepare_icans_columns`)."""
    ice, capd = values["ice_score"], values["capd_score"]
    with np.errstate(invalid="ignore"):
        ice_part = np.select([ice <= 2, ice <= 6, ice <= 9], [3, 2, 1], default=0)  # NaN (not assessed) -> 0
        capd_part = np.select([capd >= CAPD_DELIRIUM_CUT_POINT, capd >= 1], [3, 1], default=0)
    capd_part = np.where(values["unable_to_perform_capd"], 4, capd_part)
    consciousness = _CONSCIOUSNESS_BY_CODE[values["level_of_consciousness"]]
    consciousness = np.where(values["consciousness_other_cause"], 0, consciousness)
    domains = (
        ice_part,
        capd_part,
        consciousness,
        _SEIZURE_BY_CODE[values["seizure"]],
        _MOTOR_BY_CODE[values["motor_finding"]],
        _EDEMA_BY_CODE[values["cerebral_edema"]],
    )
    return np.asarray(np.maximum.reduce(domains), dtype=np.int64)
