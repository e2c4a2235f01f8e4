"""The clinical layer: cellular-kinetics NCA (more in later releases: grading, response, survival)."""

from .nca import auc_linear_up_log_down as auc_linear_up_log_down
from .nca import cmax_tmax as cmax_tmax

__all__ = ["auc_linear_up_log_down", "cmax_tmax"]
