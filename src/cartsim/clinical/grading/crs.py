"""ASTCT consensus grading of cytokine release syndrome (CRS), grades 0–4.

Source: Lee DW et al., "ASTCT Consensus Grading for Cytokine Release Syndrome and Neurologic
Toxicity Associated with Immune Effector Cells", Biol Blood Marrow Transplant
2019;25:625–638 (restated in clinical.md §2.1 and §2.5).

Rules, in order:

1. **Fever gate.** A temperature ≥ 38.0 °C that no other cause explains, *or* an ongoing CRS
   whose fever is masked by antipyretic or anticytokine therapy (tocilizumab, steroids)
   given for it. Without the gate the grade is 0.
2. **Hypotension:** fluid-responsive (no vasopressor) → 2; one vasopressor with or without
   vasopressin, or vasopressin alone → 3; two or more vasopressors *not counting vasopressin*
   → 4 (vasopressin plus one other agent is still 3).
3. **Hypoxia:** low-flow nasal cannula (≤ 6 L/min) or blow-by → 2; high-flow nasal cannula
   (> 6 L/min), facemask, non-rebreather or Venturi mask → 3; positive pressure (CPAP,
   BiPAP, intubation and mechanical ventilation) → 4.
4. Grade = the largest of 1, the hypotension and the hypoxia contribution. Hypotension or
   hypoxia that another cause explains is ignored. Organ toxicity never changes the grade.

Grade 5 (death from CRS) is an outcome event, not a per-time-point grade, and is not
returned here. cartsim is a research and education tool, never a clinical decision tool.
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

FEVER_THRESHOLD_CELSIUS = 38.0
"""Fever is a temperature ≥ 38.0 °C (ASTCT, clinical.md §2.1 footnote *)."""

LOW_FLOW_LIMIT_L_PER_MIN = 6.0
"""Low-flow nasal cannula is ≤ 6 L/min, high-flow is > 6 L/min (clinical.md §2.1 footnote ‡)."""

TEMPERATURE_RANGE_CELSIUS = (30.0, 45.0)
OXYGEN_FLOW_RANGE_L_PER_MIN = (0.0, 100.0)
MAX_VASOPRESSORS = 10


class OxygenSupport(enum.StrEnum):
    """Oxygen delivery at the time of assessment (clinical.md §2.1, hypoxia row)."""

    NONE = "none"
    BLOW_BY = "blow_by"
    LOW_FLOW_NASAL_CANNULA = "low_flow_nasal_cannula"
    NASAL_CANNULA = "nasal_cannula"
    """Cannula of unstated type: the flow decides (≤ 6 L/min low-flow, > 6 L/min high-flow)."""
    HIGH_FLOW_NASAL_CANNULA = "high_flow_nasal_cannula"
    FACEMASK = "facemask"
    NONREBREATHER_MASK = "nonrebreather_mask"
    VENTURI_MASK = "venturi_mask"
    CPAP = "cpap"
    BIPAP = "bipap"
    MECHANICAL_VENTILATION = "mechanical_ventilation"


_HYPOXIA_CONTRIBUTION: Mapping[OxygenSupport, int] = {
    OxygenSupport.NONE: 0,
    OxygenSupport.BLOW_BY: 2,
    OxygenSupport.LOW_FLOW_NASAL_CANNULA: 2,
    OxygenSupport.NASAL_CANNULA: 2,  # raised to 3 below when the flow is > 6 L/min
    OxygenSupport.HIGH_FLOW_NASAL_CANNULA: 3,
    OxygenSupport.FACEMASK: 3,
    OxygenSupport.NONREBREATHER_MASK: 3,
    OxygenSupport.VENTURI_MASK: 3,
    OxygenSupport.CPAP: 4,
    OxygenSupport.BIPAP: 4,
    OxygenSupport.MECHANICAL_VENTILATION: 4,
}
_HYPOXIA_BY_CODE = np.array([_HYPOXIA_CONTRIBUTION[member] for member in OxygenSupport])
_CODE = {member: code for code, member in enumerate(OxygenSupport)}

CRS_COLUMNS: Mapping[str, Any] = {
    "temperature_celsius": None,
    "fever_masked_by_treatment": False,
    "fever_other_cause": False,
    "hypotension": False,
    "vasopressors": 0,
    "vasopressin": False,
    "hypotension_other_cause": False,
    "oxygen_support": OxygenSupport.NONE,
    "oxygen_flow_l_per_min": None,
    "hypoxia_other_cause": False,
}
"""Input columns of the CRS grader and their defaults (``None`` = missing)."""


@dataclass(frozen=True, kw_only=True)
class CRSAssessment:
    """One CRS assessment (one patient, one time point), validated at construction.

    Attributes:
        temperature_celsius: body temperature in °C, in [30, 45]; ``None`` if not recorded
            (then only ``fever_masked_by_treatment`` can open the fever gate).
        fever_masked_by_treatment: CRS is ongoing and the patient has received antipyretic or
            anticytokine therapy (tocilizumab, steroids) for it, so fever is no longer needed
            (footnote *). While True the grade is at least 1; set it back to False once CRS
            has resolved.
        fever_other_cause: the fever is explained by another cause (e.g. infection).
        hypotension: hypotension attributed to CRS is present.
        vasopressors: number of vasopressor agents *other than vasopressin* (0–10).
        vasopressin: vasopressin is given (counts as "a vasopressor" but never towards
            "multiple vasopressors").
        hypotension_other_cause: the hypotension is explained by another cause (ignored).
        oxygen_support: the oxygen delivery device (:class:`OxygenSupport`).
        oxygen_flow_l_per_min: oxygen flow in L/min, in [0, 100]; ``None`` if not recorded.
            Required for ``NASAL_CANNULA``; must be ≤ 6 for ``LOW_FLOW_NASAL_CANNULA`` and
            > 6 for ``HIGH_FLOW_NASAL_CANNULA`` (footnote ‡); must be 0 or None for ``NONE``.
        hypoxia_other_cause: the hypoxia is explained by another cause (ignored).

    Any vasopressor requires ``hypotension=True``. A bad value raises
    :class:`GradingInputError` naming the field, value, unit and allowed range.
    """

    temperature_celsius: float | None = None
    fever_masked_by_treatment: bool = False
    fever_other_cause: bool = False
    hypotension: bool = False
    vasopressors: int = 0
    vasopressin: bool = False
    hypotension_other_cause: bool = False
    oxygen_support: OxygenSupport = OxygenSupport.NONE
    oxygen_flow_l_per_min: float | None = None
    hypoxia_other_cause: bool = False

    def __post_init__(self) -> None:
        columns = {name: [getattr(self, name)] for name in CRS_COLUMNS}
        prepared = prepare_crs_columns(columns, no_row_label)
        object.__setattr__(self, "oxygen_support", list(OxygenSupport)[int(prepared["oxygen_support"][0])])


def grade_crs(assessment: CRSAssessment) -> int:
    """ASTCT CRS grade (0–4) of one assessment; see the module docstring for the rules.

    Example (the ASTCT worked example): 39.5 °C, one vasopressor and a low-flow nasal
    cannula give grade 3::

        grade_crs(CRSAssessment(temperature_celsius=39.5, hypotension=True, vasopressors=1,
                                oxygen_support=OxygenSupport.LOW_FLOW_NASAL_CANNULA,
                                oxygen_flow_l_per_min=2))  # -> 3
    """
    columns = {name: [getattr(assessment, name)] for name in CRS_COLUMNS}
    return int(crs_grades(prepare_crs_columns(columns, no_row_label))[0])


def prepare_crs_columns(columns: Mapping[str, Any], row_label: RowLabel) -> dict[str, np.ndarray]:
    """Validate raw CRS inputs (sequences of equal length) and convert them to arrays.

    Missing keys take the defaults of :data:`CRS_COLUMNS`. Raises :class:`GradingInputError`.
    """
    length = len(next(iter(columns.values())))

    def column(name: str) -> Any:
        return columns[name] if name in columns else [CRS_COLUMNS[name]] * length

    out: dict[str, np.ndarray] = {}
    out["temperature_celsius"] = as_float("temperature_celsius", column("temperature_celsius"), row_label)
    low, high = TEMPERATURE_RANGE_CELSIUS
    check_range("temperature_celsius", out["temperature_celsius"], low=low, high=high, unit="°C",
                row_label=row_label, allow_missing=True)
    for name in ("fever_masked_by_treatment", "fever_other_cause", "hypotension", "vasopressin",
                 "hypotension_other_cause", "hypoxia_other_cause"):
        out[name] = as_bool(name, column(name), row_label)
    out["vasopressors"] = as_float("vasopressors", column("vasopressors"), row_label)
    check_range("vasopressors", out["vasopressors"], low=0, high=MAX_VASOPRESSORS, unit="agents (vasopressin excluded)",
                row_label=row_label, integer=True)
    out["oxygen_support"] = as_codes("oxygen_support", column("oxygen_support"), OxygenSupport, row_label)
    flow = as_float("oxygen_flow_l_per_min", column("oxygen_flow_l_per_min"), row_label)
    low, high = OXYGEN_FLOW_RANGE_L_PER_MIN
    check_range("oxygen_flow_l_per_min", flow, low=low, high=high, unit="L/min", row_label=row_label, allow_missing=True)
    out["oxygen_flow_l_per_min"] = flow
    _check_crs_consistency(out, row_label)
    return out


def _check_crs_consistency(values: Mapping[str, np.ndarray], row_label: RowLabel) -> None:
    vasopressor_given = (values["vasopressors"] > 0) | values["vasopressin"]
    index = first_bad(vasopressor_given & ~values["hypotension"])
    if index is not None:
        raise GradingInputError(
            f"vasopressors = {values['vasopressors'][index]:g}, vasopressin = {bool(values['vasopressin'][index])} "
            "but hypotension = False; a vasopressor is graded only as treatment of hypotension, set hypotension=True"
            + row_label(index)
        )
    device, flow = values["oxygen_support"], values["oxygen_flow_l_per_min"]
    checks = [
        (device == _CODE[OxygenSupport.NONE], flow > 0,
         "oxygen_support = 'none' but oxygen_flow_l_per_min = {flow:g} L/min; give the device, or a flow of 0"),
        (device == _CODE[OxygenSupport.LOW_FLOW_NASAL_CANNULA], flow > LOW_FLOW_LIMIT_L_PER_MIN,
         "oxygen_flow_l_per_min = {flow:g} L/min is inconsistent with oxygen_support = 'low_flow_nasal_cannula' "
         "(low flow is ≤ 6 L/min, ASTCT footnote ‡); use 'high_flow_nasal_cannula', or 'nasal_cannula' to let the flow decide"),
        (device == _CODE[OxygenSupport.HIGH_FLOW_NASAL_CANNULA], flow <= LOW_FLOW_LIMIT_L_PER_MIN,
         "oxygen_flow_l_per_min = {flow:g} L/min is inconsistent with oxygen_support = 'high_flow_nasal_cannula' "
         "(high flow is > 6 L/min, ASTCT footnote ‡); use 'low_flow_nasal_cannula', or 'nasal_cannula' to let the flow decide"),
        (device == _CODE[OxygenSupport.NASAL_CANNULA], np.isnan(flow),
         "oxygen_support = 'nasal_cannula' needs oxygen_flow_l_per_min (L/min) to tell low flow (≤ 6) from high flow (> 6)"),
    ]
    for on_device, wrong, message in checks:
        with np.errstate(invalid="ignore"):
            index = first_bad(on_device & wrong)
        if index is not None:
            raise GradingInputError(message.format(flow=flow[index]) + row_label(index))


def crs_grades(values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Vectorised ASTCT CRS grade (int array, 0–4) from prepared columns (see :func:`prepare_crs_columns`)."""
    with np.errstate(invalid="ignore"):
        fever = (values["temperature_celsius"] >= FEVER_THRESHOLD_CELSIUS) & ~values["fever_other_cause"]
    gate = fever | values["fever_masked_by_treatment"]

    vasopressors = values["vasopressors"]
    hypotension = np.select(
        [vasopressors >= 2, (vasopressors >= 1) | values["vasopressin"], values["hypotension"]],
        [4, 3, 2],
        default=0,
    )
    hypotension = np.where(values["hypotension_other_cause"], 0, hypotension)

    device = values["oxygen_support"]
    hypoxia = _HYPOXIA_BY_CODE[device]
    with np.errstate(invalid="ignore"):
        high_flow_cannula = (device == _CODE[OxygenSupport.NASAL_CANNULA]) & (
            values["oxygen_flow_l_per_min"] > LOW_FLOW_LIMIT_L_PER_MIN
        )
    hypoxia = np.where(high_flow_cannula, 3, hypoxia)
    hypoxia = np.where(values["hypoxia_other_cause"], 0, hypoxia)

    return np.where(gate, np.maximum(1, np.maximum(hypotension, hypoxia)), 0).astype(np.int64)
