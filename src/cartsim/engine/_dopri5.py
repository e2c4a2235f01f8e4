"""Batched adaptive Dormand-Prince 5(4) solver with dense output (a numba template).

This module is a *template*: code generation copies it into each model's generated kernel
module after the model functions (see :mod:`cartsim.engine._model_stub` for the interface),
so that numba inlines the model and caches the compiled solver per model.

Per patient the solver integrates from ``times[0]`` to ``times[-1]`` in segments whose ends
are the patient's dose times and switch times; it never steps across either. Output times
never force steps: values there come from the method's 4th-order dense output.

Method and step control follow Hairer, Norsett & Wanner, *Solving ODEs I* (2nd ed.), II.5
(DOPRI5 with the PI step-size controller, beta = 0.04) and the dense output of II.6.
"""

import math

import numba
import numpy as np

from cartsim.engine._model_stub import (  # <model-interface>
    N_SWITCHES,
    model_initial,
    model_observe,
    model_rhs,
    model_switch_times,
)

# Patient status codes; cartsim.engine._status maps them to names and messages.
OK = 0
MAX_STEPS = 1
NON_FINITE = 2
NEGATIVE_STATE = 3
STEP_TOO_SMALL = 4

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
EXPONENT = 0.2 - BETA * 0.75


@numba.njit(cache=True)
def time_tolerance(t):
    return TIME_EPS * max(1.0, abs(t))


@numba.njit(cache=True)
def scaled_rms(values, y_a, y_b, rtol, atol):
    total = 0.0
    n = values.shape[0]
    for j in range(n):
        scale = atol[j] + rtol * max(abs(y_a[j]), abs(y_b[j]))
        total += (values[j] / scale) ** 2
    return math.sqrt(total / n)


@numba.njit(cache=True)
def all_finite(values):
    for j in range(values.shape[0]):
        if not math.isfinite(values[j]):
            return False
    return True


@numba.njit(cache=True)
def record(out, k, t, y, p, observed):
    n = y.shape[0]
    for j in range(n):
        out[j, k] = y[j]
    model_observe(t, y, p, observed)
    for j in range(observed.shape[0]):
        out[n + j, k] = observed[j]


@numba.njit(cache=True)
def dense_component(theta, j, y0, dense):
    """Dense output of component j at fraction theta of the step (Hairer's CONTD5)."""
    theta1 = 1.0 - theta
    return y0[j] + theta * (dense[0, j] + theta1 * (dense[1, j] + theta * (dense[2, j] + theta1 * dense[3, j])))


@numba.njit(cache=True)
def dense_state(theta, y0, dense, result):
    for j in range(y0.shape[0]):
        result[j] = dense_component(theta, j, y0, dense)


@numba.njit(cache=True)
def initial_step(t, span, switch_time, y, k1, p, rtol, atol, work, f1):
    """Starting step size (Hairer's HINIT), limited to the segment length."""
    d0 = scaled_rms(y, y, y, rtol, atol)
    d1 = scaled_rms(k1, y, y, rtol, atol)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, span)
    for j in range(y.shape[0]):
        work[j] = y[j] + h0 * k1[j]
    model_rhs(t + h0, switch_time, work, p, f1)
    for j in range(y.shape[0]):
        f1[j] = f1[j] - k1[j]
    d2 = scaled_rms(f1, y, y, rtol, atol) / h0
    if not math.isfinite(d2):
        return h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** 0.2
    return min(100.0 * h0, h1, span)


@numba.njit(cache=True)
def try_step(t, h, switch_time, y, p, k, y_new, work, rtol, atol):
    """One Dormand-Prince step from (t, y) with k[0] = f(t, y); returns the error norm."""
    n = y.shape[0]
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


@numba.njit(cache=True)
def prepare_dense(h, y, y_new, k, dense):
    for j in range(y.shape[0]):
        difference = y_new[j] - y[j]
        slope_gap = h * k[0, j] - difference
        dense[0, j] = difference
        dense[1, j] = slope_gap
        dense[2, j] = difference - h * k[6, j] - slope_gap
        dense[3, j] = h * (D1 * k[0, j] + D3 * k[2, j] + D4 * k[3, j] + D5 * k[4, j] + D6 * k[5, j] + D7 * k[6, j])


