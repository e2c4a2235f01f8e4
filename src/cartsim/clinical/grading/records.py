"""Reading a toxicity records CSV into the long table :func:`grade_time_series` takes.

The file format is documented in ``docs/grading-records.md``: one row per patient and
assessment day, user-facing column names (``temp_c``, ``o2_device``, ``ice_score``, ...)
that :data:`COLUMN_MAP` maps onto the grader's field names. Every cell is checked before
anything is graded, and every bad row is reported with its line number in the file (the
header is line 1, so the first data row is line 2), the column and the value; nothing is
dropped or guessed silently. A research and education tool, never a clinical decision tool.

Problems with the file as a whole (unreadable, empty, no data rows, missing or unknown
columns) raise :class:`RecordsFileError`. Problems with single rows are collected in
:attr:`Records.problems`; :attr:`Records.frame` holds the rows without problems, ready for
:func:`grade_time_series`.
"""

from __future__ import annotations

import csv
import difflib
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._validation import GradingInputError
from .crs import MAX_VASOPRESSORS, OXYGEN_FLOW_RANGE_L_PER_MIN, TEMPERATURE_RANGE_CELSIUS, OxygenSupport, prepare_crs_columns
from .icans import CerebralEdema, LevelOfConsciousness, MotorFinding, Seizure, prepare_icans_columns

REQUIRED_COLUMNS = ("patient_id", "day")

BOOLEAN_COLUMNS = ("hypotension", "vasopressin", "tocilizumab", "steroids")
ENUM_COLUMNS: Mapping[str, type[enum.StrEnum]] = {
    "o2_device": OxygenSupport,
    "consciousness": LevelOfConsciousness,
    "seizure": Seizure,
    "motor": MotorFinding,
    "edema": CerebralEdema,
}
ICE_ITEMS: Mapping[str, int] = {
    "ice_orientation": 4,
    "ice_naming": 3,
    "ice_commands": 1,
    "ice_writing": 1,
    "ice_attention": 1,
}
"""ICE items (clinical.md §2.3) and their maximum points; all five together give ``ice_score``."""

CRS_INPUTS = ("temp_c", "hypotension", "vasopressors", "vasopressin", "o2_device", "o2_flow_l_min", "tocilizumab", "steroids")
ICANS_INPUTS = ("ice_score", *ICE_ITEMS, "consciousness", "seizure", "motor", "edema")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *CRS_INPUTS, *ICANS_INPUTS, "age")

COLUMN_MAP: Mapping[str, str] = {
    "temp_c": "temperature_celsius",
    "hypotension": "hypotension",
    "vasopressors": "vasopressors",
    "vasopressin": "vasopressin",
    "o2_device": "oxygen_support",
    "o2_flow_l_min": "oxygen_flow_l_per_min",
    "tocilizumab": "fever_masked_by_treatment",
    "steroids": "fever_masked_by_treatment",
    "ice_score": "ice_score",
    **{item: "ice_score" for item in ICE_ITEMS},
    "consciousness": "level_of_consciousness",
    "seizure": "seizure",
    "motor": "motor_finding",
    "edema": "cerebral_edema",
}
"""Records column -> grader field (``age`` is used only for a check, see the docs)."""

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
FAHRENHEIT_RANGE = (86.0, 113.0)  # 30-45 °C in °F
AGE_RANGE_YEARS = (0.0, 120.0)
CHILD_MAX_AGE_YEARS = 12.0


_SUGGESTIONS: Mapping[str, str] = {
    **{grader: user for user, grader in COLUMN_MAP.items() if user not in ("tocilizumab", "steroids", *ICE_ITEMS)},
    "temperature": "temp_c",
    "temp": "temp_c",
    "temp_f": "temp_c",
    "patient": "patient_id",
    "oxygen": "o2_device",
    "o2_flow": "o2_flow_l_min",
    "ice": "ice_score",
    "loc": "consciousness",
}
"""Names users are likely to write for a column (including the grader's field names)."""


class RecordsFileError(GradingInputError):
    """The records file as a whole cannot be used (unreadable, empty, bad header)."""


