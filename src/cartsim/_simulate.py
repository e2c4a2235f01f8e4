"""The front door: :func:`simulate` a model for one or many patients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ._citations import record
from ._version import __version__
from .engine import Dose, SolverSettings, check_times, solve
from .engine._doses import DoseInput, check_doses, per_patient_doses
from .engine._solve import DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_RTOL, METHOD_DESCRIPTIONS, Solution
from .engine._status import status_names
from .errors import SimulationError
from .model import Intermediate, Model, State
from .population import residual_noise, sample_parameters, typical_parameters
from .population._iiv import ParamsInput


def simulate(
    model: Model | str,
    *,
    times: Sequence[float] | np.ndarray,
    params: ParamsInput = None,
    doses: DoseInput = None,
    n_patients: int = 1,
    patient_ids: Sequence[int] | None = None,
    seed: int | None = None,
    residual_error: bool = False,
    rtol: float = DEFAULT_RTOL,
    atol: float | Mapping[str, float] = DEFAULT_ATOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    method: str | None = None,
    hybrid: bool = True,
) -> xr.Dataset:
    """Simulate ``model`` for one or many patients and return a labelled dataset.

    **Main arguments**

    - ``model``: a :class:`~cartsim.model.Model` or the name of a library model.
    - ``times``: output times in days, strictly increasing; integration starts at ``times[0]``.
      Output times never force solver steps (values come from dense output).
    - ``params``: typical values to override, by name: a number for everyone, or one value
      per patient.
    - ``doses``: a :class:`Dose`, a sequence of doses for every patient, or one sequence per
      patient. Amounts are in the target state's unit.
    - ``n_patients`` / ``patient_ids``: how many patients, or exactly which ids (ids make
      chunked runs reproducible: patient 7 is the same patient in every chunking).
    - ``seed``: with a seed, each patient's parameters are drawn from the model's IIV from
      ``SeedSequence(seed, spawn_key=(patient_id,))``; without one, every patient has the
      typical values.

    **Other arguments**

    - ``residual_error``: add ``<observable>_observed`` variables with each observable's
      declared residual error (needs ``seed``).
    - ``method``: ``"explicit"`` (Dormand-Prince 5(4)), ``"stiff"`` (RODAS4, a Rosenbrock
      method with the model's symbolic Jacobian) or ``"auto"`` (explicit, switching per
      patient to the stiff method once stability limits the steps). ``None`` takes the
      model's declared method (``model(..., method="stiff")``), else ``"auto"``.
    - ``rtol``, ``atol``: local error tolerances; ``atol`` may be a mapping from state name
      to tolerance (in the state's unit).
    - ``max_steps``: solver steps allowed per patient before it is flagged ``max_steps``.
    - ``hybrid``: states declared ``stochastic_below`` become birth-death processes of whole
      cells below their level (each patient's events drawn from
      ``SeedSequence(seed or 0, spawn_key=(patient_id, 2))``); ``False`` keeps them
      deterministic.

    **Returns** an :class:`xarray.Dataset` with dims ``(patient, time)``: one variable per
    state and observable (each with a ``units`` attribute), the per-patient parameters as
    coordinates, ``status`` (``ok``, ``max_steps``, ``non_finite``, ``negative_state``,
    ``step_too_small``) with ``status_time``, and provenance attributes. A failed patient keeps
    its values up to the failure, NaN after it, and its status says why.
    """
    request = prepare(model, times, params, doses, n_patients, patient_ids, seed, rtol, atol, max_steps, method, hybrid)
    model = request.model
    if residual_error and seed is None:
        raise SimulationError("`residual_error=True` needs a `seed` for the observation noise")
    if residual_error and not any(o.error is not None for o in model.observables):
        raise SimulationError(f"model {model.name!r} declares no residual error on any observable")
    values = request.typical
    if seed is not None:
        values = sample_parameters(model, values, request.ids, int(seed))
    solution = solve(model, values, request.times, request.schedules, request.settings, ids=request.ids, seed=seed)
    dataset = _dataset(model, request.ids, request.times, values, solution, request.settings, seed)
    if residual_error:
        assert seed is not None
        _add_residual_error(model, dataset, request.ids, int(seed))
    return dataset


@dataclass(frozen=True)
class Request:
    """A validated simulation request: everything is checked before any integration starts."""

    model: Model
    times: np.ndarray
    ids: list[int]
    #: Typical parameter values with the user's overrides, (patients, parameters).
    typical: np.ndarray
    schedules: list[tuple[Dose, ...]]
    settings: SolverSettings
    seed: int | None


def prepare(
    model: Model | str,
    times: Sequence[float] | np.ndarray,
    params: ParamsInput,
    doses: DoseInput,
    n_patients: int,
    patient_ids: Sequence[int] | None,
    seed: int | None,
    rtol: float,
    atol: float | Mapping[str, float],
    max_steps: int,
    method: str | None,
    hybrid: bool = True,
) -> Request:
    """Validate the arguments shared by :func:`simulate` and :func:`simulate_endpoints`."""
    from .models import resolve

    resolved = resolve(model)
    record(resolved)
    time_array = check_times(times)
    ids = _patient_ids(n_patients, patient_ids, params)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise SimulationError(f"`seed` must be a non-negative integer or None, got {seed!r}")
    settings = SolverSettings(rtol=rtol, atol=atol, max_steps=max_steps, method=method or resolved.method, hybrid=hybrid)
    typical = typical_parameters(resolved, params, len(ids))
    schedules = per_patient_doses(doses, len(ids))
    check_doses(resolved, schedules, float(time_array[0]), float(time_array[-1]))
    settings.atol_vector(resolved)  # unknown state names in an atol mapping fail here
    return Request(resolved, time_array, ids, typical, schedules, settings, None if seed is None else int(seed))


def _patient_ids(n_patients: int, patient_ids: Sequence[int] | None, params: ParamsInput) -> list[int]:
    if patient_ids is not None:
        ids = [int(i) for i in patient_ids]
        if not ids or min(ids) < 0 or len(set(ids)) != len(ids):
            raise SimulationError("`patient_ids` must be distinct non-negative integers, at least one")
        if n_patients not in (1, len(ids)):
            raise SimulationError(f"`n_patients` ({n_patients}) disagrees with {len(ids)} `patient_ids`")
        return ids
    if isinstance(n_patients, bool) or not isinstance(n_patients, int | np.integer) or n_patients < 1:
        raise SimulationError(f"`n_patients` must be an integer >= 1, got {n_patients!r}")
    lengths = {np.size(v) for v in (params or {}).values() if np.ndim(v) > 0}
    if n_patients == 1 and len(lengths) == 1:
        n_patients = lengths.pop()  # one value per patient given: that many patients
    return list(range(int(n_patients)))


def _dataset(
    model: Model,
    ids: list[int],
    times: np.ndarray,
    values: np.ndarray,
    solution: Solution,
    settings: SolverSettings,
    seed: int | None,
) -> xr.Dataset:
    variables: dict[str, xr.Variable] = {}
    described: list[State | Intermediate] = [*model.states, *model.observables]
    for index, symbol in enumerate(described):
        labels = {"units": symbol.unit, "long_name": symbol.description or symbol.name}
        variables[symbol.name] = xr.Variable(("patient", "time"), solution.values[index], labels)
    names = status_names(solution.status)
    variables["status"] = xr.Variable("patient", names.astype(str), {"long_name": "integration status"})
    variables["status_time"] = xr.Variable(
        "patient", solution.status_time, {"units": "day", "long_name": "time the status was reached (NaN when ok)"}
    )
    variables["solver_steps"] = xr.Variable("patient", solution.steps, {"long_name": "solver steps taken"})
    variables["stiff_from"] = xr.Variable(
        "patient", solution.stiff_from, {"units": "day", "long_name": "time the stiff method took over (NaN: never)"}
    )
    coords: dict[str, xr.Variable] = {
        "patient": xr.Variable("patient", np.array(ids, dtype=np.int64), {"long_name": "patient id"}),
        "time": xr.Variable("time", times, {"units": "day", "long_name": "time since infusion"}),
    }
    for column, parameter in enumerate(model.parameters):
        coords[parameter.name] = xr.Variable(
            "patient", values[:, column], {"units": parameter.unit, "long_name": parameter.description or parameter.name}
        )
    atol = settings.atol if isinstance(settings.atol, float | int) else str(dict(settings.atol))
    attrs: dict[str, str | float | int] = {
        "cartsim_version": __version__,
        "model": model.name,
        "model_citation": model.citation or "none",
        "states": ",".join(model.state_names),
        "observables": ",".join(model.observable_names),
        "solver": METHOD_DESCRIPTIONS[settings.method],
        "rtol": float(settings.rtol),
        "atol": atol,
        "max_steps": settings.max_steps,
        "stochastic_mode": _stochastic_mode(model, settings),
        "seed": "none" if seed is None else int(seed),
        "parameters": "typical values" if seed is None else "IIV draws: SeedSequence(seed, spawn_key=(patient,))",
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _stochastic_mode(model: Model, settings: SolverSettings) -> str:
    stochastic = [s.name for s in model.states if s.stochastic_below is not None]
    if not stochastic:
        return "none"
    if not settings.hybrid:
        return f"off ({', '.join(stochastic)} deterministic)"
    return f"{', '.join(stochastic)}: birth-death below their level, events from SeedSequence(seed, spawn_key=(patient, 2))"


def _add_residual_error(model: Model, dataset: xr.Dataset, ids: list[int], seed: int) -> None:
    observables = [o for o in model.observables if o.error is not None]
    noise = residual_noise(seed, ids, (len(observables), dataset.sizes["time"]))
    for index, observable in enumerate(observables):
        assert observable.error is not None
        predicted = dataset[observable.name].values
        eps = observable.error.sd * noise[:, index, :]
        if observable.error.kind == "log_additive":
            with np.errstate(divide="ignore", invalid="ignore"):
                observed = np.where(predicted > 0, predicted * np.exp(eps), np.nan)
        elif observable.error.kind == "proportional":
            observed = predicted * (1 + eps)
        else:
            observed = predicted + eps
        dataset[f"{observable.name}_observed"] = xr.Variable(
            ("patient", "time"),
            observed,
            {"units": observable.unit, "long_name": f"{observable.name} with {observable.error.kind} residual error"},
        )


__all__ = ["Dose", "simulate"]
