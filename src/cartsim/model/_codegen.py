"""Print a model's equations as numba functions.

The source is produced from the validated sympy expressions, never from the user's text:
names are validated identifiers (prefixed so they cannot clash with Python names) and
numbers are printed exactly with ``repr``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy
from sympy.printing.pycode import PythonCodePrinter

from cartsim.errors import ModelError

from ._sparse_lu import linear_algebra_source
from ._syntax import SWITCH_TIME, TIME

if TYPE_CHECKING:
    from ._model import Model


#: numpy's error model: x / 0 gives inf or NaN (the patient is then flagged ``non_finite``)
#: instead of raising ZeroDivisionError, which numba cannot carry out of a parallel loop.
KERNEL_DECORATOR = '@numba.njit(cache=True, error_model="numpy")'
#: The lanes' right-hand side is inlined in numba's IR, so that its offsets are constants.
LANES_DECORATOR = '@numba.njit(cache=True, error_model="numpy", inline="always")'
#: Patients integrated side by side in the explicit method's lock-step phase
#: (:mod:`cartsim.engine._lanes`): 16 lets LLVM's loop vectorizer use 4-wide AVX2 registers
#: four times over (4 and 8 measured 1.6x, 16 2.8x faster than one patient at a time).
LANES = 16


class _KernelPrinter(PythonCodePrinter):  # type: ignore[misc]
    """Print sympy expressions as numba-compatible Python with exact float literals."""

    def __init__(self, names: dict[sympy.Symbol, str]):
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self._names = names

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return self._names[expr]

    def _print_Float(self, expr: sympy.Float) -> str:
        return repr(float(expr))

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({float(expr.p)!r}/{float(expr.q)!r})"

    def _print_Half(self, expr: sympy.Rational) -> str:
        return "0.5"

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        # numba raises ZeroDivisionError for 0.0 ** -n with an integer n, whatever the error
        # model, and one raise fails the whole batch; 1.0 / 0.0 ** n gives inf, and the
        # patient is flagged instead.
        exponent = expr.exp
        if exponent.is_Integer and exponent < 0:
            base = self.parenthesize(expr.base, sympy.printing.precedence.PRECEDENCE["Pow"])
            return f"(1.0/{base}**{-int(exponent)})" if exponent != -1 else f"(1.0/{base})"
        return str(super()._print_Pow(expr, rational=rational))


def model_functions_source(model: Model) -> str:
    """Python source of the model's numba functions (the interface of the solver template)."""
    names: dict[sympy.Symbol, str] = {
        sympy.Symbol(TIME, real=True): "t",
        SWITCH_TIME: "switch_time",
    }
    for parameter in model.parameters:
        names[sympy.Symbol(parameter.name, real=True)] = f"p_{parameter.name}"
    for state in model.states:
        names[sympy.Symbol(state.name, real=True)] = f"s_{state.name}"
    for intermediate in model.intermediates:
        names[sympy.Symbol(intermediate.name, real=True)] = f"v_{intermediate.name}"
    # A stochastic state's derivative is multiplied by a hidden flag stored after the
    # parameters (p[N_PARAMS + j]): 1 while the state is deterministic, 0 while the driver
    # simulates it as a birth-death process and the ODE must hold it still.
    derivatives = [s.derivative for s in model.states]
    for index, state in enumerate(model.states):
        if state.stochastic_below is not None:
            flag = sympy.Symbol(f"_deterministic_{index}", real=True)
            names[flag] = f"p[{len(model.parameters) + index}]"
            derivatives[index] = flag * state.derivative
    printer = _KernelPrinter(names)

    def code(expr: sympy.Expr) -> str:
        return str(printer.doprint(expr))

    jacobian_source, pattern = _jacobian_function(model, names, derivatives)
    blocks = [
        f"N_STATES = {len(model.states)}",
        f"N_SWITCHES = {len(model.switches)}",
        f"N_PARAMS = {len(model.parameters)}",
        f"N_STOCHASTIC = {sum(s.stochastic_below is not None for s in model.states)}",
        f"LANES = {LANES}",
        jacobian_source,
        linear_algebra_source(len(model.states), pattern, KERNEL_DECORATOR, LANES_DECORATOR),
        _stochastic_function(model, names),
        _function(
            "model_initial(p, y)",
            model,
            [s.initial for s in model.states],
            code,
            False,
            [f"y[{i}] = {code(s.initial)}" for i, s in enumerate(model.states)],
        ),
        _function(
            "model_switch_times(p, out)",
            model,
            list(model.switches),
            code,
            False,
            [f"out[{i}] = {code(x)}" for i, x in enumerate(model.switches)] or ["pass"],
        ),
        _rhs_function(model, code, derivatives, names),
        _lanes_function(model, code, derivatives, names),
        _function(
            "model_observe(t, y, p, out)",
            model,
            [o.expr for o in model.observables],
            code,
            True,
            [f"out[{i}] = {code(o.expr)}" for i, o in enumerate(model.observables)] or ["pass"],
        ),
    ]
    return "\n\n".join(blocks) + "\n"


