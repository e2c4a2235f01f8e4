"""The per-patient driver: segments, events, outputs and method switching (a numba template).

Per patient the driver integrates from ``times[0]`` to ``times[-1]`` in segments whose ends
are the patient's dose times and switch times; it never steps across either. Output times
never force steps: values there come from the method's dense output. Within a segment it
takes steps of the explicit method (:mod:`cartsim.engine._dopri5`) or of the stiff method
(:mod:`cartsim.engine._rodas4`). With ``method == AUTO`` a patient starts explicit and
switches to the stiff method for good once its steps are limited by stability rather than
accuracy, as LSODA-style solvers do: every few accepted steps the spectral radius rho of the
model's symbolic Jacobian is estimated by power iteration, and ``h * rho`` above 2 (the
Dormand-Prince stability boundary on the negative real axis is about 3.3) in several checks
in a row switches the method.

Reference counting: the functions on the hot path are compiled with ``_nrt=False``. Numba
otherwise counts every array argument of every call, and every view, up and down with
atomic instructions: with the lanes' many-argument calls that was about a tenth of a
population run. Such a function must allocate nothing and call nothing that allocates
(numba types its callees under the same flags). So the work arrays are allocated outside
them and kept alive by the allocating caller: :func:`patient_workspace` in the batch loops,
for :func:`solve_patient`; ``lock_step`` and ``rodas_lock_step``, for their ``run_*`` loops.
"""

import math

import numba
import numpy as np

from cartsim.engine._codes import (  # <template-import>
    AUTO,
    ENTER_STOCHASTIC,
    EXPLICIT,
    MAX_STEPS,
    NEGATIVE_STATE,
    NON_FINITE,
    OK,
    STEP_TOO_SMALL,
    STIFF,
)
from cartsim.engine._dopri5 import (  # <template-import>
    BETA,
    EXPONENT,
    FAC_MAX,
    FAC_MIN,
    LOG_ERROR_FLOOR,
    SAFETY,
    all_finite,
    dense_component,
    dense_state,
    initial_step,
    prepare_dense,
    time_tolerance,
    try_step,
)
from cartsim.engine._hybrid import (  # <template-import>
    HAZARD_INTERVAL,
    after_dose,
    enter_stochastic,
    event_time,
    fire_event,
    rng_exponential,
    total_propensity,
)
from cartsim.engine._model_stub import (  # <template-import>
    N_STATES,
    N_STOCHASTIC,
    N_SWITCHES,
    model_initial,
    model_jacobian,
    model_observe,
    model_rhs,
    model_switch_times,
)
from cartsim.engine._rodas4 import (  # <template-import>
    ROS_FAC_MAX,
    ROS_FAC_MIN,
    ROS_SAFETY,
    prepare_rodas_dense,
    rodas_error_factor,
    rodas_step,
)

#: Relative slack within which the hazard counts as having reached its target at a piece's end.
EVENT_RTOL = 1e-9
#: h * rho above this means the explicit step is close to its stability limit.
STIFFNESS_RATIO = 2.0
#: Accepted explicit steps between two stiffness checks (each costs one Jacobian and a power
#: iteration). 8 rather than 4: on cart6 a patient-year took 12 % less time (half the checks,
#: and a switch about 12 steps later, where an explicit step costs ~40 % of a stiff one) at
#: the same accuracy against the Radau reference (design note 0002). 16 with two positive
#: checks to switch (32 steps of evidence, against 8 with three): 3 % less time on cart6,
#: the same steps (+0.5 %) on every library model.
STIFFNESS_CHECK_INTERVAL = 16
#: Consecutive positive checks before AUTO switches to the stiff method.
STIFF_CHECKS_TO_SWITCH = 2
#: Power iterations per spectral-radius estimate. Each estimate starts from the last one's
#: vector: the dominant direction changes slowly, so a few iterations keep it converged.
POWER_ITERATIONS = 3


