"""Non-compartmental analysis: hand calculations, BLQ rules, λz selection, Stein 2019."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cartsim.clinical.nca import auc_linear_up_log_down, cmax_tmax
from cartsim.clinical.nca_table import nca_table, summarise_nca
from cartsim.clinical.nca_terminal import terminal_phase

LN2 = math.log(2.0)
TIMES = np.array([0.0, 1.0, 2.0, 4.0, 8.0, 12.0])
VALUES = np.array([0.0, 4.0, 8.0, 4.0, 1.0, 0.25])


def stein_typical(t: np.ndarray) -> np.ndarray:
    """Stein 2019 closed form (models.md §1) with the Table 1 typical values."""
    cmax, tmax, foldx, alpha, fb, beta = 24_000.0, 9.3, 3900.0, 0.16, 0.0079, 0.0032
    rho = math.log(foldx) / tmax
    rising = cmax / foldx * np.exp(rho * t)
    falling = cmax * ((1 - fb) * np.exp(-alpha * (t - tmax)) + fb * np.exp(-beta * (t - tmax)))
    return np.where(t < tmax, rising, falling)


def test_hand_calculated_series() -> None:
    """t = 0, 1, 2, 4, 8, 12 d; C = 0, 4, 8, 4, 1, 0.25.

    Cmax = 8 at Tmax = 2; Clast = 0.25 at Tlast = 12.
    AUC0–last: [0,1] up 0.5*(0+4)*1 = 2; [1,2] up 0.5*(4+8)*1 = 6; [2,4] down (8-4)*2/ln2 = 8/ln2;
    [4,8] down (4-1)*4/ln4 = 6/ln2; [8,12] down (1-0.25)*4/ln4 = 1.5/ln2; total 8 + 15.5/ln2.
    AUC0–6: 6 is between 4 and 8 on a falling interval, so C(6) = 4*(1/4)**0.5 = 2 (log-linear)
    and [4,6] adds (4-2)*2/ln2 = 4/ln2: total 8 + 12/ln2.
    λz: points after Tmax are (4, 4), (8, 1), (12, 0.25), exactly ln C = ln4 - (ln4/4)(t-4):
    λz = ln2/2, half-life 2 d, 3 points, adjusted R² 1.
    """
    row = nca_table(VALUES, TIMES, auc_end=6.0).iloc[0]
    assert (row["cmax"], row["tmax"], row["clast"], row["tlast"]) == (8.0, 2.0, 0.25, 12.0)
    assert row["auc_0_last"] == pytest.approx(8 + 15.5 / LN2, rel=1e-14)
    assert row["auc_0_6"] == pytest.approx(8 + 12 / LN2, rel=1e-14)
    assert row["lambda_z"] == pytest.approx(LN2 / 2, rel=1e-12)
    assert row["half_life"] == pytest.approx(2.0, rel=1e-12)
    assert row["lambda_z_n_points"] == 3
    assert (row["lambda_z_start"], row["lambda_z_end"]) == (4.0, 12.0)
    assert row["lambda_z_r2_adjusted"] == pytest.approx(1.0, abs=1e-12)


def test_partial_auc_interpolates_linearly_on_a_rising_interval() -> None:
    """AUC0–1.5 of the series above: C(1.5) = 4 + (8-4)*0.5 = 6 (linear, rising), so
    2 + 0.5*(4+6)*0.5 = 4.5. AUC0–14 is after the last sample: NaN, never extrapolated."""
    assert nca_table(VALUES, TIMES, auc_end=1.5).iloc[0]["auc_0_1.5"] == pytest.approx(4.5, rel=1e-14)
    assert np.isnan(nca_table(VALUES, TIMES, auc_end=14.0).iloc[0]["auc_0_14"])


def test_auc_on_the_grid_equals_the_existing_function() -> None:
    """The table's AUC0–8 uses auc_linear_up_log_down unchanged, as do Cmax/Tmax with cmax_tmax."""
    row = nca_table(VALUES, TIMES, auc_end=8.0).iloc[0]
    assert row["auc_0_8"] == auc_linear_up_log_down(VALUES, TIMES, start=0.0, end=8.0)
    peak, when = cmax_tmax(VALUES, TIMES)
    assert (row["cmax"], row["tmax"]) == (peak, when)


