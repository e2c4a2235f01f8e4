"""Hybrid stochastic mode: a state below its level is a birth-death process (a numba template).

A state declared ``stochastic_below=level`` (with ``cell_amount``, the amount of one cell in
its unit) is deterministic above ``level``. When it falls through the level the driver rounds
it to whole cells and holds it still in the ODE (its derivative is multiplied by a hidden flag
``p[N_PARAMS + j]`` set to 0); every other state stays deterministic. The state then changes
one cell at a time: its derivative's positive terms are the birth flux and its negative terms
the death flux (``model_stochastic_rates``), so the propensities ``birth / cell_amount`` and
``death / cell_amount`` (events per day) follow the deterministic drivers (CAR-T cells) as they
move.

Event times are drawn by the integrated-hazard method: with E ~ Exp(1), the next event is
where the integral of the total propensity reaches E. The integral is accumulated with the
trapezoidal rule over pieces of at most :data:`HAZARD_INTERVAL` days (exact for propensities
that are constant or linear in time), and the ODE is re-integrated from the start of the piece
to the event time. A birth that lifts the count above the level returns the state to the
deterministic mode; a count of zero is extinction (absorbing while its birth flux is zero,
until a dose adds to it).

Randomness comes from a per-patient xoshiro256** stream whose state is seeded from
``SeedSequence(seed, spawn_key=(patient_id, 2))``, so a patient's events do not depend on the
chunking, the thread or the number of workers.
"""

import math

import numba

from cartsim.engine._model_stub import N_PARAMS, N_STATES, model_stochastic_rates  # <template-import>

# The generated kernel imports the patient streams' generator (a real import, kept in the
# kernel module): one xoshiro256** implementation for IIV draws and stochastic events.
from cartsim.engine._streams import xoshiro_uniform as rng_uniform

#: Longest piece (days) over which the hazard integral is accumulated with one trapezoid.
HAZARD_INTERVAL = 0.1


@numba.njit(cache=True, error_model="numpy")
def rng_exponential(state):
    """An Exp(1) draw (1 - u is in (0, 1], so the logarithm is finite)."""
    return -math.log(1.0 - rng_uniform(state))


@numba.njit(cache=True, error_model="numpy")
def total_propensity(t, switch_time, y, p, active, cell, birth, death):
    """Events per day of all states in the stochastic mode (no deaths at zero cells)."""
    model_stochastic_rates(t, switch_time, y, p, birth, death)
    total = 0.0
    for j in range(N_STATES):
        if active[j]:
            total += birth[j] / cell[j]
            if y[j] > 0.0:
                total += death[j] / cell[j]
    return total


@numba.njit(cache=True, error_model="numpy")
def enter_stochastic(y, p, active, watch, level, cell):
    """States below their level become whole cells held still by the ODE; returns how many are stochastic."""
    count = 0
    for j in range(N_STATES):
        if level[j] > 0.0 and not active[j] and y[j] < level[j]:
            active[j] = True
            watch[j] = 0.0
            p[N_PARAMS + j] = 0.0
            y[j] = math.floor(max(y[j], 0.0) / cell[j] + 0.5) * cell[j]
        if active[j]:
            count += 1
    return count


@numba.njit(cache=True, error_model="numpy")
def after_dose(y, p, active, watch, level, cell):
    """A dose into a stochastic state: whole cells again, deterministic once at or above its level."""
    for j in range(N_STATES):
        if active[j]:
            y[j] = math.floor(max(y[j], 0.0) / cell[j] + 0.5) * cell[j]
            if y[j] >= level[j]:
                active[j] = False
                watch[j] = level[j]
                p[N_PARAMS + j] = 1.0
    return enter_stochastic(y, p, active, watch, level, cell)


@numba.njit(cache=True, error_model="numpy")
def fire_event(t, switch_time, y, p, active, watch, level, cell, birth, death, rng):
    """One birth or death, chosen in proportion to the propensities at t; returns the active count."""
    total = total_propensity(t, switch_time, y, p, active, cell, birth, death)
    if not total > 0.0:
        return -1
    pick = rng_uniform(rng) * total
    chosen = -1
    grow = True
    for j in range(N_STATES):
        if not active[j]:
            continue
        chosen = j
        pick -= birth[j] / cell[j]
        if pick < 0.0:
            grow = True
            break
        if y[j] > 0.0:
            pick -= death[j] / cell[j]
            if pick < 0.0:
                grow = False
                break
    if chosen < 0:
        return -1
    if grow:
        y[chosen] = (math.floor(y[chosen] / cell[chosen] + 0.5) + 1.0) * cell[chosen]
        if y[chosen] >= level[chosen]:
            active[chosen] = False
            watch[chosen] = level[chosen]
            p[N_PARAMS + chosen] = 1.0
    else:
        y[chosen] = max(math.floor(y[chosen] / cell[chosen] + 0.5) - 1.0, 0.0) * cell[chosen]
    count = 0
    for j in range(N_STATES):
        if active[j]:
            count += 1
    return count


@numba.njit(cache=True, error_model="numpy")
def event_time(start, end, rate_start, rate_end, needed):
    """Where the trapezoid-interpolated hazard from ``start`` reaches ``needed`` (within [start, end])."""
    length = end - start
    slope = (rate_end - rate_start) / length
    # Roots of 0.5 * slope * s**2 + rate_start * s - needed, in the cancellation-free form.
    root = rate_start * rate_start + 2.0 * slope * needed
    s = 2.0 * needed / (rate_start + math.sqrt(max(root, 0.0))) if rate_start + math.sqrt(max(root, 0.0)) > 0.0 else length
    return start + min(max(s, 0.0), length)
