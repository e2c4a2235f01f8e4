"""Per-patient random streams, computed for a whole chunk of patients in compiled code.

Patient ``i``'s streams are the children of ``numpy.random.SeedSequence(seed,
spawn_key=(i,))``: child 0 draws its parameters (IIV), child 1 its observation noise, child 2
the events of states in the stochastic mode. Building a SeedSequence and a numpy Generator per
patient costs about 20-40 us in Python, as much as integrating the patient, so the
SeedSequence hash (O'Neill's seed_seq_fe, as numpy implements it) is reproduced here in numba
and checked against numpy word for word in the tests. Each child's first four 64-bit words
(``generate_state(4, np.uint64)``) seed a xoshiro256** generator (Blackman & Vigna 2018);
standard normals come from it by the Box-Muller transform, one normal per two uniforms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numba
import numpy as np

#: The children of a patient's SeedSequence.
PARAMETER_STREAM, NOISE_STREAM, EVENT_STREAM = 0, 1, 2

_MASK32 = np.uint64(0xFFFFFFFF)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)
_XSHIFT = np.uint64(16)
_POOL_SIZE = 4
_TWO_PI = 2.0 * math.pi
_U53 = 1.0 / 9007199254740992.0


def seed_words(seed: int) -> np.ndarray:
    """The seed as numpy's SeedSequence reads it: little-endian 32-bit words, zero-padded to the pool size."""
    if isinstance(seed, bool) or int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    value = int(seed)
    words = [0] if value == 0 else []
    while value > 0:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    words += [0] * max(0, _POOL_SIZE - len(words))
    return np.array(words, dtype=np.uint64)


def patient_ids_array(patient_ids: Sequence[int]) -> np.ndarray:
    """Patient ids as the int64 array the compiled functions take."""
    return np.asarray([int(i) for i in patient_ids], dtype=np.int64)


def patient_streams(seed: int, patient_ids: Sequence[int], child: int) -> np.ndarray:
    """(patients, 4) xoshiro256** states of child ``child`` of each patient's
    ``SeedSequence(seed, spawn_key=(patient,))``: ``generate_state(4, np.uint64)`` of it."""
    return np.asarray(child_states(seed_words(seed), patient_ids_array(patient_ids), child))


@numba.njit(cache=True)
def _hashmix(value, hash_const):  # type: ignore[no-untyped-def]
    value = (value ^ hash_const[0]) & _MASK32
    hash_const[0] = (hash_const[0] * _MULT_A) & _MASK32
    value = (value * hash_const[0]) & _MASK32
    return (value ^ (value >> _XSHIFT)) & _MASK32


@numba.njit(cache=True)
def _mix(x, y):  # type: ignore[no-untyped-def]
    result = ((_MIX_MULT_L * x) - (_MIX_MULT_R * y)) & _MASK32
    return (result ^ (result >> _XSHIFT)) & _MASK32


