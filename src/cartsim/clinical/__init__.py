"""The clinical layer: the words clinicians and pharmacometricians use for outcomes.

- :mod:`cartsim.clinical.grading`: ASTCT consensus CRS and ICANS grading (adults, children
  <= 12 y with CAPD), the legacy Lee 2014 and Penn CRS scales, daily grades of long tables and
  per-patient summaries (maximum grade, onset, duration, resolution).
- :mod:`cartsim.clinical.response`: Lugano 2014 (CT and PET-CT), B-ALL and IMWG response
  criteria over series of assessments.
- Cellular-kinetics NCA (:func:`nca_table`, :func:`summarise_nca`): Cmax, Tmax, AUC0-28,
  AUC0-last, Clast, Tlast, terminal half-life, values below the limit of quantification.
- Survival endpoints (:func:`kaplan_meier`, :func:`survival_summary`, :func:`hazard_ratio`):
  PFS, EFS, OS, DOR with censoring, through lifelines.

Research and education only; never for clinical decisions about a patient.
"""

from . import grading as grading
from . import response as response
from .nca import auc_linear_up_log_down as auc_linear_up_log_down
from .nca import cmax_tmax as cmax_tmax
from .nca_table import apply_blq as apply_blq
from .nca_table import nca_table as nca_table
from .nca_table import summarise_nca as summarise_nca
from .nca_terminal import TerminalPhase as TerminalPhase
from .nca_terminal import terminal_phase as terminal_phase
from .survival import DAYS_PER_MONTH as DAYS_PER_MONTH
from .survival import ENDPOINTS as ENDPOINTS
from .survival import endpoint_times as endpoint_times
from .survival import hazard_ratio as hazard_ratio
from .survival import kaplan_meier as kaplan_meier
from .survival import survival_summary as survival_summary

__all__ = [
    "DAYS_PER_MONTH",
    "ENDPOINTS",
    "TerminalPhase",
    "apply_blq",
    "auc_linear_up_log_down",
    "cmax_tmax",
    "endpoint_times",
    "grading",
    "hazard_ratio",
    "kaplan_meier",
    "nca_table",
    "response",
    "summarise_nca",
    "survival_summary",
    "terminal_phase",
]
