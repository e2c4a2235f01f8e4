"""Figures of simulation results (matplotlib, imported only when a figure is drawn)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_simulation(dataset: xr.Dataset, variables: Sequence[str] | None = None, *, path: str | Path | None = None) -> Figure:
    """Plot each variable over time on a log scale: the curve for one patient, the median and
    5-95 % band for several (patients whose status is not ``ok`` are left out of the band)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    names = list(variables) if variables else _default_variables(dataset)
    figure, axes = plt.subplots(len(names), 1, figsize=(7, 3.2 * len(names)), squeeze=False, sharex=True)
    ok = dataset["status"].values == "ok"
    times = dataset["time"].values
    for axis, name in zip(axes[:, 0], names, strict=True):
        values = dataset[name].values[ok]
        if values.shape[0] == 1:
            axis.plot(times, values[0], color="C0")
        elif values.shape[0] > 1:
            low, median, high = np.nanpercentile(values, [5, 50, 95], axis=0)
            axis.fill_between(times, low, high, color="C0", alpha=0.25, linewidth=0, label="5-95 %")
            axis.plot(times, median, color="C0", label=f"median of {values.shape[0]} patients")
            axis.legend(loc="best", fontsize="small")
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size:
            axis.set_yscale("log")
            axis.set_ylim(bottom=max(positive.min(), positive.max() * 1e-8) * 0.5)
        unit = dataset[name].attrs.get("units", "")
        axis.set_ylabel(f"{name}\n[{unit}]" if unit else name)
        axis.grid(True, which="major", alpha=0.3)
    axes[-1, 0].set_xlabel("time since infusion [day]")
    model = dataset.attrs.get("model", "")
    figure.suptitle(f"{model} - research use only, not for clinical decisions", fontsize="medium")
    figure.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
    return figure


def _default_variables(dataset: xr.Dataset) -> list[str]:
    observables = [str(n) for n in dataset.attrs.get("observables", "").split(",") if n]
    if observables:
        return observables
    return [str(n) for n, v in dataset.data_vars.items() if v.dims == ("patient", "time") and not str(n).endswith("_observed")]
