"""A corpus of bad input: every item must be rejected with a clear message before any simulation starts.

Three families, each a parametrized table whose ids say what is wrong:

- ``MODEL_CASES``: malformed model texts for :func:`cartsim.parse_model` (Python syntax errors,
  code injection, constructs outside the whitelist, inconsistent declarations, bad annotations).
- ``SIMULATE_CASES`` and ``DOSE_CASES``: bad arguments to :func:`cartsim.simulate` and
  :class:`cartsim.Dose`.
- ``CLI_CASES``: bad arguments to ``cartsim simulate``; each exits with status 2 and one
  ``error:`` line on stderr, never a traceback.

Each case names the exception class and a regex on the part of the message that says what is
wrong (field, value, allowed range); cases where the parser reports a position also check
``error.line``. An autouse fixture replaces the kernel loader, so a case that slips through
validation fails at once with :class:`SimulationStarted` instead of compiling a kernel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import cartsim
import cartsim.engine._solve as solve_module
from cartsim.cli import app

# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------

#: The valid one-state model every simulate/dose case runs against.
TINY_TEXT = """
model(name="tiny")
elimination_rate = 0.1 | unit="1/day", lower=0, upper=1
d/dt(drug) = -elimination_rate * drug | unit="mg"
drug(0) = 1
"""

#: The smallest time grid that still has a start and an end.
TIMES = [0.0, 1.0]


class SimulationStarted(Exception):
    """Raised instead of loading a kernel: the input got past validation."""


@pytest.fixture(autouse=True)
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail fast (and without compiling) if any case reaches the solver."""

    def refuse(model: cartsim.Model) -> ModuleType:
        raise SimulationStarted(f"bad input was not rejected: the kernel of model {model.name!r} was requested")

    monkeypatch.setattr(solve_module, "load_kernel", refuse)


@pytest.fixture(scope="module")
def tiny() -> cartsim.Model:
    return cartsim.parse_model(TINY_TEXT)


def test_the_tiny_model_is_valid(tiny: cartsim.Model) -> None:
    """Every case below changes one thing in a valid input; the valid input itself parses."""
    assert tiny.parameter_names == ("elimination_rate",)
    assert tiny.state_names == ("drug",)
    assert cartsim.parse_model(rhs("-k * x")).state_names == ("x",)


# --------------------------------------------------------------------------------------------
# Malformed model texts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadModel:
    """A model text, the error it must raise, and where."""

    id: str
    text: Any  # almost always a str; one case passes something else
    error: type[cartsim.CartsimError]
    match: str
    line: int | None = None


def rhs(expression: str) -> str:
    """A one-parameter, one-state model whose derivative (on line 2) is ``expression``."""
    return f"k = 0.1\nd/dt(x) = {expression}\n"


SYNTAX = cartsim.ModelSyntaxError
MODEL = cartsim.ModelError
WHITELIST = r"is not allowed; allowed are numbers, names"

