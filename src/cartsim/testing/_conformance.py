"""``check_model``: the conformance check every library model passes (and user models may).

Each check has a name so that a model whose published form breaks one on purpose can be
exempted with a stated reason (Singh 2021's marrow seed grows without a dose).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import numpy as np

from cartsim.engine._solve import DEFAULT_ATOL, NEGATIVE_STATE_FACTOR
from cartsim.model import Intermediate, Model, Parameter, State

#: The checks, in the order they run.
CHECKS = ("units", "provenance", "bounds", "citation", "latex", "simulation", "zero_dose")
#: Patients and horizon of the short simulation check.
CHECK_PATIENTS = 100
CHECK_DAYS = 28
CHECK_SEED = 2026


class ModelCheckError(AssertionError):
    """A model failed :func:`check_model`; the message lists every failed check."""


def check_model(model: Model, *, skip: Mapping[str, str] | None = None) -> None:
    """Check that ``model`` is fit for the library; raise :class:`ModelCheckError` listing
    every failure.

    - ``units``: every parameter, state and observable declares a unit;
    - ``provenance``: every parameter has a description and a source;
    - ``bounds``: typical values lie within their bounds; parameters with IIV are positive;
    - ``citation``: the model header names its source;
    - ``latex``: every line of :meth:`Model.latex` renders with matplotlib's mathtext;
    - ``simulation``: 100 patients (IIV draws when the model has IIV) over 28 days, daily,
      all end ``ok`` with finite values and no non-negative state below -10 x atol;
    - ``zero_dose``: with the declared ``dose`` at zero (the parameter set to 0, or no dose
      events into the state), the dose target stays exactly zero.

    ``skip`` maps a check's name to the reason it does not apply; a reason is required.
    """
    skipped = dict(skip or {})
    for name, reason in skipped.items():
        if name not in CHECKS:
            raise ValueError(f"unknown check {name!r}; the checks are {', '.join(CHECKS)}")
        if not str(reason).strip():
            raise ValueError(f"skipping check {name!r} needs a reason")
    runners: dict[str, Callable[[Model], list[str]]] = {
        "units": _units,
        "provenance": _provenance,
        "bounds": _bounds,
        "citation": _citation,
        "latex": _latex,
        "simulation": _simulation,
        "zero_dose": _zero_dose,
    }
    failures = [f"{name}: {problem}" for name in CHECKS if name not in skipped for problem in runners[name](model)]
    if failures:
        raise ModelCheckError(f"model {model.name!r} fails {len(failures)} check(s):\n  " + "\n  ".join(failures))


def _units(model: Model) -> list[str]:
    symbols: list[Parameter | State | Intermediate] = [*model.parameters, *model.states, *model.observables]
    return [f"{type(s).__name__.lower()} `{s.name}` has no unit" for s in symbols if not s.unit.strip()]


def _provenance(model: Model) -> list[str]:
    problems = [f"parameter `{p.name}` has no description" for p in model.parameters if not p.description.strip()]
    problems += [f"parameter `{p.name}` has no source" for p in model.parameters if not p.source.strip()]
    problems += [f"state `{s.name}` has no description" for s in model.states if not s.description.strip()]
    return problems


def _bounds(model: Model) -> list[str]:
    problems = []
    for p in model.parameters:
        if not (p.lower <= p.default <= p.upper):
            problems.append(f"parameter `{p.name}` = {p.default:g} is outside [{p.lower:g}, {p.upper:g}] {p.unit}")
        if p.iiv is not None and not p.default > 0:
            problems.append(f"parameter `{p.name}` has IIV but a typical value {p.default:g} <= 0")
    return problems


def _citation(model: Model) -> list[str]:
    return [] if model.citation.strip() else ["the model header has no `citation`"]


def _latex(model: Model) -> list[str]:
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    body = model.latex().removeprefix("\\begin{aligned}\n").removesuffix("\n\\end{aligned}")
    problems = []
    for line in body.split(" \\\\\n"):
        try:
            parser.parse(f"${_mathtext(line)}$")
        except ValueError as error:
            problems.append(f"LaTeX line does not render ({str(error).splitlines()[0]}): {line[:120]}")
    return problems


def _mathtext(line: str) -> str:
    """Mathtext has no environments: write ``cases`` as "a if c; b otherwise" and drop ``&``."""

    def cases(match: re.Match[str]) -> str:
        rows = [row.replace("&", r"\ ") for row in match.group(1).split(r"\\")]
        return r"\left\{" + r";\ ".join(rows) + r"\right."

    line = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}", cases, line, flags=re.S)
    return line.replace("&", "").replace(r"\text{", r"\mathrm{")


def _simulation(model: Model) -> list[str]:
    from cartsim import simulate

    has_iiv = any(p.iiv is not None for p in model.parameters)
    result = simulate(
        model,
        times=np.arange(CHECK_DAYS + 1, dtype=float),
        n_patients=CHECK_PATIENTS,
        seed=CHECK_SEED if has_iiv else None,
    )
    problems = []
    failed = result["status"].values != "ok"
    if failed.any():
        first = int(np.flatnonzero(failed)[0])
        problems.append(
            f"{int(failed.sum())} of {CHECK_PATIENTS} patients did not end ok (patient {first}: "
            f"{result['status'].values[first]} at {float(result['status_time'].values[first]):g} day)"
        )
    for name in [*model.state_names, *model.observable_names]:
        if not np.isfinite(result[name].values[~failed]).all():
            problems.append(f"`{name}` is not finite for a patient marked ok")
    for state in model.states:
        if state.nonnegative:
            lowest = float(np.min(result[state.name].values[~failed], initial=math.inf))
            if lowest < -NEGATIVE_STATE_FACTOR * DEFAULT_ATOL:
                problems.append(f"state `{state.name}` goes down to {lowest:g} {state.unit}")
    return problems


def _zero_dose(model: Model) -> list[str]:
    from cartsim import simulate

    if not model.dose:
        return []
    times = np.arange(CHECK_DAYS + 1, dtype=float)
    if model.dose in model.parameter_names:
        parameter = model.parameter(model.dose)
        if parameter.lower > 0:
            return [f"the dose parameter `{model.dose}` cannot be 0 (lower bound {parameter.lower:g})"]
        result = simulate(model, times=times, params={model.dose: 0.0})
        targets = [s.name for s in model.states if sympy_uses(s.initial, model.dose)]
    else:
        result = simulate(model, times=times)
        targets = [model.dose]
    problems = []
    for name in targets:
        values = result[name].values
        if not np.all(values == 0.0):
            worst = float(np.nanmax(np.abs(values)))
            problems.append(f"with a zero dose `{name}` does not stay at 0 (reaches {worst:g} {model.state(name).unit})")
    if not targets:
        problems.append(f"no state's initial value uses the dose parameter `{model.dose}`")
    return problems


def sympy_uses(expr: object, name: str) -> bool:
    """Whether a sympy expression mentions the symbol called ``name``."""
    return any(str(symbol) == name for symbol in getattr(expr, "free_symbols", ()))
