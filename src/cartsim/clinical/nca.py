"""Non-compartmental analysis of concentration-time curves (cellular kinetics).

Functions work on arrays shaped ``(..., time)``, so one call handles a whole cohort.
Values are read off the given time grid, as clinical NCA reads them off sampling times:
``cmax``/``tmax`` are the largest observed value and the first time it occurs, and AUC uses
the linear-up/log-down trapezoidal rule.

The per-patient table (adding Clast, Tlast, AUC0–last, λz and half-life, with BLQ handling) and
its summary over patients are in :mod:`cartsim.clinical.nca_table`; the λz rule is in
:mod:`cartsim.clinical.nca_terminal`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cartsim.errors import ClinicalDataError


def cmax_tmax(values: ArrayLike, times: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Peak value and the first time it is reached, along the last axis (NaN ignored)."""
    array = np.asarray(values, dtype=float)
    grid = np.asarray(times, dtype=float)
    if array.shape[-1] != grid.size:
        raise ClinicalDataError(f"values have {array.shape[-1]} time points, times has {grid.size}")
    all_missing = np.all(np.isnan(array), axis=-1)
    filled = np.where(np.isnan(array), -np.inf, array)
    index = np.argmax(filled, axis=-1)
    peak = np.take_along_axis(filled, index[..., None], axis=-1)[..., 0]
    return np.where(all_missing, np.nan, peak), np.where(all_missing, np.nan, grid[index])


def auc_linear_up_log_down(values: ArrayLike, times: ArrayLike, *, start: float, end: float) -> np.ndarray:
    """Area under the curve from ``start`` to ``end`` (both must be on the time grid).

    Rising or flat intervals use the linear trapezoid; falling intervals between positive
    values use the log trapezoid ``(c1 - c2) * dt / ln(c1 / c2)``, exact for exponential
    decline. An interval with a NaN gives NaN.
    """
    array = np.asarray(values, dtype=float)
    grid = np.asarray(times, dtype=float)
    first, last = _grid_index(grid, start), _grid_index(grid, end)
    if last <= first:
        raise ClinicalDataError(f"AUC needs end > start, got [{start}, {end}]")
    c1, c2 = array[..., first:last], array[..., first + 1 : last + 1]
    dt = np.diff(grid[first : last + 1])
    falling = (c2 < c1) & (c2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_part = (c1 - c2) * dt / np.log(c1 / c2)
    linear_part = 0.5 * (c1 + c2) * dt
    return np.asarray(np.sum(np.where(falling, log_part, linear_part), axis=-1))


def _grid_index(grid: np.ndarray, value: float) -> int:
    index = int(np.searchsorted(grid, value - 1e-9 * max(1.0, abs(value))))
    if index >= grid.size or abs(grid[index] - value) > 1e-9 * max(1.0, abs(value)):
        raise ClinicalDataError(f"time {value} is not on the output grid; add it to the output times")
    return index
