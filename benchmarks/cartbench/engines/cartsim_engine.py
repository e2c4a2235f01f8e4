"""cartsim: one batched ``cartsim.simulate`` call for all patients (numba, parallel over patients)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from cartbench.engines.result import EngineResult, timed_result
from cartbench.timing import Timing, best_of, timed
from cartbench.workload import ATOL, RTOL, TIMES, Workload

ENGINE = "cartsim"


def supports_method() -> bool:
    """Whether ``cartsim.simulate`` takes the ``method=`` keyword yet."""
    import cartsim

    return "method" in inspect.signature(cartsim.simulate).parameters


def measure(
    workload: Workload,
    timing_params: np.ndarray,
    accuracy_params: np.ndarray,
    *,
    repeats: int,
    method: str | None = None,
    single_thread: bool = False,
) -> EngineResult:
    """Warm up (compile or load the cached kernel), then time ``simulate`` on ``timing_params``.

    The warm-up call solves the accuracy patients, so its time is the first-call (compile or
    cache-load) time plus a few milliseconds of integration.
    """
    import cartsim

    model = cartsim.parse_model(workload.cartsim_text)
    if list(model.state_names) != workload.state_names:
        raise RuntimeError(f"cartsim states {model.state_names} differ from the workload's {workload.state_names}")
    if sorted(p.name for p in model.parameters) != sorted(workload.parameter_names):
        raise RuntimeError("cartsim parameters differ from the workload's")
    options: dict[str, Any] = {"times": TIMES, "rtol": RTOL, "atol": ATOL}
    notes: list[str] = []
    if method is not None:
        if supports_method():
            options["method"] = method
        else:
            notes.append(f"cartsim.simulate has no method= keyword yet: ran its default instead of {method!r}")

    def run(params: np.ndarray) -> Any:
        by_name = {name: params[:, column] for column, name in enumerate(workload.parameter_names)}
        return cartsim.simulate(model, params=by_name, **options)

    first, setup = timed(lambda: run(accuracy_params))
    trajectories = np.stack([first[state].values for state in workload.state_names], axis=1)
    summary: dict[str, Any] = {}

    def summarize(result: Any) -> None:
        summary["status"] = result["status"].to_series().value_counts().to_dict()
        summary["mean_steps"] = float(result["solver_steps"].mean())

    timing = _best_time(lambda: run(timing_params), repeats, single_thread, summarize)
    statuses = summary["status"]
    if set(statuses) != {"ok"}:
        notes.append(f"status of the timed patients: {statuses}")
    name = f"cartsim ({options.get('method', 'default')}{', 1 thread' if single_thread else ''})"
    return timed_result(
        ENGINE,
        workload.name,
        timing,
        len(timing_params),
        trajectories,
        setup_seconds=setup,
        notes=notes,
        extras={
            "label": name,
            "solver": str(first.attrs.get("solver", "?")),
            "mean_steps": summary["mean_steps"],
            "status": {str(k): int(v) for k, v in statuses.items()},
        },
    )


def _best_time(call: Callable[[], Any], repeats: int, single_thread: bool, inspect: Callable[[Any], None]) -> Timing:
    import numba

    threads = numba.get_num_threads()
    if single_thread:
        numba.set_num_threads(1)
    try:
        return best_of(call, repeats, inspect)
    finally:
        numba.set_num_threads(threads)
