"""The cartsim engine benchmark: ``python benchmarks/run.py [--quick] [--json]``.

Runs cartsim, scipy LSODA, libroadrunner and R deSolve on the same virtual patients of the
``cart6`` workload (and cartsim and libroadrunner on ``cart6_stiff``), checks every engine
against a tight Radau reference, times cartsim's cold start and a million-patient run, and
writes ``benchmarks/results/YYYY-MM-DD.md`` (full mode). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

from cartbench.machine import machine_facts
from cartbench.report import markdown
from cartbench.settings import FULL, QUICK
from cartbench.suite import Log, cold_start, million, run_workload, runs_for
from cartbench.summary import observations, summarize
from cartbench.timing import peak_rss_mb
from cartbench.workload import CART6, CART6_STIFF, iiv_z

BENCHMARKS_DIR = Path(__file__).resolve().parent


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer patients and no fresh-process cold start (under a minute)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object on the last line")
    parser.add_argument("--markdown", type=Path, help="write the markdown results here (default in full mode: results/DATE.md)")
    parser.add_argument("--fresh-reference", action="store_true", help="recompute the Radau reference instead of using the cache")
    return parser.parse_args(argv)


def dated_results_path(directory: Path, today: datetime.date | None = None) -> Path:
    """``DATE.md``, or ``DATE-2.md``, ``DATE-3.md``, ... when that day already has results:
    an earlier run's table is documentation and is never overwritten."""
    day = today or datetime.date.today()
    candidate, number = directory / f"{day}.md", 1
    while candidate.exists():
        number += 1
        candidate = directory / f"{day}-{number}.md"
    return candidate


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    settings = QUICK if arguments.quick else FULL
    log = Log()
    load_start = os.getloadavg()[0]
    log(f"{settings.mode} mode; load average {load_start:.2f}")
    z = iiv_z(settings.largest_patient_count)
    sections = [
        run_workload(w, runs_for(w, settings), z, settings, log, fresh_reference=arguments.fresh_reference)
        for w in (CART6, CART6_STIFF)
    ]
    cold = cold_start(log) if settings.cold_start else None
    million_report = million(settings, log)
    notes = [
        "cartsim runs its numba kernel in parallel over patients on all cores; the peers are single-threaded "
        "loops over patients, as their users run them. The 1-thread cartsim row (full mode) is the per-core comparison.",
        "scipy and deSolve use LSODA without a user Jacobian; libroadrunner uses its default CVODE settings "
        "(BDF with Newton iteration) with the tolerances above.",
        "The machine may be shared with other work, so every timing is the best of several repeats and the load "
        "average is reported: ratios taken under load (above ~0.5) understate cartsim, which needs both cores.",
    ]
    notes += observations(sections[0], load_start)
    if cold is None:
        notes.append("Quick mode: no fresh-process cold start; the first-call time below may be a disk-cache load.")
    summary = summarize(
        sections[0],
        sections[1],
        cold=cold,
        million=million_report,
        peak_rss_mb=peak_rss_mb(),
        extra={"mode": settings.mode, "load_average": [load_start, os.getloadavg()[0]], "notes": notes},
    )
    summary["elapsed_s"] = log.elapsed
    machine = machine_facts(BENCHMARKS_DIR.parent)
    summary["machine"] = machine
    target = arguments.markdown or (None if arguments.quick else dated_results_path(BENCHMARKS_DIR / "results"))
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(markdown(summary, machine, str(datetime.date.today())))
        log(f"wrote {target}")
    log(f"done in {log.elapsed:.1f} s")
    if arguments.json:
        print(json.dumps(summary, default=str))
    else:
        print(
            json.dumps(
                {k: summary[k] for k in ("patients_per_s", "ratio", "stiff_ratio_libroadrunner", "max_rel_error", "peak_rss_mb")},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
