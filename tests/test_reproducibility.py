"""Same seed, same bits, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import cartsim

TIMES = np.arange(0.0, 91.0)


def _bytes(dataset: xr.Dataset) -> dict[str, bytes]:
    return {name: np.ascontiguousarray(v.values).tobytes() for name, v in {**dataset.data_vars, **dataset.coords}.items()}


def test_same_seed_gives_identical_bytes(stein: cartsim.Model) -> None:
    first = cartsim.simulate(stein, times=TIMES, n_patients=64, seed=2024, residual_error=True)
    second = cartsim.simulate(stein, times=TIMES, n_patients=64, seed=2024, residual_error=True)
    assert _bytes(first) == _bytes(second)
    assert first.attrs == second.attrs


def test_different_seeds_differ(stein: cartsim.Model) -> None:
    first = cartsim.simulate(stein, times=TIMES, n_patients=8, seed=1)
    second = cartsim.simulate(stein, times=TIMES, n_patients=8, seed=2)
    assert not np.array_equal(first["peak_time"].values, second["peak_time"].values)


def test_results_do_not_depend_on_chunking(stein: cartsim.Model) -> None:
    """Patients 0-99 at once equal the same ids run in chunks of 7 (and in reverse order)."""
    whole = cartsim.simulate(stein, times=TIMES, n_patients=100, seed=99, residual_error=True)
    chunks = [
        cartsim.simulate(stein, times=TIMES, patient_ids=range(start, min(start + 7, 100)), seed=99, residual_error=True)
        for start in range(0, 100, 7)
    ]
    joined = xr.concat(chunks, dim="patient")
    assert _bytes(joined) == _bytes(whole)
    backwards = cartsim.simulate(stein, times=TIMES, patient_ids=range(99, -1, -1), seed=99).sortby("patient")
    np.testing.assert_array_equal(backwards["transgene"].values, whole["transgene"].values)


def test_iiv_draws_match_the_declared_variances(stein: cartsim.Model) -> None:
    """log(value / typical) has the declared omega^2 (Stein 2019 Table 1 stores variances):
    |sqrt(n/2)(S^2/omega^2 - 1)| < 5 and |sqrt(n) mean / omega| < 3 for n = 4000 (fixed seed).
    Bounds truncate fold_expansion at 1 and persistence_fraction at 1, >4.8 SD away: negligible."""
    result = cartsim.simulate(stein, times=[0.0], n_patients=4000, seed=7)
    n = 4000
    for parameter in stein.parameters:
        assert parameter.iiv is not None
        eta = np.log(result[parameter.name].values / parameter.default)
        omega2 = parameter.iiv.variance
        assert abs(np.sqrt(n) * eta.mean() / np.sqrt(omega2)) < 3, parameter.name
        assert abs(np.sqrt(n / 2) * (eta.var(ddof=1) / omega2 - 1)) < 5, parameter.name


def test_without_seed_every_patient_is_typical(stein: cartsim.Model) -> None:
    result = cartsim.simulate(stein, times=[0.0, 10.0], n_patients=3)
    assert np.all(result["peak_time"].values == 9.3)
    assert result.attrs["seed"] == "none"


BOUNDED_TEXT = """
model(name="bounded_iiv")
rate = 0.5 | unit="1/day", omega=0.8, lower=0.3, upper=0.8
d/dt(x) = -rate * x
x(0) = 1
"""


def test_bounded_iiv_redraws_are_in_bounds_and_chunking_independent() -> None:
    """With bounds at about +-0.6 SD, ~half the patients redraw; every value lands inside
    the bounds and patient i gets the same value whatever batch it is drawn in."""
    from cartsim.population import sample_parameters, typical_parameters

    model = cartsim.parse_model(BOUNDED_TEXT)
    ids = list(range(200))
    whole = sample_parameters(model, typical_parameters(model, None, 200), ids, 9)[:, 0]
    assert ((whole >= 0.3) & (whole <= 0.8)).all()
    assert np.unique(whole).size == 200
    pieces = np.concatenate(
        [sample_parameters(model, typical_parameters(model, None, len(part)), part, 9)[:, 0] for part in (ids[:13], ids[13:])]
    )
    np.testing.assert_array_equal(whole, pieces)
    reversed_ids = ids[::-1]
    backwards = sample_parameters(model, typical_parameters(model, None, 200), reversed_ids, 9)[:, 0]
    np.testing.assert_array_equal(backwards[::-1], whole)


def test_impossible_bounds_are_reported() -> None:
    model = cartsim.parse_model(BOUNDED_TEXT.replace("lower=0.3, upper=0.8", "lower=0.4999999, upper=0.5000001"))
    from cartsim.population import sample_parameters, typical_parameters

    with pytest.raises(cartsim.ParameterError, match=r"`rate`: 1000 IIV draws all fell outside"):
        sample_parameters(model, typical_parameters(model, None, 1), [0], 1)
