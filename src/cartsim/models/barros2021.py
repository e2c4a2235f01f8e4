"""Barros 2021 (CARTmath): effector/memory CAR-T in mouse xenografts of haematological cancers.

Barros LRC, Paixão EA, Valli AMP, Naozuka GT, Fassoni AC, Almeida RC. CARTmath - a
mathematical model of CAR-T immunotherapy in preclinical studies of hematological cancers.
*Cancers* 2021;13(12):2941. doi:10.3390/cancers13122941. Software: CARTmath v1.0,
doi:10.5281/zenodo.4450376.

CAR-T therapy in immunodeficient mice bearing haematological tumours; all states are cell
numbers in the whole mouse. Effector CAR-T cells (C_T) expand at phi, die at rho, convert to
memory cells (C_M) at epsilon and are inhibited by the tumour (alpha, e.g. through IDO);
memory cells die at mu and are re-activated into effectors on contact with tumour (theta). The
tumour (T) grows logistically (r, b = 1/K) and is killed by mass action (gamma). The defaults
are the HDLM-2 (Hodgkin lymphoma) + CAR-T123 parameters with T(0) = 2e6; Raji (Burkitt
lymphoma) + CAR-T19 and its IDO variants are scenario overrides (``RAJI_PARAMS`` etc.).

How the points of models.md section 7 are handled:

- *Doses are additive.* A CAR-T dose is a bolus event added to C_T on its dose day
  (``dose="effector_car_t"``); a tumour rechallenge is an additive dose into T. Same-day
  events add up and commute. The BioModels encodings (BIOMD0000001019/1020), which *assign*
  C_T = 2e6 from t >= 45 and T = 1e6 at t = 250, are not followed.
- *Extinction rule.* The reference software (fixed-step RK4, dt = 1e-3 d for HDLM-2 and
  1e-5 d for Raji) sets any population below 1e-6 cells to 0 after every step, which makes
  results depend on the step size. Here each of C_T, C_M and T carries ``extinction=1e-6``:
  the engine locates the downward crossing of 1e-6 on the dense output, cuts the step there
  and sets the state to exactly 0, so the extinction time does not depend on the steps taken.
  T = 0 is absorbing (dT/dt is proportional to T) until a rechallenge adds to it; C_T and
  C_M are absorbing only when both are 0.
- *Tumour inoculum as a parameter.* T(0) = ``tumour_cells_injected`` (cells injected on day 0).
- *Raji is nearly balanced and fast* (phi - rho = -5.36e-5 /day; theta * T reaches ~1e5 per
  day), hence the reference's tiny step; the adaptive solver (``method="auto"``) handles it.
  b = 0 for Raji: unbounded exponential tumour growth.
- *Symbol clash.* rho is effector death here (``effector_death_rate``; "pi" in BioModels).
- The mouse data the paper digitised are not distributed with the software and are not used.

Validation (tests/models/test_barros2021.py):

=====================================  =================  ==================
target                                 value              kind
=====================================  =================  ==================
ex1: tumour on day 42 (before dosing)  2.146e7 cells      computed reference
ex1: tumour falls below 1 cell         by day 45.9        computed reference
ex1: C_T(50)                           7.09e5 cells       computed reference
extinction is step-independent         rtol 1e-8 = 1e-10  structural
same-day additive doses commute        exact              structural
ex2: rechallenge rejected by memory    T extinct again    qualitative
=====================================  =================  ==================
"""

from __future__ import annotations

from cartsim.engine import Dose

from ._scenario import ReferencePoint, Scenario

DESCRIPTION = "Effector/memory CAR-T and tumour in mouse xenografts (CARTmath)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Preclinical (mouse xenograft) CAR-T dosing questions: single vs fractionated doses, tumour "
    "rechallenge and long-term memory protection, IDO-mediated immunosuppression; reproduces the "
    "CARTmath software's scenarios."
)
CITATION = (
    "Barros LRC, Paixão EA, Valli AMP, Naozuka GT, Fassoni AC, Almeida RC. CARTmath - a mathematical model "
    "of CAR-T immunotherapy in preclinical studies of hematological cancers. Cancers 2021;13(12):2941. "
    "doi:10.3390/cancers13122941"
)

