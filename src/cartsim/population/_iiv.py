"""Per-patient parameters: typical values, overrides and log-normal IIV draws.

Patient ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))``: its values depend on the
seed and its own id only, never on how many patients are simulated or how they are
chunked or distributed. The patient's sequence has two children: one for parameters, one
for residual (observation) error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cartsim.errors import ParameterError
from cartsim.model import Model

#: Draws of eta outside the parameter's bounds are redrawn (a truncated log-normal); a
#: parameter that needs more redraws than this has a default too close to a bound.
MAX_REDRAWS = 1000

ParamsInput = Mapping[str, float | Sequence[float] | np.ndarray] | None


def patient_streams(seed: int, patient_id: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The (parameter, observation-noise) generators of one patient."""
    parameters, noise = np.random.SeedSequence(seed, spawn_key=(patient_id,)).spawn(2)
    return np.random.default_rng(parameters), np.random.default_rng(noise)


def typical_parameters(model: Model, params: ParamsInput, n_patients: int) -> np.ndarray:
    """A (patients, parameters) array of typical values with the user's overrides applied."""
    table = np.tile(model.defaults, (n_patients, 1))
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
            table[:, column] = array
        else:
            raise ParameterError(
                f"parameter `{name}` must be a number or one value per patient ({n_patients}), got shape {array.shape}"
            )
    for column, parameter in enumerate(model.parameters):
        values = table[:, column]
        bad = ~np.isfinite(values) | (values < parameter.lower) | (values > parameter.upper)
        if bad.any():
            patient = int(np.argmax(bad))
            try:
                parameter.check(float(values[patient]))
            except ValueError as error:
                raise ParameterError(f"{error} (patient {patient})") from None
    return table


def sample_parameters(model: Model, typical: np.ndarray, patient_ids: Sequence[int], seed: int) -> np.ndarray:
    """Multiply typical values by ``exp(eta)``, eta ~ N(0, omega^2), within the bounds."""
    sampled = typical.copy()
    variable = [(i, p) for i, p in enumerate(model.parameters) if p.iiv is not None and p.iiv.variance > 0]
    for row, patient_id in enumerate(patient_ids):
        generator, _ = patient_streams(seed, int(patient_id))
        for column, parameter in variable:
            assert parameter.iiv is not None
            for _ in range(MAX_REDRAWS):
                value = typical[row, column] * np.exp(parameter.iiv.sd * generator.standard_normal())
                if parameter.lower <= value <= parameter.upper:
                    break
            else:
                raise ParameterError(
                    f"parameter `{parameter.name}`: {MAX_REDRAWS} IIV draws all fell outside "
                    f"[{parameter.lower:g}, {parameter.upper:g}] {parameter.unit}; the typical value is too close to a bound"
                )
            sampled[row, column] = value
    return sampled


def residual_noise(seed: int, patient_ids: Sequence[int], shape: tuple[int, int]) -> np.ndarray:
    """Standard normal draws (patients, observables x times) from each patient's noise stream."""
    noise = np.empty((len(patient_ids), shape[0] * shape[1]))
    for row, patient_id in enumerate(patient_ids):
        _, generator = patient_streams(seed, int(patient_id))
        noise[row] = generator.standard_normal(shape[0] * shape[1])
    return noise.reshape(len(patient_ids), *shape)
