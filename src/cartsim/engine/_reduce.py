"""Reduce trajectories to per-patient endpoints in compiled code, in parallel over patients.

The same definitions as :mod:`cartsim.clinical.nca` (peak and its first time on the output
grid; AUC by the linear-up/log-down trapezoidal rule), computed in one pass over each
patient's block so that a chunk of a streamed population costs a few microseconds a patient
instead of several numpy passes over the whole chunk. Sums run left to right, so results
agree with the numpy functions to rounding (about 1e-15 relative), not bit for bit.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, parallel=True, error_model="numpy")
def reduce_endpoints(values, times, auc_first, auc_last, peak, peak_time, auc):  # type: ignore[no-untyped-def]
    """``values[patient, variable, time]`` -> ``peak``/``peak_time``/``auc[variable, patient]``.

    NaN values are ignored by the peak (all NaN gives NaN); an AUC interval touching a NaN
    makes the AUC NaN.
    """
    n_patients, n_variables, n_times = values.shape
    for patient in numba.prange(n_patients):
        for variable in range(n_variables):
            series = values[patient, variable]
            best = -math.inf
            best_index = -1
            for k in range(n_times):
                value = series[k]
                if value > best:  # NaN compares false: skipped
                    best = value
                    best_index = k
            if best_index < 0:
                peak[variable, patient] = np.nan
                peak_time[variable, patient] = np.nan
            else:
                peak[variable, patient] = best
                peak_time[variable, patient] = times[best_index]
            total = 0.0
            for k in range(auc_first, auc_last):
                c1 = series[k]
                c2 = series[k + 1]
                dt = times[k + 1] - times[k]
                if c2 < c1 and c2 > 0.0:
                    total += (c1 - c2) * dt / math.log(c1 / c2)
                else:
                    total += 0.5 * (c1 + c2) * dt
            auc[variable, patient] = total
