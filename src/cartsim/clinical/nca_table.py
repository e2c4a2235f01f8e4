"""Per-patient non-compartmental analysis table and its summary over patients.

``nca_table`` reads clinical cellular kinetics (qPCR copies/µg, flow cells/µL) the way CAR-T
reports do. Time is in days. The rules:

**Below the limit of quantification** (only when ``lloq`` is given; a value ``< lloq`` is BLQ,
NaN is a missing sample and is always dropped), as PKNCA's default and WinNonlin describe:

- BLQ *before the first* quantifiable value (pre-expansion, baseline) -> 0.
- BLQ *between* quantifiable values -> excluded (treated as missing).
- BLQ *after the last* quantifiable value -> 0 (``trailing_blq="zero"``, the default, so the
  curve returns to 0 at the first such sample and AUC0–28 stays estimable once the cells are
  gone) or excluded (``trailing_blq="missing"``).
- No quantifiable value at all: every sample -> 0; Cmax is 0, Tmax, Clast, Tlast and λz NaN.

**Parameters**: Cmax and Tmax are the largest used value and the first time it occurs; Clast
and Tlast the last positive (quantifiable) value and its time; AUCs use the linear-up/log-down
rule of :func:`cartsim.clinical.auc_linear_up_log_down` and start at time 0, so a patient
without a usable sample at time 0 has NaN AUCs (nothing is back-extrapolated). AUC0–``auc_end``
interpolates to ``auc_end`` when it falls between samples (linearly if rising, log-linearly if
falling) and is NaN when the last used sample is before ``auc_end`` (nothing is extrapolated).
AUC0–last integrates to Tlast. λz and the half-life follow :mod:`cartsim.clinical.nca_terminal`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from cartsim.errors import ClinicalDataError

from .nca import auc_linear_up_log_down
from .nca_terminal import ADJUSTED_R2_TOLERANCE, MIN_TERMINAL_POINTS, terminal_phase

#: Columns of :func:`nca_table` that :func:`summarise_nca` summarises (AUC0–end is added).
SUMMARISED = ("cmax", "tmax", "clast", "tlast", "auc_0_last", "lambda_z", "half_life")

BLQ_RULE = "BLQ before the first quantifiable value -> 0; between quantifiable values -> excluded; after the last -> {trailing}"
LAMBDA_Z_RULE = (
    f"log-linear least squares on the last k >= {MIN_TERMINAL_POINTS} positive points after Tmax; "
    f"best adjusted R² within {ADJUSTED_R2_TOLERANCE:g}, most points among those"
)


def nca_table(
    data: ArrayLike | pd.DataFrame,
    times: ArrayLike | None = None,
    *,
    lloq: float | None = None,
    auc_end: float = 28.0,
    unit: str = "",
    trailing_blq: Literal["zero", "missing"] = "zero",
    lambda_z_window: tuple[float, float] | None = None,
    lambda_z_tolerance: float = ADJUSTED_R2_TOLERANCE,
) -> pd.DataFrame:
    """One row of NCA parameters per patient.

    ``data`` is either an array shaped ``(..., time)`` with ``times`` (1-D, days; leading axes
    are flattened in C order into patients ``0..N-1``), or a long DataFrame with columns
    ``patient_id``, ``time`` (days) and ``value`` (then ``times`` must be None). ``unit`` is the
    concentration unit (e.g. ``"copies/ug"``); ``DataFrame.attrs["units"]`` gives every
    column's unit. ``lambda_z_window=(start, end)`` restricts the terminal fit to that span and
    ``lambda_z_tolerance`` is the adjusted-R² tolerance of the best-fit rule.

    Columns: ``cmax, tmax, clast, tlast, auc_0_<auc_end>, auc_0_last, lambda_z, half_life,
    lambda_z_r2_adjusted, lambda_z_n_points, lambda_z_start, lambda_z_end, n_samples, n_blq``.
    """
    _check_options(lloq, auc_end, unit, trailing_blq, lambda_z_window)
    if not (_is_number(lambda_z_tolerance) and 0 <= lambda_z_tolerance < 1):
        raise ClinicalDataError(f"`lambda_z_tolerance` must be a number in [0, 1), got {lambda_z_tolerance!r}")
    ids, curves, index_name = _patients(data, times)
    auc_name = f"auc_0_{auc_end:g}"
    options = (lloq, auc_end, trailing_blq, lambda_z_window, float(lambda_z_tolerance))
    rows = [_patient_row(t, c, *options) for t, c in curves]
    columns = ["cmax", "tmax", "clast", "tlast", auc_name, "auc_0_last", "lambda_z", "half_life"]
    columns += ["lambda_z_r2_adjusted", "lambda_z_n_points", "lambda_z_start", "lambda_z_end", "n_samples", "n_blq"]
    table = pd.DataFrame(rows, columns=columns, index=pd.Index(ids, name=index_name))
    for name in ("lambda_z_n_points", "n_samples", "n_blq"):
        table[name] = table[name].astype(np.int64)
    area = f"({unit})*day" if unit else "day"
    table.attrs["units"] = {
        "cmax": unit, "tmax": "day", "clast": unit, "tlast": "day", auc_name: area, "auc_0_last": area,
        "lambda_z": "1/day", "half_life": "day", "lambda_z_r2_adjusted": "1", "lambda_z_n_points": "1",
        "lambda_z_start": "day", "lambda_z_end": "day", "n_samples": "1", "n_blq": "1",
    }  # fmt: skip
    table.attrs["lloq"] = "none" if lloq is None else float(lloq)
    table.attrs["blq_rule"] = "none (no lloq)" if lloq is None else BLQ_RULE.format(trailing=trailing_blq.replace("zero", "0"))
    table.attrs["lambda_z_rule"] = LAMBDA_Z_RULE.replace(f"{ADJUSTED_R2_TOLERANCE:g}", f"{lambda_z_tolerance:g}") + (
        "" if lambda_z_window is None else f"; window {tuple(lambda_z_window)} day"
    )
    table.attrs["auc_rule"] = "linear-up/log-down from time 0; no extrapolation"
    return table


def summarise_nca(table: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Summary over patients, one row per parameter: ``n`` (non-missing), ``geometric_mean``,
    ``geometric_cv_percent`` (``100 * sqrt(exp(sd_log**2) - 1)``, ``sd_log`` with ddof 1),
    ``mean``, ``sd``, ``median``, ``min``, ``max`` and ``unit``. Missing values are skipped;
    the geometric statistics are NaN when a non-missing value is <= 0 (log undefined) and the
    CV needs two values."""
    if columns is None:
        columns = [name for name in table.columns if name in SUMMARISED or str(name).startswith("auc_0_")]
    missing = [name for name in columns if name not in table.columns]
    if missing:
        raise ClinicalDataError(f"`columns` {missing} are not in the table; allowed: {list(table.columns)}")
    units = table.attrs.get("units", {})
    rows = [_summary_row(table[name].to_numpy(dtype=float)) for name in columns]
    summary = pd.DataFrame(rows, index=pd.Index(list(columns), name="parameter"))
    summary["unit"] = [units.get(name, "") for name in columns]
    summary.attrs["units"] = {name: units.get(name, "") for name in columns}
    return summary


