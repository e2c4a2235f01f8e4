"""The first calls of cartsim in a fresh process (run as a child process).

    python -m cartbench.cold_start WORKLOAD[:METHOD] | library:MODEL ...

``library:MODEL`` simulates a model of cartsim's library by name (its published IIV, 0-365 days).
Prints one JSON line: the import time and, per argument, the first call and the second call
on 10 patients. With an empty kernel cache (``CARTSIM_CACHE_DIR``) the first call generates
and compiles the kernel; run again on the same cache, it is the warm start that users see
in every new process.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

PATIENTS = 10


def main(arguments: list[str]) -> None:
    # cartsim first: cartbench.workload imports cartsim.testing, which would import it untimed.
    start = time.perf_counter()
    import cartsim

    report: dict[str, Any] = {"import_seconds": time.perf_counter() - start, "workloads": {}}
    from cartbench.timing import peak_rss_mb
    from cartbench.workload import ATOL, RTOL, TIMES, WORKLOADS, iiv_z, patient_parameters

    supports_method = "method" in __import__("inspect").signature(cartsim.simulate).parameters
    for argument in arguments:
        name, _, method = argument.partition(":")
        if name == "library":
            library_call = partial(cartsim.simulate, method, times=TIMES, n_patients=PATIENTS, seed=1)
            report["workloads"][argument] = _two_calls(library_call)
            continue
        workload = WORKLOADS[name]
        params = patient_parameters(workload, iiv_z(PATIENTS))
        by_name = {p: params[:, i] for i, p in enumerate(workload.parameter_names)}
        options: dict[str, Any] = {"method": method} if method and supports_method else {}
        model = cartsim.parse_model(workload.cartsim_text)
        workload_call = partial(cartsim.simulate, model, times=TIMES, params=by_name, rtol=RTOL, atol=ATOL, **options)
        report["workloads"][argument] = _two_calls(workload_call)
    report["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(report))


def _two_calls(call: Callable[[], object]) -> dict[str, float]:
    calls = []
    for _ in range(2):
        start = time.perf_counter()
        call()
        calls.append(time.perf_counter() - start)
    return {"first_call_seconds": calls[0], "second_call_seconds": calls[1]}


if __name__ == "__main__":
    main(sys.argv[1:])
