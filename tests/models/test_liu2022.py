"""Liu 2022 against its computed reference numbers and qualitative claims (models.md section 6)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import cartsim
from cartsim.models import liu2022

#: Tight tolerances for reference comparisons (counts are O(1)-O(1e4); atol far below 1 count).
REFERENCE = {"rtol": 1e-10, "atol": 1e-12}


@pytest.fixture(scope="module")
def liu() -> cartsim.Model:
    return cartsim.models.get("liu2022")


@pytest.fixture(scope="module")
def complete_remission(liu: cartsim.Model) -> xr.Dataset:
    """The CR example (default parameters) on a 0.01-day grid over 30 days."""
    times = np.round(np.arange(3001) * 0.01, 10)
    return cartsim.simulate(liu, times=times, **REFERENCE)


@pytest.fixture(scope="module")
def cd19neg_relapse(liu: cartsim.Model) -> xr.Dataset:
    return liu2022.SCENARIOS["cd19neg_relapse"].simulate(liu, **REFERENCE)


def test_cr_activated_car_t_peak(complete_remission: xr.Dataset) -> None:
    """CR example: activated CAR-T peak nTA = 612.7 on day 5.65 (models.md section 6, computed
    reference, LSODA rtol<=1e-9). Compared to the digit shown: the peak value rounded to 0.1
    count and its time on the 0.01-day grid."""
    activated = complete_remission["activated_car_t"].values[0]
    peak = int(np.argmax(activated))
    assert round(float(activated[peak]), 1) == 612.7
    assert float(complete_remission["time"].values[peak]) == pytest.approx(5.65, abs=1e-9)


def test_cr_leukaemia_clearance_by_day_7_5(complete_remission: xr.Dataset) -> None:
    """CR example: CD19+ leukaemia falls below 1 count by day 7.5 (models.md section 6,
    computed reference). To the digit shown: nB(7.5) < 1 but nB(7.4) >= 1."""
    leukaemia = complete_remission["cd19pos_leukaemia"]
    assert float(leukaemia.sel(time=7.5).values[0]) < 1.0
    assert float(leukaemia.sel(time=7.4).values[0]) >= 1.0


def test_cr_set_has_no_cd19neg_clone(complete_remission: xr.Dataset) -> None:
    """With nBn(0) = 0 and km = 0 (CR set) the CD19- clone stays exactly 0 and the burden is
    the three-state map LB = 97.19 nB / (nB + 1909) (models.md section 6)."""
    assert np.all(complete_remission["cd19neg_leukaemia"].values == 0.0)
    cd19pos = complete_remission["cd19pos_leukaemia"].values
    np.testing.assert_allclose(complete_remission["leukaemia_burden"].values, 97.19 * cd19pos / (cd19pos + 1909), rtol=1e-12)


def test_cr_nonactivated_pool_persists(liu: cartsim.Model) -> None:
    """Pitfall of models.md section 6: with lTN = 3e-5 /day a non-activated reservoir (about a
    fifth of nTN0) remains after remission and is re-activated whenever nB rises again. The
    model has no extinction rule: nB bottoms out at ~7e-7 counts (day 36) and regrows, passing
    1 count again on day ~250; the reservoir then re-expands the activated pool."""
    times = np.arange(0.0, 401.0)
    result = cartsim.simulate(liu, times=times, **REFERENCE)
    naive = result["nonactivated_car_t"].values[0]
    activated = result["activated_car_t"].values[0]
    cd19pos = result["cd19pos_leukaemia"].values[0]
    assert naive[30] > 0.2 * naive[0]
    # While nB is below 1 count the reservoir barely moves (lTN alone would keep 99.5 %).
    assert naive[200] > 0.99 * naive[30]
    assert cd19pos[36] < 1e-6
    assert cd19pos[200] < 1.0
    # nB regrows; activation drains the reservoir and activated cells re-expand from ~2e-4.
    assert cd19pos[300] > 1.0
    assert naive[400] < 0.2 * naive[200]
    assert activated[350] > 1e4 * activated[200]


def test_cd19neg_relapse_clone_dominates(cd19neg_relapse: xr.Dataset) -> None:
    """CD19- relapse example (models.md section 6, qualitative): CAR-T control CD19+ leukaemia
    for good, while the pre-existing CD19- clone (nBn(0) = 19.89, killed kb = 7.9 times less
    efficiently) is first pushed down, then escapes and regrows to the shared capacity nMB, so
    the burden returns high (relapse)."""
    result = cd19neg_relapse
    times = result["time"].values
    cd19pos = result["cd19pos_leukaemia"].values[0]
    cd19neg = result["cd19neg_leukaemia"].values[0]
    burden = result["leukaemia_burden"].values[0]
    capacity = liu2022.CD19NEG_RELAPSE_PARAMS["leukaemia_capacity"]
    assert np.all(cd19pos[times >= 20.0] < 1.0)  # CD19+ controlled from day 20 on
    assert cd19neg.min() < 0.01 * cd19neg[0]  # the CD19- clone is first suppressed ...
    assert cd19neg[-1] > 0.99 * capacity  # ... then regrows to nMB
    assert cd19neg[-1] > 1e4 * cd19pos[-1]  # and dominates the leukaemia
    assert burden.min() < 0.1
    assert burden[-1] > 85.0  # % blasts: relapse
    relapse_day = times[np.argmax((times > 30.0) & (burden > 5.0))]
    assert 100.0 < relapse_day < 250.0


def test_antigen_loss_has_no_matching_loss(liu: cartsim.Model) -> None:
    """As written in models.md section 6, km * nB feeds nBn with no matching loss from nB:
    raising km leaves nB, nTA and nTN unchanged and creates a CD19- clone from nothing."""
    times = np.arange(0.0, 61.0)
    base = cartsim.simulate(liu, times=times, **REFERENCE)
    lossy = cartsim.simulate(liu, times=times, params={"antigen_loss_rate": 0.01}, **REFERENCE)
    for state in ("cd19pos_leukaemia", "activated_car_t", "nonactivated_car_t"):
        # Same equations, different step sequences (nBn enters the error control): agree to ~rtol.
        np.testing.assert_allclose(lossy[state].values, base[state].values, rtol=1e-8, atol=1e-9)
    assert lossy["cd19neg_leukaemia"].values[0, -1] > 1.0


def test_no_car_t_input_means_no_car_t(liu: cartsim.Model) -> None:
    """nTN0 = 0 (the dose parameter): no CAR-T at any time, and leukaemia grows to nMB
    (LB = 97.19 nMB / (nMB + 1909) = 58.9 % blasts)."""
    assert liu.dose == "effective_car_t_input"
    result = cartsim.simulate(liu, times=np.arange(0.0, 401.0, 10.0), params={"effective_car_t_input": 0.0}, **REFERENCE)
    assert np.all(result["nonactivated_car_t"].values == 0.0)
    assert np.all(result["activated_car_t"].values == 0.0)
    capacity = liu.parameter("leukaemia_capacity").default
    assert result["cd19pos_leukaemia"].values[0, -1] == pytest.approx(capacity, rel=1e-3)
    assert result["leukaemia_burden"].values[0, -1] == pytest.approx(97.19 * capacity / (capacity + 1909), rel=1e-3)


def test_reference_points_match(liu: cartsim.Model) -> None:
    """The model page's reference points are reproduced by their scenarios (0.5 %)."""
    for point in liu2022.REFERENCE_POINTS:
        scenario = liu2022.SCENARIOS[point.scenario]
        result = scenario.simulate(liu, times=[0.0, point.time], **REFERENCE)
        assert float(result[point.variable].values[0, -1]) == pytest.approx(point.value, rel=5e-3)


