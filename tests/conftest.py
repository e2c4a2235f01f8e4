"""Shared test models. Each distinct model compiles one numba kernel (about 20 s the first
time on a machine, then cached on disk), so tests share a few small models."""

from __future__ import annotations

import numpy as np
import pytest

import cartsim
from cartsim.testing import CART6_STIFF_TEXT, CART6_TEXT

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
