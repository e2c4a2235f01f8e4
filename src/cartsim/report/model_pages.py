"""Documentation pages of the library models, generated from the model objects.

``python -m cartsim.report.model_pages docs/models`` (``make model-pages``) writes one Markdown page
per model (equations from :meth:`Model.latex`, the parameter table with sources, scenarios,
the validation numbers as reproduced) and its validation figure (the reference scenario's
curves with the published and computed points). A test keeps the committed pages in step
with the models.
"""

from __future__ import annotations

import math
import re
import sys
import textwrap
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from cartsim.model import Model
from cartsim.models import ReferencePoint, get, names

if TYPE_CHECKING:
    import xarray as xr

#: Solver settings of the page simulations (tight, so printed digits are stable).
PAGE_RTOL = 1e-10


def model_page(name: str) -> str:
    """The Markdown documentation page of library model ``name``."""
    module = import_module(f"cartsim.models.{name}")
    model = get(name)
    doc = (module.__doc__ or "").strip()
    title, notes = _split_doc(doc)
    lines = [f"# {title}", "", f"> {model.citation}", ""]
    lines += ["## What it is good for", "", getattr(module, "GOOD_FOR", model.description), ""]
    lines += ["## Equations", "", "$$", model.latex(), "$$", ""]
    lines += _states(model) + _observables(model) + _parameters(model) + _scenarios(module)
    lines += _validation(name, module)
    lines += ["## Using it", "", "```python", "import cartsim", f"from cartsim.models import {name}", ""]
    first = next(iter(module.SCENARIOS))
    lines += [f'result = {name}.SCENARIOS["{first}"].simulate("{name}")', "cartsim.print_citations()", "```", ""]
    lines += ["## Notes from the model module", "", notes, ""]
    return "\n".join(lines).rstrip() + "\n"


def _split_doc(doc: str) -> tuple[str, str]:
    """The docstring's first line, and its body without the citation paragraph and the
    validation table (both shown elsewhere on the page)."""
    first, _, rest = doc.partition("\n")
    paragraphs = rest.strip().split("\n\n")
    body = [p for p in paragraphs[1:] if not p.lstrip().startswith(("Validation", "====", "target"))]
    body = [p for p in body if not re.match(r"^=+\s", p.strip())]
    text = "\n\n".join(body)
    text = text.split("\nValidation")[0].split("Validation (")[0].rstrip()
    return first.strip().rstrip("."), text.replace("``", "`")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def _states(model: Model) -> list[str]:
    lines = ["## States", "", "| state | unit | paper symbol | initial value | meaning | notes |", "|---|---|---|---|---|---|"]
    for state in model.states:
        notes = []
        if model.dose == state.name:
            notes.append("dose target")
        if not state.dosable:
            notes.append("accepts no doses")
        if not state.nonnegative:
            notes.append("may be negative (latent)")
        if state.extinction is not None:
            notes.append(f"extinct below {state.extinction:g}")
        if state.stochastic_below is not None:
            notes.append(f"stochastic below {state.stochastic_below:g} ({state.stochastic_below / state.cell_amount:g} cells)")
        row = [state.name, state.unit, state.symbol, f"`{state.initial}`", state.description, "; ".join(notes)]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return [*lines, ""]


def _observables(model: Model) -> list[str]:
    if not model.observables:
        return []
    lines = ["## Observables", "", "| observable | unit | definition | meaning | residual error |", "|---|---|---|---|---|"]
    for item in model.observables:
        error = f"{item.error.kind}, sd {item.error.sd:g}" if item.error else ""
        row = [item.name, item.unit, f"`{item.expr}`", item.description, error]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return [*lines, ""]


def _parameters(model: Model) -> list[str]:
    lines = ["## Parameters", ""]
    if model.dose in model.parameter_names:
        lines += [f"The dose is the parameter `{model.dose}` (an initial condition).", ""]
    elif model.dose:
        lines += [f"Doses are bolus events into the state `{model.dose}`.", ""]
    lines += ["| parameter | symbol | value | unit | IIV | bounds | meaning | source |", "|---|---|---|---|---|---|---|---|"]
    for p in model.parameters:
        iiv = ""
        if p.iiv is not None:
            as_variance = p.iiv.reported_as == "omega2"
            iiv = f"omega2 = {_number(p.iiv.variance)}" if as_variance else f"omega = {_number(math.sqrt(p.iiv.variance))}"
        bounds = "" if (p.lower == -math.inf and p.upper == math.inf) else f"[{_number(p.lower)}, {_number(p.upper)}]"
        row = [p.name, p.symbol, _number(p.default), p.unit, iiv, bounds, p.description, p.source]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return [*lines, ""]


