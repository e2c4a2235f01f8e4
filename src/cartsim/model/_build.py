"""Turn parsed declarations into validated symbols; every inconsistency is a clear error."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy

from cartsim.errors import ModelError, ModelSyntaxError, did_you_mean

from ._symbols import IIV, Intermediate, Parameter, ResidualError, State
from ._syntax import TIME, AnnotationValue, Declaration, NameUse

_COMMON_KEYS = {"unit", "description", "source", "symbol"}
ALLOWED_KEYS = {
    "parameter": _COMMON_KEYS | {"lower", "upper", "omega", "omega2"},
    "intermediate": _COMMON_KEYS | {"observable", "error", "error_sd"},
    "state": _COMMON_KEYS | {"dose", "nonnegative", "extinction", "stochastic_below", "cell_amount"},
    "header": {"name", "citation", "description", "time_unit", "method", "dose"},
}
ERROR_KINDS = ("log_additive", "additive", "proportional")


@dataclass(frozen=True)
class Built:
    """Everything a :class:`~cartsim.model.Model` holds, validated."""

    header: dict[str, AnnotationValue]
    parameters: tuple[Parameter, ...]
    states: tuple[State, ...]
    intermediates: tuple[Intermediate, ...]
    switches: tuple[sympy.Expr, ...]


def build(declarations: Sequence[Declaration]) -> Built:
    """Validate declarations and assemble the model's symbols."""
    header = _header(declarations)
    assigns, derivatives, initials = _group(declarations)
    _check_unique_kinds(assigns, derivatives, initials)
    parameters = {d.name: _parameter(d) for d in assigns.values() if d.literal is not None}
    intermediates = {d.name: _intermediate(d) for d in assigns.values() if d.literal is None}
    _check_uses(declarations, set(parameters) | set(intermediates) | set(derivatives))
    order = _topological_order(intermediates)
    expanded = _expansions(intermediates, order)
    states = tuple(_state(derivatives[name], initials.get(name), expanded, set(parameters)) for name in derivatives)
    switches = _switches(declarations, expanded, set(parameters))
    _check_all_parameters_used(parameters, intermediates, states, switches)
    return Built(
        header=header,
        parameters=tuple(parameters.values()),
        states=states,
        intermediates=tuple(intermediates[name] for name in order),
        switches=switches,
    )


def _header(declarations: Sequence[Declaration]) -> dict[str, AnnotationValue]:
    headers = [d for d in declarations if d.kind == "header"]
    if len(headers) > 1:
        raise ModelSyntaxError("`model(...)` is declared twice", line=headers[1].line)
    if not headers:
        return {}
    notes = _checked_keys(headers[0], "header")
    for key, value in notes.items():
        if not isinstance(value, str) or not value.strip():
            raise ModelSyntaxError(f"model `{key}` must be a non-empty string", line=headers[0].line)
    return notes


def _group(declarations: Sequence[Declaration]) -> tuple[dict[str, Declaration], dict[str, Declaration], dict[str, Declaration]]:
    groups: dict[str, dict[str, Declaration]] = {"assign": {}, "derivative": {}, "initial": {}}
    labels = {"assign": "assigned", "derivative": "given a derivative", "initial": "given an initial value"}
    for declaration in declarations:
        if declaration.kind == "header":
            continue
        group = groups[declaration.kind]
        if declaration.name in group:
            first = group[declaration.name].line
            raise ModelSyntaxError(
                f"`{declaration.name}` is {labels[declaration.kind]} twice (first on line {first})", line=declaration.line
            )
        group[declaration.name] = declaration
    return groups["assign"], groups["derivative"], groups["initial"]


