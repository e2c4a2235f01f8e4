"""Happy paths of the model language and of the views derived from a model.

``TOUR_TEXT`` uses every construct the language allows: each function and each kind of
condition in the derivative of its own state, which is a constant expression of the
parameters, so ``state(t) = value * t`` and the kernel's numbers can be compared with numpy's;
intermediates declared after their use; annotation continuation lines; IIV given as omega and
as omega2; and time switches at per-patient times (one model, so one compiled kernel).

The numeric tests run with each integration method ``cartsim.simulate`` offers (only the
explicit one before the ``method`` keyword exists).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import cartsim

METHODS: list[str | None] = ["explicit", "stiff"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "models"

TOUR_TEXT = """
model(name="language_tour", description="every construct of the model language (tests/model/test_language.py)")

# Parameters: one with every annotation, continued on indented `|` lines.
a = 1.3   | unit="1/day", omega=0.3, lower=0.1, upper=10, symbol="alpha"
    | source="illustrative"
# a comment line between continuation lines is skipped
    | description="a positive rate"
b = 0.7   | unit="1/day", omega2=0.09
c = -2.5  | unit="1/day"
n = 2.5   | unit="1"
t_on = 3  | unit="day", lower=0, description="per-patient switch time"
width = 2 | unit="day", lower=0
k = 0.4   | unit="1/day", lower=0

# Intermediates may be used before they are declared.
total_rate = half_rate + quarter_rate + quarter_rate | unit="1/day"
half_rate = 2 * quarter_rate | unit="1/day"
quarter_rate = a / 4 | unit="1/day"

# One state per construct; each derivative is constant in time and state.
d/dt(f_exp) = exp(b)                                     | nonnegative=False
d/dt(f_log) = log(b)                                     | nonnegative=False
d/dt(f_log10) = log10(a)                                 | nonnegative=False
d/dt(f_sqrt) = sqrt(a)                                   | nonnegative=False
d/dt(f_abs) = abs(c)                                     | nonnegative=False
d/dt(f_min) = min(a, b, n)                               | nonnegative=False
d/dt(f_max) = max(a, c)                                  | nonnegative=False
d/dt(f_pow) = pow(a, n)                                  | nonnegative=False
d/dt(f_power) = a ** 2 + c ** 3 - b ** 0.5               | nonnegative=False
d/dt(f_arithmetic) = -(a + b) * c / n - (a - b)          | nonnegative=False
d/dt(f_piecewise) = piecewise(a, b > a, n, c < 0, b)     | nonnegative=False
d/dt(f_if) = a if b < a else b                           | nonnegative=False
d/dt(f_and) = n if a > b and c < 0 else b                | nonnegative=False
d/dt(f_or) = n if a < b or c >= 0 else a                 | nonnegative=False
d/dt(f_not) = a if not c < 0 else b                      | nonnegative=False
d/dt(f_chain) = a if b < a <= n else c                   | nonnegative=False
d/dt(f_equal) = piecewise(a, c == 0, b, n != 2.5, n)     | nonnegative=False
d/dt(f_order) = total_rate                               | nonnegative=False

# Time switches at per-patient times.
d/dt(s_step) = a if t < t_on else b
d/dt(s_window) = piecewise(0, t < t_on, k, t < t_on + width, 0)
d/dt(s_right) = b if t_on <= t else 0
d/dt(g) = k * g if t < t_on else -k * g
g(0) = 1

doubled_exp = 2 * f_exp | unit="1", observable=True
"""

#: Patients that take every branch of every condition, and switch times on, off, at the start
#: of and beyond the output grid (0..10 days).
PATIENTS = {
    "a": [1.3, 0.2, 5.0, 3.0, 2.0],
    "b": [0.7, 2.0, 0.7, 0.5, 2.0],
    "c": [-2.5, 1.0, 0.0, -1.0, 0.0],
    "n": [2.5, 0.5, 7.0, 1.0, 2.5],
    "t_on": [3.0, 4.123, 0.0, 9.5, 12.0],
    "width": [2.0, 0.25, 10.0, 2.0, 1.0],
    "k": [0.4, 1.0, 0.1, 0.3, 0.2],
}
TIMES = np.linspace(0.0, 10.0, 41)


def expected_rates(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The derivative of each constant-rate state, computed by numpy."""
    a, b, c, n = p["a"], p["b"], p["c"], p["n"]
    return {
        "f_exp": np.exp(b),
        "f_log": np.log(b),
        "f_log10": np.log10(a),
        "f_sqrt": np.sqrt(a),
        "f_abs": np.abs(c),
        "f_min": np.minimum(np.minimum(a, b), n),
        "f_max": np.maximum(a, c),
        "f_pow": np.power(a, n),
        "f_power": a**2 + c**3 - np.sqrt(b),
        "f_arithmetic": -(a + b) * c / n - (a - b),
        "f_piecewise": np.select([b > a, c < 0], [a, n], b),
        "f_if": np.where(b < a, a, b),
        "f_and": np.where((a > b) & (c < 0), n, b),
        "f_or": np.where((a < b) | (c >= 0), n, a),
        "f_not": np.where(~(c < 0), a, b),
        "f_chain": np.where((b < a) & (a <= n), a, c),
        "f_equal": np.select([c == 0, n != 2.5], [a, b], n),
        "f_order": a / 2 + a / 4 + a / 4,
    }