# Inlined (in numba's IR) into its callers: as a call it passed every array through the
# stack, which cost about a third of each daily output.
@numba.njit(cache=True, error_model="numpy", inline="always")
def record(out, k, t, y, p, observed):
    n = N_STATES
    for j in range(n):
        out[j, k] = y[j]
    model_observe(t, y, p, observed)
    for j in range(observed.shape[0]):
        out[n + j, k] = observed[j]


@numba.njit(cache=True, error_model="numpy")
def matrix_finite(matrix):
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if not math.isfinite(matrix[i, j]):
                return False
    return True


@numba.njit(cache=True, error_model="numpy", inline="always")
def crosses(y, y_new, levels):
    """Whether a state crosses its level (0 or -inf: none) downwards in this step."""
    for j in range(N_STATES):
        level = levels[j]
        if level != 0.0 and math.isfinite(level) and y[j] >= level and y_new[j] < level:
            return True
    return False


@numba.njit(cache=True, error_model="numpy")
def crossing_fraction(y, y_new, dense, levels):
    """Earliest fraction of the step at which a state crosses its level downwards.

    A level of 0 or -inf means "no level". Returns 2.0 when no state crosses. The crossing
    is located by bisection on the dense output, so it does not depend on where the steps
    fall.
    """
    earliest = 2.0
    for j in range(N_STATES):
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


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
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



# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def sort_switch_times(values):
    """Sort a model's few switch times in place, NaNs last as ``ndarray.sort`` does. By
    insertion: it allocates nothing, so functions compiled without reference counting can
    call it (numba's sort needs it)."""
    for i in range(1, values.shape[0]):
        value = values[i]
        j = i - 1
        while j >= 0 and (values[j] > value or (math.isnan(values[j]) and not math.isnan(value))):
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = value


@numba.njit(cache=True, error_model="numpy")
def new_workspace(n, n_observables):
    """The per-patient work arrays of :func:`integrate_segment` (see the comments)."""
    return (
        np.empty(n),  # y_new
        np.empty(n),  # work
        np.empty((7, n)),  # k: explicit stages; k[0] = f(t, y) and k[6] = f(t + h, y_new) for both methods
        np.empty((4, n)),  # dense output
        np.empty((6, n)),  # Rosenbrock stages
        np.zeros((n, n)),  # Jacobian (entries that are structurally zero are never written)
        np.empty((n, n)),  # LU factors
        np.empty(n, dtype=np.int64),  # pivots
        np.zeros(n),  # df/dt
        np.empty(n_observables),  # observables
        np.zeros(n),  # birth fluxes (hybrid mode)
        np.zeros(n),  # death fluxes (hybrid mode)
        np.zeros(1),  # hybrid mode: the step size to start the next piece with (0: estimate one)
        np.zeros(n, dtype=np.bool_),  # stiff method: states whose derivative depends on no other state
        np.empty(n),  # stiff method: a stage's right-hand side, kept for those states
        np.full(n, 1.0 / math.sqrt(n)),  # method AUTO: the power iteration's vector, kept between checks
    )


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def patient_start(p, times, dose_time, dose_state, dose_amount, dose_set, floor, y, switches):
    """A patient's initial state, its switch times and its doses at ``times[0]``.

    Returns (status, dose index): OK, or the failure found at ``times[0]`` (a non-finite
    value, a negative state).
    """
    t = times[0]
    model_initial(p, y)
    model_switch_times(p, switches)
    sort_switch_times(switches)
    dose_index = apply_doses(t, y, 0, dose_time, dose_state, dose_amount, dose_set)
    if not all_finite(y) or not all_finite(p):
        return NON_FINITE, dose_index
    for j in range(N_STATES):
        if y[j] < floor[j]:
            return NEGATIVE_STATE, dose_index
    return OK, dose_index


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def record_start(times, y, p, switches, out, observed):
    """The outputs at ``times[0]``; returns (output index, switch index) after them."""
    t = times[0]
    out_index = 0
    while out_index < times.shape[0] and times[out_index] <= t + time_tolerance(t):
        record(out, out_index, t, y, p, observed)
        out_index += 1
    switch_index = 0
    while switch_index < N_SWITCHES and switches[switch_index] <= t + time_tolerance(t):
        switch_index += 1
    return out_index, switch_index


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def segment_stop(t_end, dose_index, dose_time, switch_index, switches):
    """The end of the segment that starts now: the next dose or switch time, or the end."""
    stop = t_end
    if dose_index < dose_time.shape[0] and dose_time[dose_index] < stop:
        stop = dose_time[dose_index]
    if switch_index < N_SWITCHES and switches[switch_index] < stop:
        stop = switches[switch_index]
    return stop


