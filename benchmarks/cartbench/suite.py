"""The benchmark's sections: each workload with every engine, the cold start, the million run."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cartbench.engines import cartsim_engine, desolve_engine, roadrunner_engine, scipy_engine
from cartbench.engines.result import EngineResult, unavailable
from cartbench.metrics import endpoints, relative_error
from cartbench.reference import all_cached, reference_endpoints
from cartbench.settings import Settings
from cartbench.timing import failure_message, peak_rss_mb, run_child
from cartbench.workload import CART6, CART6_STIFF, TIMES, Workload, patient_parameters

BENCHMARKS_DIR = Path(__file__).resolve().parent.parent
#: (timing params, accuracy params) -> result
Measure = Callable[[np.ndarray, np.ndarray], EngineResult]


class Log:
    """Progress lines on stderr, with the time since the start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", file=sys.stderr, flush=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


@dataclass(frozen=True)
class EngineRun:
    """One engine to run on a workload: its key, how to measure it, how many patients to time."""

    key: str
    measure: Callable[..., EngineResult]
    patients: int
    repeats: int
    options: dict[str, Any]


@dataclass
class Section:
    """All engines on one workload, with the reference they were checked against."""

    workload: Workload
    results: dict[str, EngineResult]
    accuracy_patients: int
    reference_note: str


def run_workload(
    workload: Workload, runs: list[EngineRun], z: np.ndarray, settings: Settings, log: Log, *, fresh_reference: bool
) -> Section:
    params = patient_parameters(workload, z)
    n_accuracy = settings.accuracy_patients
    if not fresh_reference and not all_cached(workload, params[:n_accuracy]):
        n_accuracy = settings.uncached_accuracy_patients
    log(f"{workload.name}: Radau reference for {n_accuracy} patients")
    reference = reference_endpoints(workload, params[:n_accuracy], fresh=fresh_reference)
    how = f"computed {reference.computed} in {reference.seconds:.1f} s" if reference.computed else "all from the cache"
    reference_note = f"Radau reference of {n_accuracy} patients: {how}"
    results: dict[str, EngineResult] = {}
    for run in runs:
        log(f"{workload.name}: {run.key} ({run.patients} patients x {run.repeats})")
        try:
            result = run.measure(workload, params[: run.patients], params[:n_accuracy], repeats=run.repeats, **run.options)
        except Exception as error:  # one broken engine must not lose the other engines' numbers
            traceback.print_exc(file=sys.stderr)
            result = unavailable(run.key, workload.name, f"failed: {type(error).__name__}: {error}")
        if result.trajectories is not None:
            result.accuracy = relative_error(endpoints(result.trajectories, TIMES), reference.endpoints, workload.state_names)
            result.trajectories = None  # free the memory
        result.extras["process_peak_rss_mb_after"] = peak_rss_mb()
        speed = "n/a" if result.microseconds_per_patient is None else f"{result.microseconds_per_patient:,.0f} µs/patient-year"
        accuracy = "n/a" if result.accuracy is None else f"{result.accuracy.worst:.2g} ({result.accuracy.worst_at})"
        log(f"  {speed}; max rel error {accuracy}; {'; '.join(result.notes)}")
        results[run.key] = result
    return Section(workload=workload, results=results, accuracy_patients=n_accuracy, reference_note=reference_note)


def cart6_runs(settings: Settings) -> list[EngineRun]:
    runs = [EngineRun("cartsim", cartsim_engine.measure, settings.cartsim_patients, settings.cartsim_repeats, {})]
    if settings.single_thread_row:
        runs.append(
            EngineRun(
                "cartsim_1_thread",
                cartsim_engine.measure,
                settings.cartsim_patients // 2,
                settings.cartsim_repeats,
                {"single_thread": True},
            )
        )
    if settings.single_thread_row and cartsim_engine.supports_method():
        runs.append(
            EngineRun(
                "cartsim_explicit",
                cartsim_engine.measure,
                settings.cartsim_patients,
                settings.cartsim_repeats,
                {"method": "explicit"},
            )
        )
    return [
        *runs,
        EngineRun("libroadrunner", roadrunner_engine.measure, settings.roadrunner_patients, settings.peer_repeats, {}),
        EngineRun("scipy_lsoda", scipy_engine.measure, settings.scipy_patients, settings.peer_repeats, {}),
        EngineRun("desolve", desolve_engine.measure, settings.desolve_patients, settings.peer_repeats, {}),
    ]


