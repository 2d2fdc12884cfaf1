"""Every model parameter, declared once with its type, range, unit and default.

A scenario file (TOML) is parsed into :class:`Scenario`. Unknown keys are errors, so a typo
can never silently fall back to a default. Units: money in wan (10,000 CNY), land in mu,
distance in km, time in years; rates are shares per year unless stated.

The split follows EMA Workbench: *levers* are what a county government chooses (package,
subsidy depth, fee rate, governance, infrastructure share, policy duration); *uncertainties*
are what nobody knows exactly (agglomeration strengths, transport and moving costs, coastal
cost growth, logit noise, review rate). Both are ordinary fields here; the sweep runner
(``experiments/``) names them by their dotted path, e.g. ``agglomeration.localisation``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]


class Strict(BaseModel):
    """Base for every parameter table: unknown keys are rejected, assignments re-validated."""

    # strict: "yes" is not a bool and "0.3" is not a number in a scenario file (ints do pass as floats)
    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True)


class PluginRef(BaseModel):
    """A plug-in (an instrument, county rule or decision rule; see docs/extending.md): ``use``
    names it, every other key is one of its parameters (validated by the plug-in's ``Params``)."""

    model_config = ConfigDict(extra="allow", validate_assignment=True, strict=True)

    use: str = Field(description='the plug-in, "module:callable" (a class), e.g. "my_rules:FeeCeiling"')
    folder: Path | None = Field(
        default=None, strict=False,
        description="folder searched first for the module (default: the scenario file's folder)")

    @property
    def params(self) -> dict:
        """The plug-in's parameters as written (every key but ``use`` and ``folder``)."""
        return dict(self.model_extra or {})


class LandTier(Strict):
    """One row of a package's land-price table."""

    min_investment: NonNeg = Field(description="lowest fixed-asset investment of the tier, wan")
    price: NonNeg = Field(description="land price charged in this tier, wan/mu")


class Package(Strict):
    """An incentive package, as data. Every money term is scaled by the county's subsidy depth.

    Tiers apply to firms that get their own plot; firms below the small-firm rule enter the
    standard-factory zone at ``standard_factory_price``. Rebates are shares of the county's
    retained corporate income tax in year k of residence (k = 1, 2, ...).
    """

    description: str = ""
    land_tiers: list[LandTier] = Field(default_factory=list)
    standard_factory_price: NonNeg | None = Field(
        default=None, description="land price in the standard-factory zone, wan/mu; none = no discount"
    )
    rebate_schedule: list[Share] = Field(
        default_factory=list, description="rebate share of retained CIT by year of residence"
    )
    standard_factory_rebate_schedule: list[Share] = Field(default_factory=list)
    standard_factory_rebate_min_investment: NonNeg = Field(
        default=0.0, description="standard-factory firms below this investment (wan) get no rebate"
    )
    relocation_award: NonNeg = Field(default=0.0, description="award on arrival, share of investment K")
    fee_waiver: Share = Field(default=0.0, description="share of fees refunded in the first fee_waiver_years")
    fee_waiver_years: Annotated[int, Field(ge=0, le=50)] = 0
    start_year: Annotated[int, Field(ge=1, le=500)] = Field(
        default=1, description="first model year (years count from 1) in which arriving firms get the package"
    )
    duration_years: Annotated[int, Field(ge=0, le=500)] | None = Field(
        default=None, description="years the package is offered (none = for the whole run)"
    )
    tax_sharing: Share | None = Field(
        default=None,
        description="destination's share of a moved firm's tax growth (district rule 0.6); "
        "none = destination keeps everything",
    )
    instruments: list[PluginRef] = Field(
        default_factory=list,
        description="further instruments of the package (plug-ins); one that takes a built-in's slot replaces it",
    )

    @model_validator(mode="after")
    def _tiers_descending(self) -> Package:
        mins = [t.min_investment for t in self.land_tiers]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("land_tiers must be listed from the highest min_investment down, no repeats")
        return self

    @property
    def offers_incentives(self) -> bool:
        return bool(
            self.land_tiers
            or self.standard_factory_price is not None
            or any(self.rebate_schedule)
            or any(self.standard_factory_rebate_schedule)
            or self.relocation_award > 0
            or (self.fee_waiver > 0 and self.fee_waiver_years > 0)
        )

    def end_year(self) -> float:
        """First year in which the package is no longer offered to arriving firms (inf: never)."""
        return float("inf") if self.duration_years is None else float(self.start_year + self.duration_years)

    def incentives_end_year(self) -> float:
        """First year in which no firm receives anything from the package any more: the offer
        has closed and the last locked-in rebate or fee refund has been paid (inf: never)."""
        if not self.offers_incentives:
            return float(self.start_year)
        tail = max(len(self.rebate_schedule), len(self.standard_factory_rebate_schedule),
                   self.fee_waiver_years if self.fee_waiver > 0 else 0)
        # a firm arriving in the last offered year (end - 1) is paid in years end - 1 .. end + tail - 2
        return self.end_year() + max(tail - 1, 0)


NO_PACKAGE = "none"


class RegionTraits(Strict):
    """Attributes every region has. Used for the origin and county defaults of the generator."""

    land_supply: Pos = Field(default=15000.0, description="industrial land supply, mu")
    standard_factory_supply: NonNeg = Field(default=600.0, description="standard-factory zone land, mu")
    land_price: NonNeg = Field(default=20.0, description="benchmark industrial land price p0, wan/mu")
    wage: NonNeg = Field(default=3.0, description="base wage w0, wan per worker-year")
    labour_pool: Pos = Field(default=30000.0, description="workers available, Lp")
    infrastructure: Share = 0.4
    governance: Share = 0.6
    fee_rate: Annotated[float, Field(ge=0.0, le=0.5)] = Field(default=0.02, description="share of revenue")
    budget: float = Field(default=0.0, description="opening balance, wan (negative = debt)")
    operating_spending: NonNeg = Field(default=20000.0, description="fixed operating spending, wan/year")
    transfer: NonNeg = Field(default=25000.0, description="upper-level transfer, wan/year")
    infrastructure_share: Share = Field(default=0.3, description="share of a budget surplus invested in infrastructure")
    package: str = NO_PACKAGE
    subsidy_depth: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        default=1.0, description="0 = no incentives, 1 = the package as written, 2 = twice as generous"
    )


