"""Per-patient parameters: typical values, overrides and log-normal IIV draws.

Patient ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))``: its values depend on the
seed and its own id only, never on how many patients are simulated or how they are
chunked or distributed. The patient's sequence has children: 0 for parameters, 1 for
residual (observation) error, 2 for the events of stochastic states. The draws are computed
for a whole chunk in compiled code (:mod:`cartsim.engine._streams`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cartsim.engine._streams import NOISE_STREAM, lognormal_parameters, seed_words, standard_normals
from cartsim.engine._streams import patient_ids_array as _ids
from cartsim.errors import ParameterError
from cartsim.model import Model

#: Draws of eta outside the parameter's bounds are redrawn (a truncated log-normal); a
#: parameter that needs more redraws than this has a default too close to a bound.
MAX_REDRAWS = 1000

ParamsInput = Mapping[str, float | Sequence[float] | np.ndarray] | None

def typical_parameters(model: Model, params: ParamsInput, n_patients: int) -> np.ndarray:
    """A (patients, parameters) array of typical values with the user's overrides applied."""
    # Filled and checked parameter by parameter in contiguous rows, then transposed once:
    # column-wise work on the (patients, parameters) array is strided and several times slower.
    table = np.empty((len(model.parameters), n_patients))
    table[:] = np.asarray(model.defaults, dtype=float)[:, None]
    for name, value in (params or {}).items():
        column = model.parameter_names.index(model.parameter(name).name)
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            parameter = model.parameter(name)
            raise ParameterError(
                f"parameter `{name}` must be a number ({parameter.unit}) or one number per patient, got {value!r}"
            ) from None
        if array.ndim == 0 or array.shape == (n_patients,):
            table[column] = array
        else:
            raise ParameterError(
                f"parameter `{name}` must be a number or one value per patient ({n_patients}), got shape {array.shape}"
            )
    for column, parameter in enumerate(model.parameters):
        values = table[column]
        bad = ~np.isfinite(values) | (values < parameter.lower) | (values > parameter.upper)
        if bad.any():
            patient = int(np.argmax(bad))
            try:
                parameter.check(float(values[patient]))
            except ValueError as error:
                raise ParameterError(f"{error} (patient {patient})") from None
    return np.ascontiguousarray(table.T)


def sample_parameters(model: Model, typical: np.ndarray, patient_ids: Sequence[int], seed: int) -> np.ndarray:
    """Multiply typical values by ``exp(eta)``, eta ~ N(0, omega^2), within the bounds.

    Each patient draws one standard normal per IIV parameter, in declaration order, from its
    parameter stream; a value outside the parameter's bounds is redrawn from the same stream
    (a truncated log-normal).
    """
    sampled = typical.copy()
    variable = [(i, p) for i, p in enumerate(model.parameters) if p.iiv is not None and p.iiv.variance > 0]
    if not variable:
        return sampled
    columns = np.array([i for i, _ in variable])
    sds = np.array([p.iiv.sd for _, p in variable if p.iiv is not None])
    lower = np.array([p.lower for _, p in variable])
    upper = np.array([p.upper for _, p in variable])
    values, failed = lognormal_parameters(
        seed_words(seed), _ids(patient_ids), np.ascontiguousarray(typical[:, columns]), sds, lower, upper, MAX_REDRAWS
    )
    if (failed >= 0).any():
        parameter = variable[int(failed[np.flatnonzero(failed >= 0)[0]])][1]
        raise ParameterError(
            f"parameter `{parameter.name}`: {MAX_REDRAWS} IIV draws all fell outside "
            f"[{parameter.lower:g}, {parameter.upper:g}] {parameter.unit}; the typical value is too close to a bound"
        )
    sampled[:, columns] = values
    return sampled


def residual_noise(seed: int, patient_ids: Sequence[int], shape: tuple[int, int]) -> np.ndarray:
    """Standard normal draws (patients, observables x times) from each patient's noise stream."""
    draws = standard_normals(seed_words(seed), _ids(patient_ids), NOISE_STREAM, shape[0] * shape[1])
    return np.asarray(draws).reshape(len(patient_ids), *shape)
