"""The interface a compiled model provides to the solver template (a stand-in model).

Code generation writes, for every model, a module that defines these names and then
appends the solver templates (:mod:`cartsim.engine._dopri5`, :mod:`cartsim.engine._rodas4`,
:mod:`cartsim.engine._driver`, :mod:`cartsim.engine._lanes`), so numba resolves the model
functions statically and can cache the compiled solver per model. This stub (exponential
decay of one state, no observables, no switches) only keeps the templates importable.
"""

from __future__ import annotations

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