class RegionOverride(Strict):
    """Per-county overrides, e.g. ``[[regions]] name = "county_03"  fee_rate = 0.06``."""

    name: str
    land_supply: Pos | None = None
    standard_factory_supply: NonNeg | None = None
    land_price: NonNeg | None = None
    wage: NonNeg | None = None
    labour_pool: Pos | None = None
    infrastructure: Share | None = None
    governance: Share | None = None
    fee_rate: Annotated[float, Field(ge=0.0, le=0.5)] | None = None
    budget: float | None = None
    operating_spending: NonNeg | None = None
    transfer: NonNeg | None = None
    infrastructure_share: Share | None = None
    package: str | None = None
    subsidy_depth: Annotated[float, Field(ge=0.0, le=5.0)] | None = None


def _origin_defaults() -> RegionTraits:
    return RegionTraits(
        land_supply=23000.0,
        standard_factory_supply=0.0,
        land_price=60.0,
        wage=4.0,
        labour_pool=400000.0,
        infrastructure=0.9,
        governance=0.8,
        fee_rate=0.01,
        operating_spending=0.0,
        transfer=0.0,
        infrastructure_share=0.0,
    )


class Geography(Strict):
    """Where the regions are. ``generated``: origins on a straight coast (x = 0) and counties
    scattered inland; ``csv``: one row per region (columns: see :mod:`clustersim.geography`);
    ``china``: county-level units of China (:mod:`clustersim.geo.china`); ``geojson``: polygons
    of a GeoJSON file (:mod:`clustersim.geo.geojson`)."""

    source: Literal["generated", "csv", "china", "geojson"] = "generated"
    csv: Path | None = Field(default=None, strict=False, description="regions file, relative to the scenario file")
    origins: Annotated[int, Field(ge=1, le=20)] = 1
    counties: Annotated[int, Field(ge=1, le=2000)] = 8
    coast_length_km: Pos = 600.0
    inland_min_km: NonNeg = 250.0
    inland_max_km: Pos = 700.0
    layout_seed: Annotated[int, Field(ge=0)] = Field(
        default=0, description="seed of the county layout (kept apart from the run seed)"
    )
    province: str | None = Field(default=None, description="china: province by name or code, e.g. 湖南省 or 43")
    codes: list[Annotated[str, Field(pattern=r"^\d{6}$")]] = Field(
        default_factory=list, description="china: 6-digit codes of county-level units or cities"
    )
    origin_places: list[str] = Field(
        default_factory=list, description="china: origins by name or code of a city or county-level unit"
    )
    geojson: Path | None = Field(
        default=None, strict=False, description="regions GeoJSON, relative to the scenario file"
    )
    traits_csv: Path | None = Field(
        default=None, strict=False, description="county traits keyed by code (china, geojson), relative to the scenario"
    )
    road_factor: Annotated[float, Field(ge=1.0, le=3.0)] = Field(
        default=1.0, description="road distance per km of straight or great-circle distance"
    )
    origin: RegionTraits = Field(default_factory=_origin_defaults)
    county: RegionTraits = Field(default_factory=RegionTraits)

    @model_validator(mode="after")
    def _check(self) -> Geography:
        if self.source == "csv" and self.csv is None:
            raise ValueError("source = 'csv' needs csv = 'path/to/regions.csv'")
        if self.source == "geojson" and self.geojson is None:
            raise ValueError("source = 'geojson' needs geojson = 'path/to/regions.geojson'")
        if self.source == "china" and self.province is None and not self.codes:
            raise ValueError("source = 'china' needs province = '...' or codes = [...]")
        if self.source == "china" and not self.origin_places:
            raise ValueError("source = 'china' needs origin_places = [...], e.g. ['广州市', '深圳市']")
        if self.inland_max_km < self.inland_min_km:
            raise ValueError("inland_max_km must be at least inland_min_km")
        return self