def _check_unique_kinds(
    assigns: dict[str, Declaration], derivatives: dict[str, Declaration], initials: dict[str, Declaration]
) -> None:
    for name, declaration in assigns.items():
        if name in derivatives:
            raise ModelSyntaxError(
                f"`{name}` is declared both as a state (line {derivatives[name].line}) and by `{name} = ...`",
                line=declaration.line,
            )
    for name, declaration in initials.items():
        if name not in derivatives:
            raise ModelError(
                f"line {declaration.line}: state `{name}` has an initial value but no derivative; add `d/dt({name}) = ...`"
            )
    if not derivatives:
        raise ModelError("the model declares no state: add at least one `d/dt(state) = expression`")


def _checked_keys(declaration: Declaration, kind: str) -> dict[str, AnnotationValue]:
    allowed = ALLOWED_KEYS[kind]
    for key in declaration.annotations:
        if key not in allowed:
            suggestion = did_you_mean(key, allowed, code=True)
            raise ModelSyntaxError(
                f"unknown annotation `{key}` for a {kind}; allowed: {', '.join(sorted(allowed))}.{suggestion}",
                line=declaration.line,
            )
    return dict(declaration.annotations)


def _string(notes: dict[str, AnnotationValue], key: str, line: int) -> str:
    value = notes.get(key, "")
    if not isinstance(value, str):
        raise ModelSyntaxError(f"`{key}` must be a quoted string, got {value!r}", line=line)
    return value


def _number(notes: dict[str, AnnotationValue], key: str, line: int, default: float) -> float:
    value = notes.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelSyntaxError(f"`{key}` must be a number, got {value!r}", line=line)
    if math.isnan(value):
        raise ModelSyntaxError(f"`{key}` must be a number, got NaN", line=line)
    return float(value)


def _flag(notes: dict[str, AnnotationValue], key: str, line: int, default: bool) -> bool:
    value = notes.get(key, default)
    if not isinstance(value, bool):
        raise ModelSyntaxError(f"`{key}` must be True or False, got {value!r}", line=line)
    return value


def _parameter(declaration: Declaration) -> Parameter:
    notes = _checked_keys(declaration, "parameter")
    line = declaration.line
    assert declaration.literal is not None
    iiv = _iiv(notes, declaration)
    # A log-normal parameter is positive, so its lower bound defaults to zero.
    lower = _number(notes, "lower", line, 0.0 if iiv is not None else -math.inf)
    upper = _number(notes, "upper", line, math.inf)
    unit = _string(notes, "unit", line)
    if lower >= upper:
        raise ModelSyntaxError(f"`{declaration.name}`: lower bound {lower:g} is not below upper bound {upper:g}", line=line)
    parameter = Parameter(
        name=declaration.name,
        default=declaration.literal,
        unit=unit,
        lower=lower,
        upper=upper,
        iiv=iiv,
        description=_string(notes, "description", line),
        source=_string(notes, "source", line),
        symbol=_string(notes, "symbol", line),
        line=line,
    )
    if parameter.iiv is not None and (parameter.default <= 0 or lower < 0):
        raise ModelSyntaxError(
            f"`{declaration.name}` has log-normal IIV, so its default and lower bound must be positive "
            f"(default {parameter.default:g} {unit}, lower {lower:g})",
            line=line,
        )
    try:
        parameter.check(parameter.default, what="default")
    except ValueError as error:
        raise ModelSyntaxError(str(error), line=line) from None
    return parameter


def _iiv(notes: dict[str, AnnotationValue], declaration: Declaration) -> IIV | None:
    line = declaration.line
    if "omega" in notes and "omega2" in notes:
        raise ModelSyntaxError(
            f"`{declaration.name}`: give either `omega` (SD of eta) or `omega2` (variance of eta), not both", line=line
        )
    for key in ("omega", "omega2"):
        if key in notes:
            value = _number(notes, key, line, 0.0)
            if not math.isfinite(value) or value < 0:
                raise ModelSyntaxError(f"`{declaration.name}`: `{key}` must be a finite number >= 0, got {value!r}", line=line)
            variance = value**2 if key == "omega" else value
            return IIV(variance=variance, reported_as="omega" if key == "omega" else "omega2")
    return None


