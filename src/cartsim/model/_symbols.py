"""The symbols a model declares: parameters, states and intermediates (incl. observables)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import sympy

IIVConvention = Literal["omega", "omega2"]
ErrorKind = Literal["log_additive", "additive", "proportional"]


@dataclass(frozen=True)
class IIV:
    """Log-normal inter-individual variability: ``value_i = typical * exp(eta_i)``.

    ``variance`` is the variance of ``eta`` (omega squared). ``reported_as`` records whether
    the source reported omega (a standard deviation, e.g. Singh 2021) or omega squared (a
    variance, e.g. Stein 2019); confusing the two silently changes the spread.
    """

    variance: float
    reported_as: IIVConvention

    @property
    def sd(self) -> float:
        """Standard deviation of eta (omega)."""
        return math.sqrt(self.variance)


@dataclass(frozen=True)
class ResidualError:
    """Residual (observation) error of an observable.

    ``log_additive``: ``ln(observed) = ln(predicted) + sd * eps``;
    ``additive``: ``observed = predicted + sd * eps``;
    ``proportional``: ``observed = predicted * (1 + sd * eps)``; eps ~ N(0, 1).
    """

    kind: ErrorKind
    sd: float


@dataclass(frozen=True)
class Parameter:
    """A model parameter with its typical value, unit, bounds, IIV and provenance."""

    name: str
    default: float
    unit: str
    lower: float = -math.inf
    upper: float = math.inf
    iiv: IIV | None = None
    description: str = ""
    source: str = ""
    symbol: str = ""
    line: int = 0

    def check(self, value: float, *, what: str = "value") -> None:
        """Raise ``ValueError`` with the name, value, unit and allowed range if ``value`` is invalid."""
        if not math.isfinite(value):
            raise ValueError(f"parameter `{self.name}` {what} {value!r} {self.unit} is not finite")
        if not self.lower <= value <= self.upper:
            raise ValueError(
                f"parameter `{self.name}` {what} {value:g} {self.unit} is outside its allowed range "
                f"[{self.lower:g}, {self.upper:g}] {self.unit}"
            )


@dataclass(frozen=True)
class State:
    """A state variable with its initial value (an expression of parameters) and policies."""

    name: str
    unit: str
    initial: sympy.Expr
    derivative: sympy.Expr
    description: str = ""
    symbol: str = ""
    #: May doses be given into this state?
    dosable: bool = True
    #: Is a value below -10 x atol an error (``negative_state``)? False for latent states
    #: that may legitimately go negative (Stein 2019's memory pool under IIV).
    nonnegative: bool = True
    #: When the state crosses this value downwards it is set to zero (None: never).
    extinction: float | None = None
    #: Below this value the state is simulated as a stochastic birth-death process of whole
    #: cells (hybrid mode, Kimmel 2021); None: always deterministic.
    stochastic_below: float | None = None
    #: The amount of one cell in the state's unit (1e-9 for a tumour in mL); used with
    #: ``stochastic_below``.
    cell_amount: float = 1.0
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Intermediate:
    """A named expression; observables are intermediates reported in results."""

    name: str
    expr: sympy.Expr
    unit: str = ""
    description: str = ""
    symbol: str = ""
    observable: bool = False
    error: ResidualError | None = None
    source: str = ""
    line: int = 0
