"""The stiff method: RODAS4, a 6-stage L-stable Rosenbrock method of order 4(3) (a numba template).

Like :mod:`cartsim.engine._dopri5` this is copied into each model's generated kernel module.
The Jacobian ``df/dy`` and the explicit time derivative ``df/dt`` come from the model's
symbolic derivatives (``model_jacobian``, generated from the parsed equations), never from
finite differences. ``G`` is factored by the model's generated code for its Jacobian pattern
(:mod:`cartsim.model._sparse_lu`: straight-line, no fill-in on ``cart6``) when its diagonal
pivots pass the threshold test, else by :func:`lu_factor` with partial pivoting.

One step from ``(t, y)`` with ``G = I / (h * gamma) - J`` solves, for stages ``i = 1..6``::

    G K_i = f(t + alpha_i h, y + sum_j A_ij K_j) + sum_j (C_ij / h) K_j + h gamma_i df/dt
    y_new = y + sum_i M_i K_i,    error estimate = K_6

Coefficients: Hairer & Wanner, *Solving ODEs II* (2nd ed.), IV.7, method RODAS4 in the
transformed ``(A, C, M)`` form of Sandu et al. (1997), *Atmos. Environ.* 31:3459. The method is
stiffly accurate, so ``K_6`` is the difference between the order-4 and the embedded order-3
solution. Dense output is the method's own third-order continuous extension (Hairer &
Wanner's coefficients ``D2j``, ``D3j``), built from the stages, so it stays accurate in the
stiff components where a Hermite interpolant from the slopes would amplify their errors by
``h * |lambda|``; it is stored in the same four-term form as the explicit method's, so event
location and output share one code path.
"""

import math

import numba

from cartsim.engine._dopri5 import scaled_rms  # <template-import>
from cartsim.engine._model_stub import (  # <template-import>
    N_STATES,
    model_decoupled,
    model_lu_factor,
    model_lu_solve,
    model_rhs,
)

GAMMA = 0.25
ALPHA2, ALPHA3, ALPHA4 = 0.386, 0.21, 0.63
GAMMA2, GAMMA3, GAMMA4 = -0.1043, 0.1035, -0.3620000000000023e-01
RA21 = 0.1544000000000000e01
RA31, RA32 = 0.9466785280815826, 0.2557011698983284
RA41, RA42, RA43 = 0.3314825187068521e01, 0.2896124015972201e01, 0.9986419139977817
RA51, RA52, RA53, RA54 = 0.1221224509226641e01, 0.6019134481288629e01, 0.1253708332932087e02, -0.6878860361058950
RC21 = -0.5668800000000000e01
RC31, RC32 = -0.2430093356833875e01, -0.2063599157091915
RC41, RC42, RC43 = -0.1073529058151375, -0.9594562251023355e01, -0.2047028614809616e02
RC51, RC52, RC53, RC54 = 0.7496443313967647e01, -0.1024680431464352e02, -0.3399990352819905e02, 0.1170890893206160e02
RC61, RC62, RC63 = 0.8083246795921522e01, -0.7981132988064893e01, -0.3152159432874371e02
RC64, RC65 = 0.1631930543123136e02, -0.6058818238834054e01
# Continuous extension: y(theta) = (1 - theta) y + theta (y_new + (1 - theta) (D2 + theta D3)),
# D2 = sum_j RD2j K_j, D3 = sum_j RD3j K_j.
RD21, RD22, RD23, RD24, RD25 = 0.1012623508344586e02, -0.7487995877610167e01, -0.3480091861555747e02, -0.7992771707568823e01, 0.1025137723295662e01
RD31, RD32, RD33, RD34, RD35 = -0.6762803392801253, 0.6087714651680015e01, 0.1643084320892478e02, 0.2476722511418386e02, -0.6594389125716872e01
# Stage 6 starts from the stage-5 point plus K_5 (A_6j = M_j for j <= 4, A_65 = 1), and
# y_new = that point + K_6: both follow from the stiffly accurate structure.

ROS_SAFETY = 0.9
ROS_FAC_MIN = 0.2
ROS_FAC_MAX = 6.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def rodas_error_factor(error):
    """The step-size factor error ** (-1/4) (4 = 1 + the order of the embedded solution), by
    two square roots instead of a pow."""
    return 1.0 / math.sqrt(math.sqrt(error))


