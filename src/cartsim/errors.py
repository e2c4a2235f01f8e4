"""Exceptions raised by cartsim.

The hierarchy (catch ``CartsimError`` to catch them all)::

    CartsimError
    ├── ModelSyntaxError     the model text does not parse, or uses something not allowed
    ├── ModelError           the model parses but is inconsistent (unknown symbol, ...)
    ├── ParameterError       a parameter value is outside its allowed range or not finite
    ├── DoseError            a dose targets an unknown or non-dosable state, or is invalid
    ├── SimulationError      the simulation request itself is invalid (times, tolerances)
    ├── ClinicalDataError    clinical inputs are invalid: grading records, response
    │                        assessments, NCA samples, survival times (also a ValueError)
    ├── FitDataError         a fitting data set (NONMEM/Monolix CSV) is malformed; the message
    │                        names the row (as in a spreadsheet) and the column (also a ValueError)
    ├── FitError             a fit request is invalid: unknown parameter, bad bounds or error
    │                        model (also a ValueError)
    └── ProductError         a product preset request is invalid: unknown product or
                             indication, a physically impossible dose (also a ValueError)

Warnings: ``LabelWarning`` (a UserWarning) when a dose lies outside the product's label.

Every message names the field, the value, the unit and the allowed range where they apply.
A patient whose integration fails is *not* an exception: it is flagged in the result's
``status`` variable so that one bad patient never stops a population run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CartsimError(Exception):
    """Base class of every error cartsim raises on purpose."""


class ModelSyntaxError(CartsimError):
    """The model text is malformed or uses a construct outside the whitelist."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.line = line
        self.column = column
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(where + message)


class ModelError(CartsimError):
    """The model parses but is not a consistent model."""


class ParameterError(CartsimError):
    """A parameter value is invalid (not finite, outside its bounds, unknown name)."""


class DoseError(CartsimError):
    """A dose is invalid or targets a state that cannot be dosed."""


class SimulationError(CartsimError):
    """The simulation request is invalid (output times, tolerances, patient count)."""


class ClinicalDataError(CartsimError, ValueError):
    """Clinical data are invalid: a value out of range, a wrong order, an unknown category."""


class FitDataError(CartsimError, ValueError):
    """A fitting data set is malformed: the message names the row, the column, the value and what is allowed."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        self.row = row
        self.column = column
        where = ""
        if row is not None:
            where = f"row {row}" + (f", column `{column}`" if column is not None else "") + ": "
        elif column is not None:
            where = f"column `{column}`: "
        super().__init__(where + message)


class FitError(CartsimError, ValueError):
    """A fit request is invalid (unknown parameter, bounds, error model, options)."""


class ProductError(CartsimError, ValueError):
    """A product request is invalid: unknown product or indication, impossible dose or covariate."""


class LabelWarning(UserWarning):
    """A dose is possible but outside the product's labelled dose (off-label use)."""


def did_you_mean(name: str, known: Iterable[str], *, code: bool = False) -> str:
    """`` Did you mean 'x'?`` for the closest known name (backquoted with ``code``), or ""."""
    hint = difflib.get_close_matches(str(name), list(known), n=1)
    if not hint:
        return ""
    return f" Did you mean `{hint[0]}`?" if code else f" Did you mean {hint[0]!r}?"
