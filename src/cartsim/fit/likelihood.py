"""Residual error models and the likelihood of observations, with Beal's M3 for censored values.

All functions are pure and vectorised: predictions have shape ``(n_vectors, n_observations)``
(one row per parameter vector being evaluated), error-model values have shape
``(n_vectors,)``. The result is the ``-2 log L`` of each vector (``inf`` where a prediction is
impossible for the error model, e.g. ``<= 0`` on the log scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import log_ndtr

from cartsim.errors import FitError
from cartsim.model import Model

ErrorKind = Literal["log_additive", "additive", "proportional", "combined"]
ERROR_KINDS: tuple[str, ...] = ("log_additive", "additive", "proportional", "combined")
LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class ErrorModel:
    """Residual error of one output; eps ~ N(0, 1).

    - ``log_additive``: ``ln y = ln f + additive * eps`` (``additive`` is an SD on the log scale);
    - ``additive``: ``y = f + additive * eps`` (in the output's unit);
    - ``proportional``: ``y = f + proportional * f * eps`` (a fraction);
    - ``combined``: ``y = f + sqrt(additive**2 + (proportional * f)**2) * eps`` (NONMEM's
      additive plus proportional, Monolix's ``combined2``).

    ``estimate=False`` keeps the values fixed during a fit.
    """

    kind: ErrorKind
    additive: float = 0.0
    proportional: float = 0.0
    estimate: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ERROR_KINDS:
            raise FitError(f"error model `kind` must be one of {', '.join(ERROR_KINDS)}, got {self.kind!r}")
        for field in self.fields:
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise FitError(f"{self.kind} error model needs `{field}` > 0 (a standard deviation), got {value!r}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The SD fields this kind uses: ``additive``, ``proportional`` or both."""
        if self.kind in ("log_additive", "additive"):
            return ("additive",)
        if self.kind == "proportional":
            return ("proportional",)
        return ("additive", "proportional")

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, f)) for f in self.fields)

    @classmethod
    def from_model(cls, model: Model, output: str, *, estimate: bool = True) -> ErrorModel:
        """The residual error the model declares on ``output`` (``error=..., error_sd=...``)."""
        for observable in model.observables:
            if observable.name == output and observable.error is not None:
                kind = observable.error.kind
                if kind == "proportional":
                    return cls("proportional", proportional=observable.error.sd, estimate=estimate)
                return cls(kind, additive=observable.error.sd, estimate=estimate)
        raise FitError(
            f"model {model.name!r} declares no residual error on {output!r}; pass `error=ErrorModel(...)`, "
            "e.g. ErrorModel('log_additive', additive=0.5)"
        )


def minus_two_log_likelihood(
    kind: str,
    predicted: np.ndarray,
    observed: np.ndarray,
    censored: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    additive: np.ndarray,
    proportional: np.ndarray,
) -> np.ndarray:
    """``-2 log L`` of each row of ``predicted`` (shape ``(vectors, observations)``).

    Quantified observations contribute the normal density on the error model's scale; on the
    log scale the Jacobian ``2 ln y`` is included, so ``-2 log L`` is a density of ``y`` and
    comparable across error models. A censored observation (M3, Beal 2001) contributes
    ``-2 ln P(lower < Y < upper) = -2 ln(Phi(z_upper) - Phi(z_lower))`` on the same scale.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "log_additive":
            location = np.log(np.where(predicted > 0, predicted, np.nan))
            sd = np.broadcast_to(additive[:, None], predicted.shape)
            y = np.log(np.where(censored, 1.0, observed))
            upper_scaled, lower_scaled = np.log(upper), np.log(np.where(lower > 0, lower, 0.0))
            jacobian = 2 * y
        else:
            location = predicted
            sd = _natural_sd(kind, predicted, additive, proportional)
            y = np.where(censored, 0.0, observed)
            upper_scaled, lower_scaled = upper, lower
            jacobian = np.zeros_like(y)
        z = (y - location) / sd
        quantified = z**2 + LOG_2PI + 2 * np.log(sd) + jacobian
        censored_term = -2 * log_interval_probability((lower_scaled - location) / sd, (upper_scaled - location) / sd)
        terms = np.where(censored, censored_term, quantified)
    total = terms.sum(axis=1)
    return np.where(np.isfinite(total), total, math.inf)


def _natural_sd(kind: str, predicted: np.ndarray, additive: np.ndarray, proportional: np.ndarray) -> np.ndarray:
    if kind == "additive":
        return np.broadcast_to(additive[:, None], predicted.shape)
    if kind == "proportional":
        return np.asarray(proportional[:, None] * np.abs(predicted))
    return np.asarray(np.sqrt(additive[:, None] ** 2 + (proportional[:, None] * predicted) ** 2))


def log_interval_probability(z_lower: np.ndarray, z_upper: np.ndarray) -> np.ndarray:
    """``ln(Phi(z_upper) - Phi(z_lower))``, accurate far in the tails (``z_lower`` may be -inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_upper = log_ndtr(z_upper)
        log_lower = log_ndtr(z_lower)
        return np.asarray(log_upper + np.log1p(-np.exp(log_lower - log_upper)))
