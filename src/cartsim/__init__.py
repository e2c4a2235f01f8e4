"""cartsim: in-silico CAR-T cell therapy.

A research and education tool; never use it for clinical decisions.
"""

from . import models as models
from ._citations import citations as citations
from ._citations import print_citations as print_citations
from ._endpoints import simulate_endpoints as simulate_endpoints
from ._simulate import simulate as simulate
from ._version import __version__ as __version__
from .engine import Dose as Dose
from .errors import CartsimError as CartsimError
from .errors import DoseError as DoseError
from .errors import ModelError as ModelError
from .errors import ModelSyntaxError as ModelSyntaxError
from .errors import ParameterError as ParameterError
from .errors import SimulationError as SimulationError
from .model import Model as Model
from .model import load_model as load_model
from .model import parse_model as parse_model

__all__ = [
    "CartsimError",
    "Dose",
    "DoseError",
    "Model",
    "ModelError",
    "ModelSyntaxError",
    "ParameterError",
    "SimulationError",
    "__version__",
    "citations",
    "load_model",
    "models",
    "parse_model",
    "print_citations",
    "simulate",
    "simulate_endpoints",
]