def _summary_row(values: np.ndarray) -> dict[str, float]:
    present = values[~np.isnan(values)]
    n = present.size
    row = {"n": float(n), "geometric_mean": np.nan, "geometric_cv_percent": np.nan}
    row |= {"mean": np.nan, "sd": np.nan, "median": np.nan, "min": np.nan, "max": np.nan}
    if n == 0:
        return row
    row |= {"mean": float(np.mean(present)), "median": float(np.median(present))}
    row |= {"min": float(np.min(present)), "max": float(np.max(present))}
    if n > 1:
        row["sd"] = float(np.std(present, ddof=1))
    if np.all(present > 0):
        logs = np.log(present)
        row["geometric_mean"] = float(np.exp(np.mean(logs)))
        if n > 1:
            row["geometric_cv_percent"] = float(100.0 * np.sqrt(np.expm1(np.var(logs, ddof=1))))
    return row


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_options(lloq: float | None, auc_end: float, unit: str, trailing_blq: str, window: tuple[float, float] | None) -> None:
    if lloq is not None and not (_is_number(lloq) and np.isfinite(lloq) and lloq > 0):
        raise ClinicalDataError(f"`lloq` must be a finite number > 0 (same unit as the values) or None, got {lloq!r}")
    if not (_is_number(auc_end) and np.isfinite(auc_end) and auc_end > 0):
        raise ClinicalDataError(f"`auc_end` must be a finite time > 0 day, got {auc_end!r}")
    if not isinstance(unit, str):
        raise ClinicalDataError(f"`unit` must be a string such as 'copies/ug', got {unit!r}")
    if trailing_blq not in ("zero", "missing"):
        raise ClinicalDataError(f"`trailing_blq` must be one of 'zero', 'missing', got {trailing_blq!r}")
    if window is not None:
        try:
            start, end = (float(value) for value in window)
        except (TypeError, ValueError):
            raise ClinicalDataError(f"`lambda_z_window` must be (start, end) in days, got {window!r}") from None
        if not (np.isfinite(start) and np.isfinite(end) and start < end):
            raise ClinicalDataError(f"`lambda_z_window` must have finite start < end (days), got {window!r}")


