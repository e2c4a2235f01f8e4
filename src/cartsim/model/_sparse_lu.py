"""Generated linear algebra for the stiff method, specialised to a model's Jacobian pattern.

RODAS4 factors ``G = I / (h gamma) - J`` once per step and solves with it six times. A
general LU with partial pivoting spends most of its time on entries that are structurally
zero and on the pivot search. Published CAR-T models are sparse (``cart6``: 18 of 36
entries), so, as stiff chemistry codes do (KPP, Damian et al. 2002, *Comput. Chem. Eng.*
26:1567), the factorization and the solves are printed as straight-line code for the
model's pattern, in an elimination order that keeps the fill-in small (Markowitz's rule).

Unlike KPP, the generated factorization does not assume the diagonal pivots are safe. It
checks each one with the threshold test of sparse direct solvers (Duff, Erisman & Reid,
*Direct Methods for Sparse Matrices*, 2nd ed., §5.4: accept pivot ``a_kk`` when
``|a_kk| >= u * |a_ik|`` for every entry below it, ``u = 0.1``) and returns False
otherwise; the stiff method then factors ``G`` again with full partial pivoting.
"""

from __future__ import annotations

#: Threshold-pivoting parameter u: a diagonal pivot is kept when it is at least u times every
#: entry below it in its column. 0.1 is the value Duff, Erisman & Reid recommend (growth
#: stays bounded by (1 + 1/u) per elimination step).
PIVOT_THRESHOLD = 0.1

Pattern = frozenset[tuple[int, int]]


def elimination_order(n: int, pattern: Pattern) -> tuple[list[int], Pattern]:
    """Diagonal pivots in Markowitz order and the pattern of the factors (with fill-in).

    At each step the pivot is the remaining diagonal entry with the smallest Markowitz cost
    ``(entries in its row - 1) * (entries in its column - 1)`` over the remaining submatrix,
    the lowest index on ties (so the order, and the generated code, are deterministic).
    ``pattern`` lists the structurally non-zero entries (i, j); the diagonal always counts
    (``G`` has ``1 / (h gamma)`` there).
    """
    filled = set(pattern) | {(i, i) for i in range(n)}
    remaining = list(range(n))
    order: list[int] = []
    while remaining:
        pivot = min(remaining, key=lambda k: (_markowitz_cost(k, remaining, filled), k))
        remaining.remove(pivot)
        order.append(pivot)
        below = [i for i in remaining if (i, pivot) in filled]
        right = [j for j in remaining if (pivot, j) in filled]
        filled |= {(i, j) for i in below for j in right}
    return order, frozenset(filled)


def _markowitz_cost(k: int, remaining: list[int], filled: set[tuple[int, int]]) -> int:
    """(entries in row k - 1) * (entries in column k - 1), over the remaining submatrix."""
    row = sum((k, j) in filled for j in remaining)
    column = sum((i, k) in filled for i in remaining)
    return (row - 1) * (column - 1)


def _factor_statements(n: int, pattern: Pattern, order: list[int], filled: Pattern, jac: str) -> list[str]:
    """The factorization in locals ``g_i_j`` (``jac`` formats the entry (i, j) of the
    Jacobian). Each pivot test is a line ``CHECK <condition for failure>``: the scalar
    function returns there, the lanes function records it in the lane's flag."""
    lines = []
    for i, j in sorted(filled):
        if i == j:
            value = f"inverse - {jac.format(i=i, j=i)}" if (i, i) in pattern else "inverse"
        else:
            value = f"-{jac.format(i=i, j=j)}" if (i, j) in pattern else "0.0"
        lines.append(f"g_{i}_{j} = {value}")
    for position, k in enumerate(order):
        later = order[position + 1 :]
        below = [i for i in later if (i, k) in filled]
        right = [j for j in later if (k, j) in filled]
        # "|pivot| > 0" is false for a NaN pivot too.
        lines += [f"CHECK abs(g_{k}_{k}) > 0.0", f"CHECK math.isfinite(g_{k}_{k})"]
        lines += [f"CHECK not ({PIVOT_THRESHOLD!r} * abs(g_{i}_{k}) > abs(g_{k}_{k}))" for i in below]
        lines.append(f"g_{k}_{k} = 1.0 / g_{k}_{k}")
        for i in below:
            lines.append(f"g_{i}_{k} = g_{i}_{k} * g_{k}_{k}")
            lines += [f"g_{i}_{j} = g_{i}_{j} - g_{i}_{k} * g_{k}_{j}" for j in right]
    return lines


def _solve_statements(n: int, order: list[int], filled: Pattern, lu: str) -> list[str]:
    """Forward then back substitution in locals ``x_i`` (``lu`` formats the factors' entry (i, j))."""
    lines = []
    for position, i in enumerate(order):
        terms = [f" - {lu.format(i=i, j=k)} * x{k}" for k in order[:position] if (i, k) in filled]
        if terms:
            lines.append(f"x{i} = x{i}{''.join(terms)}")
    for position in reversed(range(n)):
        k = order[position]
        terms = [f" - {lu.format(i=k, j=j)} * x{j}" for j in order[position + 1 :] if (k, j) in filled]
        lines.append(f"x{k} = (x{k}{''.join(terms)}) * {lu.format(i=k, j=k)}")
    return lines


