"""The stiff method (RODAS4 with the model's symbolic Jacobian) and automatic method selection."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

import cartsim
from cartsim.engine._kernel import load_kernel
from tests.conftest import max_mixed_error, max_relative_error
from tests.engine.test_analytic import patient_closed_form
from tests.engine.test_cross_implementation import FLOOR, cart6_rhs

METHODS = ["explicit", "stiff", "auto"]


@pytest.mark.parametrize("method", METHODS)
def test_two_compartment_matches_matrix_exponential(linear_model: cartsim.Model, method: str) -> None:
    """y(t) = expm(A t) y0 for every method; relative error <= 1e-8 at rtol 1e-10."""
    matrix = np.array([[-(0.3 + 0.5), 0.2], [0.5, -0.2]])
    times = np.linspace(0, 40, 81)
    result = cartsim.simulate(
        linear_model, times=times, doses=cartsim.Dose("central", 50.0), rtol=1e-10, atol=1e-14, method=method
    )
    expected = np.array([scipy.linalg.expm(matrix * t) @ np.array([50.0, 0.0]) for t in times])
    assert max_relative_error(result["central"].values[0], expected[:, 0], floor=1e-12) <= 1e-8
    assert max_relative_error(result["peripheral"].values[0], expected[:, 1], floor=1e-12) <= 1e-8


def test_stiff_method_on_stein_switches(stein: cartsim.Model) -> None:
    """The stiff method honours per-patient switch times: 50 IIV patients against the closed
    form, 1e-6 at rtol 1e-8 (as the explicit method in test_analytic)."""
    times = np.linspace(0, 120, 1201)
    result = cartsim.simulate(stein, times=times, n_patients=50, seed=3, rtol=1e-8, atol=1e-12, method="stiff")
    assert set(result["status"].values) == {"ok"}
    for patient in range(50):
        expected = patient_closed_form(result, stein, patient)
        assert max_relative_error(result["transgene"].values[patient], expected) <= 1e-6, patient


@pytest.mark.parametrize("method", METHODS)
def test_cart6_against_radau_for_every_method(cart6_model: cartsim.Model, method: str) -> None:
    """Every method at the default tolerances within 1e-4 of Radau at rtol 1e-10 (mixed
    relative/absolute criterion of test_cross_implementation)."""
    times = np.arange(0.0, 366.0)
    result = cartsim.simulate(cart6_model, times=times, method=method)
    params = dict(zip(cart6_model.parameter_names, cart6_model.defaults, strict=True))
    reference = scipy.integrate.solve_ivp(
        cart6_rhs(params), (0, 365), [0.5, 0.05, 0.0, 1000.0, 200.0, 0.0], method="Radau", t_eval=times, rtol=1e-10, atol=1e-14
    ).y
    for index, name in enumerate(cart6_model.state_names):
        assert max_mixed_error(result[name].values[0], reference[index], floor=FLOOR) <= 1e-4, name


def cart6_stiff_reference(model: cartsim.Model, times: np.ndarray) -> np.ndarray:
    """cart6_stiff by hand (cart6's states, then bound), Radau at rtol 1e-10."""
    p = dict(zip(model.parameter_names, model.defaults, strict=True))
    base = cart6_rhs(p)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        car_eff, tumour, bound = y[0], y[3], y[6]
        quasi_kill = p["kill_rate"] * car_eff * tumour / (1 + 0.001 * car_eff)
        kill = p["kill_rate"] * (p["k_off"] / p["k_on"]) * bound / (1 + 0.001 * car_eff)
        rest = base(t, y[:6])
        # cart6_rhs uses the quasi-steady kill: swap it for the bound-complex kill.
        rest[3] += quasi_kill - kill
        rest[5] += p["il6_per_kill"] * (kill - quasi_kill)
        return np.concatenate([rest, [p["k_on"] * car_eff * tumour - p["k_off"] * bound]])

    start = [0.5, 0.05, 0.0, 1000.0, 200.0, 0.0, 0.0]
    solution = scipy.integrate.solve_ivp(rhs, (times[0], times[-1]), start, method="Radau", t_eval=times, rtol=1e-10, atol=1e-14)
    assert solution.success
    return solution.y


def test_stiff_variant_against_radau(cart6_stiff_model: cartsim.Model) -> None:
    """cart6_stiff (binding at k_off = 1e4 /day): the stiff and the auto method at the default
    tolerances within 1e-4 of Radau at rtol 1e-10 (mixed criterion)."""
    times = np.arange(0.0, 366.0)
    assert cart6_stiff_model.state_names[-1] == "bound"
    reference = cart6_stiff_reference(cart6_stiff_model, times)
    for method in ("stiff", "auto"):
        result = cartsim.simulate(cart6_stiff_model, times=times, method=method)
        assert result["status"].item() == "ok"
        for index, name in enumerate(cart6_stiff_model.state_names):
            assert max_mixed_error(result[name].values[0], reference[index], floor=FLOOR) <= 1e-4, (method, name)


def test_explicit_method_crawls_on_the_stiff_variant(cart6_stiff_model: cartsim.Model) -> None:
    """Stability limits the explicit step to about 3.3 / k_off: it needs far more steps than the
    stiff method, and auto detects the stiffness within the first day."""
    times = np.arange(0.0, 31.0)
    explicit = cartsim.simulate(cart6_stiff_model, times=times, method="explicit", max_steps=1_000_000)
    stiff = cartsim.simulate(cart6_stiff_model, times=times, method="stiff")
    auto = cartsim.simulate(cart6_stiff_model, times=times, method="auto")
    assert explicit["solver_steps"].item() > 20 * stiff["solver_steps"].item()
    assert auto["stiff_from"].item() < 1.0
    assert np.isnan(explicit["stiff_from"].item())
    assert stiff["stiff_from"].item() == 0.0


def test_auto_stays_explicit_on_a_non_stiff_problem(linear_model: cartsim.Model) -> None:
    """Exponential decay at 0.3 /day with output to day 20 never limits the step by stability."""
    result = cartsim.simulate(linear_model, times=np.linspace(0, 20, 21), doses=cartsim.Dose("central", 1.0), method="auto")
    assert np.isnan(result["stiff_from"].item())
    assert result.attrs["solver"].startswith("auto")


def test_model_declares_its_default_method() -> None:
    model = cartsim.parse_model('model(name="decl", method="stiff")\nk = 0.5\nd/dt(x) = -k * x\nx(0) = 1\n')
    assert model.method == "stiff"
    result = cartsim.simulate(model, times=[0.0, 1.0])
    assert result.attrs["solver"].startswith("rodas4")
    assert result["x"].values[0, -1] == pytest.approx(np.exp(-0.5), rel=1e-6)
    overridden = cartsim.simulate(model, times=[0.0, 1.0], method="explicit")
    assert overridden.attrs["solver"].startswith("dopri5")


@pytest.mark.parametrize("fixture", ["cart6_model", "cart6_stiff_model", "stein"])
def test_symbolic_jacobian_matches_finite_differences(fixture: str, request: pytest.FixtureRequest) -> None:
    """The generated df/dy equals central differences of the generated right-hand side at
    random states (relative 1e-6: central differences are accurate to ~h^2 ~ 1e-8 relative)."""
    model: cartsim.Model = request.getfixturevalue(fixture)
    kernel = load_kernel(model)
    generator = np.random.default_rng(0)
    n = len(model.states)
    for _ in range(5):
        y = generator.uniform(0.1, 100.0, n)
        p = model.defaults * np.exp(0.2 * generator.standard_normal(len(model.parameters)))
        for switch_time in (0.0, 1000.0):
            jac = np.zeros((n, n))
            dfdt = np.zeros(n)
            kernel.model_jacobian(switch_time, switch_time, y, p, jac, dfdt)
            numeric = np.empty((n, n))
            for j in range(n):
                step = 1e-6 * max(1.0, abs(y[j]))
                up, down, f_up, f_down = y.copy(), y.copy(), np.empty(n), np.empty(n)
                up[j] += step
                down[j] -= step
                kernel.model_rhs(switch_time, switch_time, up, p, f_up)
                kernel.model_rhs(switch_time, switch_time, down, p, f_down)
                numeric[:, j] = (f_up - f_down) / (2 * step)
            scale = np.maximum(np.abs(numeric), 1e-6 * np.max(np.abs(numeric)))
            assert np.max(np.abs(jac - numeric) / scale) <= 1e-6
            np.testing.assert_array_equal(dfdt, 0.0)  # none of these models depends on t explicitly


def test_time_derivative_enters_the_stiff_method() -> None:
    """x' = -50 (x - exp(-t)) is stiff with an explicit time dependence; its exact solution is
    known, so a wrong df/dt term in the Rosenbrock stages would show. 1e-6 at rtol 1e-9."""
    model = cartsim.parse_model("rate = 50\nd/dt(x) = -rate * (x - exp(-t))\nx(0) = 0\n")
    times = np.linspace(0, 5, 51)
    result = cartsim.simulate(model, times=times, method="stiff", rtol=1e-9, atol=1e-12)
    # x' = -50 (x - e^-t), x(0) = 0:  x = 50/49 (e^-t - e^-50t)
    expected = 50 / 49 * (np.exp(-times) - np.exp(-50 * times))
    assert max_relative_error(result["x"].values[0], expected, floor=1e-9) <= 1e-6


@pytest.mark.parametrize("method", ["stiff", "auto"])
def test_a_population_of_zero_stays_exactly_zero(method: str) -> None:
    """CARTmath (Leon-Triana 2021) with no CAR-T: d(car_t)/dt is car_t times a rate, so car_t = 0
    is an invariant of the ODE and must hold exactly. The stiff method's pivoted LU solve used
    to mix ~1e-17 relative rounding from the 1e11-cell leukaemia row into the car_t stage; the
    CAR-T population then grew from that noise to ~6e10 cells (stiff) or to NaN (auto)."""
    model = cartsim.models.get("leontriana2021")
    result = cartsim.simulate(model, times=np.arange(0.0, 200.0), method=method, params={"infused_dose": 0.0})
    assert str(result["status"].values[0]) == "ok"
    assert np.all(result["car_t"].values == 0.0)
    assert np.all(result["leukaemia"].values[0, 1:] > result["leukaemia"].values[0, 0])