class Sectors(Strict):
    """Sectors and the input-output matrix. ``input_output[r][s]`` is the share of sector s's
    material inputs bought from sector r (columns sum to at most 1)."""

    names: list[str] = Field(default_factory=lambda: ["materials", "components", "assembly"])
    input_output: list[list[Share]] = Field(
        default_factory=lambda: [[0.0, 0.6, 0.2], [0.0, 0.0, 0.6], [0.0, 0.0, 0.0]]
    )
    revenue_per_capital: list[Pos] = Field(
        default_factory=lambda: [0.4, 0.45, 0.5], description="revenue per wan of capital per year at A = 1"
    )
    material_share: list[Share] = Field(default_factory=lambda: [0.6, 0.65, 0.7])
    capital_per_worker: list[Pos] = Field(default_factory=lambda: [30.0, 20.0, 15.0], description="wan/worker")
    investment_intensity: list[Annotated[float, Field(ge=1.0)]] = Field(
        default_factory=lambda: [240.0, 270.0, 300.0], description="wan of investment per mu (district rule >= 240)"
    )
    birth_share: list[Share] = Field(default_factory=lambda: [1 / 3, 1 / 3, 1 / 3])

    @model_validator(mode="after")
    def _shapes(self) -> Sectors:
        n = len(self.names)
        if n == 0:
            raise ValueError("at least one sector is needed")
        for field in ("revenue_per_capital", "material_share", "capital_per_worker",
                      "investment_intensity", "birth_share"):
            if len(getattr(self, field)) != n:
                raise ValueError(f"{field} needs {n} values, one per sector")
        if len(self.input_output) != n or any(len(row) != n for row in self.input_output):
            raise ValueError(f"input_output must be {n} x {n}")
        for s in range(n):
            if sum(row[s] for row in self.input_output) > 1.0 + 1e-9:
                raise ValueError(f"input_output column {s} sums above 1")
        if abs(sum(self.birth_share) - 1.0) > 1e-6:
            raise ValueError("birth_share must sum to 1")
        return self