def _cr_rhs(_t: float, y: np.ndarray) -> list[float]:
    """models.md section 6 equations with the CR example, transcribed independently."""
    nb, nta, ntn = y
    rta = 1.62 * nb / (nb + 637.64)
    activation = 0.65 * nb / (nb + 1808.02) * ntn
    return [
        0.069 * nb * (1 - nb / 2939.1) - 22.72 * nb / (nb + 5891.45) * nta,
        rta * nta + activation - 0.12 * nta,
        -activation - 3e-5 * ntn,
    ]


def test_cr_matches_scipy_radau(complete_remission: xr.Dataset) -> None:
    """Cross-implementation: the CR example against scipy's Radau (rtol 1e-10) on the
    three-state equations of models.md section 6, within 1e-6 relative (above 1e-3 counts)."""
    from scipy.integrate import solve_ivp

    times = complete_remission["time"].values
    reference = solve_ivp(_cr_rhs, (0.0, times[-1]), [2200.24, 0.0, 16.46], method="Radau", t_eval=times, rtol=1e-10, atol=1e-12)
    assert reference.success
    for row, state in enumerate(("cd19pos_leukaemia", "activated_car_t", "nonactivated_car_t")):
        ours, theirs = complete_remission[state].values[0], reference.y[row]
        big = np.abs(theirs) > 1e-3
        np.testing.assert_allclose(ours[big], theirs[big], rtol=1e-6)