MODEL_CASES = [
    # --- Python syntax errors and unreadable lines
    BadModel("python-syntax-unclosed-paren", rhs("-k * (x"), SYNTAX, r"invalid expression: '\(' was never closed", 2),
    BadModel("python-syntax-double-operator", rhs("-k * * x"), SYNTAX, r"invalid expression: invalid syntax", 2),
    BadModel("python-statement-after-semicolon", "k = 0.1; import os\nd/dt(x) = -k * x\n", SYNTAX, r"invalid expression", 1),
    BadModel(
        "line-is-not-a-declaration", "k = 0.1\nhello world\nd/dt(x) = -k * x\n", SYNTAX, r"cannot read `hello world`: expected", 2
    ),
    BadModel("indented-declaration", "k = 0.1\n  d/dt(x) = -k * x\n", SYNTAX, r"must start at the beginning of the line", 2),
    BadModel("missing-expression", "k =\nd/dt(x) = -k * x\n", SYNTAX, r"missing expression after `=`", 1),
    BadModel("unterminated-string", 'k = 0.1 | unit="1/day\nd/dt(x) = -k * x\n', SYNTAX, r"unterminated string", 1),
    BadModel("text-is-not-a-string", 42, SYNTAX, r"model text must be a string, got int"),
    # --- empty models
    BadModel("empty-text", "", SYNTAX, r"the model text is empty"),
    BadModel("whitespace-only-text", "   \n\t\n  \n", SYNTAX, r"the model text is empty"),
    BadModel("comments-only-text", "# a model\n# nothing here\n", SYNTAX, r"the model text is empty"),
    BadModel("no-state-declared", "k = 0.1\nrate = 2 * k\n", MODEL, r"declares no state: add at least one `d/dt\(state\)"),
    # --- code injection and constructs outside the whitelist
    BadModel("dunder-import-os", rhs("__import__('os')"), SYNTAX, r"unknown function `__import__`", 2),
    BadModel("attribute-os-system", rhs("-k * os.system"), SYNTAX, r"attribute access \(`a\.b`\) " + WHITELIST, 2),
    BadModel("attribute-call-os-system", rhs("os.system('ls')"), SYNTAX, r"only the functions abs, exp, .* may be called", 2),
    BadModel("attribute-chain-a-b-c", rhs("-k * a.b.c"), SYNTAX, r"attribute access \(`a\.b`\) " + WHITELIST, 2),
    BadModel("subscript", rhs("-k * x[0]"), SYNTAX, r"subscripting \(`a\[i\]`\) " + WHITELIST, 2),
    BadModel("lambda", rhs("lambda y: k * y"), SYNTAX, r"`lambda` " + WHITELIST, 2),
    BadModel("lambda-called", rhs("(lambda: k)()"), SYNTAX, r"only the functions abs, exp, .* may be called", 2),
    BadModel("walrus", rhs("(y := k)"), SYNTAX, r"`:=` " + WHITELIST, 2),
    BadModel("list-literal", rhs("[k, x]"), SYNTAX, r"a list " + WHITELIST, 2),
    BadModel("modulo-operator", rhs("-k * x % 2"), SYNTAX, r"the operator `%` " + WHITELIST, 2),
    BadModel("is-comparison", rhs("-k * x if x is k else 0"), SYNTAX, r"the comparison `is` is not allowed", 2),
    BadModel("unknown-function-sin", rhs("-k * sin(x)"), SYNTAX, r"unknown function `sin`; allowed functions are abs, exp", 2),
    BadModel("unknown-function-eval", rhs("eval('-k * x')"), SYNTAX, r"unknown function `eval`", 2),
    BadModel("function-used-as-a-name", rhs("-exp * k * x"), SYNTAX, r"`exp` is a function; call it as `exp\(\.\.\.\)`", 2),
    BadModel("caret-is-not-power", rhs("-k * x ^ 2"), SYNTAX, r"`\^` is not a power here; write `a \*\* b`", 2),
    BadModel("f-string-value", rhs("f'{k}'"), SYNTAX, r"an f-string " + WHITELIST, 2),
    BadModel("string-value", "k = '0.1'\nd/dt(x) = -k * x\n", SYNTAX, r"the constant '0\.1' is not allowed; only numbers are", 1),
    BadModel("bool-value", "k = True\nd/dt(x) = -k * x\n", SYNTAX, r"the constant True is not allowed; only numbers are", 1),
    BadModel("keyword-argument", rhs("-exp(x=k) * x"), SYNTAX, r"`exp` takes no keyword arguments", 2),
    BadModel(
        "arity-exp-two-arguments",
        "a = 0.1\nb = 0.2\nd/dt(x) = -exp(a, b) * x\n",
        SYNTAX,
        r"`exp` takes 1 argument\(s\), got 2",
        3,
    ),
    BadModel("arity-max-one-argument", rhs("-max(k) * x"), SYNTAX, r"`max` takes at least 2 argument\(s\), got 1", 2),
    # --- comparisons used as numbers
    BadModel("comparison-as-derivative", rhs("k < x"), SYNTAX, r"the expression is a condition, not a number", 2),
    BadModel("comparison-plus-number", rhs("(x > k) + 1"), SYNTAX, r"condition|comparison", 2),
    BadModel("comparison-inside-max", rhs("max(k < 1, x)"), SYNTAX, r"condition|comparison", 2),
    BadModel("comparison-inside-log", rhs("log(k < 1) * x"), SYNTAX, r"condition|comparison", 2),
    BadModel("comparison-as-if-branch", rhs("(k < 1) if t < 1 else -x"), SYNTAX, r"condition|comparison", 2),
    # --- names
    BadModel("undefined-name", rhs("-kk * x"), MODEL, r"line 2, column 12: unknown symbol `kk`.* Did you mean `k`\?"),
    BadModel("reserved-name-t", "t = 3\nd/dt(x) = -x\n", SYNTAX, r"`t` is reserved and cannot be declared", 1),
    BadModel("reserved-name-exp", "exp = 3\nd/dt(x) = -x\n", SYNTAX, r"`exp` is reserved and cannot be declared", 1),
    BadModel("reserved-name-t-as-state", "k = 0.1\nd/dt(t) = -k\n", SYNTAX, r"`t` is reserved and cannot be declared", 2),
    BadModel(
        "leading-underscore-declared", "_k = 0.1\nd/dt(x) = -x\n", SYNTAX, r"names may not start with an underscore: `_k`", 1
    ),
    BadModel(
        "leading-underscore-used", rhs("-_k * k * x"), SYNTAX, r"names starting with an underscore are not allowed: `_k`", 2
    ),
    BadModel(
        "dunder-name-declared", "__k__ = 0.1\nd/dt(x) = -x\n", SYNTAX, r"names may not start with an underscore: `__k__`", 1
    ),
    BadModel("dunder-name-used", rhs("-__builtins__ * k * x"), SYNTAX, r"not allowed: `__builtins__`", 2),
    BadModel("dunder-state", "k = 0.1\nd/dt(__x) = -k\n", SYNTAX, r"names may not start with an underscore: `__x`", 2),
    # --- not finite or not real
    BadModel("nan-default-is-unknown-symbol", "k = nan\nd/dt(x) = -k * x\n", MODEL, r"unknown symbol `nan`"),
    BadModel("inf-default-is-unknown-symbol", "k = inf\nd/dt(x) = -k * x\n", MODEL, r"unknown symbol `inf`"),
    BadModel("overflowing-default-1e999", "k = 1e999\nd/dt(x) = -k * x\n", SYNTAX, r"is not finite", 1),
    BadModel("overflowing-default-minus-1e999", "k = -1e999\nd/dt(x) = -k * x\n", SYNTAX, r"is not finite", 1),
    BadModel("overflowing-integer-default", "k = " + "9" * 400 + "\nd/dt(x) = -k * x\n", SYNTAX, r"not finite", 1),
    BadModel("overflow-in-expression", rhs("-k * x * 1e300 * 1e300"), SYNTAX, r"not finite", 2),
    BadModel("division-by-zero", rhs("-k * x / 0"), SYNTAX, r"not finite \(division by zero or overflow\)", 2),
    BadModel("complex-value-sqrt-of-minus-one", rhs("-k * x + sqrt(-1)"), SYNTAX, r"complex|not real|imaginary", 2),
    # --- duplicates and inconsistent declarations
    BadModel(
        "duplicate-parameter", "k = 0.1\nk = 0.2\nd/dt(x) = -k * x\n", SYNTAX, r"`k` is assigned twice \(first on line 1\)", 2
    ),
    BadModel("duplicate-derivative", rhs("-k * x") + "d/dt(x) = k\n", SYNTAX, r"`x` is given a derivative twice", 3),
    BadModel("name-is-state-and-parameter", "k = 0.1\nx = 2\nd/dt(x) = -k * x\n", SYNTAX, r"`x` is declared both as a state", 2),
    BadModel(
        "duplicate-header",
        "model(name='a')\nmodel(name='b')\n" + rhs("-k * x"),
        SYNTAX,
        r"`model\(\.\.\.\)` is declared twice",
        2,
    ),
    BadModel("parameter-never-used", "k = 0.1\nj = 0.2\nd/dt(x) = -k * x\n", MODEL, r"line 2: parameter `j` is never used"),
    BadModel(
        "initial-value-without-derivative",
        rhs("-k * x") + "y(0) = 1\n",
        MODEL,
        r"line 3: state `y` has an initial value but no derivative; add `d/dt\(y\) = \.\.\.`",
    ),
    BadModel(
        "initial-value-uses-a-state",
        rhs("-k * x") + "d/dt(y) = -k * y\ny(0) = 2 * x\n",
        MODEL,
        r"the initial value of `y` may use only parameters, not `x`",
    ),
    BadModel(
        "initial-value-uses-time", rhs("-k * x") + "x(0) = 2 * t\n", MODEL, r"the initial value of `x` cannot depend on `t`"
    ),
    BadModel(
        "cycle-between-intermediates", "k = 0.1\na = b * k\nb = a + x\nd/dt(x) = -a * x\n", MODEL, r"in a cycle: a -> b -> a"
    ),
    BadModel("intermediate-refers-to-itself", "k = 0.1\na = a * k + x\nd/dt(x) = -a * x\n", MODEL, r"in a cycle: a -> a"),
    BadModel(
        "time-switch-on-a-state",
        rhs("-k * x if t < x else 0"),
        MODEL,
        r"line 2, column 21: a switch time compared with `t` may use only parameters.* it uses `x`",
    ),
    BadModel(
        "time-switch-on-a-state-via-intermediate",
        "k = 0.1\nlimit = 2 * x\nd/dt(x) = -k * x if t < limit else 0\n",
        MODEL,
        r"a switch time compared with `t` may use only parameters.* it uses `x`",
    ),
    # --- parameter bounds
    BadModel(
        "default-below-lower-bound",
        'k = -0.1 | unit="1/day", lower=0\nd/dt(x) = -k * x\n',
        SYNTAX,
        r"parameter `k` default -0\.1 1/day is outside its allowed range \[0, inf\] 1/day",
        1,
    ),
    BadModel(
        "default-above-upper-bound",
        'k = 5 | unit="1/day", upper=1\nd/dt(x) = -k * x\n',
        SYNTAX,
        r"parameter `k` default 5 1/day is outside its allowed range \[-inf, 1\] 1/day",
        1,
    ),
    BadModel(
        "lower-equals-upper",
        "k = 1 | lower=1, upper=1\nd/dt(x) = -k * x\n",
        SYNTAX,
        r"`k`: lower bound 1 is not below upper bound 1",
        1,
    ),
    BadModel(
        "lower-above-upper",
        "k = 1 | lower=2, upper=0\nd/dt(x) = -k * x\n",
        SYNTAX,
        r"`k`: lower bound 2 is not below upper bound 0",
        1,
    ),
    BadModel("bound-is-a-string", "k = 0.1 | lower='0'\nd/dt(x) = -k * x\n", SYNTAX, r"`lower` must be a number, got '0'", 1),
    # --- IIV
    BadModel(
        "omega-and-omega2-both-given",
        "k = 0.1 | omega=0.3, omega2=0.09\nd/dt(x) = -k * x\n",
        SYNTAX,
        r"`k`: give either `omega` \(SD of eta\) or `omega2` \(variance of eta\), not both",
        1,
    ),
    BadModel("iiv-on-negative-default", "k = -0.1 | omega=0.3\nd/dt(x) = -k * x\n", SYNTAX, r"`k` has log-normal IIV", 1),
    BadModel(
        "iiv-on-negative-default-and-lower",
        "k = -0.1 | omega=0.3, lower=-1\nd/dt(x) = -k * x\n",
        SYNTAX,
        r"`k` has log-normal IIV, so its default and lower bound must be positive \(default -0\.1",
        1,
    ),
    BadModel("iiv-on-zero-default", "k = 0 | omega2=0.09\nd/dt(x) = -k * x\n", SYNTAX, r"`k` has log-normal IIV", 1),
    BadModel(
        "negative-omega",
        "k = 0.1 | omega=-0.3\nd/dt(x) = -k * x\n",
        SYNTAX,
        r"`omega` must be a finite number >= 0, got -0\.3",
        1,
    ),
    # --- annotations
    BadModel(
        "unknown-annotation-key",
        'k = 0.1 | unti="1/day"\nd/dt(x) = -k * x\n',
        SYNTAX,
        r"unknown annotation `unti` for a parameter; allowed: .* Did you mean `unit`\?",
        1,
    ),
    BadModel(
        "unknown-state-annotation-key",
        rhs("-k * x | dosable=False"),
        SYNTAX,
        r"unknown annotation `dosable` for a state; .* Did you mean `dose`\?",
        2,
    ),
    BadModel("unknown-header-key", "model(nam='m')\n" + rhs("-k * x"), SYNTAX, r"unknown annotation `nam` for a header", 1),
    BadModel(
        "non-literal-annotation-call",
        "k = 0.1 | unit=foo()\nd/dt(x) = -k * x\n",
        SYNTAX,
        r"`unit` must be a literal \(a number, a quoted string, True or False\)",
        1,
    ),
    BadModel("non-literal-annotation-name", "k = 0.1 | unit=day\nd/dt(x) = -k * x\n", SYNTAX, r"`unit` must be a literal", 1),
    BadModel("non-literal-header", "model(name=foo())\n" + rhs("-k * x"), SYNTAX, r"`name` must be a literal", 1),
    BadModel("empty-annotation", "k = 0.1 |\nd/dt(x) = -k * x\n", SYNTAX, r"empty annotation after `\|`", 1),
    BadModel(
        "annotation-key-twice",
        "k = 0.1 | unit='a', unit='b'\nd/dt(x) = -k * x\n",
        SYNTAX,
        r"`unit` is given twice in the annotation",
        1,
    ),
    BadModel("flag-is-not-a-bool", rhs("-k * x | dose='no'"), SYNTAX, r"`dose` must be True or False, got 'no'", 2),
    BadModel(
        "residual-error-on-non-observable",
        rhs("-k * x") + "y = 2 * x | error='additive', error_sd=0.1\n",
        SYNTAX,
        r"residual `error` is declared only on an observable",
        3,
    ),
    BadModel(
        "residual-error-without-sd",
        rhs("-k * x") + "y = 2 * x | observable=True, error='additive'\n",
        SYNTAX,
        r"`error_sd` must be given with `error`",
        3,
    ),
    BadModel(
        "unknown-residual-error-kind",
        rhs("-k * x") + "y = 2 * x | observable=True, error='multiplicative', error_sd=0.1\n",
        SYNTAX,
        r"`error` must be one of log_additive, additive, proportional, got 'multiplicative'",
        3,
    ),
    BadModel(
        "model-method-unknown",
        "model(name='m', method='rk4')\n" + rhs("-k * x"),
        SYNTAX,
        r"model `method` must be one of 'auto', 'explicit', 'stiff', got 'rk4'",
    ),
    BadModel(
        "model-name-with-space",
        "model(name='a b')\n" + rhs("-k * x"),
        SYNTAX,
        r"model name 'a b' may contain only letters, digits and underscores",
    ),
]


