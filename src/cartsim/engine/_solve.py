"""Solve a batch of patients with a model's compiled kernel: arrays in, arrays out."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from cartsim.errors import SimulationError
from cartsim.model import Model
from cartsim.model._codegen import LANES

from ._codes import AUTO, EXPLICIT, NOT_RUN, STIFF
from ._doses import Dose, check_doses, pack_doses
from ._kernel import load_kernel
from ._streams import EVENT_STREAM, patient_streams

DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9
DEFAULT_MAX_STEPS = 100_000
#: Integration methods by name, with the kernel's code for each (see ``_driver.py``).
METHODS: dict[str, int] = {"explicit": EXPLICIT, "stiff": STIFF, "auto": AUTO}
METHOD_DESCRIPTIONS: dict[str, str] = {
    "explicit": "dopri5 (Dormand-Prince 5(4), dense output)",
    "stiff": "rodas4 (Rosenbrock 4(3), L-stable, symbolic Jacobian, dense output)",
    "auto": "auto: dopri5, switching per patient to rodas4 when stiffness is detected",
}
#: A non-negative state below this many absolute tolerances is flagged ``negative_state``.
NEGATIVE_STATE_FACTOR = 10.0


@dataclass(frozen=True)
class SolverSettings:
    """The integration method, its tolerances and limits.

    ``method``: ``"explicit"`` (Dormand-Prince 5(4)), ``"stiff"`` (RODAS4 with the model's
    symbolic Jacobian) or ``"auto"`` (explicit, switching per patient to the stiff method once
    the steps are limited by stability).
    """

    rtol: float = DEFAULT_RTOL
    atol: float | Mapping[str, float] = DEFAULT_ATOL
    max_steps: int = DEFAULT_MAX_STEPS
    method: str = "auto"
    #: Simulate states declared ``stochastic_below`` as birth-death processes below their
    #: level; False integrates them as plain ODEs (a deterministic reference run).
    hybrid: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.hybrid, bool):
            raise SimulationError(f"`hybrid` must be True or False, got {self.hybrid!r}")
        if self.method not in METHODS:
            raise SimulationError(f"`method` must be one of {', '.join(repr(m) for m in METHODS)}, got {self.method!r}")
        if isinstance(self.rtol, bool) or not isinstance(self.rtol, int | float) or not 1e-14 <= self.rtol < 1:
            raise SimulationError(f"`rtol` must be a number in [1e-14, 1), got {self.rtol!r}")
        values = self.atol.values() if isinstance(self.atol, Mapping) else [self.atol]
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float) or not (0 < value < math.inf):
                raise SimulationError(f"`atol` must be a finite number > 0 (in each state's unit), got {value!r}")
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise SimulationError(f"`max_steps` must be an integer >= 1, got {self.max_steps!r}")

    def atol_vector(self, model: Model) -> np.ndarray:
        """Absolute tolerance per state (a mapping may set some states, the rest get the default)."""
        if not isinstance(self.atol, Mapping):
            return np.full(len(model.states), float(self.atol))
        for name in self.atol:
            model.state(name)  # unknown names are an error with a suggestion
        return np.array([float(self.atol.get(s.name, DEFAULT_ATOL)) for s in model.states])


@dataclass(frozen=True)
class Solution:
    """Raw solver output: ``values[variable, patient, time]`` (states then observables)."""

    values: np.ndarray
    status: np.ndarray
    status_time: np.ndarray
    steps: np.ndarray
    #: Time from which the stiff method integrated each patient (NaN: explicit throughout).
    stiff_from: np.ndarray


def check_times(times: Sequence[float] | np.ndarray) -> np.ndarray:
    """Output times as a float array: 1-D, finite, strictly increasing."""
    try:
        array = np.asarray(times, dtype=float)
    except (TypeError, ValueError):
        raise SimulationError("`times` must be a sequence of numbers (days)") from None
    if array.ndim != 1 or array.size == 0:
        raise SimulationError(f"`times` must be a non-empty 1-D sequence of days, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise SimulationError("`times` must be finite (no NaN or infinity)")
    if array.size > 1 and not np.all(np.diff(array) > 0):
        raise SimulationError("`times` must be strictly increasing")
    return array


def event_streams(model: Model, ids: Sequence[int], seed: int | None) -> np.ndarray:
    """Per-patient xoshiro256** states (patients, 4) for the stochastic mode.

    Patient ``i`` uses ``SeedSequence(seed, spawn_key=(i, 2))`` (children 0 and 1 are its
    parameter and observation-noise streams); without a seed, seed 0. Models without
    stochastic states get an all-zero array that the kernel never reads.
    """
    if not any(s.stochastic_below is not None for s in model.states):
        return np.zeros((len(ids), 4), dtype=np.uint64)
    return patient_streams(0 if seed is None else int(seed), ids, EVENT_STREAM)


#: Most patients one group of lock-step lanes takes in turn (:mod:`cartsim.engine._lanes`).
LANE_GROUP = 512
#: Smaller batches run one patient at a time: lanes would save them little, and their code
#: (about as much to compile as the rest of the kernel) is then never compiled.
LANE_MINIMUM = 64


def lane_group_size(n_patients: int) -> int:
    """Patients per lane group (0: no lanes): up to :data:`LANE_GROUP`, fewer for a small
    batch so that every thread gets a few groups (the lanes of a group share one thread).
    Results do not depend on it."""
    if n_patients < LANE_MINIMUM:
        return 0
    threads = numba.get_num_threads()
    return int(min(LANE_GROUP, max(LANES, -(-n_patients // (4 * threads)))))


def solve(
    model: Model,
    params: np.ndarray,
    times: np.ndarray,
    schedules: Sequence[tuple[Dose, ...]],
    settings: SolverSettings,
    *,
    ids: Sequence[int] | None = None,
    seed: int | None = None,
    out: np.ndarray | None = None,
    lanes: bool = True,
) -> Solution:
    """Integrate every row of ``params`` (one patient each) over ``times`` with its doses.

    ``ids`` (default ``0..n-1``) and ``seed`` select each patient's random stream for states
    in the stochastic mode (``stochastic_below``); deterministic models ignore them.
    ``out``: an optional C-contiguous float64 buffer ``(patients, variables, times)`` for the
    trajectories, every element of which is overwritten. Callers that solve chunk after chunk
    pass the same buffer: fresh memory costs a page fault per 4 KiB inside the parallel
    kernel, about a tenth of the integration itself. ``lanes=False`` integrates one patient
    at a time throughout (:mod:`cartsim.engine._lanes`; the results are the same bits).
    """
    n_patients = params.shape[0]
    if params.shape != (n_patients, len(model.parameters)):
        raise SimulationError(f"`params` must have shape (patients, {len(model.parameters)}), got {params.shape}")
    if len(schedules) != n_patients:
        raise SimulationError(f"got {len(schedules)} dose schedules for {n_patients} patients")
    check_doses(model, schedules, float(times[0]), float(times[-1]))
    atol = settings.atol_vector(model)
    floor = np.array([-NEGATIVE_STATE_FACTOR * a if s.nonnegative else -np.inf for s, a in zip(model.states, atol, strict=True)])
    extinction = np.array([s.extinction or 0.0 for s in model.states])
    level = np.array([(s.stochastic_below or 0.0) if settings.hybrid else 0.0 for s in model.states])
    cell = np.array([s.cell_amount for s in model.states])
    patient_ids = list(range(n_patients)) if ids is None else list(ids)
    if len(patient_ids) != n_patients:
        raise SimulationError(f"got {len(patient_ids)} patient ids for {n_patients} patients")
    rows = np.ascontiguousarray(params, dtype=float)
    stochastic = any(s.stochastic_below is not None for s in model.states)
    if stochastic:
        # The hidden per-state mode flags after the parameters (1: deterministic), which the
        # generated kernel reads whether or not the hybrid mode is on.
        rows = np.ascontiguousarray(np.hstack([rows, np.ones((n_patients, len(model.states)))]))
    n_vars = len(model.states) + len(model.observables)
    # (patient, variable, time): each patient's outputs are contiguous for the thread that
    # writes them; Solution.values is the (variable, patient, time) view of it.
    shape = (n_patients, n_vars, times.size)
    if out is None:
        values = np.empty(shape)
    elif out.shape != shape or out.dtype != np.float64 or not out.flags.c_contiguous or not out.flags.writeable:
        raise SimulationError(
            f"`out` must be a writeable C-contiguous float64 array of shape {shape}, got {out.dtype} {out.shape}"
        )
    else:
        values = out
    # Every patient's status is written by the kernel; NOT_RUN left over means it was not.
    status = np.full(n_patients, NOT_RUN, dtype=np.int64)
    status_time = np.full(n_patients, np.nan)
    steps = np.zeros(n_patients, dtype=np.int64)
    stiff_from = np.full(n_patients, np.nan)
    kernel = load_kernel(model)
    inputs = (
        rows,
        times,
        *pack_doses(model, schedules),
        float(settings.rtol),
        atol,
        settings.max_steps,
        floor,
        extinction,
        level,
        cell,
        event_streams(model, patient_ids, seed),
        METHODS[settings.method],
    )
    results = (values, status, status_time, steps, stiff_from)
    group = lane_group_size(n_patients) if lanes else 0
    if group > 0 and not stochastic and settings.method != "stiff":
        kernel.solve_batch_lanes(*inputs, group, *results)
    else:
        kernel.solve_batch(*inputs, *results)
    if (status == NOT_RUN).any():
        missing = np.flatnonzero(status == NOT_RUN)
        raise SimulationError(f"the kernel of model {model.name!r} did not finish {missing.size} patient(s), first {missing[0]}")
    return Solution(values=values.transpose(1, 0, 2), status=status, status_time=status_time, steps=steps, stiff_from=stiff_from)
