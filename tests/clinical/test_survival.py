"""Survival endpoints: Kaplan–Meier by hand and against lifelines, Cox hazard ratio, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.datasets import load_waltons
from lifelines.utils import median_survival_times

from cartsim.clinical.survival import DAYS_PER_MONTH, endpoint_times, hazard_ratio, kaplan_meier, survival_summary

Z_975 = 1.959963984540054

# Eight patients, times in months (converted to days below): 1 = event, 0 = censored.
HAND_MONTHS = [2, 3, 3, 5, 6, 8, 9, 12]
HAND_EVENTS = [1, 1, 0, 1, 0, 1, 1, 0]


def hand_data() -> pd.DataFrame:
    return pd.DataFrame({"time": np.array(HAND_MONTHS) * DAYS_PER_MONTH, "event": HAND_EVENTS, "arm": "A"})


def log_log_band(survival: float, greenwood_sum: float) -> tuple[float, float]:
    """Exponential Greenwood (log(-log)) 95 % band: theta = ln(-ln S), se = sqrt(sum d/(n(n-d))) / |ln S|,
    band S ** exp(+-z se)."""
    se = math.sqrt(greenwood_sum) / abs(math.log(survival))
    return survival ** math.exp(Z_975 * se), survival ** math.exp(-Z_975 * se)


def test_product_limit_by_hand() -> None:
    """Product limit, times in months (n at risk, d events):
    2: n=8, d=1 -> S = 7/8 = 0.875
    3: n=7, d=1 (one more censored at 3) -> S = 0.875 * 6/7 = 0.75
    5: n=5, d=1 -> S = 0.75 * 4/5 = 0.6       (6: censored)
    8: n=3, d=1 -> S = 0.6 * 2/3 = 0.4
    9: n=2, d=1 -> S = 0.4 * 1/2 = 0.2        (12: censored)
    Median: first time S <= 0.5 -> 8 months = 243.5 d. 6-month rate: S(182.625 d) = 0.6 with
    Greenwood sum 1/(8*7) + 1/(7*6) + 1/(5*4); 12-month rate: S = 0.2 (12 months is the last
    follow-up, so still estimable). At exactly 8 months the rate and band include the event at 8
    (Greenwood sum + 1/(3*2))."""
    curve = kaplan_meier(hand_data())
    events = curve[curve["events"] > 0]
    np.testing.assert_allclose(events["survival"].to_numpy(), [0.875, 0.75, 0.6, 0.4, 0.2], rtol=1e-14)
    np.testing.assert_array_equal(events["at_risk"].to_numpy(), [8, 7, 5, 3, 2])
    summary = survival_summary(hand_data(), endpoint="PFS").loc["A"]
    assert summary["median"] == pytest.approx(8 * DAYS_PER_MONTH, rel=1e-14)
    assert (summary["n"], summary["events"]) == (8, 5)
    assert summary["rate_6mo"] == pytest.approx(0.6, rel=1e-14)
    assert summary["rate_12mo"] == pytest.approx(0.2, rel=1e-14)
    lower, upper = log_log_band(0.6, 1 / 56 + 1 / 42 + 1 / 20)
    assert (summary["rate_6mo_lower"], summary["rate_6mo_upper"]) == pytest.approx((lower, upper), rel=1e-10)
    at_event = survival_summary(hand_data(), landmarks_months=(8.0,)).loc["A"]  # a landmark on an event time
    assert at_event["rate_8mo"] == pytest.approx(0.4, rel=1e-14)
    lower, upper = log_log_band(0.4, 1 / 56 + 1 / 42 + 1 / 20 + 1 / 6)
    assert (at_event["rate_8mo_lower"], at_event["rate_8mo_upper"]) == pytest.approx((lower, upper), rel=1e-10)


def test_median_confidence_interval_by_hand() -> None:
    """The median's 95 % interval runs from the first time the lower band is <= 0.5 to the first
    time the upper band is <= 0.5. Bands at the event times (Greenwood sums cumulate
    1/56, 1/42, 1/20, 1/6, 1/2); the upper band never reaches 0.5 -> upper limit NaN
    ("not reached")."""
    survival = [0.875, 0.75, 0.6, 0.4, 0.2]
    sums = np.cumsum([1 / 56, 1 / 42, 1 / 20, 1 / 6, 1 / 2])
    bands = [log_log_band(s, v) for s, v in zip(survival, sums, strict=True)]
    event_days = np.array([2, 3, 5, 8, 9]) * DAYS_PER_MONTH
    first_lower = next(day for day, band in zip(event_days, bands, strict=True) if band[0] <= 0.5)
    assert all(band[1] > 0.5 for band in bands)
    summary = survival_summary(hand_data()).loc["A"]
    assert summary["median_lower"] == pytest.approx(first_lower, rel=1e-14)
    assert np.isnan(summary["median_upper"])


@pytest.fixture
def waltons() -> pd.DataFrame:
    """lifelines' bundled Waltons data (163 flies, two groups; ships in the package, offline)."""
    frame: pd.DataFrame = load_waltons()
    return frame.rename(columns={"T": "time", "E": "event", "group": "arm"})