#: Layout of a patient's saved state (:func:`solve_patient`'s ``resume``), after which come
#: the states (N_STATES) and the power iteration's vector (N_STATES).
RESUME_VALID, RESUME_T, RESUME_H, RESUME_LOG_ERROR, RESUME_REJECTED, RESUME_STEPS = 0, 1, 2, 3, 4, 5
RESUME_OUT_INDEX, RESUME_DOSE_INDEX, RESUME_SWITCH_INDEX, RESUME_SWITCH_TIME = 6, 7, 8, 9
RESUME_CONTROL, RESUME_STIFF_SINCE, RESUME_Y = 10, 13, 14
RESUME_SIZE = RESUME_Y + 2 * N_STATES


@numba.njit(cache=True, error_model="numpy")
def patient_workspace(n_outputs, n_row, level):
    """One patient's work arrays, for :func:`solve_patient` (reused patient after patient,
    see :func:`reset_workspace`): :func:`new_workspace`'s, and the patient's own.

    Hybrid mode uses the last five of the patient's: which states are stochastic now, the
    levels still watched for a downward crossing, the hazard accumulated towards the next
    event and its target, a copy of the state, and a copy of the parameter row (whose
    hidden mode flags change)."""
    n = N_STATES
    arrays = (
        np.zeros(n),  # y
        np.zeros(3, dtype=np.int64),  # control: [method (EXPLICIT or STIFF), positive stiffness checks in a row, accepted steps]
        np.full(1, math.nan),  # stiff_since
        np.empty(N_SWITCHES),  # switches
        np.zeros(n, dtype=np.bool_),  # active
        level.copy(),  # watch
        np.array([0.0, -1.0]),  # hazard
        np.empty(n),  # saved
        np.empty(n_row if N_STOCHASTIC > 0 else 0),  # the parameter row's copy
    )
    return new_workspace(n, n_outputs - n), arrays


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def reset_workspace(workspace, arrays, level):
    """Give every work array that :func:`patient_workspace` initializes its initial value
    again, so that a patient's result does not depend on the patient solved before it."""
    n = N_STATES
    jac, dfdt, birth, death, step_hint, decoupled, power_vector = (
        workspace[5], workspace[8], workspace[10], workspace[11], workspace[12], workspace[13], workspace[15]
    )
    y, control, stiff_since, _, active, watch, hazard = arrays[:7]
    for i in range(n):
        for j in range(n):
            jac[i, j] = 0.0
        dfdt[i] = 0.0
        birth[i] = 0.0
        death[i] = 0.0
        decoupled[i] = False
        power_vector[i] = 1.0 / math.sqrt(n)
        y[i] = 0.0
        active[i] = False
        watch[i] = level[i]
    step_hint[0] = 0.0
    for c in range(3):
        control[c] = 0
    stiff_since[0] = math.nan
    hazard[0] = 0.0
    hazard[1] = -1.0


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def solve_patient(
    p, times, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor, extinction, level, cell, rng,
    method, out, resume, workspace, arrays,
):
    """Integrate one patient; fill ``out[variable, time]``. ``workspace`` and ``arrays`` are
    :func:`patient_workspace`'s (reset here).

    ``level`` and ``cell`` are the stochastic levels and cell amounts per state (0: none) and
    ``rng`` the patient's random stream (used only by models with stochastic states).
    ``resume`` is a state saved part-way through the first segment by the lock-step phase
    (:mod:`cartsim.engine._lanes`; ``resume[RESUME_VALID] == 1``): the patient continues
    from it exactly as if it had never stopped. Otherwise the patient starts at ``times[0]``.
    Returns (status, status time, steps, time the stiff method took over or NaN, number of
    output times recorded).
    """
    reset_workspace(workspace, arrays, level)
    if N_STOCHASTIC > 0:
        row = arrays[8]
        for q in range(p.shape[0]):
            row[q] = p[q]
        p = row
    n = N_STATES
    n_times = times.shape[0]
    y, control, stiff_since, switches, active, watch, hazard, saved = arrays[:8]
    control[0] = STIFF if method == STIFF else EXPLICIT
    if method == STIFF:
        stiff_since[0] = times[0]
    n_active = 0

    t = times[0]
    t_end = times[n_times - 1]
    steps = 0
    # The first segment's step size, controller memory and switch time when resuming.
    h_resume, log_error_resume, rejected_resume, switch_time_resume = -1.0, LOG_ERROR_FLOOR, False, math.nan
    if resume[RESUME_VALID] == 1.0:
        model_switch_times(p, switches)
        sort_switch_times(switches)
        t = resume[RESUME_T]
        h_resume = resume[RESUME_H]
        log_error_resume = resume[RESUME_LOG_ERROR]
        rejected_resume = resume[RESUME_REJECTED] == 1.0
        switch_time_resume = resume[RESUME_SWITCH_TIME]
        steps = int(resume[RESUME_STEPS])
        out_index = int(resume[RESUME_OUT_INDEX])
        dose_index = int(resume[RESUME_DOSE_INDEX])
        switch_index = int(resume[RESUME_SWITCH_INDEX])
        for c in range(3):
            control[c] = int(resume[RESUME_CONTROL + c])
        stiff_since[0] = resume[RESUME_STIFF_SINCE]
        power_vector = workspace[15]
        for j in range(n):
            y[j] = resume[RESUME_Y + j]
            power_vector[j] = resume[RESUME_Y + n + j]
    else:
        code, dose_index = patient_start(p, times, dose_time, dose_state, dose_amount, dose_set, floor, y, switches)
        if code != OK:
            return code, t, 0, stiff_since[0], 0
        if N_STOCHASTIC > 0:
            n_active = enter_stochastic(y, p, active, watch, level, cell)
        out_index, switch_index = record_start(times, y, p, switches, out, workspace[9])

    while t < t_end - time_tolerance(t_end):
        stop = segment_stop(t_end, dose_index, dose_time, switch_index, switches)
        # Time switches are evaluated at the middle of the segment, so a comparison such as
        # `t < peak_time` holds one value over the whole segment, whatever stage time is used.
        switch_time = 0.5 * (t + stop)
        if h_resume > 0.0:
            switch_time = switch_time_resume
        if N_STOCHASTIC > 0 and n_active > 0:
            code, t, steps, out_index, n_active = hybrid_piece(
                t, stop, switch_time, y, p, times, out_index, rtol, atol, max_steps, steps, floor, extinction, watch,
                out, method, control, stiff_since, workspace, active, level, cell, hazard, rng, saved,
            )
        else:
            code, t, steps, out_index = integrate_segment(
                t, stop, switch_time, y, p, times, out_index, rtol, atol, max_steps, steps, floor, extinction, watch,
                out, method, control, stiff_since, workspace, h_resume, log_error_resume, rejected_resume,
            )
        # Later segments start afresh.
        h_resume, log_error_resume, rejected_resume = -1.0, LOG_ERROR_FLOOR, False
        if code == ENTER_STOCHASTIC:
            n_active = enter_stochastic(y, p, active, watch, level, cell)
            code = OK
        if code != OK:
            return code, t, steps, stiff_since[0], out_index
        if t >= stop - time_tolerance(stop):
            t = stop
            dose_index = apply_doses(t, y, dose_index, dose_time, dose_state, dose_amount, dose_set)
            if not all_finite(y):
                return NON_FINITE, t, steps, stiff_since[0], out_index
            if N_STOCHASTIC > 0:
                n_active = after_dose(y, p, active, watch, level, cell)
            while switch_index < N_SWITCHES and switches[switch_index] <= t + time_tolerance(t):
                switch_index += 1
        while out_index < n_times and times[out_index] <= t + time_tolerance(t):
            record(out, out_index, t, y, p, workspace[9])
            out_index += 1
    return OK, math.nan, steps, stiff_since[0], out_index


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def spectral_radius(matrix, vector, product):
    """Estimate the largest |eigenvalue| of ``matrix`` by power iteration from ``vector`` (a
    unit vector, left at the new estimate's direction). A few steps suffice to tell a
    stability-limited step from an accuracy-limited one."""
    n = N_STATES
    estimate = 0.0
    for _ in range(POWER_ITERATIONS):
        norm = 0.0
        for i in range(n):
            total = 0.0
            for j in range(n):
                total += matrix[i, j] * vector[j]
            product[i] = total
            norm += total * total
        norm = math.sqrt(norm)
        if norm == 0.0 or not math.isfinite(norm):
            # Restart from the uniform direction next time.
            for j in range(n):
                vector[j] = 1.0 / math.sqrt(n)
            return norm
        estimate = norm
        inverse = 1.0 / norm
        for j in range(n):
            vector[j] = product[j] * inverse
    return estimate


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False, inline="always")  # type: ignore[call-overload]
def record_until(limit, t, h, y, p, times, out_index, out, dense, observed, point):
    """Record the outputs strictly before ``limit`` from the current step's dense output
    (:func:`dense_component`, term for term); returns the index of the next output."""
    end = out_index
    while end < times.shape[0] and times[end] < limit:
        end += 1
    # State by state over the outputs: contiguous stores that LLVM vectorizes (a long stiff
    # step late in follow-up covers dozens of daily outputs), and a multiplication by 1/h, as
    # a division per value would take longer than the rest of the loop.
    # Slices indexed from 0 let LLVM prove the indices non-negative: numba's wrap-around of
    # negative indices would otherwise turn the loop into gathers and scatters.
    inverse_h = 1.0 / h
    output_times = times[out_index:end]
    for j in range(N_STATES):
        y0, d0, d1, d2, d3 = y[j], dense[0, j], dense[1, j], dense[2, j], dense[3, j]
        row = out[j, out_index:end]
        for q in range(row.shape[0]):
            theta = (output_times[q] - t) * inverse_h
            theta1 = 1.0 - theta
            row[q] = y0 + theta * (d0 + theta1 * (d1 + theta * (d2 + theta1 * d3)))
    if observed.shape[0] > 0:
        for q in range(out_index, end):
            for j in range(N_STATES):
                point[j] = out[j, q]
            model_observe(times[q], point, p, observed)
            for j in range(observed.shape[0]):
                out[N_STATES + j, q] = observed[j]
    return end


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def integrate_segment(
    t, stop, switch_time, y, p, times, out_index, rtol, atol, max_steps, steps, floor, extinction, watch, out,
    method, control, stiff_since, workspace, h_resume, log_error_resume, rejected_resume,
):
    """Integrate from t to exactly ``stop``; record the outputs strictly inside the segment.

    Stops early, returning ENTER_STOCHASTIC, where a state falls through its watched
    stochastic level (``watch``; only models with stochastic states watch any). With
    ``h_resume > 0`` the segment is already under way: its next step size and controller
    memory are given (see :func:`solve_patient`).
    """
    y_new, work, k, dense, stages, jac, lu, pivots, dfdt, observed = workspace[:10]
    # Views taken once per segment: each view taken in the loop costs an atomic reference count.
    f_start, f_end, decoupled, stage_rhs, power_vector = k[0], k[6], workspace[13], workspace[14], workspace[15]
    n = N_STATES
    stop_inner = stop - time_tolerance(stop)
    model_rhs(t, switch_time, y, p, f_start)
    if not all_finite(f_start):
        return NON_FINITE, t, steps, out_index
    if h_resume > 0.0:
        h = h_resume
    else:
        h = initial_step(t, stop - t, switch_time, y, f_start, p, rtol, atol, work, k[1])
    step_hint = workspace[12]
    segment_start = t
    if N_STOCHASTIC > 0 and step_hint[0] > 0.0:
        # Hybrid pieces follow each other with a one-cell change: keep the step size going.
        h = step_hint[0]
    log_previous_error = log_error_resume
    rejected = rejected_resume
    jacobian_current = False
    jacobian_finite = True
    while True:
        if steps >= max_steps:
            return MAX_STEPS, t, steps, out_index
        last = t + h >= stop_inner
        proposed = h
        if last:
            h = stop - t
        stiff = control[0] == STIFF
        if stiff and not jacobian_current:
            model_jacobian(t, switch_time, y, p, jac, dfdt)
            jacobian_current = True
            jacobian_finite = True
        if stiff and jacobian_finite:
            error = rodas_step(
                t, h, switch_time, y, p, f_start, jac, dfdt, lu, pivots, stages, work, y_new, rtol, atol, decoupled, stage_rhs
            )
            if math.isfinite(error) and error <= 1.0:
                model_rhs(t + h, switch_time, y_new, p, f_end)
                if not all_finite(f_end):
                    error = math.inf
            elif not math.isfinite(error) and not (all_finite(dfdt) and matrix_finite(jac)):
                # f is finite but its Jacobian is not (e.g. inf/inf in a derivative of (K/u)**h
                # as u -> 0): take this step with the explicit method rather than fail the patient.
                jacobian_finite = False
        if stiff and not jacobian_finite:
            stiff = False
        if not stiff:
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
            if stiff:
                h = h * max(ROS_FAC_MIN, ROS_SAFETY * rodas_error_factor(error))
            else:
                h = h / min(1.0 / FAC_MIN, math.exp(EXPONENT * math.log(error)) / SAFETY)
            rejected = True
            if h < h_min:
                return STEP_TOO_SMALL, t, steps, out_index
            continue
        t_next = stop if last else t + h
        # The dense output is built only for steps that need it: most explicit steps hold
        # no output time and cross no level.
        crossing = crosses(y, y_new, floor) or crosses(y, y_new, extinction)
        if N_STOCHASTIC > 0:
            crossing = crossing or crosses(y, y_new, watch)
        output_inside = out_index < times.shape[0] and times[out_index] < min(t_next, stop_inner)
        if crossing or output_inside:
            if stiff:
                prepare_rodas_dense(y, y_new, stages, dense)
            else:
                prepare_dense(h, y, y_new, k, dense)
        negative = fraction = entering = 2.0
        if crossing:
            negative = crossing_fraction(y, y_new, dense, floor)
            fraction = crossing_fraction(y, y_new, dense, extinction)
            if N_STOCHASTIC > 0:
                entering = crossing_fraction(y, y_new, dense, watch)
        if entering <= 1.0 and entering < negative and entering < fraction:
            # Cut the step where a state enters its stochastic mode; the caller rounds it to cells.
            t_cross = t + entering * h
            out_index = record_until(min(t_cross, stop_inner), t, h, y, p, times, out_index, out, dense, observed, work)
            dense_state(entering, y, dense, work)
            for j in range(n):
                y[j] = work[j]
            return ENTER_STOCHASTIC, (stop if t_cross >= stop_inner else t_cross), steps, out_index
        if negative <= 1.0 and negative <= fraction:
            # Keep the outputs before the crossing, flag the patient at the crossing time.
            t_cross = t + negative * h
            out_index = record_until(min(t_cross, stop_inner), t, h, y, p, times, out_index, out, dense, observed, work)
            return NEGATIVE_STATE, t_cross, steps, out_index
        if fraction <= 1.0:
            # Cut the step at the crossing and set the extinct state(s) to zero.
            t_cross = t + fraction * h
            out_index = record_until(min(t_cross, stop_inner), t, h, y, p, times, out_index, out, dense, observed, work)
            dense_state(fraction, y, dense, work)
            for j in range(n):
                if extinction[j] > 0.0 and y[j] >= extinction[j] and work[j] < extinction[j] * (1.0 + 1e-9):
                    work[j] = 0.0
                y[j] = work[j]
            if t_cross >= stop_inner:
                return OK, stop, steps, out_index
            t = t_cross
            model_rhs(t, switch_time, y, p, f_start)
            jacobian_current = False
            continue
        if output_inside:
            out_index = record_until(min(t_next, stop_inner), t, h, y, p, times, out_index, out, dense, observed, work)
        for j in range(n):
            y[j] = y_new[j]
            f_start[j] = f_end[j]
        t = t_next
        jacobian_current = False
        if last:
            if N_STOCHASTIC > 0:
                # Bounded by the segment: a held state has f = 0, so its steps grow without limit.
                step_hint[0] = min(proposed, 10.0 * (stop - segment_start))
            return OK, t, steps, out_index
        if method == AUTO and not stiff:
            control[2] += 1
            if control[2] % STIFFNESS_CHECK_INTERVAL == 0:
                model_jacobian(t, switch_time, y, p, jac, dfdt)
                if h * spectral_radius(jac, power_vector, work) > STIFFNESS_RATIO:
                    control[1] += 1
                    if control[1] >= STIFF_CHECKS_TO_SWITCH:
                        control[0] = STIFF
                        stiff_since[0] = t
                else:
                    control[1] = 0
        if stiff:
            factor = min(ROS_FAC_MAX, ROS_SAFETY * rodas_error_factor(max(error, 1e-10)))
            # After a rejection the step may not grow.
            h = h * min(factor, 1.0) if rejected else h * factor
        else:
            # error**EXPONENT / previous_error**BETA with one log and one exp instead of two pows.
            log_error = math.log(error)
            factor = math.exp(EXPONENT * log_error - BETA * log_previous_error)
            factor = max(1.0 / FAC_MAX, min(1.0 / FAC_MIN, factor / SAFETY))
            h = min(h, h / factor) if rejected else h / factor
            log_previous_error = max(log_error, LOG_ERROR_FLOOR)
        rejected = False