def _scenarios(module: ModuleType) -> list[str]:
    lines = ["## Published set-ups (`SCENARIOS`)", "", "| name | set-up | span | source |", "|---|---|---|---|"]
    for key, scenario in module.SCENARIOS.items():
        span = f"{scenario.start:g} to {scenario.end:g} d, every {scenario.step:g} d"
        lines.append("| " + " | ".join(_cell(c) for c in (f"`{key}`", scenario.description, span, scenario.source)) + " |")
    return [*lines, ""]


def _simulated(name: str, module: ModuleType, point: ReferencePoint) -> float:
    scenario = module.SCENARIOS[point.scenario]
    times = np.union1d(scenario.times(), [point.time])
    atol = getattr(module, "ABSOLUTE_TOLERANCES", 1e-12)
    result = scenario.simulate(name, times=times, rtol=PAGE_RTOL, atol=atol)
    return float(result[point.variable].sel(time=point.time).values[0])


def _validation(name: str, module: ModuleType) -> list[str]:
    lines = ["## Validation", "", f"![{name}: reference scenario and validation points](figures/{name}.png)", ""]
    points = module.REFERENCE_POINTS
    if points:
        lines += ["| target | variable | day | reference | kind | cartsim |", "|---|---|---|---|---|---|"]
        for point in points:
            simulated = _simulated(name, module, point)
            row = [point.label, point.variable, f"{point.time:g}", f"{point.value:.4g}", point.kind, f"{simulated:.4g}"]
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        lines.append("")
    lines += [
        f"Every validation target is a test in `tests/models/test_{name}.py` (its docstring names the source and "
        "the tolerance); computed references are regression values from an independent re-implementation at tight "
        "tolerance, published ones are the paper's own numbers.",
        "",
    ]
    return lines


def figure(name: str, path: Path) -> None:
    """The validation figure of model ``name``: the reference scenario with its points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    module = import_module(f"cartsim.models.{name}")
    model = get(name)
    key = next(iter(module.SCENARIOS))
    scenario = module.SCENARIOS[key]
    result: xr.Dataset = scenario.simulate(name, rtol=PAGE_RTOL, atol=getattr(module, "ABSOLUTE_TOLERANCES", 1e-12))
    points = [p for p in module.REFERENCE_POINTS if p.scenario == key]
    shown = list(dict.fromkeys(p.variable for p in points)) or list(model.observable_names or model.state_names)
    shown = shown[:4]
    figure_, axes = plt.subplots(1, len(shown), figsize=(max(6.5, 4.2 * len(shown)), 3.6), squeeze=False)
    for axis, variable in zip(axes[0], shown, strict=True):
        values = result[variable].values[0]
        axis.plot(result["time"].values, values, color="#1f5f99", lw=1.6, label="cartsim")
        for point in (p for p in points if p.variable == variable):
            if point.kind == "published":
                axis.plot([point.time], [point.value], ls="none", ms=7, marker="o", mfc="none", color="#c0392b")
            else:
                axis.plot([point.time], [point.value], ls="none", ms=7, marker="x", color="black")
        positive = values[np.isfinite(values) & (values > 0)]
        if positive.size and positive.max() / max(positive.min(), 1e-300) > 1e3:
            axis.set_yscale("log")
        unit = result[variable].attrs.get("units", "")
        axis.set_title(variable, fontsize=10)
        axis.set_xlabel("day")
        axis.set_ylabel(unit)
    handles = [
        Line2D([], [], color="#1f5f99", label="cartsim"),
        Line2D([], [], ls="none", marker="x", color="black", label="computed reference"),
        Line2D([], [], ls="none", marker="o", mfc="none", color="#c0392b", label="published"),
    ]
    figure_.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=9)
    figure_.suptitle(textwrap.fill(f"{name}: {scenario.description}", 90), fontsize=9)
    figure_.tight_layout(rect=(0, 0.08, 1, 0.93))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure_.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(figure_)


def write_pages(directory: Path, *, figures: bool = True) -> list[Path]:
    """Write every model's page (and figure) into ``directory``; returns the pages written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names():
        page = directory / f"{name}.md"
        page.write_text(model_page(name), encoding="utf-8")
        written.append(page)
        if figures:
            figure(name, directory / "figures" / f"{name}.png")
    index = ["# The model library", "", "| model | what it is | solver |", "|---|---|---|"]
    for name in names():
        module = import_module(f"cartsim.models.{name}")
        first = (module.__doc__ or name).strip().splitlines()[0]
        index.append(f"| [{name}]({name}.md) | {_cell(first)} | {get(name).method} |")
    (directory / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return written


if __name__ == "__main__":  # pragma: no cover - a documentation build step
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/models")
    for page in write_pages(target):
        print(page)
