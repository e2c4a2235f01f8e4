"""Reading and writing files: the only place the library touches disk for results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from .errors import CartsimError

TABLE_SUFFIXES = (".csv", ".parquet")


def trajectories_table(dataset: xr.Dataset) -> pd.DataFrame:
    """One row per (patient, time): every state and observable, plus the patient's status."""
    series = [name for name, variable in dataset.data_vars.items() if variable.dims == ("patient", "time")]
    table = dataset[series].reset_coords(drop=True).to_dataframe()
    status = dataset["status"].to_series()
    table.insert(0, "status", status.reindex(table.index.get_level_values("patient")).to_numpy())
    return table.reset_index()


def write_table(dataset: xr.Dataset, path: str | Path) -> Path:
    """Write the trajectories as CSV or Parquet (chosen by the file suffix)."""
    path = Path(path)
    if path.suffix not in TABLE_SUFFIXES:
        raise CartsimError(f"cannot write {str(path)!r}: the file must end in {' or '.join(TABLE_SUFFIXES)}")
    table = trajectories_table(dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path
