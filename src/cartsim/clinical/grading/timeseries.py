"""Grading many patients over time: a long table in, per patient-day grades and per-patient summaries out.

The input is a pandas DataFrame in long format, one row per patient and assessment day, with
``patient_id``, ``day`` and any of the input columns of the CRS grader
(:data:`~cartsim.clinical.grading.crs.CRS_COLUMNS`) and the ICANS grader
(:data:`~cartsim.clinical.grading.icans.ICANS_COLUMNS`). Columns left out take the defaults
of :class:`~cartsim.clinical.grading.CRSAssessment` and
:class:`~cartsim.clinical.grading.ICANSAssessment`. Validation is the same as for one
assessment, and an error names the row (position, ``patient_id``, ``day``). Grading is
vectorised over rows; no Python loop runs per patient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._validation import GradingInputError, as_float, check_range, first_bad, frame_row_label
from .crs import CRS_COLUMNS, crs_grades, prepare_crs_columns
from .icans import ICANS_COLUMNS, icans_grades, prepare_icans_columns

_KEYS = ("patient_id", "day")


def grade_time_series(frame: pd.DataFrame) -> pd.DataFrame:
    """ASTCT CRS and ICANS grades for every row of a long table.

    Args:
        frame: one row per (``patient_id``, ``day``); ``day`` in days (any finite number,
            e.g. days since infusion); plus input columns named as the fields of
            :class:`CRSAssessment`, :class:`ICANSAssessment` and
            :class:`PediatricICANSAssessment`. Enum columns hold the enum members or their
            string values (``"low_flow_nasal_cannula"``). Other columns are ignored.

    Returns:
        A DataFrame with the input's row order and index: ``patient_id``, ``day``, then
        ``crs_grade`` if any CRS input column is present and ``icans_grade`` if any ICANS
        input column is present (int, 0–4).

    Raises:
        GradingInputError: a missing key column, a duplicated (patient, day), no grader
            input column, or any invalid value (the message names the row).
    """
    missing = [key for key in _KEYS if key not in frame.columns]
    if missing:
        raise GradingInputError(f"the table has no {', '.join(missing)} column; the long format needs patient_id and day")
    row_label = frame_row_label(frame)
    days = as_float("day", frame["day"].reset_index(drop=True), row_label)
    check_range("day", days, low=-np.inf, high=np.inf, unit="days", row_label=row_label)
    duplicated = frame.duplicated(subset=list(_KEYS)).to_numpy()
    index = first_bad(duplicated)
    if index is not None:
        message = "duplicated (patient_id, day): each patient has at most one assessment per day"
        raise GradingInputError(message + row_label(index))

    crs_names = [name for name in CRS_COLUMNS if name in frame.columns]
    icans_names = [name for name in ICANS_COLUMNS if name in frame.columns]
    if not crs_names and not icans_names:
        raise GradingInputError(
            "the table has no grading input column; give CRS inputs (e.g. temperature_celsius, oxygen_support) "
            "and/or ICANS inputs (e.g. ice_score, level_of_consciousness)"
        )
    result = frame[list(_KEYS)].copy()
    if crs_names:
        columns = {name: frame[name].reset_index(drop=True) for name in crs_names}
        result["crs_grade"] = crs_grades(prepare_crs_columns(columns, row_label))
    if icans_names:
        columns = {name: frame[name].reset_index(drop=True) for name in icans_names}
        result["icans_grade"] = icans_grades(prepare_icans_columns(columns, row_label))
    return result


def summarize_grades(daily: pd.DataFrame, grade_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-patient summary of daily grades (output of :func:`grade_time_series`).

    For each grade column ``<name>_grade`` (default: every column ending in ``_grade``):

    - ``<name>_max_grade``: the highest grade;
    - ``<name>_onset_day``: the first day with grade ≥ 1 (NaN if never);
    - ``<name>_duration_days``: the number of assessed days with grade ≥ 1 (rows, so equal
      to days for daily assessments; gaps in the table are not filled);
    - ``<name>_resolution_day``: the first day with grade 0 after the last day with grade
      ≥ 1 (NaN if the patient never had the toxicity or it had not resolved by the last
      assessment).

    Returns a DataFrame indexed by ``patient_id`` (sorted).
    """
    if grade_columns is None:
        grade_columns = [name for name in daily.columns if name.endswith("_grade")]
    missing = [name for name in (*_KEYS, *grade_columns) if name not in daily.columns]
    if missing or not grade_columns:
        what = ", ".join(missing) or "a *_grade column"
        raise GradingInputError(f"summarize_grades needs patient_id, day and grade columns; missing: {what}")
    patients = pd.Index(sorted(daily["patient_id"].unique()), name="patient_id")
    summary = pd.DataFrame(index=patients)
    by_patient = daily.groupby("patient_id", sort=True)
    for column in grade_columns:
        name = column.removesuffix("_grade")
        grade = daily[column]
        positive = grade >= 1
        positive_days = daily.loc[positive].groupby("patient_id")["day"]
        last_positive = positive_days.max()
        after_last = daily["patient_id"].map(last_positive)
        resolved = (grade == 0) & (daily["day"] > after_last)
        summary[f"{name}_max_grade"] = by_patient[column].max().reindex(patients)
        summary[f"{name}_onset_day"] = positive_days.min().reindex(patients).astype(float)
        summary[f"{name}_duration_days"] = positive.groupby(daily["patient_id"]).sum().reindex(patients).astype(int)
        summary[f"{name}_resolution_day"] = daily.loc[resolved].groupby("patient_id")["day"].min().reindex(patients).astype(float)
    return summary