class Traits(Strict):
    """Firm traits beyond size and productivity, drawn at birth (:mod:`clustersim.traits`); each
    is off by default (no draw, no firm column). See docs/ODD.md 3.3.2 for the distributions."""

    cash_median: Pos | None = Field(
        default=None, description="median cash on hand per mu of land need, wan/mu; none = no liquidity constraint")
    cash_sigma: NonNeg = Field(default=0.6, description="log-normal spread of cash per mu")
    cash_grid: Pos = Field(default=5.0, description="cash per mu is rounded down to this grid, wan/mu")
    plant_cost: NonNeg = Field(default=60.0, description="standard plant built on a site, wan per mu of land")
    plot_ratio_median: Pos | None = Field(
        default=None, description="median plot ratio of a firm's plans (floor area / site area); none = not drawn")
    plot_ratio_sigma: NonNeg = Field(default=0.2, description="log-normal spread of the plot ratio")
    intensity_sigma: NonNeg = Field(
        default=0.0, description="log-normal spread of a firm's investment intensity around its sector's (0: none)")
    growth_mean: Annotated[float, Field(ge=-0.5, le=1.0)] | None = Field(
        default=None, description="mean yearly growth rate of a firm's capital; none = firms never grow")
    growth_sigma: NonNeg = Field(default=0.06, description="spread (normal) of the yearly growth rate across firms")
    growth_max: Annotated[float, Field(ge=0.0, le=1.0)] = Field(default=0.3, description="growth rates above are cut")


class Firms(Strict):
    """Firm population, demography and the review process."""

    initial: Annotated[int, Field(ge=0, le=2_000_000)] = Field(default=600, description="firms on the coast at year 0")
    initial_per_county: Annotated[int, Field(ge=0, le=100_000)] = 0
    births_per_year: NonNeg = Field(default=50.0, description="Poisson mean of new coastal firms per year")
    capital_median: Pos = Field(default=6000.0, description="median fixed-asset investment K, wan")
    capital_sigma: NonNeg = Field(default=0.8, description="log-normal spread of K")
    productivity_sigma: NonNeg = 0.15
    review_rate: Share = Field(default=0.2, description="share of incumbents reviewing location each year")
    batches: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=4, description="mini-batches of movers per year (aggregates refreshed between them)"
    )
    exit_after_loss_years: Annotated[int, Field(ge=1, le=100)] = 3
    capital_cost_rate: NonNeg = Field(default=0.06, description="depreciation and interest, share of K per year")
    small_firm_investment: NonNeg = Field(default=5000.0, description="below this K (wan): standard-factory zone")
    small_firm_land: NonNeg = Field(default=15.0, description="below this land need (mu): standard-factory zone")
    traits: Traits = Field(default_factory=Traits, description="liquidity, plot ratio, intensity spread, growth")


class Agglomeration(Strict):
    """A = exp(localisation ln(epsilon + L) + urbanisation ln(epsilon_U + U) + a + supplier ln(1 + SA)
    + market ln(1 + MA) + infrastructure I) (``form = "log"``), or A = (a + localisation L + urbanisation U)
    exp(supplier ln(1 + SA) + market ln(1 + MA) + infrastructure I) (``form = "linear"``: Arthur's payoffs).
    L counts the firm's own sector in the region (localisation), U every sector (urbanisation), a is the
    sector's natural advantage in the region. The defaults (no urbanisation, no natural advantage, log form) are the
    localisation-only model."""

    localisation: NonNeg = Field(default=0.22, description="gamma_L")
    supplier: NonNeg = Field(default=0.25, description="gamma_S")
    market: NonNeg = Field(
        default=0.0, description="gamma_M: weight of ln(1 + MA), market access: purchases of the sector's output by "
        "firms nearby (clustersim.market_access; 0: none)")
    infrastructure: NonNeg = Field(default=0.3, description="gamma_I")
    epsilon: NonNeg = 1.0
    measure: Literal["firms", "employment"] = Field(
        default="firms", description="L counts same-sector firms, or same-sector employment in thousands"
    )
    urbanisation: NonNeg = Field(
        default=0.0, description="gamma_U: weight of U, all firms (or employment) of the region, any sector"
    )
    urbanisation_epsilon: NonNeg = Field(default=1.0, description="epsilon_U, added to U inside ln(epsilon_U + U)")
    form: Literal["log", "linear"] = Field(
        default="log", description="log: A multiplies powers of (epsilon + L), (epsilon_U + U); linear: A = a + "
        "gamma_L L + gamma_U U (Arthur 1989)"
    )
    natural_advantage: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="sector -> county -> a[s, j]: added to ln A (log form) or to A (linear "
        "form); absent pairs (and the origins) are 0"
    )


