"""Labelled dose rules of the approved CAR-T products (clinical.md section 1.2).

Every dose is a count of CAR-positive viable T cells. A rule gives the labelled range for a
patient (body weight in kg, marrow blasts in % where the rule uses them) and the nominal
schedule: the label's target, or the middle of the labelled range when the label gives a
range. Real products scatter within the range; a trial samples the delivered dose.

A dose outside the label is a :class:`~cartsim.errors.LabelWarning` (off-label use is
possible); a dose that is physically impossible (negative, not finite, above 1e11 cells) is a
:class:`~cartsim.errors.ProductError` naming the value, the unit and the allowed range.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Protocol

from cartsim.errors import LabelWarning, ProductError

#: No infusion holds more CAR+ cells than this (about 100 times the largest labelled dose).
PHYSICAL_MAX_CELLS = 1e11
#: Body weights accepted for weight-based doses, kg.
WEIGHT_RANGE_KG = (1.0, 350.0)
#: Relative slack when comparing a dose with the label's bounds (rounding of products).
LABEL_RTOL = 1e-9

#: A dosing schedule: (day after the first infusion, CAR+ cells) pairs.
Schedule = tuple[tuple[float, float], ...]


def check_weight(weight_kg: float) -> float:
    """A body weight in kg, validated."""
    low, high = WEIGHT_RANGE_KG
    if isinstance(weight_kg, bool) or not isinstance(weight_kg, int | float) or not math.isfinite(weight_kg) \
            or not low <= weight_kg <= high:
        raise ProductError(f"body weight = {weight_kg!r} kg is not allowed; give a number in [{low:g}, {high:g}] kg")
    return float(weight_kg)


def check_cells(cells: float, field: str = "dose") -> float:
    """A physically possible number of CAR+ cells: finite, >= 0 and <= 1e11."""
    if isinstance(cells, bool) or not isinstance(cells, int | float) or not math.isfinite(cells) \
            or not 0.0 <= cells <= PHYSICAL_MAX_CELLS:
        raise ProductError(
            f"{field} = {cells!r} CAR+ cells is physically impossible; give a number in [0, {PHYSICAL_MAX_CELLS:g}] cells"
        )
    return float(cells)


class DoseRule(Protocol):
    """What every labelled dose rule provides."""

    def label_range(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> tuple[float, float]:
        """Smallest and largest labelled total dose for this patient, CAR+ cells."""
        ...

    def schedule(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> Schedule:
        """The nominal schedule for this patient."""
        ...

    def describe(self) -> str:
        """The rule in words, as on the label."""
        ...


@dataclass(frozen=True)
class PerKg:
    """``low``-``high`` CAR+ cells per kg, at most ``cap`` cells (a target when low == high)."""

    low_per_kg: float
    high_per_kg: float
    cap: float = math.inf

    def label_range(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> tuple[float, float]:
        weight = check_weight(weight_kg)
        return min(self.low_per_kg * weight, self.cap), min(self.high_per_kg * weight, self.cap)

    def schedule(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> Schedule:
        low, high = self.label_range(weight_kg)
        return ((0.0, 0.5 * (low + high)),)

    def describe(self) -> str:
        per_kg = f"{self.low_per_kg:.2g}"
        if self.high_per_kg != self.low_per_kg:
            per_kg += f"-{self.high_per_kg:.2g}"
        cap = "" if math.isinf(self.cap) else f", maximum {self.cap:.3g}"
        return f"{per_kg} CAR+ cells/kg{cap}"


@dataclass(frozen=True)
class Flat:
    """A flat dose of ``low``-``high`` CAR+ cells (a target when ``target`` is given)."""

    low: float
    high: float
    target: float | None = None

    def label_range(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> tuple[float, float]:
        check_weight(weight_kg)
        return self.low, self.high

    def schedule(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> Schedule:
        check_weight(weight_kg)
        return ((0.0, self.target if self.target is not None else 0.5 * (self.low + self.high)),)

    def describe(self) -> str:
        target = f" (target {self.target:.3g})" if self.target is not None else ""
        return f"{self.low:.3g}-{self.high:.3g} CAR+ cells{target}"


@dataclass(frozen=True)
class ByWeight:
    """One rule up to and including ``threshold_kg``, another above it (Kymriah B-ALL, 50 kg)."""

    threshold_kg: float
    at_or_below: DoseRule
    above: DoseRule

    def _rule(self, weight_kg: float) -> DoseRule:
        return self.at_or_below if check_weight(weight_kg) <= self.threshold_kg else self.above

    def label_range(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> tuple[float, float]:
        return self._rule(weight_kg).label_range(weight_kg)

    def schedule(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> Schedule:
        return self._rule(weight_kg).schedule(weight_kg)

    def describe(self) -> str:
        return (f"<= {self.threshold_kg:g} kg: {self.at_or_below.describe()}; "
                f"> {self.threshold_kg:g} kg: {self.above.describe()}")


@dataclass(frozen=True)
class SplitByBlasts:
    """A total dose split over two days, the split chosen by marrow blasts (Aucatzyl, 20 %).

    Above ``threshold_percent`` blasts (high burden) the first dose is small, to limit CRS.
    """

    threshold_percent: float
    high_burden: tuple[float, float]
    low_burden: tuple[float, float]
    second_day: float

    def _split(self, marrow_blasts_percent: float | None) -> tuple[float, float]:
        if marrow_blasts_percent is None or isinstance(marrow_blasts_percent, bool) \
                or not isinstance(marrow_blasts_percent, int | float) or not 0.0 <= marrow_blasts_percent <= 100.0:
            raise ProductError(
                f"marrow blasts = {marrow_blasts_percent!r} %: this split dose is chosen by the marrow blasts measured "
                "before lymphodepletion; give a number in [0, 100] %"
            )
        return self.high_burden if marrow_blasts_percent > self.threshold_percent else self.low_burden

    def label_range(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> tuple[float, float]:
        check_weight(weight_kg)
        total = sum(self._split(marrow_blasts_percent))
        return total, total

    def schedule(self, weight_kg: float, marrow_blasts_percent: float | None = None) -> Schedule:
        check_weight(weight_kg)
        first, second = self._split(marrow_blasts_percent)
        return ((0.0, first), (self.second_day, second))

    def describe(self) -> str:
        high, low = self.high_burden, self.low_burden
        return (f"{sum(high):.3g} CAR+ cells in two doses {self.second_day:g} days apart: blasts > {self.threshold_percent:g} %: "
                f"{high[0]:.3g} then {high[1]:.3g}; otherwise {low[0]:.3g} then {low[1]:.3g}")


def check_against_label(rule: DoseRule, total_cells: float, weight_kg: float, marrow_blasts_percent: float | None,
                        where: str) -> None:
    """Warn (:class:`LabelWarning`) when a possible total dose lies outside the label."""
    low, high = rule.label_range(weight_kg, marrow_blasts_percent)
    if total_cells < low * (1 - LABEL_RTOL) or total_cells > high * (1 + LABEL_RTOL):
        warnings.warn(
            f"{where}: a dose of {total_cells:.4g} CAR+ cells is outside the label ({rule.describe()}; for this patient "
            f"{low:.4g}-{high:.4g} cells)",
            LabelWarning,
            stacklevel=3,
        )
