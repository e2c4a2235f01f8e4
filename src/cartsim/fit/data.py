"""Fitting data: NONMEM- and Monolix-style CSV read into an immutable :class:`FitData`.

See ``docs/fitting.md`` for the accepted columns. Every error names the row (numbered as in a
spreadsheet: header = row 1, first data row = row 2), the column, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from cartsim.engine import Dose
from cartsim.errors import FitDataError, ModelError, did_you_mean
from cartsim.model import Model

from ._columns import Header, check_codes, numeric_column, read_table, resolve_header, text_column

SubjectId = int | str
DataSource = str | Path | IO[str] | pd.DataFrame


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array)
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class Subject:
    """One subject's observations (times in days) and doses; arrays are read-only.

    ``censored[i]`` marks an observation below the limit of quantification: its true value
    lies in ``(lower[i], upper[i])`` (``upper`` is the LLOQ, ``lower`` is ``-inf`` unless a
    Monolix ``limit`` column gives it). ``outputs[i]`` indexes :attr:`FitData.outputs`.
    ``rows[i]`` is the observation's row in the file (header = row 1).
    """

    id: SubjectId
    times: np.ndarray
    values: np.ndarray
    outputs: np.ndarray
    censored: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rows: np.ndarray
    doses: tuple[Dose, ...]

    @property
    def n_observations(self) -> int:
        return int(self.times.size)


@dataclass(frozen=True)
class FitData:
    """Per-subject observations, censoring, doses and covariates for one model.

    ``outputs`` are the model observables (or states) the observations measure; ``log_scale``
    tells, per output, whether observations were checked to be positive (log-scale error).
    """

    model: str
    subjects: tuple[Subject, ...]
    outputs: tuple[str, ...]
    log_scale: tuple[bool, ...]
    covariate_table: pd.DataFrame
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariate_table", self.covariate_table.copy())

    @property
    def covariates(self) -> pd.DataFrame:
        """One row per subject (index: subject id), one column per covariate (a copy)."""
        return self.covariate_table.copy()

    @property
    def ids(self) -> tuple[SubjectId, ...]:
        return tuple(s.id for s in self.subjects)

    def subject(self, subject_id: SubjectId) -> Subject:
        """The subject with this id; a clear error otherwise."""
        for subject in self.subjects:
            if subject.id == subject_id or str(subject.id) == str(subject_id):
                return subject
        known = [str(i) for i in self.ids]
        hint = did_you_mean(str(subject_id), known)
        raise FitDataError(f"no subject with ID {subject_id!r}; the data have {len(known)} subjects.{hint}")

    def __len__(self) -> int:
        return len(self.subjects)

    def table(self) -> pd.DataFrame:
        """The observations as a long table: id, time, output, value, censored, lloq, row."""
        frames = [
            pd.DataFrame(
                {
                    "id": [s.id] * s.n_observations,
                    "time": s.times,
                    "output": [self.outputs[o] for o in s.outputs],
                    "value": s.values,
                    "censored": s.censored,
                    "lloq": s.upper,
                    "row": s.rows,
                }
            )
            for s in self.subjects
        ]
        return pd.concat(frames, ignore_index=True)


def read_data(
    source: DataSource,
    model: Model | str,
    *,
    observe: str | Mapping[int, str] | None = None,
    dose_into: str | Mapping[int, str] | None = None,
    covariates: Sequence[str] = (),
    ignore: Sequence[str] = (),
    log_scale: bool | None = None,
) -> FitData:
    """Read a NONMEM- or Monolix-style data set for fitting ``model``.

    - ``observe``: the model observable (or state) DV measures, or a mapping from the CMT
      (NONMEM) or YTYPE/OBSID (Monolix) number to a name; default: the model's only observable.
    - ``dose_into``: the state AMT goes into, or a mapping from CMT/ADM number to a state;
      default: the model's declared dose state (``model(dose="...")``).
    - ``covariates``: columns kept as per-subject covariates (constant within a subject);
      ``ignore``: columns dropped. Any other unknown column is an error.
    - ``log_scale``: require DV > 0 (and LLOQ > 0); default: for outputs whose declared
      residual error is ``log_additive``.
    """
    from cartsim.models import resolve

    resolved = resolve(model)
    names, cells = read_table(source)
    header = resolve_header(names, covariates, ignore)
    rows = cells.index.to_numpy(dtype=np.int64)
    columns = _Columns(cells, header, rows)
    ids = _subject_ids(columns)
    _check_order(ids, columns.time, rows, header)
    outputs, output_index = _outputs(resolved, observe, columns)
    scales = tuple(_log_scale(resolved, name, log_scale) for name in outputs)
    observation = columns.observation_rows()
    censored, lower, upper = _censoring(columns, observation, output_index, scales)
    doses = _doses(resolved, dose_into, columns)
    subjects = []
    for subject_id in dict.fromkeys(ids):
        mine = np.array([i == subject_id for i in ids])
        kept = mine & observation
        subjects.append(
            Subject(
                id=subject_id,
                times=_frozen(columns.time[kept]),
                values=_frozen(columns.dv[kept]),
                outputs=_frozen(output_index[kept]),
                censored=_frozen(censored[kept]),
                lower=_frozen(lower[kept]),
                upper=_frozen(upper[kept]),
                rows=_frozen(rows[kept]),
                doses=tuple(d for d, m in zip(doses, mine, strict=True) if m and d is not None),
            )
        )
    table = _covariates(cells, header, ids, rows)
    where = str(source) if isinstance(source, str | Path) else type(source).__name__
    return FitData(resolved.name, tuple(subjects), outputs, scales, table, where)


class _Columns:
    """The numeric fields of the table (NaN where missing or absent), with the row numbers."""

    def __init__(self, cells: pd.DataFrame, header: Header, rows: np.ndarray):
        self.header = header
        self.rows = rows
        self.cells = cells
        nan = np.full(len(rows), math.nan)
        self.values = {f: numeric_column(cells, header, f) if f in header.fields else nan for f in header_fields() if f != "id"}
        self.time = self.values["time"]
        self.dv = self.values["dv"]
        self.amt = self.values["amt"]
        self._check_time_and_codes()
        evid = self.values["evid"]
        if "evid" in header.fields:
            self.evid = np.where(np.isnan(evid), 0.0, evid)
        else:
            self.evid = np.where(~np.isnan(self.amt) & (self.amt > 0), 1.0, 0.0)

    def has(self, field: str) -> bool:
        return field in self.header.fields

    def column(self, field: str) -> str:
        return self.header.fields.get(field, field.upper())

    def fail(self, index: int, field: str, message: str) -> FitDataError:
        return FitDataError(message, row=int(self.rows[index]), column=self.column(field))

    def _check_time_and_codes(self) -> None:
        for index in np.flatnonzero(np.isnan(self.time)):
            raise self.fail(int(index), "time", "missing time; every row needs TIME in days since the start (infusion)")
        for index in np.flatnonzero(self.time < 0):
            message = f"{self.time[index]:g} day is negative; TIME is days since the model's start (t = 0)"
            raise self.fail(int(index), "time", message)
        check_codes(self.values["evid"], self.rows, self.column("evid"), {0: "observation", 1: "dose", 2: "other, ignored"})
        check_codes(self.values["mdv"], self.rows, self.column("mdv"), {0: "DV is an observation", 1: "DV missing, row skipped"})
        blq = self.values["blq"]
        for index in np.flatnonzero(blq == -1):
            raise self.fail(int(index), "blq", "-1 (right-censored, above a limit) is not supported; allowed: 0, 1")
        check_codes(blq, self.rows, self.column("blq"), {0: "quantified", 1: "below the LLOQ"})

    def observation_rows(self) -> np.ndarray:
        """Rows that are observations: EVID 0 and MDV not 1."""
        mdv = self.values["mdv"]
        rows: np.ndarray = (self.evid == 0) & ~(mdv == 1)
        return rows


def header_fields() -> tuple[str, ...]:
    from ._columns import FIELDS

    return tuple(FIELDS)


def _subject_ids(columns: _Columns) -> list[SubjectId]:
    texts = text_column(columns.cells, columns.header, columns.header.name("id"))
    ids: list[SubjectId] = []
    for index, text in enumerate(texts):
        if text in ("", "."):
            raise columns.fail(index, "id", "missing subject ID")
        try:
            number = float(text)
            ids.append(int(number) if number.is_integer() else text)
        except ValueError:
            ids.append(text)
    return ids


def _check_order(ids: list[SubjectId], times: np.ndarray, rows: np.ndarray, header: Header) -> None:
    """Within a subject times never decrease; a subject's rows are contiguous."""
    finished: set[SubjectId] = set()
    for index in range(1, len(ids)):
        if ids[index] != ids[index - 1]:
            finished.add(ids[index - 1])
            if ids[index] in finished:
                raise FitDataError(
                    f"subject {ids[index]!r} appears again after other subjects' rows; keep each subject's rows together",
                    row=int(rows[index]),
                    column=header.name("id"),
                )
        elif times[index] < times[index - 1]:
            raise FitDataError(
                f"time {times[index]:g} day comes after {times[index - 1]:g} day (row {rows[index - 1]}) of subject "
                f"{ids[index]!r}; sort each subject's rows by TIME",
                row=int(rows[index]),
                column=header.name("time"),
            )


