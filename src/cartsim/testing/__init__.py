"""Reference workloads shared by the test-suite and the benchmark (``benchmarks/``).

``cart6`` is the engine benchmark's fixed 6-state CAR-T-like model (issue "Engine II"): its
equations and parameters must not change, so that benchmark numbers stay comparable over
time. ``cart6_stiff`` adds a CAR-T/tumour binding step on a seconds scale.
"""

CART6_TEXT = """
model(name="cart6", description="6-state CAR-T benchmark workload")
expansion_rate = 1.2   | unit="1/day"
half_sat = 50          | unit="cells/uL"
eff_death = 0.25       | unit="1/day"
to_memory = 0.05       | unit="1/day"
reactivation = 0.5     | unit="1/day"
mem_death = 0.01       | unit="1/day"
exhaustion_rate = 0.02 | unit="1/day"
exh_death = 0.3        | unit="1/day"
growth_rate = 0.03     | unit="1/day"
capacity = 1e4         | unit="cells/uL"
kill_rate = 0.08       | unit="uL/(cell*day)"
b_renewal = 0.02       | unit="1/day"
b_normal = 200         | unit="cells/uL"
b_kill_rate = 0.05     | unit="uL/(cell*day)"
il6_per_kill = 0.5     | unit="pg/mL per (cells/uL)"
il6_clearance = 3.0    | unit="1/day"
A = tumour + b_cells
stim = A / (half_sat + A)
kill = kill_rate * car_eff * tumour / (1 + 0.001 * car_eff)
exhaust = exhaustion_rate * car_eff * tumour / (half_sat + tumour)
d/dt(car_eff) = expansion_rate*car_eff*stim - eff_death*car_eff - to_memory*car_eff + reactivation*car_mem*stim - exhaust
    | unit="cells/uL"
d/dt(car_mem) = to_memory*car_eff - reactivation*car_mem*stim - mem_death*car_mem | unit="cells/uL"
d/dt(car_exh) = exhaust - exh_death*car_exh | unit="cells/uL"
d/dt(tumour)  = growth_rate*tumour*(1 - tumour/capacity) - kill | unit="cells/uL"
d/dt(b_cells) = b_renewal*(b_normal - b_cells) - b_kill_rate*car_eff*b_cells/(1 + 0.001*car_eff) | unit="cells/uL"
d/dt(il6)     = il6_per_kill*kill - il6_clearance*il6 | unit="pg/mL"
car_eff(0) = 0.5
car_mem(0) = 0.05
tumour(0) = 1000
b_cells(0) = 200
"""

# cart6 plus a fast binding step: killing goes through the CAR-T/tumour complex `bound`,
# whose relaxation rate k_off = 1e4/day makes the system stiff. At quasi-steady state
# bound = (k_on/k_off) * car_eff * tumour, which gives back cart6's killing term.
CART6_STIFF_TEXT = (
    CART6_TEXT.replace(
        'model(name="cart6", description="6-state CAR-T benchmark workload")',
        'model(name="cart6_stiff", description="cart6 with a fast CAR-T/tumour binding step (stiff)")',
    ).replace(
        "kill = kill_rate * car_eff * tumour / (1 + 0.001 * car_eff)",
        'k_on = 1e3 | unit="uL/(cell*day)"\n'
        'k_off = 1e4 | unit="1/day"\n'
        "kill = kill_rate * (k_off/k_on) * bound / (1 + 0.001*car_eff)",
    )
    + 'd/dt(bound) = k_on*car_eff*tumour - k_off*bound | unit="cells/uL"\n'
)

__all__ = ["CART6_STIFF_TEXT", "CART6_TEXT"]

from ._conformance import CHECKS as CHECKS  # noqa: E402
from ._conformance import ModelCheckError as ModelCheckError  # noqa: E402
from ._conformance import check_model as check_model  # noqa: E402
