"""Errors and vectorised input checks shared by the graders.

Every check works on 1-D arrays (one element per assessment), so a single
:class:`~cartsim.clinical.grading.CRSAssessment` and a 10,000-row DataFrame go through the
same code. A failing check names the field, the offending value, the unit and what is
allowed, and for tables also the row (position, ``patient_id``, ``day``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cartsim.errors import CartsimError, ClinicalDataError

RowLabel = Callable[[int], str]


class GradingInputError(ClinicalDataError):
    """An input to a toxicity grader is invalid or internally inconsistent.

    The message names the field, the value, the unit and what is allowed.
    """


class NotGradableError(CartsimError):
    """A legacy scale (Lee 2014, Penn) needs an input that was not given.

    Raised only when the missing input could change the grade; the message lists the
    missing inputs and the range of grades they leave open.
    """


def no_row_label(index: int) -> str:
    """Row label for a single assessment: nothing to add to the message."""
    return ""


def frame_row_label(frame: pd.DataFrame) -> RowLabel:
    """Row label for a table: position plus ``patient_id`` and ``day`` when present."""

    def label(index: int) -> str:
        parts = [f"row {index}"]
        for key in ("patient_id", "day"):
            if key in frame.columns:
                value = frame[key].iloc[index]
                parts.append(f"{key}={value.item() if isinstance(value, np.generic) else value!r}")
        return " (" + ", ".join(parts) + ")"

    return label


def first_bad(mask: np.ndarray) -> int | None:
    """Position of the first True in ``mask``, or None."""
    positions = np.flatnonzero(mask)
    return int(positions[0]) if positions.size else None


def fail(message: str, index: int, row_label: RowLabel) -> GradingInputError:
    """Build the error for the element at ``index`` (the caller raises it)."""
    return GradingInputError(message + row_label(index))


def as_float(field: str, values: Any, row_label: RowLabel) -> np.ndarray:
    """Convert to float, NaN for missing; a non-numeric value raises, naming the field."""
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    numeric = pd.to_numeric(series, errors="coerce")
    not_numeric = numeric.isna().to_numpy() & ~series.isna().to_numpy()
    index = first_bad(not_numeric)
    if index is not None:
        raise fail(f"{field} = {series.iloc[index]!r} is not a number", index, row_label)
    return np.asarray(numeric, dtype=float)


def as_bool(field: str, values: Any, row_label: RowLabel) -> np.ndarray:
    """Convert to bool; only True/False (or 1/0) are accepted, missing is an error."""
    if isinstance(values, pd.Series | np.ndarray) and values.dtype == bool:
        return np.asarray(values, dtype=bool)
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    ok = series.map(lambda value: isinstance(value, bool | np.bool_) or (isinstance(value, int | np.integer) and value in (0, 1)))
    index = first_bad(~ok.to_numpy(dtype=bool))
    if index is not None:
        raise fail(f"{field} = {series.iloc[index]!r} is not allowed; use True or False", index, row_label)
    return series.to_numpy(dtype=bool)


def check_range(
    field: str,
    values: np.ndarray,
    *,
    low: float,
    high: float,
    unit: str,
    row_label: RowLabel,
    allow_missing: bool = False,
    integer: bool = False,
) -> None:
    """Raise unless every value is in ``[low, high]`` (and whole if ``integer``); NaN = missing."""
    missing = np.isnan(values)
    with np.errstate(invalid="ignore"):
        bad = ~missing & ((values < low) | (values > high) | ~np.isfinite(values))
        if integer:
            bad |= ~missing & (values != np.round(values))
    if not allow_missing:
        bad |= missing
    index = first_bad(bad)
    if index is None:
        return
    kind = "a whole number in" if integer else "in"
    unit_text = f" {unit}" if unit else ""
    raise fail(
        f"{field} = {float(values[index]):g}{unit_text} is not allowed; it must be {kind} [{low:g}, {high:g}]{unit_text}"
        + (" (or missing)" if allow_missing else ""),
        index,
        row_label,
    )


def as_codes(field: str, values: Any, kind: type[enum.StrEnum], row_label: RowLabel) -> np.ndarray:
    """Map enum members or their string values to integer codes (position in ``kind``)."""
    members = list(kind)
    lookup: Mapping[str, int] = {member.value: code for code, member in enumerate(members)}
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    codes = series.map(lookup).fillna(-1).to_numpy(dtype=int)  # enum members hash as their string values
    index = first_bad(codes < 0)
    if index is not None:
        allowed = ", ".join(repr(member.value) for member in members)
        raise fail(
            f"{field} = {series.iloc[index]!r} is not a valid {kind.__name__}; allowed: {allowed}",
            index,
            row_label,
        )
    return codes


def code_of(member: enum.StrEnum) -> int:
    """Integer code of an enum member (its position in the enum)."""
    return list(type(member)).index(member)
