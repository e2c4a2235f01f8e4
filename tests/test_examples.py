"""The example model files and the model-language documentation stay loadable and correct.

Each distinct model compiles one numba kernel the first time it is simulated (about 20 s),
so the two example models are loaded once per module and reused.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import cartsim

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "models"
EFFECTOR_MEMORY = EXAMPLES / "cart_effector_memory.cartsim"
LOTKA_VOLTERRA = EXAMPLES / "chaudhury2020_lotka_volterra.cartsim"
DOCS = ROOT / "docs" / "model-language.md"
DAILY = np.arange(0, 101.0)

#: Fenced blocks in the model language: ```cartsim ... ``` (complete models only).
MODEL_BLOCK = re.compile(r"^```cartsim[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def effector_memory() -> cartsim.Model:
    return cartsim.load_model(EFFECTOR_MEMORY)


@pytest.fixture(scope="module")
def lotka_volterra() -> cartsim.Model:
    return cartsim.load_model(LOTKA_VOLTERRA)


@pytest.mark.parametrize("path", [EFFECTOR_MEMORY, LOTKA_VOLTERRA], ids=lambda p: p.stem)
def test_example_loads_and_simulates_100_days(path: Path) -> None:
    model = cartsim.load_model(path)
    assert model.name == path.stem
    result = cartsim.simulate(model, times=DAILY)
    assert (result["status"].values == "ok").all()
    assert result.sizes["time"] == DAILY.size
    for name in [*model.state_names, *model.observable_names]:
        assert result[name].attrs.get("units"), f"{name} has no units"
        assert np.isfinite(result[name].values).all()
        assert (result[name].values >= 0).all()


def lotka_volterra_invariant(result: xr.Dataset) -> np.ndarray:
    """H = rho*U - kE*ln(U) + d*CE - g*ln(CE) per output time (patient 0)."""
    rho = result["car_t_expansion_rate"].item()
    k_e = result["car_t_death_rate"].item()
    g = result["tumour_growth_rate"].item()
    d = result["tumour_kill_rate"].item()
    car_t = result["expanding_car_t"].values[0]
    tumour = result["tumour"].values[0]
    return rho * tumour - k_e * np.log(tumour) + d * car_t - g * np.log(car_t)


def test_lotka_volterra_conserves_its_first_integral(lotka_volterra: cartsim.Model) -> None:
    """The Lotka-Volterra system of Chaudhury et al. 2020 (J Clin Pharmacol 60(S1),
    doi:10.1002/jcph.1691; BioModels BIOMD0000001024) has the first integral
    H = rho*U - kE*ln(U) + d*CE - g*ln(CE): dH/dt = 0 along every exact solution, so any
    drift of H measures the integration error alone.

    Tolerance: the drift follows the solver's global error, which is proportional to the
    requested tolerances. At the defaults (rtol=1e-6, atol=1e-9) H drifts by about 5e-5
    over 100 days (the orbit passes U ~ 1e-3 and CE ~ 1e-2 cells/uL, where ln() magnifies
    relative errors), so the check uses rtol=atol=1e-10, where the drift is about 5e-9,
    and asserts 1e-6 to leave a wide margin against platform differences.
    """
    result = cartsim.simulate(lotka_volterra, times=DAILY, rtol=1e-10, atol=1e-10)
    assert result["status"].item() == "ok"
    invariant = lotka_volterra_invariant(result)
    drift = np.max(np.abs(invariant - invariant[0])) / abs(invariant[0])
    assert drift < 1e-6


def test_lotka_volterra_car_t_peak(lotka_volterra: cartsim.Model) -> None:
    """CE peaks at 1.456e4 cells/uL at day 4.99 (computed reference: an independent
    DOP853 solution at rtol=atol=1e-12 with an event at dCE/dt = 0 gives 14557.25 at day 4.9914).
    """
    fine = np.round(np.arange(4900, 5101) / 1000, 3)  # days 4.900 to 5.100, step 0.001 day
    times = np.concatenate([[0.0], fine])
    result = cartsim.simulate(lotka_volterra, times=times)
    assert result["status"].item() == "ok"
    car_t = result["expanding_car_t"].values[0]
    peak = int(np.argmax(car_t))
    assert 0 < peak < times.size - 1, "the peak must lie inside the fine grid"
    assert car_t[peak] == pytest.approx(1.456e4, rel=1e-3)
    assert round(float(times[peak]), 2) == 4.99


def test_effector_memory_population_is_ok_and_reproducible(effector_memory: cartsim.Model) -> None:
    first = cartsim.simulate(effector_memory, times=DAILY, n_patients=50, seed=2024)
    second = cartsim.simulate(effector_memory, times=DAILY, n_patients=50, seed=2024)
    assert (first["status"].values == "ok").all()
    for name in [*effector_memory.state_names, *effector_memory.observable_names, *effector_memory.parameter_names]:
        np.testing.assert_array_equal(first[name].values, second[name].values)
    # The seed really draws from the IIV: the patients differ.
    assert np.unique(first["expansion_rate"].values).size == 50
    # Illustrative but plausible: the typical patients peak within one to three weeks.
    peak_days = first["time"].values[np.argmax(first["total_car_t"].values, axis=1)]
    assert 7 <= np.median(peak_days) <= 21


def test_effector_memory_typical_expansion(effector_memory: cartsim.Model) -> None:
    result = cartsim.simulate(effector_memory, times=DAILY)
    total = result["total_car_t"].values[0]
    peak = int(np.argmax(total))
    assert 7 <= DAILY[peak] <= 21
    # The transgene observable is the rough 2000 (copies/ug)/(cells/uL) bridge of the total.
    np.testing.assert_allclose(result["transgene"].values[0], 2000 * total, rtol=1e-12)
    assert result["transgene"].attrs["units"] == "copies/ug"


def test_documentation_model_blocks_parse() -> None:
    blocks = MODEL_BLOCK.findall(DOCS.read_text(encoding="utf-8"))
    assert blocks, "docs/model-language.md has no ```cartsim block"
    for block in blocks:
        model = cartsim.parse_model(block)
        assert model.states
