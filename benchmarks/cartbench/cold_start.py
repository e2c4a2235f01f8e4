"""Cold start of cartsim in a fresh process with an empty kernel cache (run as a child process).

    python -m cartbench.cold_start WORKLOAD[:METHOD] ...

Prints one JSON line: the import time and, per workload, the first call (code generation and
numba compilation of the kernel) and the second call (compiled) on 10 patients.
"""

from __future__ import annotations

import json
import sys
import time
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
        workload = WORKLOADS[name]
        params = patient_parameters(workload, iiv_z(PATIENTS))
        by_name = {p: params[:, i] for i, p in enumerate(workload.parameter_names)}
        options: dict[str, Any] = {"method": method} if method and supports_method else {}
        model = cartsim.parse_model(workload.cartsim_text)
        calls = []
        for _ in range(2):
            start = time.perf_counter()
            cartsim.simulate(model, times=TIMES, params=by_name, rtol=RTOL, atol=ATOL, **options)
            calls.append(time.perf_counter() - start)
        report["workloads"][argument] = {"first_call_seconds": calls[0], "second_call_seconds": calls[1]}
    report["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
