"""Time-to-event endpoints: PFS, EFS, OS and DOR from per-patient event or censoring times.

Every function takes a pandas DataFrame with one row per patient: ``time`` (days from the
endpoint's origin: infusion or enrolment for PFS/EFS/OS, first response for DOR), ``event``
(1 = the event happened at ``time``, 0 = censored at ``time``) and ``arm``. Column names are
arguments. **Time is in days** throughout; landmark rates are requested in months and converted
with 1 month = 365.25 / 12 = 30.4375 days.

Estimates come from lifelines: Kaplan–Meier (``KaplanMeierFitter``; pointwise confidence
intervals by the exponential Greenwood, i.e. log(-log), formula; the median's interval from
where the band crosses 0.5) and the Cox proportional-hazards model (``CoxPHFitter``, Efron ties,
Wald confidence interval and p-value) for the hazard ratio between two arms.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cartsim.errors import ClinicalDataError

#: Days per month used to convert landmark months to days (a Julian year / 12).
DAYS_PER_MONTH = 365.25 / 12
ENDPOINTS = ("PFS", "EFS", "OS", "DOR")
#: The events of each endpoint (columns of :func:`endpoint_times`' input; NaN = did not happen).
ENDPOINT_EVENTS = {
    "OS": ("death_day",),
    "PFS": ("progression_day", "death_day"),
    "EFS": ("progression_day", "death_day", "new_therapy_day", "treatment_failure_day"),
    "DOR": ("progression_day", "death_day"),
}


def endpoint_times(patients: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """Time and event flag of one endpoint from per-patient event days (days since infusion).

    ``patients`` has one row per patient and ``last_follow_up_day`` (required) plus any of
    ``death_day``, ``progression_day`` (progression or relapse), ``new_therapy_day``,
    ``treatment_failure_day`` (e.g. no response by the first assessment) and ``response_day``
    (first response); NaN means "did not happen". Absent optional columns count as all NaN.

    - OS: death. PFS: progression or death. EFS: progression, death, new anticancer therapy or
      treatment failure. The event is the earliest of them; time from infusion.
    - DOR: responders only (``response_day`` present); progression or death, time from
      ``response_day``.
    - No event: censored at ``last_follow_up_day``.

    Returns ``time`` (days), ``event`` (1/0) and every other column of ``patients`` (e.g. ``arm``)
    unchanged, on the same index (only responders for DOR).
    """
    if endpoint not in ENDPOINTS:
        raise ClinicalDataError(f"`endpoint` must be one of {list(ENDPOINTS)}, got {endpoint!r}")
    if not isinstance(patients, pd.DataFrame) or "last_follow_up_day" not in patients.columns:
        raise ClinicalDataError("`patients` must be a DataFrame with a 'last_follow_up_day' column (days since infusion)")
    day_columns = ["last_follow_up_day", "response_day", *ENDPOINT_EVENTS["EFS"]]
    days = {name: _day_column(patients, name) for name in day_columns}
    follow_up = days["last_follow_up_day"]
    if np.isnan(follow_up).any():
        raise ClinicalDataError("column 'last_follow_up_day' has missing values; every patient needs a last follow-up day")
    for name in day_columns[1:]:
        late = days[name] > follow_up
        if late.any():
            first = list(patients.index[late][:3])
            raise ClinicalDataError(f"column {name!r} is after 'last_follow_up_day' for patients {first}")
    event_days = np.stack([days[name] for name in ENDPOINT_EVENTS[endpoint]])
    has_event = ~np.all(np.isnan(event_days), axis=0)
    first_event = np.where(has_event, np.nanmin(np.where(np.isnan(event_days), np.inf, event_days), axis=0), np.nan)
    time = np.where(has_event, first_event, follow_up)
    keep = np.ones(len(patients), dtype=bool)
    if endpoint == "DOR":
        keep = ~np.isnan(days["response_day"])
        early = keep & (first_event < days["response_day"])
        if early.any():
            raise ClinicalDataError(f"progression or death before 'response_day' for patients {list(patients.index[early][:3])}")
        time = time - days["response_day"]
    result = patients.loc[keep].copy()
    result["time"] = time[keep]
    result["event"] = has_event[keep].astype(np.int64)
    result.attrs.update({"units": {"time": "day"}, "endpoint": endpoint})
    return result


def _day_column(patients: pd.DataFrame, name: str) -> np.ndarray:
    if name not in patients.columns:
        return np.full(len(patients), np.nan)
    try:
        values = patients[name].to_numpy(dtype=float)
    except (TypeError, ValueError):
        dtype = patients[name].dtype
        raise ClinicalDataError(f"column {name!r} must hold numeric days since infusion, got dtype {dtype}") from None
    bad = values[~np.isnan(values) & ~(np.isfinite(values) & (values >= 0))]
    if bad.size:
        raise ClinicalDataError(f"column {name!r} must be >= 0 day and finite (NaN = did not happen), got {bad[:3].tolist()}")
    return values


def kaplan_meier(
    data: pd.DataFrame, *, time: str = "time", event: str = "event", arm: str | None = "arm", alpha: float = 0.05
) -> pd.DataFrame:
    """Kaplan–Meier curve of every arm as a long table: ``arm, time, survival, lower, upper,
    at_risk, events, censored`` (one row per distinct time, starting at time 0 with survival 1).
    ``arm=None`` treats all rows as one arm named ``"all"``."""
    frame = _validated(data, time, event, arm, alpha)
    parts = []
    for name, group in frame.groupby("arm", sort=True):
        fitter = _km_fit(group, alpha)
        bands = fitter.confidence_interval_survival_function_
        counts = fitter.event_table
        parts.append(
            pd.DataFrame(
                {
                    "arm": name,
                    "time": fitter.survival_function_.index.to_numpy(dtype=float),
                    "survival": fitter.survival_function_.iloc[:, 0].to_numpy(),
                    "lower": bands.iloc[:, 0].to_numpy(),
                    "upper": bands.iloc[:, 1].to_numpy(),
                    "at_risk": counts["at_risk"].to_numpy(dtype=np.int64),
                    "events": counts["observed"].to_numpy(dtype=np.int64),
                    "censored": counts["censored"].to_numpy(dtype=np.int64),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    table.attrs["units"] = {"time": "day", "survival": "1", "lower": "1", "upper": "1"}
    table.attrs["confidence_level"] = 1.0 - alpha
    return table


def survival_summary(
    data: pd.DataFrame,
    *,
    time: str = "time",
    event: str = "event",
    arm: str | None = "arm",
    landmarks_months: Sequence[float] = (6.0, 12.0),
    alpha: float = 0.05,
    endpoint: str = "",
) -> pd.DataFrame:
    """One row per arm: ``n``, ``events``, ``median`` with ``median_lower``/``median_upper``
    (days; NaN when the curve or its band never reaches 0.5, i.e. "not reached"), and for each
    landmark ``m`` months the Kaplan–Meier rate ``rate_<m>mo`` with ``_lower``/``_upper``. A
    landmark beyond an arm's last observed time is NaN (the estimate is undefined there) unless
    the curve has already dropped to 0.
    ``endpoint`` (e.g. ``"PFS"``) is recorded in ``attrs``."""
    frame = _validated(data, time, event, arm, alpha)
    months = _landmarks(landmarks_months)
    rows = {}
    for name, group in frame.groupby("arm", sort=True):
        fitter = _km_fit(group, alpha)
        row: dict[str, float] = {"n": len(group), "events": int(group["event"].sum())}
        row |= _median_with_ci(fitter)
        for month in months:
            row |= _landmark(fitter, month, float(group["time"].max()))
        rows[name] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "arm"
    units = {"median": "day", "median_lower": "day", "median_upper": "day"}
    units |= {column: "1" for column in summary.columns if column.startswith("rate_")}
    summary.attrs.update({"units": units, "confidence_level": 1.0 - alpha, "endpoint": endpoint or "unspecified"})
    summary.attrs["method"] = "Kaplan-Meier (lifelines), exponential Greenwood confidence intervals"
    return summary


def hazard_ratio(
    data: pd.DataFrame,
    *,
    treatment: object,
    reference: object,
    time: str = "time",
    event: str = "event",
    arm: str = "arm",
    alpha: float = 0.05,
) -> pd.Series:
    """Hazard ratio of arm ``treatment`` versus arm ``reference`` (a Cox model with the arm as the
    only covariate): ``hazard_ratio``, ``lower``, ``upper``, ``p_value`` (Wald), ``log_hazard_ratio``,
    ``standard_error``, ``n`` and ``events``. Rows of other arms are ignored."""
    from lifelines import CoxPHFitter

    frame = _validated(data, time, event, arm, alpha)
    present = sorted(map(str, frame["arm"].unique()))
    for role, value in (("treatment", treatment), ("reference", reference)):
        if not (frame["arm"] == value).any():
            raise ClinicalDataError(f"`{role}` arm {value!r} has no rows in column {arm!r}; arms present: {present}")
    if treatment == reference:
        raise ClinicalDataError(f"`treatment` and `reference` must be different arms, both are {treatment!r}")
    pair = frame[frame["arm"].isin([treatment, reference])]
    if pair["event"].sum() == 0:
        raise ClinicalDataError("the hazard ratio needs at least one event in the two arms; every patient is censored")
    design = pd.DataFrame({"time": pair["time"], "event": pair["event"], "treatment": (pair["arm"] == treatment).astype(float)})
    fitter = CoxPHFitter(alpha=alpha).fit(design, duration_col="time", event_col="event")
    row = fitter.summary.loc["treatment"]
    lower, upper = np.exp(fitter.confidence_intervals_.loc["treatment"].to_numpy(dtype=float))
    result = pd.Series(
        {
            "hazard_ratio": float(np.exp(row["coef"])),
            "lower": float(lower),
            "upper": float(upper),
            "p_value": float(row["p"]),
            "log_hazard_ratio": float(row["coef"]),
            "standard_error": float(row["se(coef)"]),
            "n": float(len(pair)),
            "events": float(pair["event"].sum()),
        },
        name=f"{treatment} vs {reference}",
    )
    result.attrs.update({"confidence_level": 1.0 - alpha, "method": "Cox PH (lifelines CoxPHFitter), Efron ties, Wald CI"})
    return result


def _km_fit(group: pd.DataFrame, alpha: float) -> Any:
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=alpha).fit(group["time"], group["event"], label="survival")


def _median_with_ci(fitter: Any) -> dict[str, float]:
    from lifelines.utils import median_survival_times

    median = float(fitter.median_survival_time_)
    bounds = median_survival_times(fitter.confidence_interval_survival_function_)
    lower, upper = (float(value) for value in np.asarray(bounds, dtype=float).ravel())
    return {"median": _finite_or_nan(median), "median_lower": _finite_or_nan(lower), "median_upper": _finite_or_nan(upper)}


def _landmark(fitter: Any, month: float, last_time: float) -> dict[str, float]:
    day = month * DAYS_PER_MONTH
    name = f"rate_{month:g}mo"
    final = float(fitter.survival_function_.iloc[-1, 0])
    if day > last_time and final > 0:  # censored before the landmark: the estimate is undefined
        return {name: np.nan, f"{name}_lower": np.nan, f"{name}_upper": np.nan}
    rate = float(fitter.survival_function_at_times([day]).iloc[0])
    bands = fitter.confidence_interval_survival_function_
    row = bands[bands.index <= day].iloc[-1]
    return {name: rate, f"{name}_lower": float(row.iloc[0]), f"{name}_upper": float(row.iloc[1])}


def _finite_or_nan(value: float) -> float:
    return value if np.isfinite(value) else np.nan


def _landmarks(months: Sequence[float]) -> list[float]:
    try:
        values = [float(month) for month in months]
    except (TypeError, ValueError):
        raise ClinicalDataError(f"`landmarks_months` must be a sequence of numbers of months, got {months!r}") from None
    bad = [value for value in values if not (np.isfinite(value) and value > 0)]
    if bad:
        raise ClinicalDataError(f"`landmarks_months` must be finite and > 0 months, got {bad}")
    return values


def _validated(data: pd.DataFrame, time: str, event: str, arm: str | None, alpha: float) -> pd.DataFrame:
    """The three columns renamed to ``time``, ``event``, ``arm``, checked."""
    if not isinstance(data, pd.DataFrame):
        raise ClinicalDataError(f"`data` must be a pandas DataFrame with one row per patient, got {type(data).__name__}")
    if not (isinstance(alpha, numbers.Real) and not isinstance(alpha, bool) and 0 < alpha < 1):
        raise ClinicalDataError(f"`alpha` must be in (0, 1) (0.05 gives 95% intervals), got {alpha!r}")
    needed = [time, event] + ([arm] if arm is not None else [])
    absent = [name for name in needed if name not in data.columns]
    if absent:
        raise ClinicalDataError(f"`data` lacks columns {absent}; it has {list(data.columns)}")
    if len(data) == 0:
        raise ClinicalDataError("`data` has no rows; survival estimates need at least one patient")
    try:
        times = data[time].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ClinicalDataError(f"column {time!r} must hold numeric times in days, got dtype {data[time].dtype}") from None
    bad_times = times[~(np.isfinite(times) & (times >= 0))]
    if bad_times.size:
        raise ClinicalDataError(f"column {time!r} must be finite and >= 0 day, got {bad_times[:3].tolist()}")
    flags = data[event]
    if flags.isna().any() or not flags.isin([0, 1]).all():
        wrong = flags[flags.isna() | ~flags.isin([0, 1])].unique()[:3].tolist()
        raise ClinicalDataError(f"column {event!r} must be 1 (event) or 0 (censored), got {wrong}")
    arms = pd.Series("all", index=data.index) if arm is None else data[arm]
    if arms.isna().any():
        raise ClinicalDataError(f"column {arm!r} has missing values; every patient needs an arm")
    return pd.DataFrame({"time": times, "event": flags.astype(int).to_numpy(), "arm": arms.to_numpy()}, index=data.index)