@dataclass(frozen=True)
class RecordProblem:
    """Everything wrong with one data row of the file."""

    line: int
    """Line number in the file; the header is line 1."""
    patient_id: str
    day: str
    messages: tuple[str, ...]

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.patient_id or self.day:
            where += f" (patient_id={self.patient_id!r}, day={self.day!r})"
        return f"{where}: " + "; ".join(self.messages)


@dataclass
class Records:
    """A validated records file."""

    frame: pd.DataFrame
    """Rows without problems, sorted by patient and day, in the grader's field names."""
    problems: list[RecordProblem] = field(default_factory=list)
    n_rows: int = 0
    """Data rows in the file (blank lines not counted)."""


def read_records(path: str | Path) -> Records:
    """Read and check a records CSV; see ``docs/grading-records.md`` for the format.

    Raises:
        RecordsFileError: the file cannot be read, is empty, has no data rows, or its
            header lacks a required column, has an unknown or repeated column, or no
            grading input column.
    """
    header, rows, lines = _read_csv(Path(path))
    raw = pd.DataFrame(rows, columns=header, dtype=object)
    checker = _RowChecker(raw, lines)
    checker.check_cells()
    checker.check_grader_consistency()
    checker.check_duplicates()
    good = ~checker.bad_mask()
    frame = _grader_frame(raw, checker, good)
    return Records(frame=frame, problems=checker.problems(), n_rows=len(raw))