_HDLM2 = "Barros 2021 (models.md section 7): HDLM-2 + CAR-T123"

TEXT = f'''
model(name="barros2021", citation="{CITATION}", description="{DESCRIPTION}", method="auto", dose="effector_car_t")

effector_expansion_rate = 0.265 | unit="1/day", lower=0, symbol="phi"
    | source="{_HDLM2}", description="effector CAR-T expansion rate"
effector_death_rate = 0.35 | unit="1/day", lower=0, symbol="rho"
    | source="{_HDLM2}", description="effector CAR-T death rate (pi in BioModels)"
memory_activation_rate = 6.0e-6 | unit="1/(cell*day)", lower=0, symbol="theta"
    | source="{_HDLM2}", description="memory to effector activation on tumour contact"
effector_inhibition_rate = 4.5e-8 | unit="1/(cell*day)", lower=0, symbol="alpha"
    | source="{_HDLM2}", description="tumour-induced effector inhibition (immunosuppression, e.g. IDO)"
memory_conversion_rate = 0.15 | unit="1/day", lower=0, symbol="epsilon"
    | source="{_HDLM2}", description="effector to memory conversion rate"
memory_death_rate = 5.0e-3 | unit="1/day", lower=0, symbol="mu"
    | source="{_HDLM2}", description="memory CAR-T death rate"
tumour_growth_rate = 5.650026e-2 | unit="1/day", lower=0, symbol="r"
    | source="{_HDLM2}", description="tumour growth rate"
inverse_carrying_capacity = 1.404029e-12 | unit="1/cell", lower=0, symbol="b"
    | source="{_HDLM2}", description="inverse tumour carrying capacity b = 1/K (0: exponential growth)"
kill_rate = 3.715843e-6 | unit="1/(cell*day)", lower=0, symbol="gamma"
    | source="{_HDLM2}", description="mass-action tumour killing by effector CAR-T"
tumour_cells_injected = 2e6 | unit="cells", lower=0, symbol="T0"
    | source="models.md section 7: scenarios ex1-ex3 (HDLM-2, T(0) = 2e6)"
    | description="tumour cells injected on day 0"

reactivation = memory_activation_rate * tumour * memory_car_t
    | unit="cells/day", description="memory CAR-T re-activated into effectors by tumour contact"
inhibition = effector_inhibition_rate * tumour * effector_car_t
    | unit="cells/day", description="effector CAR-T lost to tumour-induced inhibition"
killing = kill_rate * tumour * effector_car_t | unit="cells/day", description="tumour cells killed by effector CAR-T"

d/dt(effector_car_t) = (effector_expansion_rate - effector_death_rate) * effector_car_t + reactivation - inhibition
    | unit="cells", symbol="C_T", extinction=1e-6, description="effector CAR-T cells in the mouse"
d/dt(memory_car_t) = memory_conversion_rate * effector_car_t - reactivation - memory_death_rate * memory_car_t
    | unit="cells", symbol="C_M", extinction=1e-6, description="memory CAR-T cells in the mouse"
d/dt(tumour) = tumour_growth_rate * tumour * (1 - inverse_carrying_capacity * tumour) - killing
    | unit="cells", symbol="T", extinction=1e-6, description="tumour cells in the mouse"
tumour(0) = tumour_cells_injected

total_car_t = effector_car_t + memory_car_t | unit="cells", observable=True
    | description="all CAR-T cells (effector + memory) in the mouse"
'''

