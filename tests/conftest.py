"""Shared test models. Each distinct model compiles one numba kernel (about 10 s the first
time on a machine, then cached on disk), so tests share a few small models."""

from __future__ import annotations

import numpy as np
import pytest

import cartsim

LINEAR_TEXT = """
model(name="linear_two_compartment", description="linear test system")
elimination_rate = 0.3     | unit="1/day"
central_to_peripheral = 0.5 | unit="1/day"
peripheral_to_central = 0.2 | unit="1/day"
d/dt(central) = -(elimination_rate + central_to_peripheral) * central + peripheral_to_central * peripheral | unit="mg"
d/dt(peripheral) = central_to_peripheral * central - peripheral_to_central * peripheral | unit="mg"
central(0) = 0
total = central + peripheral | unit="mg", observable=True
"""

# The cart6 reference workload of the engine benchmark (a nonlinear CAR-T-like model).
CART6_TEXT = """
model(name="cart6", description="6-state CAR-T benchmark workload")
expansion_rate = 1.2   | unit="1/day"
half_sat = 50          | unit="cells/uL"
eff_death = 0.25       | unit="1/day"
to_memory = 0.05       | unit="1/day"
reactivation = 0.5     | unit="1/day"
mem_death = 0.01       | unit="1/day"
exhaustion_rate = 0.02 | unit="1/day"
exh_death = 0.3        | unit="1/day"
growth_rate = 0.03     | unit="1/day"
capacity = 1e4         | unit="cells/uL"
kill_rate = 0.08       | unit="uL/(cell*day)"
b_renewal = 0.02       | unit="1/day"
b_normal = 200         | unit="cells/uL"
b_kill_rate = 0.05     | unit="uL/(cell*day)"
il6_per_kill = 0.5     | unit="pg/mL per (cells/uL)"
il6_clearance = 3.0    | unit="1/day"
A = tumour + b_cells
stim = A / (half_sat + A)
kill = kill_rate * car_eff * tumour / (1 + 0.001 * car_eff)
exhaust = exhaustion_rate * car_eff * tumour / (half_sat + tumour)
d/dt(car_eff) = expansion_rate*car_eff*stim - eff_death*car_eff - to_memory*car_eff + reactivation*car_mem*stim - exhaust
    | unit="cells/uL"
d/dt(car_mem) = to_memory*car_eff - reactivation*car_mem*stim - mem_death*car_mem | unit="cells/uL"
d/dt(car_exh) = exhaust - exh_death*car_exh | unit="cells/uL"
d/dt(tumour)  = growth_rate*tumour*(1 - tumour/capacity) - kill | unit="cells/uL"
d/dt(b_cells) = b_renewal*(b_normal - b_cells) - b_kill_rate*car_eff*b_cells/(1 + 0.001*car_eff) | unit="cells/uL"
d/dt(il6)     = il6_per_kill*kill - il6_clearance*il6 | unit="pg/mL"
car_eff(0) = 0.5
car_mem(0) = 0.05
tumour(0) = 1000
b_cells(0) = 200
"""

# The stiff variant of the benchmark: receptor-antigen binding on a seconds scale
# (k_off = 1e4 /day) whose quasi-steady state is cart6's killing term.
CART6_STIFF_TEXT = CART6_TEXT.replace('model(name="cart6"', 'model(name="cart6_stiff"').replace(
    "kill = kill_rate * car_eff * tumour / (1 + 0.001 * car_eff)",
    "k_on = 1e3 | unit=\"uL/(cell*day)\"\n"
    "k_off = 1e4 | unit=\"1/day\"\n"
    "kill = kill_rate * (k_off / k_on) * bound / (1 + 0.001 * car_eff)\n"
    "d/dt(bound) = k_on * car_eff * tumour - k_off * bound | unit=\"cells/uL\"",
)

# One scalar state exercising every failure path: drift < 0 goes negative, growth > 0
# blows up in finite time at t = 1 / (growth * start), a NaN parameter is non-finite.
PATHOLOGICAL_TEXT = """
model(name="pathological")
drift = 0      | unit="1/day"
growth = 0     | unit="1/day"
start = 1      | unit="1"
decay = 0      | unit="1/day"
d/dt(x) = drift + growth * x**2 - decay * x | unit="1"
x(0) = start
d/dt(extinct) = -decay * extinct | unit="cells", extinction=1e-6
extinct(0) = start
"""


@pytest.fixture(scope="session")
def linear_model() -> cartsim.Model:
    return cartsim.parse_model(LINEAR_TEXT)


@pytest.fixture(scope="session")
def cart6_model() -> cartsim.Model:
    return cartsim.parse_model(CART6_TEXT)


@pytest.fixture(scope="session")
def cart6_stiff_model() -> cartsim.Model:
    return cartsim.parse_model(CART6_STIFF_TEXT)


@pytest.fixture(scope="session")
def pathological_model() -> cartsim.Model:
    return cartsim.parse_model(PATHOLOGICAL_TEXT)


@pytest.fixture(scope="session")
def stein() -> cartsim.Model:
    return cartsim.models.get("stein2019")


def max_relative_error(actual: np.ndarray, expected: np.ndarray, floor: float = 0.0) -> float:
    """Largest |actual - expected| / |expected| over points where |expected| > floor."""
    mask = np.abs(expected) > floor
    return float(np.max(np.abs(actual[mask] - expected[mask]) / np.abs(expected[mask])))


def max_mixed_error(actual: np.ndarray, expected: np.ndarray, floor: float) -> float:
    """Largest |actual - expected| / max(|expected|, floor): relative above floor, absolute below."""
    return float(np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), floor)))