def _model_params(cases: list[BadModel]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


def test_model_case_ids_are_unique() -> None:
    ids = [case.id for case in MODEL_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", _model_params(MODEL_CASES))
def test_bad_model_text_is_rejected(case: BadModel) -> None:
    with pytest.raises(case.error, match=case.match) as caught:
        cartsim.parse_model(case.text)
    assert isinstance(caught.value, cartsim.CartsimError)
    message = str(caught.value)
    assert "\n" not in message, "an error message is one line"
    if case.line is not None:
        assert isinstance(caught.value, cartsim.ModelSyntaxError)
        assert caught.value.line == case.line, message
        assert message.startswith(f"line {case.line}"), message


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        pytest.param(rhs("-k * a.b.c"), 2, 16, id="attribute-chain"),
        pytest.param(rhs("-k * sin(x)"), 2, 16, id="unknown-function"),
        pytest.param("t = 3\nd/dt(x) = -x\n", 1, 1, id="reserved-name"),
        pytest.param("k = 0.1 | unit=foo()\nd/dt(x) = -k * x\n", 1, 16, id="non-literal-annotation"),
        pytest.param("k = 0.1\nd/dt(__x) = -k\n", 2, 6, id="dunder-state"),
    ],
)
def test_syntax_error_points_at_the_offending_column(text: str, line: int, column: int) -> None:
    with pytest.raises(cartsim.ModelSyntaxError) as caught:
        cartsim.parse_model(text)
    assert (caught.value.line, caught.value.column) == (line, column), str(caught.value)


