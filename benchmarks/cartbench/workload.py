"""The reference workloads ``cart6`` and ``cart6_stiff`` and their virtual patients.

The cartsim texts of both come from :mod:`cartsim.testing`, shared with the test-suite. The
same equations are also kept in a small structured form (:class:`Workload`) from which the
peers' right-hand sides are generated, so every engine integrates exactly the same system;
the accuracy check against a tight Radau reference would show any mismatch between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.testing import CART6_STIFF_TEXT, CART6_TEXT

#: Seed of the one standard-normal matrix from which every patient's parameters come.
IIV_SEED = 20_190_365
#: Inter-individual variability: each parameter is multiplied by exp(IIV_SD * z).
IIV_SD = 0.3
#: 365 days, daily output.
TIMES = np.arange(0.0, 366.0)
RTOL = 1e-6
ATOL = 1e-9


@dataclass(frozen=True)
class Workload:
    """One ODE system in two forms: cartsim model text, and expressions for the peers.

    Expressions use only numbers, names, ``+ - * /`` and parentheses, which read the same in
    Python, R, Antimony and sympy.
    """

    name: str
    cartsim_text: str
    parameters: dict[str, float]
    initial: dict[str, float]
    intermediates: tuple[tuple[str, str], ...]
    derivatives: dict[str, str]

    @property
    def state_names(self) -> list[str]:
        return list(self.initial)

    @property
    def parameter_names(self) -> list[str]:
        return list(self.parameters)


_PARAMETERS = {
    "expansion_rate": 1.2,
    "half_sat": 50.0,
    "eff_death": 0.25,
    "to_memory": 0.05,
    "reactivation": 0.5,
    "mem_death": 0.01,
    "exhaustion_rate": 0.02,
    "exh_death": 0.3,
    "growth_rate": 0.03,
    "capacity": 1e4,
    "kill_rate": 0.08,
    "b_renewal": 0.02,
    "b_normal": 200.0,
    "b_kill_rate": 0.05,
    "il6_per_kill": 0.5,
    "il6_clearance": 3.0,
}
_INITIAL = {"car_eff": 0.5, "car_mem": 0.05, "car_exh": 0.0, "tumour": 1000.0, "b_cells": 200.0, "il6": 0.0}
_DERIVATIVES = {
    "car_eff": "expansion_rate*car_eff*stim - eff_death*car_eff - to_memory*car_eff + reactivation*car_mem*stim - exhaust",
    "car_mem": "to_memory*car_eff - reactivation*car_mem*stim - mem_death*car_mem",
    "car_exh": "exhaust - exh_death*car_exh",
    "tumour": "growth_rate*tumour*(1 - tumour/capacity) - kill",
    "b_cells": "b_renewal*(b_normal - b_cells) - b_kill_rate*car_eff*b_cells/(1 + 0.001*car_eff)",
    "il6": "il6_per_kill*kill - il6_clearance*il6",
}
_STIM = (("A", "tumour + b_cells"), ("stim", "A / (half_sat + A)"))
_EXHAUST = ("exhaust", "exhaustion_rate * car_eff * tumour / (half_sat + tumour)")

CART6 = Workload(
    name="cart6",
    cartsim_text=CART6_TEXT,
    parameters=_PARAMETERS,
    initial=_INITIAL,
    intermediates=(*_STIM, ("kill", "kill_rate * car_eff * tumour / (1 + 0.001 * car_eff)"), _EXHAUST),
    derivatives=_DERIVATIVES,
)

CART6_STIFF = Workload(
    name="cart6_stiff",
    cartsim_text=CART6_STIFF_TEXT,
    parameters={**_PARAMETERS, "k_on": 1e3, "k_off": 1e4},
    initial={**_INITIAL, "bound": 0.0},
    intermediates=(*_STIM, ("kill", "kill_rate * (k_off/k_on) * bound / (1 + 0.001*car_eff)"), _EXHAUST),
    derivatives={**_DERIVATIVES, "bound": "k_on*car_eff*tumour - k_off*bound"},
)

#: Every parameter of either workload, in a fixed order: the columns of the z matrix.
_ALL_PARAMETERS = CART6_STIFF.parameter_names


def iiv_z(n_patients: int) -> np.ndarray:
    """The standard-normal matrix (patients x all parameters), drawn once from ``IIV_SEED``.

    Rows are drawn in order, so patient ``i`` is the same for every ``n_patients > i``.
    """
    return np.random.default_rng(IIV_SEED).standard_normal((n_patients, len(_ALL_PARAMETERS)))


def patient_parameters(workload: Workload, z: np.ndarray) -> np.ndarray:
    """Per-patient parameters (patients x the workload's parameters): typical * exp(IIV_SD * z)."""
    columns = [_ALL_PARAMETERS.index(name) for name in workload.parameter_names]
    typical = np.array(list(workload.parameters.values()))
    return typical * np.exp(IIV_SD * z[:, columns])


WORKLOADS = {workload.name: workload for workload in (CART6, CART6_STIFF)}


def parameter_columns(workload: Workload, n_patients: int, chunk: int = 65_536) -> dict[str, np.ndarray]:
    """The first ``n_patients`` rows of :func:`patient_parameters` as one array per parameter.

    Draws the z matrix in blocks of rows (the same stream as :func:`iiv_z`), so that memory
    holds the result and one block, not the whole z matrix: for the million-patient run.
    """
    rng = np.random.default_rng(IIV_SEED)
    columns = {name: np.empty(n_patients) for name in workload.parameter_names}
    indices = [_ALL_PARAMETERS.index(name) for name in workload.parameter_names]
    for start in range(0, n_patients, chunk):
        stop = min(start + chunk, n_patients)
        block = rng.standard_normal((stop - start, len(_ALL_PARAMETERS)))
        for name, index in zip(workload.parameter_names, indices, strict=True):
            columns[name][start:stop] = workload.parameters[name] * np.exp(IIV_SD * block[:, index])
    return columns