def test_kaplan_meier_against_lifelines_directly(waltons: pd.DataFrame) -> None:
    """Per arm, the medians (with CI) and the 1- and 2-month rates (with CI) equal those of a
    KaplanMeierFitter fitted by hand on that arm's rows (quoted reference code below)."""
    summary = survival_summary(waltons, landmarks_months=(1.0, 2.0))
    for arm, group in waltons.groupby("arm"):
        # Reference: lifelines used directly.
        kmf = KaplanMeierFitter().fit(group["time"], group["event"])
        ci = median_survival_times(kmf.confidence_interval_)
        row = summary.loc[arm]
        assert row["median"] == kmf.median_survival_time_
        assert (row["median_lower"], row["median_upper"]) == tuple(ci.iloc[0])
        for month in (1.0, 2.0):
            day = month * DAYS_PER_MONTH
            assert row[f"rate_{month:g}mo"] == kmf.survival_function_at_times(day).iloc[0]
            band = kmf.confidence_interval_[kmf.confidence_interval_.index <= day].iloc[-1]
            assert (row[f"rate_{month:g}mo_lower"], row[f"rate_{month:g}mo_upper"]) == tuple(band)
    assert summary.loc["control", "median"] == 58.0
    assert summary.loc["miR-137", "median"] == 26.0


def test_landmark_after_follow_up_is_not_estimable() -> None:
    """The hand data end with a censoring at 12 months: the 18-month rate is undefined (NaN).
    Make that last patient an event and the curve drops to 0 at 12 months: the 18-month rate is 0."""
    censored_last = survival_summary(hand_data(), landmarks_months=(18.0,)).loc["A"]
    assert np.isnan(censored_last[["rate_18mo", "rate_18mo_lower", "rate_18mo_upper"]].to_numpy(dtype=float)).all()
    event_last = hand_data().assign(event=[*HAND_EVENTS[:-1], 1])
    assert survival_summary(event_last, landmarks_months=(18.0,)).loc["A", "rate_18mo"] == 0.0


def test_one_arm_when_arm_is_none() -> None:
    summary = survival_summary(hand_data().drop(columns="arm"), arm=None)
    assert list(summary.index) == ["all"]


