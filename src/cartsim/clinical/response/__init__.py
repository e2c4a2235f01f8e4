"""Response criteria: Lugano 2014 (CT and PET-CT) for lymphoma, B-ALL, and IMWG for myeloma.

Each criterion has immutable assessment records validated at construction, a ``classify_*``
function giving the category of every follow-up visit, an ``assess_*`` function returning a
:class:`ResponseSummary` (best overall response, time to first response, time to progression,
all times in days), and an ``assess_*_table`` function for many patients in a long pandas table.
Rules are those of the project reference ``clinical.md`` §3; each module's docstring restates them.
"""

from cartsim.errors import ClinicalDataError as ClinicalDataError

from ._common import ResponseSummary as ResponseSummary
from .ball import BALLAssessment as BALLAssessment
from .ball import BALLResponse as BALLResponse
from .ball import assess_ball as assess_ball
from .ball import assess_ball_table as assess_ball_table
from .ball import classify_ball as classify_ball
from .ball import is_mrd_negative as is_mrd_negative
from .ball import mrd_negative_remission_day as mrd_negative_remission_day
from .imwg import IMWGAssessment as IMWGAssessment
from .imwg import IMWGResponse as IMWGResponse
from .imwg import assess_imwg as assess_imwg
from .imwg import assess_imwg_table as assess_imwg_table
from .imwg import classify_imwg_unconfirmed as classify_imwg_unconfirmed
from .imwg import confirm_consecutive as confirm_consecutive
from .imwg import is_imwg_mrd_negative as is_imwg_mrd_negative
from .imwg import mrd_negative_cr_day as mrd_negative_cr_day
from .lugano import CTAssessment as CTAssessment
from .lugano import Lesion as Lesion
from .lugano import LuganoResponse as LuganoResponse
from .lugano import NewLesion as NewLesion
from .lugano import assess_lugano_ct as assess_lugano_ct
from .lugano import assess_lugano_ct_table as assess_lugano_ct_table
from .lugano import classify_ct as classify_ct
from .lugano_pet import MetabolicResponse as MetabolicResponse
from .lugano_pet import PETAssessment as PETAssessment
from .lugano_pet import UptakeChange as UptakeChange
from .lugano_pet import assess_lugano_pet as assess_lugano_pet
from .lugano_pet import classify_pet as classify_pet

__all__ = [
    "BALLAssessment",
    "BALLResponse",
    "CTAssessment",
    "ClinicalDataError",
    "IMWGAssessment",
    "IMWGResponse",
    "Lesion",
    "LuganoResponse",
    "MetabolicResponse",
    "NewLesion",
    "PETAssessment",
    "ResponseSummary",
    "UptakeChange",
    "assess_ball",
    "assess_ball_table",
    "assess_imwg",
    "assess_imwg_table",
    "assess_lugano_ct",
    "assess_lugano_ct_table",
    "assess_lugano_pet",
    "classify_ball",
    "classify_ct",
    "classify_imwg_unconfirmed",
    "classify_pet",
    "confirm_consecutive",
    "is_imwg_mrd_negative",
    "is_mrd_negative",
    "mrd_negative_cr_day",
    "mrd_negative_remission_day",
]
