"""The cartsim model language: parse text into an immutable, validated :class:`Model`."""

from ._codegen import model_functions_source as model_functions_source
from ._model import Model as Model
from ._model import load_model as load_model
from ._model import parse_model as parse_model
from ._symbols import IIV as IIV
from ._symbols import Intermediate as Intermediate
from ._symbols import Parameter as Parameter
from ._symbols import ResidualError as ResidualError
from ._symbols import State as State

__all__ = [
    "IIV",
    "Intermediate",
    "Model",
    "Parameter",
    "ResidualError",
    "State",
    "load_model",
    "model_functions_source",
    "parse_model",
]
