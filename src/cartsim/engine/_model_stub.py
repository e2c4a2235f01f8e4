"""The interface a compiled model provides to the solver template (a stand-in model).

Code generation writes, for every model, a module that defines these names and then
appends the solver templates (:mod:`cartsim.engine._dopri5`, :mod:`cartsim.engine._rodas4`,
:mod:`cartsim.engine._driver`, :mod:`cartsim.engine._lanes`), so numba resolves the model
functions statically and can cache the compiled solver per model. This stub (exponential
decay of one state, no observables, no switches) only keeps the templates importable.
"""

from __future__ import annotations

import math

import numba
import numpy as np

N_STATES = 1
N_SWITCHES = 0
N_PARAMS = 1
#: States simulated as birth-death processes below a level (hybrid mode); 0 prunes that code.
N_STOCHASTIC = 0
#: Patients per lane group of :mod:`cartsim.engine._lanes`.
LANES = 16


@numba.njit(cache=True, error_model="numpy")
def model_initial(p: np.ndarray, y: np.ndarray) -> None:
    y[0] = 1.0


@numba.njit(cache=True, error_model="numpy")
def model_switch_times(p: np.ndarray, out: np.ndarray) -> None:
    pass


@numba.njit(cache=True, error_model="numpy")
def model_rhs(t: float, switch_time: float, y: np.ndarray, p: np.ndarray, dy: np.ndarray) -> None:
    dy[0] = -p[0] * y[0]


@numba.njit(cache=True, error_model="numpy")
def model_observe(t: float, y: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    pass


@numba.njit(cache=True, error_model="numpy")
def model_jacobian(t: float, switch_time: float, y: np.ndarray, p: np.ndarray, jac: np.ndarray, dfdt: np.ndarray) -> None:
    jac[0, 0] = -p[0]


@numba.njit(cache=True, error_model="numpy")
def model_stochastic_rates(
    t: float, switch_time: float, y: np.ndarray, p: np.ndarray, birth: np.ndarray, death: np.ndarray
) -> None:
    pass


@numba.njit(cache=True, error_model="numpy", inline="always")
def model_rhs_lanes(b: np.ndarray, t_at: int, switch_at: int, src: int, dst: int) -> None:
    for w in range(LANES):
        b[dst + w] = -b[w] * b[src + w]


# The generated linear algebra for the stub's pattern {(0, 0)} (see cartsim.model._sparse_lu).
@numba.njit(cache=True, error_model="numpy")
def model_lu_factor(jac: np.ndarray, inverse: float, lu: np.ndarray) -> bool:
    lu[0, 0] = inverse - jac[0, 0]
    pivot = lu[0, 0]
    if not (abs(pivot) > 0.0) or not math.isfinite(pivot):
        return False
    lu[0, 0] = 1.0 / pivot
    return True


@numba.njit(cache=True, error_model="numpy")
def model_lu_solve(lu: np.ndarray, vector: np.ndarray) -> None:
    vector[0] = vector[0] * lu[0, 0]


@numba.njit(cache=True, error_model="numpy")
def model_decoupled(jac: np.ndarray, decoupled: np.ndarray) -> bool:
    decoupled[0] = True
    return True


@numba.njit(cache=True, error_model="numpy", inline="always")
def model_jacobian_lanes(b: np.ndarray, t_at: int, switch_at: int, src: int, jac_at: int, dfdt_at: int) -> None:
    for w in range(LANES):
        b[jac_at + w] = -b[w]


@numba.njit(cache=True, error_model="numpy", inline="always")
def model_lu_factor_lanes(b: np.ndarray, jac_at: int, inverse_at: int, lu_at: int, ok_at: int) -> None:
    for w in range(LANES):
        g_0_0 = b[inverse_at + w] - b[jac_at + w]
        ok = (abs(g_0_0) > 0.0) & math.isfinite(g_0_0)
        b[lu_at + w] = 1.0 / g_0_0
        b[ok_at + w] = 1.0 if ok else 0.0


@numba.njit(cache=True, error_model="numpy", inline="always")
def model_lu_solve_lanes(b: np.ndarray, lu_at: int, vector_at: int) -> None:
    for w in range(LANES):
        b[vector_at + w] = b[vector_at + w] * b[lu_at + w]


@numba.njit(cache=True, error_model="numpy", inline="always")
def model_decoupled_lanes(b: np.ndarray, jac_at: int, flag_at: int) -> None:
    for w in range(LANES):
        b[flag_at + w] = 1.0
