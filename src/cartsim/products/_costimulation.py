"""Product attributes that the platform model uses, as documented effects (not per-product numbers).

- **Target antigen**: CD19 CARs also kill healthy B cells (B-cell aplasia) and are stimulated
  by them, so ``b_cell_antigen_weight`` = 1; BCMA CARs spare B cells, weight 0.
- **Costimulatory domain**: CD28 products expand faster and contract sooner; 4-1BB products
  expand more slowly and persist longer (4-1BB favours central-memory differentiation and
  oxidative metabolism, CD28 effector differentiation: Kawalekar et al., Immunity 2016;
  clinically, axi-cel's earlier and higher peak and shorter persistence than tisa-cel's). The
  effect is a multiplier on the platform's expansion, effector-death and memory-death rates.
  Their sizes are assumptions that the calibration of the presets adjusts.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

Target = Literal["CD19", "BCMA"]
Costimulation = Literal["CD28", "4-1BB"]

TARGET_B_CELL_WEIGHT: MappingProxyType[str, float] = MappingProxyType({"CD19": 1.0, "BCMA": 0.0})

#: Multipliers of platform parameters by costimulatory domain (assumed; calibrated by the presets).
COSTIMULATION_EFFECTS: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType({
    "CD28": MappingProxyType({"antigen_expansion_rate": 1.3, "effector_death_rate": 1.1, "memory_death_rate": 3.0}),
    "4-1BB": MappingProxyType({"antigen_expansion_rate": 0.8, "effector_death_rate": 0.9, "memory_death_rate": 1.0}),
})


def attribute_parameters(target: Target, costimulation: Costimulation, typical: dict[str, float]) -> dict[str, float]:
    """Platform parameter values implied by a product's target and costimulation, from ``typical`` values."""
    values = {"b_cell_antigen_weight": TARGET_B_CELL_WEIGHT[target]}
    for name, factor in COSTIMULATION_EFFECTS[costimulation].items():
        values[name] = typical[name] * factor
    return values