# --------------------------------------------------------------------------------------------
# Bad arguments to simulate() and Dose
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadCall:
    """A call that must raise ``error`` with a message matching ``match``."""

    id: str
    call: Callable[[cartsim.Model], object]
    error: type[cartsim.CartsimError]
    match: str


def _simulate(**kwargs: Any) -> Callable[[cartsim.Model], object]:
    """``simulate(tiny, times=TIMES, **kwargs)``; ``model=`` replaces the tiny model."""

    def call(tiny: cartsim.Model) -> object:
        arguments: dict[str, Any] = {"times": TIMES, **kwargs}
        model = arguments.pop("model", tiny)
        return cartsim.simulate(model, **arguments)

    return call


def _dose(*args: Any, **kwargs: Any) -> Callable[[cartsim.Model], object]:
    return lambda _tiny: cartsim.Dose(*args, **kwargs)


SIM = cartsim.SimulationError
PAR = cartsim.ParameterError
DOSE = cartsim.DoseError

SIMULATE_CASES = [
    # Negative times are allowed on purpose: lymphodepletion runs from day -5 before infusion.
    BadCall("times-nan", _simulate(times=[0.0, math.nan]), SIM, r"`times` must be finite \(no NaN or infinity\)"),
    BadCall("times-infinite", _simulate(times=[0.0, math.inf]), SIM, r"`times` must be finite"),
    BadCall("times-unsorted", _simulate(times=[0.0, 2.0, 1.0]), SIM, r"`times` must be strictly increasing"),
    BadCall("times-repeated", _simulate(times=[0.0, 1.0, 1.0]), SIM, r"`times` must be strictly increasing"),
    BadCall("times-empty", _simulate(times=[]), SIM, r"`times` must be a non-empty 1-D sequence of days, got shape \(0,\)"),
    BadCall(
        "times-two-dimensional", _simulate(times=[[0.0, 1.0]]), SIM, r"`times` must be a non-empty 1-D sequence .* shape \(1, 2\)"
    ),
    BadCall("times-not-numbers", _simulate(times=["day one"]), SIM, r"`times` must be a sequence of numbers"),
    BadCall("n-patients-zero", _simulate(n_patients=0), SIM, r"`n_patients` must be an integer >= 1, got 0"),
    BadCall("n-patients-fractional", _simulate(n_patients=2.5), SIM, r"`n_patients` must be an integer >= 1, got 2\.5"),
    BadCall("patient-ids-repeated", _simulate(patient_ids=[3, 3]), SIM, r"`patient_ids` must be distinct non-negative integers"),
    BadCall("seed-negative", _simulate(seed=-1), SIM, r"`seed` must be a non-negative integer or None, got -1"),
    BadCall("seed-fractional", _simulate(seed=1.5), SIM, r"`seed` must be a non-negative integer or None, got 1\.5"),
    BadCall("rtol-zero", _simulate(rtol=0), SIM, r"`rtol` must be a number in \[1e-14, 1\), got 0"),
    BadCall("rtol-nan", _simulate(rtol=math.nan), SIM, r"`rtol` must be a number in \[1e-14, 1\), got nan"),
    BadCall("atol-negative", _simulate(atol=-1), SIM, r"`atol` must be a finite number > 0 \(in each state's unit\), got -1"),
    BadCall("max-steps-zero", _simulate(max_steps=0), SIM, r"`max_steps` must be an integer >= 1, got 0"),
    BadCall("residual-error-without-seed", _simulate(residual_error=True), SIM, r"`residual_error=True` needs a `seed`"),
    BadCall(
        "residual-error-on-model-without-one",
        _simulate(residual_error=True, seed=1),
        SIM,
        r"model 'tiny' declares no residual error on any observable",
    ),
    BadCall(
        "unknown-library-model",
        _simulate(model="stein2091"),
        cartsim.ModelError,
        r"no library model 'stein2091'; available: barros2021, .*, stein2019\. Did you mean 'stein2019'\?",
    ),
    BadCall(
        "param-unknown-name",
        _simulate(params={"elimination_rat": 0.2}),
        PAR,
        r"model 'tiny' has no parameter 'elimination_rat'; its parameters are: elimination_rate\. "
        r"Did you mean 'elimination_rate'\?",
    ),
    BadCall(
        "param-above-upper-bound",
        _simulate(params={"elimination_rate": 2.0}),
        PAR,
        r"parameter `elimination_rate` value 2 1/day is outside its allowed range \[0, 1\] 1/day",
    ),
    BadCall(
        "param-below-lower-bound",
        _simulate(params={"elimination_rate": -0.5}),
        PAR,
        r"parameter `elimination_rate` value -0\.5 1/day is outside its allowed range \[0, 1\] 1/day",
    ),
    BadCall(
        "param-nan",
        _simulate(params={"elimination_rate": math.nan}),
        PAR,
        r"parameter `elimination_rate` value nan 1/day is not finite",
    ),
    BadCall(
        "param-one-patient-out-of-bounds",
        _simulate(params={"elimination_rate": [0.1, 0.2, 5.0]}),
        PAR,
        r"`elimination_rate` value 5 1/day is outside its allowed range \[0, 1\] 1/day \(patient 2\)",
    ),
    BadCall(
        "param-array-wrong-length",
        _simulate(n_patients=3, params={"elimination_rate": [0.1, 0.2]}),
        PAR,
        r"parameter `elimination_rate` must be a number or one value per patient \(3\), got shape \(2,\)",
    ),
    BadCall("method-unknown", _simulate(method="rk4"), SIM, r"`method` must be one of 'explicit', 'stiff', 'auto', got 'rk4'"),
    BadCall("param-not-a-number", _simulate(params={"elimination_rate": "fast"}), PAR, r"`elimination_rate`.*'fast'"),
]

