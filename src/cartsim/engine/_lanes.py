"""Lock-step lanes: the explicit method for ``LANES`` patients at once (a numba template).

One patient's Dormand-Prince step is a chain of small dependent computations; a CPU can do
four of them at once in one AVX2 register, and overlap more. So the batch solver first runs
each patient's explicit phase in a *lane* of a group of ``LANES``: every lane keeps its own
time, step size, controller and outputs, but the stages of all lanes are computed together
(:func:`lanes_step`, on the model's ``model_rhs_lanes``), in a loop over lanes that LLVM
vectorizes. A lane whose patient needs anything else (a step that ends its first segment, a
rejected step at the smallest step size, a non-finite value, a state crossing its floor or
extinction level, the switch to the stiff method, ``max_steps``) *parks* the patient: it
saves the patient's state at the top of the driver's step loop and takes the next patient.
:func:`cartsim.engine._driver.solve_patient` then continues each parked patient from its
saved state with the one-patient driver.

Results are bit for bit those of the one-patient driver: the lanes print the same
expressions and take the same steps in the same order of operations (numba contracts no
multiply-add), and a parked patient resumes exactly where the driver's loop would be. So a
patient's result does not depend on its lane, its group or the batch (tests check this).
"""

import math

import numba
import numpy as np

from cartsim.engine._codes import AUTO, EXPLICIT, OK, STIFF  # <template-import>
from cartsim.engine._dopri5 import (  # <template-import>
    A21,
    A31,
    A32,
    A41,
    A42,
    A43,
    A51,
    A52,
    A53,
    A54,
    A61,
    A62,
    A63,
    A64,
    A65,
    A71,
    A73,
    A74,
    A75,
    A76,
    BETA,
    C2,
    C3,
    C4,
    C5,
    D1,
    D3,
    D4,
    D5,
    D6,
    D7,
    E1,
    E3,
    E4,
    E5,
    E6,
    E7,
    EXPONENT,
    FAC_MAX,
    FAC_MIN,
    LOG_ERROR_FLOOR,
    SAFETY,
    all_finite,
    initial_step,
    time_tolerance,
)
from cartsim.engine._driver import (  # <template-import>
    RESUME_CONTROL,
    RESUME_DOSE_INDEX,
    RESUME_H,
    RESUME_LOG_ERROR,
    RESUME_OUT_INDEX,
    RESUME_REJECTED,
    RESUME_STEPS,
    RESUME_STIFF_SINCE,
    RESUME_SWITCH_INDEX,
    RESUME_SWITCH_TIME,
    RESUME_T,
    RESUME_VALID,
    RESUME_Y,
    STIFF_CHECKS_TO_SWITCH,
    STIFFNESS_CHECK_INTERVAL,
    STIFFNESS_RATIO,
    crosses,
    patient_start,
    record_start,
    record_until,
    segment_stop,
    spectral_radius,
)
from cartsim.engine._model_stub import (  # <template-import>
    LANES,
    N_PARAMS,
    N_STATES,
    N_SWITCHES,
    model_jacobian,
    model_rhs,
    model_rhs_lanes,
)

# The lane buffer: value j of lane w in the block at offset o is b[o + j * LANES + w]. The
# parameters are the block at offset 0 (model_rhs_lanes reads them there).
LANE_Y = N_PARAMS * LANES
LANE_Y_NEW = LANE_Y + N_STATES * LANES
LANE_WORK = LANE_Y_NEW + N_STATES * LANES
LANE_K = LANE_WORK + N_STATES * LANES  # seven stage blocks; block 0 is f(t, y), block 6 f(t + h, y_new)
LANE_T = LANE_K + 7 * N_STATES * LANES
LANE_H = LANE_T + LANES
LANE_STAGE_T = LANE_H + LANES
LANE_SWITCH = LANE_STAGE_T + LANES
LANE_ERROR = LANE_SWITCH + LANES
LANE_SIZE = LANE_ERROR + LANES


@numba.njit(cache=True, error_model="numpy", inline="always")
def stage(s):
    """Offset of stage block s."""
    return LANE_K + s * N_STATES * LANES


