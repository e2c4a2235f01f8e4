"""Which sources a script or notebook used: ``cartsim.print_citations()``.

Every model that is simulated, and every library model that is loaded, is recorded for the
life of the Python process, so a notebook can end with the references it relied on.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ._version import __version__
from .model import Model

#: cartsim itself, cited as software.
CARTSIM_CITATION = f"cartsim {__version__}: in-silico CAR-T cell therapy (open-source Python package)."

_used: dict[str, str] = {}


def record(model: Model) -> None:
    """Note that ``model`` was used (its citation, or that it has none)."""
    _used.setdefault(model.name, model.citation or f"model {model.name!r}: no citation declared")


def citations() -> list[str]:
    """cartsim, then the source of every model used so far in this process, in order of first use."""
    return [CARTSIM_CITATION, *(_used[name] for name in _used)]


def print_citations(file: TextIO | None = None) -> None:
    """Print the references of cartsim and of every model this process has used."""
    stream = file or sys.stdout
    for number, text in enumerate(citations(), start=1):
        print(f"[{number}] {text}", file=stream)