class Transport(Strict):
    supplier_decay_per_km: NonNeg = Field(default=0.004, description="tau: supplier access decays as exp(-tau d)")
    market_cost_per_km: Annotated[float, Field(ge=0.0, le=0.01)] = Field(
        default=0.0001, description="tau_m: revenue lost per km to the coastal market"
    )


class Markets(Strict):
    land_congestion: NonNeg = Field(default=2.0, description="eta: p = p0 (1 + eta (U/S)^2)")
    wage_pressure: NonNeg = Field(default=0.5, description="omega: w = w0 (1 + omega E/Lp)")
    migration_rate: Share = Field(default=0.2, description="share of the labour gap closed by migration per year")
    public_service_effect: NonNeg = Field(
        default=1.0, description="psi: migration speed-up per unit of the public-service level S"
    )
    public_service_cost: Pos = Field(
        default=30000.0, description="c_P: public-service spending (wan/year) at which S = 0.5"
    )
    coastal_wage_growth: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.04
    coastal_land_growth: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.05
    coastal_growth_half_life: Pos = Field(
        default=5.0, description="h_g: years in which the coastal growth rates g_w and g_p halve, so the coast's cost "
        "premium converges (inf = constant growth)"
    )


class Choice(Strict):
    """Location choice by multinomial logit over feasible regions."""

    theta: NonNeg = Field(default=0.03, description="logit noise relative to discounted revenue (0 = argmax)")
    utility: Literal["linear", "log"] = Field(
        default="linear", description="linear: V/(theta scale); log: ln(V)/theta (Polya urn with theta = 1)"
    )
    horizon_years: Annotated[int, Field(ge=1, le=100)] = 10
    discount_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.08
    moving_cost_base: NonNeg = Field(default=0.1, description="m0, share of K")
    moving_cost_per_km: NonNeg = Field(default=0.0002, description="m_d, share of K per km")
    old_site_recovery: Share = Field(default=0.4, description="share of the old site's value recovered on moving")
    governance_friction: Share = Field(default=0.1, description="phi: cost share of revenue at G = 0")
    decision_rule: PluginRef | None = Field(
        default=None, description="a plug-in decision rule replacing the logit (none = the logit above)")


class Taxes(Strict):
    corporate_income: Share = 0.25
    value_added: Share = 0.13
    county_cit_share: Share = Field(default=0.4, description="lambda_c")
    county_vat_share: Share = Field(default=0.5, description="lambda_v")


class Counties(Strict):
    """County behaviour: infrastructure, the fee trap, reform, strategic competition."""

    infrastructure_depreciation: Share = 0.05
    infrastructure_cost: Pos = Field(default=30000.0, description="c_I, wan")
    land_per_infrastructure: NonNeg = Field(default=0.01, description="mu of new land supply per wan invested")
    debt_interest: Share = 0.04
    public_services_share: Share = Field(
        default=0.7, description="share of a county's surplus left after infrastructure spent on public services"
    )
    fee_trap: bool = False
    fee_step: Share = Field(default=0.005, description="fee rise per deficit year")
    fee_cap: Share = 0.12
    fee_dependence_threshold: Share = Field(default=0.25, description="fee share of revenue above which G erodes")
    governance_erosion: Share = Field(default=0.2, description="G lost per unit of excess fee dependence")
    governance_reform: bool = False
    reform_counties: list[str] = Field(default_factory=list, description="counties that reform (empty: the focal)")
    reform_year: Annotated[int, Field(ge=0)] = 0
    reform_fee: Share = 0.01
    reform_governance: Share = 0.9
    reform_speed: Share = Field(default=0.25, description="share of the gap to reform_governance closed per year")
    strategic_competition: bool = False
    competition_speed: Share = Field(default=0.5, description="share of the gap to the winner's depth closed per year")
    rules: list[PluginRef] = Field(
        default_factory=list, description="plug-in county rules, applied in this order after the built-in ones")