BLQ_TIMES = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 6.0])
BLQ_VALUES = np.array([0.2, 2.0, 0.3, 8.0, 2.0, 0.1])


def test_blq_rules() -> None:
    """lloq = 0.5: t=0 (0.2) is before the first quantifiable value -> 0; t=2 (0.3) is between
    quantifiable values -> excluded; t=6 (0.1) is after the last -> 0. Used curve:
    t = 0, 1, 3, 4, 6; C = 0, 2, 8, 2, 0.

    Cmax 8 at 3; Clast 2 at 4; AUC0–last = 0.5*2*1 + 0.5*(2+8)*2 + (8-2)*1/ln4 = 11 + 3/ln2;
    AUC0–6 adds [4,6] falling to 0, linear: 0.5*(2+0)*2 = 2, so 13 + 3/ln2.
    """
    row = nca_table(BLQ_VALUES, BLQ_TIMES, lloq=0.5, auc_end=6.0).iloc[0]
    assert (row["cmax"], row["tmax"], row["clast"], row["tlast"]) == (8.0, 3.0, 2.0, 4.0)
    assert row["auc_0_last"] == pytest.approx(11 + 3 / LN2, rel=1e-14)
    assert row["auc_0_6"] == pytest.approx(13 + 3 / LN2, rel=1e-14)
    assert (row["n_samples"], row["n_blq"]) == (5, 3)


def test_trailing_blq_as_missing_leaves_the_partial_auc_not_estimable() -> None:
    """With trailing_blq='missing' the last used sample is t=4 < 6: AUC0–6 is NaN, AUC0–last unchanged."""
    row = nca_table(BLQ_VALUES, BLQ_TIMES, lloq=0.5, auc_end=6.0, trailing_blq="missing").iloc[0]
    assert np.isnan(row["auc_0_6"])
    assert row["auc_0_last"] == pytest.approx(11 + 3 / LN2, rel=1e-14)
    assert row["n_samples"] == 4


def test_without_lloq_every_value_is_used() -> None:
    """No lloq: the 0.3 at t=2 stays, so [1,2] is down (2-0.3)/ln(2/0.3) and [2,3] up 0.5*(0.3+8)."""
    row = nca_table(BLQ_VALUES, BLQ_TIMES, auc_end=6.0).iloc[0]
    expected = 0.5 * (0.2 + 2) + 1.7 / math.log(2 / 0.3) + 0.5 * 8.3 + 6 / math.log(4) + 1.9 * 2 / math.log(20)
    assert row["auc_0_6"] == pytest.approx(expected, rel=1e-14)
    assert (row["clast"], row["tlast"], row["n_blq"]) == (0.1, 6.0, 0)


def test_all_blq_patient() -> None:
    """Nothing quantifiable: every sample -> 0, Cmax 0, Tmax/Clast/Tlast/λz NaN, AUC0–28 = 0."""
    row = nca_table([0.1, 0.2, 0.3], [0.0, 14.0, 28.0], lloq=0.5).iloc[0]
    assert row["cmax"] == 0.0
    assert row["auc_0_28"] == 0.0
    assert np.isnan([row["tmax"], row["clast"], row["tlast"], row["auc_0_last"], row["lambda_z"]]).all()


def test_missing_samples_are_bridged_and_a_late_first_sample_gives_no_auc() -> None:
    """A NaN sample is skipped (the trapezoid bridges it); without a sample at t = 0 AUCs are NaN."""
    gap = VALUES.copy()
    gap[3] = np.nan  # drop t = 4: [2,8] becomes one falling interval (8-1)*6/ln8 = 14/ln2
    row = nca_table(gap, TIMES).iloc[0]
    assert row["auc_0_last"] == pytest.approx(8 + 14 / LN2 + 1.5 / LN2, rel=1e-14)
    late = nca_table(VALUES[1:], TIMES[1:]).iloc[0]
    assert np.isnan(late["auc_0_last"])
    assert late["cmax"] == 8.0


