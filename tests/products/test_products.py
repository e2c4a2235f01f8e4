"""Product presets: labelled dose rules (clinical.md section 1.2, hand-checked), label warnings,
impossible doses, lymphodepletion intensity and the costimulation attribute effect."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import cartsim
from cartsim.errors import LabelWarning, ProductError
from cartsim.platform import platform_model
from cartsim.products import COSTIMULATION_EFFECTS, INDICATIONS, PRODUCTS, get_product


def _cells(product: str, indication: str, **patient: float) -> list[tuple[float, float]]:
    doses = get_product(product).doses(indication, **patient)  # type: ignore[arg-type]
    return [(d.time, d.amount * 1e9) for d in doses]


@pytest.mark.parametrize(
    ("product", "indication", "patient", "expected"),
    [
        # Yescarta 2e6/kg, maximum 2e8: 70 kg -> 1.4e8; the cap binds above 100 kg.
        ("axi-cel", "lbcl", {"weight_kg": 70}, [(0.0, 1.4e8)]),
        ("axi-cel", "lbcl", {"weight_kg": 100}, [(0.0, 2.0e8)]),
        ("axi-cel", "lbcl", {"weight_kg": 130}, [(0.0, 2.0e8)]),
        # Kymriah B-ALL: <= 50 kg per kg (0.2-5.0e6/kg, middle 2.6e6/kg), > 50 kg flat 0.1-2.5e8 (middle 1.3e8).
        ("tisa-cel", "b_all_pediatric", {"weight_kg": 30}, [(0.0, 30 * 2.6e6)]),
        ("tisa-cel", "b_all_pediatric", {"weight_kg": 50}, [(0.0, 50 * 2.6e6)]),
        ("tisa-cel", "b_all_pediatric", {"weight_kg": 60}, [(0.0, 1.3e8)]),
        # Breyanzi target 100e6 whatever the weight.
        ("liso-cel", "lbcl", {"weight_kg": 90}, [(0.0, 1.0e8)]),
        # Abecma flat 300-460e6 -> middle 380e6.
        ("ide-cel", "mm", {"weight_kg": 80}, [(0.0, 3.8e8)]),
        # Carvykti 0.5-1.0e6/kg, max 1e8: 70 kg -> 35-70e6, middle 52.5e6; 150 kg -> 75-100e6, middle 87.5e6.
        ("cilta-cel", "mm", {"weight_kg": 70}, [(0.0, 5.25e7)]),
        ("cilta-cel", "mm", {"weight_kg": 150}, [(0.0, 8.75e7)]),
        # Aucatzyl: > 20 % blasts 10e6 then 400e6 on day 10 (9 days later); <= 20 %: 100e6 then 310e6.
        ("obe-cel", "b_all_adult", {"weight_kg": 70, "marrow_blasts_percent": 45}, [(0.0, 1e7), (9.0, 4e8)]),
        ("obe-cel", "b_all_adult", {"weight_kg": 70, "marrow_blasts_percent": 20}, [(0.0, 1e8), (9.0, 3.1e8)]),
    ],
)
def test_labelled_dose_rules(
    product: str, indication: str, patient: dict[str, float], expected: list[tuple[float, float]]
) -> None:
    got = _cells(product, indication, **patient)
    assert [day for day, _ in got] == [day for day, _ in expected]
    np.testing.assert_allclose([c for _, c in got], [c for _, c in expected], rtol=1e-12)


def test_kymriah_weight_switch_is_continuous_at_50_kg() -> None:
    """clinical.md 1.2: 0.2-5.0e6/kg x 50 kg = 0.1-2.5e8, so the two rules meet at 50 kg."""
    rule = get_product("Kymriah").label("b_all_pediatric").dose
    np.testing.assert_allclose(rule.label_range(50.0), rule.label_range(50.0 + 1e-9), rtol=1e-9)


def test_dose_outside_the_label_warns_but_runs() -> None:
    with pytest.warns(LabelWarning, match=r"Yescarta in lbcl.*3e\+08 CAR\+ cells is outside the label"):
        doses = get_product("axi-cel").doses("lbcl", weight_kg=70, total_cells=3e8)
    assert doses[0].amount == pytest.approx(0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_product("ide-cel").doses("mm", weight_kg=70, total_cells=4.6e8)  # the label's top: no warning


def test_total_dose_keeps_the_split() -> None:
    doses = get_product("obe-cel").doses("b_all_adult", weight_kg=70, marrow_blasts_percent=50, total_cells=4.1e8)
    assert [d.amount for d in doses] == pytest.approx([0.01, 0.4])


@pytest.mark.parametrize("cells", [-1.0, math.nan, math.inf, 1.5e11, True])
def test_physically_impossible_doses_are_errors(cells: float) -> None:
    message = r"total_cells = .* CAR\+ cells is physically impossible; give a number in \[0, 1e\+11\]"
    with pytest.raises(ProductError, match=message):
        get_product("axi-cel").doses("lbcl", weight_kg=70, total_cells=cells)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: get_product("axi-cell"), r"no product 'axi-cell'.*Did you mean 'axi-cel'"),
        (lambda: get_product("axi-cel").doses("mm", weight_kg=70), r"Yescarta \(axi-cel\) has no label for indication 'mm'"),
        (lambda: get_product("axi-cel").doses("lbcl", weight_kg=0.2), r"body weight = 0.2 kg .* \[1, 350\] kg"),
        (lambda: get_product("obe-cel").doses("b_all_adult", weight_kg=70), r"marrow blasts = None %.*\[0, 100\]"),
        (lambda: get_product("obe-cel").doses("b_all_adult", weight_kg=70, marrow_blasts_percent=120),
         r"marrow blasts = 120 %"),
    ],
)
def test_bad_requests_name_the_value_and_what_is_allowed(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProductError, match=message):
        call()


def test_catalogue_covers_the_seven_products_and_known_indications() -> None:
    assert sorted(p.brand for p in PRODUCTS.values()) == sorted(
        ["Kymriah", "Yescarta", "Tecartus", "Breyanzi", "Abecma", "Carvykti", "Aucatzyl"])
    for product in PRODUCTS.values():
        assert set(product.labels) <= set(INDICATIONS)
        assert get_product(product.brand) is product
        assert get_product(product.inn.upper()) is product


def test_lymphodepletion_intensity() -> None:
    """The axi-cel regimen is the reference (intensity 1); weaker regimens are below it."""
    assert get_product("axi-cel").label("lbcl").lymphodepletion.intensity == pytest.approx(1.0)
    assert get_product("tisa-cel").label("lbcl").lymphodepletion.intensity == pytest.approx(0.6 * 75 / 90 + 0.4 * 750 / 1500)
    assert get_product("ide-cel").label("mm").lymphodepletion.intensity < 1.0


def test_target_and_costimulation_set_platform_parameters() -> None:
    typical = {p.name: p.default for p in platform_model().parameters}
    assert get_product("ide-cel").platform_parameters("mm")["b_cell_antigen_weight"] == 0.0
    axi = get_product("axi-cel").platform_parameters("lbcl")
    assert axi["b_cell_antigen_weight"] == 1.0
    for name, factor in COSTIMULATION_EFFECTS["CD28"].items():
        assert axi[name] == pytest.approx(typical[name] * factor)


def test_cd28_expands_faster_and_contracts_sooner_than_4_1bb() -> None:
    """The documented costimulation effect, the same virtual patients with each domain and the
    same lymphodepletion and dose: CD28 peaks higher and earlier, 4-1BB persists longer."""
    model = platform_model()
    times = np.arange(0, 366.0, 0.5)
    typical = {p.name: p.default for p in model.parameters}
    results = {}
    for domain in ("CD28", "4-1BB"):
        params = {name: typical[name] * factor for name, factor in COSTIMULATION_EFFECTS[domain].items()}
        results[domain] = cartsim.simulate(model, times=times, doses=cartsim.Dose("effector", 0.14), n_patients=100,
                                           seed=8, params=params)
    cd28, bb = (results[d]["car_t_blood"] for d in ("CD28", "4-1BB"))
    assert (cd28.max("time").values > bb.max("time").values).all()
    assert np.median(times[cd28.argmax("time").values]) <= np.median(times[bb.argmax("time").values])
    # Persistence: fewer CAR-T cells at day 180 with CD28, in most patients (a patient whose
    # tumour relapses sooner under CD28 re-expands its CAR-T cells, so not in every one).
    ratio = cd28.sel(time=180).values / bb.sel(time=180).values
    assert (ratio < 1.0).mean() > 0.9
    assert np.median(ratio) < 0.7