def _patients(
    data: ArrayLike | pd.DataFrame, times: ArrayLike | None
) -> tuple[list[object], Iterable[tuple[np.ndarray, np.ndarray]], str]:
    """Patient ids and (times, values) per patient, validated."""
    if isinstance(data, pd.DataFrame):
        if times is not None:
            raise ClinicalDataError("`times` must be None when `data` is a long DataFrame (times come from its 'time' column)")
        absent = [name for name in ("patient_id", "time", "value") if name not in data.columns]
        if absent:
            raise ClinicalDataError(f"the DataFrame lacks columns {absent}; required: ['patient_id', 'time', 'value']")
        if data["patient_id"].isna().any():
            raise ClinicalDataError("column 'patient_id' has missing values; every row needs a patient")
        ids: list[object] = []
        curves: list[tuple[np.ndarray, np.ndarray]] = []
        for patient, group in data.groupby("patient_id", sort=True):
            ordered = group.sort_values("time", kind="stable")
            grid, values = _as_float(ordered["time"], "time"), _as_float(ordered["value"], "value")
            _check_curve(grid, values, f"patient {patient!r}")
            ids.append(patient)
            curves.append((grid, values))
        return ids, curves, "patient_id"
    if times is None:
        raise ClinicalDataError("`times` (days, 1-D) is required when `data` is an array shaped (..., time)")
    array, grid = np.asarray(data, dtype=float), np.asarray(times, dtype=float)
    if grid.ndim != 1 or array.ndim == 0 or array.shape[-1] != grid.size:
        raise ClinicalDataError(
            f"`times` must be 1-D with one entry per value on the last axis; got times {grid.shape}, values {array.shape}"
        )
    flat = array.reshape(-1, grid.size)
    for row in flat:
        _check_curve(grid, row, "values")
    return list(range(flat.shape[0])), ((grid, row) for row in flat), "patient"


def _as_float(column: pd.Series, name: str) -> np.ndarray:
    try:
        return column.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ClinicalDataError(f"column {name!r} must be numeric, got dtype {column.dtype}") from None


def _check_curve(grid: np.ndarray, values: np.ndarray, where: str) -> None:
    if not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ClinicalDataError(f"{where}: times must be finite and >= 0 day, got {grid[~(np.isfinite(grid) & (grid >= 0))][:3]}")
    if np.any(np.diff(grid) <= 0):
        repeated = grid[:-1][np.diff(grid) <= 0][:3]
        raise ClinicalDataError(
            f"{where}: times must be strictly increasing (one sample per time), got {repeated} repeated or out of order"
        )
    bad = np.isinf(values) | (values < 0)
    if np.any(bad):
        raise ClinicalDataError(f"{where}: values must be >= 0 and finite (NaN = missing sample), got {values[bad][:3]}")


