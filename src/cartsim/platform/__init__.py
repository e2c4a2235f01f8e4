"""The integrated CAR-T platform model: from infusion to remission, relapse and toxicity.

Research and education only; never for clinical decisions about a patient.
"""

from .model import CALIBRATED_PARAMETERS as CALIBRATED_PARAMETERS
from .model import DOSE_STATE as DOSE_STATE
from .model import platform_model as platform_model
from .model import platform_text as platform_text

__all__ = ["CALIBRATED_PARAMETERS", "DOSE_STATE", "platform_model", "platform_text"]
