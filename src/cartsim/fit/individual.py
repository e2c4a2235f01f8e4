"""Individual fits: maximum likelihood or MAP per subject, with Hessian standard errors.

Every subject, start and finite-difference neighbour of one optimiser step is simulated in
ONE ``cartsim.simulate`` call (see :mod:`cartsim.fit._batch`). The optimiser is scipy's
L-BFGS-B on the log scale (bounds are box constraints there); see ``docs/fitting.md``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from cartsim.engine import Dose
from cartsim.errors import FitError
from cartsim.model import Model

from ._batch import BatchSimulator, SimulationSettings, run_lock_step
from ._differences import Evaluate, gradient_from, gradient_points, hessian_from, hessian_points, objective_at
from ._problem import Bounds, ErrorInput, SubjectProblem, build_problems
from .data import FitData, Subject, SubjectId

#: Objective value handed to the optimiser where the model cannot be evaluated (a failed
#: integration, a prediction <= 0 on the log scale): large but finite, so the line search
#: backtracks instead of stopping.
PENALTY = 1e30
#: The standard normal 97.5 % quantile (Wald 95 % intervals).
Z95 = 1.959963984540054


@dataclass(frozen=True)
class FitOptions:
    """Numerical settings of a fit (defaults suit models integrated to ``rtol=1e-8``).

    ``gradient_step`` and ``hessian_step`` are central-difference steps on the log scale;
    ``n_starts`` starts per subject: the first from the initial values, the others from
    ``initial * exp(start_spread * z)``, z ~ N(0, 1) from ``SeedSequence(seed, spawn_key=(i,))``
    for the i-th subject of the data (reproducible whatever subset is fitted).
    """

    n_starts: int = 1
    seed: int = 0
    start_spread: float = 1.0
    search_factor: float = 1e4
    max_iterations: int = 500
    ftol: float = 1e-12
    gtol: float = 1e-8
    gradient_step: float = 1e-4
    hessian_step: float = 1e-3
    simulation: SimulationSettings = field(default_factory=SimulationSettings)

    def __post_init__(self) -> None:
        if isinstance(self.n_starts, bool) or not isinstance(self.n_starts, int) or self.n_starts < 1:
            raise FitError(f"`n_starts` must be an integer >= 1, got {self.n_starts!r}")
        for name in ("gradient_step", "hessian_step", "ftol", "gtol"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value < 1):
                raise FitError(f"`{name}` must be a number in (0, 1), got {value!r}")


@dataclass(frozen=True)
class IndividualFit:
    """One subject's estimates (natural scale) with Hessian-based uncertainty.

    ``standard_errors`` are on the natural scale by the delta method (``SE = value * SE_log``);
    ``rse_percent`` is ``100 * SE / value`` (= ``100 * SE_log``). ``covariance_log`` is the
    covariance of the log-parameters, ``2 * inverse(Hessian of the objective)``. For MAP the
    Hessian includes the prior (posterior uncertainty). NaN when the Hessian is not positive
    definite (see ``message``).
    """

    subject: SubjectId
    method: str
    parameters: tuple[str, ...]
    estimates: np.ndarray
    standard_errors: np.ndarray
    rse_percent: np.ndarray
    covariance_log: np.ndarray
    correlation: np.ndarray
    minus_two_log_likelihood: float
    objective: float
    aic: float
    bic: float
    n_observations: int
    converged: bool
    message: str
    n_evaluations: int
    n_simulated: int
    start_objectives: tuple[float, ...]

    def __getitem__(self, name: str) -> float:
        return float(self.estimates[self.parameters.index(name)])

    def table(self) -> pd.DataFrame:
        """One row per estimated parameter: estimate, SE, RSE %, Wald 95 % interval (log scale)."""
        log_se = np.sqrt(np.diag(self.covariance_log))
        with np.errstate(over="ignore"):
            lower, upper = self.estimates * np.exp(-Z95 * log_se), self.estimates * np.exp(Z95 * log_se)
        return pd.DataFrame(
            {
                "estimate": self.estimates,
                "standard_error": self.standard_errors,
                "rse_percent": self.rse_percent,
                "ci95_lower": lower,
                "ci95_upper": upper,
            },
            index=pd.Index(self.parameters, name="parameter"),
        )


@dataclass(frozen=True)
class IndividualFits:
    """The individual fits of several subjects, in data order."""

    fits: tuple[IndividualFit, ...]
    simulate_calls: int

    def __len__(self) -> int:
        return len(self.fits)

    def __getitem__(self, index: int) -> IndividualFit:
        return self.fits[index]

    def table(self) -> pd.DataFrame:
        """Estimates in long form: one row per subject and parameter."""
        frames = [f.table().reset_index().assign(subject=f.subject) for f in self.fits]
        return pd.concat(frames, ignore_index=True).set_index(["subject", "parameter"])

    def summary(self) -> pd.DataFrame:
        """One row per subject: -2LL, objective, AIC, BIC, observations, convergence, evaluations."""
        rows = [
            {
                "subject": f.subject,
                "minus_two_log_likelihood": f.minus_two_log_likelihood,
                "objective": f.objective,
                "aic": f.aic,
                "bic": f.bic,
                "n_observations": f.n_observations,
                "converged": f.converged,
                "message": f.message,
                "n_evaluations": f.n_evaluations,
            }
            for f in self.fits
        ]
        return pd.DataFrame(rows).set_index("subject")


def fit_individuals(
    model: Model | str,
    data: FitData,
    *,
    estimate: Sequence[str],
    error: ErrorInput = None,
    method: str = "ml",
    initial: Mapping[str, float] | None = None,
    bounds: Bounds | None = None,
    fixed: Mapping[str, float] | None = None,
    subjects: Sequence[SubjectId] | None = None,
    options: FitOptions | None = None,
) -> IndividualFits:
    """Fit each subject (or those in ``subjects``) separately, all in lock step.

    - ``estimate``: model parameters to estimate (on the log scale; they must be > 0);
      error-model SDs are added unless the :class:`ErrorModel` says ``estimate=False``.
    - ``error``: an :class:`ErrorModel`, a mapping output -> error model, or None for the
      residual error the model declares on each output.
    - ``method``: ``"ml"``, or ``"map"`` with the log-normal IIV priors the model declares
      (centred on the model's typical values; parameters without IIV get a flat prior).
    - ``initial``, ``bounds`` (natural scale, intersected with the model's declared bounds)
      and ``fixed`` (values of non-estimated parameters other than the model's defaults).
    """
    from cartsim.models import resolve

    resolved = resolve(model)
    options = options or FitOptions()
    chosen = list(data.subjects) if subjects is None else [data.subject(s) for s in subjects]
    grid = time_grid(chosen)
    problems = build_problems(
        resolved, data, chosen, grid, estimate=estimate, error=error, method=method, initial=initial, bounds=bounds, fixed=fixed
    )
    simulator = BatchSimulator(resolved, grid, data.outputs, options.simulation)
    positions = [data.subjects.index(s) for s in chosen]
    starts = [start_points(p, options, position) for p, position in zip(problems, positions, strict=True)]
    tasks = [optimise_task(p, x0, options) for p, x0s in zip(problems, starts, strict=True) for x0 in x0s]
    results, lock_step = run_lock_step(tasks, simulator)
    best: list[_StartResult] = []
    for index in range(len(problems)):
        mine = [r for r in results[index * options.n_starts : (index + 1) * options.n_starts] if isinstance(r, _StartResult)]
        chosen_start = min(mine, key=lambda r: (not math.isfinite(r.objective), r.objective))
        best.append(dataclasses.replace(chosen_start, start_objectives=tuple(r.objective for r in mine)))
    fits = finish_fits(problems, best, simulator, options, method)
    return IndividualFits(tuple(fits), lock_step.simulate_calls + 1)


def fit_individual(
    model: Model | str,
    data: FitData,
    subject: SubjectId | None = None,
    **arguments: object,
) -> IndividualFit:
    """Fit one subject (``subject``: its ID; None when the data hold exactly one subject).

    Takes the keyword arguments of :func:`fit_individuals`.
    """
    if subject is None:
        if len(data) != 1:
            raise FitError(f"the data hold {len(data)} subjects; name one with `subject=` or use fit_individuals()")
        subject = data.subjects[0].id
    return fit_individuals(model, data, subjects=[subject], **arguments)[0]  # type: ignore[arg-type]


def time_grid(subjects: Sequence[Subject]) -> np.ndarray:
    """The output grid shared by a batch: t = 0 (the model's start), every observation and dose time."""
    times = [np.zeros(1)] + [s.times for s in subjects] + [np.array([d.time for d in s.doses]) for s in subjects]
    return np.unique(np.concatenate(times))


def start_points(problem: SubjectProblem, options: FitOptions, position: int) -> list[np.ndarray]:
    """Log-scale starting vectors: the initial values, then seeded random perturbations."""
    x0 = np.log([p.initial for p in problem.free])
    bounds = problem.log_bounds(2 * max(options.gradient_step, options.hessian_step), options.search_factor)
    low, high = np.array(bounds).T
    rng = np.random.default_rng(np.random.SeedSequence(options.seed, spawn_key=(position,)))
    points = [np.clip(x0, low, high)]
    for _ in range(options.n_starts - 1):
        points.append(np.clip(x0 + options.start_spread * rng.standard_normal(x0.size), low, high))
    return points


@dataclass(frozen=True)
class _StartResult:
    """One optimisation from one start."""

    theta: np.ndarray
    objective: float
    converged: bool
    message: str
    evaluations: int
    simulated: int
    start_objectives: tuple[float, ...] = ()


def optimise_task(problem: SubjectProblem, x0: np.ndarray, options: FitOptions) -> Callable[[Evaluate], object]:
    """A lock-step task: L-BFGS-B from ``x0`` in diagonally scaled log-parameters.

    The variables are scaled by the square root of the objective's curvature at the start
    (from the same difference points as the first gradient), so that L-BFGS-B's first step,
    taken with an identity Hessian, is a diagonal Newton step instead of a jump of
    ``|gradient|`` log units to a bound.
    """

    def task(evaluate: Evaluate) -> _StartResult:
        simulated = [0]
        step = options.gradient_step

        def counted(rows: np.ndarray, doses: tuple[Dose, ...]) -> np.ndarray:
            simulated[0] += len(rows)
            return evaluate(rows, doses)

        start_values, _ = objective_at(problem, gradient_points(x0, step), counted)
        scale = _curvature_scale(start_values, step)

        def objective_and_gradient(scaled: np.ndarray) -> tuple[float, np.ndarray]:
            values, _ = objective_at(problem, gradient_points(scaled / scale, step), counted)
            if not math.isfinite(values[0]):
                return PENALTY, np.zeros(scaled.size)
            return float(values[0]), gradient_from(values, step) / scale

        bounds = problem.log_bounds(2 * max(options.gradient_step, options.hessian_step), options.search_factor)
        result = minimize(
            objective_and_gradient,
            x0 * scale,
            jac=True,
            method="L-BFGS-B",
            bounds=[(low * s, high * s) for (low, high), s in zip(bounds, scale, strict=True)],
            options={"maxiter": options.max_iterations, "ftol": options.ftol, "gtol": options.gtol},
        )
        objective = float(result.fun) if result.fun < PENALTY else math.inf
        converged, message = bool(result.success), str(result.message)
        theta = np.asarray(result.x) / scale
        return _StartResult(theta, objective, converged, message, int(result.nfev) + 1, simulated[0])

    return task


def _curvature_scale(values: np.ndarray, step: float) -> np.ndarray:
    """sqrt(|d2f/dtheta_i^2|) from the gradient's difference points, 1 where not finite."""
    with np.errstate(invalid="ignore"):
        curvature = np.abs(values[1::2] - 2 * values[0] + values[2::2]) / step**2
    return np.sqrt(np.where(np.isfinite(curvature), np.clip(curvature, 1e-4, 1e12), 1.0))


def finish_fits(
    problems: Sequence[SubjectProblem],
    best: Sequence[_StartResult],
    simulator: BatchSimulator,
    options: FitOptions,
    method: str,
) -> list[IndividualFit]:
    """Hessians of every subject at its estimate, in one batched simulation, and the fits."""
    step = options.hessian_step
    point_sets = [hessian_points(r.theta, step) for r in best]
    requests = [(p, points) for p, points in zip(problems, point_sets, strict=True)]
    collected: list[np.ndarray] = []

    def gather(rows: np.ndarray, doses: tuple[Dose, ...]) -> np.ndarray:
        collected.append(rows)
        return np.zeros((len(rows), len(simulator.outputs), simulator.times.size))

    for problem, points in requests:  # first pass: collect every row to simulate
        objective_at(problem, points, gather)
    outputs = simulator(np.concatenate(collected), [p.subject.doses for p, c in zip(problems, collected, strict=True) for _ in c])
    fits = []
    start = 0
    for (problem, points), rows, result in zip(requests, collected, best, strict=True):
        chunk = outputs[start : start + len(rows)]
        start += len(rows)
        values, data_values = objective_at(problem, points, _replay(chunk))
        hessian = hessian_from(values, step, len(problem.free))
        fits.append(_make_fit(problem, result, hessian, float(data_values[0]), method, len(points)))
    return fits


def _replay(outputs: np.ndarray) -> Evaluate:
    """An ``evaluate`` that returns outputs simulated beforehand."""

    def evaluate(rows: np.ndarray, doses: tuple[Dose, ...]) -> np.ndarray:
        return outputs

    return evaluate


def _make_fit(
    problem: SubjectProblem, result: _StartResult, hessian: np.ndarray, m2ll: float, method: str, n_hessian: int
) -> IndividualFit:
    theta, message = result.theta, result.message
    k = theta.size
    covariance = np.full((k, k), math.nan)
    try:
        np.linalg.cholesky(hessian)
        covariance = 2 * np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        message += "; the Hessian is not positive definite (a parameter is not identifiable): no standard errors"
    log_se = np.sqrt(np.diag(covariance))
    estimates = np.exp(theta)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(log_se, log_se)
    n = problem.subject.n_observations
    return IndividualFit(
        subject=problem.subject.id,
        method=method,
        parameters=problem.names,
        estimates=_frozen(estimates),
        standard_errors=_frozen(estimates * log_se),
        rse_percent=_frozen(100 * log_se),
        covariance_log=_frozen(covariance),
        correlation=_frozen(correlation),
        minus_two_log_likelihood=m2ll,
        objective=result.objective,
        aic=m2ll + 2 * k,
        bic=m2ll + k * math.log(n),
        n_observations=n,
        converged=result.converged,
        message=message,
        n_evaluations=result.evaluations,
        n_simulated=result.simulated + n_hessian,
        start_objectives=result.start_objectives,
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array
