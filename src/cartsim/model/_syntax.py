"""Parse the cartsim model language into declarations with sympy expressions.

The text is read line by line. Each line is one of::

    model(name="...", citation="...")          # header: literal keyword values only
    name = expression        | key=value, ...    # parameter (number) or intermediate
    d/dt(state) = expression | key=value, ...    # derivative of a state
    state(0) = expression    | key=value, ...    # initial value of a state

Expressions are parsed with :mod:`ast` and converted node by node against a whitelist;
nothing the user typed is ever evaluated. The annotation after ``|`` is parsed the same
way and may only hold literal values.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Literal

import sympy

from cartsim.errors import ModelSyntaxError

TIME = "t"
#: Symbol that stands for time inside comparisons that switch the equations at a known
#: time (``t < peak_time``). The engine evaluates it at the middle of the current
#: integration segment, so a switch never happens inside a step.
SWITCH_TIME = sympy.Symbol("_switch_time", real=True)

FUNCTIONS: dict[str, tuple[int, int | None]] = {
    # name: (minimum, maximum) number of arguments
    "exp": (1, 1),
    "log": (1, 1),
    "log10": (1, 1),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "pow": (2, 2),
    "piecewise": (3, None),
}
RESERVED = {TIME, "model", *FUNCTIONS}

ALLOWED = (
    "numbers, names, + - * / **, unary minus, "
    + ", ".join(sorted(FUNCTIONS))
    + ", comparisons (< <= > >= == !=), and/or/not, `a if condition else b`"
)

_DERIVATIVE = re.compile(r"^d\s*/\s*dt\s*\(\s*([A-Za-z_]\w*)\s*\)\s*=(?!=)")
_INITIAL = re.compile(r"^([A-Za-z_]\w*)\s*\(\s*0(?:\.0*)?\s*\)\s*=(?!=)")
_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*=(?!=)")

Kind = Literal["header", "assign", "derivative", "initial"]
AnnotationValue = str | float | int | bool


@dataclass(frozen=True)
class NameUse:
    """Where a name is used, for error messages."""

    name: str
    line: int
    column: int


@dataclass(frozen=True)
class Switch:
    """A comparison of time with an expression that does not depend on time or states."""

    threshold: sympy.Expr
    line: int
    column: int


@dataclass(frozen=True)
class Declaration:
    """One parsed line of a model."""

    kind: Kind
    name: str
    line: int
    expr: sympy.Expr | None = None
    #: The value when the right-hand side is a plain (possibly negated) number.
    literal: float | None = None
    annotations: dict[str, AnnotationValue] = field(default_factory=dict)
    uses: tuple[NameUse, ...] = ()
    switches: tuple[Switch, ...] = ()


def parse_text(text: str) -> list[Declaration]:
    """Split model text into declarations; raise :class:`ModelSyntaxError` on bad lines."""
    if not isinstance(text, str):
        raise ModelSyntaxError(f"model text must be a string, got {type(text).__name__}")
    declarations: list[Declaration] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        code, annotation, annotation_column = _split_line(raw, number)
        if not code.strip():
            if annotation is not None:
                # An indented `| key=value` line continues the previous declaration's annotation.
                if not declarations or not raw[:1].isspace() or declarations[-1].kind == "header":
                    raise ModelSyntaxError(
                        "an annotation `| ...` must follow a declaration, on its line or indented on the next", line=number
                    )
                declarations[-1] = _extend(declarations[-1], _parse_annotation(annotation, annotation_column, number), number)
            continue
        if code != code.lstrip():
            raise ModelSyntaxError("declarations must start at the beginning of the line", line=number, column=1)
        declarations.append(_parse_line(code, annotation, annotation_column, number))
    if not declarations:
        raise ModelSyntaxError("the model text is empty: declare at least one `d/dt(state) = ...`")
    return declarations


def _extend(declaration: Declaration, notes: dict[str, AnnotationValue], line: int) -> Declaration:
    for key in notes:
        if key in declaration.annotations:
            raise ModelSyntaxError(f"`{key}` is given twice in the annotation of `{declaration.name}`", line=line)
    return dataclasses.replace(declaration, annotations={**declaration.annotations, **notes})


def _split_line(raw: str, number: int) -> tuple[str, str | None, int]:
    """Cut a trailing comment and split off the ``| annotation`` part, outside strings."""
    quote: str | None = None
    bar = -1
    for index, char in enumerate(raw):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            raw = raw[:index]
            break
        elif char == "|" and bar < 0:
            bar = index
    if quote:
        raise ModelSyntaxError("unterminated string", line=number)
    if bar < 0:
        return raw.rstrip(), None, 0
    return raw[:bar].rstrip(), raw[bar + 1 :], bar + 2


def _parse_line(code: str, annotation: str | None, annotation_column: int, number: int) -> Declaration:
    notes = _parse_annotation(annotation, annotation_column, number) if annotation is not None else {}
    for pattern, kind in ((_DERIVATIVE, "derivative"), (_INITIAL, "initial"), (_ASSIGN, "assign")):
        match = pattern.match(code)
        if match:
            name = match.group(1)
            _check_name(name, number, match.start(1) + 1)
            rhs = code[match.end() :]
            offset = match.end() + (len(rhs) - len(rhs.lstrip()))
            converter = _Converter(number, offset)
            expr, literal = converter.convert_text(rhs.strip())
            return Declaration(
                kind=kind,  # type: ignore[arg-type]
                name=name,
                line=number,
                expr=expr,
                literal=literal,
                annotations=notes,
                uses=tuple(converter.uses),
                switches=tuple(converter.switches),
            )
    if re.match(r"^model\s*\(", code):
        if notes:
            raise ModelSyntaxError("the model(...) header takes no `|` annotation", line=number)
        return Declaration(kind="header", name="model", line=number, annotations=_parse_call_keywords(code, 1, number, "model"))
    raise ModelSyntaxError(
        f"cannot read `{code.strip()}`: expected `name = expression`, `d/dt(state) = expression`, "
        "`state(0) = expression` or `model(name=...)`",
        line=number,
        column=1,
    )


def _check_name(name: str, line: int, column: int) -> None:
    if name in RESERVED:
        raise ModelSyntaxError(f"`{name}` is reserved and cannot be declared", line=line, column=column)
    if name.startswith("_"):
        raise ModelSyntaxError(f"names may not start with an underscore: `{name}`", line=line, column=column)


def _parse_annotation(text: str, column: int, line: int) -> dict[str, AnnotationValue]:
    if not text.strip():
        raise ModelSyntaxError("empty annotation after `|`", line=line, column=column)
    return _parse_call_keywords(f"_({text})", column - 2, line, "annotation")


def _parse_call_keywords(source: str, column: int, line: int, what: str) -> dict[str, AnnotationValue]:
    """Read ``f(key=literal, ...)``: keyword arguments with literal values only."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ModelSyntaxError(
            f"{what} must be `key=value` pairs with literal values: {error.msg}",
            line=line,
            column=column + (error.offset or 1) - 1,
        ) from None
    call = tree.body
    if not isinstance(call, ast.Call) or call.args:
        raise ModelSyntaxError(f"{what} must be `key=value` pairs separated by commas", line=line, column=column)
    values: dict[str, AnnotationValue] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise ModelSyntaxError(f"`**` is not allowed in the {what}", line=line, column=column)
        if keyword.arg in values:
            raise ModelSyntaxError(f"`{keyword.arg}` is given twice in the {what}", line=line, column=column)
        values[keyword.arg] = _literal(keyword.value, line, column + keyword.value.col_offset, keyword.arg)
    return values