@pytest.fixture(scope="module")
def tour() -> cartsim.Model:
    return cartsim.parse_model(TOUR_TEXT)


def run(model: cartsim.Model, method: str | None, **kwargs: Any) -> xr.Dataset:
    """``cartsim.simulate`` with ``method`` when the keyword exists (``None``: the default)."""
    if method is not None:
        kwargs["method"] = method
    return cartsim.simulate(model, **kwargs)


@pytest.fixture(scope="module", params=METHODS)
def tour_run(request: pytest.FixtureRequest, tour: cartsim.Model) -> xr.Dataset:
    return run(tour, request.param, times=TIMES, params=PATIENTS, rtol=1e-10, atol=1e-12)


def params_of(result: xr.Dataset) -> dict[str, np.ndarray]:
    return {name: result[name].values[:, None] for name in PATIENTS}


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def test_tour_declarations(tour: cartsim.Model) -> None:
    assert tour.name == "language_tour"
    assert tour.parameter_names == ("a", "b", "c", "n", "t_on", "width", "k")
    assert tour.state_names[:2] == ("f_exp", "f_log")
    assert tour.state_names[-4:] == ("s_step", "s_window", "s_right", "g")
    assert tour.observable_names == ("doubled_exp",)
    # The patients exercise both outcomes of every condition.
    rates = expected_rates({name: np.array(values) for name, values in PATIENTS.items()})
    for name in ("f_piecewise", "f_if", "f_and", "f_or", "f_not", "f_chain", "f_equal"):
        assert len(set(rates[name].tolist())) >= 2, name


def test_intermediates_declared_in_any_order(tour: cartsim.Model) -> None:
    """Intermediates used before their declaration are resolved and ordered by dependency."""
    lines = {i.name: i.line for i in tour.intermediates}
    assert lines["total_rate"] < lines["half_rate"] < lines["quarter_rate"], "declared in reverse order"
    assert [i.name for i in tour.intermediates][:3] == ["quarter_rate", "half_rate", "total_rate"], "in dependency order"


def test_annotation_continuation_lines(tour: cartsim.Model) -> None:
    a = tour.parameter("a")
    assert (a.unit, a.lower, a.upper, a.symbol) == ("1/day", 0.1, 10.0, "alpha")
    assert a.source == "illustrative"
    assert a.description == "a positive rate"
    assert a.iiv is not None
    assert a.iiv.reported_as == "omega"


def test_model_is_immutable(tour: cartsim.Model) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        tour.name = "renamed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tour.parameters[0].default = 2.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tour.states[0].nonnegative = True  # type: ignore[misc]
    assert isinstance(tour.parameters, tuple)
    assert isinstance(tour.states, tuple)


# --------------------------------------------------------------------------------------------
# The compiled kernel against numpy
# --------------------------------------------------------------------------------------------


