"""Columns of a fitting data set: NONMEM and Monolix names, header checks, cell parsing.

Rows are numbered as in a spreadsheet: the header is row 1, the first data row is row 2
(so a row number is also the line number in the CSV file when it has no blank lines).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsim.errors import FitDataError, did_you_mean

#: Each field the reader understands and the column names (case-insensitive) that mean it:
#: NONMEM's first, then Monolix's.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "time": ("time",),
    "dv": ("dv", "y", "observation"),
    "amt": ("amt", "amount"),
    "evid": ("evid",),
    "mdv": ("mdv",),
    "cmt": ("cmt",),
    "ytype": ("ytype", "obsid"),
    "adm": ("adm", "admid"),
    "lloq": ("lloq", "loq"),
    "blq": ("blq", "bql", "cens", "censored"),
    "limit": ("limit",),
}
REQUIRED = ("id", "time", "dv")
#: Cells that mean "no value" (NONMEM writes a dot).
MISSING = {"", ".", "nan", "NaN", "NA", "na"}


@dataclass(frozen=True)
class Header:
    """The header resolved: the file's column name of each field present, and the covariates."""

    fields: dict[str, str]
    covariates: tuple[str, ...]
    positions: dict[str, int]

    def name(self, field: str) -> str:
        """The column name as written in the file (for messages)."""
        return self.fields[field]


def resolve_header(names: Sequence[str], covariates: Sequence[str], ignore: Sequence[str]) -> Header:
    """Match the header to the known fields; unknown, duplicate or missing columns fail (row 1)."""
    alias = {a: field for field, aliases in FIELDS.items() for a in aliases}
    wanted_covariates = {c.lower(): c for c in covariates}
    ignored = {c.lower() for c in ignore}
    seen: dict[str, tuple[str, int]] = {}
    fields: dict[str, str] = {}
    found_covariates: list[str] = []
    positions: dict[str, int] = {}
    for position, raw in enumerate(names, start=1):
        name = raw.strip().lstrip("#").strip()
        key = name.lower()
        if not name:
            raise FitDataError(f"column {position} has no name", row=1, column=f"#{position}")
        if key in seen:
            raise FitDataError(
                f"duplicate column: {name!r} (column {position}) repeats {seen[key][0]!r} (column {seen[key][1]})",
                row=1,
                column=name,
            )
        seen[key] = (name, position)
        positions[name] = position - 1
        if key in ignored:
            continue
        if key in wanted_covariates:
            found_covariates.append(name)
            continue
        field = alias.get(key)
        if field is None:
            known = [a.upper() for aliases in FIELDS.values() for a in aliases] + list(covariates)
            hint = did_you_mean(name.upper(), known, code=True) or (
                " Declare covariate columns with `covariates=[...]` or drop columns with `ignore=[...]`."
            )
            raise FitDataError(f"unknown column {name!r}.{hint}", row=1, column=name)
        if field in fields:
            raise FitDataError(
                f"columns {fields[field]!r} and {name!r} both give the {field.upper()} field; keep one", row=1, column=name
            )
        fields[field] = name
    for field in REQUIRED:
        if field not in fields:
            aliases = " or ".join(repr(a.upper()) for a in FIELDS[field])
            raise FitDataError(
                f"required column {field.upper()} is missing (accepted names: {aliases}); the header has "
                f"{', '.join(repr(n) for n in names)}",
                row=1,
                column=field.upper(),
            )
    for covariate in covariates:
        if covariate.lower() not in seen:
            raise FitDataError(
                f"covariate column {covariate!r} is not in the header.{did_you_mean(covariate, [n for n, _ in seen.values()])}",
                row=1,
                column=covariate,
            )
    return Header(fields, tuple(found_covariates), positions)


def read_table(source: object) -> tuple[list[str], pd.DataFrame]:
    """The header and the cells (as strings) of a CSV path, text buffer or DataFrame.

    The returned frame's index is the spreadsheet row number of each data row; blank lines
    are dropped but keep their numbers counted.
    """
    if isinstance(source, pd.DataFrame):
        header = [str(c) for c in source.columns]
        cells = source.astype(str).copy()
        cells.columns = pd.Index(range(len(header)))
        cells.index = pd.RangeIndex(2, 2 + len(cells))
        return header, cells.replace({"None": ""})
    try:
        raw = pd.read_csv(source, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False)  # type: ignore[call-overload]
    except pd.errors.EmptyDataError:
        raise FitDataError("the data set is empty: it needs a header row and at least one data row", row=1) from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise FitDataError(f"cannot read the data set as CSV: {error}") from None
    raw.index = pd.RangeIndex(1, 1 + len(raw))
    header = [str(v) for v in raw.iloc[0]]
    cells = raw.iloc[1:]
    blank = cells.apply(lambda row: all(str(v).strip() == "" for v in row), axis=1)
    cells = cells[~blank]
    if cells.empty:
        raise FitDataError("the data set has a header but no data rows", row=2)
    return header, cells


def numeric_column(cells: pd.DataFrame, header: Header, field: str) -> np.ndarray:
    """A field's cells as floats (NaN for missing); a non-number fails with its row."""
    column = cells[header.positions[header.name(field)]]
    values = np.empty(len(column))
    for index, (row, text) in enumerate(column.items()):
        cell = str(text).strip()
        if cell in MISSING:
            values[index] = math.nan
            continue
        try:
            values[index] = float(cell)
        except ValueError:
            raise FitDataError(f"{cell!r} is not a number", row=int(str(row)), column=header.name(field)) from None
        if not math.isfinite(values[index]):
            raise FitDataError(f"{cell!r} is not a finite number", row=int(str(row)), column=header.name(field))
    return values


def text_column(cells: pd.DataFrame, header: Header, name: str) -> list[str]:
    """A column's cells as stripped strings."""
    return [str(v).strip() for v in cells[header.positions[name]]]


def check_codes(values: np.ndarray, rows: np.ndarray, column: str, allowed: dict[float, str]) -> None:
    """Every non-missing value must be one of ``allowed`` (code -> meaning)."""
    bad = ~np.isnan(values) & ~np.isin(values, list(allowed))
    if bad.any():
        index = int(np.argmax(bad))
        meanings = ", ".join(f"{code:g} ({meaning})" for code, meaning in allowed.items())
        raise FitDataError(f"{values[index]:g} is not allowed; allowed: {meanings}", row=int(rows[index]), column=column)
