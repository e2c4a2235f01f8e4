"""Lock-step lanes for the stiff method: RODAS4 for ``LANES`` patients at once (a numba template).

After :func:`cartsim.engine._lanes.lock_step` has parked the patients of a group, those that
switched to the stiff method (``method == AUTO``) continue here, side by side, instead of one
at a time. Everything in a step that is arithmetic runs as loops over lanes that LLVM
vectorizes: the Jacobian (``model_jacobian_lanes``), the factorization of
``G = I / (h gamma) - J`` and the solves (``model_lu_factor_lanes``, ``model_lu_solve_lanes``:
the model's generated straight-line code, :mod:`cartsim.model._sparse_lu`), the stage points,
the right-hand sides and the error norm. Per lane, in scalar code, stay the step-size
control, the dense output and the outputs, and the crossing tests.

A lane parks its patient again, at the top of the driver's step loop, whenever the one-patient
driver has to take over: the segment's last step, a diagonal pivot that fails the threshold
test (the driver then factors with partial pivoting), a state whose derivative depends on no
other state (the driver computes those stages exactly), a non-finite value, a rejected step
below the smallest step size, a floor or extinction crossing, ``max_steps``. Every expression
is :func:`rodas_step`'s and :func:`integrate_segment`'s, term for term and in the same order
(numba contracts no multiply-add), so the results are the one-patient driver's bit for bit
(``tests/engine/test_lanes.py``).
"""

import math

import numba
import numpy as np

from cartsim.engine._codes import AUTO, STIFF  # <template-import>
from cartsim.engine._dopri5 import all_finite, time_tolerance  # <template-import>
from cartsim.engine._driver import (  # <template-import>
    RESUME_CONTROL,
    RESUME_DOSE_INDEX,
    RESUME_H,
    RESUME_LOG_ERROR,
    RESUME_OUT_INDEX,
    RESUME_REJECTED,
    RESUME_SIZE,
    RESUME_STEPS,
    RESUME_STIFF_SINCE,
    RESUME_SWITCH_INDEX,
    RESUME_SWITCH_TIME,
    RESUME_T,
    RESUME_VALID,
    RESUME_Y,
    finish_patient,
    patient_workspace,
    record_until,
    segment_stop,
    sort_switch_times,
)
from cartsim.engine._lanes import (  # <template-import>
    LANE_ERROR,
    LANE_H,
    LANE_SIZE,
    LANE_STAGE_T,
    LANE_SWITCH,
    LANE_T,
    LANE_WORK,
    LANE_Y,
    LANE_Y_NEW,
    gather,
    lane_group,
    lane_started,
    lock_step,
    output_target,
    release_lane,
    stage,
    stage_times,
)
from cartsim.engine._model_stub import (  # <template-import>
    LANES,
    N_PARAMS,
    N_STATES,
    N_STOCHASTIC,
    N_SWITCHES,
    model_decoupled_lanes,
    model_jacobian_lanes,
    model_lu_factor_lanes,
    model_lu_solve_lanes,
    model_rhs,
    model_rhs_lanes,
    model_switch_times,
)
from cartsim.engine._rodas4 import (  # <template-import>
    ALPHA2,
    ALPHA3,
    ALPHA4,
    GAMMA,
    GAMMA2,
    GAMMA3,
    GAMMA4,
    RA21,
    RA31,
    RA32,
    RA41,
    RA42,
    RA43,
    RA51,
    RA52,
    RA53,
    RA54,
    RC21,
    RC31,
    RC32,
    RC41,
    RC42,
    RC43,
    RC51,
    RC52,
    RC53,
    RC54,
    RC61,
    RC62,
    RC63,
    RC64,
    RC65,
    RD21,
    RD22,
    RD23,
    RD24,
    RD25,
    RD31,
    RD32,
    RD33,
    RD34,
    RD35,
    ROS_FAC_MAX,
    ROS_FAC_MIN,
    ROS_SAFETY,
    rodas_error_factor,
)