def test_long_dataframe_equals_the_array_form() -> None:
    """Two patients as a shuffled long table give the same rows as the (2, time) array."""
    values = np.stack([VALUES, 3 * VALUES])
    wide = nca_table(values, TIMES, unit="copies/ug")
    long = pd.DataFrame({"patient_id": np.repeat(["a", "b"], TIMES.size), "time": np.tile(TIMES, 2), "value": values.ravel()})
    table = nca_table(long.sample(frac=1.0, random_state=0), unit="copies/ug")
    assert list(table.index) == ["a", "b"]
    assert table.index.name == "patient_id"
    pd.testing.assert_frame_equal(table.reset_index(drop=True), wide.reset_index(drop=True))
    assert table.attrs["units"]["auc_0_28"] == "(copies/ug)*day"


def test_leading_axes_flatten_in_c_order() -> None:
    values = np.arange(1.0, 7.0)[:, None] * VALUES
    table = nca_table(values.reshape(2, 3, TIMES.size), TIMES)
    np.testing.assert_array_equal(table["cmax"].to_numpy(), 8.0 * np.arange(1.0, 7.0))
    assert table.index.name == "patient"


def test_lambda_z_recovers_the_terminal_half_life_of_a_biexponential() -> None:
    """C = 100 e^{-0.5 t} + 10 e^{-0.05 t}: the terminal half-life is ln2/0.05 = 13.863 d. The
    best fit uses t = 24..72 (where the fast phase is < 2e-5 of C); the residual bias is 7e-5,
    hence rel 2e-4."""
    t = np.array([0, 0.5, 1, 2, 4, 6, 8, 12, 24, 36, 48, 72.0])
    phase = terminal_phase(100 * np.exp(-0.5 * t) + 10 * np.exp(-0.05 * t), t)
    assert phase.half_life == pytest.approx(LN2 / 0.05, rel=2e-4)
    assert (phase.n_points, phase.start, phase.end) == (4, 24.0, 72.0)


def test_tmax_is_never_in_the_terminal_fit() -> None:
    """Only two points after Tmax: λz is not estimable even though Tmax lies on the same line."""
    assert np.isnan(terminal_phase([8.0, 4.0, 2.0], [0.0, 1.0, 2.0]).lambda_z)
    assert terminal_phase([1.0, 8.0, 4.0, 2.0, 1.0], [0.0, 1.0, 2.0, 3.0, 4.0]).lambda_z == pytest.approx(LN2, rel=1e-12)


def reference_best_fit(t: np.ndarray, c: np.ndarray, tolerance: float = 1e-4) -> tuple[float, int]:
    """Brute force with scipy.stats.linregress, written from the rule (PKNCA/WinNonlin):
    every tail of >= 3 points after Tmax, negative slope only, best adjusted R², then most points
    within the tolerance."""
    after = np.arange(c.size) > int(np.argmax(c))
    t, y = t[after], np.log(c[after])
    fits = []
    for start in range(t.size - 2):
        fit = stats.linregress(t[start:], y[start:])
        k = t.size - start
        if fit.slope < 0:
            fits.append((1 - (1 - fit.rvalue**2) * (k - 1) / (k - 2), k, -fit.slope))
    best = max(f[0] for f in fits)
    _, k, lambda_z = max((f for f in fits if f[0] >= best - tolerance), key=lambda f: f[1])
    return lambda_z, k


