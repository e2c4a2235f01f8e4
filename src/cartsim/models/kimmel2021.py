"""Kimmel 2021: normal-T competition, tumour killing and stochastic cure (axi-cel, LBCL).

Kimmel GJ, Locke FL, Altrock PM. The roles of T cell competition and stochastic extinction
events in chimeric antigen receptor T cell therapy. *Proc R Soc B* 2021;288:20210229.
doi:10.1098/rspb.2021.0229

Axicabtagene ciloleucel in large B-cell lymphoma (ZUMA-1). After lymphodepletion (LD),
normal T cells N and CAR-T cells C regrow by Gompertz laws towards their own carrying
capacities (K_N, K_C) and compete through the total T = N + C. The CAR-T per-capita rate
r_C(T) = rho_C + b (T - K_N)^2 / (a T^2 + (T - K_N)^2) is raised while T is far below K_N
(just after LD), so CAR-T cells expand quickly and are then slowly outcompeted (K_C < K_N).
The CD19+ tumour B (mL) grows exponentially and is killed by CAR-T with saturation. Outcomes:
progressive disease is B >= 1.2 B(0) (:func:`progression_time`); cure is tumour extinction,
which exists only in the paper's hybrid stochastic mode (see below; :func:`cure_probability`).

Units. N and C are in cells/uL and B in mL (1 mL ~ 1e9 cells), with the per-uL parameter
values the paper fitted (paper Table 1 in cells divided by 5e8). The factor 5e8 is this
model's own mapping between the body-wide T-cell pool and blood counts, *not* a blood volume
(it is 100 times a 5-L blood volume); convert only with :func:`cells_to_per_microlitre` and
:func:`per_microlitre_to_cells`.

Dose. The infusion is the initial condition C(0) = ``infused_dose`` (0.36 cells/uL = 1.8e8
cells) at t = 0 (``dose="infused_dose"``). N(0) = ``normal_t_after_lymphodepletion`` (6
cells/uL = 3e9 cells, the median after LD) encodes how deep the lymphodepletion was. A second
infusion is an additive bolus on ``car_t``; re-lymphodepletion before it is a reset
(``Dose(..., mode="set")``) of ``normal_t`` to the post-LD level, applied before the bolus at
the same time (:func:`second_infusion`). The paper (ESM section 6) models it this way; the
reset level and the timing used in the scenarios here (N reset to 6 cells/uL, day 30) are
assumptions to be confirmed against the ESM. The paper's conclusion, that a second infusion
helps only when LD is repeated first, is checked qualitatively in the tests.

Pitfalls, and how they are handled:

- r_C formula: the denominator is ``a*T^2 + (T - K_N)^2`` (Fig. 2b inset, BioModels, the
  authors' later work), not the garbled ``a/(T^2 + (T - K_N)^2)`` of some renderings.
- r_N = 0.17 and rho_C = 0.0251 are main-text Table 1 values (not the ESM table).
- ln(T/K) needs T = N + C > 0. With N(0) > 0, N stays positive for all finite times (its
  per-capita rate is finite while T >= N > 0), so T > 0 always. ``normal_t_after_lymphodepletion``
  is therefore bounded below by 2e-9 cells/uL (one cell with the 5e8 mapping); a complete
  depletion (N = C = 0) is outside the model. A ``mode="set"`` dose of 0 into ``normal_t``
  with no CAR-T present would make ln(T/K) undefined: don't.
- IIV: the paper reports quartile ranges [Q1, Q3] of the fitted parameters (Table 1), not
  omegas. Here omega (log-normal SD) = ln(Q3/Q1) / (2 * 0.67449) is *derived* from them for
  K_C, r_N, rho_C, b, gamma_B and k_B; this is an assumption of cartsim, not a number from the
  paper (the paper introduces variability by perturbing parameters, ESM section 5.3). The
  range printed for ``a`` ([0.100, 0.302]) excludes its estimate 0.423, an apparent typo, so
  ``a`` gets no IIV; K_N (literature), r_B (not fitted) and the initial conditions get none.
- Deterministic B never reaches 0: with the typical values it falls to a minimum of
  7.46e-14 mL (about 7e-5 cells) on day 160.1 and then regrows at r_B as the CAR-T cells are
  outcompeted. "Deterministic minimum" and "cure" are different things.
- Tolerances: the tumour spans many orders of magnitude (94.86 mL down to 1e-13 mL and below
  under IIV), so with the engine's default atol (1e-9 mL, about one cell) it can undershoot to
  about -1.5e-9 mL. Use ``atol=ABSOLUTE_TOLERANCES`` (tumour 1e-15 mL = 1e-6 cells) whenever
  sub-cell tumour values matter; nothing is clamped.
- Hybrid stochastic cure (ESM section 5): the tumour is declared ``stochastic_below=1e-7``
  (100 cells) with ``cell_amount=1e-9`` (one cell in mL). Below that level the engine
  simulates it as a birth-death process of whole cells, births at r_B per cell and deaths at
  gamma_B C/(k_B + C) per cell (the positive and negative terms of dB/dt; how the paper's ESM
  splits r_B into birth and death is not restated in models.md, so net growth r_B is taken
  as pure birth: to confirm), with the CAR-T cells driving the death rate as they change.
  Extinction is cure; a birth above 100 cells returns to the ODE. :func:`outcomes` reads cure
  and progression off a result and :func:`cure_probability` estimates the cure fraction of a
  seeded virtual cohort with its Wilson interval. ``simulate(..., hybrid=False)`` gives the
  deterministic model.
- Patent: Moffitt's WO2021021804A1 covers this model family for response prediction.

Validation (tests/models/test_kimmel2021.py):

===================================================  ===================================  ==================
target                                               value                                kind
===================================================  ===================================  ==================
deterministic CAR-T peak                             30.1 cells/uL at day 7.0             computed reference
C(14), C(28), C(90)                                  8.97, 2.49, 0.338 cells/uL           computed reference
N(28), N(90)                                         473, 499.6 cells/uL                  computed reference
Moffitt ZUMA-1 CAR-T IQR, d7 / d14 / d28 / d90       16.5-57.5 / 3.8-31.1 / 0.6-6.1 /     published
                                                     0.01-0.4 cells/uL (typical inside)
progression definition                               B >= 1.2 B(0)                        published
deterministic tumour minimum                         > 0 (7.46e-14 mL, day 160.1)         computed (here)
cure probability vs K_C and N(0) (hybrid cohorts)    rises with K_C, falls with N(0)      published (qualitative)
cure vs switching threshold (100 vs 1,000 cells)     weak (< 0.02 change)                 published (qualitative)
===================================================  ===================================  ==================

Measured (500 IIV patients, seed 1, 365 days): cure fraction 0.61 (95 % CI 0.56-0.65) at the
typical values; 0.08 at K_C = 70 and 0.99 at K_C = 280 cells/uL; 0.79, 0.17 and 0.02 at
N(0) = 1, 30 and 100 cells/uL. (ZUMA-1 reported 54 % complete responses; the model was not
fitted to that number.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cartsim.engine import Dose

from ._scenario import ReferencePoint, Scenario

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

DESCRIPTION = "Normal-T competition, tumour killing and stochastic cure (axi-cel, LBCL)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Studying how lymphodepletion depth and competition with regrowing normal T cells shape CAR-T "
    "expansion in LBCL, and why cure is a stochastic extinction event: cure probabilities over "
    "virtual cohorts (hybrid mode), the effect of re-infusion with and without re-lymphodepletion."
)
CITATION = (
    "Kimmel GJ, Locke FL, Altrock PM. The roles of T cell competition and stochastic extinction events in "
    "chimeric antigen receptor T cell therapy. Proc R Soc B 2021;288:20210229. doi:10.1098/rspb.2021.0229"
)

#: This model's mapping between body-wide cell numbers and cells/uL (Table 1 / per-uL values).
#: Not a blood volume: 5e8 uL is 100 times a 5-L blood volume.
CELLS_PER_MICROLITRE_UNIT = 5e8
#: Per-state absolute tolerances (state units) for simulations that follow the tumour far below one cell.
ABSOLUTE_TOLERANCES = {"normal_t": 1e-9, "car_t": 1e-9, "tumour": 1e-15}
#: In the hybrid mode the ODE tumour never goes below 100 cells (1e-7 mL): 1e-12 mL suffices.
HYBRID_TOLERANCES = {"normal_t": 1e-9, "car_t": 1e-9, "tumour": 1e-12}
#: Progressive disease: tumour volume at least this multiple of B(0).
PROGRESSION_FACTOR = 1.2

_IIV_SOURCE = "omega derived as ln(Q3/Q1)/(2*0.67449) from the Table 1 quartile range (cartsim assumption)"

TEXT = f'''
model(name="kimmel2021", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="infused_dose")

normal_t_capacity = 500 | unit="cells/uL", lower=0, symbol="K_N"
    | source="Kimmel 2021 Table 1 (2.50e11 cells / 5e8; literature value)"
    | description="normal T-cell carrying capacity"
car_t_capacity = 139 | unit="cells/uL", lower=0, omega=0.334, symbol="K_C"
    | source="Kimmel 2021 Table 1 (6.96e10 cells / 5e8); IIV: {_IIV_SOURCE}, [6.15, 9.65]e10 cells"
    | description="CAR-T carrying capacity"
normal_t_growth_rate = 0.17 | unit="1/day", lower=0, omega=0.0221, symbol="r_N"
    | source="Kimmel 2021 Table 1 (main text, not ESM); IIV: {_IIV_SOURCE}, [0.165, 0.170]"
    | description="normal T-cell Gompertz growth rate"
car_t_baseline_rate = 0.0251 | unit="1/day", lower=0, omega=0.394, symbol="rho_C"
    | source="Kimmel 2021 Table 1 (main text, not ESM); IIV: {_IIV_SOURCE}, [2.08, 3.54]e-2"
    | description="baseline CAR-T Gompertz rate (reached as T approaches K_N)"
signalling_inefficiency = 0.423 | unit="1", lower=0, symbol="a"
    | source="Kimmel 2021 Table 1; no IIV: the printed range [0.100, 0.302] excludes the estimate (typo)"
    | description="signalling inefficiency in the CAR-T rate r_C(T)"
reconstitution_boost = 0.525 | unit="1/day", lower=0, omega=0.0825, symbol="b"
    | source="Kimmel 2021 Table 1; IIV: {_IIV_SOURCE}, [0.467, 0.522]"
    | description="immune reconstitution impact: extra CAR-T rate while T is far from K_N"
tumour_growth_rate = 0.01 | unit="1/day", lower=0, symbol="r_B"
    | source="Kimmel 2021 (literature range 0.01-0.50, not fitted); 0.01 as in BIOMD0000001041"
    | description="tumour net growth rate"
max_kill_rate = 1.15 | unit="1/day", lower=0, omega=0.553, symbol="gamma_B"
    | source="Kimmel 2021 Table 1; IIV: {_IIV_SOURCE}, [0.64, 1.35]"
    | description="maximal per-volume tumour killing rate by CAR-T"
kill_half_saturation = 4.05 | unit="cells/uL", lower=0, omega=0.595, symbol="k_B"
    | source="Kimmel 2021 Table 1 (2.024e9 cells / 5e8); IIV: {_IIV_SOURCE}, [1.40, 3.125]e9 cells"
    | description="CAR-T level giving half-maximal killing"
infused_dose = 0.36 | unit="cells/uL", lower=0, symbol="C(0)"
    | source="Kimmel 2021 (1.80e8 cells / 5e8, the infused dose)"
    | description="CAR-T dose, the initial condition C(0) at infusion (t = 0)"
normal_t_after_lymphodepletion = 6 | unit="cells/uL", lower=2e-9, symbol="N(0)"
    | source="Kimmel 2021 (3.00e9 cells / 5e8, median after lymphodepletion)"
    | description="normal T cells at infusion; encodes LD depth (> 0 keeps ln(T/K) defined)"
initial_tumour_volume = 94.86 | unit="mL", lower=0, symbol="B(0)"
    | source="Kimmel 2021 (median metabolic tumour volume, 9.486e10 cells)"
    | description="tumour volume at infusion"

total_t = normal_t + car_t | unit="cells/uL", symbol="T", observable=True
    | description="total T cells (normal + CAR-T)"
lymphopenia_signal = (total_t - normal_t_capacity)**2 / (signalling_inefficiency * total_t**2 + (total_t - normal_t_capacity)**2)
    | unit="1", description="0 at T = K_N, 1 at T = 0: how far T is below the normal-T capacity"
car_t_rate = car_t_baseline_rate + reconstitution_boost * lymphopenia_signal
    | unit="1/day", symbol="r_C", description="CAR-T per-capita Gompertz rate r_C(T) (Fig. 2b inset)"

d/dt(normal_t) = -normal_t_growth_rate * normal_t * log(total_t / normal_t_capacity)
    | unit="cells/uL", symbol="N", description="normal T cells in blood"
d/dt(car_t) = -car_t_rate * car_t * log(total_t / car_t_capacity)
    | unit="cells/uL", symbol="C", description="CAR-T cells in blood"
# Hybrid stochastic cure (ESM section 5): below 100 cells (1e-7 mL; 1 cell = 1e-9 mL) the tumour
# is a birth-death process of whole cells: births at r_B*B, deaths by killing, both per cell;
# extinction (0 cells) is cure. simulate(..., hybrid=False) keeps it deterministic.
d/dt(tumour) = tumour_growth_rate * tumour - max_kill_rate * tumour * car_t / (kill_half_saturation + car_t)
    | unit="mL", symbol="B", description="CD19+ tumour volume (1 mL ~ 1e9 cells)"
    | stochastic_below=1e-7, cell_amount=1e-9
normal_t(0) = normal_t_after_lymphodepletion
car_t(0) = infused_dose
tumour(0) = initial_tumour_volume

tumour_relative_to_baseline = tumour / initial_tumour_volume | unit="1", observable=True
    | description="tumour volume relative to B(0); progression at >= 1.2"
'''


def cells_to_per_microlitre(cells: float | np.ndarray) -> float | np.ndarray:
    """Body-wide cell number -> cells/uL with this model's own factor 5e8 (not a blood volume)."""
    return cells / CELLS_PER_MICROLITRE_UNIT


