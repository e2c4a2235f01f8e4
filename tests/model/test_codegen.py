"""The printed right-hand side: a denominator shared by several divisions is inverted once."""

from __future__ import annotations

import re

import numpy as np

import cartsim
from cartsim.engine._kernel import load_kernel
from cartsim.model._codegen import model_functions_source
from cartsim.testing import CART6_TEXT


def _function(source: str, name: str) -> str:
    start = source.index(f"def {name}(")
    return source[start : source.index("\n\n", start)]


def test_a_shared_denominator_is_inverted_once_in_both_right_hand_sides() -> None:
    """cart6's kill and b-cell killing share ``1 + 0.001*car_eff``; the other denominators
    occur once and stay divisions."""
    source = model_functions_source(cartsim.parse_model(CART6_TEXT))
    for name in ("model_rhs", "model_rhs_lanes"):
        body = _function(source, name)
        assert body.count("(1.0/(0.001*s_car_eff + 1))") == 1, name
        assert body.count("r_0*") == 2, name
        # Three divisions by a parenthesized sum: the shared one's inverse, stim's, exhaust's.
        assert len(re.findall(r"/\(", body)) == 3, name
        assert body.count("s_tumour/p_capacity") == 1


def test_the_shared_reciprocal_keeps_the_derivatives() -> None:
    """The printed right-hand side agrees with the equations evaluated directly."""
    model = cartsim.parse_model(CART6_TEXT)
    kernel = load_kernel(model)
    p = dict(zip(model.parameter_names, model.defaults, strict=True))
    y = np.array([30.0, 2.0, 1.0, 800.0, 150.0, 4.0])
    e, m, x, tumour, b, il6 = y
    stim = (tumour + b) / (p["half_sat"] + tumour + b)
    kill = p["kill_rate"] * e * tumour / (1 + 0.001 * e)
    exhaust = p["exhaustion_rate"] * e * tumour / (p["half_sat"] + tumour)
    expected = [
        p["expansion_rate"] * e * stim - p["eff_death"] * e - p["to_memory"] * e + p["reactivation"] * m * stim - exhaust,
        p["to_memory"] * e - p["reactivation"] * m * stim - p["mem_death"] * m,
        exhaust - p["exh_death"] * x,
        p["growth_rate"] * tumour * (1 - tumour / p["capacity"]) - kill,
        p["b_renewal"] * (p["b_normal"] - b) - p["b_kill_rate"] * e * b / (1 + 0.001 * e),
        p["il6_per_kill"] * kill - p["il6_clearance"] * il6,
    ]
    dy = np.empty(6)
    kernel.model_rhs(0.0, 0.0, y, model.defaults, dy)
    np.testing.assert_allclose(dy, expected, rtol=1e-14)  # reciprocal products round differently by an ulp or two
