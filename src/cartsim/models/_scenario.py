"""Published set-ups of library models (doses, parameter values, time span) and their
reference points, shared by the model modules, their tests and the generated model pages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cartsim.engine import Dose
from cartsim.errors import ModelError

if TYPE_CHECKING:
    import xarray as xr

    from cartsim.model import Model


@dataclass(frozen=True)
class Scenario:
    """A simulation set-up from a paper: typical-value overrides, doses and an output grid.

    ``end`` and ``step`` are in days (the grid is ``start, start + step, ..., end``).
    ``params`` overrides typical values by name; ``doses`` are bolus events.
    """

    description: str
    end: float
    step: float = 1.0
    start: float = 0.0
    params: Mapping[str, float] = field(default_factory=dict)
    doses: tuple[Dose, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end) and self.end > self.start):
            raise ModelError(f"scenario span must be finite with end > start, got [{self.start}, {self.end}] day")
        if not (math.isfinite(self.step) and self.step > 0):
            raise ModelError(f"scenario `step` must be > 0 days, got {self.step!r}")

    def times(self) -> np.ndarray:
        """The output grid in days; rounded so that grid points such as 0.1 * 3 are exact decimals."""
        count = round((self.end - self.start) / self.step)
        return np.round(self.start + self.step * np.arange(count + 1), 10)

    def simulate(self, model: Model | str, **options: Any) -> xr.Dataset:
        """Run this scenario with :func:`cartsim.simulate`; ``options`` are passed on
        (``params`` given there are merged over the scenario's)."""
        from cartsim import simulate

        params = {**self.params, **dict(options.pop("params", None) or {})}
        return simulate(
            model, times=options.pop("times", self.times()), params=params or None, doses=self.doses or None, **options
        )


@dataclass(frozen=True)
class ReferencePoint:
    """A number a model must reproduce, drawn on its model page: ``value`` of ``variable``
    (in the variable's unit) at ``time`` (days). ``kind`` is "published" or "computed";
    ``tolerance`` is the relative agreement expected of a computed reference (0.5 %, or half a
    unit of the last digit printed when the source gives fewer digits)."""

    variable: str
    time: float
    value: float
    kind: str
    label: str = ""
    scenario: str = ""
    tolerance: float = 5e-3