# After the explicit lanes' buffer: f(t, y) (the stages use blocks 0-5 of the explicit
# layout, f(t + h, y_new) block 6), df/dt, the Jacobian and G's factors (entry (r, c) at block
# r * n + c), 1 / (h gamma), and per lane whether the factors are usable and whether some
# state's derivative depends on no other state.
STIFF_F0 = LANE_SIZE
STIFF_DFDT = STIFF_F0 + N_STATES * LANES
STIFF_JAC = STIFF_DFDT + N_STATES * LANES
STIFF_LU = STIFF_JAC + N_STATES * N_STATES * LANES
STIFF_INVERSE = STIFF_LU + N_STATES * N_STATES * LANES
STIFF_OK = STIFF_INVERSE + LANES
STIFF_DECOUPLED = STIFF_OK + LANES
# After a step: the dense output's three non-zero terms (d0, d1, d2; d3 = 0), per lane
# whether y_new is not all finite, whether f(t + h, y_new) is not all finite or a state
# crosses its floor or extinction level, and whether the lane accepted its step.
STIFF_DENSE = STIFF_DECOUPLED + LANES
STIFF_Y_BAD = STIFF_DENSE + 3 * N_STATES * LANES
STIFF_HOLD = STIFF_Y_BAD + LANES
STIFF_ACCEPT = STIFF_HOLD + LANES
# The step-size factors error ** (-1/4) for an accepted step (error at least 1e-10) and for a
# rejected one: two square roots each, with a long latency one lane at a time.
STIFF_GROW = STIFF_ACCEPT + LANES
STIFF_SHRINK = STIFF_GROW + LANES
STIFF_SIZE = STIFF_SHRINK + LANES


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def rodas_lanes_step(b, rtol, atol, floor, extinction):
    """One RODAS4 step in every lane (:func:`rodas_step` after its factorization, term for
    term, with the generated factors): the stages, y_new, f(t + h, y_new), the error norm;
    and what :func:`advance_stiff_lanes` tests per lane, computed here for all lanes at
    once: the non-finite values, the level crossings (:func:`crosses`), the dense output
    (:func:`prepare_rodas_dense`)."""
    n = N_STATES
    k1, k2, k3, k4, k5, k6 = stage(0), stage(1), stage(2), stage(3), stage(4), stage(5)
    for j in range(n):
        for w in range(LANES):
            b[k1 + j * LANES + w] = b[STIFF_F0 + j * LANES + w] + b[LANE_H + w] * GAMMA * b[STIFF_DFDT + j * LANES + w]
    model_lu_solve_lanes(b, STIFF_LU, stage(0))
    # Stage 2
    for j in range(n):
        for w in range(LANES):
            b[LANE_WORK + j * LANES + w] = b[LANE_Y + j * LANES + w] + RA21 * b[k1 + j * LANES + w]
    stage_times(b, ALPHA2)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, k2)
    for j in range(n):
        for w in range(LANES):
            h, q = b[LANE_H + w], j * LANES + w
            b[k2 + q] = b[k2 + q] + (RC21 * b[k1 + q]) / h + h * GAMMA2 * b[STIFF_DFDT + q]
    model_lu_solve_lanes(b, STIFF_LU, stage(1))
    # Stage 3
    for j in range(n):
        for w in range(LANES):
            q = j * LANES + w
            b[LANE_WORK + q] = b[LANE_Y + q] + RA31 * b[k1 + q] + RA32 * b[k2 + q]
    stage_times(b, ALPHA3)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, k3)
    for j in range(n):
        for w in range(LANES):
            h, q = b[LANE_H + w], j * LANES + w
            b[k3 + q] = b[k3 + q] + (RC31 * b[k1 + q] + RC32 * b[k2 + q]) / h + h * GAMMA3 * b[STIFF_DFDT + q]
    model_lu_solve_lanes(b, STIFF_LU, stage(2))
    # Stage 4
    for j in range(n):
        for w in range(LANES):
            q = j * LANES + w
            b[LANE_WORK + q] = b[LANE_Y + q] + RA41 * b[k1 + q] + RA42 * b[k2 + q] + RA43 * b[k3 + q]
    stage_times(b, ALPHA4)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, k4)
    for j in range(n):
        for w in range(LANES):
            h, q = b[LANE_H + w], j * LANES + w
            b[k4 + q] = (
                b[k4 + q] + (RC41 * b[k1 + q] + RC42 * b[k2 + q] + RC43 * b[k3 + q]) / h + h * GAMMA4 * b[STIFF_DFDT + q]
            )
    model_lu_solve_lanes(b, STIFF_LU, stage(3))
    # Stage 5 (at t + h; gamma_5 = 0)
    for j in range(n):
        for w in range(LANES):
            q = j * LANES + w
            b[LANE_WORK + q] = b[LANE_Y + q] + RA51 * b[k1 + q] + RA52 * b[k2 + q] + RA53 * b[k3 + q] + RA54 * b[k4 + q]
    stage_times(b, 1.0)
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, k5)
    for j in range(n):
        for w in range(LANES):
            h, q = b[LANE_H + w], j * LANES + w
            b[k5 + q] = b[k5 + q] + (RC51 * b[k1 + q] + RC52 * b[k2 + q] + RC53 * b[k3 + q] + RC54 * b[k4 + q]) / h
    model_lu_solve_lanes(b, STIFF_LU, stage(4))
    # Stage 6 (at t + h; gamma_6 = 0): its point is the stage-5 point plus K_5
    for j in range(n):
        for w in range(LANES):
            q = j * LANES + w
            b[LANE_WORK + q] = b[LANE_WORK + q] + b[k5 + q]
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_WORK, k6)
    for j in range(n):
        for w in range(LANES):
            h, q = b[LANE_H + w], j * LANES + w
            b[k6 + q] = (
                b[k6 + q]
                + (RC61 * b[k1 + q] + RC62 * b[k2 + q] + RC63 * b[k3 + q] + RC64 * b[k4 + q] + RC65 * b[k5 + q]) / h
            )
    model_lu_solve_lanes(b, STIFF_LU, stage(5))
    for j in range(n):
        for w in range(LANES):
            q = j * LANES + w
            b[LANE_Y_NEW + q] = b[LANE_WORK + q] + b[k6 + q]
    # f(t + h, y_new) for the next step (the driver computes it only for an accepted step:
    # the same value where it is used).
    model_rhs_lanes(b, LANE_STAGE_T, LANE_SWITCH, LANE_Y_NEW, stage(6))
    for w in range(LANES):
        b[LANE_ERROR + w] = 0.0
    for j in range(n):
        for w in range(LANES):
            q = j * LANES + w
            scale = atol[j] + rtol * max(abs(b[LANE_Y + q]), abs(b[LANE_Y_NEW + q]))
            b[LANE_ERROR + w] += (b[k6 + q] / scale) ** 2
    for w in range(LANES):
        error = math.sqrt(b[LANE_ERROR + w] / n)
        b[LANE_ERROR + w] = error
        b[STIFF_GROW + w] = rodas_error_factor(max(error, 1e-10))
        b[STIFF_SHRINK + w] = rodas_error_factor(error)
        b[STIFF_Y_BAD + w] = 0.0
        b[STIFF_HOLD + w] = 0.0
    for j in range(n):
        floor_j, extinction_j = floor[j], extinction[j]
        watch_floor = floor_j != 0.0 and math.isfinite(floor_j)
        watch_extinction = extinction_j != 0.0 and math.isfinite(extinction_j)
        for w in range(LANES):
            q = j * LANES + w
            before, after = b[LANE_Y + q], b[LANE_Y_NEW + q]
            crossing = (watch_floor & (before >= floor_j) & (after < floor_j)) | (
                watch_extinction & (before >= extinction_j) & (after < extinction_j)
            )
            hold = crossing | (not math.isfinite(b[stage(6) + q]))
            b[STIFF_Y_BAD + w] = max(b[STIFF_Y_BAD + w], 0.0 if math.isfinite(after) else 1.0)
            b[STIFF_HOLD + w] = max(b[STIFF_HOLD + w], 1.0 if hold else 0.0)
            b[STIFF_DENSE + q] = after - before
            b[STIFF_DENSE + n * LANES + q] = (
                RD21 * b[k1 + q] + RD22 * b[k2 + q] + RD23 * b[k3 + q] + RD24 * b[k4 + q] + RD25 * b[k5 + q]
            )
            b[STIFF_DENSE + 2 * n * LANES + q] = (
                RD31 * b[k1 + q] + RD32 * b[k2 + q] + RD33 * b[k3 + q] + RD34 * b[k4 + q] + RD35 * b[k5 + q]
            )


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def take_stiff_patient(
    b, w, following, last, params, times, dose_start, dose_time, resume, first, patient, steps, out_index, dose_index,
    switch_index, control, stop_inner, rejected, stiff_since, log_error, power, y, f, switches,
):
    """Put the next parked patient that runs the stiff method into lane w, as
    :func:`solve_patient` resumes it (it recomputes f(t, y) at the top of the segment).
    Returns (next candidate, 1 if one was taken else 0)."""
    n = N_STATES
    t_end = times[times.shape[0] - 1]
    while following < last:
        i = following
        following += 1
        row = resume[i - first]
        if row[RESUME_VALID] != 1.0 or int(row[RESUME_CONTROL]) != STIFF:
            continue
        p = params[i]
        for j in range(n):
            y[j] = row[RESUME_Y + j]
        t, switch_time = row[RESUME_T], row[RESUME_SWITCH_TIME]
        model_rhs(t, switch_time, y, p, f)
        if not all_finite(f):
            continue
        d0, d1 = dose_start[i], dose_start[i + 1]
        model_switch_times(p, switches)
        sort_switch_times(switches)
        stop = segment_stop(t_end, int(row[RESUME_DOSE_INDEX]), dose_time[d0:d1], int(row[RESUME_SWITCH_INDEX]), switches)
        for q in range(N_PARAMS):
            b[q * LANES + w] = p[q]
        for j in range(n):
            b[LANE_Y + j * LANES + w] = y[j]
            b[STIFF_F0 + j * LANES + w] = f[j]
            power[w, j] = row[RESUME_Y + n + j]
        b[LANE_T + w] = t
        b[LANE_H + w] = row[RESUME_H]
        b[LANE_SWITCH + w] = switch_time
        patient[w] = i
        steps[w] = int(row[RESUME_STEPS])
        out_index[w] = int(row[RESUME_OUT_INDEX])
        dose_index[w] = int(row[RESUME_DOSE_INDEX])
        switch_index[w] = int(row[RESUME_SWITCH_INDEX])
        for c in range(3):
            control[w, c] = int(row[RESUME_CONTROL + c])
        stop_inner[w] = stop - time_tolerance(stop)
        rejected[w] = row[RESUME_REJECTED] == 1.0
        log_error[w] = row[RESUME_LOG_ERROR]
        stiff_since[w] = row[RESUME_STIFF_SINCE]
        return following, 1
    return following, 0


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def factor_lanes(b):
    """The top of the driver's stiff step in every lane: the Jacobian at (t, y), the
    generated factorization of G = I / (h gamma) - J, and the decoupled-state test."""
    for w in range(LANES):
        b[STIFF_INVERSE + w] = 1.0 / (b[LANE_H + w] * GAMMA)
    model_jacobian_lanes(b, LANE_T, LANE_SWITCH, LANE_Y, STIFF_JAC, STIFF_DFDT)
    model_lu_factor_lanes(b, STIFF_JAC, STIFF_INVERSE, STIFF_LU, STIFF_OK)
    model_decoupled_lanes(b, STIFF_JAC, STIFF_DECOUPLED)


