"""The batched compiled ODE engine: pure numerics, no I/O."""

from ._doses import Dose as Dose
from ._solve import Solution as Solution
from ._solve import SolverSettings as SolverSettings
from ._solve import check_times as check_times
from ._solve import solve as solve
from ._status import STATUS_MESSAGES as STATUS_MESSAGES
from ._status import STATUS_NAMES as STATUS_NAMES

__all__ = ["STATUS_MESSAGES", "STATUS_NAMES", "Dose", "Solution", "SolverSettings", "check_times", "solve"]
