"""Fitting: NONMEM/Monolix data and individual (ML, MAP) estimation with diagnostics."""

from .data import FitData as FitData
from .data import Subject as Subject
from .data import read_data as read_data