@pytest.mark.parametrize("seed", range(20))
def test_lambda_z_selection_matches_a_brute_force_reference(seed: int) -> None:
    """Noisy bi-exponential series (log-normal error 5 %): the vectorised search picks the same
    set as the brute-force loop and the same slope to 1e-9 (different summation orders)."""
    generator = np.random.default_rng(seed)
    t = np.array([0, 1, 2, 4, 7, 10, 14, 21, 28, 42, 56, 84, 112.0])
    c = np.where(t < 7, np.exp(t), np.exp(7) * (0.9 * np.exp(-0.3 * (t - 7)) + 0.1 * np.exp(-0.02 * (t - 7))))
    c *= np.exp(0.05 * generator.standard_normal(t.size))
    lambda_z, k = reference_best_fit(t, c)
    phase = terminal_phase(c, t)
    assert phase.n_points == k
    assert phase.lambda_z == pytest.approx(lambda_z, rel=1e-9)


def test_stein_typical_curve_cmax_tmax_auc() -> None:
    """Stein 2019 typical curve (models.md §1): Cmax 24,000 copies/µg at 9.3 d (published),
    AUC0–28 1.718e5 copies·d/µg (computed reference, 4 significant figures: rel 1e-3 would be
    the printed precision; we ask 0.1 % as the brief does) and C(28) 1,374 copies/µg."""
    times = np.round(np.arange(0, 28.001, 0.1), 10)
    row = nca_table(stein_typical(times), times, unit="copies/ug").iloc[0]
    assert row["cmax"] == pytest.approx(24_000.0, rel=1e-12)
    assert row["tmax"] == 9.3
    assert row["auc_0_28"] == pytest.approx(1.718e5, rel=1e-3)
    assert row["clast"] == pytest.approx(1374.0, rel=1e-3)


def test_stein_terminal_half_life() -> None:
    """Stein's terminal half-life ln2/beta = ln2/0.0032 = 216.6 d (published). Daily samples in
    the window 60–365 d: the best-fit rule (tolerance 1e-4) extends the fit back to day 63, where
    the fast phase still adds ~3 % to C, which biases the half-life down by 0.4 % (215.8 d);
    hence rel 5e-3 for that window. From day 100 the fast phase is < 1e-5 of C: rel 1e-4."""
    times = np.arange(0.0, 366.0)
    row = nca_table(stein_typical(times), times, lambda_z_window=(60.0, 365.0)).iloc[0]
    assert row["half_life"] == pytest.approx(LN2 / 0.0032, rel=5e-3)
    assert row["lambda_z_start"] >= 60.0
    late = nca_table(stein_typical(times), times, lambda_z_window=(100.0, 365.0)).iloc[0]
    assert late["half_life"] == pytest.approx(LN2 / 0.0032, rel=1e-4)


def test_summary_statistics_by_hand() -> None:
    """Two patients, C and 4C: Cmax 8 and 32. Geometric mean sqrt(8*32) = 16; sd_log (ddof 1) of
    (ln8, ln32) is ln4/sqrt2, so geometric CV = 100*sqrt(exp(ln4**2/2) - 1) = 127.05 %.
    Tmax is 2 for both: geometric CV 0. Median 20, min 8, max 32."""
    table = nca_table(np.stack([VALUES, 4 * VALUES]), TIMES, unit="copies/ug")
    summary = summarise_nca(table)
    cmax = summary.loc["cmax"]
    assert cmax["geometric_mean"] == pytest.approx(16.0, rel=1e-14)
    assert cmax["geometric_cv_percent"] == pytest.approx(100 * math.sqrt(math.exp(math.log(4) ** 2 / 2) - 1), rel=1e-12)
    assert cmax["geometric_cv_percent"] == pytest.approx(127.05, abs=0.01)
    assert (cmax["median"], cmax["min"], cmax["max"], cmax["n"]) == (20.0, 8.0, 32.0, 2)
    assert cmax["unit"] == "copies/ug"
    assert summary.loc["tmax", "geometric_cv_percent"] == 0.0
    assert "auc_0_28" in summary.index
    assert "lambda_z_n_points" not in summary.index


