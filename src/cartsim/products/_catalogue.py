"""The seven approved CAR-T products (clinical.md section 1): construct facts, labelled doses and
lymphodepletion per indication, and what they mean for the platform model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cartsim.engine import Dose
from cartsim.errors import ProductError, did_you_mean
from cartsim.platform import DOSE_STATE, platform_model

from ._costimulation import Costimulation, Target, attribute_parameters
from ._dose_rules import ByWeight, DoseRule, Flat, PerKg, SplitByBlasts, check_against_label, check_cells
from ._lymphodepletion import Regimen, flu_cy

#: Indications the presets know (issue: products, indications and virtual populations).
INDICATIONS = ("b_all_pediatric", "b_all_adult", "lbcl", "fl", "mcl", "mm")
#: Cells per unit of the platform model's dose state (1e9 cells).
CELLS_PER_DOSE_UNIT = 1e9


@dataclass(frozen=True)
class Labelled:
    """A product's label in one indication: the dose rule and the lymphodepleting regimen."""

    dose: DoseRule
    lymphodepletion: Regimen
    source: str


@dataclass(frozen=True)
class Product:
    """An approved CAR-T product and its labels by indication."""

    key: str
    brand: str
    inn: str
    target: Target
    costimulation: Costimulation
    vector: str
    labels: Mapping[str, Labelled] = field(default_factory=dict)
    notes: str = ""

    def label(self, indication: str) -> Labelled:
        """The label of ``indication`` (one of :data:`INDICATIONS` that this product is approved for)."""
        if indication not in self.labels:
            known = ", ".join(self.labels)
            raise ProductError(
                f"{self.brand} ({self.key}) has no label for indication {indication!r}; its indications: {known}."
                + did_you_mean(indication, self.labels)
            )
        return self.labels[indication]

    def doses(self, indication: str, *, weight_kg: float, marrow_blasts_percent: float | None = None,
              total_cells: float | None = None) -> tuple[Dose, ...]:
        """The infusion(s) as platform-model doses (1e9 cells into ``effector``, days after the first).

        ``total_cells`` (CAR+ cells) replaces the nominal dose, keeping the label's split;
        outside the label it warns (:class:`~cartsim.errors.LabelWarning`), impossible values fail.
        """
        rule = self.label(indication).dose
        schedule = rule.schedule(weight_kg, marrow_blasts_percent)
        if total_cells is not None:
            total = check_cells(total_cells, "total_cells")
            check_against_label(rule, total, weight_kg, marrow_blasts_percent, f"{self.brand} in {indication}")
            nominal = sum(cells for _, cells in schedule)
            schedule = tuple((day, cells * total / nominal) for day, cells in schedule)
        return tuple(Dose(DOSE_STATE, cells / CELLS_PER_DOSE_UNIT, time=day) for day, cells in schedule)

    def platform_parameters(self, indication: str) -> dict[str, float]:
        """Platform-model parameter values implied by the product (target, costimulation) and
        the indication's lymphodepleting regimen."""
        typical = {p.name: p.default for p in platform_model().parameters}
        values = attribute_parameters(self.target, self.costimulation, typical)
        values["lymphodepletion_intensity"] = self.label(indication).lymphodepletion.intensity
        return values


_AXI_LD = flu_cy(30, 3, 500, 3, "yescartahcp.com; ASH-SAP table (clinical.md 1.3)")
_FLU_CY_300 = "ASH-SAP table / Blood review table (clinical.md 1.3)"

