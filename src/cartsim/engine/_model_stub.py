"""The interface a compiled model provides to the solver template (a stand-in model).

Code generation writes, for every model, a module that defines these five names and then
appends the solver template (:mod:`cartsim.engine._dopri5`), so numba resolves the model
functions statically and can cache the compiled solver per model. This stub (exponential
decay of one state, no observables, no switches) only keeps the template importable.
"""

from __future__ import annotations

import numba
import numpy as np

N_SWITCHES = 0


@numba.njit(cache=True)
def model_initial(p: np.ndarray, y: np.ndarray) -> None:
    y[0] = 1.0


@numba.njit(cache=True)
def model_switch_times(p: np.ndarray, out: np.ndarray) -> None:
    pass


@numba.njit(cache=True)
def model_rhs(t: float, switch_time: float, y: np.ndarray, p: np.ndarray, dy: np.ndarray) -> None:
    dy[0] = -p[0] * y[0]


@numba.njit(cache=True)
def model_observe(t: float, y: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    pass