class TakeOffRule(Strict):
    """Take-off: the focal county's share of the relocated industry (firms outside the origins)
    is at least ``threshold`` in every one of the last ``hold_years`` years, all of which lie
    after its incentives ended. The default 0.15 lies in the empty gap between "no cluster"
    (share ~0.01) and "holds one sector's cluster" (0.22 and up) of the calibration runs
    (docs/calibration.md)."""

    threshold: Share = 0.15
    hold_years: Annotated[int, Field(ge=1, le=200)] = 5
    measure: Literal["employment", "firms"] = "employment"


class Scenario(Strict):
    """One complete model configuration."""

    name: str = "unnamed"
    description: str = ""
    years: Annotated[int, Field(ge=1, le=1000)] = 30
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    focal_county: str | None = Field(default=None, description="name of the focal county (default: the first)")
    geography: Geography = Field(default_factory=Geography)
    regions: list[RegionOverride] = Field(default_factory=list)
    packages: dict[str, Package] = Field(default_factory=dict)
    sectors: Sectors = Field(default_factory=Sectors)
    firms: Firms = Field(default_factory=Firms)
    agglomeration: Agglomeration = Field(default_factory=Agglomeration)
    transport: Transport = Field(default_factory=Transport)
    markets: Markets = Field(default_factory=Markets)
    choice: Choice = Field(default_factory=Choice)
    taxes: Taxes = Field(default_factory=Taxes)
    counties: Counties = Field(default_factory=Counties)
    take_off: TakeOffRule = Field(default_factory=TakeOffRule)

    @model_validator(mode="after")
    def _advantage_sectors_known(self) -> Scenario:
        for sector in self.agglomeration.natural_advantage:
            if sector not in self.sectors.names:
                raise ValueError(f"agglomeration.natural_advantage names no sector: {sector!r}; "
                                 f"sectors: {self.sectors.names}")
        return self

    @model_validator(mode="after")
    def _packages_known(self) -> Scenario:
        known = set(self.packages) | {NO_PACKAGE}
        if NO_PACKAGE in self.packages:
            raise ValueError(f"'{NO_PACKAGE}' is reserved for 'no package'")
        for label, traits in (("geography.county", self.geography.county), ("geography.origin", self.geography.origin)):
            if traits.package not in known:
                raise ValueError(f"{label}.package = {traits.package!r} names no package; known: {sorted(known)}")
        for r in self.regions:
            if r.package is not None and r.package not in known:
                raise ValueError(f"regions '{r.name}': package = {r.package!r} names no package; "
                                 f"known: {sorted(known)}")
        return self

    @model_validator(mode="after")
    def _plugins_load(self, info: ValidationInfo) -> Scenario:
        """Every plug-in named resolves to a class of its kind with valid parameters; a relative
        ``folder`` (or none) is taken from the scenario file's folder (validation context)."""
        from clustersim import plugins

        base = (info.context or {}).get("folder")
        for field, ref, kind in self.plugin_refs():
            if ref.folder is None and base is not None:
                ref.folder = Path(base).resolve()
            elif ref.folder is not None and not ref.folder.is_absolute() and base is not None:
                ref.folder = (Path(base) / ref.folder).resolve()
            plugins.load(ref.use, ref.folder, ref.params, plugins_base(kind), field)
        return self

    def plugin_refs(self) -> list[tuple[str, PluginRef, str]]:
        """``(field, reference, kind)`` of every plug-in named; kind: instrument, county_rule or
        decision_rule."""
        out = [(f"packages.{name}.instruments.{i}", ref, "instrument")
               for name, p in self.packages.items() for i, ref in enumerate(p.instruments)]
        out += [(f"counties.rules.{i}", ref, "county_rule") for i, ref in enumerate(self.counties.rules)]
        if self.choice.decision_rule is not None:
            out.append(("choice.decision_rule", self.choice.decision_rule, "decision_rule"))
        return out

    def package(self, name: str) -> Package:
        return Package() if name == NO_PACKAGE else self.packages[name]


def plugins_base(kind: str) -> type:
    """The base class plug-ins of ``kind`` derive from (imported late: they import this module)."""
    if kind == "instrument":
        from clustersim.instruments.base import Instrument
        return Instrument
    if kind == "county_rule":
        from clustersim.rules.base import CountyRule
        return CountyRule
    from clustersim.decision import DecisionRule
    return DecisionRule