@numba.njit(cache=True, error_model="numpy", inline="always")
def stage_times(b, c):
    for w in range(LANES):
        b[LANE_STAGE_T + w] = b[LANE_T + w] + c * b[LANE_H + w]


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def lanes_step(b, rtol, atol):
    """One Dormand-Prince step in every lane (:func:`try_step`, term for term): the stages,
    y_new, f(t + h, y_new) and the error norm."""
    n = N_STATES
    for j in range(n):
        for w in range(LANES):
            b[LANE_WORK + j * LANES + w] = b[LANE_Y + j * LANES + w] + b[LANE_H + w] * A21 * b[stage(0) + j * LANES + w]
    stage_times(b, C2)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, stage(1))
    for j in range(n):
        for w in range(LANES):
            k0, k1 = b[stage(0) + j * LANES + w], b[stage(1) + j * LANES + w]
            b[LANE_WORK + j * LANES + w] = b[LANE_Y + j * LANES + w] + b[LANE_H + w] * (A31 * k0 + A32 * k1)
    stage_times(b, C3)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, stage(2))
    for j in range(n):
        for w in range(LANES):
            k0, k1, k2 = b[stage(0) + j * LANES + w], b[stage(1) + j * LANES + w], b[stage(2) + j * LANES + w]
            b[LANE_WORK + j * LANES + w] = b[LANE_Y + j * LANES + w] + b[LANE_H + w] * (A41 * k0 + A42 * k1 + A43 * k2)
    stage_times(b, C4)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, stage(3))
    for j in range(n):
        for w in range(LANES):
            k0, k1, k2 = b[stage(0) + j * LANES + w], b[stage(1) + j * LANES + w], b[stage(2) + j * LANES + w]
            k3 = b[stage(3) + j * LANES + w]
            b[LANE_WORK + j * LANES + w] = b[LANE_Y + j * LANES + w] + b[LANE_H + w] * (A51 * k0 + A52 * k1 + A53 * k2 + A54 * k3)
    stage_times(b, C5)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, stage(4))
    for j in range(n):
        for w in range(LANES):
            k0, k1, k2 = b[stage(0) + j * LANES + w], b[stage(1) + j * LANES + w], b[stage(2) + j * LANES + w]
            k3, k4 = b[stage(3) + j * LANES + w], b[stage(4) + j * LANES + w]
            b[LANE_WORK + j * LANES + w] = b[LANE_Y + j * LANES + w] + b[LANE_H + w] * (
                A61 * k0 + A62 * k1 + A63 * k2 + A64 * k3 + A65 * k4
            )
    stage_times(b, 1.0)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, stage(5))
    for j in range(n):
        for w in range(LANES):
            k0, k2, k3 = b[stage(0) + j * LANES + w], b[stage(2) + j * LANES + w], b[stage(3) + j * LANES + w]
            k4, k5 = b[stage(4) + j * LANES + w], b[stage(5) + j * LANES + w]
            b[LANE_Y_NEW + j * LANES + w] = b[LANE_Y + j * LANES + w] + b[LANE_H + w] * (
                A71 * k0 + A73 * k2 + A74 * k3 + A75 * k4 + A76 * k5
            )
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_Y_NEW, stage(6))
    for w in range(LANES):
        b[LANE_ERROR + w] = 0.0
    for j in range(n):
        for w in range(LANES):
            k0, k2, k3 = b[stage(0) + j * LANES + w], b[stage(2) + j * LANES + w], b[stage(3) + j * LANES + w]
            k4, k5, k6 = b[stage(4) + j * LANES + w], b[stage(5) + j * LANES + w], b[stage(6) + j * LANES + w]
            error = b[LANE_H + w] * (E1 * k0 + E3 * k2 + E4 * k3 + E5 * k4 + E6 * k5 + E7 * k6)
            scale = atol[j] + rtol * max(abs(b[LANE_Y + j * LANES + w]), abs(b[LANE_Y_NEW + j * LANES + w]))
            b[LANE_ERROR + w] += (error / scale) ** 2
    for w in range(LANES):
        b[LANE_ERROR + w] = math.sqrt(b[LANE_ERROR + w] / n)


@numba.njit(cache=True, error_model="numpy", inline="always")
def lane_dense(b, w, h, dense):
    """Lane w's dense-output coefficients (:func:`prepare_dense`, term for term), read from
    the lane buffer."""
    for j in range(N_STATES):
        q = j * LANES + w
        k0, k6 = b[stage(0) + q], b[stage(6) + q]
        difference = b[LANE_Y_NEW + q] - b[LANE_Y + q]
        slope_gap = h * k0 - difference
        dense[0, j] = difference
        dense[1, j] = slope_gap
        dense[2, j] = difference - h * k6 - slope_gap
        dense[3, j] = h * (
            D1 * k0 + D3 * b[stage(2) + q] + D4 * b[stage(3) + q] + D5 * b[stage(4) + q] + D6 * b[stage(5) + q] + D7 * k6
        )