@numba.njit(cache=True, error_model="numpy")
def lu_factor(matrix, pivots):
    """In-place LU decomposition with partial pivoting; False if the matrix is singular.

    The diagonal holds the reciprocals of U's pivots, so solves multiply instead of divide.
    """
    n = N_STATES
    for column in range(n):
        best = column
        largest = abs(matrix[column, column])
        for row in range(column + 1, n):
            if abs(matrix[row, column]) > largest:
                largest = abs(matrix[row, column])
                best = row
        pivots[column] = best
        if largest == 0.0 or not math.isfinite(largest):
            return False
        if best != column:
            for j in range(n):
                matrix[column, j], matrix[best, j] = matrix[best, j], matrix[column, j]
        inverse = 1.0 / matrix[column, column]
        matrix[column, column] = inverse
        for row in range(column + 1, n):
            factor = matrix[row, column] * inverse
            matrix[row, column] = factor
            if factor != 0.0:
                for j in range(column + 1, n):
                    matrix[row, j] -= factor * matrix[column, j]
    return True


@numba.njit(cache=True, error_model="numpy")
def lu_solve(matrix, pivots, vector):
    """Solve in place with the factors of :func:`lu_factor`."""
    n = N_STATES
    for i in range(n):
        swap = pivots[i]
        if swap != i:
            held = vector[i]
            vector[i] = vector[swap]
            vector[swap] = held
    for i in range(n):
        total = vector[i]
        for j in range(i):
            total -= matrix[i, j] * vector[j]
        vector[i] = total
    for reverse in range(n):
        i = n - 1 - reverse
        total = vector[i]
        for j in range(i + 1, n):
            total -= matrix[i, j] * vector[j]
        vector[i] = total * matrix[i, i]


@numba.njit(cache=True, error_model="numpy", inline="always")
def factor_iteration_matrix(jac, inverse, lu, pivots):
    """Factor G = inverse * I - jac: with the model's generated code for its Jacobian
    pattern (:mod:`cartsim.model._sparse_lu`) where every diagonal pivot passes the
    threshold test, else with partial pivoting (:func:`lu_factor`).

    Returns 1 (generated factors), 0 (pivoted factors) or -1 (G is singular)."""
    if model_lu_factor(jac, inverse, lu):
        return 1
    for i in range(N_STATES):
        for j in range(N_STATES):
            lu[i, j] = -jac[i, j]
        lu[i, i] += inverse
    return 0 if lu_factor(lu, pivots) else -1


@numba.njit(cache=True, error_model="numpy", inline="always")
def solve_iteration(lu, pivots, generated, vector):
    """Solve in place with the factors of :func:`factor_iteration_matrix`."""
    if generated:
        model_lu_solve(lu, vector)
    else:
        lu_solve(lu, pivots, vector)


@numba.njit(cache=True, error_model="numpy")
def keep_rhs(vector, any_decoupled, saved):
    """Before a stage solve: keep the right-hand sides (for the decoupled rows)."""
    if any_decoupled:
        for i in range(N_STATES):
            saved[i] = vector[i]


