"""The "million patient-years" run of ``cartsim.simulate_endpoints`` (run as a child process).

    python -m cartbench.million N_PATIENTS

Prints one JSON line: wall seconds of the N-patient call (after a small warm-up call that
loads or compiles the kernel), the warm-up time, and this process's memory before and after.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from typing import Any

from cartbench.timing import peak_rss_mb
from cartbench.workload import ATOL, CART6, RTOL, TIMES, parameter_columns

WARM_UP_PATIENTS = 100


def main(n_patients: int) -> None:
    import cartsim

    signature = inspect.signature(cartsim.simulate_endpoints)
    options: dict[str, Any] = {"times": TIMES, "rtol": RTOL, "atol": ATOL}
    chunk = signature.parameters.get("chunk_size")
    chunk_default = None if chunk is None or chunk.default is inspect.Parameter.empty else chunk.default
    if chunk is not None and chunk_default is None:
        options["chunk_size"] = 20_000
    model = cartsim.parse_model(CART6.cartsim_text)
    params = parameter_columns(CART6, n_patients)
    warm_up = {name: values[:WARM_UP_PATIENTS] for name, values in params.items()}
    start = time.perf_counter()
    cartsim.simulate_endpoints(model, params=warm_up, **options)
    warm_up_seconds = time.perf_counter() - start
    rss_before = peak_rss_mb()
    start = time.perf_counter()
    table = cartsim.simulate_endpoints(model, params=params, **options)
    seconds = time.perf_counter() - start
    report = {
        "patients": n_patients,
        "seconds": seconds,
        "patients_per_s": n_patients / seconds,
        "warm_up_seconds": warm_up_seconds,
        "rows": len(table),
        "columns": len(table.columns),
        "chunk_size": options.get("chunk_size", chunk_default),
        "peak_rss_before_call_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "input_parameters_mb": sum(v.nbytes for v in params.values()) / 2**20,
        "status": _status_counts(table),
    }
    print(json.dumps(report))


def _status_counts(table: Any) -> dict[str, int] | None:
    if "status" not in getattr(table, "columns", []):
        return None
    return {str(k): int(v) for k, v in table["status"].value_counts().items()}


if __name__ == "__main__":
    main(int(sys.argv[1]))
