"""Layer 1 of the testing strategy: the engine against closed-form solutions."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import xarray as xr

import cartsim
from tests.conftest import max_relative_error


def test_exponential_decay(linear_model: cartsim.Model) -> None:
    """central(t) = D exp(-k t) with no exchange; relative error <= 1e-8 at rtol 1e-10."""
    times = np.linspace(0, 20, 41)
    result = cartsim.simulate(
        linear_model,
        times=times,
        doses=cartsim.Dose("central", 100.0),
        rtol=1e-10,
        atol=1e-14,
        params={"central_to_peripheral": 0.0},
    )
    expected = 100.0 * np.exp(-0.3 * times)
    assert max_relative_error(result["central"].values[0], expected) <= 1e-8


def test_exponential_growth(linear_model: cartsim.Model) -> None:
    """A negative elimination rate is growth: central(t) = D exp(0.7 t), 1e-8 at rtol 1e-10."""
    times = np.linspace(0, 10, 21)
    result = cartsim.simulate(
        linear_model,
        times=times,
        doses=cartsim.Dose("central", 2.0),
        rtol=1e-10,
        atol=1e-14,
        params={"central_to_peripheral": 0.0, "elimination_rate": -0.7},
    )
    expected = 2.0 * np.exp(0.7 * times)
    assert max_relative_error(result["central"].values[0], expected) <= 1e-8


def test_two_compartment_matches_matrix_exponential(linear_model: cartsim.Model) -> None:
    """y(t) = expm(A t) y0 for the linear two-compartment system; 1e-8 at rtol 1e-10."""
    matrix = np.array([[-(0.3 + 0.5), 0.2], [0.5, -0.2]])
    start = np.array([50.0, 0.0])
    times = np.linspace(0, 40, 81)
    result = cartsim.simulate(linear_model, times=times, doses=cartsim.Dose("central", 50.0), rtol=1e-10, atol=1e-14)
    expected = np.array([scipy.linalg.expm(matrix * t) @ start for t in times])
    assert max_relative_error(result["central"].values[0], expected[:, 0], floor=1e-12) <= 1e-8
    assert max_relative_error(result["peripheral"].values[0], expected[:, 1], floor=1e-12) <= 1e-8
    np.testing.assert_allclose(result["total"].values[0], expected.sum(axis=1), rtol=1e-8, atol=0)


def stein_closed_form(
    times: np.ndarray, *, fold: float, tmax: float, cmax: float, alpha: float, fb: float, beta: float
) -> np.ndarray:
    """Stein 2019's closed form (models.md section 1)."""
    rho = np.log(fold) / tmax
    rising = (cmax / fold) * np.exp(rho * times)
    falling = cmax * ((1 - fb) * np.exp(-alpha * (times - tmax)) + fb * np.exp(-beta * (times - tmax)))
    return np.where(times < tmax, rising, falling)


def patient_closed_form(result: xr.Dataset, stein: cartsim.Model, patient: int) -> np.ndarray:
    """Stein's closed form with the parameters patient ``patient`` of ``result`` was drawn."""
    draw = {name: float(result[name].values[patient]) for name in stein.parameter_names}
    return stein_closed_form(
        result["time"].values,
        fold=draw["fold_expansion"],
        tmax=draw["peak_time"],
        cmax=draw["peak_level"],
        alpha=draw["contraction_rate"],
        fb=draw["persistence_fraction"],
        beta=draw["persistence_rate"],
    )


def test_stein_closed_form_typical(stein: cartsim.Model) -> None:
    """Segmented ODE vs closed form, typical patient: max relative error <= 1e-6 at rtol 1e-8
    (the bound the foundation issue sets; segmenting at Tmax makes it attainable)."""
    times = np.linspace(0, 365, 3651)
    result = cartsim.simulate(stein, times=times, rtol=1e-8, atol=1e-12)
    expected = stein_closed_form(times, fold=3900, tmax=9.3, cmax=24000, alpha=0.16, fb=0.0079, beta=0.0032)
    assert max_relative_error(result["transgene"].values[0], expected) <= 1e-6


def test_stein_closed_form_under_iiv(stein: cartsim.Model) -> None:
    """The same for 200 IIV patients, each with its own switch time Tmax_i (1e-6 at rtol 1e-8)."""
    times = np.linspace(0, 120, 1201)
    result = cartsim.simulate(stein, times=times, n_patients=200, seed=11, rtol=1e-8, atol=1e-12)
    assert set(result["status"].values) == {"ok"}
    for patient in range(200):
        expected = patient_closed_form(result, stein, patient)
        assert max_relative_error(result["transgene"].values[patient], expected) <= 1e-6, patient
