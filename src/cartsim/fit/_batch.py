"""Batched simulation for fitting: many parameter vectors, one ``cartsim.simulate`` call.

Independent optimisations (subjects, starts, profile points) run in lock step: each runs
scipy's optimiser in its own thread, and its objective hands its parameter vectors (the point
and its finite-difference neighbours) to a :class:`LockStep`, which waits until every running
optimisation has asked, simulates all their vectors in ONE call and hands each its
predictions. The threads only wait; the integration itself runs in the engine's compiled,
parallel code. Each optimisation's path depends only on its own predictions, and the engine
gives each patient the same result whatever the batch, so results do not depend on the
batching or on thread scheduling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cartsim.engine import Dose
from cartsim.model import Model


@dataclass(frozen=True)
class SimulationSettings:
    """Solver settings for the fit's simulations (tight by default: the objective is differenced)."""

    rtol: float = 1e-8
    atol: float | Mapping[str, float] = 1e-10
    method: str | None = None
    max_steps: int = 100_000


@dataclass(frozen=True)
class BatchSimulator:
    """Simulates parameter rows of a model at a fixed time grid and returns the fitted outputs."""

    model: Model
    times: np.ndarray
    outputs: tuple[str, ...]
    settings: SimulationSettings = field(default_factory=SimulationSettings)

    def __call__(self, rows: np.ndarray, schedules: Sequence[tuple[Dose, ...]]) -> np.ndarray:
        """Outputs ``(len(rows), len(outputs), len(times))``.

        NaN for a row whose integration status is not ok, and for a row with a value that is
        not finite or outside the parameter's declared bounds (never simulated).
        """
        from cartsim._simulate import simulate

        lower = np.array([p.lower for p in self.model.parameters])
        upper = np.array([p.upper for p in self.model.parameters])
        valid = np.all(np.isfinite(rows) & (rows >= lower) & (rows <= upper), axis=1)
        values = np.full((len(rows), len(self.outputs), self.times.size), np.nan)
        if not valid.any():
            return values
        chosen = rows[valid]
        params = {name: chosen[:, column] for column, name in enumerate(self.model.parameter_names)}
        result = simulate(
            self.model,
            times=self.times,
            params=params,
            doses=[s for s, v in zip(schedules, valid, strict=True) if v],
            n_patients=len(chosen),
            rtol=self.settings.rtol,
            atol=self.settings.atol,
            method=self.settings.method,
            max_steps=self.settings.max_steps,
            hybrid=False,
        )
        simulated = np.stack([result[name].values for name in self.outputs], axis=1)
        simulated[result["status"].values != "ok"] = np.nan
        values[valid] = simulated
        return values


@dataclass
class _Request:
    rows: np.ndarray
    schedule: tuple[Dose, ...]
    result: np.ndarray | None = None


class LockStep:
    """Gathers the requests of ``n_workers`` threads and simulates them together."""

    def __init__(self, simulator: Callable[[np.ndarray, Sequence[tuple[Dose, ...]]], np.ndarray], n_workers: int):
        self._simulator = simulator
        self._condition = threading.Condition()
        self._pending: dict[int, _Request] = {}
        self._active = n_workers
        self._error: BaseException | None = None
        self.simulated_vectors = 0
        self.simulate_calls = 0

    def evaluate(self, worker: int, rows: np.ndarray, schedule: tuple[Dose, ...]) -> np.ndarray:
        """Called by a worker thread: block until ``rows`` are simulated, return their outputs."""
        request = _Request(rows, schedule)
        with self._condition:
            self._raise_if_failed()
            self._pending[worker] = request
            self._condition.notify_all()
            while request.result is None and self._error is None:
                self._condition.wait()
            self._raise_if_failed()
        assert request.result is not None
        return request.result

    def finished(self) -> None:
        """Called by a worker thread when its optimisation ends (normally or not)."""
        with self._condition:
            self._active -= 1
            self._condition.notify_all()

    def run(self) -> None:
        """Called by the coordinating thread: serve rounds until every worker has finished."""
        while True:
            with self._condition:
                while self._active > 0 and len(self._pending) < self._active:
                    self._condition.wait()
                if self._active == 0:
                    return
                batch = [self._pending[k] for k in sorted(self._pending)]
                self._pending = {}
            try:
                rows = np.concatenate([r.rows for r in batch])
                schedules = [r.schedule for r in batch for _ in range(len(r.rows))]
                outputs = self._simulator(rows, schedules)
            except BaseException as error:
                with self._condition:
                    self._error = error
                    self._condition.notify_all()
                raise
            self.simulate_calls += 1
            self.simulated_vectors += len(rows)
            with self._condition:
                start = 0
                for request in batch:
                    request.result = outputs[start : start + len(request.rows)]
                    start += len(request.rows)
                self._condition.notify_all()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise RuntimeError("the batched simulation failed in another thread") from self._error


def run_lock_step(
    tasks: Sequence[Callable[[Callable[[np.ndarray, tuple[Dose, ...]], np.ndarray]], object]],
    simulator: Callable[[np.ndarray, Sequence[tuple[Dose, ...]]], np.ndarray],
) -> tuple[list[object], LockStep]:
    """Run each task in its own thread with an ``evaluate(rows, schedule)`` that is batched.

    Returns the tasks' results in order (an exception in a task is re-raised here).
    """
    lock_step = LockStep(simulator, len(tasks))
    results: list[object] = [None] * len(tasks)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            results[index] = tasks[index](lambda rows, schedule: lock_step.evaluate(index, rows, schedule))
        except BaseException as error:
            errors.append(error)
        finally:
            lock_step.finished()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    try:
        lock_step.run()
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return results, lock_step