#: Raji (Burkitt lymphoma) + CAR-T19 parameters and inoculum (scenario ex4).
RAJI_PARAMS: dict[str, float] = {
    "effector_expansion_rate": 0.83,
    "effector_death_rate": 0.8300536,
    "memory_activation_rate": 2.3e-4,
    "effector_inhibition_rate": 1.248506e-8,
    "memory_conversion_rate": 1.59795,
    "memory_death_rate": 6.89e-7,
    "tumour_growth_rate": 5.071721e-1,
    "inverse_carrying_capacity": 0.0,
    "kill_rate": 3.365388e-8,
    "tumour_cells_injected": 3e6,
}
#: Raji-IDO+ (ex5): only alpha differs from Raji.
RAJI_IDO_PARAMS: dict[str, float] = {**RAJI_PARAMS, "effector_inhibition_rate": 1.461699e-8}
#: Raji-IDO+ treated with the IDO inhibitor 1-MT (ex6): only alpha differs from Raji.
RAJI_IDO_1MT_PARAMS: dict[str, float] = {**RAJI_PARAMS, "effector_inhibition_rate": 1.261662e-8}

_SOFTWARE = "CARTmath v1.0 example"

#: Published set-ups (as shipped with the software); the first is the reference curve.
SCENARIOS = {
    "ex1": Scenario(
        "HDLM-2, T(0) = 2e6; 1.5e6 CAR-T123 on day 42",
        end=200.0,
        step=0.1,
        doses=(Dose("effector_car_t", 1.5e6, 42.0),),
        source=f"{_SOFTWARE} ex1 (Barros 2021 Fig. 4a)",
    ),
    "ex2": Scenario(
        "HDLM-2, T(0) = 2e6; 2e6 CAR-T123 on day 42; rechallenge with 1e6 tumour cells on day 250",
        end=500.0,
        step=0.25,
        doses=(Dose("effector_car_t", 2e6, 42.0), Dose("tumour", 1e6, 250.0)),
        source=f"{_SOFTWARE} ex2 (Barros 2021 Fig. 3a)",
    ),
    "ex3": Scenario(
        "HDLM-2, T(0) = 2e6; fractionated 4 x 0.5e6 CAR-T123 on days 42, 49, 56 and 63",
        end=200.0,
        step=0.1,
        doses=Dose.repeated("effector_car_t", 0.5e6, interval=7.0, count=4, start=42.0),
        source=f"{_SOFTWARE} ex3 (Barros 2021 Fig. 4d)",
    ),
    "ex4": Scenario(
        "Raji + CAR-T19, T(0) = 3e6; 1e7 CAR-T19 on day 7",
        end=15.0,
        step=0.01,
        params=RAJI_PARAMS,
        doses=(Dose("effector_car_t", 1e7, 7.0),),
        source=f"{_SOFTWARE} ex4 (Barros 2021 Fig. 3b-d)",
    ),
    "ex5": Scenario(
        "Raji-IDO+ (alpha = 1.461699e-8), T(0) = 3e6; 1e7 CAR-T19 on day 7",
        end=15.0,
        step=0.01,
        params=RAJI_IDO_PARAMS,
        doses=(Dose("effector_car_t", 1e7, 7.0),),
        source=f"{_SOFTWARE} ex5 (Barros 2021 Fig. 3b-d)",
    ),
    "ex6": Scenario(
        "Raji-IDO+ treated with 1-MT (alpha = 1.261662e-8), T(0) = 3e6; 1e7 CAR-T19 on day 7",
        end=15.0,
        step=0.01,
        params=RAJI_IDO_1MT_PARAMS,
        doses=(Dose("effector_car_t", 1e7, 7.0),),
        source=f"{_SOFTWARE} ex6 (Barros 2021 Fig. 3b-d)",
    ),
    "untreated_hdlm2": Scenario(
        "HDLM-2 untreated control, T(0) = 2e6, no CAR-T", end=200.0, step=0.1, source="models.md section 7: control"
    ),
    "untreated_raji": Scenario(
        "Raji untreated control, T(0) = 3e6, no CAR-T (also the IDO+ control: alpha acts only on CAR-T)",
        end=15.0,
        step=0.01,
        params=RAJI_PARAMS,
        source="models.md section 7: control",
    ),
}

REFERENCE_POINTS = (
    ReferencePoint("tumour", 42.0, 2.146e7, "computed", "tumour on day 42, before dosing (ex1)", "ex1"),
    ReferencePoint("effector_car_t", 50.0, 7.09e5, "computed", "C_T(50) (ex1)", "ex1"),
)