def _outputs(model: Model, observe: str | Mapping[int, str] | None, columns: _Columns) -> tuple[tuple[str, ...], np.ndarray]:
    """The observed model variables and each row's index among them (-1: not an observation)."""
    known = (*model.observable_names, *model.state_names)
    if observe is None:
        if len(model.observables) != 1:
            raise FitDataError(
                f"model {model.name!r} has {len(model.observables)} observables; say which one DV measures with "
                f"`observe=` (a name, or a mapping from CMT/YTYPE number to a name): {', '.join(known)}"
            )
        observe = model.observable_names[0]
    mapping: dict[int, str] = {} if isinstance(observe, str) else dict(observe)
    for name in [observe] if isinstance(observe, str) else mapping.values():
        if name not in known:
            raise FitDataError(f"`observe` names {name!r}, which model {model.name!r} does not have.{did_you_mean(name, known)}")
    outputs = (observe,) if isinstance(observe, str) else tuple(dict.fromkeys(mapping.values()))
    index = np.full(len(columns.rows), -1, dtype=np.int64)
    observation = columns.observation_rows()
    if isinstance(observe, str):
        index[observation] = 0
        return outputs, index
    selector = "ytype" if columns.has("ytype") else "cmt"
    if not columns.has(selector):
        raise FitDataError("`observe` is a mapping by number but the data have no CMT or YTYPE column", row=1, column="CMT")
    codes = columns.values[selector]
    for i in np.flatnonzero(observation):
        code = codes[i]
        if math.isnan(code) or int(code) not in mapping:
            allowed = ", ".join(str(k) for k in mapping)
            raise columns.fail(int(i), selector, f"{code:g} is not mapped to a model output; `observe` maps {allowed}")
        index[i] = outputs.index(mapping[int(code)])
    return outputs, index