@numba.njit(cache=True)
def crossing_fraction(y, y_new, dense, levels):
    """Earliest fraction of the step at which a state crosses its level downwards.

    A level of 0 or -inf means "no level". Returns 2.0 when no state crosses. The crossing
    is located by bisection on the dense output, so it does not depend on where the steps
    fall.
    """
    earliest = 2.0
    for j in range(y.shape[0]):
        level = levels[j]
        if level != 0.0 and math.isfinite(level) and y[j] >= level and y_new[j] < level:
            low, high = 0.0, 1.0
            for _ in range(60):
                middle = 0.5 * (low + high)
                if dense_component(middle, j, y, dense) < level:
                    high = middle
                else:
                    low = middle
            earliest = min(earliest, high)
    return earliest


@numba.njit(cache=True)
def apply_doses(t, y, index, dose_time, dose_state, dose_amount, dose_set):
    """Apply every dose within the time tolerance of t: resets first, then additions."""
    n_doses = dose_time.shape[0]
    end = index
    limit = t + time_tolerance(t)
    while end < n_doses and dose_time[end] <= limit:
        end += 1
    for d in range(index, end):
        if dose_set[d]:
            y[dose_state[d]] = dose_amount[d]
    for d in range(index, end):
        if not dose_set[d]:
            y[dose_state[d]] += dose_amount[d]
    return end


@numba.njit(cache=True)
def solve_patient(p, times, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor, extinction, out):
    """Integrate one patient; fill ``out[variable, time]``; return (status, time, steps)."""
    n = atol.shape[0]
    n_times = times.shape[0]
    y = np.zeros(n)
    y_new = np.empty(n)
    work = np.empty(n)
    k = np.empty((7, n))
    dense = np.empty((4, n))
    observed = np.empty(out.shape[0] - n)
    switches = np.empty(N_SWITCHES)
    model_initial(p, y)
    model_switch_times(p, switches)
    switches.sort()

    t = times[0]
    t_end = times[n_times - 1]
    dose_index = apply_doses(t, y, 0, dose_time, dose_state, dose_amount, dose_set)
    if not all_finite(y) or not all_finite(p):
        return NON_FINITE, t, 0
    for j in range(n):
        if y[j] < floor[j]:
            return NEGATIVE_STATE, t, 0
    out_index = 0
    while out_index < n_times and times[out_index] <= t + time_tolerance(t):
        record(out, out_index, t, y, p, observed)
        out_index += 1
    switch_index = 0
    while switch_index < N_SWITCHES and switches[switch_index] <= t + time_tolerance(t):
        switch_index += 1

    steps = 0
    while t < t_end - time_tolerance(t_end):
        stop = t_end
        if dose_index < dose_time.shape[0] and dose_time[dose_index] < stop:
            stop = dose_time[dose_index]
        if switch_index < N_SWITCHES and switches[switch_index] < stop:
            stop = switches[switch_index]
        # Time switches are evaluated at the middle of the segment, so a comparison such as
        # `t < peak_time` holds one value over the whole segment, whatever stage time is used.
        switch_time = 0.5 * (t + stop)
        code, t, steps, out_index = integrate_segment(
            t,
            stop,
            switch_time,
            y,
            p,
            times,
            out_index,
            rtol,
            atol,
            max_steps,
            steps,
            floor,
            extinction,
            out,
            observed,
            y_new,
            work,
            k,
            dense,
        )
        if code != OK:
            return code, t, steps
        dose_index = apply_doses(t, y, dose_index, dose_time, dose_state, dose_amount, dose_set)
        if not all_finite(y):
            return NON_FINITE, t, steps
        while switch_index < N_SWITCHES and switches[switch_index] <= t + time_tolerance(t):
            switch_index += 1
        while out_index < n_times and times[out_index] <= t + time_tolerance(t):
            record(out, out_index, t, y, p, observed)
            out_index += 1
    return OK, math.nan, steps


