"""Per-patient integration status: names and what to do about each."""

from __future__ import annotations

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