@numba.njit(cache=True, error_model="numpy", inline="always")
def gather(b, offset, w, values):
    for j in range(N_STATES):
        values[j] = b[offset + j * LANES + w]


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def park(b, w, row, log_error, rejected, steps, out_index, dose_index, switch_index, control, stiff_since, power):
    """Save lane w's patient at the top of the driver's step loop (see solve_patient)."""
    row[RESUME_VALID] = 1.0
    row[RESUME_T] = b[LANE_T + w]
    row[RESUME_H] = b[LANE_H + w]
    row[RESUME_LOG_ERROR] = log_error[w]
    row[RESUME_REJECTED] = 1.0 if rejected[w] else 0.0
    row[RESUME_STEPS] = steps[w]
    row[RESUME_OUT_INDEX] = out_index[w]
    row[RESUME_DOSE_INDEX] = dose_index[w]
    row[RESUME_SWITCH_INDEX] = switch_index[w]
    row[RESUME_SWITCH_TIME] = b[LANE_SWITCH + w]
    for c in range(3):
        row[RESUME_CONTROL + c] = control[w, c]
    row[RESUME_STIFF_SINCE] = stiff_since[w]
    for j in range(N_STATES):
        row[RESUME_Y + j] = b[LANE_Y + j * LANES + w]
        row[RESUME_Y + N_STATES + j] = power[w, j]


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def release_lane(w, group, out, resume, first):
    """Lane w's patient leaves its lane (either lock-step pass; ``group`` is
    :func:`lane_group`'s): its staged outputs go to ``out``, its state to its ``resume`` row."""
    b, bookkeeping, _, staged, staged_from = group
    patient, steps, out_index, dose_index, switch_index, control, _, log_error, rejected, stiff_since, power = bookkeeping
    i = patient[w]
    flush_stage(staged, w, out[i], staged_from[w], out_index[w])
    park(b, w, resume[i - first], log_error, rejected, steps, out_index, dose_index, switch_index, control, stiff_since, power)
    patient[w] = -1


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def lane_started(w, taken, group, max_steps):
    """After lane w took a patient (``taken == 1``) or found none: the first output it
    stages; whether the new patient must leave at once (at the top of the driver's loop)."""
    b, bookkeeping, _, _, staged_from = group
    steps, out_index, stop_inner = bookkeeping[1], bookkeeping[2], bookkeeping[6]
    staged_from[w] = out_index[w]
    return taken == 1 and (steps[w] >= max_steps or b[LANE_T + w] + b[LANE_H + w] >= stop_inner[w])


#: Lanes stage their patients' outputs when all lanes' stages fit in this many bytes (a
#: core's L2 cache holds 2 MiB): 16 patients written a few values at a time, each into
#: rows of its own, are 16 x (states + observables) write streams that the hardware
#: prefetcher does not follow, so every cache line written waits for memory. A staged
#: patient's outputs are copied to ``out`` in one pass when it leaves its lane.
STAGE_BYTES = 1 << 20


@numba.njit(cache=True, error_model="numpy")
def output_stage(n_outputs, n_times):
    """Per lane, a patient's outputs ``(variable, time)``; no lanes (outputs go straight to
    ``out``) when they would not fit in :data:`STAGE_BYTES`."""
    lanes = LANES if LANES * n_outputs * n_times * 8 <= STAGE_BYTES else 0
    return np.empty((lanes, n_outputs, n_times))


@numba.njit(cache=True, error_model="numpy", inline="always")
def output_target(staged, out, w, i):
    """Where lane w records its patient i's outputs."""
    return staged[w] if staged.shape[0] > 0 else out[i]


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def flush_stage(staged, w, out_patient, start, stop):
    """Copy lane w's staged outputs ``start .. stop - 1`` to its patient's ``out`` rows."""
    if staged.shape[0] > 0:
        for j in range(out_patient.shape[0]):
            source, target = staged[w, j, start:stop], out_patient[j, start:stop]
            for q in range(target.shape[0]):
                target[q] = source[q]


@numba.njit(cache=True, error_model="numpy")
def lane_bookkeeping():
    """Per lane: its patient (-1: none), steps, next output, dose and switch indices, the
    controller's state (see solve_patient), the segment's inner end, the last log error, the
    rejection flag, the switch time to the stiff method and the power iteration's vector."""
    return (
        np.full(LANES, -1, dtype=np.int64),
        np.zeros(LANES, dtype=np.int64),
        np.zeros(LANES, dtype=np.int64),
        np.zeros(LANES, dtype=np.int64),
        np.zeros(LANES, dtype=np.int64),
        np.zeros((LANES, 3), dtype=np.int64),
        np.zeros(LANES),
        np.zeros(LANES),
        np.zeros(LANES, dtype=np.bool_),
        np.full(LANES, math.nan),
        np.empty((LANES, N_STATES)),
    )