@numba.njit(cache=True)
def integrate_segment(
    t,
    stop,
    switch_time,
    y,
    p,
    times,
    out_index,
    rtol,
    atol,
    max_steps,
    steps,
    floor,
    extinction,
    out,
    observed,
    y_new,
    work,
    k,
    dense,
):
    """Integrate from t to exactly ``stop``; record the outputs strictly inside the segment."""
    n = y.shape[0]
    n_times = times.shape[0]
    stop_inner = stop - time_tolerance(stop)
    model_rhs(t, switch_time, y, p, k[0])
    if not all_finite(k[0]):
        return NON_FINITE, t, steps, out_index
    h = initial_step(t, stop - t, switch_time, y, k[0], p, rtol, atol, work, k[1])
    previous_error = 1e-4
    rejected = False
    while True:
        if steps >= max_steps:
            return MAX_STEPS, t, steps, out_index
        last = t + h >= stop_inner
        if last:
            h = stop - t
        error = try_step(t, h, switch_time, y, p, k, y_new, work, rtol, atol)
        steps += 1
        h_min = 16.0 * 2.220446049250313e-16 * max(abs(t), 1.0)
        if not math.isfinite(error):
            h *= FAC_MIN
            rejected = True
            if h < h_min:
                return NON_FINITE, t, steps, out_index
            continue
        if error > 1.0:
            h = h / min(1.0 / FAC_MIN, error**EXPONENT / SAFETY)
            rejected = True
            if h < h_min:
                return STEP_TOO_SMALL, t, steps, out_index
            continue
        prepare_dense(h, y, y_new, k, dense)
        negative = crossing_fraction(y, y_new, dense, floor)
        fraction = crossing_fraction(y, y_new, dense, extinction)
        if negative <= 1.0 and negative <= fraction:
            # Keep the outputs before the crossing, flag the patient at the crossing time.
            t_cross = t + negative * h
            while out_index < n_times and times[out_index] < min(t_cross, stop_inner):
                dense_state((times[out_index] - t) / h, y, dense, work)
                record(out, out_index, times[out_index], work, p, observed)
                out_index += 1
            return NEGATIVE_STATE, t_cross, steps, out_index
        if fraction <= 1.0:
            # Cut the step at the crossing and set the extinct state(s) to zero.
            t_cross = t + fraction * h
            while out_index < n_times and times[out_index] < min(t_cross, stop_inner):
                dense_state((times[out_index] - t) / h, y, dense, work)
                record(out, out_index, times[out_index], work, p, observed)
                out_index += 1
            dense_state(fraction, y, dense, work)
            for j in range(n):
                if extinction[j] > 0.0 and y[j] >= extinction[j] and work[j] < extinction[j] * (1.0 + 1e-9):
                    work[j] = 0.0
                y[j] = work[j]
            if t_cross >= stop_inner:
                return OK, stop, steps, out_index
            t = t_cross
            model_rhs(t, switch_time, y, p, k[0])
            continue
        t_next = stop if last else t + h
        while out_index < n_times and times[out_index] < min(t_next, stop_inner):
            dense_state((times[out_index] - t) / h, y, dense, work)
            record(out, out_index, times[out_index], work, p, observed)
            out_index += 1
        for j in range(n):
            y[j] = y_new[j]
            k[0, j] = k[6, j]
        t = t_next
        if last:
            return OK, t, steps, out_index
        factor = error**EXPONENT / previous_error**BETA
        factor = max(1.0 / FAC_MAX, min(1.0 / FAC_MIN, factor / SAFETY))
        # After a rejection the step may not grow (Hairer's DOPRI5).
        h = min(h, h / factor) if rejected else h / factor
        rejected = False
        previous_error = max(error, 1e-4)


@numba.njit(cache=True, parallel=True)
def solve_batch(
    params,
    times,
    dose_start,
    dose_time,
    dose_state,
    dose_amount,
    dose_set,
    rtol,
    atol,
    max_steps,
    floor,
    extinction,
    out,
    status,
    status_time,
    step_count,
):
    """Solve every patient (rows of ``params``) in parallel; ``out`` is (variable, patient, time)."""
    for i in numba.prange(params.shape[0]):
        first, last = dose_start[i], dose_start[i + 1]
        code, when, steps = solve_patient(
            params[i],
            times,
            dose_time[first:last],
            dose_state[first:last],
            dose_amount[first:last],
            dose_set[first:last],
            rtol,
            atol,
            max_steps,
            floor,
            extinction,
            out[:, i, :],
        )
        status[i] = code
        status_time[i] = when
        step_count[i] = steps