@numba.njit(cache=True, error_model="numpy")
def hybrid_piece(
    t, stop, switch_time, y, p, times, out_index, rtol, atol, max_steps, steps, floor, extinction, watch, out,
    method, control, stiff_since, workspace, active, level, cell, hazard, rng, saved,
):
    """Advance a patient with stochastic states by one hazard piece, or to the next event.

    ``hazard`` holds [integrated hazard, its Exp(1) target] (target < 0: draw a new one).
    Returns (code, t, steps, out_index, number of stochastic states).
    """
    birth, death = workspace[10], workspace[11]
    if hazard[1] < 0.0:
        hazard[0] = 0.0
        hazard[1] = rng_exponential(rng)
    rate_start = total_propensity(t, switch_time, y, p, active, cell, birth, death)
    n_active = 0
    extinct = True
    for j in range(N_STATES):
        if active[j]:
            n_active += 1
            if y[j] > 0.0:
                extinct = False
    if rate_start == 0.0 and extinct:
        # Extinct with no birth flux: nothing can happen before the next dose or switch.
        code, t, steps, out_index = integrate_segment(
            t, stop, switch_time, y, p, times, out_index, rtol, atol, max_steps, steps, floor, extinction, watch, out,
            method, control, stiff_since, workspace, -1.0, LOG_ERROR_FLOOR, False,
        )
        return code, t, steps, out_index, n_active
    needed = hazard[1] - hazard[0]
    if rate_start > 0.0 and needed <= rate_start * time_tolerance(t):
        # The event is due within the time resolution: fire it here.
        hazard[1] = -1.0
        n_active = fire_event(t, switch_time, y, p, active, watch, level, cell, birth, death, rng)
        return OK, t, steps, out_index, max(n_active, 0)
    end = min(stop, t + HAZARD_INTERVAL)
    if rate_start > 0.0:
        # Aim at the event time the current rate predicts: exact when the rate is constant.
        end = min(end, t + needed / rate_start)
    if stop - end <= time_tolerance(stop):
        end = stop
    start = t
    start_index = out_index
    for j in range(N_STATES):
        saved[j] = y[j]
    code, t, steps, out_index = integrate_segment(
        start, end, switch_time, y, p, times, out_index, rtol, atol, max_steps, steps, floor, extinction, watch, out,
        method, control, stiff_since, workspace, -1.0, LOG_ERROR_FLOOR, False,
    )
    if code != OK and code != ENTER_STOCHASTIC:
        return code, t, steps, out_index, n_active
    rate_end = total_propensity(t, switch_time, y, p, active, cell, birth, death)
    increment = 0.5 * (rate_start + rate_end) * (t - start)
    if increment < needed * (1.0 - EVENT_RTOL) or not t > start:
        hazard[0] += increment
        return code, t, steps, out_index, n_active
    if increment <= needed * (1.0 + EVENT_RTOL) or code != OK:
        # The hazard reaches its target at the end of the piece (to rounding): fire here.
        hazard[1] = -1.0
        n_active = fire_event(t, switch_time, y, p, active, watch, level, cell, workspace[10], workspace[11], rng)
        if code == ENTER_STOCHASTIC:
            return code, t, steps, out_index, max(n_active, 0)
        return OK, t, steps, out_index, max(n_active, 0)
    # The event falls inside the piece: integrate again from its start to the event time.
    when = event_time(start, t, rate_start, rate_end, needed)
    for j in range(N_STATES):
        y[j] = saved[j]
    out_index = start_index
    t = start
    if when - start > time_tolerance(when):
        code, t, steps, out_index = integrate_segment(
            start, when, switch_time, y, p, times, out_index, rtol, atol, max_steps, steps, floor, extinction, watch, out,
            method, control, stiff_since, workspace, -1.0, LOG_ERROR_FLOOR, False,
        )
        if code != OK:
            # Another state entered the stochastic mode before the event: keep the hazard so far.
            hazard[0] += rate_start * (t - start)
            return code, t, steps, out_index, n_active
    hazard[1] = -1.0
    n_active = fire_event(t, switch_time, y, p, active, watch, level, cell, birth, death, rng)
    return OK, t, steps, out_index, max(n_active, 0)