# --------------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            parsed = [(row, reader.line_num) for row in reader]
    except FileNotFoundError:
        raise RecordsFileError(f"records file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RecordsFileError(f"cannot read records file {str(path)!r}: {error}") from None
    parsed = [(row, line) for row, line in parsed if any(cell.strip() for cell in row)]
    if not parsed:
        raise RecordsFileError(f"records file {str(path)!r} is empty; line 1 must be the header (patient_id,day,...)")
    header_row, header_line = parsed[0]
    header = [name.strip().lower() for name in header_row]
    _check_header(header, header_line)
    if len(parsed) == 1:
        raise RecordsFileError(f"records file {str(path)!r} has a header but no data rows")
    rows: list[list[str]] = []
    lines: list[int] = []
    for row, line in parsed[1:]:
        if len(row) != len(header):
            # Kept as a row of blanks; _RowChecker reports it and it is never graded.
            rows.append([""] * len(header))
            lines.append(-line)
        else:
            rows.append([cell.strip() for cell in row])
            lines.append(line)
    return header, rows, lines


def _check_header(header: list[str], line: int) -> None:
    if "" in header:
        raise RecordsFileError(f"line {line} (header): column {header.index('') + 1} has no name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RecordsFileError(f"line {line} (header): column {repeated[0]!r} appears more than once")
    unknown = [name for name in header if name not in KNOWN_COLUMNS]
    if unknown:
        parts = []
        for name in unknown:
            hint = _SUGGESTIONS.get(name) or next(iter(difflib.get_close_matches(name, KNOWN_COLUMNS, n=1)), None)
            parts.append(f"{name!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        raise RecordsFileError(
            f"line {line} (header): unknown column{'s' if len(unknown) > 1 else ''} {', '.join(parts)}; "
            "see docs/grading-records.md for the columns"
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RecordsFileError(f"line {line} (header): missing required column {', '.join(repr(m) for m in missing)}")
    if not any(name in header for name in (*CRS_INPUTS, *ICANS_INPUTS)):
        raise RecordsFileError(
            f"line {line} (header): no grading input column; give CRS inputs (e.g. temp_c, o2_device) "
            "and/or ICANS inputs (e.g. ice_score, consciousness)"
        )
    items = [name for name in ICE_ITEMS if name in header]
    if items and len(items) != len(ICE_ITEMS):
        absent = [name for name in ICE_ITEMS if name not in header]
        raise RecordsFileError(f"line {line} (header): ICE items must come all five together; missing {', '.join(absent)}")


# --------------------------------------------------------------------------------------------
# Checking cells and rows
# --------------------------------------------------------------------------------------------


class _RowChecker:
    """Collects the problems of every row; parsed values are kept for the grader frame."""

    def __init__(self, raw: pd.DataFrame, lines: list[int]) -> None:
        self.raw = raw
        self.lines = np.abs(np.asarray(lines, dtype=int))
        self.messages: list[list[str]] = [[] for _ in lines]
        self.numbers: dict[str, np.ndarray] = {}
        self.flags: dict[str, np.ndarray] = {}
        self.words: dict[str, np.ndarray] = {}
        self.ragged = np.asarray(lines, dtype=int) < 0
        for index in np.flatnonzero(self.ragged):
            self.messages[index].append(f"has a different number of fields than the header ({len(raw.columns)})")

    def add(self, mask: np.ndarray, message: Callable[[int], str]) -> None:
        for index in np.flatnonzero(mask & ~self.ragged):
            self.messages[index].append(message(int(index)))

    def bad_mask(self) -> np.ndarray:
        return np.array([bool(messages) for messages in self.messages], dtype=bool)

    def problems(self) -> list[RecordProblem]:
        out = []
        for index, messages in enumerate(self.messages):
            if messages:
                patient, day = (str(self.raw[key].iloc[index]) for key in REQUIRED_COLUMNS)
                out.append(RecordProblem(int(self.lines[index]), patient, day, tuple(messages)))
        return out

    def text(self, column: str) -> pd.Series:
        return self.raw[column].astype(str)

    # -- cells ------------------------------------------------------------------------------

    def check_cells(self) -> None:
        columns = set(self.raw.columns)
        empty_id = (self.text("patient_id") == "").to_numpy()
        self.add(empty_id, lambda i: "patient_id is empty; every row needs a patient_id")
        self.number("day", required=True, low=-np.inf, high=np.inf, unit="days")
        if "temp_c" in columns:
            self.temperature()
        for name in BOOLEAN_COLUMNS:
            if name in columns:
                self.boolean(name)
        if "vasopressors" in columns:
            self.number("vasopressors", low=0, high=MAX_VASOPRESSORS, unit="agents (vasopressin excluded)", integer=True)
        if "o2_flow_l_min" in columns:
            low, high = OXYGEN_FLOW_RANGE_L_PER_MIN
            self.number("o2_flow_l_min", low=low, high=high, unit="L/min")
        for name, kind in ENUM_COLUMNS.items():
            if name in columns:
                self.category(name, kind)
        if "ice_score" in columns:
            self.number("ice_score", low=0, high=10, unit="points", integer=True)
        if "ice_orientation" in columns:
            self.ice_items()
        if "age" in columns:
            low, high = AGE_RANGE_YEARS
            self.number("age", low=low, high=high, unit="years")
            self.child_with_ice()

    def number(self, name: str, *, low: float, high: float, unit: str, required: bool = False, integer: bool = False) -> None:
        text = self.text(name)
        values = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float)
        empty = (text == "").to_numpy()
        if required:
            self.add(empty, lambda i: f"{name} is empty; every row needs a {name} ({unit})")
        self.add(np.isnan(values) & ~empty, lambda i: f"{name} = {text.iloc[i]!r} is not a number ({unit})")
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(values) & ((values < low) | (values > high) | ~np.isfinite(values))
            if integer:
                bad |= ~np.isnan(values) & (values != np.round(values))
        kind = "a whole number in" if integer else "in"
        self.add(bad, lambda i: f"{name} = {text.iloc[i]!r} is not allowed; it must be {kind} [{low:g}, {high:g}] {unit}")
        self.numbers[name] = np.where(bad, np.nan, values)

    def temperature(self) -> None:
        text = self.text("temp_c")
        values = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float)
        empty = (text == "").to_numpy()
        self.add(np.isnan(values) & ~empty, lambda i: f"temp_c = {text.iloc[i]!r} is not a number (°C)")
        low, high = TEMPERATURE_RANGE_CELSIUS
        with np.errstate(invalid="ignore"):
            fahrenheit = (values >= FAHRENHEIT_RANGE[0]) & (values <= FAHRENHEIT_RANGE[1])
            out = ~np.isnan(values) & ~fahrenheit & ((values < low) | (values > high) | ~np.isfinite(values))
        self.add(fahrenheit, lambda i: f"temp_c = {text.iloc[i]!r} looks like °F; give °C (in [{low:g}, {high:g}])")
        self.add(out, lambda i: f"temp_c = {text.iloc[i]!r} is not allowed; it must be in [{low:g}, {high:g}] °C")
        self.numbers["temp_c"] = values

    def boolean(self, name: str) -> None:
        words = self.text(name).str.lower()
        bad = (~words.isin(TRUE_WORDS | FALSE_WORDS | {""})).to_numpy()
        self.add(bad, lambda i: f"{name} = {self.raw[name].iloc[i]!r} is not a boolean; use true/false, yes/no or 1/0")
        self.flags[name] = words.isin(TRUE_WORDS).to_numpy()

    def category(self, name: str, kind: type[enum.StrEnum]) -> None:
        words = self.text(name).str.lower().str.replace(r"[\s-]+", "_", regex=True)
        allowed = [member.value for member in kind]
        bad = (~words.isin([*allowed, ""])).to_numpy()

        def message(index: int) -> str:
            value = str(self.raw[name].iloc[index])
            hint = difflib.get_close_matches(words.iloc[index], allowed, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            what = "O2 device" if name == "o2_device" else "value"
            return f"{name} = {value!r} is not a known {what}{suggestion}; allowed: {', '.join(allowed)}"

        self.add(bad, message)
        self.words[name] = np.where(words == "", kind(allowed[0]).value, words).astype(object)

    def ice_items(self) -> None:
        present = np.zeros(len(self.raw), dtype=int)
        total = np.zeros(len(self.raw))
        for name, most in ICE_ITEMS.items():
            self.number(name, low=0, high=most, unit="points", integer=True)
            present += ~np.isnan(self.numbers[name]) | (self.text(name) != "").to_numpy()
            total += np.nan_to_num(self.numbers[name])
        partial = (present > 0) & (present < len(ICE_ITEMS))
        self.add(partial, lambda i: f"ICE items are partly empty ({', '.join(ICE_ITEMS)}); give all five or none")
        item_score = np.where(present == len(ICE_ITEMS), total, np.nan)
        if "ice_score" in self.numbers:
            given = self.numbers["ice_score"]
            with np.errstate(invalid="ignore"):
                differ = ~np.isnan(given) & ~np.isnan(item_score) & (given != item_score)
            self.add(differ, lambda i: f"ice_score = {given[i]:g} but the ICE items add up to {item_score[i]:g}")
            item_score = np.where(np.isnan(item_score), given, item_score)
        self.numbers["ice_score"] = item_score

    def child_with_ice(self) -> None:
        if "ice_score" not in self.numbers:
            return
        age = self.numbers["age"]
        with np.errstate(invalid="ignore"):
            child = (age <= CHILD_MAX_AGE_YEARS) & ~np.isnan(self.numbers["ice_score"])
        self.add(
            child,
            lambda i: (
                f"age = {age[i]:g} years with an ICE score; children ≤ 12 y are assessed with CAPD, not ICE "
                "(clinical.md §2.4), and this format has no CAPD column"
            ),
        )

    # -- rows -------------------------------------------------------------------------------

    def check_duplicates(self) -> None:
        day = self.numbers["day"]
        keys = pd.DataFrame({"patient_id": self.text("patient_id"), "day": day})
        valid = ~np.isnan(day) & (keys["patient_id"] != "").to_numpy()
        duplicated = keys.duplicated(keep=False).to_numpy() & valid
        groups = keys[duplicated].groupby(["patient_id", "day"]).groups
        for positions in groups.values():
            lines = [int(self.lines[p]) for p in positions]
            for position in positions:
                others = ", ".join(str(line) for line in lines if line != self.lines[position])
                self.messages[position].append(f"(patient_id, day) repeated on line {others}; give one row per patient and day")

    def check_grader_consistency(self) -> None:
        """Run the graders' own checks (vasopressor without hypotension, device versus flow, ...)."""
        candidates = ~self.bad_mask()
        for names, prepare in ((CRS_FIELDS, prepare_crs_columns), (ICANS_FIELDS, prepare_icans_columns)):
            columns = self.grader_columns(names)
            if not columns:
                continue
            remaining = np.flatnonzero(candidates)
            while remaining.size:
                failed: list[int] = []

                def label(index: int, failed: list[int] = failed) -> str:
                    failed.append(index)
                    return ""

                subset = {name: values[remaining] for name, values in columns.items()}
                try:
                    prepare(subset, label)
                except GradingInputError as error:
                    if not failed:  # pragma: no cover - the graders always name the row
                        raise
                    position = int(remaining[failed[-1]])
                    self.messages[position].append(_user_names(str(error)))
                    remaining = remaining[remaining != position]
                    continue
                break

    def grader_columns(self, fields: tuple[str, ...]) -> dict[str, np.ndarray]:
        """The grader fields fed by this file's columns, parsed (defaults where empty)."""
        columns = set(self.raw.columns)
        out: dict[str, np.ndarray] = {}
        for user, grader in COLUMN_MAP.items():
            if grader not in fields or user not in columns or user in ("tocilizumab", "steroids", *ICE_ITEMS):
                continue
            if user in self.numbers:
                values = self.numbers[user]
                out[grader] = np.nan_to_num(values, nan=0.0) if user == "vasopressors" else values
            elif user in self.flags:
                out[grader] = self.flags[user]
            elif user in self.words:
                out[grader] = self.words[user]
        if "ice_score" in fields and "ice_score" in self.numbers and "ice_score" not in out:
            out["ice_score"] = self.numbers["ice_score"]
        return out


CRS_FIELDS = (
    "temperature_celsius",
    "hypotension",
    "vasopressors",
    "vasopressin",
    "oxygen_support",
    "oxygen_flow_l_per_min",
)
ICANS_FIELDS = ("ice_score", "level_of_consciousness", "seizure", "motor_finding", "cerebral_edema")

_GRADER_TO_USER = {
    "temperature_celsius": "temp_c",
    "oxygen_support": "o2_device",
    "oxygen_flow_l_per_min": "o2_flow_l_min",
    "level_of_consciousness": "consciousness",
    "motor_finding": "motor",
    "cerebral_edema": "edema",
    "hypotension=True": "hypotension=true",
    "ice_score=0 or None": "ice_score 0 or empty",
}


def _user_names(message: str) -> str:
    """A grader message with the grader's field names replaced by the records column names."""
    for grader, user in _GRADER_TO_USER.items():
        message = message.replace(grader, user)
    return message


# --------------------------------------------------------------------------------------------
# The grader's table
# --------------------------------------------------------------------------------------------


def _grader_frame(raw: pd.DataFrame, checker: _RowChecker, good: np.ndarray) -> pd.DataFrame:
    columns = set(raw.columns)
    frame = pd.DataFrame({"patient_id": checker.text("patient_id").to_numpy()[good], "day": checker.numbers["day"][good]})
    if any(name in columns for name in CRS_INPUTS):
        for name, values in checker.grader_columns(CRS_FIELDS).items():
            frame[name] = values[good]
        treated = np.zeros(len(raw), dtype=bool)
        for name in ("tocilizumab", "steroids"):
            if name in checker.flags:
                treated |= checker.flags[name]
        frame["_treated"] = treated[good]
    if any(name in columns for name in ICANS_INPUTS):
        for name, values in checker.grader_columns(ICANS_FIELDS).items():
            frame[name] = values[good]
    frame = frame.sort_values(["patient_id", "day"], kind="stable").reset_index(drop=True)
    if "_treated" in frame.columns:
        frame["fever_masked_by_treatment"] = _fever_masked(frame)
        frame = frame.drop(columns="_treated")
    if len(frame) and np.all(frame["day"] == np.round(frame["day"])):
        frame["day"] = frame["day"].astype(np.int64)
    return frame


def _fever_masked(frame: pd.DataFrame) -> np.ndarray:
    """Interpretation (documented): fever is not needed on a day when tocilizumab or steroids
    were given on that day or earlier *and* hypotension or oxygen support is recorded that day."""
    treated_so_far = frame.groupby("patient_id", sort=False)["_treated"].cummax().to_numpy(dtype=bool)
    signs = np.zeros(len(frame), dtype=bool)
    if "hypotension" in frame.columns:
        signs |= frame["hypotension"].to_numpy(dtype=bool)
    if "oxygen_support" in frame.columns:
        signs |= (frame["oxygen_support"] != OxygenSupport.NONE.value).to_numpy()
    return treated_so_far & signs