def test_every_function_and_condition_matches_numpy(tour_run: xr.Dataset, tour: cartsim.Model) -> None:
    """state(t) = value * t with value computed by numpy, to 1e-13 relative.

    Why not exactly: each step adds h * (b1 k1 + ... + b6 k6) with all k equal, and the
    Dormand-Prince weights sum to 1 only up to rounding; a few steps accumulate a few ulps.
    log10 is compiled as log(x) / log(10), within 2 ulps of numpy's log10.
    """
    assert set(tour_run["status"].values) == {"ok"}
    rates = expected_rates(params_of(tour_run))
    for name, rate in rates.items():
        expected = np.broadcast_to(rate, (len(PATIENTS["a"]), 1)) * TIMES
        np.testing.assert_allclose(tour_run[name].values, expected, rtol=1e-13, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(tour_run["doubled_exp"].values, 2 * tour_run["f_exp"].values, rtol=1e-15)


def test_time_switches_at_per_patient_times(tour_run: xr.Dataset) -> None:
    """The engine stops exactly at each patient's switch times (3, 4.123, 0 = the start, 9.5 and
    12 = after the last output), so piecewise-constant rates integrate exactly: 1e-13 relative
    (rounding, as above). The exponential switch (growth then decay) matches its closed form to
    1e-8 at rtol 1e-10 (a few rtol of global error)."""
    p = params_of(tour_run)
    t = TIMES[None, :]
    before, after = np.minimum(t, p["t_on"]), np.maximum(t - p["t_on"], 0.0)
    step = p["a"] * before + p["b"] * after
    window = p["k"] * np.clip(t - p["t_on"], 0.0, p["width"])
    right = p["b"] * after
    for name, expected in (("s_step", step), ("s_window", window), ("s_right", right)):
        np.testing.assert_allclose(tour_run[name].values, expected, rtol=1e-13, atol=1e-14, err_msg=name)
    growth = np.exp(p["k"] * before - p["k"] * after)
    np.testing.assert_allclose(tour_run["g"].values, growth, rtol=1e-8)


def test_switch_times_are_not_confused_with_output_times(tour: cartsim.Model) -> None:
    """One patient switching at 4.123, between two output times: the rate changes exactly there
    (1e-13 relative: rounding, as above)."""
    result = cartsim.simulate(tour, times=[0.0, 4.0, 4.25], params={"t_on": 4.123, "a": 1.0, "b": 2.0})
    assert result["s_step"].values[0].tolist() == pytest.approx([0.0, 4.0, 4.123 + 2.0 * 0.127], rel=1e-13)


# --------------------------------------------------------------------------------------------
# Views: LaTeX and the parameter table
# --------------------------------------------------------------------------------------------


def test_latex_has_one_derivative_per_state(tour: cartsim.Model) -> None:
    latex = tour.latex()
    assert latex.startswith("\\begin{aligned}")
    assert latex.endswith("\\end{aligned}")
    assert latex.count("\\frac{d") == len(tour.states)
    for state in tour.states:
        name = state.name.replace("_", "\\_")
        assert f"\\frac{{d \\mathrm{{{name}}}}}{{dt}}" in latex, state.name
    assert "\\mathrm{total\\_rate} &=" in latex


def test_parameter_table(tour: cartsim.Model) -> None:
    table = tour.parameter_table()
    assert list(table.index) == list(tour.parameter_names)
    for column in ("default", "unit", "lower", "upper", "iiv_omega2", "iiv_reported_as", "symbol", "description", "source"):
        assert column in table.columns, column
    a, b, c = table.loc["a"], table.loc["b"], table.loc["c"]
    assert (a["default"], a["unit"], a["lower"], a["upper"]) == (1.3, "1/day", 0.1, 10.0)
    assert (a["symbol"], a["source"], a["description"]) == ("alpha", "illustrative", "a positive rate")
    # omega = 0.3 is an SD: variance 0.09 (0.3**2 is 0.09 only to rounding); omega2 = 0.09 is the variance.
    assert a["iiv_omega2"] == pytest.approx(0.09, rel=1e-15)
    assert a["iiv_reported_as"] == "omega"
    assert b["iiv_omega2"] == 0.09
    assert b["iiv_reported_as"] == "omega2"
    assert b["lower"] == 0.0, "a parameter with IIV is positive by default"
    assert b["upper"] == math.inf
    assert math.isnan(c["iiv_omega2"])
    assert c["iiv_reported_as"] == ""
    assert c["lower"] == -math.inf
    assert table.loc["t_on", "description"] == "per-patient switch time"


# --------------------------------------------------------------------------------------------
# with_defaults
# --------------------------------------------------------------------------------------------


def test_with_defaults_returns_a_new_model(tour: cartsim.Model) -> None:
    changed = tour.with_defaults(a=2.0, t_on=5.0)
    assert changed.parameter("a").default == 2.0
    assert changed.parameter("t_on").default == 5.0
    assert tour.parameter("a").default == 1.3, "the original model is unchanged"
    assert changed.parameter("a").unit == "1/day"
    assert changed.parameter("a").iiv == tour.parameter("a").iiv
    assert changed.states == tour.states
    # The new typical values are what simulate uses without overrides.
    times = [0.0, 2.0, 6.0]
    typical = cartsim.simulate(changed, times=times)
    overridden = cartsim.simulate(tour, times=times, params={"a": 2.0, "t_on": 5.0})
    np.testing.assert_array_equal(typical["s_step"].values, overridden["s_step"].values)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        pytest.param(
            {"a": 20.0}, r"parameter `a` value 20 1/day is outside its allowed range \[0\.1, 10\] 1/day", id="above-upper"
        ),
        pytest.param({"a": 0.05}, r"outside its allowed range \[0\.1, 10\]", id="below-lower"),
        pytest.param({"b": -0.1}, r"parameter `b` value -0\.1 1/day is outside its allowed range \[0, inf\]", id="iiv-negative"),
        pytest.param({"c": math.nan}, r"parameter `c` value nan 1/day is not finite", id="nan"),
        pytest.param({"c": math.inf}, r"not finite", id="infinite"),
        pytest.param({"aa": 1.0}, r"has no parameter 'aa'.*Did you mean 'a'\?", id="unknown-name"),
    ],
)
def test_with_defaults_validates(tour: cartsim.Model, values: dict[str, float], match: str) -> None:
    with pytest.raises(cartsim.ParameterError, match=match):
        tour.with_defaults(**values)


