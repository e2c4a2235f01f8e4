"""Lymphodepleting regimens (clinical.md section 1.3) and their intensity in the platform model.

Doses are per day in mg/m^2 of body surface area. The platform model takes one number, the
regimen's intensity (``lymphodepletion_intensity``: 0 = none, 1 = the axi-cel regimen of
fludarabine 30 + cyclophosphamide 500 mg/m^2 on three days). The intensity of other regimens
is an assumed weighted sum of the two drugs' total doses relative to that reference,
fludarabine weighing more (it is the main lymphodepleting agent): 0.6 x fludarabine / 90 +
0.4 x cyclophosphamide / 1500 mg/m^2, and bendamustine 90 mg/m^2 on two days counts as 0.7.
The weights are assumptions; the calibration of the presets adjusts the intensity's effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cartsim.errors import ProductError

#: Total doses of the reference regimen (intensity 1), mg/m^2.
REFERENCE_FLUDARABINE_MG_M2 = 90.0
REFERENCE_CYCLOPHOSPHAMIDE_MG_M2 = 1500.0
FLUDARABINE_WEIGHT = 0.6
CYCLOPHOSPHAMIDE_WEIGHT = 0.4
#: Intensity of bendamustine 90 mg/m^2 x 2 days (assumed), scaled linearly with its total dose.
BENDAMUSTINE_180_INTENSITY = 0.7


@dataclass(frozen=True)
class Regimen:
    """A lymphodepleting regimen: per-day doses (mg/m^2) and numbers of days."""

    fludarabine_mg_m2: float = 0.0
    fludarabine_days: int = 0
    cyclophosphamide_mg_m2: float = 0.0
    cyclophosphamide_days: int = 0
    bendamustine_mg_m2: float = 0.0
    bendamustine_days: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("fludarabine", "cyclophosphamide", "bendamustine"):
            dose, days = getattr(self, f"{name}_mg_m2"), getattr(self, f"{name}_days")
            if isinstance(dose, bool) or not isinstance(dose, int | float) or not math.isfinite(dose) or not 0 <= dose <= 5000:
                raise ProductError(f"{name}_mg_m2 = {dose!r} mg/m^2 per day is not allowed; give a number in [0, 5000]")
            if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 10:
                raise ProductError(f"{name}_days = {days!r} days is not allowed; give an integer in [0, 10]")

    @property
    def intensity(self) -> float:
        """The platform model's ``lymphodepletion_intensity`` for this regimen (see the module docstring)."""
        fludarabine = self.fludarabine_mg_m2 * self.fludarabine_days / REFERENCE_FLUDARABINE_MG_M2
        cyclophosphamide = self.cyclophosphamide_mg_m2 * self.cyclophosphamide_days / REFERENCE_CYCLOPHOSPHAMIDE_MG_M2
        bendamustine = self.bendamustine_mg_m2 * self.bendamustine_days / 180.0 * BENDAMUSTINE_180_INTENSITY
        return FLUDARABINE_WEIGHT * fludarabine + CYCLOPHOSPHAMIDE_WEIGHT * cyclophosphamide + bendamustine

    def describe(self) -> str:
        parts = [f"{name} {getattr(self, f'{name}_mg_m2'):g} mg/m^2 x {getattr(self, f'{name}_days')} d"
                 for name in ("fludarabine", "cyclophosphamide", "bendamustine") if getattr(self, f"{name}_days")]
        return " + ".join(parts) or "no lymphodepletion"


def flu_cy(fludarabine: float, fludarabine_days: int, cyclophosphamide: float, cyclophosphamide_days: int,
           source: str) -> Regimen:
    """A fludarabine/cyclophosphamide regimen."""
    return Regimen(fludarabine, fludarabine_days, cyclophosphamide, cyclophosphamide_days, source=source)


NO_LYMPHODEPLETION = Regimen(source="no lymphodepletion")