def test_summary_geometric_statistics_need_positive_values() -> None:
    """A Cmax of 0 (all BLQ) makes the geometric mean undefined (NaN); the median still counts it."""
    table = nca_table(np.stack([VALUES, np.zeros(TIMES.size)]), TIMES)
    cmax = summarise_nca(table).loc["cmax"]
    assert np.isnan(cmax["geometric_mean"])
    assert cmax["median"] == 4.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"data": [1.0, -2.0], "times": [0.0, 1.0]}, r"values must be >= 0 and finite"),
        ({"data": [1.0, np.inf], "times": [0.0, 1.0]}, r"values must be >= 0 and finite"),
        ({"data": [1.0, 2.0], "times": [-1.0, 1.0]}, r"times must be finite and >= 0 day"),
        ({"data": [1.0, 2.0], "times": [1.0, 1.0]}, r"times must be strictly increasing"),
        ({"data": [1.0, 2.0], "times": [0.0, 1.0, 2.0]}, r"`times` must be 1-D with one entry per value"),
        ({"data": [1.0, 2.0]}, r"`times` \(days, 1-D\) is required"),
        ({"data": [1.0, 2.0], "times": [0.0, 1.0], "lloq": 0.0}, r"`lloq` must be a finite number > 0"),
        ({"data": [1.0, 2.0], "times": [0.0, 1.0], "lloq": np.nan}, r"`lloq` must be a finite number > 0"),
        ({"data": [1.0, 2.0], "times": [0.0, 1.0], "auc_end": -1.0}, r"`auc_end` must be a finite time > 0 day"),
        ({"data": [1.0, 2.0], "times": [0.0, 1.0], "trailing_blq": "drop"}, r"`trailing_blq` must be one of"),
        ({"data": [1.0, 2.0], "times": [0.0, 1.0], "lambda_z_window": (5.0, 1.0)}, r"finite start < end"),
        ({"data": [1.0, 2.0], "times": [0.0, 1.0], "lambda_z_tolerance": 2.0}, r"`lambda_z_tolerance` must be"),
        ({"data": pd.DataFrame({"patient_id": [1], "time": [0.0]})}, r"lacks columns \['value'\]"),
        (
            {"data": pd.DataFrame({"patient_id": [1, 1], "time": [0.0, 0.0], "value": [1.0, 2.0]})},
            r"patient 1: times must be strictly increasing",
        ),
        ({"data": pd.DataFrame({"patient_id": [1], "time": [0.0], "value": [1.0]}), "times": [0.0]}, r"`times` must be None"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nca_table(**kwargs)


def test_tolerance_prefers_more_points() -> None:
    """Seed 19 of the noisy series above: the 3-point tail has the best adjusted R², but the
    5-point tail is within 1e-4 of it, so the default rule takes 5; with tolerance 0 it takes 3."""
    generator = np.random.default_rng(19)
    t = np.array([0, 1, 2, 4, 7, 10, 14, 21, 28, 42, 56, 84, 112.0])
    c = np.where(t < 7, np.exp(t), np.exp(7) * (0.9 * np.exp(-0.3 * (t - 7)) + 0.1 * np.exp(-0.02 * (t - 7))))
    c *= np.exp(0.05 * generator.standard_normal(t.size))
    assert terminal_phase(c, t).n_points == 5
    assert terminal_phase(c, t, tolerance=0.0).n_points == 3


def test_auc_end_a_rounding_error_away_from_a_sample_counts_as_that_sample() -> None:
    """np.arange(0, 28.001, 0.1) ends at 28.000000000000004 (not rounded): AUC0–28 equals the
    AUC on the rounded grid to rounding error, and a last sample of 28 - 4e-15 still covers day 28."""
    raw = np.arange(0, 28.001, 0.1)
    rounded = np.round(raw, 10)
    expected = nca_table(stein_typical(rounded), rounded).iloc[0]["auc_0_28"]
    assert nca_table(stein_typical(raw), raw).iloc[0]["auc_0_28"] == pytest.approx(expected, rel=1e-12)
    short = rounded.copy()
    short[-1] = 28.0 - 4e-15
    assert nca_table(stein_typical(short), short).iloc[0]["auc_0_28"] == pytest.approx(expected, rel=1e-12)
