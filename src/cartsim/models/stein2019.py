"""Stein 2019: multiphasic cellular kinetics of tisagenlecleucel in B-ALL.

Stein AM, Grupp SA, Levine JE, et al. Tisagenlecleucel model-based cellular kinetic
analysis of chimeric antigen receptor-T cells. *CPT Pharmacometrics Syst Pharmacol*
2019;8(5):285-295. doi:10.1002/psp4.12388

An empirical, segmented model of the transgene level in blood (qPCR, copies/ug gDNA),
fitted to 90 paediatric and young-adult patients with r/r B-ALL (ELIANA, ENSIGN). The level
grows exponentially until ``peak_time`` (Tmax), then an effector-like pool contracts at
``contraction_rate`` (alpha) while a fraction ``persistence_fraction`` (FB) of the peak
passes into a memory-like pool that decays at ``persistence_rate`` (beta).

Parameters and IIV (omega squared, i.e. variances of the log-normal eta) are the typical
values of Table 1 (final model = base model; no covariate retained). The comedication
factors Ftoci and Fster are left out: the paper found no effect of either on expansion and
the form in which they act is not confirmed. Etas are sampled independently (no
correlations reported).

The model is not dose-driven: the infusion defines t = 0 and the dose enters only through
``peak_level / fold_expansion``; a dose event is rejected (``dose=False`` on both states).
Under IIV ``contraction_rate < persistence_rate`` in about 0.16 % of patients; the memory
pool then goes negative while the transgene level stays positive and equal to the closed
form, so the memory state is declared ``nonnegative=False`` and never clamped.

Validation (tests/models/test_stein2019.py):

==============================  ======================  ===================
target                          value                   kind
==============================  ======================  ===================
doubling time ln2/rho           0.78 d                  published
initial-decline half-life       4.3 d                   published
terminal half-life              ~217 d (216.6 d)        published
Cmax at Tmax (typical)          24,000 copies/ug, 9.3 d published (Table 1)
R0 (typical)                    6.15 copies/ug          computed reference
AUC0-28 (typical)               1.718e5 copies*d/ug     computed reference
C(14 d), C(28 d)                11,410; 1,374 copies/ug computed reference
==============================  ======================  ===================
"""

from __future__ import annotations

from ._scenario import ReferencePoint, Scenario

DESCRIPTION = "Multiphasic cellular kinetics of tisagenlecleucel (B-ALL)"
#: What the model is good for (shown on its documentation page).
GOOD_FOR = (
    "Describing and simulating tisagenlecleucel transgene kinetics (expansion, contraction, "
    "persistence) in B-ALL, with the population IIV and residual error of a published NLME fit: the "
    "standard starting point for CAR-T cellular-kinetic analyses, NCA comparisons and virtual "
    "populations of transgene profiles. It has no tumour, no dose effect and no toxicity."
)
CITATION = (
    "Stein AM, Grupp SA, Levine JE, et al. Tisagenlecleucel model-based cellular kinetic analysis of "
    "chimeric antigen receptor-T cells. CPT Pharmacometrics Syst Pharmacol 2019;8(5):285-295. "
    "doi:10.1002/psp4.12388"
)

TEXT = f'''
model(name="stein2019", citation="{CITATION}")

fold_expansion = 3900 | unit="1", lower=1, omega2=2.4, symbol="foldx"
    | source="Stein 2019 Table 1", description="fold expansion from t = 0 to Tmax"
peak_time = 9.3 | unit="day", omega2=0.38, symbol="Tmax"
    | source="Stein 2019 Table 1", description="time of the peak: switch from expansion to contraction"
peak_level = 24000 | unit="copies/ug", omega2=0.65, symbol="Cmax"
    | source="Stein 2019 Table 1", description="peak transgene level"
contraction_rate = 0.16 | unit="1/day", omega2=0.91, symbol="alpha"
    | source="Stein 2019 Table 1", description="fast (contraction) decline rate"
persistence_fraction = 0.0079 | unit="1", upper=1, omega2=0.8, symbol="FB"
    | source="Stein 2019 Table 1", description="fraction of the peak entering the slow phase"
persistence_rate = 0.0032 | unit="1/day", omega2=0.86, symbol="beta"
    | source="Stein 2019 Table 1", description="slow (persistence) decline rate"

expansion_rate = log(fold_expansion) / peak_time
    | unit="1/day", symbol="rho", description="exponential expansion rate"
transfer_rate = persistence_fraction * (contraction_rate - persistence_rate)
    | unit="1/day", symbol="k", description="effector to memory transfer rate"

d/dt(effector) = expansion_rate * effector if t < peak_time else -contraction_rate * effector
    | unit="copies/ug", symbol="E", dose=False, description="effector-like transgene level"
d/dt(memory) = 0 if t < peak_time else transfer_rate * effector - persistence_rate * memory
    | unit="copies/ug", symbol="M", dose=False, nonnegative=False
    | description="memory-like transgene level (latent: may be negative under IIV)"
effector(0) = peak_level / fold_expansion

transgene = effector + memory | unit="copies/ug", symbol="C", observable=True
    | error="log_additive", error_sd=0.56, source="Stein 2019 Table 1 (residual error a)"
    | description="CAR transgene level in blood (qPCR)"
'''

#: Published set-ups; the first is the reference curve drawn on the model page.
SCENARIOS = {
    "typical": Scenario(
        "typical patient (Table 1 typical values), 0.1-day grid", end=180.0, step=0.1, source="Stein 2019 Table 1"
    ),
}

REFERENCE_POINTS = (
    ReferencePoint("transgene", 9.3, 24000.0, "published", "Cmax at Tmax (Table 1)", "typical"),
    ReferencePoint("transgene", 14.0, 11410.0, "computed", "C(14 d)", "typical"),
    ReferencePoint("transgene", 28.0, 1374.0, "computed", "C(28 d)", "typical"),
)