def stiff_runs(settings: Settings) -> list[EngineRun]:
    if cartsim_engine.supports_method():
        cartsim_run = EngineRun(
            "cartsim", cartsim_engine.measure, settings.cartsim_stiff_patients, settings.cartsim_repeats, {"method": "stiff"}
        )
    else:  # the explicit default needs ~10^6 steps per patient here: time a handful
        cartsim_run = EngineRun("cartsim", cartsim_engine.measure, 20, 1, {"method": "stiff"})
    runs = [cartsim_run]
    if settings.single_thread_row and cartsim_engine.supports_method():
        runs.append(
            EngineRun(
                "cartsim_auto",
                cartsim_engine.measure,
                settings.cartsim_stiff_patients,
                settings.cartsim_repeats,
                {"method": "auto"},
            )
        )
    runs.append(EngineRun("libroadrunner", roadrunner_engine.measure, settings.roadrunner_patients, settings.peer_repeats, {}))
    return runs


#: The library model whose first call the cold and warm starts also time (the issue's target
#: is for "a library model").
LIBRARY_MODEL = "stein2019"


def cold_start(log: Log) -> dict[str, Any]:
    """First calls of cartsim in a fresh process with an empty kernel cache (``cold``), then in
    another fresh process on the cache the first one filled (``warm``)."""
    log("cold start: cartsim in a new process with an empty kernel cache, then a warm start on that cache")
    # The library model first: its warm first call then carries every one-time cost of a new process.
    arguments = [f"library:{LIBRARY_MODEL}", CART6.name, f"{CART6_STIFF.name}:stiff"]
    with tempfile.TemporaryDirectory(prefix="cartbench-cold-") as folder:
        env = {**os.environ, "CARTSIM_CACHE_DIR": str(Path(folder) / "cache")}
        children = [
            run_child([sys.executable, "-m", "cartbench.cold_start", *arguments], env=env, cwd=BENCHMARKS_DIR) for _ in range(2)
        ]
    for child in children:
        if child.returncode != 0:
            return {"error": failure_message(child.stderr)}
    cold, warm = (json.loads(child.stdout.strip().splitlines()[-1]) for child in children)
    report: dict[str, Any] = {**cold, "wall_seconds": children[0].wall_seconds}
    report["warm"] = {**warm, "wall_seconds": children[1].wall_seconds}
    log(f"  {report}")
    return report


def million(settings: Settings, log: Log) -> dict[str, Any]:
    """``cartsim.simulate_endpoints`` on ``settings.million_patients`` cart6 patients in a child process."""
    import cartsim

    n_patients = settings.million_patients
    if n_patients is None:
        return {"seconds": None, "note": "skipped in this mode"}
    if log.elapsed > settings.million_skip_after_s:
        note = f"skipped: {settings.mode} mode had already run {log.elapsed:.0f} s (> {settings.million_skip_after_s:.0f} s)"
        return {"seconds": None, "patients": n_patients, "note": note}
    if not hasattr(cartsim, "simulate_endpoints"):
        return {"seconds": None, "patients": n_patients, "note": "cartsim.simulate_endpoints does not exist yet"}
    log(f"million patient-years: simulate_endpoints on {n_patients:,} patients")
    child = run_child([sys.executable, "-m", "cartbench.million", str(n_patients)], cwd=BENCHMARKS_DIR)
    if child.returncode != 0:
        return {"seconds": None, "patients": n_patients, "note": f"failed: {failure_message(child.stderr)}"}
    report: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    log(f"  {report}")
    return report


def runs_for(workload: Workload, settings: Settings) -> list[EngineRun]:
    return cart6_runs(settings) if workload is CART6 else stiff_runs(settings)


__all__ = ["Log", "Section", "cold_start", "million", "run_workload", "runs_for"]
