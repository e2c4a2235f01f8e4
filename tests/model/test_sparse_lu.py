"""The generated, pattern-specific linear algebra of the stiff method (cartsim.model._sparse_lu)."""

from __future__ import annotations

import numpy as np
import pytest

import cartsim
from cartsim.engine._kernel import load_kernel
from cartsim.model._sparse_lu import PIVOT_THRESHOLD, elimination_order
from cartsim.testing import CART6_TEXT


def _cart6_pattern(kernel: object) -> frozenset[tuple[int, int]]:
    """The entries model_jacobian writes: evaluate it on NaN-filled output at a generic point."""
    jac = np.full((6, 6), np.nan)
    dfdt = np.zeros(6)
    model = cartsim.parse_model(CART6_TEXT)
    kernel.model_jacobian(0.0, 0.0, np.array([0.5, 0.05, 0.01, 1000.0, 200.0, 0.1]), model.defaults, jac, dfdt)  # type: ignore[attr-defined]
    return frozenset((i, j) for i in range(6) for j in range(6) if not np.isnan(jac[i, j]))


@pytest.fixture(scope="module")
def cart6_kernel() -> object:
    return load_kernel(cartsim.parse_model(CART6_TEXT))


def test_markowitz_order_of_cart6_has_no_fill_in(cart6_kernel: object) -> None:
    """cart6's exhausted cells and IL-6 feed back into no other state: eliminated first, they
    cost nothing, and the remaining order creates no fill-in."""
    pattern = _cart6_pattern(cart6_kernel)
    assert len(pattern) == 18
    order, filled = elimination_order(6, pattern)
    assert order[:2] == [2, 5]
    assert filled == pattern | {(i, i) for i in range(6)}
    assert elimination_order(6, pattern) == (order, filled)  # deterministic


def test_a_dense_pattern_fills_completely() -> None:
    pattern = frozenset({(0, 1), (1, 0), (1, 2), (2, 1), (2, 0)})
    order, filled = elimination_order(3, pattern)
    assert sorted(order) == [0, 1, 2]
    assert pattern <= filled


def test_generated_factor_and_solve_match_numpy(cart6_kernel: object) -> None:
    """G = I / (h gamma) - J on cart6's pattern, random entries: the generated solve agrees
    with numpy.linalg.solve to rounding (a well-conditioned G: relative error ~1e-15)."""
    pattern = _cart6_pattern(cart6_kernel)
    generator = np.random.default_rng(3)
    kernel = cart6_kernel
    for _ in range(200):
        jac = np.zeros((6, 6))
        for i, j in pattern:
            jac[i, j] = generator.normal()
        inverse = 10.0 ** generator.uniform(0.5, 2.0)
        g = inverse * np.eye(6) - jac
        rhs = generator.normal(size=6)
        lu = np.zeros((6, 6))
        if not kernel.model_lu_factor(jac, inverse, lu):  # type: ignore[attr-defined]
            continue
        solution = rhs.copy()
        kernel.model_lu_solve(lu, solution)  # type: ignore[attr-defined]
        np.testing.assert_allclose(solution, np.linalg.solve(g, rhs), rtol=1e-12, atol=1e-14)


def test_a_small_diagonal_pivot_is_refused(cart6_kernel: object) -> None:
    """A pivot below PIVOT_THRESHOLD times an entry below it fails the threshold test: the
    stiff method then factors with partial pivoting instead."""
    pattern = _cart6_pattern(cart6_kernel)
    jac = np.zeros((6, 6))
    for i, j in pattern:
        jac[i, j] = 1.0
    inverse = 2.0
    lu = np.zeros((6, 6))
    assert cart6_kernel.model_lu_factor(jac, inverse, lu)  # type: ignore[attr-defined]
    # Tumour's pivot (state 3) is eliminated third, with the effector and memory rows below it.
    jac[3, 3] = inverse - 0.5 * PIVOT_THRESHOLD * abs(jac[0, 3])
    assert not cart6_kernel.model_lu_factor(jac, inverse, lu)  # type: ignore[attr-defined]
    jac[3, 3] = inverse  # a zero pivot
    assert not cart6_kernel.model_lu_factor(jac, inverse, lu)  # type: ignore[attr-defined]
    jac[3, 3] = np.nan
    assert not cart6_kernel.model_lu_factor(jac, inverse, lu)  # type: ignore[attr-defined]


def test_stiff_method_with_refused_pivots_still_solves(cart6_kernel: object) -> None:
    """Where the threshold test fails, rodas_step falls back to partial pivoting: the
    iteration matrix's factors still solve G x = b."""
    pattern = _cart6_pattern(cart6_kernel)
    jac = np.zeros((6, 6))
    for i, j in pattern:
        jac[i, j] = 1.0
    inverse = 2.0
    jac[3, 3] = inverse - 0.5 * PIVOT_THRESHOLD
    lu = np.zeros((6, 6))
    pivots = np.zeros(6, dtype=np.int64)
    assert cart6_kernel.factor_iteration_matrix(jac, inverse, lu, pivots) == 0  # type: ignore[attr-defined]
    rhs = np.arange(1.0, 7.0)
    solution = rhs.copy()
    cart6_kernel.solve_iteration(lu, pivots, False, solution)  # type: ignore[attr-defined]
    np.testing.assert_allclose(solution, np.linalg.solve(inverse * np.eye(6) - jac, rhs), rtol=1e-12)
