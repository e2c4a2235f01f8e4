"""Virtual patients: covariates with correlations and bounds, and per-patient parameters with inter-individual variability."""

from cartsim.engine._streams import EVENT_STREAM as EVENT_STREAM
from cartsim.engine._streams import NOISE_STREAM as NOISE_STREAM
from cartsim.engine._streams import PARAMETER_STREAM as PARAMETER_STREAM
from cartsim.engine._streams import patient_streams as patient_streams

from ._covariates import COVARIATE_STREAM as COVARIATE_STREAM
from ._covariates import Covariate as Covariate
from ._covariates import Population as Population
from ._iiv import residual_noise as residual_noise
from ._iiv import sample_parameters as sample_parameters
from ._iiv import typical_parameters as typical_parameters

__all__ = [
    "COVARIATE_STREAM",
    "EVENT_STREAM",
    "NOISE_STREAM",
    "PARAMETER_STREAM",
    "Covariate",
    "Population",
    "patient_streams",
    "residual_noise",
    "sample_parameters",
    "typical_parameters",
]
