"""The command line, run in-process with typer's CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cartsim
from cartsim.cli import app

runner = CliRunner()


def test_models_json() -> None:
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    entries = {entry["name"]: entry for entry in json.loads(result.stdout)["models"]}
    assert sorted(entries) == list(cartsim.models.names())
    assert entries["stein2019"]["observables"] == ["transgene"]
    assert "doi:10.1002/psp4.12388" in entries["stein2019"]["citation"]
    for entry in entries.values():
        assert entry["citation"]
        assert entry["states"]
        assert entry["method"] in ("auto", "explicit", "stiff")
        assert entry["solver"].startswith(("dopri5", "rodas4", "auto"))
        assert entry["scenarios"]
    assert entries["singh2021"]["method"] == "stiff"
    assert entries["kimmel2021"]["stochastic_states"] == ["tumour"]
    assert entries["hardiansyah2019"]["dose"] == "effector_blood"


def test_models_table_lists_every_model() -> None:
    result = runner.invoke(app, ["models"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in cartsim.models.names():
        assert name in result.stdout


def test_simulate_stein_json_reports_the_published_numbers() -> None:
    """Cmax 24,000 copies/ug at Tmax 9.3 d, AUC0-28 1.718e5 copies*d/ug within 0.1 %
    (Stein 2019 Table 1; computed reference), from the default 0.1-day grid."""
    result = runner.invoke(app, ["simulate", "stein2019", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    transgene = summary["observables"]["transgene"]
    assert transgene["unit"] == "copies/ug"
    assert transgene["cmax"] == pytest.approx(24000, rel=1e-4)
    assert transgene["tmax"] == pytest.approx(9.3, abs=1e-9)
    assert transgene["auc_0_28"] == pytest.approx(1.718e5, rel=1e-3)
    assert summary["status"] == {"ok": 1, "max_steps": 0, "non_finite": 0, "negative_state": 0, "step_too_small": 0}


def test_simulate_cohort_writes_outputs(tmp_path: Path) -> None:
    csv, parquet, png = tmp_path / "c.csv", tmp_path / "c.parquet", tmp_path / "c.png"
    args = ["simulate", "stein2019", "--days", "60", "--step", "1", "--patients", "30", "--seed", "4"]
    result = runner.invoke(app, [*args, "--out", str(csv), "--plot", str(png), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    transgene = summary["observables"]["transgene"]
    assert transgene["cmax_p05"] < transgene["cmax"] < transgene["cmax_p95"]
    table = pd.read_csv(csv)
    assert len(table) == 30 * 61
    assert {"patient", "time", "status", "effector", "memory", "transgene"} <= set(table.columns)
    assert png.stat().st_size > 10_000
    result = runner.invoke(app, [*args, "--out", str(parquet)])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), table, check_dtype=False)


def test_simulate_model_file(tmp_path: Path) -> None:
    path = tmp_path / "decay.cartsim"
    path.write_text('rate = 0.5 | unit="1/day"\nd/dt(level) = -rate * level | unit="mg"\nlevel(0) = 8\n')
    result = runner.invoke(app, ["simulate", str(path), "--days", "28", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["model"] == "decay"
    assert summary["observables"]["level"]["cmax"] == 8.0
    assert summary["observables"]["level"]["auc_0_28"] == pytest.approx(16 * (1 - 2.718281828459045**-14), rel=1e-6)


def test_simulate_runs_the_reference_scenario_of_a_library_model() -> None:
    """Without --scenario a library model runs its paper's set-up: Hardiansyah 2019 UPN1 with
    the 10/30/60 % split dose peaks at 2.55e9 CAR-T cells in blood near day 3.8 (models.md
    section 4; 0.05-day grid of the scenario, so Tmax to the grid)."""
    result = runner.invoke(app, ["simulate", "hardiansyah2019", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["scenario"] == "upn1"
    assert summary["days"] == 60.0
    car_t = summary["observables"]["car_t_blood"]
    assert car_t["cmax"] == pytest.approx(2.55, rel=5e-3)
    assert abs(car_t["tmax"] - 3.8) <= 0.1


def test_simulate_scenario_none_gives_no_doses() -> None:
    """--scenario none: typical values and no doses, so Hardiansyah's CAR-T pools stay empty."""
    result = runner.invoke(app, ["simulate", "hardiansyah2019", "--scenario", "none", "--days", "10", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["scenario"] is None
    assert summary["observables"]["car_t_blood"]["cmax"] == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "barros2021", "--scenario", "ex9"], "has no scenario 'ex9'; its scenarios: ex1, .*Did you mean 'ex6'"),
        (["simulate", "barros2021", "--scenario", "ex1", "--days", "30"], "outside the simulated span"),
        (["simulate", "examples/models/cart_effector_memory.cartsim", "--scenario", "ex1"], "library models only"),
    ],
)
def test_bad_scenario_is_one_clear_error(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert re.search(message, result.output), result.output