def _decoupled_tests(n: int, pattern: Pattern, jac: str) -> list[str]:
    """Per state, whether its row's structural off-diagonal entries are all 0 (``&``, not
    ``and``: no branches)."""
    tests = []
    for i in range(n):
        zeros = [f"({jac.format(i=i, j=j)} == 0.0)" for j in range(n) if j != i and (i, j) in pattern]
        tests.append(" & ".join(zeros) if zeros else "True")
    return tests


def linear_algebra_source(n: int, pattern: Pattern, decorator: str, lanes_decorator: str) -> str:
    """Source of ``model_lu_factor(jac, inverse, lu)``, ``model_lu_solve(lu, vector)`` and
    ``model_decoupled(jac, decoupled)`` for a Jacobian with the given pattern, and their
    versions for the lane buffer of the stiff lanes (:mod:`cartsim.engine._rodas_lanes`).

    ``model_lu_factor`` forms ``G = inverse * I - jac`` on the factors' pattern and factors it
    (L below the diagonal, unit diagonal implied; the reciprocals of U's pivots on the
    diagonal, so that solves multiply). It returns False, with ``lu`` not written, when a
    pivot is zero, not finite, or fails the threshold test. ``model_decoupled`` marks the
    states whose Jacobian row has no non-zero off-diagonal entry at this point and returns
    whether there is any.

    The lanes versions compute, per lane ``w`` of ``LANES``, the same expressions in the
    same order (so the same bits): value ``j`` of a block at offset ``o`` is
    ``b[o + j * LANES + w]``, matrix entry ``(i, j)`` ``b[o + (i * n + j) * LANES + w]``.
    ``model_lu_factor_lanes`` writes 1.0 (factored) or 0.0 (the one-patient driver must
    take the step) into block ``ok_at``; ``model_decoupled_lanes`` writes 1.0 where some
    state is decoupled into block ``flag_at``.
    """
    order, filled = elimination_order(n, pattern)
    # Everything in locals: loads and stores through arrays that LLVM cannot prove apart
    # would otherwise be repeated, and the lanes' loop would not vectorize.
    factor = _factor_statements(n, pattern, order, filled, "jac[{i}, {j}]")
    scalar_factor = [decorator, "def model_lu_factor(jac, inverse, lu):"]
    for line in factor:
        if line.startswith("CHECK "):
            scalar_factor += [f"    if not ({line[6:]}):", "        return False"]
        else:
            scalar_factor.append(f"    {line}")
    scalar_factor += [f"    lu[{i}, {j}] = g_{i}_{j}" for i, j in sorted(filled)]
    scalar_factor.append("    return True")

    lanes_factor = [lanes_decorator, "def model_lu_factor_lanes(b, jac_at, inverse_at, lu_at, ok_at):"]
    lanes_factor += ["    for w in range(LANES):", "        inverse = b[inverse_at + w]", "        ok = True"]
    for line in _factor_statements(n, pattern, order, filled, f"b[jac_at + ({{i}} * {n} + {{j}}) * LANES + w]"):
        lanes_factor.append(f"        ok = ok & ({line[6:]})" if line.startswith("CHECK ") else f"        {line}")
    lanes_factor += [f"        b[lu_at + ({i} * {n} + {j}) * LANES + w] = g_{i}_{j}" for i, j in sorted(filled)]
    lanes_factor.append("        b[ok_at + w] = 1.0 if ok else 0.0")

    scalar_solve = [decorator, "def model_lu_solve(lu, vector):"]
    scalar_solve += [f"    x{i} = vector[{i}]" for i in range(n)]
    scalar_solve += [f"    {line}" for line in _solve_statements(n, order, filled, "lu[{i}, {j}]")]
    scalar_solve += [f"    vector[{i}] = x{i}" for i in range(n)]

    lanes_solve = [lanes_decorator, "def model_lu_solve_lanes(b, lu_at, vector_at):", "    for w in range(LANES):"]
    lanes_solve += [f"        x{i} = b[vector_at + {i} * LANES + w]" for i in range(n)]
    lu_entry = f"b[lu_at + ({{i}} * {n} + {{j}}) * LANES + w]"
    lanes_solve += [f"        {line}" for line in _solve_statements(n, order, filled, lu_entry)]
    lanes_solve += [f"        b[vector_at + {i} * LANES + w] = x{i}" for i in range(n)]

    tests = _decoupled_tests(n, pattern, "jac[{i}, {j}]")
    scalar_decoupled = [decorator, "def model_decoupled(jac, decoupled):"]
    for i, test in enumerate(tests):
        scalar_decoupled += [f"    alone_{i} = {test}", f"    decoupled[{i}] = alone_{i}"]
    scalar_decoupled.append(f"    return {' or '.join(f'alone_{i}' for i in range(n))}")

    lane_tests = _decoupled_tests(n, pattern, f"b[jac_at + ({{i}} * {n} + {{j}}) * LANES + w]")
    lanes_decoupled = [lanes_decorator, "def model_decoupled_lanes(b, jac_at, flag_at):", "    for w in range(LANES):"]
    lanes_decoupled.append(f"        found = {' | '.join(f'({test})' for test in lane_tests)}")
    lanes_decoupled.append("        b[flag_at + w] = 1.0 if found else 0.0")
    functions = [scalar_factor, scalar_solve, scalar_decoupled, lanes_factor, lanes_solve, lanes_decoupled]
    return "\n\n\n".join("\n".join(function) for function in functions)
