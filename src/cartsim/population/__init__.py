"""Virtual patients: per-patient parameters with inter-individual variability."""

from ._iiv import patient_streams as patient_streams
from ._iiv import residual_noise as residual_noise
from ._iiv import sample_parameters as sample_parameters
from ._iiv import typical_parameters as typical_parameters

__all__ = ["patient_streams", "residual_noise", "sample_parameters", "typical_parameters"]
