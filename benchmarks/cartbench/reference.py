"""The accuracy reference: scipy Radau at rtol 1e-10, atol 1e-14 with an exact Jacobian.

Radau with a Python right-hand side takes 1-2 s per patient, so reference endpoints are kept
per patient in ``benchmarks/reference/<workload>.json``, keyed by a hash of everything that
defines the patient's problem (equations, parameters, initial state, output times and the
reference tolerances). A changed equation or parameter draw misses the cache and is
recomputed; ``--fresh-reference`` recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
from scipy.integrate import solve_ivp

from cartbench.codegen import analytic_jacobian, python_rhs
from cartbench.metrics import Endpoints, endpoints
from cartbench.workload import TIMES, WORKLOADS, Workload

REFERENCE_RTOL = 1e-10
REFERENCE_ATOL = 1e-14
REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"


@dataclass(frozen=True)
class Reference:
    """Reference endpoints for the requested patients, and how many had to be computed."""

    endpoints: Endpoints
    computed: int
    seconds: float


def patient_key(workload: Workload, parameters: np.ndarray) -> str:
    """A hash of one patient's problem: equations, initial state, parameters, times, tolerances."""
    spec = {
        "initial": workload.initial,
        "intermediates": workload.intermediates,
        "derivatives": workload.derivatives,
        "parameters": dict(zip(workload.parameter_names, map(float.hex, map(float, parameters)), strict=True)),
        "times": [float.hex(float(t)) for t in TIMES],
        "tolerances": [REFERENCE_RTOL, REFERENCE_ATOL],
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]


def solve_reference(workload_name: str, parameters: np.ndarray) -> tuple[list[float], list[float]]:
    """Radau trajectory of one patient, reduced to (peaks, AUCs) per state."""
    workload = WORKLOADS[workload_name]
    rhs, jacobian = python_rhs(workload), analytic_jacobian(workload)
    solution = solve_ivp(
        rhs,
        (float(TIMES[0]), float(TIMES[-1])),
        np.array(list(workload.initial.values())),
        method="Radau",
        t_eval=TIMES,
        rtol=REFERENCE_RTOL,
        atol=REFERENCE_ATOL,
        jac=jacobian,
        args=(tuple(parameters.tolist()),),
    )
    if solution.status != 0:
        raise RuntimeError(f"Radau reference failed for {workload_name}: {solution.message}")
    result = endpoints(solution.y[np.newaxis], TIMES)
    return result.peak[0].tolist(), result.auc[0].tolist()


def _stored(workload: Workload) -> dict[str, dict[str, list[float]]]:
    path = REFERENCE_DIR / f"{workload.name}.json"
    if not path.exists():
        return {}
    patients: dict[str, dict[str, list[float]]] = json.loads(path.read_text())["patients"]
    return patients


def all_cached(workload: Workload, parameters: np.ndarray) -> bool:
    """Whether the reference of every row of ``parameters`` is in the cache."""
    stored = _stored(workload)
    return all(patient_key(workload, row) in stored for row in parameters)


def reference_endpoints(workload: Workload, parameters: np.ndarray, *, workers: int = 2, fresh: bool = False) -> Reference:
    """Reference endpoints of every row of ``parameters``, from the cache or computed (in parallel)."""
    path = REFERENCE_DIR / f"{workload.name}.json"
    stored = {} if fresh else _stored(workload)
    keys = [patient_key(workload, row) for row in parameters]
    missing = [i for i, key in enumerate(keys) if key not in stored]
    start = time.perf_counter()
    if missing:
        context = multiprocessing.get_context("spawn")  # no fork of a process that runs numba threads
        with ProcessPoolExecutor(max_workers=min(workers, len(missing)), mp_context=context) as pool:
            results = pool.map(solve_reference, [workload.name] * len(missing), [parameters[i] for i in missing])
            for i, (peaks, aucs) in zip(missing, results, strict=True):
                stored[keys[i]] = {"peak": peaks, "auc": aucs}
        _save(path, workload, stored)
    seconds = time.perf_counter() - start
    reference = Endpoints(peak=np.array([stored[k]["peak"] for k in keys]), auc=np.array([stored[k]["auc"] for k in keys]))
    return Reference(endpoints=reference, computed=len(missing), seconds=seconds)


def _save(path: Path, workload: Workload, patients: dict[str, dict[str, list[float]]]) -> None:
    document = {
        "about": "Radau reference endpoints (daily-grid peak and trapezoid AUC 0-365 per state) of the cartsim benchmark",
        "workload": workload.name,
        "states": workload.state_names,
        "method": f"scipy {scipy.__version__} solve_ivp Radau, rtol {REFERENCE_RTOL}, atol {REFERENCE_ATOL}, analytic Jacobian",
        "patients": patients,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=1) + "\n")
    temporary.replace(path)