def per_microlitre_to_cells(per_microlitre: float | np.ndarray) -> float | np.ndarray:
    """Cells/uL -> body-wide cell number with this model's own factor 5e8 (not a blood volume)."""
    return per_microlitre * CELLS_PER_MICROLITRE_UNIT


def progression_time(result: xr.Dataset) -> np.ndarray:
    """First output time (day) at which the tumour reaches ``1.2 * B(0)``, per patient; NaN if never.

    ``result`` is a :func:`cartsim.simulate` dataset of this model. B(0) is each patient's
    ``initial_tumour_volume``. The time resolution is the output grid (no interpolation).
    """
    tumour = np.asarray(result["tumour"].values, dtype=float)
    baseline = np.asarray(result["initial_tumour_volume"].values, dtype=float)
    times = np.asarray(result["time"].values, dtype=float)
    reached = tumour >= PROGRESSION_FACTOR * baseline[:, None]
    first = np.argmax(reached, axis=1)
    return np.where(reached.any(axis=1), times[first], math.nan)


@dataclass(frozen=True)
class CureEstimate:
    """The fraction of a virtual cohort cured (tumour extinct), with its Wilson 95 % interval."""

    probability: float
    low: float
    high: float
    cured: int
    patients: int
    days: float


def outcomes(result: xr.Dataset) -> pd.DataFrame:
    """Per-patient outcomes of a simulation of this model, indexed by patient id.

    - ``cured``: the tumour is extinct (exactly 0 cells in the hybrid mode) at the last output
      time; ``cure_day``: the first output time with 0 cells (NaN if none). A deterministic
      tumour only approaches 0 (it may underflow to 0.0 in floating point after ~1e-320
      cells), so a result run with ``hybrid=False`` never counts as cured;
    - ``progression_day``: the first output time with B >= 1.2 B(0) (:func:`progression_time`);
    - ``lowest_tumour_ml``: the lowest tumour volume on the output grid (mL).
    """
    import pandas as pd

    tumour = np.asarray(result["tumour"].values, dtype=float)
    times = np.asarray(result["time"].values, dtype=float)
    # The simulate() attribute: "off (...)" when the tumour ran deterministically.
    hybrid = not str(result.attrs.get("stochastic_mode", "")).startswith("off")
    extinct = (tumour == 0.0) & hybrid
    return pd.DataFrame(
        {
            "cured": extinct[:, -1],
            "cure_day": np.where(extinct.any(axis=1), times[np.argmax(extinct, axis=1)], math.nan),
            "progression_day": progression_time(result),
            "lowest_tumour_ml": np.nanmin(tumour, axis=1),
            "status": result["status"].values,
        },
        index=pd.Index(result["patient"].values, name="patient"),
    )


