"""Wall-clock timing (best of N), peak memory, and child processes with their own peak memory."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Best wall time and best CPU time (all threads of this process) over the repeats, in s.

    On a shared machine CPU time is the steadier measure: time spent waiting for a core
    while another process runs is not counted.
    """

    wall: float
    cpu: float


def best_of(call: Callable[[], Any], repeats: int, inspect: Callable[[Any], None] | None = None) -> Timing:
    """The shortest wall and CPU times of ``repeats`` calls: the least disturbed by other load.

    ``inspect`` sees each call's result outside the timed region; the result is then dropped
    before the next call, so at most one result is alive at a time.
    """
    wall = cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = call()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
        if inspect is not None:
            inspect(result)
        del result
    return Timing(wall=wall, cpu=cpu)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """The call's result and its wall time (s)."""
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    On Linux this is ``VmHWM`` of /proc/self/status, the high-water mark of this process's
    own address space. ``ru_maxrss`` is the fallback; in a child process it is useless, since
    it keeps the parent's resident size at the moment of fork/exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: exit code, output and wall time.

    A child reports its own peak memory (see :func:`peak_rss_mb`): the rusage of a child
    started from this (large) process would include this process's resident size at fork.
    """

    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float


def run_child(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 3600.0,
) -> ChildRun:
    """Run ``command`` to completion, capturing its output."""
    start = time.perf_counter()
    process = subprocess.run(
        list(command), capture_output=True, text=True, env=dict(env) if env else None, cwd=cwd, timeout=timeout
    )
    return ChildRun(
        returncode=process.returncode,
        stdout=process.stdout,
        stderr=process.stderr,
        wall_seconds=time.perf_counter() - start,
    )


def failure_message(stderr: str) -> str:
    """The most telling line of a failed child's stderr: its last error line, else its last line."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line.split(":", 1)[0] or line.startswith("Error")]
    return (errors or lines or ["no message"])[-1][:300]
