"""Per-patient endpoints of very large populations, streamed in chunks.

:func:`simulate_endpoints` never holds the trajectories of more than one chunk of patients:
it integrates a chunk, reduces it to each patient's peak, time of peak and AUC of every state
and observable, and moves on, so memory stays flat as the number of patients grows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._simulate import prepare
from ._version import __version__
from .engine import solve
from .engine._doses import DoseInput
from .engine._reduce import reduce_endpoints
from .engine._solve import DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_RTOL, METHOD_DESCRIPTIONS
from .engine._status import status_names
from .errors import SimulationError
from .model import Model
from .population import sample_parameters
from .population._iiv import ParamsInput

#: Patients integrated at once: about 70 MB of trajectories for a 6-state model with daily
#: output over a year, enough work per chunk to keep every core busy.
DEFAULT_CHUNK_SIZE = 4096

ProgressCallback = Callable[[int, int], None]


def simulate_endpoints(
    model: Model | str,
    *,
    times: Sequence[float] | np.ndarray,
    params: ParamsInput = None,
    doses: DoseInput = None,
    n_patients: int = 1,
    patient_ids: Sequence[int] | None = None,
    seed: int | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float | Mapping[str, float] = DEFAULT_ATOL,
    max_steps: int = DEFAULT_MAX_STEPS,
    method: str | None = None,
    hybrid: bool = True,
    auc_window: tuple[float, float] = (0.0, 28.0),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Simulate many patients and keep only their endpoints: one row per patient.

    Takes the arguments of :func:`cartsim.simulate` (validated the same way, before any
    work starts), plus:

    - ``auc_window``: ``(start, end)`` in days of the AUC (linear-up/log-down); both ends must
      be output times.
    - ``chunk_size``: patients integrated at once (results do not depend on it).
    - ``progress``: called as ``progress(patients_done, patients_total)`` after each chunk.

    **Returns** a DataFrame indexed by patient id with, for every state and observable,
    ``<name>_peak``, ``<name>_time_of_peak`` (read off the output grid) and
    ``<name>_auc_<start>_<end>``, plus ``status``, ``status_time``, ``solver_steps`` and
    ``stiff_from``. ``DataFrame.attrs`` holds the units of every column and the provenance.
    """
    request = prepare(model, times, params, doses, n_patients, patient_ids, seed, rtol, atol, max_steps, method, hybrid)
    resolved = request.model
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise SimulationError(f"`chunk_size` must be an integer >= 1 (patients), got {chunk_size!r}")
    start, end, first_index, last_index = _auc_window(auc_window, request.times)
    names = [*resolved.state_names, *resolved.observable_names]
    units = [s.unit for s in resolved.states] + [o.unit for o in resolved.observables]
    total = len(request.ids)
    peak = np.full((len(names), total), np.nan)
    peak_time = np.full((len(names), total), np.nan)
    auc = np.full((len(names), total), np.nan)
    status = np.zeros(total, dtype=np.int64)
    status_time = np.full(total, np.nan)
    steps = np.zeros(total, dtype=np.int64)
    stiff_from = np.full(total, np.nan)
    # One trajectory buffer for all chunks: fresh memory would be faulted in page by page
    # inside the kernel on every chunk.
    buffer = np.empty((min(int(chunk_size), total), len(names), request.times.size))
    for first in range(0, total, int(chunk_size)):
        rows = slice(first, min(first + int(chunk_size), total))
        values = request.typical[rows]
        if request.seed is not None:
            values = sample_parameters(resolved, values, request.ids[rows], request.seed)
        by_patient = buffer[: rows.stop - rows.start]
        solution = solve(
            resolved,
            values,
            request.times,
            request.schedules[rows],
            request.settings,
            ids=request.ids[rows],
            seed=request.seed,
            out=by_patient,
        )
        chunk_peak, chunk_time, chunk_auc = (np.empty((len(names), by_patient.shape[0])) for _ in range(3))
        reduce_endpoints(by_patient, request.times, first_index, last_index, chunk_peak, chunk_time, chunk_auc)
        peak[:, rows], peak_time[:, rows], auc[:, rows] = chunk_peak, chunk_time, chunk_auc
        status[rows], status_time[rows] = solution.status, solution.status_time
        steps[rows], stiff_from[rows] = solution.steps, solution.stiff_from
        if progress is not None:
            progress(rows.stop, total)
    window = f"auc_{start:g}_{end:g}".replace(".", "p").replace("-", "m")
    columns: dict[str, np.ndarray] = {}
    column_units: dict[str, str] = {}
    for index, (name, unit) in enumerate(zip(names, units, strict=True)):
        columns[f"{name}_peak"], column_units[f"{name}_peak"] = peak[index], unit
        columns[f"{name}_time_of_peak"], column_units[f"{name}_time_of_peak"] = peak_time[index], "day"
        columns[f"{name}_{window}"], column_units[f"{name}_{window}"] = auc[index], f"({unit})*day" if unit else "day"
    columns["status"] = status_names(status)
    columns["status_time"], column_units["status_time"] = status_time, "day"
    columns["solver_steps"] = steps
    columns["stiff_from"], column_units["stiff_from"] = stiff_from, "day"
    table = pd.DataFrame(columns, index=pd.Index(np.asarray(request.ids, dtype=np.int64), name="patient"))
    table.attrs.update(
        {
            "units": column_units,
            "cartsim_version": __version__,
            "model": resolved.name,
            "model_citation": resolved.citation or "none",
            "solver": METHOD_DESCRIPTIONS[request.settings.method],
            "rtol": float(request.settings.rtol),
            "seed": "none" if seed is None else int(seed),
            "endpoints_over": "the output grid (peak and time of peak as sampled there)",
        }
    )
    return table


def _auc_window(window: tuple[float, float], times: np.ndarray) -> tuple[float, float, int, int]:
    """The window in days and the indices of its ends on the output grid."""
    try:
        start, end = (float(value) for value in window)
    except (TypeError, ValueError):
        raise SimulationError(f"`auc_window` must be (start, end) in days, got {window!r}") from None
    if not start < end:
        raise SimulationError(f"`auc_window` must have start < end (days), got {window!r}")
    indices = []
    for value in (start, end):
        tolerance = 1e-9 * max(1.0, abs(value))
        matches = np.flatnonzero(np.abs(times - value) <= tolerance)
        if matches.size == 0:
            raise SimulationError(f"`auc_window` end {value:g} day is not an output time; add it to `times`")
        indices.append(int(matches[0]))
    return start, end, indices[0], indices[1]


__all__ = ["DEFAULT_CHUNK_SIZE", "simulate_endpoints"]
