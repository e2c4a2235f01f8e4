"""Presets of the approved CAR-T products: construct, labelled dose rules, lymphodepletion, and
the attribute effects they have in the platform model.

Research and education only; never for clinical decisions about a patient.
"""

from ._catalogue import INDICATIONS as INDICATIONS
from ._catalogue import PRODUCTS as PRODUCTS
from ._catalogue import Labelled as Labelled
from ._catalogue import Product as Product
from ._catalogue import get_product as get_product
from ._costimulation import COSTIMULATION_EFFECTS as COSTIMULATION_EFFECTS
from ._costimulation import attribute_parameters as attribute_parameters
from ._dose_rules import PHYSICAL_MAX_CELLS as PHYSICAL_MAX_CELLS
from ._dose_rules import ByWeight as ByWeight
from ._dose_rules import Flat as Flat
from ._dose_rules import PerKg as PerKg
from ._dose_rules import SplitByBlasts as SplitByBlasts
from ._lymphodepletion import Regimen as Regimen

__all__ = [
    "COSTIMULATION_EFFECTS",
    "INDICATIONS",
    "PHYSICAL_MAX_CELLS",
    "PRODUCTS",
    "ByWeight",
    "Flat",
    "Labelled",
    "PerKg",
    "Product",
    "Regimen",
    "SplitByBlasts",
    "attribute_parameters",
    "get_product",
]
