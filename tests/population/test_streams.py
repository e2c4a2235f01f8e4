"""The compiled per-patient streams: numpy's SeedSequence reproduced word for word, and
normal draws with the right distribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cartsim.engine._streams import seed_words, standard_normals
from cartsim.population import EVENT_STREAM, NOISE_STREAM, PARAMETER_STREAM, patient_streams

PATIENTS = [0, 1, 2, 17, 4095, 2**31 - 1, 2**32, 2**32 + 3, 10**12]


@pytest.mark.parametrize("seed", [0, 1, 2019, 2**32 - 1, 2**32 + 5, 123456789012345678])
@pytest.mark.parametrize("child", [PARAMETER_STREAM, NOISE_STREAM, EVENT_STREAM])
def test_streams_are_numpy_seed_sequence_children(seed: int, child: int) -> None:
    """Patient i's child c is SeedSequence(seed, spawn_key=(i, c)).generate_state(4, uint64),
    equal word for word, including seeds and ids of more than 32 bits."""
    ours = patient_streams(seed, PATIENTS, child)
    expected = np.array([np.random.SeedSequence(seed, spawn_key=(p, child)).generate_state(4, np.uint64) for p in PATIENTS])
    np.testing.assert_array_equal(ours, expected)


def test_normal_draws_have_the_standard_normal_distribution() -> None:
    """200,000 draws (2,000 patients x 100): mean and variance within the sampler bounds
    |sqrt(n) mean| < 3 and |sqrt(n/2)(S^2 - 1)| < 5, skewness and excess kurtosis near 0, and
    a Kolmogorov-Smirnov test against N(0, 1) that does not reject at the 0.1 % level."""
    draws = standard_normals(seed_words(5), np.arange(2000, dtype=np.int64), NOISE_STREAM, 100).ravel()
    n = draws.size
    assert abs(np.sqrt(n) * draws.mean()) < 3
    assert abs(np.sqrt(n / 2) * (draws.var(ddof=1) - 1)) < 5
    assert abs(stats.skew(draws)) < 5 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(draws)) < 5 * np.sqrt(24 / n)
    assert stats.kstest(draws, "norm").pvalue > 1e-3


def test_draws_of_different_patients_and_children_are_independent() -> None:
    """Neighbouring patients and the two children of one patient are uncorrelated (|r| < 4/sqrt(n))."""
    ids = np.arange(5000, dtype=np.int64)
    first = standard_normals(seed_words(9), ids, PARAMETER_STREAM, 1)[:, 0]
    noise = standard_normals(seed_words(9), ids, NOISE_STREAM, 1)[:, 0]
    limit = 4 / np.sqrt(ids.size)
    assert abs(np.corrcoef(first[:-1], first[1:])[0, 1]) < limit
    assert abs(np.corrcoef(first, noise)[0, 1]) < limit
