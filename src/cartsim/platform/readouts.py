"""Response-assessment tables from the platform model's disease readouts.

The clinical layer's response criteria take the measurements a trial records at each visit.
These functions read them off a platform-model result at the chosen assessment days (day 0
is the baseline) and return long tables ready for :func:`cartsim.clinical.response.assess_ball_table`,
:func:`~cartsim.clinical.response.assess_lugano_ct_table` and
:func:`~cartsim.clinical.response.assess_imwg_table`.

What the model does not simulate is filled with stated assumptions:

- **B-ALL**: circulating blasts are 1 % of the leukaemic cells spread over 5 L of blood,
  reported as 0 below a flow-cytometry detection limit of 0.01 x 1e9/L; neutrophils and
  platelets are taken as recovered (1.5 and 150 x 1e9/L), as count recovery after
  lymphodepletion is not modelled, so remissions are CR rather than CRi.
- **Lymphoma (CT)**: one nodal target lesion whose product of diameters is the simulated SPD
  (a square lesion, longest diameter = short axis = sqrt(SPD)).
- **Myeloma**: serum M-protein as simulated, reported as 0 below the electrophoresis detection
  limit (0.1 g/dL, assumed); immunofixation negative below 0.02 g/dL (assumed); marrow plasma
  cells are the tumour's share of marrow cells.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from cartsim.errors import SimulationError

CIRCULATING_FRACTION = 0.01
BLOOD_VOLUME_L = 5.0
CIRCULATING_DETECTION_1E9_PER_L = 0.01
RECOVERED_NEUTROPHILS_1E9_PER_L = 1.5
RECOVERED_PLATELETS_1E9_PER_L = 150.0
IMMUNOFIXATION_LIMIT_G_DL = 0.02
ELECTROPHORESIS_LIMIT_G_DL = 0.1


def _at_days(dataset: xr.Dataset, days: Sequence[float], names: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Values of ``names`` at the assessment days, as (patients, days) arrays."""
    missing = [name for name in names if name not in dataset]
    if missing:
        raise SimulationError(f"the dataset is not a platform-model result: it has no {', '.join(missing)}")
    wanted = np.asarray(sorted({0.0, *map(float, days)}))
    times = np.asarray(dataset["time"].values, dtype=float)
    index = np.searchsorted(times, wanted)
    inside = index < times.size
    exact = np.zeros_like(inside)
    exact[inside] = np.isclose(times[index[inside]], wanted[inside], rtol=0, atol=1e-9)
    if not exact.all():
        absent = wanted[~exact]
        raise SimulationError(f"assessment day(s) {', '.join(f'{d:g}' for d in absent)} are not output times of the result")
    return wanted, {name: np.asarray(dataset[name].values, dtype=float)[:, index] for name in names}


def _long(dataset: xr.Dataset, days: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    patients = np.asarray(dataset["patient"].values)
    frame = pd.DataFrame({"patient": np.repeat(patients, days.size), "day": np.tile(days, patients.size)})
    for name, values in columns.items():
        frame[name] = values.ravel()
    finite = np.all([np.isfinite(frame[name].to_numpy(dtype=float)) for name in columns], axis=0)
    return frame[finite].reset_index(drop=True)


def ball_table(dataset: xr.Dataset, days: Sequence[float]) -> pd.DataFrame:
    """B-ALL assessments (marrow blasts, circulating blasts, counts, MRD) at ``days``."""
    wanted, values = _at_days(dataset, days, ("marrow_blasts_percent", "mrd_fraction", "tumour_burden"))
    circulating = values["tumour_burden"] * CIRCULATING_FRACTION / BLOOD_VOLUME_L
    circulating = np.where(circulating < CIRCULATING_DETECTION_1E9_PER_L, 0.0, circulating)
    ones = np.ones_like(circulating)
    return _long(dataset, wanted, {
        "marrow_blasts_percent": values["marrow_blasts_percent"],
        "circulating_blasts_1e9_per_L": circulating,
        "neutrophils_1e9_per_L": RECOVERED_NEUTROPHILS_1E9_PER_L * ones,
        "platelets_1e9_per_L": RECOVERED_PLATELETS_1E9_PER_L * ones,
        "mrd_fraction": values["mrd_fraction"],
    })


def lugano_ct_table(dataset: xr.Dataset, days: Sequence[float]) -> pd.DataFrame:
    """Lugano CT measurements: one target lesion per scan whose product of diameters is the SPD."""
    wanted, values = _at_days(dataset, days, ("sum_of_diameters_product",))
    side_cm = np.sqrt(values["sum_of_diameters_product"]) / 10.0
    frame = _long(dataset, wanted, {"longest_diameter_cm": side_cm, "short_axis_cm": side_cm})
    frame.insert(2, "lesion", 1)
    return frame


def imwg_table(dataset: xr.Dataset, days: Sequence[float]) -> pd.DataFrame:
    """IMWG measurements: serum M-protein, immunofixation, marrow plasma cells and MRD."""
    wanted, values = _at_days(dataset, days, ("m_protein", "marrow_blasts_percent", "mrd_fraction"))
    m_protein = values["m_protein"]
    negative = (m_protein < IMMUNOFIXATION_LIMIT_G_DL).astype(float)
    return _long(dataset, wanted, {
        "serum_m_protein_g_dL": np.where(m_protein < ELECTROPHORESIS_LIMIT_G_DL, 0.0, m_protein),
        "serum_immunofixation_negative": negative,
        "urine_immunofixation_negative": negative,
        "marrow_plasma_cells_percent": values["marrow_blasts_percent"],
        "mrd_fraction": values["mrd_fraction"],
    })