def _function(signature: str, model: Model, exprs: list[sympy.Expr], code: object, uses_states: bool, body: list[str]) -> str:
    """A numba function that unpacks only the parameters, states and intermediates it needs."""
    assert callable(code)
    needed, symbols = _uses(model, exprs)
    lines = [KERNEL_DECORATOR, f"def {signature}:"]
    lines += [f"    p_{p.name} = p[{i}]" for i, p in enumerate(model.parameters) if p.name in symbols]
    if uses_states:
        lines += [f"    s_{s.name} = y[{i}]" for i, s in enumerate(model.states) if s.name in symbols]
    lines += [f"    v_{i.name} = {code(i.expr)}" for i in needed]
    lines += [f"    {line}" for line in body]
    return "\n".join(lines)


def _rhs_assignments(
    model: Model, derivatives: list[sympy.Expr], names: dict[sympy.Symbol, str]
) -> list[tuple[str, sympy.Expr]]:
    """``model_rhs``'s body as (target, expression): the intermediates it needs, then the
    derivatives (target ``dy[i]``; ``model_rhs_lanes`` renames them). A denominator that
    two or more divisions share is inverted once, into a temporary ``r_<k>`` (added to
    ``names``) just before its first use, and multiplied by: a division costs several
    multiplications, and the right-hand side is most of an explicit step."""
    needed, _ = _uses(model, derivatives)
    pairs = [(f"v_{i.name}", i.expr) for i in needed] + [(f"dy[{i}]", d) for i, d in enumerate(derivatives)]
    counts: dict[sympy.Expr, int] = {}
    for _, expr in pairs:
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, sympy.Pow) and node.exp == -1 and not node.base.is_number:
                counts[node.base] = counts.get(node.base, 0) + 1
    # Declared names cannot start with "_", so these symbols clash with none of the model's.
    bases = [b for b, c in counts.items() if c >= 2]
    shared = {base: sympy.Symbol(f"_reciprocal_{k}", real=True) for k, base in enumerate(bases)}
    names.update({symbol: f"r_{k}" for k, symbol in enumerate(shared.values())})
    result: list[tuple[str, sympy.Expr]] = []
    defined: set[sympy.Expr] = set()
    for target, expr in pairs:
        for base, symbol in shared.items():
            if base not in defined and sympy.Pow(base, -1) in sympy.preorder_traversal(expr):
                result.append((names[symbol], sympy.Pow(base, -1)))
                defined.add(base)
        result.append((target, expr.xreplace({sympy.Pow(base, -1): symbol for base, symbol in shared.items()})))
    return result


def _rhs_function(model: Model, code: object, derivatives: list[sympy.Expr], names: dict[sympy.Symbol, str]) -> str:
    """``model_rhs(t, switch_time, y, p, dy)``: the derivatives at (t, y)."""
    assert callable(code)
    _, symbols = _uses(model, derivatives)
    lines = [KERNEL_DECORATOR, "def model_rhs(t, switch_time, y, p, dy):"]
    lines += [f"    p_{p.name} = p[{i}]" for i, p in enumerate(model.parameters) if p.name in symbols]
    lines += [f"    s_{s.name} = y[{i}]" for i, s in enumerate(model.states) if s.name in symbols]
    lines += [f"    {target} = {code(expr)}" for target, expr in _rhs_assignments(model, derivatives, names)]
    return "\n".join(lines)


