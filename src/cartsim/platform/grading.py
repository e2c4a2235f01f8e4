"""Grade the platform model's simulated vitals with the clinical layer, assessment by assessment.

The model simulates body temperature, the mean arterial pressure without vasopressor support,
the oxygen saturation on room air and a neuro-inflammation index. This module turns them into
the inputs a clinician records (:class:`~cartsim.clinical.grading.CRSAssessment` and
:class:`~cartsim.clinical.grading.ICANSAssessment` fields) with the thresholds declared as
model parameters, and grades them with :func:`cartsim.clinical.grading.grade_time_series`:

- temperature -> ``temperature_celsius``; a fever masked by tocilizumab or corticosteroids
  already given -> ``fever_masked_by_treatment``;
- MAP below ``hypotension_map`` -> ``hypotension``; below ``one_vasopressor_map`` -> one
  vasopressor; below ``two_vasopressors_map`` -> two;
- room-air SpO2 below ``low_flow_oxygen_spo2`` -> low-flow cannula at 2 L/min; below
  ``high_flow_oxygen_spo2`` -> high-flow cannula at 30 L/min; below ``positive_pressure_spo2``
  -> BiPAP (nominal flows, assumed);
- the continuous ICE score rounded half up -> ``ice_score`` (0 when unarousable); the index
  thresholds -> ``level_of_consciousness``.

Daily grades are the worst grade of the day's assessments (``day`` = floor of the time), as
toxicity is reported per day; :func:`toxicity_summary` gives per patient the maximum grade,
onset, duration and resolution day of CRS and ICANS (:func:`cartsim.clinical.grading.summarize_grades`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from cartsim.clinical.grading import LevelOfConsciousness, OxygenSupport, grade_time_series, summarize_grades
from cartsim.errors import SimulationError

from ._grades import TREATED_AMOUNT_MG

#: Nominal oxygen flows recorded for each device (L/min; assumed).
LOW_FLOW_L_PER_MIN = 2.0
HIGH_FLOW_L_PER_MIN = 30.0

_NEEDED = (
    "temperature", "temperature_unblocked", "mean_arterial_pressure", "spo2_room_air", "neuro_inflammation",
    "ice_score_continuous", "tocilizumab", "steroids",
)


def _per_patient(dataset: xr.Dataset, name: str) -> np.ndarray:
    """A parameter's value per patient, broadcast against (patient, time)."""
    return np.asarray(dataset[name].values, dtype=float)[:, None]


def astct_inputs(dataset: xr.Dataset) -> pd.DataFrame:
    """The clinical assessment inputs at every (patient, time) of a platform-model result.

    Returns a long DataFrame (``patient_id``, ``time``, ``day`` and the CRS and ICANS input
    columns) in patient-major order. Times after a patient's failure (NaN values) are left out.
    """
    missing = [name for name in _NEEDED if name not in dataset]
    if missing:
        raise SimulationError(f"the dataset is not a platform-model result: it has no {', '.join(missing)}")
    temperature = dataset["temperature"].values
    unblocked = dataset["temperature_unblocked"].values
    pressure = dataset["mean_arterial_pressure"].values
    saturation = dataset["spo2_room_air"].values
    index = dataset["neuro_inflammation"].values
    treated = (dataset["tocilizumab"].values + dataset["steroids"].values) > TREATED_AMOUNT_MG
    fever = _per_patient(dataset, "fever_threshold")

    vasopressors = np.where(pressure < _per_patient(dataset, "two_vasopressors_map"), 2,
                            np.where(pressure < _per_patient(dataset, "one_vasopressor_map"), 1, 0))
    positive = saturation < _per_patient(dataset, "positive_pressure_spo2")
    high = saturation < _per_patient(dataset, "high_flow_oxygen_spo2")
    low = saturation < _per_patient(dataset, "low_flow_oxygen_spo2")
    device = np.select([positive, high, low], [OxygenSupport.BIPAP.value, OxygenSupport.HIGH_FLOW_NASAL_CANNULA.value,
                                               OxygenSupport.LOW_FLOW_NASAL_CANNULA.value], OxygenSupport.NONE.value)
    flow = np.select([positive, high, low], [np.nan, HIGH_FLOW_L_PER_MIN, LOW_FLOW_L_PER_MIN], 0.0)
    consciousness = np.select(
        [index >= _per_patient(dataset, name) for name in
         ("unarousable_index", "awakens_to_touch_index", "awakens_to_voice_index", "drowsy_index")],
        [LevelOfConsciousness.UNAROUSABLE.value, LevelOfConsciousness.AWAKENS_TO_TACTILE_STIMULUS.value,
         LevelOfConsciousness.AWAKENS_TO_VOICE.value, LevelOfConsciousness.AWAKENS_SPONTANEOUSLY.value],
        LevelOfConsciousness.ALERT.value,
    )
    ice = np.floor(np.clip(dataset["ice_score_continuous"].values, 0.0, 10.0) + 0.5)
    ice = np.where(consciousness == LevelOfConsciousness.UNAROUSABLE.value, 0.0, ice)

    n_patients, n_times = temperature.shape
    times = np.asarray(dataset["time"].values, dtype=float)
    frame = pd.DataFrame({
        "patient_id": np.repeat(np.asarray(dataset["patient"].values), n_times),
        "time": np.tile(times, n_patients),
        "temperature_celsius": np.clip(temperature, 30.0, 45.0).ravel(),
        "fever_masked_by_treatment": (treated & (temperature < fever) & (unblocked >= fever)).ravel(),
        "hypotension": (pressure < _per_patient(dataset, "hypotension_map")).ravel(),
        "vasopressors": vasopressors.ravel(),
        "oxygen_support": device.ravel(),
        "oxygen_flow_l_per_min": flow.ravel(),
        "ice_score": ice.ravel(),
        "level_of_consciousness": consciousness.ravel(),
    })
    kept: pd.DataFrame = frame[np.isfinite(temperature.ravel()) & np.isfinite(index.ravel())].reset_index(drop=True)
    kept.insert(2, "day", np.floor(kept["time"].to_numpy()))
    return kept


def grade_assessments(dataset: xr.Dataset) -> pd.DataFrame:
    """ASTCT CRS and ICANS grades at every (patient, time), graded by the clinical layer."""
    inputs = astct_inputs(dataset)
    # grade_time_series keys rows by (patient_id, day); the assessment time is unique per row.
    keyed = inputs.drop(columns=["day"]).rename(columns={"time": "day"})
    graded = grade_time_series(keyed)
    return pd.DataFrame({
        "patient_id": inputs["patient_id"], "time": inputs["time"], "day": inputs["day"],
        "crs_grade": graded["crs_grade"].to_numpy(), "icans_grade": graded["icans_grade"].to_numpy(),
    })


def daily_grades(dataset: xr.Dataset) -> pd.DataFrame:
    """The worst CRS and ICANS grade of each patient-day (``patient_id``, ``day``, grades)."""
    graded = grade_assessments(dataset)
    daily: pd.DataFrame = graded.groupby(["patient_id", "day"], sort=True, as_index=False)[["crs_grade", "icans_grade"]].max()
    return daily


def toxicity_summary(dataset: xr.Dataset) -> pd.DataFrame:
    """Per patient: CRS and ICANS maximum grade, onset day, duration (days) and resolution day."""
    return summarize_grades(daily_grades(dataset))
