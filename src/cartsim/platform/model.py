"""The integrated CAR-T platform model, assembled from its mechanism blocks.

One mechanistic model of a patient from infusion to remission, relapse and toxicity:
:mod:`~cartsim.platform._t_cells` (CAR-T phenotypes, lymphodepletion, normal-T competition),
:mod:`~cartsim.platform._tumour` (antigen-positive and -negative clones, healthy B cells,
disease readouts), :mod:`~cartsim.platform._toxicity` (cytokines, vitals, neurotoxicity,
treatment exposures) and :mod:`~cartsim.platform._grades` (the in-model ASTCT grades). Each
block's docstring names the published mechanisms it is built from; every parameter carries
its unit and source, or "assumed" with the reason.

Time is in days from infusion (t = 0). The CAR-T dose is a bolus into ``effector`` in 1e9
cells (``Dose("effector", 0.14)`` is 1.4e8 CAR+ cells).
"""

from __future__ import annotations

from functools import cache

from cartsim._citations import record
from cartsim.model import Model, parse_model

from . import _grades, _t_cells, _toxicity, _tumour

NAME = "cartsim_platform"
DESCRIPTION = "integrated CAR-T platform model: expansion, killing, persistence, B-cell aplasia, CRS, ICANS, relapse"
CITATION = (
    "cartsim integrated CAR-T platform model, built from Kimmel 2021 (Proc R Soc B 288:20210229), "
    "Leon-Triana 2021 (Commun Nonlinear Sci Numer Simul 94:105570), Hardiansyah 2019 (Clin Transl Sci 12:343), "
    "Liu 2022 (J Immunother Cancer), Singh 2021 (CPT Pharmacometrics Syst Pharmacol 10:362) and Stein 2019"
)

#: Parameters the product and indication presets calibrate (issue: products and populations).
CALIBRATED_PARAMETERS = (
    "lymphodepletion_intensity",
    "antigen_expansion_rate",
    "antigen_half_saturation",
    "effector_death_rate",
    "memory_death_rate",
    "baseline_tumour",
    "tumour_growth_rate",
    "il6_per_kill",
    "ifn_gamma_per_kill",
    "neuro_max_drive",
)

#: The observed CAR-T dose target and its unit.
DOSE_STATE = "effector"
DOSE_UNIT = "1e9 cells"

HEADER = f'model(name="{NAME}", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="{DOSE_STATE}")'


def platform_text() -> str:
    """The platform model's full text in the model language."""
    return "\n".join([HEADER, _t_cells.TEXT, _tumour.TEXT, _toxicity.TEXT, _grades.TEXT])


@cache
def platform_model() -> Model:
    """The platform model (parsed once per process)."""
    model = parse_model(platform_text(), name=NAME)
    record(model)
    return model