def _literal(node: ast.expr, line: int, column: int, key: str) -> AnnotationValue:
    negate = False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        negate, node = True, node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
        value = node.value
        if negate:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ModelSyntaxError(f"`{key}`: only numbers can be negated", line=line, column=column)
            return -value
        return value
    raise ModelSyntaxError(f"`{key}` must be a literal (a number, a quoted string, True or False)", line=line, column=column)


class _Converter:
    """Turn an :mod:`ast` expression into sympy, allowing only whitelisted nodes."""

    def __init__(self, line: int, offset: int):
        self.line = line
        self.offset = offset
        self.uses: list[NameUse] = []
        self.switches: list[Switch] = []

    def error(self, message: str, node: ast.AST | None = None) -> ModelSyntaxError:
        column = self.offset + 1 + (getattr(node, "col_offset", 0) if node is not None else 0)
        return ModelSyntaxError(message, line=self.line, column=column)

    def convert_text(self, text: str) -> tuple[sympy.Expr, float | None]:
        if not text:
            raise self.error("missing expression after `=`")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as error:
            column = self.offset + (error.offset or 1)
            raise ModelSyntaxError(f"invalid expression: {error.msg}", line=self.line, column=column) from None
        literal = self._plain_number(tree.body)
        expr = self.convert(tree.body)
        if _is_condition(expr):
            raise self.error("the expression is a condition, not a number")
        if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan) or not all(
            _fits_float(number) for number in expr.atoms(sympy.Number)
        ):
            raise self.error("the expression is not finite (division by zero or overflow)")
        if expr.has(sympy.I):
            raise self.error("the expression is complex, not real (e.g. the square root or log of a negative number)")
        return expr, literal

    def _plain_number(self, node: ast.expr) -> float | None:
        sign = 1.0
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            node = node.operand
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            try:
                value = sign * float(node.value)
            except OverflowError:  # an integer literal with hundreds of digits
                value = math.inf
            if not math.isfinite(value):
                shown = f"{str(node.value)[:12]}..." if len(str(node.value)) > 15 else repr(node.value)
                raise self.error(f"the value {shown} is not finite as a double-precision number", node)
            return value
        return None

    def convert(self, node: ast.expr) -> sympy.Basic:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp):
            parts = [self._condition(value) for value in node.values]
            return sympy.And(*parts) if isinstance(node.op, ast.And) else sympy.Or(*parts)
        if isinstance(node, ast.IfExp):
            return sympy.Piecewise((self.number(node.body), self._condition(node.test)), (self.number(node.orelse), True))
        raise self.error(f"{_describe(node)} is not allowed; allowed are {ALLOWED}", node)

    def number(self, node: ast.expr) -> sympy.Basic:
        """Convert ``node`` where a number is expected: a condition there is an error."""
        expr = self.convert(node)
        if _is_condition(expr):
            raise self.error(
                "a condition (comparison) is used as a number; write `a if condition else b` or `piecewise(...)`", node
            )
        return expr

    def _constant(self, node: ast.Constant) -> sympy.Basic:
        value = node.value
        if type(value) is int:
            return sympy.Integer(value)
        if type(value) is float:
            if not math.isfinite(value):
                raise self.error(f"the number {value!r} is not finite", node)
            return sympy.Float(value)
        raise self.error(f"the constant {value!r} is not allowed; only numbers are", node)

    def _name(self, node: ast.Name) -> sympy.Basic:
        if node.id.startswith("__") or node.id.startswith("_"):
            raise self.error(f"names starting with an underscore are not allowed: `{node.id}`", node)
        if node.id in FUNCTIONS or node.id == "model":
            raise self.error(f"`{node.id}` is a function; call it as `{node.id}(...)`", node)
        self.uses.append(NameUse(node.id, self.line, self.offset + 1 + node.col_offset))
        return sympy.Symbol(node.id, real=True)

    def _binary(self, node: ast.BinOp) -> sympy.Basic:
        if isinstance(node.op, ast.BitXor):
            raise self.error("`^` is not a power here; write `a ** b` or `pow(a, b)`", node)
        left, right = self.number(node.left), self.number(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.Pow):
            return left**right
        raise self.error(f"the operator {_describe(node.op)} is not allowed; allowed are {ALLOWED}", node)

    def _unary(self, node: ast.UnaryOp) -> sympy.Basic:
        if isinstance(node.op, ast.USub):
            return -self.number(node.operand)
        if isinstance(node.op, ast.UAdd):
            return self.number(node.operand)
        if isinstance(node.op, ast.Not):
            return sympy.Not(self._condition(node.operand))
        raise self.error(f"the operator {_describe(node.op)} is not allowed; allowed are {ALLOWED}", node)

    def _call(self, node: ast.Call) -> sympy.Basic:
        if not isinstance(node.func, ast.Name):
            raise self.error(f"only the functions {', '.join(sorted(FUNCTIONS))} may be called", node)
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.error(f"unknown function `{name}`; allowed functions are {', '.join(sorted(FUNCTIONS))}", node)
        if node.keywords:
            raise self.error(f"`{name}` takes no keyword arguments", node)
        low, high = FUNCTIONS[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            expected = f"{low}" if low == high else f"at least {low}"
            raise self.error(f"`{name}` takes {expected} argument(s), got {count}", node)
        if name == "piecewise":
            return self._piecewise(node)
        args = [self.number(arg) for arg in node.args]
        if name == "exp":
            return sympy.exp(args[0])
        if name == "log":
            return sympy.log(args[0])
        if name == "log10":
            return sympy.log(args[0], 10)
        if name == "sqrt":
            return sympy.sqrt(args[0])
        if name == "abs":
            return sympy.Abs(args[0])
        if name == "min":
            return sympy.Min(*args)
        if name == "max":
            return sympy.Max(*args)
        return args[0] ** args[1]  # pow

    def _piecewise(self, node: ast.Call) -> sympy.Basic:
        """``piecewise(value1, condition1, value2, condition2, ..., otherwise)`` as in SBML."""
        if len(node.args) % 2 == 0:
            raise self.error("`piecewise` takes value, condition pairs and a final `otherwise` value", node)
        pieces = []
        for index in range(0, len(node.args) - 1, 2):
            pieces.append((self.number(node.args[index]), self._condition(node.args[index + 1])))
        pieces.append((self.number(node.args[-1]), True))
        return sympy.Piecewise(*pieces)

    def _condition(self, node: ast.expr) -> sympy.Basic:
        if not isinstance(node, ast.Compare | ast.BoolOp) and not (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        ):
            raise self.error("a condition must be a comparison such as `t < peak_time`", node)
        return self.convert(node)

    def _compare(self, node: ast.Compare) -> sympy.Basic:
        operands = [node.left, *node.comparators]
        parts = []
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            parts.append(self._relation(left, op, right, node))
        return parts[0] if len(parts) == 1 else sympy.And(*parts)

    def _relation(self, left: ast.expr, op: ast.cmpop, right: ast.expr, node: ast.Compare) -> sympy.Basic:
        relations = {
            ast.Lt: sympy.Lt,
            ast.LtE: sympy.Le,
            ast.Gt: sympy.Gt,
            ast.GtE: sympy.Ge,
            ast.Eq: sympy.Eq,
            ast.NotEq: sympy.Ne,
        }
        relation = relations.get(type(op))
        if relation is None:
            raise self.error(f"the comparison {_describe(op)} is not allowed; use < <= > >= == !=", node)
        left_is_time = isinstance(left, ast.Name) and left.id == TIME
        right_is_time = isinstance(right, ast.Name) and right.id == TIME
        if left_is_time != right_is_time:
            # A switch at a known time: keep the threshold so the engine stops exactly there.
            other = right if left_is_time else left
            threshold = self.number(other)
            if threshold.has(sympy.Symbol(TIME, real=True)):
                raise self.error("a time switch compares `t` with an expression that does not contain `t`", node)
            self.switches.append(Switch(threshold, self.line, self.offset + 1 + node.col_offset))
            self.uses.append(NameUse(TIME, self.line, self.offset + 1 + node.col_offset))
            if left_is_time:
                return relation(SWITCH_TIME, threshold)
            return relation(threshold, SWITCH_TIME)
        return relation(self.number(left), self.number(right))


def _fits_float(number: sympy.Number) -> bool:
    """Is the number finite as a double (sympy keeps 1e300 * 1e300 as 1e600)?"""
    try:
        return math.isfinite(float(number))
    except (OverflowError, TypeError):
        return False


def _is_condition(expr: sympy.Basic) -> bool:
    """A comparison or logical expression (a bare Symbol is also a sympy Boolean: not this)."""
    kinds = (sympy.core.relational.Relational, sympy.logic.boolalg.BooleanFunction, sympy.logic.boolalg.BooleanAtom)
    return isinstance(expr, kinds)


def _describe(node: object) -> str:
    names = {
        "Attribute": "attribute access (`a.b`)",
        "Subscript": "subscripting (`a[i]`)",
        "Lambda": "`lambda`",
        "ListComp": "a list comprehension",
        "GeneratorExp": "a generator expression",
        "List": "a list",
        "Tuple": "a tuple",
        "Dict": "a dict",
        "Set": "a set",
        "JoinedStr": "an f-string",
        "NamedExpr": "`:=`",
        "Starred": "`*` unpacking",
        "Await": "`await`",
        "Yield": "`yield`",
        "Mod": "`%`",
        "FloorDiv": "`//`",
        "MatMult": "`@`",
        "BitAnd": "`&`",
        "BitOr": "`|`",
        "LShift": "`<<`",
        "RShift": "`>>`",
        "Invert": "`~`",
        "Is": "`is`",
        "IsNot": "`is not`",
        "In": "`in`",
        "NotIn": "`not in`",
    }
    kind = type(node).__name__
    return names.get(kind, f"`{kind}`")
