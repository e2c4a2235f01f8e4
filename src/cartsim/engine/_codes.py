"""Integer codes shared by the Python side and the compiled kernels (plain constants only).

Code generation copies this module's text to the top of every kernel module, so the numba
templates and :mod:`cartsim.engine._status` / :mod:`cartsim.engine._solve` read one source.
"""

# Patient status codes; cartsim.engine._status maps them to names and messages.
OK = 0
MAX_STEPS = 1
NON_FINITE = 2
NEGATIVE_STATE = 3
STEP_TOO_SMALL = 4
#: Internal to the driver, never a patient status: a state fell below its `stochastic_below`.
ENTER_STOCHASTIC = 100
#: Set before the kernel runs; a patient still holding it was never integrated.
NOT_RUN = -1

# Integration methods; cartsim.engine._solve maps their names to these codes.
EXPLICIT = 0
STIFF = 1
AUTO = 2
