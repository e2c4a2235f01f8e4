"""What every engine measurement returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cartbench.metrics import Accuracy
from cartbench.timing import Timing


@dataclass
class EngineResult:
    """Speed of one engine on one workload, and its trajectories for the accuracy check.

    ``patients_per_s`` is patient-years per second: each patient is simulated for 365 days.
    ``None`` fields mean "not measured" (the engine is missing or failed; see ``notes``).
    """

    engine: str
    workload: str
    patients_per_s: float | None = None
    timed_patients: int = 0
    best_seconds: float | None = None
    #: Best CPU time (all threads) of the timed patients: steadier than wall time under load.
    best_cpu_seconds: float | None = None
    setup_seconds: float | None = None
    trajectories: np.ndarray | None = None
    peak_rss_mb: float | None = None
    accuracy: Accuracy | None = None
    notes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.patients_per_s is not None

    @property
    def microseconds_per_patient(self) -> float | None:
        return None if self.patients_per_s is None else 1e6 / self.patients_per_s

    @property
    def cpu_microseconds_per_patient(self) -> float | None:
        if self.best_cpu_seconds is None or not self.timed_patients:
            return None
        return 1e6 * self.best_cpu_seconds / self.timed_patients


def timed_result(
    engine: str,
    workload: str,
    timing: Timing,
    timed_patients: int,
    trajectories: np.ndarray,
    *,
    setup_seconds: float | None = None,
    notes: list[str] | None = None,
    extras: dict[str, Any] | None = None,
) -> EngineResult:
    """The result of an engine that ran: speed from the best timing of ``timed_patients``."""
    return EngineResult(
        engine=engine,
        workload=workload,
        patients_per_s=timed_patients / timing.wall,
        timed_patients=timed_patients,
        best_seconds=timing.wall,
        best_cpu_seconds=timing.cpu,
        setup_seconds=setup_seconds,
        trajectories=trajectories,
        notes=notes or [],
        extras=extras or {},
    )


def unavailable(engine: str, workload: str, reason: str) -> EngineResult:
    """The result of an engine that could not run."""
    return EngineResult(engine=engine, workload=workload, notes=[reason])