DOSE_CASES = [
    BadCall(
        "amount-negative", _dose("drug", -1.0), DOSE, r"dose `amount` must be >= 0 \(in the unit of state 'drug'\), got -1\.0"
    ),
    BadCall("amount-infinite", _dose("drug", math.inf), DOSE, r"dose `amount` must be a finite number, got inf"),
    BadCall("amount-is-a-string", _dose("drug", "10"), DOSE, r"dose `amount` must be a finite number, got '10'"),
    BadCall("time-nan", _dose("drug", 1.0, time=math.nan), DOSE, r"dose `time` must be a finite number, got nan"),
    BadCall("mode-unknown", _dose("drug", 1.0, mode="replace"), DOSE, r"dose `mode` must be 'add' or 'set', got 'replace'"),
    BadCall("state-empty", _dose("", 1.0), DOSE, r"dose `state` must be a state name, got ''"),
    BadCall(
        "split-fractions-do-not-sum-to-one",
        lambda _tiny: cartsim.Dose.split("drug", 10.0, times=[0, 1, 2], fractions=[0.1, 0.3, 0.5]),
        DOSE,
        r"split dose fractions must add up to 1, they add up to 0\.9",
    ),
    BadCall(
        "split-negative-fraction",
        lambda _tiny: cartsim.Dose.split("drug", 10.0, times=[0, 1], fractions=[1.5, -0.5]),
        DOSE,
        r"split dose fractions must be finite and >= 0, got \[1\.5, -0\.5\]",
    ),
    BadCall(
        "split-times-and-fractions-differ",
        lambda _tiny: cartsim.Dose.split("drug", 10.0, times=[0, 1], fractions=[0.1, 0.3, 0.6]),
        DOSE,
        r"split dose needs as many times as fractions, got 2 times and 3 fractions",
    ),
    BadCall(
        "repeated-count-zero",
        lambda _tiny: cartsim.Dose.repeated("drug", 1.0, interval=1.0, count=0),
        DOSE,
        r"repeated dose `count` must be an integer >= 1, got 0",
    ),
    BadCall(
        "repeated-interval-zero",
        lambda _tiny: cartsim.Dose.repeated("drug", 1.0, interval=0.0, count=2),
        DOSE,
        r"repeated dose `interval` must be > 0 days, got 0",
    ),
    BadCall("into-unknown-state", _simulate(doses=cartsim.Dose("drugg", 1.0)), DOSE, r"'drugg'.*Did you mean 'drug'\?"),
    BadCall(
        "after-last-output-time",
        _simulate(doses=cartsim.Dose("drug", 1.0, time=5.0)),
        DOSE,
        r"dose into 'drug' at t = 5 day is outside the simulated span \[0, 1\] day",
    ),
    BadCall(
        "before-first-output-time",
        _simulate(doses=cartsim.Dose("drug", 1.0, time=-5.0)),
        DOSE,
        r"dose into 'drug' at t = -5 day is outside the simulated span \[0, 1\] day",
    ),
    BadCall(
        "into-non-dosable-state-of-stein2019",
        _simulate(model="stein2019", doses=cartsim.Dose("effector", 1.0e6)),
        DOSE,
        r"model 'stein2019' does not accept doses into state 'effector'; it accepts no doses at all",
    ),
    BadCall(
        "single-doses-mixed-with-schedules",
        _simulate(doses=[cartsim.Dose("drug", 1.0), [cartsim.Dose("drug", 1.0)]]),
        DOSE,
        r"`doses` mixes single doses and per-patient schedules",
    ),
    BadCall(
        "schedules-for-the-wrong-number-of-patients",
        _simulate(n_patients=3, doses=[[cartsim.Dose("drug", 1.0)], []]),
        DOSE,
        r"per-patient `doses` has 2 schedules for 3 patients",
    ),
    BadCall(
        "schedule-holds-a-non-dose",
        _simulate(doses=[["drug"]]),
        DOSE,
        r"the dose schedule of patient 0 must .*Dose objects",
    ),
]


