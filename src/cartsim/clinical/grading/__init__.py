"""ASTCT consensus grading of CRS and ICANS, and the legacy Lee 2014 and Penn CRS scales.

Source: Lee DW et al., "ASTCT Consensus Grading for Cytokine Release Syndrome and Neurologic
Toxicity Associated with Immune Effector Cells", Biol Blood Marrow Transplant
2019;25:625–638 (restated in clinical.md §2). Rates graded on different scales are not
comparable (clinical.md §0.4). A research and education tool, never a clinical decision tool.

One assessment::

    grade_crs(CRSAssessment(temperature_celsius=39.5, hypotension=True, vasopressors=1,
                            oxygen_support=OxygenSupport.LOW_FLOW_NASAL_CANNULA,
                            oxygen_flow_l_per_min=2))                       # 3
    grade_icans(ICANSAssessment(ice_score=3, seizure=Seizure.RAPIDLY_RESOLVING))   # 3

Many patients over time: :func:`grade_time_series` (long DataFrame → daily grades) and
:func:`summarize_grades` (daily grades → max, onset, duration, resolution per patient).
"""

from ._validation import GradingInputError as GradingInputError
from ._validation import NotGradableError as NotGradableError
from .crs import CRSAssessment as CRSAssessment
from .crs import OxygenSupport as OxygenSupport
from .crs import grade_crs as grade_crs
from .icans import CerebralEdema as CerebralEdema
from .icans import ICANSAssessment as ICANSAssessment
from .icans import ICEScore as ICEScore
from .icans import LevelOfConsciousness as LevelOfConsciousness
from .icans import MotorFinding as MotorFinding
from .icans import PediatricICANSAssessment as PediatricICANSAssessment
from .icans import Seizure as Seizure
from .icans import grade_icans as grade_icans
from .legacy import grade_crs_lee2014 as grade_crs_lee2014
from .legacy import grade_crs_penn as grade_crs_penn
from .records import Records as Records
from .records import RecordsFileError as RecordsFileError
from .records import read_records as read_records
from .timeseries import grade_time_series as grade_time_series
from .timeseries import summarize_grades as summarize_grades

__all__ = [
    "CRSAssessment",
    "CerebralEdema",
    "GradingInputError",
    "ICANSAssessment",
    "ICEScore",
    "LevelOfConsciousness",
    "MotorFinding",
    "NotGradableError",
    "OxygenSupport",
    "PediatricICANSAssessment",
    "Records",
    "RecordsFileError",
    "Seizure",
    "grade_crs",
    "grade_crs_lee2014",
    "grade_crs_penn",
    "grade_icans",
    "grade_time_series",
    "read_records",
    "summarize_grades",
]