@numba.njit(cache=True, error_model="numpy")
def exact_decoupled(vector, any_decoupled, decoupled, saved, jac, inverse):
    """After a stage solve: a decoupled state's row of G = I / (h gamma) - J is its diagonal
    alone, so its stage is exactly rhs / G_ii. The pivoted solve gets the same value only up
    to rounding mixed in from the other rows, and that rounding would leak into a state that
    must stay exactly 0 (an effector population of 0 under f = rate * effector * tumour, a
    cell count held by the hybrid mode) and then grow."""
    if any_decoupled:
        for i in range(N_STATES):
            if decoupled[i]:
                vector[i] = saved[i] / (inverse - jac[i, i])


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def rodas_step(t, h, switch_time, y, p, f0, jac, dfdt, lu, pivots, stages, point, y_new, rtol, atol, decoupled, saved):
    """One RODAS4 step from (t, y) with f0 = f(t, y) and ``jac``/``dfdt`` evaluated there.

    Fills ``y_new`` and returns the scaled error norm (``inf`` if the iteration matrix is
    singular or a stage is not finite: the caller then shrinks the step). ``decoupled`` and
    ``saved`` are work arrays for the states whose derivative depends on no other state.
    """
    n = N_STATES
    inverse = 1.0 / (h * GAMMA)
    factored = factor_iteration_matrix(jac, inverse, lu, pivots)
    if factored < 0:
        return math.inf
    generated = factored == 1
    any_decoupled = model_decoupled(jac, decoupled)
    k1, k2, k3, k4, k5, k6 = stages[0], stages[1], stages[2], stages[3], stages[4], stages[5]
    for j in range(n):
        k1[j] = f0[j] + h * GAMMA * dfdt[j]
    keep_rhs(k1, any_decoupled, saved)
    solve_iteration(lu, pivots, generated, k1)
    exact_decoupled(k1, any_decoupled, decoupled, saved, jac, inverse)
    # Stage 2
    for j in range(n):
        point[j] = y[j] + RA21 * k1[j]
    model_rhs(t + ALPHA2 * h, switch_time, point, p, k2)
    for j in range(n):
        k2[j] = k2[j] + (RC21 * k1[j]) / h + h * GAMMA2 * dfdt[j]
    keep_rhs(k2, any_decoupled, saved)
    solve_iteration(lu, pivots, generated, k2)
    exact_decoupled(k2, any_decoupled, decoupled, saved, jac, inverse)
    # Stage 3
    for j in range(n):
        point[j] = y[j] + RA31 * k1[j] + RA32 * k2[j]
    model_rhs(t + ALPHA3 * h, switch_time, point, p, k3)
    for j in range(n):
        k3[j] = k3[j] + (RC31 * k1[j] + RC32 * k2[j]) / h + h * GAMMA3 * dfdt[j]
    keep_rhs(k3, any_decoupled, saved)
    solve_iteration(lu, pivots, generated, k3)
    exact_decoupled(k3, any_decoupled, decoupled, saved, jac, inverse)
    # Stage 4
    for j in range(n):
        point[j] = y[j] + RA41 * k1[j] + RA42 * k2[j] + RA43 * k3[j]
    model_rhs(t + ALPHA4 * h, switch_time, point, p, k4)
    for j in range(n):
        k4[j] = k4[j] + (RC41 * k1[j] + RC42 * k2[j] + RC43 * k3[j]) / h + h * GAMMA4 * dfdt[j]
    keep_rhs(k4, any_decoupled, saved)
    solve_iteration(lu, pivots, generated, k4)
    exact_decoupled(k4, any_decoupled, decoupled, saved, jac, inverse)
    # Stage 5 (at t + h; gamma_5 = 0)
    for j in range(n):
        point[j] = y[j] + RA51 * k1[j] + RA52 * k2[j] + RA53 * k3[j] + RA54 * k4[j]
    model_rhs(t + h, switch_time, point, p, k5)
    for j in range(n):
        k5[j] = k5[j] + (RC51 * k1[j] + RC52 * k2[j] + RC53 * k3[j] + RC54 * k4[j]) / h
    keep_rhs(k5, any_decoupled, saved)
    solve_iteration(lu, pivots, generated, k5)
    exact_decoupled(k5, any_decoupled, decoupled, saved, jac, inverse)
    # Stage 6 (at t + h; gamma_6 = 0): its point is the stage-5 point plus K_5
    for j in range(n):
        point[j] = point[j] + k5[j]
    model_rhs(t + h, switch_time, point, p, k6)
    for j in range(n):
        k6[j] = k6[j] + (RC61 * k1[j] + RC62 * k2[j] + RC63 * k3[j] + RC64 * k4[j] + RC65 * k5[j]) / h
    keep_rhs(k6, any_decoupled, saved)
    solve_iteration(lu, pivots, generated, k6)
    exact_decoupled(k6, any_decoupled, decoupled, saved, jac, inverse)
    for j in range(n):
        y_new[j] = point[j] + k6[j]
    for j in range(n):
        if not math.isfinite(y_new[j]):
            return math.inf
    return scaled_rms(k6, y, y_new, rtol, atol)


@numba.njit(cache=True, error_model="numpy")
def prepare_rodas_dense(y, y_new, stages, dense):
    """The continuous extension in the explicit method's four-term form:
    y + theta (d0 + (1 - theta) (d1 + theta (d2 + (1 - theta) d3))) with d3 = 0."""
    for j in range(N_STATES):
        dense[0, j] = y_new[j] - y[j]
        dense[1, j] = RD21 * stages[0, j] + RD22 * stages[1, j] + RD23 * stages[2, j] + RD24 * stages[3, j] + RD25 * stages[4, j]
        dense[2, j] = RD31 * stages[0, j] + RD32 * stages[1, j] + RD33 * stages[2, j] + RD34 * stages[3, j] + RD35 * stages[4, j]
        dense[3, j] = 0.0
