"""R deSolve ``lsoda`` with an R right-hand side, looping over patients inside one ``Rscript``.

Parameters go to R as a CSV file in a temporary directory; R times its own loop with
``system.time`` (so R's start-up and ``library(deSolve)`` are not counted) and prints one JSON
line, with the peak memory of the R process (separate from the benchmark's own).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from cartbench.codegen import r_source
from cartbench.engines.result import EngineResult, unavailable
from cartbench.timing import failure_message, run_child
from cartbench.workload import ATOL, RTOL, TIMES, Workload

ENGINE = "desolve"
DRIVER = Path(__file__).with_name("desolve_driver.R")


def measure(workload: Workload, timing_params: np.ndarray, accuracy_params: np.ndarray, *, repeats: int) -> EngineResult:
    """Run the R driver; ``timing_params`` and ``accuracy_params`` must start with the same rows."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return unavailable(ENGINE, workload.name, "Rscript not found (apt-get install r-base-core r-cran-desolve)")
    params = timing_params if len(timing_params) >= len(accuracy_params) else accuracy_params
    if not np.array_equal(params[: len(accuracy_params)], accuracy_params):
        raise ValueError("the accuracy patients must be the first rows of the timing patients")
    with tempfile.TemporaryDirectory(prefix="cartbench-r-") as folder:
        workdir = Path(folder)
        (workdir / "model.R").write_text(r_source(workload))
        header = ",".join(workload.parameter_names)
        np.savetxt(workdir / "params.csv", params, delimiter=",", header=header, comments="", fmt="%.17g")
        command = [
            rscript,
            "--vanilla",
            str(DRIVER),
            str(workdir / "model.R"),
            str(workdir / "params.csv"),
            str(workdir),
            str(len(accuracy_params)),
            str(len(timing_params)),
            str(repeats),
            repr(RTOL),
            repr(ATOL),
            repr(float(TIMES[-1])),
            str(TIMES.size),
        ]
        child = run_child(command)
        if child.returncode != 0:
            message = failure_message(child.stderr)
            if "deSolve" in child.stderr:
                message = f"R deSolve not available ({message}): apt-get install r-cran-desolve"
            return unavailable(ENGINE, workload.name, f"Rscript failed: {message}")
        report = json.loads(child.stdout.strip().splitlines()[-1])
        flat = np.loadtxt(workdir / "trajectories.csv", delimiter=",", skiprows=1, ndmin=2)
    trajectories = flat.reshape(len(accuracy_params), TIMES.size, len(workload.initial)).transpose(0, 2, 1)
    seconds = float(report["best_seconds"])
    return EngineResult(
        engine=ENGINE,
        workload=workload.name,
        patients_per_s=len(timing_params) / seconds,
        timed_patients=len(timing_params),
        best_seconds=seconds,
        best_cpu_seconds=float(report["best_cpu_seconds"]),
        trajectories=trajectories,
        peak_rss_mb=report["peak_rss_mb"],
        extras={
            "label": f"R {report['r_version']} deSolve {report['desolve_version']} lsoda (R RHS, loop)",
            "r_version": report["r_version"],
            "desolve_version": report["desolve_version"],
            "all_seconds": report["all_seconds"],
            "rscript_wall_seconds": child.wall_seconds,
        },
    )