def _lanes_function(model: Model, code: object, derivatives: list[sympy.Expr], names: dict[sympy.Symbol, str]) -> str:
    """``model_rhs_lanes(b, t_at, switch_at, src, dst)``: the right-hand side of ``LANES``
    patients at once, on the lane buffer of :mod:`cartsim.engine._lanes` (value ``j`` of lane
    ``w`` of a block at offset ``o`` is ``b[o + j * LANES + w]``; the parameters are the block at
    offset 0). The same printed expressions as ``model_rhs``, so each lane's result is bit
    for bit that of ``model_rhs``; one buffer with constant offsets lets LLVM prove the lanes'
    loads and stores apart and vectorize the loop over lanes. Models with stochastic states
    never use lanes and get an empty function.
    """
    assert callable(code)
    lines = [LANES_DECORATOR, "def model_rhs_lanes(b, t_at, switch_at, src, dst):"]
    if any(s.stochastic_below is not None for s in model.states):
        return "\n".join([*lines, "    pass"])
    _, symbols = _uses(model, derivatives)
    lines += _lane_loads(model, symbols)
    for target, expr in _rhs_assignments(model, derivatives, names):
        if target.startswith("dy["):
            target = f"b[dst + {target[3:-1]} * LANES + w]"
        lines.append(f"        {target} = {code(expr)}")
    return "\n".join(lines)


def _lane_loads(model: Model, symbols: set[str]) -> list[str]:
    """The loop over lanes and its loads of the time, switch time, parameters and states the
    body uses, from the lane buffer (``t_at``, ``switch_at``, parameters at 0, states at ``src``)."""
    lines = ["    for w in range(LANES):"]
    if TIME in symbols:
        lines.append("        t = b[t_at + w]")
    if str(SWITCH_TIME) in symbols:
        lines.append("        switch_time = b[switch_at + w]")
    lines += [f"        p_{p.name} = b[{i} * LANES + w]" for i, p in enumerate(model.parameters) if p.name in symbols]
    lines += [f"        s_{s.name} = b[src + {i} * LANES + w]" for i, s in enumerate(model.states) if s.name in symbols]
    return lines


def _uses(model: Model, exprs: list[sympy.Expr]):  # type: ignore[no-untyped-def]
    """The intermediates the expressions need (in dependency order) and the names of every
    symbol they and those intermediates use."""
    needed = _needed_intermediates(model, exprs)
    symbols: set[str] = set()
    for expr in [*exprs, *(i.expr for i in needed)]:
        symbols |= {str(s) for s in expr.free_symbols}
    return needed, symbols


def _needed_intermediates(model: Model, exprs: list[sympy.Expr]):  # type: ignore[no-untyped-def]
    """Intermediates the expressions depend on, in the model's dependency order."""
    by_name = {i.name: i for i in model.intermediates}
    needed: set[str] = set()
    pending = [str(s) for expr in exprs for s in expr.free_symbols]
    while pending:
        name = pending.pop()
        if name in by_name and name not in needed:
            needed.add(name)
            pending.extend(str(s) for s in by_name[name].expr.free_symbols)
    return [i for i in model.intermediates if i.name in needed]


def _expanded_intermediates(model: Model) -> dict[sympy.Symbol, sympy.Expr]:
    expanded: dict[sympy.Symbol, sympy.Expr] = {}
    for intermediate in model.intermediates:
        expanded[sympy.Symbol(intermediate.name, real=True)] = intermediate.expr.xreplace(expanded)
    return expanded


def _stochastic_function(model: Model, names: dict[sympy.Symbol, str]) -> str:
    """``model_stochastic_rates(t, switch_time, y, p, birth, death)`` for the hybrid mode.

    A stochastic state's derivative is split into its additive terms (products distributed
    over sums first): at run time every term with a positive value is a birth flux, every
    negative one a death flux, in the state's unit per day. For Kimmel 2021's tumour
    ``r_B*B - gamma_B*B*C/(k_B + C)`` this is birth ``r_B*B`` and death by killing.
    """
    lines = [KERNEL_DECORATOR, "def model_stochastic_rates(t, switch_time, y, p, birth, death):"]
    expanded = _expanded_intermediates(model)
    printer = _KernelPrinter(names)
    used: set[str] = set()
    body: list[str] = []
    for index, state in enumerate(model.states):
        if state.stochastic_below is None:
            continue
        terms = sympy.Add.make_args(sympy.expand_mul(state.derivative.xreplace(expanded), deep=False))
        body += [f"    birth[{index}] = 0.0", f"    death[{index}] = 0.0"]
        for term in terms:
            used |= {str(symbol) for symbol in term.free_symbols}
            body += [f"    term = {printer.doprint(term)}", "    if term > 0.0:", f"        birth[{index}] += term"]
            body += ["    elif term < 0.0:", f"        death[{index}] -= term"]
    lines += [f"    p_{q.name} = p[{i}]" for i, q in enumerate(model.parameters) if q.name in used]
    lines += [f"    s_{q.name} = y[{i}]" for i, q in enumerate(model.states) if q.name in used]
    lines += body or ["    pass"]
    return "\n".join(lines)


