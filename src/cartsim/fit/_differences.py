"""Central finite differences on the log scale, as batches of points evaluated together."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cartsim.engine import Dose

from ._problem import SubjectProblem

Evaluate = Callable[[np.ndarray, tuple[Dose, ...]], np.ndarray]


def objective_at(problem: SubjectProblem, thetas: np.ndarray, evaluate: Evaluate) -> tuple[np.ndarray, np.ndarray]:
    """(objective, -2LL) at log-parameter vectors ``(m, k)``, simulating each distinct model part once.

    Vectors that differ only in error-model parameters share one simulation.
    """
    model_part = thetas[:, : problem.n_model]
    if problem.n_model == 0:
        distinct, inverse = model_part[:1], np.zeros(len(thetas), dtype=np.int64)
    else:
        distinct, inverse = np.unique(model_part, axis=0, return_inverse=True)
    outputs = evaluate(problem.model_rows(_pad(distinct, thetas.shape[1])), problem.subject.doses)
    return problem.evaluate(thetas, outputs[inverse.ravel()])


def _pad(model_part: np.ndarray, width: int) -> np.ndarray:
    padded = np.zeros((len(model_part), width))
    padded[:, : model_part.shape[1]] = model_part
    return padded


def gradient_points(theta: np.ndarray, step: float) -> np.ndarray:
    """``theta`` then ``theta + step e_i``, ``theta - step e_i`` for each i: ``(2k + 1, k)``."""
    k = theta.size
    points = np.repeat(theta[None, :], 2 * k + 1, axis=0)
    for i in range(k):
        points[1 + 2 * i, i] += step
        points[2 + 2 * i, i] -= step
    return points


def gradient_from(values: np.ndarray, step: float) -> np.ndarray:
    """Central differences; one-sided where a neighbour is not finite, 0 where neither is."""
    center, plus, minus = values[0], values[1::2], values[2::2]
    with np.errstate(invalid="ignore"):
        gradient = (plus - minus) / (2 * step)
        forward = (plus - center) / step
        backward = (center - minus) / step
    gradient = np.where(np.isfinite(gradient), gradient, np.where(np.isfinite(forward), forward, backward))
    return np.where(np.isfinite(gradient), gradient, 0.0)


def hessian_points(theta: np.ndarray, step: float) -> np.ndarray:
    """The points of the central-difference Hessian: the gradient's, then ``(++, +-, -+, --)`` per pair."""
    k = theta.size
    points = [gradient_points(theta, step)]
    for i in range(k):
        for j in range(i + 1, k):
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                point = theta.copy()
                point[i] += si * step
                point[j] += sj * step
                points.append(point[None, :])
    return np.concatenate(points)


def hessian_from(values: np.ndarray, step: float, k: int) -> np.ndarray:
    """Assemble the Hessian from the values at :func:`hessian_points`."""
    center = values[0]
    hessian = np.empty((k, k))
    for i in range(k):
        hessian[i, i] = (values[1 + 2 * i] - 2 * center + values[2 + 2 * i]) / step**2
    position = 2 * k + 1
    for i in range(k):
        for j in range(i + 1, k):
            pp, pm, mp, mm = values[position : position + 4]
            hessian[i, j] = hessian[j, i] = (pp - pm - mp + mm) / (4 * step**2)
            position += 4
    return hessian