def cure_probability(
    n_patients: int = 1000,
    *,
    seed: int = 0,
    days: float = 365.0,
    params: Mapping[str, float] | None = None,
) -> CureEstimate:
    """Probability of cure over a virtual cohort: IIV draws and hybrid stochastic tumour
    events from ``seed``, followed daily for ``days``; ``params`` overrides typical values.

    Cure is tumour extinction (Kimmel 2021); a patient whose simulation did not end ``ok``
    raises an error rather than being counted either way.
    """
    from cartsim import simulate
    from cartsim.errors import SimulationError
    from cartsim.models import get

    result = simulate(
        get("kimmel2021"),
        times=np.arange(0.0, float(days) + 0.5),
        n_patients=n_patients,
        seed=seed,
        params=dict(params or {}),
        atol=HYBRID_TOLERANCES,
    )
    failed = int((result["status"].values != "ok").sum())
    if failed:
        raise SimulationError(f"{failed} of {n_patients} patients did not integrate; the cure fraction would be biased")
    cured = int(outcomes(result)["cured"].sum())
    low, high = _wilson(cured, n_patients)
    return CureEstimate(cured / n_patients, low, high, cured, n_patients, float(days))


def _wilson(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default)."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def second_infusion(
    time: float,
    dose: float = 0.36,
    *,
    relymphodepletion: bool = True,
    normal_t_after_lymphodepletion: float = 6.0,
) -> tuple[Dose, ...]:
    """A second infusion of ``dose`` cells/uL at ``time`` (day), optionally after re-lymphodepletion.

    Re-lymphodepletion resets ``normal_t`` to ``normal_t_after_lymphodepletion`` cells/uL
    (``mode="set"``, applied before the additive CAR-T bolus at the same time). Kimmel 2021
    ESM section 6; the reset level (the first LD's 6 cells/uL) is an assumption to confirm.
    """
    infusion = Dose("car_t", dose, time)
    if not relymphodepletion:
        return (infusion,)
    return (Dose("normal_t", normal_t_after_lymphodepletion, time, mode="set"), infusion)


