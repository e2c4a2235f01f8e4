"""Per-patient endpoints (peak and AUC of each state) and the relative error between engines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Endpoints whose reference value is below this are left out of the relative error. It is
#: 1000 x atol (1e-9): below it a value is dominated by the absolute tolerance and a relative
#: error says nothing about the solver. (In cart6 every state's peak and AUC is far above it.)
RELATIVE_ERROR_FLOOR = 1e-6


@dataclass(frozen=True)
class Endpoints:
    """``peak[patient, state]`` (largest daily value) and ``auc[patient, state]`` (trapezoid, 0-365)."""

    peak: np.ndarray
    auc: np.ndarray


def endpoints(trajectories: np.ndarray, times: np.ndarray) -> Endpoints:
    """Endpoints of ``trajectories[patient, state, time]`` sampled at ``times``."""
    return Endpoints(peak=trajectories.max(axis=2), auc=np.trapezoid(trajectories, times, axis=2))


@dataclass(frozen=True)
class Accuracy:
    """Largest relative error over patients and states, for peaks, AUCs and both."""

    peak: float
    auc: float
    compared: int
    skipped: int
    #: Where the largest error is, e.g. "AUC of il6, patient 17".
    worst_at: str = ""

    @property
    def worst(self) -> float:
        return max(self.peak, self.auc)


def relative_error(
    actual: Endpoints, reference: Endpoints, state_names: list[str], floor: float = RELATIVE_ERROR_FLOOR
) -> Accuracy:
    """Max |actual - reference| / |reference| over endpoints with |reference| >= ``floor``.

    A non-finite actual value (a failed patient) counts as an infinite error.
    """
    errors: list[float] = []
    compared = skipped = 0
    worst, worst_at = -1.0, ""
    for kind, got, expected in (("peak", actual.peak, reference.peak), ("AUC", actual.auc, reference.auc)):
        if got.shape != expected.shape:
            raise ValueError(f"endpoint shapes differ: {got.shape} vs {expected.shape}")
        mask = np.abs(expected) >= floor
        compared += int(mask.sum())
        skipped += int((~mask).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            error = np.where(mask, np.abs(got - expected) / np.abs(expected), 0.0)
        error = np.where(np.isfinite(error), error, np.inf)
        patient, state = np.unravel_index(int(np.argmax(error)), error.shape)
        errors.append(float(error[patient, state]))
        if errors[-1] > worst:
            worst, worst_at = errors[-1], f"{kind} of {state_names[state]}, patient {patient}"
    return Accuracy(peak=errors[0], auc=errors[1], compared=compared, skipped=skipped, worst_at=worst_at)
