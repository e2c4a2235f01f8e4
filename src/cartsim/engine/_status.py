"""Per-patient integration status: names and what to do about each."""

from __future__ import annotations

import numpy as np

from ._codes import MAX_STEPS, NEGATIVE_STATE, NON_FINITE, OK, STEP_TOO_SMALL

STATUS_NAMES: dict[int, str] = {
    OK: "ok",
    MAX_STEPS: "max_steps",
    NON_FINITE: "non_finite",
    NEGATIVE_STATE: "negative_state",
    STEP_TOO_SMALL: "step_too_small",
}

STATUS_MESSAGES: dict[str, str] = {
    "ok": "integrated to the last output time",
    "max_steps": "the maximum number of solver steps was reached; raise `max_steps`, or the model may be stiff",
    "non_finite": "a state or derivative became NaN or infinite (division by zero, overflow or a NaN parameter)",
    "negative_state": "a non-negative state fell below -10 x atol; tighten the tolerances or check the model",
    "step_too_small": "the step size fell below machine precision (a singularity or extreme stiffness)",
}


def status_name(code: int) -> str:
    """The name of a kernel status code."""
    return STATUS_NAMES[int(code)]


def status_names(codes: np.ndarray) -> np.ndarray:
    """The names of many kernel status codes at once (an object array of str)."""
    table = np.array([STATUS_NAMES.get(code, "") for code in range(max(STATUS_NAMES) + 1)], dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= table.size or (table[codes] == "").any()):
        unknown = sorted({int(c) for c in codes if int(c) not in STATUS_NAMES})
        raise KeyError(f"unknown status code(s) {unknown}")
    names: np.ndarray = table[codes]
    return names
