"""Facts about the machine and the software versions, for the results file."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("cartsim", "numba", "numpy", "scipy", "xarray", "libroadrunner", "antimony")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision(directory: Path) -> str | None:
    """The commit of the working tree, with ``+dirty`` when it has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=directory, capture_output=True, text=True, check=True
        )
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=directory, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit.stdout.strip() + ("+dirty (src)" if status.stdout.strip() else "")


def numba_threads() -> dict[str, str | int]:
    import numba

    layer: str
    try:
        layer = numba.threading_layer()  # type: ignore[attr-defined]
    except ValueError:  # no parallel region has run yet
        layer = "not initialised"
    return {"threads": numba.get_num_threads(), "threading_layer": layer}


def machine_facts(repository: Path) -> dict[str, object]:
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gib": memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": package_versions(),
        "git": git_revision(repository),
        "numba": numba_threads(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