def _intermediate(declaration: Declaration) -> Intermediate:
    notes = _checked_keys(declaration, "intermediate")
    line = declaration.line
    observable = _flag(notes, "observable", line, False)
    error: ResidualError | None = None
    if "error" in notes or "error_sd" in notes:
        kind = notes.get("error")
        if kind not in ERROR_KINDS:
            raise ModelSyntaxError(f"`error` must be one of {', '.join(ERROR_KINDS)}, got {kind!r}", line=line)
        sd = _number(notes, "error_sd", line, math.nan) if "error_sd" in notes else math.nan
        if not math.isfinite(sd) or sd < 0:
            raise ModelSyntaxError("`error_sd` must be given with `error`, as a finite number >= 0", line=line)
        if not observable:
            raise ModelSyntaxError("a residual `error` is declared only on an observable (add `observable=True`)", line=line)
        error = ResidualError(kind=kind, sd=sd)  # type: ignore[arg-type]
    assert declaration.expr is not None
    return Intermediate(
        name=declaration.name,
        expr=declaration.expr,
        unit=_string(notes, "unit", line),
        description=_string(notes, "description", line),
        symbol=_string(notes, "symbol", line),
        observable=observable,
        error=error,
        source=_string(notes, "source", line),
        line=line,
    )


def _state(derivative: Declaration, initial: Declaration | None, expanded: dict[str, sympy.Expr], parameters: set[str]) -> State:
    notes = _checked_keys(derivative, "state")
    if initial is not None:
        for key, value in _checked_keys(initial, "state").items():
            if key in notes:
                raise ModelSyntaxError(f"`{key}` of state `{derivative.name}` is annotated twice", line=initial.line)
            notes[key] = value
    line = derivative.line
    initial_expr = sympy.Integer(0) if initial is None or initial.expr is None else initial.expr
    initial_expr = _substitute(initial_expr, expanded)
    bad = sorted(str(s) for s in initial_expr.free_symbols if str(s) not in parameters)
    if bad:
        assert initial is not None
        raise ModelError(
            f"line {initial.line}: the initial value of `{derivative.name}` may use only parameters, "
            f"not {', '.join(f'`{b}`' for b in bad)}"
        )
    extinction = None
    if "extinction" in notes:
        extinction = _number(notes, "extinction", line, math.nan)
        if not math.isfinite(extinction) or extinction <= 0:
            raise ModelSyntaxError(f"`extinction` must be a finite number > 0, got {extinction!r}", line=line)
    stochastic_below, cell_amount = _stochastic(notes, line)
    if stochastic_below is not None and extinction is not None:
        raise ModelSyntaxError(
            f"state `{derivative.name}` declares both `extinction` and `stochastic_below`; in the stochastic "
            "mode a state becomes extinct at zero cells, so give only `stochastic_below`",
            line=line,
        )
    if stochastic_below is not None and not _flag(notes, "nonnegative", line, True):
        raise ModelSyntaxError(
            f"state `{derivative.name}` counts cells below `stochastic_below`, so it cannot be `nonnegative=False`", line=line
        )
    assert derivative.expr is not None
    return State(
        name=derivative.name,
        unit=_string(notes, "unit", line),
        initial=initial_expr,
        derivative=derivative.expr,
        description=_string(notes, "description", line),
        symbol=_string(notes, "symbol", line),
        dosable=_flag(notes, "dose", line, True),
        nonnegative=_flag(notes, "nonnegative", line, True),
        extinction=extinction,
        stochastic_below=stochastic_below,
        cell_amount=cell_amount,
        source=_string(notes, "source", line),
        line=line,
    )