def apply_blq(values: ArrayLike, lloq: float | None, trailing_blq: str = "zero") -> np.ndarray:
    """One curve's values with the BLQ rule applied (see the module docstring); NaN = excluded."""
    cleaned = np.array(values, dtype=float)
    if lloq is None:
        return cleaned
    blq = cleaned < lloq  # NaN compares False: missing stays missing
    quantifiable = np.flatnonzero(~np.isnan(cleaned) & ~blq)
    if quantifiable.size == 0:
        cleaned[blq] = 0.0
        return cleaned
    first, last = quantifiable[0], quantifiable[-1]
    position = np.arange(cleaned.size)
    cleaned[blq & (position < first)] = 0.0
    cleaned[blq & (position > first) & (position < last)] = np.nan
    cleaned[blq & (position > last)] = 0.0 if trailing_blq == "zero" else np.nan
    return cleaned


def _patient_row(
    grid: np.ndarray,
    values: np.ndarray,
    lloq: float | None,
    auc_end: float,
    trailing_blq: str,
    window: tuple[float, float] | None,
    tolerance: float,
) -> list[float]:
    cleaned = apply_blq(values, lloq, trailing_blq)
    n_blq = 0 if lloq is None else int(np.sum(values < lloq))
    used = ~np.isnan(cleaned)
    t, c = grid[used], cleaned[used]
    if t.size == 0:
        return [np.nan] * 12 + [0, n_blq]
    peak = int(np.argmax(c))
    positive = np.flatnonzero(c > 0)
    clast, tlast = (c[positive[-1]], t[positive[-1]]) if positive.size else (np.nan, np.nan)
    starts_at_zero = t[0] == 0.0
    auc_end = _snap(t, auc_end)
    auc_last = np.nan
    if starts_at_zero and positive.size:
        auc_last = _auc_to(t, c, tlast)
    auc_partial = _auc_to(t, c, auc_end) if starts_at_zero and t[-1] >= auc_end else np.nan
    phase = terminal_phase(c, t, window=window, tolerance=tolerance)
    return [
        c[peak], t[peak] if positive.size else np.nan, clast, tlast, auc_partial, auc_last,
        phase.lambda_z, phase.half_life, phase.r2_adjusted, phase.n_points, phase.start, phase.end,
        int(t.size), n_blq,
    ]  # fmt: skip


def _snap(t: np.ndarray, time: float) -> float:
    """``time``, or the sampling time within 1e-9 (relative) of it: day 28 computed as 27.999999999999996."""
    nearest = t[int(np.argmin(np.abs(t - time)))]
    return float(nearest) if abs(nearest - time) <= 1e-9 * max(1.0, abs(time)) else time


def _auc_to(t: np.ndarray, c: np.ndarray, end: float) -> float:
    """Linear-up/log-down area from ``t[0] = 0`` to ``end <= t[-1]``, interpolating at ``end``."""
    last = int(np.searchsorted(t, end, side="right")) - 1
    area = float(auc_linear_up_log_down(c[: last + 1], t[: last + 1], start=0.0, end=t[last])) if last > 0 else 0.0
    if t[last] == end:
        return area
    c1, c2, dt = c[last], c[last + 1], t[last + 1] - t[last]
    fraction = (end - t[last]) / dt
    if 0 < c2 < c1:
        c_end = c1 * (c2 / c1) ** fraction
    else:
        c_end = c1 + (c2 - c1) * fraction
    width = end - t[last]
    if 0 < c_end < c1:
        return area + float((c1 - c_end) * width / np.log(c1 / c_end))
    return area + float(0.5 * (c1 + c_end) * width)