@numba.njit(cache=True, error_model="numpy")
def lane_group(size, n_outputs, n_times):
    """What every lock-step pass keeps per group of lanes: the lane buffer (``size``
    doubles), the lanes' bookkeeping (:func:`lane_bookkeeping`), the leave flags, and the
    output stage (:func:`output_stage`) with each lane's first staged output."""
    return (
        np.zeros(size),
        lane_bookkeeping(),
        np.ones(LANES, dtype=np.bool_),
        output_stage(n_outputs, n_times),
        np.zeros(LANES, dtype=np.int64),
    )


@numba.njit(cache=True, error_model="numpy")
def lane_workspace(n_outputs, n_times):
    """:func:`lane_group` and one patient's worth of work arrays for the per-lane parts."""
    n = N_STATES
    return (
        lane_group(LANE_SIZE, n_outputs, n_times),
        (np.empty(n), np.empty(n), np.empty(n), np.empty(n)),
        np.empty((7, n)),
        np.empty((4, n)),
        np.zeros((n, n)),
        np.zeros(n),
        np.empty(n_outputs - n),
        np.empty(N_SWITCHES),
    )


@numba.njit(cache=True, error_model="numpy")
def lock_step(
    first, last, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor,
    extinction, out, resume, method,
):
    """Run patients ``first .. last - 1`` through their explicit phase in lanes, leaving each
    one's state in ``resume[patient - first]`` (or that row invalid: the patient then runs
    from the start in the one-patient driver, as when its first output time is also its
    last or it fails at ``times[0]``)."""
    run_lock_step(
        first, last, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor,
        extinction, out, resume, method, lane_workspace(out.shape[1], times.shape[0]),
    )


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def run_lock_step(
    first, last, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor,
    extinction, out, resume, method, workspace,
):
    """The loop of :func:`lock_step`, on its ``workspace`` (:func:`lane_workspace`)."""
    t_end = times[times.shape[0] - 1]
    group, vectors, k, dense, jac, dfdt, observed, switches = workspace
    b, bookkeeping, leave, staged, _ = group
    patient, steps, out_index, dose_index, switch_index, control, stop_inner, log_error, rejected, stiff_since, power = (
        bookkeeping
    )
    y, y_new, work, f = vectors
    following = first
    active = 0
    while True:
        # Lanes whose patient leaves (at the top of the driver's step loop) take the next one.
        for w in range(LANES):
            while leave[w]:
                leave[w] = False
                if patient[w] >= 0:
                    release_lane(w, group, out, resume, first)
                    active -= 1
                following, taken = take_patient(
                    b, w, following, last, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set,
                    rtol, atol, floor, out, t_end, patient, steps, out_index, dose_index, switch_index, control,
                    stop_inner, log_error, rejected, stiff_since, power, y, f, work, k, observed, switches,
                )
                active += taken
                leave[w] = lane_started(w, taken, group, max_steps)
        if active == 0:
            return
        lanes_step(b, rtol, atol)
        advance_lanes(
            b, params, times, floor, extinction, max_steps, out, staged, method, patient, steps, out_index, control,
            stop_inner, log_error, rejected, stiff_since, power, leave, y, y_new, work, dense, jac, dfdt, observed,
        )


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def advance_lanes(
    b, params, times, floor, extinction, max_steps, out, staged, method, patient, steps, out_index, control, stop_inner,
    log_error, rejected, stiff_since, power, leave, y, y_new, work, dense, jac, dfdt, observed,
):
    """After a step of every lane: what the driver's step loop does with each lane's step
    (:func:`integrate_segment`, explicit method), up to the top of its next iteration. Sets
    ``leave[w]`` where the patient needs the one-patient driver, at the top of the loop."""
    n = N_STATES
    n_times = times.shape[0]
    for w in range(LANES):
        i = patient[w]
        if i < 0:
            continue
        t = b[LANE_T + w]
        h = b[LANE_H + w]
        error = b[LANE_ERROR + w]
        h_min = 16.0 * 2.220446049250313e-16 * max(abs(t), 1.0)
        if not math.isfinite(error):
            # The driver takes this step again and handles what it finds (so do the others).
            leave[w] = True
            continue
        if error > 1.0:
            h_next = h / min(1.0 / FAC_MIN, math.exp(EXPONENT * math.log(error)) / SAFETY)
            if h_next < h_min:
                leave[w] = True
            else:
                b[LANE_H + w] = h_next
                rejected[w] = True
                steps[w] += 1
                leave[w] = steps[w] >= max_steps or t + h_next >= stop_inner[w]
            continue
        # Lane w's states before and after the step, as strided views of the buffer.
        y_lane, y_new_lane = b[LANE_Y + w : LANE_Y_NEW : LANES], b[LANE_Y_NEW + w : LANE_WORK : LANES]
        if crosses(y_lane, y_new_lane, floor) or crosses(y_lane, y_new_lane, extinction):
            leave[w] = True
            continue
        steps[w] += 1
        t_next = t + h
        if out_index[w] < n_times and times[out_index[w]] < min(t_next, stop_inner[w]):
            gather(b, LANE_Y, w, y)
            lane_dense(b, w, h, dense)
            out_index[w] = record_until(
                min(t_next, stop_inner[w]), t, h, y, params[i], times, out_index[w], output_target(staged, out, w, i),
                dense, observed, work,
            )
        for j in range(n):
            b[LANE_Y + j * LANES + w] = b[LANE_Y_NEW + j * LANES + w]
            b[stage(0) + j * LANES + w] = b[stage(6) + j * LANES + w]
        b[LANE_T + w] = t_next
        if method == AUTO:
            control[w, 2] += 1
            if control[w, 2] % STIFFNESS_CHECK_INTERVAL == 0:
                gather(b, LANE_Y, w, y_new)
                model_jacobian(t_next, b[LANE_SWITCH + w], y_new, params[i], jac, dfdt)
                if h * spectral_radius(jac, power[w], work) > STIFFNESS_RATIO:
                    control[w, 1] += 1
                    if control[w, 1] >= STIFF_CHECKS_TO_SWITCH:
                        control[w, 0] = STIFF
                        stiff_since[w] = t_next
                else:
                    control[w, 1] = 0
        log_step_error = math.log(error)
        factor = math.exp(EXPONENT * log_step_error - BETA * log_error[w])
        factor = max(1.0 / FAC_MAX, min(1.0 / FAC_MIN, factor / SAFETY))
        h_next = min(h, h / factor) if rejected[w] else h / factor
        b[LANE_H + w] = h_next
        log_error[w] = max(log_step_error, LOG_ERROR_FLOOR)
        rejected[w] = False
        leave[w] = control[w, 0] == STIFF or steps[w] >= max_steps or t_next + h_next >= stop_inner[w]


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def take_patient(
    b, w, following, last, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, floor,
    out, t_end, patient, steps, out_index, dose_index, switch_index, control, stop_inner, log_error, rejected,
    stiff_since, power, y, f, work, k, observed, switches,
):
    """Put the next patient that can start in lanes into lane w: the driver's start of a
    patient and of its first segment. Returns (next candidate, 1 if one was taken else 0)."""
    n = N_STATES
    while following < last:
        i = following
        following += 1
        p = params[i]
        d0, d1 = dose_start[i], dose_start[i + 1]
        code, first_dose = patient_start(
            p, times, dose_time[d0:d1], dose_state[d0:d1], dose_amount[d0:d1], dose_set[d0:d1], floor, y, switches
        )
        t = times[0]
        if code != OK or not t < t_end - time_tolerance(t_end):
            continue
        recorded, first_switch = record_start(times, y, p, switches, out[i], observed)
        stop = segment_stop(t_end, first_dose, dose_time[d0:d1], first_switch, switches)
        switch_time = 0.5 * (t + stop)
        model_rhs(t, switch_time, y, p, f)
        if not all_finite(f):
            continue
        h = initial_step(t, stop - t, switch_time, y, f, p, rtol, atol, work, k[1])
        for q in range(N_PARAMS):
            b[q * LANES + w] = p[q]
        for j in range(n):
            b[LANE_Y + j * LANES + w] = y[j]
            b[stage(0) + j * LANES + w] = f[j]
            power[w, j] = 1.0 / math.sqrt(n)
        b[LANE_T + w] = t
        b[LANE_H + w] = h
        b[LANE_SWITCH + w] = switch_time
        patient[w] = i
        steps[w] = 0
        out_index[w] = recorded
        dose_index[w] = first_dose
        switch_index[w] = first_switch
        control[w, 0] = EXPLICIT
        control[w, 1] = 0
        control[w, 2] = 0
        stop_inner[w] = stop - time_tolerance(stop)
        log_error[w] = LOG_ERROR_FLOOR
        rejected[w] = False
        stiff_since[w] = math.nan
        return following, 1
    return following, 0