def test_hazard_ratio_against_lifelines_directly(waltons: pd.DataFrame) -> None:
    """Reference code (lifelines):

        design = waltons.assign(x=(waltons.arm == "miR-137").astype(float))[["time", "event", "x"]]
        cph = CoxPHFitter().fit(design, "time", "event"); cph.summary.loc["x"]

    HR 7.79 (95 % CI 5.09–11.9), Wald p 3.1e-21. Swapping the arms inverts the HR and its CI."""
    design = waltons.assign(x=(waltons["arm"] == "miR-137").astype(float))[["time", "event", "x"]]
    reference = CoxPHFitter().fit(design, "time", "event").summary.loc["x"]
    result = hazard_ratio(waltons, treatment="miR-137", reference="control")
    assert result["hazard_ratio"] == pytest.approx(reference["exp(coef)"], rel=1e-10)
    assert result["lower"] == pytest.approx(reference["exp(coef) lower 95%"], rel=1e-10)
    assert result["upper"] == pytest.approx(reference["exp(coef) upper 95%"], rel=1e-10)
    assert result["p_value"] == pytest.approx(reference["p"], rel=1e-8)
    assert result["hazard_ratio"] == pytest.approx(7.7876, rel=1e-4)
    swapped = hazard_ratio(waltons, treatment="control", reference="miR-137")
    assert swapped["hazard_ratio"] == pytest.approx(1 / result["hazard_ratio"], rel=1e-8)
    assert swapped["lower"] == pytest.approx(1 / result["upper"], rel=1e-8)


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"time": [-1.0, 2.0], "event": [1, 0], "arm": "A"}), r"'time' must be finite and >= 0 day, got \[-1.0\]"),
        (pd.DataFrame({"time": [np.nan, 2.0], "event": [1, 0], "arm": "A"}), r"'time' must be finite and >= 0 day"),
        (
            pd.DataFrame({"time": [1.0, 2.0], "event": [2, 0], "arm": "A"}),
            r"'event' must be 1 \(event\) or 0 \(censored\), got \[2\]",
        ),
        (pd.DataFrame({"time": [1.0, 2.0], "event": ["yes", 0], "arm": "A"}), r"'event' must be 1 \(event\) or 0"),
        (pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0]}), r"lacks columns \['arm'\]"),
        (pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0], "arm": ["A", None]}), r"'arm' has missing values"),
        (pd.DataFrame({"time": ["a", "b"], "event": [1, 0], "arm": "A"}), r"'time' must hold numeric times in days"),
        (pd.DataFrame({"time": [], "event": [], "arm": []}), r"has no rows"),
    ],
)
def test_bad_survival_data_is_rejected(frame: pd.DataFrame, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        survival_summary(frame)


def test_bad_survival_options_are_rejected(waltons: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"`alpha` must be in \(0, 1\)"):
        kaplan_meier(waltons, alpha=1.5)
    with pytest.raises(ValueError, match=r"`landmarks_months` must be finite and > 0 months, got \[-6.0\]"):
        survival_summary(waltons, landmarks_months=(-6,))
    with pytest.raises(ValueError, match=r"`treatment` arm 'CAR-T' has no rows"):
        hazard_ratio(waltons, treatment="CAR-T", reference="control")
    with pytest.raises(ValueError, match=r"must be different arms"):
        hazard_ratio(waltons, treatment="control", reference="control")
    with pytest.raises(ValueError, match=r"needs at least one event"):
        hazard_ratio(waltons.assign(event=0), treatment="miR-137", reference="control")


PATIENTS = pd.DataFrame(
    {
        "arm": ["A", "A", "B", "B"],
        "last_follow_up_day": [400.0, 300.0, 500.0, 200.0],
        "death_day": [np.nan, 300.0, np.nan, 150.0],
        "progression_day": [100.0, np.nan, np.nan, 120.0],
        "response_day": [30.0, 28.0, np.nan, 28.0],
        "new_therapy_day": [np.nan, np.nan, 60.0, np.nan],
    }
)


@pytest.mark.parametrize(
    ("endpoint", "times", "events"),
    [
        ("OS", [400, 300, 500, 150], [0, 1, 0, 1]),  # death only
        ("PFS", [100, 300, 500, 120], [1, 1, 0, 1]),  # progression or death, the earlier
        ("EFS", [100, 300, 60, 120], [1, 1, 1, 1]),  # + new therapy (patient 2 at day 60)
        ("DOR", [70, 272, 120 - 28], [1, 1, 1]),  # responders 0, 1, 3; from response: 100-30, 300-28, 120-28
    ],
)
def test_endpoint_times_by_hand(endpoint: str, times: list[float], events: list[int]) -> None:
    result = endpoint_times(PATIENTS, endpoint)
    np.testing.assert_array_equal(result["time"].to_numpy(), times)
    np.testing.assert_array_equal(result["event"].to_numpy(), events)
    assert list(result["arm"]) == list(PATIENTS["arm"].iloc[result.index])


@pytest.mark.parametrize(
    ("change", "endpoint", "match"),
    [
        ({"death_day": [np.nan, 301.0, np.nan, 150.0]}, "OS", r"'death_day' is after 'last_follow_up_day' for patients \[1\]"),
        ({"progression_day": [20.0, np.nan, np.nan, 120.0]}, "DOR", r"before 'response_day' for patients \[0\]"),
        ({"progression_day": [-1.0, np.nan, np.nan, 120.0]}, "PFS", r"'progression_day' must be >= 0 day"),
        ({"last_follow_up_day": [400.0, np.nan, 500.0, 200.0]}, "OS", r"'last_follow_up_day' has missing values"),
        ({}, "TTP", r"`endpoint` must be one of \['PFS', 'EFS', 'OS', 'DOR'\], got 'TTP'"),
    ],
)
def test_endpoint_times_bad_input(change: dict[str, list[float]], endpoint: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        endpoint_times(PATIENTS.assign(**change), endpoint)
