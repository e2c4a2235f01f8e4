"""Profile likelihoods: identifiability of one model parameter of an individual fit."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from cartsim.errors import FitError
from cartsim.model import Model

from ._batch import BatchSimulator, run_lock_step
from ._problem import Bounds, ErrorInput, build_problems
from .data import FitData, SubjectId
from .individual import FitOptions, IndividualFit, fit_individual, optimise_task, start_points, time_grid

#: The 95 % likelihood-ratio threshold: chi-square with one degree of freedom.
LR_THRESHOLD_95 = float(chi2.ppf(0.95, 1))


@dataclass(frozen=True)
class Profile:
    """The profile of ``parameter``: the objective minimised over the others at each value.

    ``delta`` is ``objective - min(objective)``; ``interval`` is the 95 % likelihood-ratio
    interval ``{value: delta <= 3.84}`` (linear interpolation between grid points; an end is
    ``nan`` when the profile does not reach the threshold inside the grid on that side: the
    parameter is not identifiable there, or the grid is too narrow).
    """

    parameter: str
    values: np.ndarray
    objective: np.ndarray
    delta: np.ndarray
    converged: np.ndarray
    estimate: float
    interval: tuple[float, float]

    @property
    def identifiable(self) -> bool:
        """Both ends of the 95 % interval lie inside the grid."""
        return all(math.isfinite(v) for v in self.interval)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"value": self.values, "objective": self.objective, "delta": self.delta, "converged": self.converged})


def profile_likelihood(
    model: Model | str,
    data: FitData,
    parameter: str,
    *,
    estimate: Sequence[str],
    subject: SubjectId | None = None,
    fit: IndividualFit | None = None,
    values: Sequence[float] | np.ndarray | None = None,
    n_points: int = 15,
    span: float = 4.0,
    error: ErrorInput = None,
    method: str = "ml",
    bounds: Bounds | None = None,
    fixed: Mapping[str, float] | None = None,
    options: FitOptions | None = None,
) -> Profile:
    """Profile ``parameter`` (one of ``estimate``) for one subject, re-fitting the others.

    The grid is ``values`` (natural scale) or ``n_points`` values spread ``span`` standard
    errors either side of the estimate on the log scale (half a log unit when the SE is not
    finite). Every grid point is optimised in lock step, all in one simulation per step,
    starting from ``fit`` (fitted here when not given).
    """
    from cartsim.models import resolve

    resolved = resolve(model)
    options = options or FitOptions()
    if parameter not in estimate:
        raise FitError(f"profiled parameter {parameter!r} must be one of `estimate`: {', '.join(estimate)}")
    arguments = {"estimate": estimate, "error": error, "method": method, "bounds": bounds, "fixed": fixed}
    if fit is None:
        fit = fit_individual(resolved, data, subject, options=options, **arguments)
    chosen = data.subject(fit.subject)
    grid_values = _grid(fit, parameter, values, n_points, span)
    others = [name for name in estimate if name != parameter]
    initial = {name: fit[name] for name in fit.parameters if name != parameter}
    grid = time_grid([chosen])
    tasks = []
    for value in grid_values:
        problems = build_problems(
            resolved,
            data,
            [chosen],
            grid,
            estimate=others,
            error=error,
            method=method,
            initial=initial,
            bounds=bounds,
            fixed={**(fixed or {}), parameter: float(value)},
        )
        if len(problems[0].free) == 0:
            raise FitError("nothing left to re-fit in the profile")
        tasks.append(optimise_task(problems[0], start_points(problems[0], options, 0)[0], options))
    results, _ = run_lock_step(tasks, BatchSimulator(resolved, grid, data.outputs, options.simulation))
    objective = np.array([getattr(r, "objective", math.nan) for r in results])
    minimum = min(float(np.nanmin(objective)), fit.objective)
    delta = objective - minimum
    converged = np.array([bool(getattr(r, "converged", False)) for r in results])
    interval = _interval(grid_values, delta, fit[parameter])
    return Profile(
        parameter, _frozen(grid_values), _frozen(objective), _frozen(delta), _frozen(converged), fit[parameter], interval
    )


def _grid(
    fit: IndividualFit, parameter: str, values: Sequence[float] | np.ndarray | None, n_points: int, span: float
) -> np.ndarray:
    if values is not None:
        grid = np.sort(np.asarray(values, dtype=float))
        if grid.size < 3 or not np.all(grid > 0):
            raise FitError("profile `values` must be at least 3 positive numbers")
        return grid
    index = fit.parameters.index(parameter)
    log_se = fit.rse_percent[index] / 100
    width = span * log_se if math.isfinite(log_se) and log_se > 0 else 0.5
    return np.asarray(fit.estimates[index] * np.exp(np.linspace(-width, width, n_points)))


def _interval(values: np.ndarray, delta: np.ndarray, estimate: float) -> tuple[float, float]:
    """Where ``delta`` crosses the 95 % threshold on each side of the estimate (log-linear)."""
    logs = np.log(values)
    centre = math.log(estimate)
    ends = []
    for side in (-1, 1):
        order = np.flatnonzero(side * (logs - centre) >= 0)
        order = order[np.argsort(np.abs(logs[order] - centre))]
        found = math.nan
        previous_log, previous_delta = centre, 0.0
        for i in order:
            if math.isfinite(delta[i]) and delta[i] >= LR_THRESHOLD_95:
                fraction = (LR_THRESHOLD_95 - previous_delta) / (delta[i] - previous_delta)
                found = math.exp(previous_log + fraction * (logs[i] - previous_log))
                break
            if math.isfinite(delta[i]):
                previous_log, previous_delta = logs[i], max(float(delta[i]), 0.0)
        ends.append(found)
    return ends[0], ends[1]


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array)
    array.flags.writeable = False
    return array