def _log_scale(model: Model, name: str, log_scale: bool | None) -> bool:
    if log_scale is not None:
        return bool(log_scale)
    for observable in model.observables:
        if observable.name == name and observable.error is not None:
            return observable.error.kind == "log_additive"
    return False


def _censoring(
    columns: _Columns, observation: np.ndarray, output_index: np.ndarray, scales: tuple[bool, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Censoring flags and the (lower, upper) interval of each censored observation."""
    dv, lloq, limit, blq = columns.dv, columns.values["lloq"], columns.values["limit"], columns.values["blq"]
    if columns.has("blq"):
        censored = observation & (blq == 1)
    else:
        censored = observation & ~np.isnan(lloq) & (np.isnan(dv) | (dv < lloq))
    upper = np.where(censored, np.where(np.isnan(lloq), dv, lloq), math.nan)
    lower = np.where(censored & ~np.isnan(limit), limit, -math.inf)
    for i in np.flatnonzero(observation):
        positive = scales[output_index[i]]
        if censored[i]:
            if math.isnan(upper[i]):
                raise columns.fail(int(i), "blq", "censored observation without a limit: give LLOQ, or the limit in DV")
            if positive and upper[i] <= 0:
                raise columns.fail(int(i), "lloq", f"LLOQ {upper[i]:g} must be > 0 for a log-scale error model")
            if lower[i] >= upper[i]:
                raise columns.fail(int(i), "limit", f"lower limit {lower[i]:g} must be below the LLOQ {upper[i]:g}")
        elif math.isnan(dv[i]):
            raise columns.fail(
                int(i), "dv", "observation row has no DV; set MDV=1 to skip the row, or BLQ=1 with an LLOQ if it was below it"
            )
        elif positive and dv[i] <= 0:
            raise columns.fail(
                int(i), "dv", f"{dv[i]:g} must be > 0 for a log-scale error model; mark values below the LLOQ with BLQ=1"
            )
    return censored, lower, upper


def _doses(model: Model, dose_into: str | Mapping[int, str] | None, columns: _Columns) -> list[Dose | None]:
    """A :class:`Dose` for each dose row (EVID 1), None for the other rows."""
    doses: list[Dose | None] = [None] * len(columns.rows)
    dose_rows = np.flatnonzero(columns.evid == 1)
    if dose_rows.size == 0:
        return doses
    selector = "adm" if columns.has("adm") else "cmt"
    for i in dose_rows:
        amount = columns.amt[i]
        if not columns.has("amt"):
            raise columns.fail(int(i), "amt", "dose row (EVID=1) but the data set has no AMT column")
        if math.isnan(amount):
            raise columns.fail(int(i), "amt", "dose row (EVID=1) without an amount; AMT is in the dosed state's unit")
        if amount < 0:
            raise columns.fail(int(i), "amt", f"dose amount {amount:g} is negative; it must be >= 0")
        state = _dose_state(model, dose_into, columns, int(i), selector)
        doses[i] = Dose(state, float(amount), float(columns.time[i]))
    return doses


def _dose_state(model: Model, dose_into: str | Mapping[int, str] | None, columns: _Columns, i: int, selector: str) -> str:
    if dose_into is None:
        if not model.dose or model.dose not in model.state_names:
            raise columns.fail(
                i, "amt", f"dose row, but model {model.name!r} declares no dose state; pass `dose_into=` a state name"
            )
        name = model.dose
    elif isinstance(dose_into, str):
        name = dose_into
    else:
        code = columns.values[selector][i]
        if math.isnan(code) or int(code) not in dose_into:
            allowed = ", ".join(str(k) for k in dose_into)
            raise columns.fail(i, selector, f"{code:g} is not mapped to a dosed state; `dose_into` maps {allowed}")
        name = dose_into[int(code)]
    try:
        state = model.state(name)
    except ModelError as error:
        raise columns.fail(i, "amt", str(error)) from None
    if not state.dosable:
        raise columns.fail(i, "amt", f"model {model.name!r} does not accept doses into state {name!r} (declared dose=False)")
    return name


def _covariates(cells: pd.DataFrame, header: Header, ids: list[SubjectId], rows: np.ndarray) -> pd.DataFrame:
    """One row per subject; a covariate that changes within a subject fails at the row it changes."""
    frame = pd.DataFrame(index=pd.Index(list(dict.fromkeys(ids)), name="id"))
    for name in header.covariates:
        texts = text_column(cells, header, name)
        first: dict[SubjectId, str] = {}
        for index, (subject, text) in enumerate(zip(ids, texts, strict=True)):
            if first.setdefault(subject, text) != text:
                raise FitDataError(
                    f"covariate changes within subject {subject!r} ({first[subject]!r} -> {text!r}); time-varying "
                    "covariates are not supported",
                    row=int(rows[index]),
                    column=name,
                )
        values = pd.Series([first[s] for s in frame.index], index=frame.index)
        numeric = pd.to_numeric(values, errors="coerce")
        frame[name] = numeric if numeric.notna().all() else values
    return frame