@numba.njit(cache=True)
def _child_state(seed, patient, child, out):  # type: ignore[no-untyped-def]
    """``SeedSequence(seed, spawn_key=(patient, child)).generate_state(4, np.uint64)`` into ``out``."""
    entropy = np.empty(seed.shape[0] + 3, dtype=np.uint64)
    size = 0
    for word in seed:
        entropy[size] = word
        size += 1
    value = np.uint64(patient)
    if value == 0:
        entropy[size] = np.uint64(0)
        size += 1
    while value > 0:
        entropy[size] = value & _MASK32
        size += 1
        value = value >> np.uint64(32)
    entropy[size] = np.uint64(child)
    size += 1
    pool = np.zeros(_POOL_SIZE, dtype=np.uint64)
    hash_const = np.array([_INIT_A], dtype=np.uint64)
    for i in range(_POOL_SIZE):
        pool[i] = _hashmix(entropy[i] if i < size else np.uint64(0), hash_const)
    for source in range(_POOL_SIZE):
        for target in range(_POOL_SIZE):
            if source != target:
                pool[target] = _mix(pool[target], _hashmix(pool[source], hash_const))
    for source in range(_POOL_SIZE, size):
        for target in range(_POOL_SIZE):
            pool[target] = _mix(pool[target], _hashmix(entropy[source], hash_const))
    generator_const = _INIT_B
    for i in range(8):
        word = pool[i % _POOL_SIZE]
        word = (word ^ generator_const) & _MASK32
        generator_const = (generator_const * _MULT_B) & _MASK32
        word = (word * generator_const) & _MASK32
        word = (word ^ (word >> _XSHIFT)) & _MASK32
        if i % 2 == 0:
            out[i // 2] = word
        else:
            out[i // 2] = out[i // 2] | (word << np.uint64(32))


@numba.njit(cache=True)
def child_states(seed, patients, child):  # type: ignore[no-untyped-def]
    """(patients, 4) xoshiro256** states of each patient's child stream."""
    states = np.empty((patients.shape[0], 4), dtype=np.uint64)
    for row in range(patients.shape[0]):
        _child_state(seed, patients[row], child, states[row])
    return states


@numba.njit(cache=True)
def _rotate_left(x, k):  # type: ignore[no-untyped-def]
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(cache=True)
def xoshiro_uniform(state):  # type: ignore[no-untyped-def]
    """xoshiro256**: a double in [0, 1)."""
    result = _rotate_left(state[1] * np.uint64(5), 7) * np.uint64(9)
    shifted = state[1] << np.uint64(17)
    state[2] ^= state[0]
    state[3] ^= state[1]
    state[1] ^= state[2]
    state[0] ^= state[3]
    state[2] ^= shifted
    state[3] = _rotate_left(state[3], 45)
    return float(result >> np.uint64(11)) * _U53


@numba.njit(cache=True)
def _normal(state):  # type: ignore[no-untyped-def]
    """A standard normal by Box-Muller (1 - u is in (0, 1], so the logarithm is finite)."""
    radius = math.sqrt(-2.0 * math.log(1.0 - xoshiro_uniform(state)))
    return radius * math.cos(_TWO_PI * xoshiro_uniform(state))


@numba.njit(cache=True)
def standard_normals(seed, patients, child, count):  # type: ignore[no-untyped-def]
    """(patients, count) standard normals, each row from its patient's child stream."""
    draws = np.empty((patients.shape[0], count))
    state = np.empty(4, dtype=np.uint64)
    for row in range(patients.shape[0]):
        _child_state(seed, patients[row], child, state)
        for column in range(count):
            draws[row, column] = _normal(state)
    return draws


@numba.njit(cache=True)
def lognormal_parameters(seed, patients, typical, sds, lower, upper, max_redraws):  # type: ignore[no-untyped-def]
    """``typical * exp(sd * eta)`` per patient and parameter, eta from the patient's child-0 stream.

    Each patient draws one eta per parameter in order; then each value outside its bounds is
    redrawn, in parameter order, from the same stream (a truncated log-normal). Returns the
    values and, per patient, the index of a parameter that exhausted ``max_redraws`` (-1: none).
    """
    n_patients, count = typical.shape
    values = np.empty((n_patients, count))
    failed = np.full(n_patients, -1, dtype=np.int64)
    state = np.empty(4, dtype=np.uint64)
    for row in range(n_patients):
        _child_state(seed, patients[row], 0, state)
        for column in range(count):
            values[row, column] = typical[row, column] * math.exp(sds[column] * _normal(state))
        for column in range(count):
            tries = 0
            value = values[row, column]
            while not (lower[column] <= value <= upper[column]):
                if tries == max_redraws:
                    failed[row] = column
                    break
                value = typical[row, column] * math.exp(sds[column] * _normal(state))
                tries += 1
            values[row, column] = value
    return values, failed