#: Published set-ups; the first is the reference curve drawn on the model page.
SCENARIOS = {
    "typical": Scenario(
        "ZUMA-1 median patient (Table 1 typical values, per uL), 0.1-day grid",
        end=180.0,
        step=0.1,
        source="Kimmel 2021 Table 1 and Fig. 2",
    ),
    "second_infusion_with_relymphodepletion": Scenario(
        "second infusion of 0.36 cells/uL on day 30 after re-lymphodepletion (N reset to 6 cells/uL)",
        end=180.0,
        step=0.1,
        doses=second_infusion(30.0),
        source="Kimmel 2021 ESM section 6 (reset level and day 30: assumptions to confirm)",
    ),
    "second_infusion_without_relymphodepletion": Scenario(
        "second infusion of 0.36 cells/uL on day 30 without re-lymphodepletion",
        end=180.0,
        step=0.1,
        doses=second_infusion(30.0, relymphodepletion=False),
        source="Kimmel 2021 ESM section 6 (day 30: assumption)",
    ),
}

REFERENCE_POINTS = (
    ReferencePoint("car_t", 7.0, 30.1, "computed", "deterministic CAR-T peak", "typical"),
    ReferencePoint("car_t", 14.0, 8.97, "computed", "C(14 d)", "typical"),
    ReferencePoint("car_t", 28.0, 2.49, "computed", "C(28 d)", "typical"),
    ReferencePoint("car_t", 90.0, 0.338, "computed", "C(90 d)", "typical"),
    ReferencePoint("normal_t", 28.0, 473.0, "computed", "N(28 d)", "typical"),
    ReferencePoint("normal_t", 90.0, 499.6, "computed", "N(90 d)", "typical"),
    ReferencePoint("car_t", 7.0, 27.5, "published", "ZUMA-1 median, day 7 (Moffitt)", "typical"),
    ReferencePoint("car_t", 14.0, 9.1, "published", "ZUMA-1 median, day 14 (Moffitt)", "typical"),
    ReferencePoint("car_t", 28.0, 2.1, "published", "ZUMA-1 median, day 28 (Moffitt)", "typical"),
    ReferencePoint("car_t", 90.0, 0.1, "published", "ZUMA-1 median, day 90 (Moffitt)", "typical"),
)
