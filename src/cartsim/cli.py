"""The ``cartsim`` command line: each command parses, calls the library, writes.

Bad input exits with status 2 and one line on stderr that says what is wrong.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
import typer.core

from . import models as library
from ._simulate import simulate
from .clinical import auc_linear_up_log_down, cmax_tmax
from .engine import STATUS_NAMES
from .engine._solve import METHOD_DESCRIPTIONS, METHODS
from .errors import CartsimError, did_you_mean
from .model import Model, load_model


class _OneLineErrors(typer.core.TyperGroup):
    """Report a bad command line as one ``error: ...`` line on stderr, exit status 2.

    Typer's default draws a multi-line box; scripts and the test-suite want one line that
    names the option and the value.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(arguments, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as error:
            if not standalone_mode:
                raise
            if type(error).__name__ == "NoArgsIsHelpError":
                error.show()  # type: ignore[attr-defined]
                sys.exit(2)
            typer.echo(f"error: {_usage_message(error, arguments)}", err=True)
            sys.exit(2)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        if standalone_mode:
            sys.exit(code if isinstance(code, int) else 0)
        return code


def _usage_message(error: Exception, arguments: list[str]) -> str:
    """The parser's message on one line, with the value the user gave for the option."""
    format_message = getattr(error, "format_message", None)
    message = " ".join(str(format_message() if callable(format_message) else error).split())
    names = getattr(getattr(error, "param", None), "opts", None) or []
    for index, argument in enumerate(arguments):
        for name in names:
            if argument == name and index + 1 < len(arguments):
                return f"{message} (got {arguments[index + 1]!r})"
            if argument.startswith(name + "="):
                return f"{message} (got {argument[len(name) + 1 :]!r})"
    return message


app = typer.Typer(
    name="cartsim",
    cls=_OneLineErrors,
    help="In-silico CAR-T cell therapy. Research and education only; never for clinical decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _describe(model: Model) -> dict[str, Any]:
    return {
        "name": model.name,
        "summary": library.summary(model.name) if model.name in library.names() else model.description,
        "citation": model.citation,
        "states": list(model.state_names),
        "observables": list(model.observable_names),
        "parameters": len(model.parameters),
        "method": model.method,
        "solver": METHOD_DESCRIPTIONS[model.method],
        "dose": model.dose or None,
        "stochastic_states": [s.name for s in model.states if s.stochastic_below is not None],
        "scenarios": list(library.scenarios(model.name)) if model.name in library.names() else [],
    }


@app.command("models")
def models_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """List the models in the library."""
    entries = [_describe(library.get(name)) for name in library.names()]
    if as_json:
        typer.echo(json.dumps({"models": entries}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="cartsim model library", caption="`cartsim models --json` lists states, observables and scenarios")
    for column in ("name", "summary", "states", "solver"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(entry["name"], entry["summary"], str(len(entry["states"])), entry["method"])
    Console().print(table)


@app.command("simulate")
def simulate_command(
    model: Annotated[str, typer.Argument(help="A library model name (see `cartsim models`) or a model file.")],
    days: Annotated[
        float | None, typer.Option(help="Days to simulate after infusion (default: the scenario's span, else 365).")
    ] = None,
    step: Annotated[
        float | None,
        typer.Option(help="Output grid spacing in days; NCA reads values off this grid (default: the scenario's, else 0.1)."),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="A published set-up of a library model (doses, parameter values, span; see `cartsim models --json`). "
            "Default: the model's reference set-up; `none` for no doses and typical values."
        ),
    ] = None,
    patients: Annotated[int, typer.Option(help="Number of virtual patients.")] = 1,
    seed: Annotated[int | None, typer.Option(help="Seed: patients' parameters are drawn from the model's IIV.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write trajectories to this .csv or .parquet file.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a figure to this .png file.")] = None,
    method: Annotated[
        str | None, typer.Option(help="Integration method: auto, explicit or stiff (default: the model's own).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object.")] = False,
) -> None:
    """Simulate MODEL and summarise Cmax, Tmax and AUC0-28 of each observable.

    A library model runs its reference set-up (the paper's doses and parameter values) unless
    --scenario says otherwise.
    """
    try:
        setup = _scenario(model, scenario)
    except CartsimError as error:
        _fail(str(error))
        return
    days = days if days is not None else (setup.end if setup is not None else 365.0)
    step = step if step is not None else (setup.step if setup is not None else 0.1)
    for name, value, low in (("--days", days, 0.0), ("--step", step, 0.0)):
        if not math.isfinite(value) or value <= low:
            _fail(f"{name} must be a number of days > 0, got {value:g}")
    if step > days:
        _fail(f"--step ({step:g} day) must not exceed --days ({days:g} day)")
    if patients < 1:
        _fail(f"--patients must be an integer >= 1, got {patients}")
    if seed is not None and seed < 0:
        _fail(f"--seed must be a non-negative integer, got {seed}")
    if out is not None and out.suffix not in (".csv", ".parquet"):
        _fail(f"--out must end in .csv or .parquet, got {str(out)!r}")
    if plot is not None and plot.suffix != ".png":
        _fail(f"--plot must end in .png, got {str(plot)!r}")
    if method is not None and method not in METHODS:
        _fail(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    try:
        resolved = _resolve_model(model)
        count = round(days / step)
        times = np.round(np.arange(count + 1) * step, 10)
        if times[-1] < days - 1e-9:
            times = np.append(times, days)
        doses = setup.doses if setup is not None else ()
        params = dict(setup.params) if setup is not None else {}
        dataset = simulate(
            resolved,
            times=times,
            n_patients=patients,
            seed=seed,
            method=method,
            params=params or None,
            doses=list(doses) or None,
        )
    except CartsimError as error:
        _fail(str(error))
        return
    if out is not None:
        from .io import write_table

        write_table(dataset, out)
    if plot is not None:
        from .report import plot_simulation

        figure = plot_simulation(dataset, path=plot)
        import matplotlib.pyplot as plt

        plt.close(figure)
    summary = _summary(resolved, dataset, days, step, seed)
    summary["scenario"] = _scenario_name(model, setup)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _print_summary(summary, out, plot)


def _scenario(model: str, name: str | None) -> library.Scenario | None:
    """The set-up to run: the named scenario, the library model's first one, or none."""
    if name == "none":
        return None
    if model not in library.names():
        if name is not None:
            raise CartsimError(f"--scenario applies to library models only; {model!r} is a model file")
        return None
    scenarios = library.scenarios(model)
    if name is None:
        return next(iter(scenarios.values()), None)
    if name not in scenarios:
        choices = f"{', '.join(scenarios)}, none.{did_you_mean(name, scenarios)}"
        raise CartsimError(f"model {model!r} has no scenario {name!r}; its scenarios: {choices}")
    return scenarios[name]


def _scenario_name(model: str, setup: library.Scenario | None) -> str | None:
    if setup is None:
        return None
    return next(key for key, value in library.scenarios(model).items() if value is setup)


def _resolve_model(name: str) -> Model:
    path = Path(name)
    if path.suffix or path.exists() or "/" in name:
        return load_model(path)
    return library.get(name)


def _summary(model: Model, dataset: Any, days: float, step: float, seed: int | None) -> dict[str, Any]:
    """Cmax, Tmax, AUC0-28 per observable (states if the model has no observable).

    The values are the medians over patients whose status is ``ok``; ``*_p05``/``*_p95``
    are the 5th and 95th percentiles (equal to the value for one patient).
    """
    ok = dataset["status"].values == "ok"
    times = dataset["time"].values
    names = list(model.observable_names) or list(model.state_names)
    outputs: dict[str, Any] = {}
    for name in names:
        values = dataset[name].values[ok]
        peak, peak_time = cmax_tmax(values, times)
        auc = auc_linear_up_log_down(values, times, start=0.0, end=28.0) if days >= 28 else np.full(values.shape[0], np.nan)
        entry: dict[str, Any] = {"unit": dataset[name].attrs.get("units", "")}
        for key, column in (("cmax", peak), ("tmax", peak_time), ("auc_0_28", auc)):
            for suffix, quantile in (("", 50), ("_p05", 5), ("_p95", 95)):
                entry[key + suffix] = _percentile(column, quantile)
        outputs[name] = entry
    counts = {status: int(np.sum(dataset["status"].values == status)) for status in STATUS_NAMES.values()}
    return {
        "model": model.name,
        "n_patients": int(dataset.sizes["patient"]),
        "days": days,
        "step": step,
        "solver": dataset.attrs.get("solver", ""),
        "seed": seed,
        "summary_over": "patients with status ok; values are medians, _p05/_p95 the 5th/95th percentiles",
        "observables": outputs,
        "status": counts,
    }


def _percentile(values: np.ndarray, quantile: float) -> float | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return float(np.percentile(finite, quantile))


def _print_summary(summary: dict[str, Any], out: Path | None, plot: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    setup = f", scenario {summary['scenario']}" if summary.get("scenario") else ""
    title = f"{summary['model']}{setup}: {summary['n_patients']} patient(s), {summary['days']:g} days"
    table = Table(title=title)
    for column in ("output", "unit", "Cmax", "Tmax [day]", "AUC0-28"):
        table.add_column(column)

    def show(value: float | None) -> str:
        return "-" if value is None else f"{value:.4g}"

    for name, entry in summary["observables"].items():
        table.add_row(name, entry["unit"], show(entry["cmax"]), show(entry["tmax"]), show(entry["auc_0_28"]))
    console.print(table)
    counts = ", ".join(f"{k}: {v}" for k, v in summary["status"].items() if v)
    console.print(f"status: {counts}")
    if summary["n_patients"] > 1:
        console.print("values are medians over patients with status ok")
    for label, path in (("trajectories", out), ("figure", plot)):
        if path is not None:
            console.print(f"{label}: {path}")
    console.print("[dim]cartsim is for research and education, never for clinical decisions.[/dim]")


MAX_ERROR_LINES = 20
"""``cartsim grade`` prints at most this many bad rows, then ``... and N more``."""


@app.command("grade")
def grade_command(
    records: Annotated[Path, typer.Argument(help="Records CSV in the long format of docs/grading-records.md.")],
    out: Annotated[Path | None, typer.Option(help="Write per patient-day grades to this .csv or .parquet file.")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip bad rows (listed on stderr) and grade the rest.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary object as the last line.")] = False,
) -> None:
    """Grade CRS and ICANS (ASTCT) for every patient-day of a records CSV and summarise each patient."""
    from .clinical.grading import grade_time_series, summarize_grades
    from .clinical.grading.records import read_records

    if out is not None and out.suffix not in (".csv", ".parquet"):
        _fail(f"--out must end in .csv or .parquet, got {str(out)!r}")
    try:
        loaded = read_records(records)
    except CartsimError as error:
        _fail(str(error))
        return
    problems = loaded.problems
    if problems and not skip_bad:
        _echo_problems("error", [str(problem) for problem in problems])
        raise typer.Exit(code=2)
    if problems:
        _echo_problems("skipped", [str(problem) for problem in problems])
        lines = ", ".join(str(problem.line) for problem in problems)
        typer.echo(f"skipped {len(problems)} of {loaded.n_rows} rows (file lines {lines}; header is line 1)", err=True)
    if loaded.frame.empty:
        _fail("no valid rows left to grade")
    try:
        daily = grade_time_series(loaded.frame)
        summary = summarize_grades(daily).reset_index()
    except CartsimError as error:  # pragma: no cover - read_records already ran the graders' checks
        _fail(str(error))
        return
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".csv":
            daily.to_csv(out, index=False)
        else:
            daily.to_parquet(out, index=False)
    if as_json:
        entries = [{key: _json_value(value) for key, value in row.items()} for row in summary.to_dict("records")]
        typer.echo(json.dumps({"patients": len(summary), "rows": len(daily), "skipped_rows": len(problems), "summary": entries}))
        return
    _print_grades(daily, summary, out)


def _echo_problems(prefix: str, messages: list[str]) -> None:
    for message in messages[:MAX_ERROR_LINES]:
        typer.echo(f"{prefix}: {message}", err=True)
    if len(messages) > MAX_ERROR_LINES:
        typer.echo(f"{prefix}: ... and {len(messages) - MAX_ERROR_LINES} more bad rows", err=True)


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _print_grades(daily: Any, summary: Any, out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    def show(value: Any) -> str:
        value = _json_value(value)
        return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    console = Console()
    if out is None:
        table = Table(title="ASTCT grades per patient-day")
        for column in daily.columns:
            table.add_column(column)
        for row in daily.itertuples(index=False):
            table.add_row(*(show(value) for value in row))
        console.print(table)
    table = Table(title=f"Per-patient summary: {len(summary)} patient(s), {len(daily)} patient-days")
    for column in summary.columns:
        name, _, measure = column.partition("_")
        label = {"max_grade": "max", "onset_day": "onset", "duration_days": "days", "resolution_day": "resolved"}
        table.add_column("patient" if column == "patient_id" else f"{name.upper()} {label.get(measure, measure)}")
    for row in summary.itertuples(index=False):
        table.add_row(*(show(value) for value in row))
    console.print(table)
    if out is not None:
        console.print(f"grades: {out}")
    console.print("[dim]cartsim is for research and education, never for clinical decisions.[/dim]")


def main() -> None:
    """Entry point of the ``cartsim`` command."""
    try:
        app()
    except CartsimError as error:  # pragma: no cover - commands catch their own errors
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
