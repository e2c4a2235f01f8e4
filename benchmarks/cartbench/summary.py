"""The machine-readable summary: the JSON object that ``run.py --json`` prints last."""

from __future__ import annotations

from typing import Any

from cartbench.engines.result import EngineResult
from cartbench.suite import Section

PEERS = ("libroadrunner", "scipy_lsoda", "desolve")


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def _cpu_us(result: EngineResult) -> float | None:
    return result.cpu_microseconds_per_patient


def _engine_summary(result: EngineResult) -> dict[str, Any]:
    return {
        "label": result.extras.get("label", result.engine),
        "patients_per_s": result.patients_per_s,
        "us_per_patient_year": result.microseconds_per_patient,
        "timed_patients": result.timed_patients,
        "best_seconds": result.best_seconds,
        "best_cpu_seconds": result.best_cpu_seconds,
        "cpu_us_per_patient_year": result.cpu_microseconds_per_patient,
        "setup_seconds": result.setup_seconds,
        "max_rel_error": None if result.accuracy is None else result.accuracy.worst,
        "max_rel_error_peak": None if result.accuracy is None else result.accuracy.peak,
        "max_rel_error_auc": None if result.accuracy is None else result.accuracy.auc,
        "max_rel_error_at": None if result.accuracy is None else result.accuracy.worst_at,
        "peak_rss_mb": result.peak_rss_mb,
        "notes": result.notes,
        **{k: v for k, v in result.extras.items() if k != "label"},
    }


def observations(cart6: Section, load_average: float) -> list[str]:
    """Notes that the numbers call for, e.g. no parallel speedup because the machine was busy."""
    notes: list[str] = []
    single = cart6.results.get("cartsim_1_thread")
    both = cart6.results["cartsim"]
    speedup = _ratio(both.patients_per_s, single.patients_per_s if single else None)
    if speedup is not None:
        notes.append(
            f"cartsim on all cores vs one thread: {speedup:.2f}× (load average {load_average:.2f} at the start)."
            + (
                " Little parallel speedup: other processes were using the other core(s), so the cartsim ratios of "
                "this run are close to per-core ratios; on an idle machine they would be higher."
                if speedup < 1.3
                else ""
            )
        )
    return notes


def summarize(
    cart6: Section,
    stiff: Section,
    *,
    cold: dict[str, Any] | None,
    million: dict[str, Any],
    peak_rss_mb: float,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The required keys first (``patients_per_s``, ``ratio``, ``stiff_ratio_libroadrunner``,
    ``max_rel_error`` (cartsim's), ``peak_rss_mb``), then everything else."""
    speed = {key: cart6.results[key].patients_per_s for key in ("cartsim", *PEERS)}
    cartsim = cart6.results["cartsim"]
    stiff_cartsim, stiff_rr = stiff.results["cartsim"], stiff.results["libroadrunner"]
    desolve = cart6.results["desolve"]
    return {
        "patients_per_s": speed,
        "ratio": {peer: _ratio(speed["cartsim"], speed[peer]) for peer in PEERS},
        "stiff_ratio_libroadrunner": _ratio(stiff_cartsim.patients_per_s, stiff_rr.patients_per_s),
        "max_rel_error": None if cartsim.accuracy is None else cartsim.accuracy.worst,
        "peak_rss_mb": peak_rss_mb,
        "cpu_ratio": {peer: _ratio(_cpu_us(cart6.results[peer]), _cpu_us(cartsim)) for peer in PEERS},
        "max_rel_error_by_engine": {k: _engine_summary(r)["max_rel_error"] for k, r in cart6.results.items()},
        "desolve_peak_rss_mb": desolve.peak_rss_mb,
        "cartsim_first_call_s": cartsim.setup_seconds,
        "cold_start": cold,
        "stiff": {
            "patients_per_s": {key: r.patients_per_s for key, r in stiff.results.items()},
            "max_rel_error": {key: _engine_summary(r)["max_rel_error"] for key, r in stiff.results.items()},
        },
        "million_patient_years": million,
        "engines": {
            cart6.workload.name: {key: _engine_summary(r) for key, r in cart6.results.items()},
            stiff.workload.name: {key: _engine_summary(r) for key, r in stiff.results.items()},
        },
        "accuracy_patients": {cart6.workload.name: cart6.accuracy_patients, stiff.workload.name: stiff.accuracy_patients},
        "reference": {cart6.workload.name: cart6.reference_note, stiff.workload.name: stiff.reference_note},
        **extra,
    }
