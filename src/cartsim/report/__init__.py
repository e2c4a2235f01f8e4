"""Figures and reports. Importing this module does not import matplotlib; plotting does."""

from .plots import plot_simulation as plot_simulation

__all__ = ["plot_simulation"]