def _call_params(cases: list[BadCall]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


def test_call_case_ids_are_unique() -> None:
    ids = [case.id for case in SIMULATE_CASES + DOSE_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", _call_params(SIMULATE_CASES))
def test_bad_simulate_argument_is_rejected(case: BadCall, tiny: cartsim.Model) -> None:
    with pytest.raises(case.error, match=case.match):
        case.call(tiny)


@pytest.mark.parametrize("case", _call_params(DOSE_CASES))
def test_bad_dose_is_rejected(case: BadCall, tiny: cartsim.Model) -> None:
    with pytest.raises(case.error, match=case.match):
        case.call(tiny)


# --------------------------------------------------------------------------------------------
# Bad command lines
# --------------------------------------------------------------------------------------------

BAD_SYNTAX_FILE = rhs("-k * x ^ 2")


@dataclass(frozen=True)
class BadCommand:
    """``cartsim`` arguments (``{tmp}`` is pytest's ``tmp_path``), files to create there, expected message."""

    id: str
    args: list[str]
    match: str
    files: dict[str, str] = field(default_factory=dict)


CLI_CASES = [
    BadCommand("unknown-model", ["simulate", "stein2091"], r"no library model 'stein2091'.* Did you mean 'stein2019'\?"),
    BadCommand("days-negative", ["simulate", "stein2019", "--days", "-3"], r"--days must be a number of days > 0, got -3"),
    BadCommand("days-nan", ["simulate", "stein2019", "--days", "nan"], r"--days must be a number of days > 0, got nan"),
    BadCommand("step-zero", ["simulate", "stein2019", "--step", "0"], r"--step must be a number of days > 0, got 0"),
    BadCommand(
        "step-longer-than-days",
        ["simulate", "stein2019", "--days", "1", "--step", "2"],
        r"--step \(2 day\) must not exceed --days \(1 day\)",
    ),
    BadCommand("patients-zero", ["simulate", "stein2019", "--patients", "0"], r"--patients must be an integer >= 1, got 0"),
    BadCommand("patients-not-an-integer", ["simulate", "stein2019", "--patients", "abc"], r"--patients.*'abc'|'abc'.*--patients"),
    BadCommand(
        "method-unknown",
        ["simulate", "stein2019", "--method", "implicit"],
        r"--method must be one of explicit, stiff, auto, got 'implicit'",
    ),
    BadCommand("seed-negative", ["simulate", "stein2019", "--seed", "-1"], r"--seed must be a non-negative integer, got -1"),
    BadCommand(
        "out-txt", ["simulate", "stein2019", "--out", "file.txt"], r"--out must end in \.csv or \.parquet, got 'file\.txt'"
    ),
    BadCommand("plot-pdf", ["simulate", "stein2019", "--plot", "figure.pdf"], r"--plot must end in \.png, got 'figure\.pdf'"),
    BadCommand("model-file-missing", ["simulate", "{tmp}/missing.cart"], r"model file '.*missing\.cart' does not exist"),
    BadCommand(
        "model-file-bad-syntax",
        ["simulate", "{tmp}/bad.cart"],
        r"line 2, column 11: `\^` is not a power here",
        files={"bad.cart": BAD_SYNTAX_FILE},
    ),
    BadCommand(
        "model-file-undefined-name",
        ["simulate", "{tmp}/undefined.cart"],
        r"line 2, column 12: unknown symbol `kk`",
        files={"undefined.cart": rhs("-kk * x")},
    ),
    BadCommand("model-path-is-a-directory", ["simulate", "{tmp}"], r"cannot read model file"),
]


def _error_line(result: Result) -> str:
    """The single ``error: ...`` line the command printed on stderr (asserting there is exactly one)."""
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 2, f"exit code {result.exit_code}, exception {result.exception!r}, output {result.output!r}"
    assert result.stdout == "", f"nothing on stdout, got {result.stdout!r}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {result.stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CLI_CASES])
def test_bad_command_line_is_rejected(case: BadCommand, tmp_path: Path) -> None:
    for name, content in case.files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    args = [arg.format(tmp=tmp_path) for arg in case.args]
    result = CliRunner().invoke(app, args)
    line = _error_line(result)
    assert re.search(case.match, line), f"{line!r} does not match {case.match!r}"