def _jacobian_function(
    model: Model, names: dict[sympy.Symbol, str], derivatives: list[sympy.Expr]
) -> tuple[str, frozenset[tuple[int, int]]]:
    """``model_jacobian(t, switch_time, y, p, jac, dfdt)``: df/dy and df/dt, derived
    symbolically; and the Jacobian's pattern (the entries (i, j) that are not identically 0).

    The derivatives are taken of the right-hand sides with every intermediate substituted,
    then common subexpressions are shared (``sympy.cse``). Only structurally non-zero entries
    are written, so the caller zeroes ``jac`` once per patient. ``df/dt`` is the explicit time
    dependence (a switch time is constant within a segment, so it does not count).
    """
    expanded = _expanded_intermediates(model)
    rhs = [derivative.xreplace(expanded) for derivative in derivatives]
    state_symbols = [sympy.Symbol(state.name, real=True) for state in model.states]
    time = sympy.Symbol(TIME, real=True)
    n = len(model.states)
    targets: list[str] = []
    lane_targets: list[str] = []
    exprs: list[sympy.Expr] = []
    pattern: set[tuple[int, int]] = set()
    for i, f in enumerate(rhs):
        for j, y in enumerate(state_symbols):
            derivative = sympy.diff(f, y)
            if derivative != 0:
                pattern.add((i, j))
                targets.append(f"jac[{i}, {j}]")
                lane_targets.append(f"b[jac_at + ({i} * {n} + {j}) * LANES + w]")
                exprs.append(derivative)
        time_derivative = sympy.diff(f, time)
        if time_derivative != 0:
            targets.append(f"dfdt[{i}]")
            lane_targets.append(f"b[dfdt_at + {i} * LANES + w]")
            exprs.append(time_derivative)
    for target, expr in zip(targets, exprs, strict=True):
        if expr.has(sympy.Derivative, sympy.Subs, sympy.DiracDelta):
            raise ModelError(f"model {model.name!r}: cannot differentiate the right-hand side symbolically ({target})")
    temporaries, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("_cse", real=True))
    local_names = dict(names)
    for index, (symbol, _) in enumerate(temporaries):
        local_names[symbol] = f"c_{index}"
    local_printer = _KernelPrinter(local_names)
    used: set[str] = set()
    for expr in [*(e for _, e in temporaries), *reduced]:
        used |= {str(symbol) for symbol in expr.free_symbols}
    lines = [KERNEL_DECORATOR, "def model_jacobian(t, switch_time, y, p, jac, dfdt):"]
    lines += [f"    p_{q.name} = p[{i}]" for i, q in enumerate(model.parameters) if q.name in used]
    lines += [f"    s_{q.name} = y[{i}]" for i, q in enumerate(model.states) if q.name in used]
    lines += [f"    {local_names[symbol]} = {local_printer.doprint(expr)}" for symbol, expr in temporaries]
    lines += [f"    {target} = {local_printer.doprint(expr)}" for target, expr in zip(targets, reduced, strict=True)]
    if len(lines) == 2:
        lines.append("    pass")
    # The same expressions for the stiff lanes (cartsim.engine._rodas_lanes), as model_rhs_lanes.
    lanes = [LANES_DECORATOR, "def model_jacobian_lanes(b, t_at, switch_at, src, jac_at, dfdt_at):"]
    if any(s.stochastic_below is not None for s in model.states) or not targets:
        lanes.append("    pass")
    else:
        lanes += _lane_loads(model, used)
        lanes += [f"        {local_names[symbol]} = {local_printer.doprint(expr)}" for symbol, expr in temporaries]
        lanes += [f"        {target} = {local_printer.doprint(expr)}" for target, expr in zip(lane_targets, reduced, strict=True)]
    return "\n".join(lines) + "\n\n\n" + "\n".join(lanes), frozenset(pattern)
