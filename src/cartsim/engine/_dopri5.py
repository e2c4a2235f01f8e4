"""The explicit method: adaptive Dormand-Prince 5(4) with dense output (a numba template).

This module is a *template*: code generation copies it, with :mod:`cartsim.engine._rodas4`
and :mod:`cartsim.engine._driver`, into each model's generated kernel module after the
model functions (see :mod:`cartsim.engine._model_stub` for the interface), so that numba
inlines the model and caches the compiled solver per model.

Method and step control follow Hairer, Norsett & Wanner, *Solving ODEs I* (2nd ed.), II.5
(DOPRI5 with the PI step-size controller, beta = 0.04) and the dense output of II.6.
"""

import math

import numba

from cartsim.engine._model_stub import N_STATES, model_rhs  # <template-import>

# Relative width within which two event or output times are the same time: 0.1 * 3 and
# 0.3 are one time, so a dose there lands exactly once and outputs there see it.
TIME_EPS = 1e-10

C2, C3, C4, C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
A21 = 1.0 / 5.0
A31, A32 = 3.0 / 40.0, 9.0 / 40.0
A41, A42, A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
A51, A52, A53, A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
A61, A62, A63, A64, A65 = 9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0
A71, A73, A74, A75, A76 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
E1, E3, E4, E5, E6, E7 = 71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0
D1, D3, D4 = -12715105075.0 / 11282082432.0, 87487479700.0 / 32700410799.0, -10690763975.0 / 1880347072.0
D5, D6, D7 = 701980252875.0 / 199316789632.0, -1453857185.0 / 822651844.0, 69997945.0 / 29380423.0

SAFETY = 0.9
FAC_MIN = 0.2  # the step may shrink at most 5x after an accepted step
FAC_MAX = 10.0  # and grow at most 10x
BETA = 0.04
#: log of the smallest previous error the PI controller remembers (Hairer's 1e-4).
LOG_ERROR_FLOOR = math.log(1e-4)
EXPONENT = 0.2 - BETA * 0.75


@numba.njit(cache=True, error_model="numpy")
def time_tolerance(t):
    return TIME_EPS * max(1.0, abs(t))


@numba.njit(cache=True, error_model="numpy")
def scaled_rms(values, y_a, y_b, rtol, atol):
    total = 0.0
    n = N_STATES
    for j in range(n):
        scale = atol[j] + rtol * max(abs(y_a[j]), abs(y_b[j]))
        total += (values[j] / scale) ** 2
    return math.sqrt(total / n)


@numba.njit(cache=True, error_model="numpy")
def all_finite(values):
    for j in range(values.shape[0]):
        if not math.isfinite(values[j]):
            return False
    return True


@numba.njit(cache=True, error_model="numpy")
def dense_component(theta, j, y0, dense):
    """Dense output of component j at fraction theta of the step (Hairer's CONTD5)."""
    theta1 = 1.0 - theta
    return y0[j] + theta * (dense[0, j] + theta1 * (dense[1, j] + theta * (dense[2, j] + theta1 * dense[3, j])))


@numba.njit(cache=True, error_model="numpy")
def dense_state(theta, y0, dense, result):
    for j in range(N_STATES):
        result[j] = dense_component(theta, j, y0, dense)


@numba.njit(cache=True, error_model="numpy")
def initial_step(t, span, switch_time, y, k1, p, rtol, atol, work, f1):
    """Starting step size (Hairer's HINIT), limited to the segment length."""
    d0 = scaled_rms(y, y, y, rtol, atol)
    d1 = scaled_rms(k1, y, y, rtol, atol)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, span)
    for j in range(N_STATES):
        work[j] = y[j] + h0 * k1[j]
    model_rhs(t + h0, switch_time, work, p, f1)
    for j in range(N_STATES):
        f1[j] = f1[j] - k1[j]
    d2 = scaled_rms(f1, y, y, rtol, atol) / h0
    if not math.isfinite(d2):
        return h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** 0.2
    return min(100.0 * h0, h1, span)


@numba.njit(cache=True, error_model="numpy")
def try_step(t, h, switch_time, y, p, k, y_new, work, rtol, atol):
    """One Dormand-Prince step from (t, y) with k[0] = f(t, y); returns the error norm."""
    n = N_STATES
    for j in range(n):
        work[j] = y[j] + h * A21 * k[0, j]
    model_rhs(t + C2 * h, switch_time, work, p, k[1])
    for j in range(n):
        work[j] = y[j] + h * (A31 * k[0, j] + A32 * k[1, j])
    model_rhs(t + C3 * h, switch_time, work, p, k[2])
    for j in range(n):
        work[j] = y[j] + h * (A41 * k[0, j] + A42 * k[1, j] + A43 * k[2, j])
    model_rhs(t + C4 * h, switch_time, work, p, k[3])
    for j in range(n):
        work[j] = y[j] + h * (A51 * k[0, j] + A52 * k[1, j] + A53 * k[2, j] + A54 * k[3, j])
    model_rhs(t + C5 * h, switch_time, work, p, k[4])
    for j in range(n):
        work[j] = y[j] + h * (A61 * k[0, j] + A62 * k[1, j] + A63 * k[2, j] + A64 * k[3, j] + A65 * k[4, j])
    model_rhs(t + h, switch_time, work, p, k[5])
    for j in range(n):
        y_new[j] = y[j] + h * (A71 * k[0, j] + A73 * k[2, j] + A74 * k[3, j] + A75 * k[4, j] + A76 * k[5, j])
    model_rhs(t + h, switch_time, y_new, p, k[6])
    for j in range(n):
        work[j] = h * (E1 * k[0, j] + E3 * k[2, j] + E4 * k[3, j] + E5 * k[4, j] + E6 * k[5, j] + E7 * k[6, j])
    return scaled_rms(work, y, y_new, rtol, atol)


@numba.njit(cache=True, error_model="numpy")
def prepare_dense(h, y, y_new, k, dense):
    for j in range(N_STATES):
        difference = y_new[j] - y[j]
        slope_gap = h * k[0, j] - difference
        dense[0, j] = difference
        dense[1, j] = slope_gap
        dense[2, j] = difference - h * k[6, j] - slope_gap
        dense[3, j] = h * (D1 * k[0, j] + D3 * k[2, j] + D4 * k[3, j] + D5 * k[4, j] + D6 * k[5, j] + D7 * k[6, j])