PRODUCTS: Mapping[str, Product] = MappingProxyType({product.key: product for product in (
    Product("tisa-cel", "Kymriah", "tisagenlecleucel", "CD19", "4-1BB", "lentiviral", {
        "b_all_pediatric": Labelled(ByWeight(50.0, PerKg(0.2e6, 5.0e6), Flat(0.1e8, 2.5e8)),
                                    flu_cy(30, 4, 500, 2, "label summary (clinical.md 1.3)"), "label (clinical.md 1.2)"),
        "lbcl": Labelled(Flat(0.6e8, 6.0e8), flu_cy(25, 3, 250, 3, "label text (clinical.md 1.3)"), "label (clinical.md 1.2)"),
        # The FL regimen was not captured (clinical.md 1.3): the LBCL regimen is assumed.
        "fl": Labelled(Flat(0.6e8, 6.0e8), flu_cy(25, 3, 250, 3, "assumed: the LBCL regimen (FL regimen not captured)"),
                       "FDA FL approval (clinical.md 1.2)"),
    }),
    Product("axi-cel", "Yescarta", "axicabtagene ciloleucel", "CD19", "CD28", "gamma-retroviral", {
        "lbcl": Labelled(PerKg(2e6, 2e6, 2e8), _AXI_LD, "yescartahcp.com (clinical.md 1.2)"),
        "fl": Labelled(PerKg(2e6, 2e6, 2e8), _AXI_LD, "yescartahcp.com (clinical.md 1.2)"),
    }),
    Product("brexu-cel", "Tecartus", "brexucabtagene autoleucel", "CD19", "CD28", "gamma-retroviral", {
        "mcl": Labelled(PerKg(2e6, 2e6, 2e8), flu_cy(30, 3, 500, 3, "tecartushcp.com (clinical.md 1.3)"),
                        "tecartushcp.com, ZUMA-2 (clinical.md 1.2)"),
        "b_all_adult": Labelled(PerKg(1e6, 1e6, 1e8), flu_cy(25, 3, 900, 1, "unconfirmed [U] (clinical.md 1.3)"),
                                "unconfirmed [U] (clinical.md 1.2)"),
    }, notes="the axi-cel CAR made with a T-cell enrichment step [U]"),
    Product("liso-cel", "Breyanzi", "lisocabtagene maraleucel", "CD19", "4-1BB", "lentiviral", {
        "lbcl": Labelled(Flat(50e6, 110e6, target=100e6), flu_cy(30, 3, 300, 3, _FLU_CY_300),
                         "TRANSCEND dose level 2; label range 50-110e6 [U] (clinical.md 1.2)"),
    }, notes="CD8 and CD4 components at a defined 1:1 ratio"),
    Product("ide-cel", "Abecma", "idecabtagene vicleucel", "BCMA", "4-1BB", "lentiviral", {
        "mm": Labelled(Flat(300e6, 460e6), flu_cy(30, 3, 300, 3, _FLU_CY_300), "rxlist.com; abecmahcp.com (clinical.md 1.2)"),
    }),
    Product("cilta-cel", "Carvykti", "ciltacabtagene autoleucel", "BCMA", "4-1BB", "lentiviral", {
        "mm": Labelled(PerKg(0.5e6, 1.0e6, 1e8), flu_cy(30, 3, 300, 3, _FLU_CY_300), "ascopost.com (clinical.md 1.2)"),
    }, notes="two llama VHH binding domains"),
    Product("obe-cel", "Aucatzyl", "obecabtagene autoleucel", "CD19", "4-1BB", "lentiviral", {
        "b_all_adult": Labelled(SplitByBlasts(20.0, (10e6, 400e6), (100e6, 310e6), second_day=9.0),
                                flu_cy(30, 4, 500, 2, "onclive.com, FELIX (clinical.md 1.3)"),
                                "drugs.com dosage page; 20 % threshold [V], tier doses [U] (clinical.md 1.2)"),
    }, notes="CAT19 binder with a fast off-rate; 4-1BB costimulation [U]; day 1 and day 10 infusions"),
)})


def get_product(name: str) -> Product:
    """A product by key (``"axi-cel"``), brand (``"Yescarta"``) or INN (``"axicabtagene ciloleucel"``)."""
    wanted = name.strip().lower() if isinstance(name, str) else name
    for product in PRODUCTS.values():
        if wanted in (product.key, product.brand.lower(), product.inn.lower()):
            return product
    names = [*PRODUCTS, *(p.brand for p in PRODUCTS.values())]
    raise ProductError(f"no product {name!r}; available: {', '.join(PRODUCTS)}." + did_you_mean(str(name), names))