def _stochastic(notes: dict[str, AnnotationValue], line: int) -> tuple[float | None, float]:
    """``stochastic_below`` and ``cell_amount``: both finite and > 0, the level at least one cell."""
    if "stochastic_below" not in notes:
        if "cell_amount" in notes:
            raise ModelSyntaxError("`cell_amount` is used only with `stochastic_below`", line=line)
        return None, 1.0
    level = _number(notes, "stochastic_below", line, math.nan)
    cell = _number(notes, "cell_amount", line, 1.0)
    for key, value in (("stochastic_below", level), ("cell_amount", cell)):
        if not math.isfinite(value) or value <= 0:
            raise ModelSyntaxError(f"`{key}` must be a finite number > 0, got {value!r}", line=line)
    if level < cell:
        raise ModelSyntaxError(
            f"`stochastic_below` ({level:g}) must be at least one cell (`cell_amount` = {cell:g}) in the state's unit",
            line=line,
        )
    if level / cell > 1e9:
        raise ModelSyntaxError(
            f"`stochastic_below` is {level / cell:.3g} cells; the stochastic mode is for small counts (at most 1e9)", line=line
        )
    return level, cell


def _check_uses(declarations: Iterable[Declaration], known: set[str]) -> None:
    for declaration in declarations:
        for use in declaration.uses:
            if use.name != TIME and use.name not in known:
                raise ModelError(_unknown(use, known))
        if declaration.kind == "initial" and any(use.name == TIME for use in declaration.uses):
            raise ModelError(f"line {declaration.line}: the initial value of `{declaration.name}` cannot depend on `t`")


def _unknown(use: NameUse, known: set[str]) -> str:
    suggestion = did_you_mean(use.name, known, code=True)
    return (
        f"line {use.line}, column {use.column}: unknown symbol `{use.name}`; it is not a parameter, "
        f"intermediate or state of this model.{suggestion}"
    )


def _topological_order(intermediates: dict[str, Intermediate]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise ModelError(f"intermediates depend on each other in a cycle: {cycle}")
        state[name] = 1
        for symbol in sorted(str(s) for s in intermediates[name].expr.free_symbols):
            if symbol in intermediates:
                visit(symbol, [*path, name])
        state[name] = 2
        order.append(name)

    for name in sorted(intermediates, key=lambda n: intermediates[n].line):
        visit(name, [])
    return order


def _expansions(intermediates: dict[str, Intermediate], order: list[str]) -> dict[str, sympy.Expr]:
    """Each intermediate written in terms of parameters, states and time only."""
    expanded: dict[str, sympy.Expr] = {}
    for name in order:
        expanded[name] = _substitute(intermediates[name].expr, expanded)
    return expanded


def _substitute(expr: sympy.Expr, expanded: dict[str, sympy.Expr]) -> sympy.Expr:
    mapping = {sympy.Symbol(name, real=True): value for name, value in expanded.items()}
    return expr.xreplace(mapping) if mapping else expr


def _switches(
    declarations: Iterable[Declaration], expanded: dict[str, sympy.Expr], parameters: set[str]
) -> tuple[sympy.Expr, ...]:
    thresholds: list[sympy.Expr] = []
    for declaration in declarations:
        for switch in declaration.switches:
            threshold = _substitute(switch.threshold, expanded)
            bad = sorted(str(s) for s in threshold.free_symbols if str(s) not in parameters)
            if bad:
                raise ModelError(
                    f"line {switch.line}, column {switch.column}: a switch time compared with `t` may use only "
                    f"parameters, so the engine can stop exactly there; it uses {', '.join(f'`{b}`' for b in bad)}"
                )
            if threshold not in thresholds:
                thresholds.append(threshold)
    return tuple(thresholds)


def _check_all_parameters_used(
    parameters: dict[str, Parameter],
    intermediates: dict[str, Intermediate],
    states: tuple[State, ...],
    switches: tuple[sympy.Expr, ...],
) -> None:
    used: set[str] = set()
    for expr in [
        *(i.expr for i in intermediates.values()),
        *(s.derivative for s in states),
        *(s.initial for s in states),
        *switches,
    ]:
        used |= {str(symbol) for symbol in expr.free_symbols}
    for name, parameter in parameters.items():
        if name not in used:
            raise ModelError(f"line {parameter.line}: parameter `{name}` is never used; remove it or use it")
