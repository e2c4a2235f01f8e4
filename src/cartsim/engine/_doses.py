"""Doses: immutable bolus events into a state, and their packing for the kernel."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cartsim.errors import DoseError, ModelError
from cartsim.model import Model

DoseMode = Literal["add", "set"]


@dataclass(frozen=True)
class Dose:
    """A bolus into ``state`` at ``time`` (days); ``amount`` is in the state's unit.

    ``mode="add"`` adds the amount (an infusion, a tumour rechallenge); ``mode="set"``
    replaces the state's value (a reset such as re-lymphodepletion). Doses at the same
    time are applied together: resets first, then additions, which add up.
    """

    state: str
    amount: float
    time: float = 0.0
    mode: DoseMode = "add"

    def __post_init__(self) -> None:
        if not isinstance(self.state, str) or not self.state:
            raise DoseError(f"dose `state` must be a state name, got {self.state!r}")
        for field, value in (("amount", self.amount), ("time", self.time)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise DoseError(f"dose `{field}` must be a finite number, got {value!r}")
        if self.amount < 0:
            raise DoseError(f"dose `amount` must be >= 0 (in the unit of state {self.state!r}), got {self.amount!r}")
        if self.mode not in ("add", "set"):
            raise DoseError(f"dose `mode` must be 'add' or 'set', got {self.mode!r}")

    @classmethod
    def split(cls, state: str, total: float, *, times: Sequence[float], fractions: Sequence[float]) -> tuple[Dose, ...]:
        """A total dose given in fractions, e.g. 10/30/60 % on days 0/1/2 (Hardiansyah 2019)."""
        if len(times) != len(fractions) or not times:
            raise DoseError(f"split dose needs as many times as fractions, got {len(times)} times and {len(fractions)} fractions")
        if any(not math.isfinite(f) or f < 0 for f in fractions):
            raise DoseError(f"split dose fractions must be finite and >= 0, got {list(fractions)}")
        if abs(math.fsum(fractions) - 1.0) > 1e-9:
            raise DoseError(f"split dose fractions must add up to 1, they add up to {math.fsum(fractions):.12g}")
        return tuple(cls(state, total * f, time) for time, f in zip(times, fractions, strict=True))

    @classmethod
    def repeated(cls, state: str, amount: float, *, interval: float, count: int, start: float = 0.0) -> tuple[Dose, ...]:
        """``count`` equal doses every ``interval`` days from ``start``."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise DoseError(f"repeated dose `count` must be an integer >= 1, got {count!r}")
        if not math.isfinite(interval) or interval <= 0:
            raise DoseError(f"repeated dose `interval` must be > 0 days, got {interval!r}")
        return tuple(cls(state, amount, start + i * interval) for i in range(count))


DoseInput = Dose | Sequence[Dose] | Sequence[Sequence[Dose]] | None


def per_patient_doses(doses: DoseInput, n_patients: int) -> list[tuple[Dose, ...]]:
    """Normalise the ``doses`` argument to one schedule per patient."""
    if doses is None:
        return [()] * n_patients
    if isinstance(doses, Dose):
        return [(doses,)] * n_patients
    items = list(doses)
    if all(isinstance(item, Dose) for item in items):
        return [tuple(items)] * n_patients  # type: ignore[arg-type]
    if any(isinstance(item, Dose) for item in items):
        raise DoseError("`doses` mixes single doses and per-patient schedules; give one or the other")
    if len(items) != n_patients:
        raise DoseError(f"per-patient `doses` has {len(items)} schedules for {n_patients} patients")
    schedules: list[tuple[Dose, ...]] = []
    for index, item in enumerate(items):
        schedule = tuple(item) if isinstance(item, Sequence) else ()
        if not isinstance(item, Sequence) or not all(isinstance(d, Dose) for d in schedule):
            raise DoseError(f"the dose schedule of patient {index} must be a sequence of Dose objects")
        schedules.append(schedule)
    return schedules


def check_doses(model: Model, schedules: Sequence[tuple[Dose, ...]], start: float, end: float) -> None:
    """Reject doses into unknown or non-dosable states, or outside the simulated time span."""
    dosable = [s.name for s in model.states if s.dosable]
    tolerance = 1e-10 * max(1.0, abs(start), abs(end))
    for schedule in {s for s in schedules}:
        for dose in schedule:
            try:
                state = model.state(dose.state)
            except ModelError as error:
                raise DoseError(f"dose into an unknown state: {error}") from None
            if not state.dosable:
                hint = f"states that accept doses: {', '.join(dosable)}" if dosable else "it accepts no doses at all"
                raise DoseError(f"model {model.name!r} does not accept doses into state {state.name!r}; {hint}")
            if dose.time < start - tolerance or dose.time > end + tolerance:
                raise DoseError(
                    f"dose into {dose.state!r} at t = {dose.time:g} day is outside the simulated span "
                    f"[{start:g}, {end:g}] day; extend `times` or move the dose"
                )


def pack_doses(model: Model, schedules: Sequence[tuple[Dose, ...]]) -> tuple[np.ndarray, ...]:
    """Doses as flat arrays sorted by time within each patient, with per-patient offsets.

    Each distinct schedule is sorted once and the patients' rows are gathered with numpy:
    a population shares a few schedules, and a Python loop per patient and dose cost more
    than integrating a patient's year.
    """
    index = {name: i for i, name in enumerate(model.state_names)}
    distinct: dict[tuple[Dose, ...], int] = {}
    everyone = list(schedules)
    if everyone and everyone.count(everyone[0]) == len(everyone):
        # One schedule for all (the usual case): list.count compares in C, identity first.
        distinct[everyone[0]] = 0
        which = np.zeros(len(everyone), dtype=np.int64)
    else:
        which = np.fromiter((distinct.setdefault(s, len(distinct)) for s in everyone), dtype=np.int64, count=len(everyone))
    tables = [sorted((d.time, index[d.state], float(d.amount), d.mode == "set") for d in s) for s in distinct]
    table_rows = [row for table in tables for row in table]
    table_start = np.zeros(len(tables) + 1, dtype=np.int64)
    np.cumsum([len(table) for table in tables], out=table_start[1:])
    counts = np.diff(table_start)[which]
    starts = np.zeros(len(schedules) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    # Row r of the result is row (r - starts[p]) of patient p's table.
    gather = np.repeat(table_start[which] - starts[:-1], counts) + np.arange(starts[-1], dtype=np.int64)
    times = np.array([r[0] for r in table_rows], dtype=float)[gather]
    states = np.array([r[1] for r in table_rows], dtype=np.int64)[gather]
    amounts = np.array([r[2] for r in table_rows], dtype=float)[gather]
    resets = np.array([r[3] for r in table_rows], dtype=np.bool_)[gather]
    return starts, times, states, amounts, resets
