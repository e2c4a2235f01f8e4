"""The dated markdown results file, ``benchmarks/results/YYYY-MM-DD.md``."""

from __future__ import annotations

from typing import Any

from cartbench.metrics import RELATIVE_ERROR_FLOOR
from cartbench.workload import ATOL, IIV_SD, RTOL, TIMES


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        return f"{value:,.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:.2e}"


def _engine_table(engines: dict[str, dict[str, Any]]) -> list[str]:
    cartsim = engines["cartsim"]
    lines = [
        "| engine | patients timed | best wall (s) | µs / patient-year | patient-years / s | cartsim × faster "
        "| CPU µs / patient-year | cartsim × less CPU | max rel. error peak | max rel. error AUC "
        "| warm-up call or load (s) | notes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for key, row in engines.items():
        peer = not key.startswith("cartsim")
        speed, cpu = row["patients_per_s"], row["cpu_us_per_patient_year"]
        ratio = _ratio(cartsim["patients_per_s"], speed) if peer else None
        cpu_ratio = _ratio(cpu, cartsim["cpu_us_per_patient_year"]) if peer else None
        notes = list(row["notes"])
        if row.get("status") and set(row["status"]) != {"ok"}:
            notes.append(f"status {row['status']}")
        if row.get("max_rel_error_at"):
            notes.append(f"largest error: {row['max_rel_error_at']}")
        lines.append(
            f"| {row['label']} | {row['timed_patients']:,} | {_number(row['best_seconds'])} "
            f"| {_number(row['us_per_patient_year'])} | {_number(speed)} | {_number(ratio)} "
            f"| {_number(cpu)} | {_number(cpu_ratio)} "
            f"| {_number(row['max_rel_error_peak'], 2)} | {_number(row['max_rel_error_auc'], 2)} "
            f"| {_number(row['setup_seconds'])} | {'; '.join(notes)} |"
        )
    return lines


#: The engine issue's targets: (what, the summary's value, the bound, whether larger is better).
TARGETS = (
    ("cart6: cartsim ≥ 40× libroadrunner's throughput", "ratio_libroadrunner", 40.0, True),
    ("cart6: cartsim ≥ 400× scipy LSODA's throughput", "ratio_scipy_lsoda", 400.0, True),
    ("cart6: max relative error of peaks and AUCs ≤ 1e-4", "max_rel_error", 1e-4, False),
    ("cart6_stiff: cartsim (stiff) ≥ 5× libroadrunner", "stiff_ratio_libroadrunner", 5.0, True),
    ("1,000,000 patient-years to endpoints ≤ 30 s wall", "million_seconds", 30.0, False),
    ("1,000,000 patient-years: peak memory ≤ 2 GB (MB)", "million_peak_rss_mb", 2000.0, False),
    ("library model, new process, kernels cached: import + first call ≤ 3 s", "warm_library_seconds", 3.0, False),
)
#: The million-patient targets count only a run of this many patients (quick mode runs fewer).
MILLION = 1_000_000


def target_values(summary: dict[str, Any]) -> dict[str, float | None]:
    """The measured value of each target in :data:`TARGETS` (None: not measured in this run)."""
    million = summary.get("million_patient_years") or {}
    if million.get("patients") != MILLION:
        million = {}
    warm = (summary.get("cold_start") or {}).get("warm") or {}
    library = [times for name, times in (warm.get("workloads") or {}).items() if name.startswith("library:")]
    return {
        "ratio_libroadrunner": summary["ratio"].get("libroadrunner"),
        "ratio_scipy_lsoda": summary["ratio"].get("scipy_lsoda"),
        "max_rel_error": summary.get("max_rel_error"),
        "stiff_ratio_libroadrunner": summary.get("stiff_ratio_libroadrunner"),
        "million_seconds": million.get("seconds"),
        "million_peak_rss_mb": million.get("peak_rss_mb"),
        "warm_library_seconds": warm["import_seconds"] + library[0]["first_call_seconds"] if library else None,
    }


def _targets(summary: dict[str, Any]) -> list[str]:
    values = target_values(summary)
    lines = ["| target | measured | met |", "|---|--:|---|"]
    for label, key, bound, larger_is_better in TARGETS:
        value = values[key]
        if value is None:
            met = "not measured"
        else:
            met = "yes" if (value >= bound if larger_is_better else value <= bound) else "**no**"
        lines.append(f"| {label} | {_number(value)} | {met} |")
    if summary.get("mode") != "full":
        lines += ["", f"{summary.get('mode')} mode: fewer patients and repeats; the targets are judged on a full run."]
    return lines


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def markdown(summary: dict[str, Any], machine: dict[str, Any], date: str) -> str:
    versions = machine["versions"]
    r_version = summary["engines"]["cart6"]["desolve"].get("r_version")
    desolve_version = summary["engines"]["cart6"]["desolve"].get("desolve_version")
    lines = [
        f"# cartsim engine benchmark, {date}",
        "",
        f"`python benchmarks/run.py` ({summary['mode']} mode), {summary['elapsed_s']:.0f} s in all.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| cores | {machine['cores']} |",
        f"| CPU | {machine['cpu']} |",
        f"| memory | {_number(machine['memory_gib'])} GiB |",
        f"| platform | {machine['platform']}, Python {machine['python']} |",
        f"| cartsim | {versions['cartsim']} (git {machine['git']}) |",
        f"| numba | {versions['numba']} ({machine['numba']['threads']} threads, layer {machine['numba']['threading_layer']}) |",
        f"| numpy / scipy / xarray | {versions['numpy']} / {versions['scipy']} / {versions['xarray']} |",
        f"| libroadrunner / antimony | {versions['libroadrunner'] or 'missing'} / {versions['antimony'] or 'missing'} |",
        f"| R / deSolve | {r_version or 'not available'} / {desolve_version or 'not available'} |",
        f"| load average (1 min) at start, end | {summary['load_average'][0]:.2f}, {summary['load_average'][1]:.2f} |",
        "",
        "## Workload",
        "",
        f"Virtual patients: every parameter × exp({IIV_SD}·z), z standard normal from one fixed seed; every engine gets "
        f"the same patients. {TIMES[-1]:.0f} days, {TIMES.size} daily outputs, rtol {RTOL:g}, atol {ATOL:g}. "
        "Speeds are patient-years per second (one patient for 365 days). Timings are the best of several repeats; "
        "CPU time counts every thread of the process (and of R) and leaves out time spent waiting for a core.",
    ]
    lines += ["", "## Targets (issue 3: engine II)", "", *_targets(summary)]
    for name, title in (("cart6", "cart6 (6 states)"), ("cart6_stiff", "cart6_stiff (7 states, binding step k_off = 1e4/day)")):
        engines = summary["engines"][name]
        lines += ["", f"## {title}", "", *_engine_table(engines)]
        lines += ["", f"Accuracy on {summary['accuracy_patients'][name]} patients; {summary['reference'][name]}."]
    stiff_ratio = summary["stiff_ratio_libroadrunner"]
    lines += ["", f'Stiff variant: cartsim (method="stiff") is **{_number(stiff_ratio)}×** libroadrunner\'s speed.']
    lines += ["", "## Memory", "", "| process | peak RSS (MB) |", "|---|--:|"]
    lines.append(f"| benchmark process (cartsim, scipy, libroadrunner in-process) | {_number(summary['peak_rss_mb'])} |")
    lines.append(f"| R deSolve (Rscript child) | {_number(summary['desolve_peak_rss_mb'])} |")
    cold = summary.get("cold_start") or {}
    if cold.get("peak_rss_mb") is not None:
        lines.append(f"| cartsim cold start (child: import + 2 compilations) | {_number(cold['peak_rss_mb'])} |")
    lines += ["", "## Cold and warm start of cartsim", ""]
    if cold.get("workloads"):
        warm = cold.get("warm") or {}
        lines += [
            "Two fresh processes, 10 patients each: the first with an empty kernel cache (`CARTSIM_CACHE_DIR` in a new "
            "temporary directory), so its first call generates and compiles the kernel; the second on the cache the first "
            "one filled, as every later process of a user starts.",
            "",
        ]
        lines += [
            "| model | cold: first call, generate + compile (s) | warm: first call in a new process (s) | second call (s) |",
            "|---|--:|--:|--:|",
        ]
        for model, times in cold["workloads"].items():
            name, _, method = model.partition(":")
            label = f"{method} (library model)" if name == "library" else f"{name} (method={method})" if method else name
            warm_first = (warm.get("workloads") or {}).get(model, {}).get("first_call_seconds")
            lines.append(
                f"| {label} | {_number(times['first_call_seconds'])} | {_number(warm_first)} "
                f"| {_number(times['second_call_seconds'], 2)} |"
            )
        imports = f"{_number(cold['import_seconds'])} s (cold), {_number(warm.get('import_seconds'))} s (warm)"
        lines += ["", f"`import cartsim`: {imports}."]
    else:
        lines.append(f"Not measured in a fresh process ({cold.get('error', 'quick mode')}).")
    lines.append(
        f"In this process the first call (kernel loaded from the disk cache, or compiled) took "
        f"{_number(summary['cartsim_first_call_s'])} s."
    )
    lines += ["", "## Million patient-years", ""]
    lines += _million(summary["million_patient_years"])
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in summary["notes"]]
    lines += [
        f"- Accuracy: max over patients and states of |x - x_ref| / |x_ref| for each state's peak (largest daily "
        f"value) and AUC 0-365 d (trapezoid on the daily grid), against scipy Radau (rtol 1e-10, atol 1e-14, "
        f"analytic Jacobian). Endpoints with |x_ref| < {RELATIVE_ERROR_FLOOR:g} would be skipped (1000 × atol: "
        f"there the absolute tolerance, not the method, sets the error); none is that small in these workloads.",
    ]
    return "\n".join(lines) + "\n"


def _million(report: dict[str, Any]) -> list[str]:
    if report.get("seconds") is None:
        return [f"Not run: {report.get('note', 'unknown reason')}."]
    return [
        f"`cartsim.simulate_endpoints` on {report['patients']:,} cart6 patients (chunk size {report.get('chunk_size')}): "
        f"**{_number(report['seconds'])} s** wall ({_number(report['patients_per_s'])} patient-years/s), "
        f"peak RSS of the child process {_number(report['peak_rss_mb'])} MB "
        f"({_number(report['peak_rss_before_call_mb'])} MB before the call, of which "
        f"{_number(report['input_parameters_mb'])} MB are the input parameters). Status: {report.get('status')}.",
    ]
