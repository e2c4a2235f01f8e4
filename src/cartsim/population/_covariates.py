"""Virtual-patient covariates: distributions with bounds, correlations, per-patient seeding.

Each covariate has a marginal distribution (normal, log-normal, or categorical) and, for the
continuous ones, bounds. Correlations are given between the covariates' normal scores (a
Gaussian copula, as an omega block is given between etas). Patient ``i`` draws its scores
from child 3 of ``SeedSequence(seed, spawn_key=(i,))`` (children 0-2 are its parameter,
noise and event streams), so a patient's covariates depend on the seed and its id only,
whatever the batch or chunking.

Bounds hold by construction, without redraws: a correlated normal score z becomes the
uniform u = Phi(z), which is mapped into the part of the marginal's CDF between its bounds,
F(lower) + u (F(upper) - F(lower)), and back through F^-1 (a truncated marginal by inversion).
A categorical covariate takes the level whose cumulative probability interval holds u.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cartsim.engine._streams import patient_ids_array, seed_words, standard_normals
from cartsim.errors import ParameterError

#: The child of a patient's SeedSequence that draws its covariates.
COVARIATE_STREAM = 3

Kind = Literal["normal", "lognormal", "categorical"]


@dataclass(frozen=True)
class Covariate:
    """One covariate of a virtual population.

    ``normal``: ``mean`` and ``sd`` in the covariate's unit. ``lognormal``: ``mean`` is the
    median and ``sd`` the SD of the natural log. ``categorical``: ``levels`` with
    ``probabilities`` (summing to 1). ``lower``/``upper`` bound the continuous ones.
    """

    name: str
    kind: Kind
    unit: str
    mean: float = math.nan
    sd: float = math.nan
    lower: float = -math.inf
    upper: float = math.inf
    levels: tuple[str, ...] = ()
    probabilities: tuple[float, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        where = f"covariate `{self.name}`"
        if self.kind == "categorical":
            if len(self.levels) < 2 or len(self.levels) != len(self.probabilities):
                raise ParameterError(f"{where}: give two or more levels and one probability per level")
            if any(not math.isfinite(p) or p < 0 for p in self.probabilities) or abs(math.fsum(self.probabilities) - 1) > 1e-9:
                raise ParameterError(f"{where}: probabilities {list(self.probabilities)} must be >= 0 and add up to 1")
            return
        if self.kind not in ("normal", "lognormal"):
            raise ParameterError(f"{where}: kind {self.kind!r} is not one of 'normal', 'lognormal', 'categorical'")
        if not math.isfinite(self.mean) or not math.isfinite(self.sd) or self.sd <= 0:
            raise ParameterError(f"{where}: mean = {self.mean!r} and sd = {self.sd!r} ({self.unit}) must be finite, sd > 0")
        if self.kind == "lognormal" and self.lower == -math.inf:
            object.__setattr__(self, "lower", 0.0)  # a log-normal quantity is positive
        if self.kind == "lognormal" and (self.mean <= 0 or self.lower < 0):
            raise ParameterError(f"{where}: a log-normal covariate needs a median > 0 and bounds >= 0 ({self.unit})")
        if not self.lower < self.upper or not (self.lower <= self.mean <= self.upper):
            raise ParameterError(
                f"{where}: bounds [{self.lower:g}, {self.upper:g}] {self.unit} must be increasing and hold the mean {self.mean:g}"
            )

    def log_scale(self) -> tuple[float, float, float, float]:
        """(location, scale, lower, upper) of the underlying normal (log scale for log-normal)."""
        if self.kind == "lognormal":
            lower = math.log(self.lower) if self.lower > 0 else -math.inf
            return math.log(self.mean), self.sd, lower, math.log(self.upper) if math.isfinite(self.upper) else math.inf
        return self.mean, self.sd, self.lower, self.upper

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        """Values of the bounded marginal at probabilities ``u`` in (0, 1)."""
        if self.kind == "categorical":
            edges = np.cumsum(self.probabilities)[:-1]
            return np.asarray(self.levels, dtype=object)[np.searchsorted(edges, u, side="right")]
        location, scale, lower, upper = self.log_scale()
        low, high = stats.norm.cdf([(lower - location) / scale, (upper - location) / scale])
        values = location + scale * stats.norm.ppf(low + u * (high - low))
        values = np.clip(values, lower, upper)  # inversion rounding at the bounds
        result: np.ndarray = np.exp(values) if self.kind == "lognormal" else values
        return result


@dataclass(frozen=True)
class Population:
    """Covariates and the correlations of their normal scores (identity when not given)."""

    covariates: tuple[Covariate, ...]
    correlations: dict[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [c.name for c in self.covariates]
        if len(set(names)) != len(names):
            raise ParameterError(f"covariate names must be unique, got {names}")
        for (a, b), value in self.correlations.items():
            for name in (a, b):
                if name not in names:
                    raise ParameterError(f"correlation ({a!r}, {b!r}): no covariate {name!r}; covariates: {', '.join(names)}")
            if a == b or not -1 < value < 1:
                raise ParameterError(f"correlation ({a!r}, {b!r}) = {value!r} must be in (-1, 1) between two covariates")
        try:
            np.linalg.cholesky(self.correlation_matrix())
        except np.linalg.LinAlgError:
            raise ParameterError("the correlations do not form a positive-definite matrix") from None

    def correlation_matrix(self) -> np.ndarray:
        names = [c.name for c in self.covariates]
        matrix = np.eye(len(names))
        for (a, b), value in self.correlations.items():
            i, j = names.index(a), names.index(b)
            matrix[i, j] = matrix[j, i] = value
        return matrix

    def sample(self, n_patients: int | None = None, *, seed: int, patient_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """One row per patient (index ``patient_id``), one column per covariate; units in ``attrs``."""
        if patient_ids is None:
            if isinstance(n_patients, bool) or not isinstance(n_patients, int) or n_patients < 1:
                raise ParameterError(f"n_patients must be an integer >= 1, got {n_patients!r}")
            patient_ids = range(n_patients)
        ids = patient_ids_array(list(patient_ids))
        scores = np.asarray(standard_normals(seed_words(seed), ids, COVARIATE_STREAM, len(self.covariates)))
        correlated = scores @ np.linalg.cholesky(self.correlation_matrix()).T
        uniform = stats.norm.cdf(correlated)
        frame = pd.DataFrame({c.name: c.from_uniform(uniform[:, k]) for k, c in enumerate(self.covariates)},
                             index=pd.Index(ids, name="patient_id"))
        frame.attrs["units"] = {c.name: c.unit for c in self.covariates}
        frame.attrs["sources"] = {c.name: c.source for c in self.covariates}
        frame.attrs["seed"] = seed
        return frame
