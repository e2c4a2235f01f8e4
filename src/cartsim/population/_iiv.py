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
from cartsim.model import Model, Parameter

#: Draws of eta outside the parameter's bounds are redrawn (a truncated log-normal); a
#: parameter that needs more redraws than this has a default too close to a bound.
MAX_REDRAWS = 1000

ParamsInput = Mapping[str, float | Sequence[float] | np.ndarray] | None


def patient_streams(seed: int, patient_id: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The (parameter, observation-noise) generators of one patient.

    They are the two children of ``SeedSequence(seed, spawn_key=(patient_id,))``, built
    directly as ``spawn_key=(patient_id, 0)`` and ``(patient_id, 1)`` (identical streams to
    ``.spawn(2)``, at half the cost).
    """
    return _stream(seed, patient_id, 0), _stream(seed, patient_id, 1)


def _stream(seed: int, patient_id: int, child: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(patient_id, child))))


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
    count = len(variable)
    etas = np.empty((len(patient_ids), count))
    for row, patient_id in enumerate(patient_ids):
        etas[row] = _stream(seed, int(patient_id), 0).standard_normal(count)
    values = typical[:, columns] * np.exp(sds * etas)
    outside = (values < lower) | (values > upper)
    for redrawn in np.flatnonzero(outside.any(axis=1)):
        # Rare: replay the patient's stream past its first draws, then redraw in order.
        generator = _stream(seed, int(patient_ids[int(redrawn)]), 0)
        generator.standard_normal(count)
        for index in np.flatnonzero(outside[redrawn]):
            values[redrawn, index] = _redraw(variable[index][1], typical[redrawn, columns[index]], generator)
    sampled[:, columns] = values
    return sampled


def _redraw(parameter: Parameter, typical: float, generator: np.random.Generator) -> float:
    assert parameter.iiv is not None
    for _ in range(MAX_REDRAWS):
        value = float(typical * np.exp(parameter.iiv.sd * generator.standard_normal()))
        if parameter.lower <= value <= parameter.upper:
            return value
    raise ParameterError(
        f"parameter `{parameter.name}`: {MAX_REDRAWS} IIV draws all fell outside "
        f"[{parameter.lower:g}, {parameter.upper:g}] {parameter.unit}; the typical value is too close to a bound"
    )


def residual_noise(seed: int, patient_ids: Sequence[int], shape: tuple[int, int]) -> np.ndarray:
    """Standard normal draws (patients, observables x times) from each patient's noise stream."""
    noise = np.empty((len(patient_ids), shape[0] * shape[1]))
    for row, patient_id in enumerate(patient_ids):
        generator = _stream(seed, int(patient_id), 1)
        noise[row] = generator.standard_normal(shape[0] * shape[1])
    return noise.reshape(len(patient_ids), *shape)
