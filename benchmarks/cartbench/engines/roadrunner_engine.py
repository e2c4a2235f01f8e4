"""libroadrunner (CVODE on LLVM-compiled SBML), one patient at a time.

The SBML comes from an Antimony text generated from the workload; each patient sets its
parameters, resets the state to the initial values and simulates 0-365 d at 366 points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cartbench.codegen import antimony_source
from cartbench.engines.result import EngineResult, timed_result, unavailable
from cartbench.timing import best_of, timed
from cartbench.workload import ATOL, RTOL, TIMES, Workload

ENGINE = "libroadrunner"


def missing_reason() -> str | None:
    """Why the engine cannot run here, or None when it can."""
    try:
        import antimony  # noqa: F401
        import roadrunner  # noqa: F401
    except ImportError as error:
        return f"not installed ({error.name}): pip install -e '.[bench]'"
    return None


def load(workload: Workload) -> Any:
    """A RoadRunner instance for the workload with the benchmark's tolerances."""
    import antimony
    import roadrunner

    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(antimony_source(workload)) < 0:
        raise RuntimeError(f"antimony rejected the model: {antimony.getLastError()}")
    runner = roadrunner.RoadRunner(antimony.getSBMLString(workload.name))
    runner.integrator.relative_tolerance = RTOL
    runner.integrator.absolute_tolerance = ATOL
    runner.integrator.maximum_num_steps = 100_000
    runner.timeCourseSelections = workload.state_names
    return runner


def solve_patients(runner: Any, workload: Workload, params: np.ndarray) -> np.ndarray:
    """Trajectories ``[patient, state, time]``."""
    out = np.empty((len(params), len(workload.initial), TIMES.size))
    names = workload.parameter_names
    for patient, row in enumerate(params):
        for name, value in zip(names, row.tolist(), strict=True):
            runner[name] = value
        runner.reset()
        result = runner.simulate(float(TIMES[0]), float(TIMES[-1]), TIMES.size)
        out[patient] = np.asarray(result).T
    return out


def measure(workload: Workload, timing_params: np.ndarray, accuracy_params: np.ndarray, *, repeats: int) -> EngineResult:
    """Load (SBML -> LLVM), solve the accuracy patients, then time the loop on ``timing_params``."""
    reason = missing_reason()
    if reason is not None:
        return unavailable(ENGINE, workload.name, reason)
    import roadrunner

    runner, setup = timed(lambda: load(workload))
    trajectories = solve_patients(runner, workload, accuracy_params)
    timing = best_of(lambda: solve_patients(runner, workload, timing_params), repeats)
    return timed_result(
        ENGINE,
        workload.name,
        timing,
        len(timing_params),
        trajectories,
        setup_seconds=setup,
        extras={
            "label": f"libroadrunner {roadrunner.__version__} (CVODE, loop)",
            "integrator": runner.integrator.getName(),
            "stiff": bool(runner.integrator.getValue("stiff")),
        },
    )
