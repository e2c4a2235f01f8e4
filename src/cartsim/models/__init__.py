"""The library of published CAR-T models, one module per paper (named AuthorYear).

``get(name)`` returns a library model; ``names()`` lists them. Every model's module holds its
text in the model language, its citation, and its validation numbers in the docstring.
"""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module

from cartsim._citations import record
from cartsim.errors import ModelError, did_you_mean
from cartsim.model import Model, parse_model

from ._scenario import ReferencePoint, Scenario

# Every public module of this package is a library model: adding a file adds a model.
_MODULES = tuple(sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")))


def names() -> tuple[str, ...]:
    """Names of the library models."""
    return _MODULES


@cache
def get(name: str) -> Model:
    """The library model called ``name`` (e.g. ``"stein2019"``)."""
    if name not in _MODULES:
        raise ModelError(f"no library model {name!r}; available: {', '.join(_MODULES)}.{did_you_mean(name, _MODULES)}")
    module = import_module(f"{__name__}.{name}")
    model = parse_model(module.TEXT, name=name)
    record(model)
    return model


def summary(name: str) -> str:
    """The first line of the model module's docstring."""
    module = import_module(f"{__name__}.{name}")
    return (module.__doc__ or name).strip().splitlines()[0]


def scenarios(name: str) -> dict[str, Scenario]:
    """The published set-ups of library model ``name`` (the first is its reference curve)."""
    get(name)  # a clear error for unknown names
    module = import_module(f"{__name__}.{name}")
    return dict(getattr(module, "SCENARIOS", {}))


def resolve(model: Model | str) -> Model:
    """A model object from a model or a library name."""
    if isinstance(model, Model):
        return model
    if isinstance(model, str):
        return get(model)
    raise ModelError(f"`model` must be a Model or a library model name, got {type(model).__name__}")


__all__ = ["ReferencePoint", "Scenario", "get", "names", "resolve", "scenarios", "summary"]
