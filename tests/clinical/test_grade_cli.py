"""``cartsim grade``: the shipped example grades to hand-checked values; malformed records are rejected.

The malformed corpus (``BAD_FILES``) changes one thing in a small valid file; each case must exit
with status 2, write no output file, print nothing on stdout and name the file line (header =
line 1) and the column on an ``error:`` line.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from cartsim.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "records" / "grading_example.csv"

HEADER = (
    "patient_id,day,temp_c,hypotension,vasopressors,vasopressin,o2_device,o2_flow_l_min,"
    "tocilizumab,ice_score,consciousness,seizure"
)
GOOD_ROWS = [
    "P1,0,37.0,no,0,no,none,,no,10,alert,none",
    "P1,1,38.5,yes,1,no,low_flow_nasal_cannula,2,yes,8,alert,none",
    "P1,2,37.2,no,0,no,none,,no,10,alert,none",
]


def records(*rows: str, header: str = HEADER) -> str:
    """The valid file with data rows replaced by ``rows`` (line 2 is the first row)."""
    return "\n".join([header, *rows]) + "\n"


def with_row(row: str, position: int = 1) -> str:
    """The valid file with data row ``position`` (0-based; file line position + 2) replaced."""
    rows = list(GOOD_ROWS)
    rows[position] = row
    return records(*rows)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def last_json(result: Result) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


# --------------------------------------------------------------------------------------------
# The shipped example
# --------------------------------------------------------------------------------------------


def test_the_example_grades_to_hand_checked_values(tmp_path: Path) -> None:
    out = tmp_path / "grades.csv"
    result = run("grade", str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "research and education" in result.stdout
    daily = pd.read_csv(out, dtype={"patient_id": str}).set_index(["patient_id", "day"])
    expected = {
        # P01: fever alone; fever + fluid-responsive hypotension; 39.5 °C + 1 vasopressor + 2 L/min
        # low-flow cannula (the ASTCT worked example); afebrile after tocilizumab on a vasopressor.
        ("P01", 1): (1, 0),
        ("P01", 3): (2, 0),
        ("P01", 4): (3, 0),
        ("P01", 5): (3, 0),
        ("P01", 6): (2, 1),  # afebrile on low-flow O2 after tocilizumab; ICE 8
        ("P01", 7): (0, 2),  # ICE 5
        ("P01", 8): (0, 3),  # ICE 2 + a rapidly resolving seizure
        # P03: two vasopressors -> 4; BiPAP -> 4; vasopressin alone (masked fever) -> 3.
        ("P03", 2): (4, 0),
        ("P03", 3): (4, 2),  # ICE 4, awakens to voice
        ("P03", 4): (3, 3),  # ICE 0 awake to touch: ICE alone never gives 4
        ("P03", 5): (2, 4),  # nasal cannula 4 L/min; unarousable
        ("P03", 7): (0, 1),  # ICE 7; tremor does not count
        ("P02", 2): (1, 0),
    }
    for key, (crs, icans) in expected.items():
        assert (daily.loc[key, "crs_grade"], daily.loc[key, "icans_grade"]) == (crs, icans), key


def test_the_example_summary_json() -> None:
    result = run("grade", str(EXAMPLE), "--json")
    assert result.exit_code == 0, result.output
    payload = last_json(result)
    assert (payload["patients"], payload["rows"], payload["skipped_rows"]) == (3, 38, 0)
    summary = {entry["patient_id"]: entry for entry in payload["summary"]}  # type: ignore[attr-defined]
    assert summary["P01"] == {
        "patient_id": "P01",
        "crs_max_grade": 3, "crs_onset_day": 1.0, "crs_duration_days": 6, "crs_resolution_day": 7.0,
        "icans_max_grade": 3, "icans_onset_day": 6.0, "icans_duration_days": 5, "icans_resolution_day": 11.0,
    }  # fmt: skip
    assert summary["P02"]["icans_max_grade"] == 0
    assert summary["P02"]["icans_onset_day"] is None
    assert summary["P02"]["icans_resolution_day"] is None
    assert (summary["P02"]["crs_max_grade"], summary["P02"]["crs_resolution_day"]) == (1, 4.0)
    assert (summary["P03"]["crs_max_grade"], summary["P03"]["crs_duration_days"], summary["P03"]["crs_resolution_day"]) == (
        4,
        5,
        6.0,
    )
    assert (summary["P03"]["icans_max_grade"], summary["P03"]["icans_onset_day"], summary["P03"]["icans_resolution_day"]) == (
        4,
        3.0,
        8.0,
    )


def test_parquet_output_and_rich_tables(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "grades.parquet"
    result = run("grade", str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.output
    daily = pd.read_parquet(out)
    assert list(daily.columns) == ["patient_id", "day", "crs_grade", "icans_grade"]
    assert len(daily) == 38
    assert "summary" in result.stdout
    table = run("grade", str(EXAMPLE))
    assert table.exit_code == 0
    assert "patient-day" in table.stdout


def test_ice_items_and_only_icans_columns(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "patient_id,day,ice_orientation,ice_naming,ice_commands,ice_writing,ice_attention,age\n"
        "A,0,4,3,1,1,1,30\nA,1,2,2,1,0,0,30\nA,2,,,,,,30\n",
        encoding="utf-8",
    )
    out = tmp_path / "g.csv"
    result = run("grade", str(path), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    daily = pd.read_csv(out)
    assert list(daily.columns) == ["patient_id", "day", "icans_grade"]  # no CRS input, no CRS grade
    assert daily["icans_grade"].tolist() == [0, 2, 0]  # ICE 10, ICE 5, not assessed


def test_fever_masking_needs_treatment_and_signs(tmp_path: Path) -> None:
    """Afebrile hypotension counts only after tocilizumab/steroids (documented interpretation)."""
    path = tmp_path / "mask.csv"
    path.write_text(
        "patient_id,day,temp_c,hypotension,steroids\nA,0,37.0,yes,no\nA,1,39.0,yes,yes\nA,2,37.0,yes,no\nA,3,37.0,no,no\n",
        encoding="utf-8",
    )
    out = tmp_path / "g.csv"
    assert run("grade", str(path), "--out", str(out)).exit_code == 0
    assert pd.read_csv(out)["crs_grade"].tolist() == [0, 2, 2, 0]


# --------------------------------------------------------------------------------------------
# Malformed files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadFile:
    id: str
    content: str
    match: str
    """Regex on the stderr ``error:`` lines (joined)."""


BAD_FILES = [
    BadFile("empty-file", "", r"is empty"),
    BadFile("blank-lines-only", "\n\n  \n", r"is empty"),
    BadFile("header-only", HEADER + "\n", r"has a header but no data rows"),
    BadFile(
        "missing-patient-id-column",
        records("0,37.0", header="day,temp_c"),
        r"line 1 \(header\): missing required column 'patient_id'",
    ),
    BadFile(
        "missing-day-column", records("P1,37.0", header="patient_id,temp_c"), r"line 1 \(header\): missing required column 'day'"
    ),
    BadFile("no-grading-column", records("P1,0,40", header="patient_id,day,age"), r"line 1 \(header\): no grading input column"),
    BadFile(
        "unknown-column-typo",
        records("P1,0,37", header="patient_id,day,temperature"),
        r"line 1 \(header\): unknown column 'temperature' \(did you mean 'temp_c'\?\)",
    ),
    BadFile(
        "unknown-column-o2",
        records("P1,0,none", header="patient_id,day,o2_devise"),
        r"unknown column 'o2_devise' \(did you mean 'o2_device'\?\)",
    ),
    BadFile(
        "repeated-column",
        records("P1,0,37,38", header="patient_id,day,temp_c,temp_c"),
        r"line 1 \(header\): column 'temp_c' appears more than once",
    ),
    BadFile(
        "partial-ice-items",
        records("P1,0,4,3", header="patient_id,day,ice_orientation,ice_naming"),
        r"line 1 \(header\): ICE items must come all five together",
    ),
    BadFile(
        "unknown-o2-device",
        with_row("P1,1,38.5,no,0,no,oxygen_tent,,no,10,alert,none"),
        r"line 3 .*o2_device = 'oxygen_tent' is not a known O2 device",
    ),
    BadFile(
        "o2-device-did-you-mean",
        with_row("P1,1,38.5,no,0,no,mask,,no,10,alert,none"),
        r"line 3 .*o2_device = 'mask'.*did you mean 'facemask'",
    ),
    BadFile(
        "negative-flow",
        with_row("P1,1,38.5,no,0,no,nasal_cannula,-2,no,10,alert,none"),
        r"line 3 .*o2_flow_l_min = '-2' is not allowed",
    ),
    BadFile(
        "non-numeric-flow",
        with_row("P1,1,38.5,no,0,no,nasal_cannula,2L,no,10,alert,none"),
        r"line 3 .*o2_flow_l_min = '2L' is not a number",
    ),
    BadFile(
        "temperature-fahrenheit",
        with_row("P1,1,101.3,no,0,no,none,,no,10,alert,none"),
        r"line 3 .*temp_c = '101\.3' looks like °F; give °C",
    ),
    BadFile(
        "temperature-out-of-range",
        with_row("P1,1,25,no,0,no,none,,no,10,alert,none"),
        r"line 3 .*temp_c = '25' is not allowed; it must be in \[30, 45\] °C",
    ),
    BadFile(
        "temperature-non-numeric",
        with_row("P1,1,high,no,0,no,none,,no,10,alert,none"),
        r"line 3 .*temp_c = 'high' is not a number",
    ),
    BadFile(
        "temperature-nan-text", with_row("P1,1,NA,no,0,no,none,,no,10,alert,none"), r"line 3 .*temp_c = 'NA' is not a number"
    ),
    BadFile(
        "duplicate-day",
        with_row("P1,0,38.5,no,0,no,none,,no,10,alert,none"),
        r"line 2 .*repeated on line 3.*\nerror: line 3 .*repeated on line 2",
    ),
    BadFile("day-non-numeric", with_row("P1,one,38.5,no,0,no,none,,no,10,alert,none"), r"line 3 .*day = 'one' is not a number"),
    BadFile("day-empty", with_row("P1,,38.5,no,0,no,none,,no,10,alert,none"), r"line 3 .*day is empty"),
    BadFile("patient-id-empty", with_row(",1,38.5,no,0,no,none,,no,10,alert,none"), r"line 3 .*patient_id is empty"),
    BadFile(
        "bad-boolean", with_row("P1,1,38.5,maybe,0,no,none,,no,10,alert,none"), r"line 3 .*hypotension = 'maybe' is not a boolean"
    ),
    BadFile(
        "bad-boolean-tocilizumab",
        with_row("P1,1,38.5,no,0,no,none,,given,10,alert,none"),
        r"line 3 .*tocilizumab = 'given' is not a boolean",
    ),
    BadFile(
        "ice-above-10",
        with_row("P1,1,38.5,no,0,no,none,,no,11,alert,none"),
        r"line 3 .*ice_score = '11' is not allowed; it must be a whole number in \[0, 10\]",
    ),
    BadFile("ice-negative", with_row("P1,1,38.5,no,0,no,none,,no,-1,alert,none"), r"line 3 .*ice_score = '-1' is not allowed"),
    BadFile(
        "ice-fractional",
        with_row("P1,1,38.5,no,0,no,none,,no,7.5,alert,none"),
        r"line 3 .*ice_score = '7\.5' is not allowed; it must be a whole number",
    ),
    BadFile(
        "vasopressors-negative",
        with_row("P1,1,38.5,yes,-1,no,none,,no,10,alert,none"),
        r"line 3 .*vasopressors = '-1' is not allowed",
    ),
    BadFile(
        "vasopressors-fractional",
        with_row("P1,1,38.5,yes,1.5,no,none,,no,10,alert,none"),
        r"line 3 .*vasopressors = '1\.5' is not allowed; it must be a whole number",
    ),
    BadFile(
        "vasopressor-without-hypotension",
        with_row("P1,1,38.5,no,1,no,none,,no,10,alert,none"),
        r"line 3 .*vasopressors = 1, vasopressin = False but hypotension = False",
    ),
    BadFile(
        "vasopressin-without-hypotension",
        with_row("P1,1,38.5,no,0,yes,none,,no,10,alert,none"),
        r"line 3 .*vasopressin = True but hypotension = False",
    ),
    BadFile(
        "flow-without-device",
        with_row("P1,1,38.5,no,0,no,none,3,no,10,alert,none"),
        r"line 3 .*o2_device = 'none' but o2_flow_l_min = 3 L/min",
    ),
    BadFile(
        "low-flow-cannula-too-fast",
        with_row("P1,1,38.5,no,0,no,low_flow_nasal_cannula,10,no,10,alert,none"),
        r"line 3 .*o2_flow_l_min = 10 L/min is inconsistent with o2_device = 'low_flow_nasal_cannula'",
    ),
    BadFile(
        "nasal-cannula-without-flow",
        with_row("P1,1,38.5,no,0,no,nasal_cannula,,no,10,alert,none"),
        r"line 3 .*o2_device = 'nasal_cannula' needs o2_flow_l_min",
    ),
    BadFile(
        "ice-while-unarousable",
        with_row("P1,1,38.5,no,0,no,none,,no,6,unarousable,none"),
        r"line 3 .*ice_score = 6 points but consciousness = 'unarousable'",
    ),
    BadFile(
        "unknown-consciousness",
        with_row("P1,1,38.5,no,0,no,none,,no,10,drowsy,none"),
        r"line 3 .*consciousness = 'drowsy' is not a known value",
    ),
    BadFile(
        "unknown-seizure", with_row("P1,1,38.5,no,0,no,none,,no,10,alert,yes"), r"line 3 .*seizure = 'yes' is not a known value"
    ),
    BadFile(
        "too-many-fields",
        with_row("P1,1,38.5,no,0,no,none,,no,10,alert,none,extra"),
        r"line 3: has a different number of fields than the header \(12\)$",
    ),
    BadFile("too-few-fields", with_row("P1,1,38.5"), r"line 3: has a different number of fields than the header \(12\)$"),
    BadFile(
        "child-with-ice",
        records("P1,0,8,9", header="patient_id,day,age,ice_score"),
        r"line 2 .*age = 8 years with an ICE score; children ≤ 12 y are assessed with CAPD",
    ),
    BadFile("age-negative", records("P1,0,-3,9", header="patient_id,day,age,ice_score"), r"line 2 .*age = '-3' is not allowed"),
    BadFile(
        "ice-items-disagree-with-score",
        records(
            "P1,0,9,4,3,1,1,1",
            header="patient_id,day,ice_score,ice_orientation,ice_naming,ice_commands,ice_writing,ice_attention",
        ),
        r"line 2 .*ice_score = 9 but the ICE items add up to 10",
    ),
    BadFile(
        "ice-item-out-of-range",
        records("P1,0,5,3,1,1,1", header="patient_id,day,ice_orientation,ice_naming,ice_commands,ice_writing,ice_attention"),
        r"line 2 .*ice_orientation = '5' is not allowed; it must be a whole number in \[0, 4\]",
    ),
    BadFile(
        "ice-items-partly-empty",
        records("P1,0,4,,1,1,1", header="patient_id,day,ice_orientation,ice_naming,ice_commands,ice_writing,ice_attention"),
        r"line 2 .*ICE items are partly empty",
    ),
]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in BAD_FILES])
def test_malformed_records_are_rejected(case: BadFile, tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(case.content, encoding="utf-8")
    out = tmp_path / "grades.csv"
    result = run("grade", str(path), "--out", str(out))
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 2, f"exit {result.exit_code}, {result.exception!r}, {result.output!r}"
    assert result.stdout == ""
    assert not out.exists()
    lines = result.stderr.splitlines()
    assert lines, result.stderr
    assert all(line.startswith("error: ") for line in lines), result.stderr
    assert re.search(case.match, result.stderr), f"{result.stderr!r} does not match {case.match!r}"


def test_corpus_is_large_enough() -> None:
    assert len(BAD_FILES) >= 25
    assert len({case.id for case in BAD_FILES}) == len(BAD_FILES)


def test_missing_file_and_bad_suffix(tmp_path: Path) -> None:
    missing = run("grade", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert re.search(r"^error: records file .*nope\.csv' does not exist$", missing.stderr)
    suffix = run("grade", str(EXAMPLE), "--out", str(tmp_path / "g.txt"))
    assert suffix.exit_code == 2
    assert "--out must end in .csv or .parquet" in suffix.stderr
    assert not (tmp_path / "g.txt").exists()


def test_every_bad_row_is_reported_and_capped(tmp_path: Path) -> None:
    rows = [f"P{i},0,101.{i % 10},no,0,no,none,,no,10,alert,none" for i in range(25)]
    path = tmp_path / "many.csv"
    path.write_text(records(*rows), encoding="utf-8")
    result = run("grade", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 21
    assert lines[0].startswith("error: line 2 (patient_id='P0', day='0'): temp_c")
    assert lines[19].startswith("error: line 21 ")
    assert lines[-1] == "error: ... and 5 more bad rows"


# --------------------------------------------------------------------------------------------
# --skip-bad and --json
# --------------------------------------------------------------------------------------------


def test_skip_bad_grades_the_good_rows(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        records(
            *GOOD_ROWS,
            "P2,0,101.3,no,0,no,none,,no,10,alert,none",  # line 5: °F
            "P2,1,39.0,no,0,no,mask,,no,10,alert,none",  # line 6: unknown device
            "P2,2,39.0,no,0,no,none,,no,10,alert,none",
        ),
        encoding="utf-8",
    )
    out = tmp_path / "g.csv"
    result = run("grade", str(path), "--skip-bad", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert "skipped 2 of 6 rows (file lines 5, 6; header is line 1)" in result.stderr
    assert re.search(r"skipped: line 5 .*temp_c = '101\.3' looks like °F", result.stderr)
    payload = last_json(result)
    assert (payload["patients"], payload["rows"], payload["skipped_rows"]) == (2, 4, 2)
    daily = pd.read_csv(out, dtype={"patient_id": str})
    assert daily["crs_grade"].tolist() == [0, 3, 0, 1]
    p2 = next(entry for entry in payload["summary"] if entry["patient_id"] == "P2")  # type: ignore[attr-defined]
    assert p2["crs_onset_day"] == 2.0
    assert p2["crs_resolution_day"] is None


def test_skip_bad_with_nothing_left(tmp_path: Path) -> None:
    path = tmp_path / "all-bad.csv"
    path.write_text(records("P1,0,101.3,no,0,no,none,,no,10,alert,none"), encoding="utf-8")
    result = run("grade", str(path), "--skip-bad")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "error: no valid rows left to grade"


def test_json_values_are_finite_or_null() -> None:
    result = run("grade", str(EXAMPLE), "--json")
    payload = last_json(result)
    for entry in payload["summary"]:  # type: ignore[attr-defined]
        for value in entry.values():
            assert value is None or isinstance(value, str) or math.isfinite(value)
