"""The immutable :class:`Model` and the functions that make one from text."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import sympy

from cartsim.errors import ModelError, ModelSyntaxError, ParameterError, did_you_mean

from ._build import build
from ._symbols import Intermediate, Parameter, State
from ._syntax import SWITCH_TIME, TIME, parse_text

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Model:
    """An ODE model: parameters, states, intermediates and observables, validated.

    Build one with :func:`parse_model` (from text) or :func:`load_model` (from a file), or
    take one from the library with :func:`cartsim.models.get`. A model never changes; use
    :meth:`with_defaults` for a copy with other typical parameter values.
    """

    name: str
    parameters: tuple[Parameter, ...]
    states: tuple[State, ...]
    intermediates: tuple[Intermediate, ...]
    #: Switch times (expressions of parameters) at which the engine must stop exactly.
    switches: tuple[sympy.Expr, ...]
    citation: str = ""
    description: str = ""
    time_unit: str = "day"
    #: The integration method used when ``simulate`` is not told one.
    method: str = "auto"
    #: Where the CAR-T dose goes: a dosable state (doses are bolus events into it) or a
    #: parameter (the dose is an initial condition, as in Kimmel 2021); "" when undeclared.
    dose: str = ""
    text: str = ""

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def observables(self) -> tuple[Intermediate, ...]:
        return tuple(i for i in self.intermediates if i.observable)

    @property
    def observable_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.observables)

    @property
    def defaults(self) -> np.ndarray:
        """Typical parameter values, in declaration order (units as declared)."""
        return np.array([p.default for p in self.parameters], dtype=float)

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; a clear error with a suggestion otherwise."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise ParameterError(_unknown("parameter", name, self.name, self.parameter_names))

    def state(self, name: str) -> State:
        """The state called ``name``; a clear error with a suggestion otherwise."""
        for state in self.states:
            if state.name == name:
                return state
        raise ModelError(_unknown("state", name, self.name, self.state_names))

    def with_defaults(self, **values: float) -> Model:
        """A copy of the model with other typical values, each checked against its bounds."""
        replaced = []
        for parameter in self.parameters:
            if parameter.name in values:
                value = float(values[parameter.name])
                try:
                    parameter.check(value)
                except ValueError as error:
                    raise ParameterError(str(error)) from None
                parameter = dataclasses.replace(parameter, default=value)
            replaced.append(parameter)
        for name in values:
            self.parameter(name)  # raises for unknown names
        return dataclasses.replace(self, parameters=tuple(replaced))

    def parameter_table(self) -> pd.DataFrame:
        """One row per parameter: default, unit, bounds, IIV, paper symbol, meaning, source."""
        import pandas as pd

        rows = [
            {
                "name": p.name,
                "default": p.default,
                "unit": p.unit,
                "lower": p.lower,
                "upper": p.upper,
                "iiv_omega2": p.iiv.variance if p.iiv else math.nan,
                "iiv_reported_as": p.iiv.reported_as if p.iiv else "",
                "symbol": p.symbol,
                "description": p.description,
                "source": p.source,
            }
            for p in self.parameters
        ]
        return pd.DataFrame(rows).set_index("name")

    def latex(self) -> str:
        """The model's equations as a LaTeX ``aligned`` block (intermediates expanded inline)."""
        names = {SWITCH_TIME: "t", sympy.Symbol(TIME, real=True): "t"}
        declared: list[Parameter | State | Intermediate] = [*self.parameters, *self.states, *self.intermediates]
        for symbol in declared:
            names[sympy.Symbol(symbol.name, real=True)] = r"\mathrm{" + symbol.name.replace("_", r"\_") + "}"

        def tex(expr: sympy.Expr) -> str:
            return str(sympy.latex(expr, symbol_names=names))

        lines = [f"{names[sympy.Symbol(i.name, real=True)]} &= {tex(i.expr)}" for i in self.intermediates]
        for state in self.states:
            name = names[sympy.Symbol(state.name, real=True)]
            lines.append(rf"\frac{{d {name}}}{{dt}} &= {tex(state.derivative)}")
            lines.append(rf"{name}(0) &= {tex(state.initial)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def __str__(self) -> str:
        return (
            f"Model {self.name!r}: {len(self.states)} states ({', '.join(self.state_names)}), "
            f"{len(self.parameters)} parameters, observables: {', '.join(self.observable_names) or 'none'}"
        )


def parse_model(text: str, *, name: str | None = None) -> Model:
    """Build a :class:`Model` from text in the cartsim model language.

    ``name`` overrides the name given in the text's ``model(name=...)`` header. See
    ``docs/model-language.md`` for the format.
    """
    built = build(parse_text(text))
    header = built.header
    model_name = name or str(header.get("name", "")) or "model"
    if not model_name.replace("_", "").isalnum():
        raise ModelSyntaxError(f"model name {model_name!r} may contain only letters, digits and underscores")
    return Model(
        name=model_name,
        parameters=built.parameters,
        states=built.states,
        intermediates=built.intermediates,
        switches=built.switches,
        citation=str(header.get("citation", "")),
        description=str(header.get("description", "")),
        time_unit=str(header.get("time_unit", "day")),
        method=_method(header.get("method", "auto")),
        dose=_dose_target(str(header.get("dose", "")), built.parameters, built.states),
        text=text,
    )


def _dose_target(name: str, parameters: tuple[Parameter, ...], states: tuple[State, ...]) -> str:
    if not name or any(p.name == name for p in parameters):
        return name
    for state in states:
        if state.name == name:
            if not state.dosable:
                raise ModelSyntaxError(f"model `dose` names state {name!r}, which is declared `dose=False`")
            return name
    known = [p.name for p in parameters] + [s.name for s in states]
    raise ModelSyntaxError(f"model `dose` must name a state or a parameter, got {name!r}.{did_you_mean(name, known)}")


def _method(value: object) -> str:
    allowed = ("auto", "explicit", "stiff")
    if value not in allowed:
        raise ModelSyntaxError(f"model `method` must be one of {', '.join(repr(m) for m in allowed)}, got {value!r}")
    return str(value)


def load_model(path: str | Path) -> Model:
    """Read a model file (UTF-8 text in the model language); the file stem is the default name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError(f"model file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ModelError(f"cannot read model file {str(path)!r}: {error}") from None
    built_name = None if "model(" in text else path.stem.replace("-", "_")
    return parse_model(text, name=built_name)


def _unknown(kind: str, name: str, model: str, known: tuple[str, ...]) -> str:
    return f"model {model!r} has no {kind} {name!r}; its {kind}s are: {', '.join(known) or 'none'}.{did_you_mean(name, known)}"
