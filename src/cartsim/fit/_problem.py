"""One subject's estimation problem: free parameters on the log scale, bounds, prior, objective."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cartsim.errors import FitError, did_you_mean
from cartsim.model import Model

from .data import FitData, Subject
from .likelihood import ErrorModel, minus_two_log_likelihood

Bounds = Mapping[str, tuple[float, float]]
ErrorInput = ErrorModel | Mapping[str, ErrorModel] | None
METHODS = ("ml", "map")


@dataclass(frozen=True)
class FreeParameter:
    """An estimated parameter: natural-scale initial value and bounds; a log-normal prior for MAP."""

    name: str
    initial: float
    lower: float
    upper: float
    #: MAP prior on ln(value): N(ln(prior_center), prior_sd**2); None: flat (ML, or no IIV).
    prior_sd: float | None = None
    prior_center: float = 1.0


@dataclass(frozen=True)
class SubjectProblem:
    """Everything needed to evaluate one subject's objective for many log-parameter vectors."""

    subject: Subject
    base_row: np.ndarray
    free: tuple[FreeParameter, ...]
    #: Model parameter column of each of the first ``n_model`` free parameters.
    model_columns: tuple[int, ...]
    error_models: tuple[ErrorModel, ...]
    #: For each output: (theta index or -1, fixed value) of its additive and proportional SDs.
    error_slots: tuple[tuple[tuple[int, float], tuple[int, float]], ...]
    time_index: np.ndarray

    @property
    def n_model(self) -> int:
        return len(self.model_columns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.free)

    def model_rows(self, thetas: np.ndarray) -> np.ndarray:
        """Full model parameter rows ``(m, n_parameters)`` for log-parameter vectors ``(m, k)``."""
        rows = np.repeat(self.base_row[None, :], len(thetas), axis=0)
        rows[:, list(self.model_columns)] = np.exp(thetas[:, : self.n_model])
        return rows

    def evaluate(self, thetas: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(objective, -2LL) of each vector; ``outputs`` is ``(m, n_outputs, n_grid_times)``.

        The objective is ``-2LL`` plus, for MAP, ``sum(((ln value - ln typical) / omega)**2)``.
        """
        subject = self.subject
        total = np.zeros(len(thetas))
        for output, error in enumerate(self.error_models):
            mine = subject.outputs == output
            if not mine.any():
                continue
            predicted = outputs[:, output, self.time_index[mine]]
            (add_index, add_value), (prop_index, prop_value) = self.error_slots[output]
            additive = np.exp(thetas[:, add_index]) if add_index >= 0 else np.full(len(thetas), add_value)
            proportional = np.exp(thetas[:, prop_index]) if prop_index >= 0 else np.full(len(thetas), prop_value)
            total += minus_two_log_likelihood(
                error.kind,
                predicted,
                subject.values[mine],
                subject.censored[mine],
                subject.lower[mine],
                subject.upper[mine],
                additive,
                proportional,
            )
        penalty = np.zeros(len(thetas))
        for index, parameter in enumerate(self.free):
            if parameter.prior_sd is not None:
                penalty += ((thetas[:, index] - math.log(parameter.prior_center)) / parameter.prior_sd) ** 2
        return total + penalty, total

    def log_bounds(self, margin: float, search_factor: float) -> list[tuple[float, float]]:
        """Optimiser bounds on the log scale, moved inwards by ``margin`` (the difference step).

        A side without a declared bound is searched up to ``search_factor`` times (or
        1/``search_factor`` of) the initial value.
        """
        bounds: list[tuple[float, float]] = []
        for p in self.free:
            reach = math.log(search_factor)
            low = math.log(p.lower) if p.lower > 0 else math.log(p.initial) - reach
            high = math.log(p.upper) if math.isfinite(p.upper) else math.log(p.initial) + reach
            bounds.append((low + margin, high - margin))
        return bounds


def build_problems(
    model: Model,
    data: FitData,
    subjects: Sequence[Subject],
    grid: np.ndarray,
    *,
    estimate: Sequence[str],
    error: ErrorInput,
    method: str,
    initial: Mapping[str, float] | None,
    bounds: Bounds | None,
    fixed: Mapping[str, float] | None,
) -> list[SubjectProblem]:
    """One problem per subject; the request is validated once, before any simulation."""
    if data.model != model.name:
        raise FitError(f"the data were read for model {data.model!r}, not {model.name!r}")
    if method not in METHODS:
        raise FitError(f"`method` must be 'ml' (maximum likelihood) or 'map' (with the IIV priors), got {method!r}")
    errors = _error_models(model, data, error)
    base = model.defaults.copy()
    for name, value in (fixed or {}).items():
        parameter = model.parameter(name)
        _check_in_bounds(parameter.name, float(value), parameter.lower, parameter.upper, parameter.unit, "fixed value")
        base[model.parameter_names.index(name)] = float(value)
    free = [_model_free(model, name, base, method, initial, bounds) for name in _unique(estimate)]
    columns = tuple(model.parameter_names.index(p.name) for p in free)
    slots = []
    for output, error_model in zip(data.outputs, errors, strict=True):
        output_slots = []
        for field in ("additive", "proportional"):
            value = float(getattr(error_model, field))
            if error_model.estimate and field in error_model.fields:
                name = f"{output}.error_{field}"
                start = float((initial or {}).get(name, value))
                if not (math.isfinite(start) and start > 0):
                    raise FitError(f"`initial` of {name!r} must be a positive SD, got {start!r}")
                free.append(FreeParameter(name, start, 0.0, math.inf))
                output_slots.append((len(free) - 1, value))
            else:
                output_slots.append((-1, value))
        slots.append((output_slots[0], output_slots[1]))
    if not free:
        raise FitError("nothing to estimate: name model parameters in `estimate=` or let the error model be estimated")
    for name in initial or {}:
        if name not in {p.name for p in free}:
            raise FitError(f"`initial` names {name!r}, which is not estimated.{did_you_mean(name, [p.name for p in free])}")
    problems = []
    for subject in subjects:
        _check_subject(subject, data, errors)
        problems.append(
            SubjectProblem(subject, base, tuple(free), columns, errors, tuple(slots), np.searchsorted(grid, subject.times))
        )
    return problems


def _unique(names: Sequence[str]) -> list[str]:
    if isinstance(names, str):
        names = [names]
    return list(dict.fromkeys(names))


def _error_models(model: Model, data: FitData, error: ErrorInput) -> tuple[ErrorModel, ...]:
    if isinstance(error, ErrorModel):
        return tuple(error for _ in data.outputs)
    mapping = dict(error or {})
    for name in mapping:
        if name not in data.outputs:
            raise FitError(f"`error` names output {name!r}, which the data do not observe.{did_you_mean(name, data.outputs)}")
    return tuple(mapping.get(o) or ErrorModel.from_model(model, o) for o in data.outputs)


def _model_free(
    model: Model, name: str, base: np.ndarray, method: str, initial: Mapping[str, float] | None, bounds: Bounds | None
) -> FreeParameter:
    parameter = model.parameter(name)
    lower, upper = max(parameter.lower, 0.0), parameter.upper
    if bounds and name in bounds:
        user_lower, user_upper = (float(v) for v in bounds[name])
        if not user_lower < user_upper:
            given = f"({user_lower:g}, {user_upper:g}) {parameter.unit}"
            raise FitError(f"bounds of `{name}` must satisfy lower < upper, got {given}")
        lower, upper = max(lower, user_lower), min(upper, user_upper)
    value = float((initial or {}).get(name, base[model.parameter_names.index(name)]))
    if value <= 0:
        given = f"{value:g} {parameter.unit}"
        raise FitError(f"parameter `{name}` is estimated on the log scale; its initial value {given} must be > 0")
    _check_in_bounds(name, value, lower, upper, parameter.unit, "initial value")
    prior = parameter.iiv.sd if method == "map" and parameter.iiv is not None and parameter.iiv.variance > 0 else None
    return FreeParameter(name, value, lower, upper, prior, float(parameter.default))


def _check_in_bounds(name: str, value: float, lower: float, upper: float, unit: str, what: str) -> None:
    if not (math.isfinite(value) and lower <= value <= upper):
        raise FitError(f"parameter `{name}` {what} {value!r} {unit} is outside its allowed range [{lower:g}, {upper:g}] {unit}")


def _check_subject(subject: Subject, data: FitData, errors: tuple[ErrorModel, ...]) -> None:
    from cartsim.errors import FitDataError

    if subject.n_observations == 0:
        raise FitDataError(f"subject {subject.id!r} has no observations to fit")
    for output, error in enumerate(errors):
        if error.kind != "log_additive":
            continue
        bad = (subject.outputs == output) & ~subject.censored & ~(subject.values > 0)
        if bad.any():
            index = int(np.argmax(bad))
            raise FitDataError(
                f"{subject.values[index]:g} must be > 0 for the log-additive error model of {data.outputs[output]!r}; "
                "mark values below the LLOQ as censored (BLQ=1)",
                row=int(subject.rows[index]),
                column="DV",
            )
