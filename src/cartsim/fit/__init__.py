"""Fitting: NONMEM/Monolix data and individual (ML, MAP) estimation with diagnostics.

- :func:`read_data` reads a NONMEM- or Monolix-style CSV into an immutable :class:`FitData`.
- :func:`fit_individual` / :func:`fit_individuals` estimate parameters per subject by maximum
  likelihood or MAP (with the model's IIV priors), with M3 for values below the LLOQ, and
  Hessian standard errors; :func:`profile_likelihood` profiles one parameter.

See ``docs/fitting.md``.
"""

from ._batch import SimulationSettings as SimulationSettings
from .data import FitData as FitData
from .data import Subject as Subject
from .data import read_data as read_data
from .individual import FitOptions as FitOptions
from .individual import IndividualFit as IndividualFit
from .individual import IndividualFits as IndividualFits
from .individual import fit_individual as fit_individual
from .individual import fit_individuals as fit_individuals
from .likelihood import ErrorModel as ErrorModel
from .likelihood import minus_two_log_likelihood as minus_two_log_likelihood
from .profile import Profile as Profile
from .profile import profile_likelihood as profile_likelihood

__all__ = [
    "ErrorModel",
    "FitData",
    "FitOptions",
    "IndividualFit",
    "IndividualFits",
    "Profile",
    "SimulationSettings",
    "Subject",
    "fit_individual",
    "fit_individuals",
    "minus_two_log_likelihood",
    "profile_likelihood",
    "read_data",
]
