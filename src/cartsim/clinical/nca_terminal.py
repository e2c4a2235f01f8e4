"""Terminal elimination rate (λz) and terminal half-life of one concentration-time curve.

The rule, as WinNonlin's "best fit" and PKNCA's default half-life search describe it:

1. Candidate points are the positive, non-missing values sampled strictly after Tmax (the
   first time of the peak), optionally restricted to a ``window`` ``(start, end)`` in days.
   Tmax itself is never used.
2. Candidate sets are the last ``k`` candidate points, for every ``k >= min_points`` (3).
3. Each set is fitted by ordinary least squares, ``ln C = intercept - λz * t``. Sets whose
   slope is not negative (``λz <= 0``) are discarded.
4. The adjusted R², ``1 - (1 - R²) (k - 1) / (k - 2)``, is computed for each set. Among the
   sets within ``tolerance`` (1e-4) of the best adjusted R², the one with the most points wins.
5. λz is NaN (and so is the half-life) when fewer than ``min_points`` candidate points exist or
   no set has a negative slope.

The half-life is ``ln 2 / λz``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from cartsim.errors import ClinicalDataError

#: Sets whose adjusted R² is within this of the best are considered equally good (PKNCA, WinNonlin).
ADJUSTED_R2_TOLERANCE = 1e-4
#: The fewest points a terminal fit may use.
MIN_TERMINAL_POINTS = 3


class TerminalPhase(NamedTuple):
    """The chosen terminal regression (all NaN, ``n_points`` 0 when not estimable)."""

    lambda_z: float
    half_life: float
    intercept: float
    r2_adjusted: float
    n_points: int
    start: float
    end: float


NOT_ESTIMABLE = TerminalPhase(np.nan, np.nan, np.nan, np.nan, 0, np.nan, np.nan)


def terminal_phase(
    values: ArrayLike,
    times: ArrayLike,
    *,
    window: tuple[float, float] | None = None,
    tolerance: float = ADJUSTED_R2_TOLERANCE,
    min_points: int = MIN_TERMINAL_POINTS,
) -> TerminalPhase:
    """λz of one curve (1-D ``values`` on increasing ``times``) by the best-fit rule above.

    NaN values are missing and skipped. Values should already have their BLQ handling
    applied (see :func:`cartsim.clinical.nca_table`); zeros are never used in the fit.
    """
    concentration = np.asarray(values, dtype=float)
    grid = np.asarray(times, dtype=float)
    if concentration.ndim != 1 or concentration.shape != grid.shape:
        shapes = f"{concentration.shape} and {grid.shape}"
        raise ClinicalDataError(f"terminal_phase needs 1-D values and times of equal length, got {shapes}")
    if min_points < 3:
        raise ClinicalDataError(f"`min_points` must be >= 3 (adjusted R² needs 3 points), got {min_points}")
    if not np.any(concentration > 0):
        return NOT_ESTIMABLE
    filled = np.where(np.isnan(concentration), -np.inf, concentration)
    tmax = grid[int(np.argmax(filled))]
    keep = (grid > tmax) & (concentration > 0)
    if window is not None:
        keep &= (grid >= window[0]) & (grid <= window[1])
    return _best_fit(grid[keep], np.log(concentration[keep]), tolerance, min_points)


def _best_fit(t: np.ndarray, y: np.ndarray, tolerance: float, min_points: int) -> TerminalPhase:
    """Least squares of ``y`` on ``t`` for every tail of at least ``min_points`` points, vectorised
    through reversed cumulative sums of the centred data."""
    n = t.size
    if n < min_points:
        return NOT_ESTIMABLE
    # Shift by the last point so the sums stay well conditioned over long time spans.
    ts, ys = t - t[-1], y - y[-1]
    k = np.arange(1, n + 1, dtype=float)[::-1]  # points in the tail starting at index i
    s_t, s_y = _tail_sums(ts), _tail_sums(ys)
    s_tt, s_yy, s_ty = _tail_sums(ts * ts), _tail_sums(ys * ys), _tail_sums(ts * ys)
    sxx = s_tt - s_t * s_t / k
    syy = s_yy - s_y * s_y / k
    sxy = s_ty - s_t * s_y / k
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = sxy / sxx
        r2 = np.minimum(np.where(syy > 0, sxy * sxy / (sxx * syy), 1.0), 1.0)  # rounding can exceed 1
        r2_adjusted = 1.0 - (1.0 - r2) * (k - 1.0) / (k - 2.0)
    valid = (k >= min_points) & (slope < 0) & np.isfinite(slope)
    if not np.any(valid):
        return NOT_ESTIMABLE
    best = np.max(r2_adjusted[valid])
    good = valid & (r2_adjusted >= best - tolerance)
    start = int(np.flatnonzero(good)[0])  # the earliest start = the most points
    lambda_z = float(-slope[start])
    intercept = float(np.mean(y[start:]) + lambda_z * np.mean(t[start:]))
    return TerminalPhase(
        lambda_z=lambda_z,
        half_life=float(np.log(2.0) / lambda_z),
        intercept=intercept,
        r2_adjusted=float(r2_adjusted[start]),
        n_points=int(k[start]),
        start=float(t[start]),
        end=float(t[-1]),
    )


def _tail_sums(array: np.ndarray) -> np.ndarray:
    """``out[i] = sum(array[i:])``."""
    return np.cumsum(array[::-1])[::-1]