@numba.njit(cache=True, error_model="numpy")
def stiff_lane_workspace(n_outputs, n_times):
    """:func:`lane_group` for the stiff lanes and one patient's work arrays (as
    :func:`lane_workspace`)."""
    n = N_STATES
    return (
        lane_group(STIFF_SIZE, n_outputs, n_times),
        (np.empty(n), np.empty(n), np.empty(n)),
        np.zeros((4, n)),  # the RODAS4 dense output's fourth term stays 0
        np.empty(n_outputs - n),
        np.empty(N_SWITCHES),
    )


@numba.njit(cache=True, error_model="numpy")
def rodas_lock_step(
    first, last, params, times, dose_start, dose_time, rtol, atol, max_steps, floor, extinction, out, resume,
):
    """Continue the patients ``first .. last - 1`` that :func:`lock_step` parked at their switch
    to the stiff method, in lanes, leaving each one's state in ``resume[patient - first]``
    again for :func:`solve_patient`."""
    run_rodas_lock_step(
        first, last, params, times, dose_start, dose_time, rtol, atol, max_steps, floor, extinction, out, resume,
        stiff_lane_workspace(out.shape[1], times.shape[0]),
    )


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def run_rodas_lock_step(
    first, last, params, times, dose_start, dose_time, rtol, atol, max_steps, floor, extinction, out, resume, workspace,
):
    """The loop of :func:`rodas_lock_step`, on its ``workspace`` (:func:`stiff_lane_workspace`)."""
    group, vectors, dense, observed, switches = workspace
    b, bookkeeping, leave, staged, _ = group
    patient, steps, out_index, dose_index, switch_index, control, stop_inner, log_error, rejected, stiff_since, power = (
        bookkeeping
    )
    y, work, f = vectors
    following = first
    n_active = 0
    while True:
        for w in range(LANES):
            while leave[w]:
                leave[w] = False
                if patient[w] >= 0:
                    release_lane(w, group, out, resume, first)
                    n_active -= 1
                following, taken = take_stiff_patient(
                    b, w, following, last, params, times, dose_start, dose_time, resume, first, patient, steps, out_index,
                    dose_index, switch_index, control, stop_inner, rejected, stiff_since, log_error, power, y, f, switches,
                )
                n_active += taken
                leave[w] = lane_started(w, taken, group, max_steps)
        if n_active == 0:
            return
        # The top of the driver's loop: the Jacobian and G's factors for this step. A lane
        # whose factors the driver would compute otherwise leaves (the others then wait
        # for the refilled lanes' factors: this is rare).
        factor_lanes(b)
        refused = False
        for w in range(LANES):
            if patient[w] >= 0 and (b[STIFF_OK + w] == 0.0 or b[STIFF_DECOUPLED + w] != 0.0):
                leave[w] = True
                refused = True
        if refused:
            continue
        rodas_lanes_step(b, rtol, atol, floor, extinction)
        advance_stiff_lanes(
            b, params, times, max_steps, out, staged, patient, steps, out_index, stop_inner, rejected, leave, y, work,
            dense, observed,
        )


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def advance_stiff_lanes(
    b, params, times, max_steps, out, staged, patient, steps, out_index, stop_inner, rejected, leave, y, work, dense,
    observed,
):
    """After a step of every lane: what :func:`integrate_segment` does with a stiff step, up to
    the top of its next iteration. Sets ``leave[w]`` where the driver must take over there."""
    n = N_STATES
    n_times = times.shape[0]
    for w in range(LANES):
        b[STIFF_ACCEPT + w] = 0.0
        i = patient[w]
        if i < 0:
            continue
        t = b[LANE_T + w]
        h = b[LANE_H + w]
        error = b[LANE_ERROR + w]
        h_min = 16.0 * 2.220446049250313e-16 * max(abs(t), 1.0)
        if not math.isfinite(error) or b[STIFF_Y_BAD + w] != 0.0 or (error <= 1.0 and b[STIFF_HOLD + w] != 0.0):
            # The driver takes this step again and handles what it finds.
            leave[w] = True
            continue
        if error > 1.0:
            h_next = h * max(ROS_FAC_MIN, ROS_SAFETY * b[STIFF_SHRINK + w])
            if h_next < h_min:
                leave[w] = True
            else:
                b[LANE_H + w] = h_next
                rejected[w] = True
                steps[w] += 1
                leave[w] = steps[w] >= max_steps or t + h_next >= stop_inner[w]
            continue
        steps[w] += 1
        t_next = t + h
        if out_index[w] < n_times and times[out_index[w]] < min(t_next, stop_inner[w]):
            gather(b, LANE_Y, w, y)
            for c in range(3):
                gather(b, STIFF_DENSE + c * n * LANES, w, dense[c])
            out_index[w] = record_until(
                min(t_next, stop_inner[w]), t, h, y, params[i], times, out_index[w], output_target(staged, out, w, i),
                dense, observed, work,
            )
        b[STIFF_ACCEPT + w] = 1.0
        b[LANE_T + w] = t_next
        factor = min(ROS_FAC_MAX, ROS_SAFETY * b[STIFF_GROW + w])
        h_next = h * min(factor, 1.0) if rejected[w] else h * factor
        b[LANE_H + w] = h_next
        rejected[w] = False
        leave[w] = steps[w] >= max_steps or t_next + h_next >= stop_inner[w]
    # The accepted lanes move on: y = y_new, f(t, y) = f(t + h, y_new).
    for j in range(n):
        for w in range(LANES):
            q = j * LANES + w
            accepted = b[STIFF_ACCEPT + w] != 0.0
            b[LANE_Y + q] = b[LANE_Y_NEW + q] if accepted else b[LANE_Y + q]
            b[STIFF_F0 + q] = b[stage(6) + q] if accepted else b[STIFF_F0 + q]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def solve_batch_lanes(
    params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor, extinction,
    level, cell, rng_state, method, group, out, status, status_time, step_count, stiff_from,
):
    """:func:`solve_batch` with the explicit phase in lock-step lanes (:func:`lock_step`) and,
    for ``method == AUTO``, the stiff phase after the switch too (:func:`rodas_lock_step`), in
    groups of ``group`` patients run in parallel (for deterministic models and a method that
    starts explicit).
    The results are the same bits as :func:`solve_batch`'s, whatever the group size. A
    separate entry point, so that only callers with populations compile the lanes."""
    n_patients = params.shape[0]
    n_groups = -(-n_patients // group)
    for index in numba.prange(n_groups):
        first = index * group
        last = min(first + group, n_patients)
        resume = np.zeros((last - first, RESUME_SIZE))
        if N_STOCHASTIC == 0 and method != STIFF:
            lock_step(
                first, last, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps,
                floor, extinction, out, resume, method,
            )
            if method == AUTO:
                rodas_lock_step(
                    first, last, params, times, dose_start, dose_time, rtol, atol, max_steps, floor, extinction, out, resume
                )
        # One patient's work arrays for the group (reset for each patient).
        workspace, arrays = patient_workspace(out.shape[1], params.shape[1], level)
        for i in range(first, last):
            finish_patient(
                i, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor,
                extinction, level, cell, rng_state, method, out, status, status_time, step_count, stiff_from,
                resume[i - first], workspace, arrays,
            )