def test_with_defaults_accepts_the_bounds_themselves(tour: cartsim.Model) -> None:
    assert tour.with_defaults(a=0.1).parameter("a").default == 0.1
    assert tour.with_defaults(a=10).parameter("a").default == 10.0
    assert tour.with_defaults(c=-1e300).parameter("c").default == -1e300


# --------------------------------------------------------------------------------------------
# The example files
# --------------------------------------------------------------------------------------------


def test_load_effector_memory_example() -> None:
    path = EXAMPLES / "cart_effector_memory.cartsim"
    model = cartsim.load_model(path)
    assert model == cartsim.load_model(str(path))
    assert model == cartsim.parse_model(path.read_text(encoding="utf-8"))
    assert model.name == "cart_effector_memory"
    assert model.state_names == ("effector", "memory", "tumour")
    assert model.observable_names == ("total_car_t", "transgene")
    transgene = model.observables[1]
    assert transgene.error is not None
    assert (transgene.error.kind, transgene.error.sd) == ("log_additive", 0.5)
    expansion = model.parameter("expansion_rate")
    assert expansion.iiv is not None
    assert expansion.iiv.reported_as == "omega"
    assert expansion.iiv.variance == pytest.approx(0.04, rel=1e-15)
    assert (expansion.lower, expansion.upper, expansion.symbol) == (0.0, 5.0, "rho")
    assert model.parameter("transgene_per_car_t").source == "order of magnitude of Singh et al. 2021"
    # effector(0) = infused_cells * fraction_in_blood / blood_volume = 1e8 * 0.01 / 5e6
    result = cartsim.simulate(model, times=[0.0, 1.0])
    assert result["effector"].values[0, 0] == pytest.approx(0.2, rel=1e-15)
    assert result["status"].item() == "ok"


def test_load_lotka_volterra_example() -> None:
    path = EXAMPLES / "chaudhury2020_lotka_volterra.cartsim"
    model = cartsim.load_model(path)
    assert model.name == "chaudhury2020_lotka_volterra"
    assert "Chaudhury" in model.citation
    assert "BIOMD0000001024" in model.citation
    assert model.state_names == ("expanding_car_t", "tumour")
    assert model.parameter_names == ("car_t_expansion_rate", "car_t_death_rate", "tumour_growth_rate", "tumour_kill_rate")
    assert [p.symbol for p in model.parameters] == ["rho", "k_E", "g", "d"]
    result = cartsim.simulate(model, times=[0.0, 1.0])
    assert result["expanding_car_t"].values[0, 0] == 10.0
    assert result["tumour"].values[0, 0] == 900.0
    assert result["status"].item() == "ok"


def test_load_model_names_a_headerless_file_after_its_stem(tmp_path: Path) -> None:
    path = tmp_path / "my-model.cartsim"
    path.write_text("k = 0.1\nd/dt(x) = -k * x\n", encoding="utf-8")
    model = cartsim.load_model(path)
    assert model.name == "my_model"
    assert model.state_names == ("x",)
