"""Pieces shared by the response criteria: the error type, validators and the summary record.

Every criterion turns a series of assessments (baseline first, then follow-up visits in
increasing time order) into one :class:`ResponseSummary`. Time values are in days on the
caller's time axis; in cartsim day 0 is the CAR-T infusion, so a baseline scan before
infusion has a negative day.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cartsim.errors import ClinicalDataError

#: Relative tolerance for "exactly at the threshold" comparisons, so that a 50 % decrease
#: computed from decimal inputs (e.g. 2.2 x 1.1 cm) is not lost to binary rounding.
THRESHOLD_TOLERANCE = 1e-9


def check_number(field: str, value: float, unit: str, low: float, high: float = math.inf) -> float:
    """Return ``value`` as a float if finite and within ``[low, high]``, else raise naming field, unit and range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClinicalDataError(f"{field} must be a number in {unit}, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < low or number > high:
        upper = "inf)" if math.isinf(high) else f"{high:g}]"
        raise ClinicalDataError(f"{field} = {value!r} {unit} is outside the allowed range [{low:g}, {upper}")
    return number


def check_optional_number(field: str, value: float | None, unit: str, low: float, high: float = math.inf) -> float | None:
    """Like :func:`check_number`, but ``None`` (not measured) passes through."""
    return None if value is None else check_number(field, value, unit, low, high)


def check_day(value: float) -> float:
    """An assessment day: any finite number of days (negative = before infusion)."""
    return check_number("day", value, "days", -math.inf)


def at_least(value: float, threshold: float) -> bool:
    """``value >= threshold`` allowing for binary rounding at the boundary itself."""
    return value >= threshold - THRESHOLD_TOLERANCE * max(1.0, abs(threshold))


def greater_than(value: float, threshold: float) -> bool:
    """``value > threshold``, strictly beyond rounding noise at the boundary."""
    return value > threshold + THRESHOLD_TOLERANCE * max(1.0, abs(threshold))


def check_series(assessments: Sequence[Any], kind: type, criterion: str) -> tuple[Any, ...]:
    """Validate a series: at least a baseline and one follow-up, all of ``kind``, days strictly increasing."""
    series = tuple(assessments)
    if len(series) < 2:
        raise ClinicalDataError(f"{criterion} needs a baseline and at least one follow-up assessment, got {len(series)}")
    for index, item in enumerate(series):
        if not isinstance(item, kind):
            raise ClinicalDataError(f"{criterion} assessment {index} must be a {kind.__name__}, got {type(item).__name__}")
    for previous, current in itertools.pairwise(series):
        if current.day <= previous.day:
            raise ClinicalDataError(
                f"{criterion} assessment days must be strictly increasing, got day {current.day:g} after day {previous.day:g}"
            )
    return series


@dataclass(frozen=True)
class ResponseSummary:
    """The outcome of one patient's series of response assessments.

    Attributes:
        criterion: the criterion applied (``"Lugano 2014 CT"``, ``"B-ALL"``, ``"IMWG"``, ...).
        best_response: best overall response in the criterion's own ordering, taken over the
            assessments up to and including the first progression; ``None`` if no follow-up
            assessment could be categorised (IMWG with a single follow-up visit).
        time_to_first_response_days: day of the first assessment whose category is a response
            (see each criterion for which categories count), or ``None`` if none was.
        time_to_progression_days: day of the first progression or relapse, or ``None``.
        days: the follow-up assessment days, in order (the baseline is not included).
        categories: the category of each follow-up assessment (``None`` where it could not be
            categorised), aligned with ``days``.
    """

    criterion: str
    best_response: str | None
    time_to_first_response_days: float | None
    time_to_progression_days: float | None
    days: tuple[float, ...]
    categories: tuple[str | None, ...]


def summarise(
    criterion: str,
    days: Sequence[float],
    categories: Sequence[str | None],
    ordering: Sequence[str],
    responses: Iterable[str],
    progressions: Iterable[str],
) -> ResponseSummary:
    """Build a :class:`ResponseSummary`: ``ordering`` lists categories best first.

    Assessments after the first progression do not count towards the best response.
    """
    rank = {name: index for index, name in enumerate(ordering)}
    response_set, progression_set = set(responses), set(progressions)
    best: str | None = None
    first_response: float | None = None
    progression: float | None = None
    for day, category in zip(days, categories, strict=True):
        if category is None:
            continue
        if best is None or rank[category] < rank[best]:
            best = category
        if first_response is None and category in response_set:
            first_response = float(day)
        if category in progression_set:
            progression = float(day)
            break
    return ResponseSummary(criterion, best, first_response, progression, tuple(float(d) for d in days), tuple(categories))


#: Columns of the table returned by :func:`summaries_to_frame`.
SUMMARY_COLUMNS = ("patient", "best_response", "time_to_first_response_days", "time_to_progression_days")


def records(frame: pd.DataFrame, sort_by: str) -> list[dict[str, Any]]:
    """The rows of ``frame`` sorted by ``sort_by``, as dictionaries keyed by column name."""
    return [{str(key): value for key, value in row.items()} for row in frame.sort_values(sort_by).to_dict("records")]


def is_missing(value: Any) -> bool:
    """True for ``None`` and NaN (a table cell that was not measured)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def summaries_to_frame(
    frame: pd.DataFrame,
    patient_column: str,
    build: Callable[[pd.DataFrame], ResponseSummary],
) -> pd.DataFrame:
    """Apply ``build`` to each patient's rows (sorted by patient) and tabulate the summaries.

    Missing times are NaN and a missing best response is ``None``; the columns are always
    :data:`SUMMARY_COLUMNS` whatever the number of patients.
    """
    if patient_column not in frame.columns:
        raise ClinicalDataError(f"the table has no {patient_column!r} column; columns are {list(frame.columns)}")
    rows = []
    for patient, rows_of_patient in frame.groupby(patient_column, sort=True):
        try:
            summary = build(rows_of_patient)
        except ClinicalDataError as error:
            raise ClinicalDataError(f"patient {patient!r}: {error}") from error
        rows.append(
            (
                patient,
                summary.best_response,
                math.nan if summary.time_to_first_response_days is None else summary.time_to_first_response_days,
                math.nan if summary.time_to_progression_days is None else summary.time_to_progression_days,
            )
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def require_columns(frame: pd.DataFrame, required: Sequence[str], criterion: str) -> None:
    """Raise naming the missing columns of a long-format table."""
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ClinicalDataError(f"{criterion} table is missing column(s) {missing}; required: {list(required)}")
