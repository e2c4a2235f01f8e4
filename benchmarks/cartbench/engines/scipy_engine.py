"""scipy ``solve_ivp(method="LSODA")`` with a plain Python right-hand side, one patient at a time."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from cartbench.codegen import RightHandSide, python_rhs
from cartbench.engines.result import EngineResult, timed_result
from cartbench.timing import best_of, timed
from cartbench.workload import ATOL, RTOL, TIMES, Workload

ENGINE = "scipy_lsoda"


def solve_patients(rhs: RightHandSide, workload: Workload, params: np.ndarray) -> np.ndarray:
    """Trajectories ``[patient, state, time]``: a Python loop of ``solve_ivp`` calls."""
    initial = np.array(list(workload.initial.values()))
    out = np.full((len(params), len(initial), TIMES.size), np.nan)
    for patient, row in enumerate(params):
        solution = solve_ivp(
            rhs,
            (float(TIMES[0]), float(TIMES[-1])),
            initial,
            method="LSODA",
            t_eval=TIMES,
            rtol=RTOL,
            atol=ATOL,
            args=(tuple(row.tolist()),),
        )
        if solution.status == 0:
            out[patient] = solution.y
    return out


def measure(workload: Workload, timing_params: np.ndarray, accuracy_params: np.ndarray, *, repeats: int) -> EngineResult:
    """Time the loop on ``timing_params`` (best of ``repeats``); solve ``accuracy_params`` once."""
    rhs = python_rhs(workload)
    trajectories, accuracy_seconds = timed(lambda: solve_patients(rhs, workload, accuracy_params))
    timing = best_of(lambda: solve_patients(rhs, workload, timing_params), repeats)
    failed = int(np.isnan(trajectories).any(axis=(1, 2)).sum())
    notes = [f"{failed} accuracy patients failed"] if failed else []
    return timed_result(
        ENGINE,
        workload.name,
        timing,
        len(timing_params),
        trajectories,
        notes=notes,
        extras={"label": "scipy solve_ivp LSODA (Python RHS, loop)", "accuracy_run_seconds": accuracy_seconds},
    )
