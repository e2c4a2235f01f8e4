"""How many patients and repeats each mode uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Sizes of one benchmark run. Peers loop in Python or R, so they get far fewer patients
    than cartsim; speeds are reported per patient-year, so the counts only set the noise."""

    mode: str
    cartsim_patients: int
    cartsim_stiff_patients: int
    cartsim_repeats: int
    scipy_patients: int
    roadrunner_patients: int
    desolve_patients: int
    peer_repeats: int
    accuracy_patients: int
    #: Quick mode only: accuracy patients when the Radau reference of all of them is not cached.
    uncached_accuracy_patients: int
    single_thread_row: bool
    cold_start: bool
    million_patients: int | None
    #: Skip the million run when the run has already taken longer than this (quick mode's
    #: minute can go to compiling cartsim kernels after a change to cartsim's sources).
    million_skip_after_s: float = float("inf")

    @property
    def largest_patient_count(self) -> int:
        return max(
            self.cartsim_patients,
            self.cartsim_stiff_patients,
            self.scipy_patients,
            self.roadrunner_patients,
            self.desolve_patients,
            self.accuracy_patients,
        )


FULL = Settings(
    mode="full",
    cartsim_patients=20_000,
    cartsim_stiff_patients=10_000,
    cartsim_repeats=5,
    scipy_patients=50,
    roadrunner_patients=1_000,
    desolve_patients=50,
    peer_repeats=3,
    accuracy_patients=100,
    uncached_accuracy_patients=100,
    single_thread_row=True,
    cold_start=True,
    million_patients=1_000_000,
)

QUICK = Settings(
    mode="quick",
    cartsim_patients=2_000,
    cartsim_stiff_patients=1_000,
    cartsim_repeats=3,
    scipy_patients=20,
    roadrunner_patients=200,
    desolve_patients=20,
    peer_repeats=2,
    accuracy_patients=100,
    uncached_accuracy_patients=10,
    single_thread_row=False,
    cold_start=False,
    million_patients=20_000,
    million_skip_after_s=35.0,
)