# _nrt=False: no reference counting (see the _driver module docstring).
@numba.njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]
def finish_patient(
    i, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor, extinction,
    level, cell, rng_state, method, out, status, status_time, step_count, stiff_from, resume, workspace, arrays,
):
    """Solve patient i (from ``resume`` if that holds a saved state) and store its results,
    on the work arrays of :func:`patient_workspace`."""
    first, last = dose_start[i], dose_start[i + 1]
    code, when, steps, since, recorded = solve_patient(
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
        level,
        cell,
        rng_state[i],
        method,
        out[i],
        resume,
        workspace,
        arrays,
    )
    # Outputs after a failure are NaN (filled here, not before: writing every output twice
    # cost a few per cent of the run).
    out[i, :, recorded:] = np.nan
    status[i] = code
    status_time[i] = when
    step_count[i] = steps
    stiff_from[i] = since


@numba.njit(cache=True, parallel=True, error_model="numpy")
def solve_batch(
    params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor, extinction,
    level, cell, rng_state, method, out, status, status_time, step_count, stiff_from,
):
    """Solve every patient (rows of ``params``) in parallel; ``out`` is (patient, variable, time),
    so each thread writes one contiguous block. ``rng_state`` holds each patient's random
    stream (4 words; read only for models with stochastic states)."""
    fresh = np.zeros(RESUME_SIZE)  # no saved state: every patient starts at times[0]
    for i in numba.prange(params.shape[0]):
        workspace, arrays = patient_workspace(out.shape[1], params.shape[1], level)
        finish_patient(
            i, params, times, dose_start, dose_time, dose_state, dose_amount, dose_set, rtol, atol, max_steps, floor,
            extinction, level, cell, rng_state, method, out, status, status_time, step_count, stiff_from, fresh,
            workspace, arrays,
        )
