"""The hybrid stochastic mode (``stochastic_below``): exact birth-death statistics, the switch
between modes, whole cells, reproducibility and the random stream."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cartsim
from cartsim.engine._kernel import load_kernel

# A branching process: each cell divides at birth_rate and dies at death_rate (per day);
# below 100 cells it is simulated cell by cell, above it as the ODE.
BIRTH_DEATH_TEXT = """
model(name="birth_death")
birth_rate = 1.0 | unit="1/day"
death_rate = 0.8 | unit="1/day"
start = 5        | unit="cells"
d/dt(cells) = birth_rate*cells - death_rate*cells | unit="cells", stochastic_below=100
cells(0) = start
"""

# Cells killed at a rate that grows linearly in time (a deterministic clock drives it), the
# way CAR-T cells drive the killing of a small tumour: survival to t is exp(-k t^2 / 2).
TIME_VARYING_TEXT = """
model(name="clocked_death")
kill_slope = 1.0 | unit="1/day^2"
d/dt(clock) = 1 | unit="day"
d/dt(tumour) = -kill_slope*clock*tumour | unit="mL", stochastic_below=1e-6, cell_amount=1e-9
tumour(0) = 5e-8
"""


@pytest.fixture(scope="module")
def birth_death() -> cartsim.Model:
    return cartsim.parse_model(BIRTH_DEATH_TEXT)


@pytest.fixture(scope="module")
def clocked() -> cartsim.Model:
    return cartsim.parse_model(TIME_VARYING_TEXT)


def test_extinction_probability_of_a_branching_process(birth_death: cartsim.Model) -> None:
    """A supercritical linear birth-death process from n0 cells dies out with probability
    (mu/lambda)**n0 = 0.8**5 = 0.328 (Kendall 1948); from the 100-cell threshold on it is
    deterministic growth, whose own extinction chance (0.8**100 ~ 2e-10) is negligible.
    4,000 patients: the fraction must be within 4 binomial standard errors."""
    n = 4000
    result = cartsim.simulate(birth_death, times=np.linspace(0.0, 30.0, 31), n_patients=n, seed=11)
    assert (result["status"].values == "ok").all()
    extinct = float((result["cells"].values[:, -1] == 0.0).mean())
    expected = 0.8**5
    assert abs(extinct - expected) < 4 * math.sqrt(expected * (1 - expected) / n)


def test_time_varying_hazard_gives_binomial_counts(clocked: cartsim.Model) -> None:
    """Each of 50 cells survives to t with probability exp(-t^2/2) independently, so the
    count is Binomial(50, exp(-t^2/2)). The trapezoidal hazard integral is exact for this
    linear-in-time rate, so only sampling error remains: means within 4 standard errors and
    variances within the sampler bound |sqrt(n/2)(S^2/sigma^2 - 1)| < 5 over 20,000 patients."""
    n = 20000
    times = np.array([0.0, 0.5, 1.0, 1.5])
    result = cartsim.simulate(clocked, times=times, n_patients=n, seed=5)
    counts = result["tumour"].values[:, 1:] / 1e-9
    survival = np.exp(-(times[1:] ** 2) / 2)
    mean, variance = 50 * survival, 50 * survival * (1 - survival)
    z = (counts.mean(axis=0) - mean) / np.sqrt(variance / n)
    assert np.all(np.abs(z) < 4), z
    spread = np.sqrt(n / 2) * (counts.var(axis=0, ddof=1) / variance - 1)
    assert np.all(np.abs(spread) < 5), spread


@pytest.mark.parametrize("method", ["explicit", "stiff", "auto"])
def test_counts_are_whole_cells_below_the_level(clocked: cartsim.Model, method: str) -> None:
    """In the stochastic mode the state holds whole cells exactly, for both integration
    methods (the stiff method keeps a held state free of pivoting noise)."""
    result = cartsim.simulate(clocked, times=np.linspace(0.0, 2.0, 41), n_patients=50, seed=1, method=method)
    values = result["tumour"].values
    assert np.array_equal(values, np.floor(values / 1e-9 + 0.5) * 1e-9)
    assert np.floor(values / 1e-9 + 0.5).max() <= 50
    assert values.min() >= 0.0


def test_above_the_level_the_state_is_the_ode(birth_death: cartsim.Model) -> None:
    """A patient that never falls below the level is integrated exactly as without the
    annotation: bit-identical to the plain model."""
    plain = cartsim.parse_model(BIRTH_DEATH_TEXT.replace(", stochastic_below=100", "").replace("birth_death", "plain"))
    times = np.linspace(0.0, 20.0, 21)
    hybrid = cartsim.simulate(birth_death, times=times, params={"start": 1000.0})
    ode = cartsim.simulate(plain, times=times, params={"start": 1000.0})
    assert np.array_equal(hybrid["cells"].values, ode["cells"].values)


def test_falling_through_the_level_switches_to_cells_and_back(birth_death: cartsim.Model) -> None:
    """A declining population (no births, deaths at 0.5 /day from 300 cells) crosses the level
    of 100 cells at 2.2 d and is whole cells from then on; a dose of 500 cells at day 10 lifts
    it above the level again, and it follows the ODE until it falls through 100 again (> 13 d)."""
    times = np.linspace(0.0, 20.0, 201)
    result = cartsim.simulate(
        birth_death,
        times=times,
        n_patients=20,
        seed=3,
        params={"birth_rate": 0.0, "death_rate": 0.5, "start": 300.0},
        doses=cartsim.Dose("cells", 500.0, time=10.0),
    )
    values = result["cells"].values
    before = (times > 2.5) & (times < 10.0)
    assert np.array_equal(values[:, before], np.round(values[:, before]))
    assert np.all(values[:, before] < 100.0)
    after = times > 10.0
    start = values[:, times == 10.0][:, 0]
    expected = start[:, None] * np.exp(-0.5 * (times[after] - 10.0))
    early = after & (times < 13.0)
    np.testing.assert_allclose(values[:, early], expected[:, : early.sum()], rtol=1e-5)
    assert not np.array_equal(values[:, early], np.round(values[:, early]))


def test_same_seed_same_bits_whatever_the_chunking(birth_death: cartsim.Model) -> None:
    """Patient 17's events come from its own stream: the same alone, in a batch, or in
    simulate_endpoints chunks; another seed gives other events."""
    times = np.linspace(0.0, 10.0, 11)
    batch = cartsim.simulate(birth_death, times=times, n_patients=64, seed=8)
    alone = cartsim.simulate(birth_death, times=times, patient_ids=[17, 3], seed=8)
    assert np.array_equal(alone["cells"].values, batch["cells"].values[[17, 3]])
    endpoints = cartsim.simulate_endpoints(birth_death, times=times, n_patients=64, seed=8, chunk_size=5, auc_window=(0, 10))
    np.testing.assert_array_equal(endpoints["cells_peak"].to_numpy(), batch["cells"].values.max(axis=1))
    other = cartsim.simulate(birth_death, times=times, n_patients=64, seed=9)
    assert not np.array_equal(other["cells"].values, batch["cells"].values)


def test_random_stream_is_xoshiro256_starstar(birth_death: cartsim.Model) -> None:
    """The kernel's generator against a pure-Python xoshiro256** (Blackman & Vigna 2018)."""
    kernel = load_kernel(birth_death)
    seed = np.random.SeedSequence(4, spawn_key=(7, 2)).generate_state(4, dtype=np.uint64)
    state = seed.copy()
    drawn = [kernel.rng_uniform(state) for _ in range(20)]

    mask = (1 << 64) - 1
    words = [int(w) for w in seed]

    def rotate(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & mask

    expected = []
    for _ in range(20):
        result = (rotate((words[1] * 5) & mask, 7) * 9) & mask
        shifted = (words[1] << 17) & mask
        words[2] ^= words[0]
        words[3] ^= words[1]
        words[1] ^= words[2]
        words[0] ^= words[3]
        words[2] ^= shifted
        words[3] = rotate(words[3], 45)
        expected.append((result >> 11) * 2.0**-53)
    assert drawn == expected


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ("stochastic_below=0", "`stochastic_below` must be a finite number > 0"),
        ("stochastic_below=100, extinction=1e-6", "both `extinction` and `stochastic_below`"),
        ("cell_amount=1e-9", "`cell_amount` is used only with `stochastic_below`"),
        ("stochastic_below=1e-12, cell_amount=1e-9", "must be at least one cell"),
        ("stochastic_below=100, nonnegative=False", "cannot be `nonnegative=False`"),
        ("stochastic_below=100, cell_amount=-1", "`cell_amount` must be a finite number > 0"),
    ],
)
def test_bad_stochastic_annotations(annotation: str, message: str) -> None:
    text = f'd/dt(cells) = -cells | unit="cells", {annotation}\ncells(0) = 10\n'
    with pytest.raises(cartsim.ModelSyntaxError, match=message):
        cartsim.parse_model(text)
