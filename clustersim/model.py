"""ClusterModel: firms choosing among competing counties (docs/reference_design.md, docs/ODD.md).

One step is one year:

1. drivers: coastal base wages and land prices grow; new firms are born on the coast;
2. aggregates from firm locations (output, employment, land in use, prices, wages,
   localisation, supplier access);
3. location choice: all newborns and a share ``review_rate`` of incumbents review, in
   ``batches`` mini-batches with aggregates refreshed between them;
4. production and accounts: firm profits, taxes, rebates; region budgets; exits after
   ``exit_after_loss_years`` losses in a row;
5. county policy: infrastructure, migration, fee trap, reform, strategic competition;
6. data collection (Mesa ``DataCollector``).
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from clustersim import births, coast, growth, kernel, market_access, markets, measures, metrics, plugins, traits
from clustersim.accounts import FirmAccounts, ledger_columns
from clustersim.agents import REGION_FIELDS, Coast, County, FirmViews
from clustersim.agglomeration import natural_advantage
from clustersim.aggregates import Refresher, depth_offered, supplier_access
from clustersim.aggregates import margin as pretax_margin
from clustersim.arrivals import arrivals
from clustersim.choice import CHUNK_CELLS, ChoiceSet, Deciders, choose
from clustersim.collect import RegionCollector
from clustersim.configs import model_configuration
from clustersim.decision import DecisionRule
from clustersim.firms import PUBLIC_COLUMNS, FirmTable, placed
from clustersim.geography import build_layout
from clustersim.instruments import (
    Birth,
    Instrument,
    are_builtin,
    bind_instruments,
    builtin_batch,
    incentives_end,
    ledger_flows,
)
from clustersim.moves import free_land
from clustersim.packages import PackageBook
from clustersim.params import Scenario
from clustersim.production import production
from clustersim.regions import RegionState
from clustersim.rules import CountyYear, county_rules
from clustersim.tally import sector_tally, shift, tally

_REGION_STATE = attrgetter(*REGION_FIELDS)  # the region state's fields, in one call
REFERENCE_FIRMS = 100  # SA is measured in units of the output of this many median firms


class ClusterModel(mesa.Model):
    """Industrial cluster formation and relocation among competing counties.

    Args:
        config: the configuration: a :class:`~clustersim.params.Scenario`, a scenario file, the
            name of a shipped scenario (``"held_package"``), or None for the built-in defaults.
        seed: run seed. None (the default, as in Mesa) draws a fresh one from the operating
            system's entropy; the seed used is always recorded as ``model.seed`` (and
            ``model.config.seed``), so ``ClusterModel(config, seed=model.seed)`` repeats the run.
            (:func:`clustersim.scenario.build_model`, ``clustersim run`` and :func:`clustersim.run`
            use the scenario's own ``seed`` when none is given.)
        base_dir: folder against which a regions CSV path is resolved.
        region_data: collect the region table every year (``region_frame``). False keeps only the
            model-level variables, so that ``mesa.batch_run`` returns one row per run and year.
        **params: overrides as flat keywords, ``__`` for ``.``: ``years=20``,
            ``firms__review_rate=0.1``, ``focal__subsidy_depth=2``, ``regions__county_03__fee_rate=0.04``
            (every path of :mod:`clustersim.overrides`), as ``mesa.batch_run`` and SolaraViz pass them.

    ``running`` becomes False once the configured ``years`` have run (Mesa's batch_run and
    SolaraViz stop there); :meth:`run` ignores it. Mesa's own ``Model.scenario`` is left to Mesa:
    passing the configuration as ``scenario=`` still works but is deprecated.
    """

    def __init__(self, config: Scenario | str | Path | None = None, *, seed: int | None = None,
                 base_dir: Path | None = None, region_data: bool = True, scenario: object = None,
                 **params: object) -> None:
        scenario, seed = model_configuration(config, scenario, seed, params)
        super().__init__(rng=seed)
        self.seed = seed
        self.config = scenario
        self.packages = PackageBook(scenario)
        self._plug_in(scenario)
        layout = build_layout(scenario, base_dir)
        self.layout = layout  # codes, pinyin labels and outlines of real geography (outputs, maps)
        self.regions = RegionState.from_layout(layout, self.packages, ledger_columns(self.flows))
        self.sector_names = list(scenario.sectors.names)
        self._constants()
        self.focal = self._focal_index()
        self.reforming = self._reforming_counties()

        self.firms = FirmTable(capacity=max(1024, 2 * (scenario.firms.initial + self.regions.n
                                                         * scenario.firms.initial_per_county)),
                               extra={**traits.columns(scenario.firms.traits),
                                      **{k: c for ins in self.instruments for k, c in ins.firm_columns.items()}})
        self._firm_views = FirmViews(self)
        region_agents = [(Coast if origin else County)(self, i)  # registered with the model by Mesa
                         for i, origin in enumerate(self.regions.is_origin)]
        self.year = 0
        self.entered = 0
        self.exited = 0
        self.not_entered = 0
        self.births = self.entries = self.exits = self.moves = self.unplaced = 0
        self._moves_log: list[np.ndarray] = []  # this year's moves, per batch: origin * R + destination
        self._last_moves: np.ndarray | None = None
        # firms changed since the last recount in a way the counts do not follow (see _refresh)
        self._recount_due = True
        self._shifted = False  # firms moved since the last refresh, their counts shifted (see _move)
        self._members: np.ndarray | None = None  # tally's firms per sector and standard-factory zone
        self._place_initial_firms()
        self._refresh()
        self._check_initial_land()
        self._report = self._measure()
        model_reporters = {**{name: (lambda m, n=name: m._report[n]) for name in self._report},
                           # run-level reporters (after year and focal_share, whose history they read)
                           "seed": lambda m: m.seed,
                           "took_off": lambda m: m._take_off_so_far()[0],
                           "take_off_observable": lambda m: m._take_off_so_far()[1],
                           "incentives_end_year": lambda m: m.incentives_end_year()}
        kinds = (Coast, County)
        self._flow_fields = tuple(self.regions.flows)
        if not region_data:
            self.datacollector = mesa.DataCollector(model_reporters=model_reporters)
        else:
            self.datacollector = RegionCollector(
                model_reporters=model_reporters,
                agenttype_reporters={kind: {"region": "name", "kind": "kind",
                                            **{f: f for f in REGION_FIELDS},
                                            **{f: (lambda a, f=f: float(a.model.regions.flows[f][a.index]))
                                               for f in self.regions.flows},
                                            **self._sector_reporters()}
                                     for kind in kinds},
                values=ClusterModel._region_values, fields=self._region_fields(),
                agents={k: [a for a in region_agents if type(a) is k] for k in kinds},
            )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ set-up
    def _plug_in(self, scenario: Scenario) -> None:
        """The mechanisms of this scenario: its instruments (and the ledger flows they book), its
        county rules in order and its decision rule (``None``: the logit of ``choice``)."""
        self.instruments = bind_instruments(self.packages)
        self.flows = ledger_flows(self.instruments)
        self._arrive = arrivals(self.instruments)  # how a mini-batch's arrivals are carried out
        # the built-in instruments' arrivals change no column the tallies read but the firms' regions, so
        # the counts can follow the moves; a plug-in's arrive() may change others: a recount
        self._shifts_counts = are_builtin(self.instruments)
        self._account = production(self.instruments)  # how the year's accounts are carried out
        self.incentives_end = np.array(incentives_end(self.packages, self.instruments))
        self.county_rules = county_rules(scenario)
        ref = scenario.choice.decision_rule
        self.decision_rule: DecisionRule | None = None
        if ref is not None:
            cls, params = plugins.load(ref.use, ref.folder, ref.params, DecisionRule, "choice.decision_rule")
            self.decision_rule = cls(params)

    def _constants(self) -> None:
        cfg = self.config
        sec = cfg.sectors
        self.revenue_per_capital = np.array(sec.revenue_per_capital)
        self.material = np.array(sec.material_share)
        self.capital_per_worker = np.array(sec.capital_per_worker)
        self.intensity = np.array(sec.investment_intensity)
        self.birth_share = np.array(sec.birth_share)
        self.io = np.array(sec.input_output)
        self.decay = np.exp(-cfg.transport.supplier_decay_per_km * self.regions.distance)
        self.market_factor = np.maximum(0.0, 1.0 - cfg.transport.market_cost_per_km
                                        * self.regions.market_distance)
        ch = cfg.choice
        delta = 1.0 / (1.0 + ch.discount_rate)
        self.discount = delta ** np.arange(1, ch.horizon_years + 1)
        self.annuity = float(self.discount.sum())
        self.reference_output = (REFERENCE_FIRMS * cfg.firms.capital_median
                                 * float(self.revenue_per_capital.mean()))
        self.advantage = natural_advantage(cfg.agglomeration, self.sector_names, self.regions.names)

    def _focal_index(self) -> int:
        names = self.regions.names
        if self.config.focal_county is None:
            return int(np.flatnonzero(self.regions.is_county)[0])
        if self.config.focal_county not in names:
            raise ValueError(f"focal_county = {self.config.focal_county!r} names no region")
        i = names.index(self.config.focal_county)
        if self.regions.is_origin[i]:
            raise ValueError(f"focal_county = {self.config.focal_county!r} is an origin, not a county")
        return i

    def _reforming_counties(self) -> np.ndarray:
        mask = np.zeros(self.regions.n, bool)
        names = self.config.counties.reform_counties or [self.regions.names[self.focal]]
        for name in names:
            if name not in self.regions.names:
                raise ValueError(f"counties.reform_counties names no region: {name!r}")
            i = self.regions.names.index(name)
            if self.regions.is_origin[i]:
                raise ValueError(f"counties.reform_counties names an origin, not a county: {name!r}")
            mask[i] = True
        return mask

    _sector_draw = births.SectorDraw()  # rng.choice of the birth shares, its checks made once

    def _new_firms(self, n: int, sector: np.ndarray | None = None) -> np.ndarray:
        """Draw n firms (not yet placed: region -1). Returns their rows."""
        fcfg = self.config.firms
        t = self.firms
        rows = t.append(n)
        start = t.size - n  # the new rows are contiguous
        # K_med exp(sigma_K z1), land K / k_s, employment K / (K per worker)_s, productivity
        # exp(sigma_z z2 - sigma_z^2 / 2), small-firm rule: clustersim.births, numpy's arithmetic
        if sector is None:
            sector = self._sector_draw(self.rng, len(self.sector_names), self.birth_share, n)
        capital_factor, productivity = births.lognormal_factors(self.rng, n, fcfg.capital_sigma,
                                                                fcfg.productivity_sigma)
        births.write(t, start, sector, capital_factor, productivity, fcfg.capital_median, self.intensity,
                     self.capital_per_worker)
        if traits.any_on(fcfg.traits):
            traits.draw(fcfg.traits, t, rows, self.rng)
        births.finish(t, start, n, self.year, fcfg.small_firm_investment, fcfg.small_firm_land)
        for ins in self.instruments:
            if getattr(ins.born, "__func__", None) is not Instrument.born:  # the default hook does nothing
                ins.born(Birth(t, rows, self.year, self.rng, self.config))
        return rows

    def _place_initial_firms(self) -> None:
        cfg = self.config.firms
        origins = np.flatnonzero(self.regions.is_origin)
        county_idx = np.flatnonzero(self.regions.is_county)
        if cfg.initial:
            rows = self._new_firms(cfg.initial)
            self.firms.region[rows] = self.rng.choice(origins, size=rows.size)
            self._admit(rows)
        if cfg.initial_per_county:
            rows = self._new_firms(cfg.initial_per_county * county_idx.size)
            self.firms.region[rows] = np.repeat(county_idx, cfg.initial_per_county)
            self._admit(rows)

    def _check_initial_land(self) -> None:
        r = self.regions
        over = (r.land_used > r.land_supply + 1e-9) | (r.sf_used > r.sf_supply + 1e-9) & r.is_county
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise ValueError(f"initial firms need more land than region {r.names[i]!r} supplies "
                             f"({r.land_used[i]:.0f} mu main, {r.sf_used[i]:.0f} mu standard-factory): "
                             "raise its land_supply / standard_factory_supply or lower firms.initial")

    def _admit(self, rows: np.ndarray) -> None:
        """Newly placed firms: their Mesa agents' ids (the agents are made on first use)."""
        self._firm_views.admit(rows)
        self.entered += rows.size

    # Mesa's agent registry, with the Firm agents made on first use (clustersim.agents.FirmViews)
    @property
    def agents(self):
        self._materialise_firms()
        return super().agents

    @property
    def agents_by_type(self):
        self._materialise_firms()
        return super().agents_by_type

    @property
    def agent_types(self):
        self._materialise_firms()
        return super().agent_types

    def remove_all_agents(self) -> None:
        self._materialise_firms()
        super().remove_all_agents()

    def _materialise_firms(self) -> None:
        views = self.__dict__.get("_firm_views")
        if views is not None:
            views.materialise()

    # ------------------------------------------------------------------ aggregates
    _refresher: Refresher | None = None  # what the refresh keeps between calls (made at the first)

    def _placed(self) -> np.ndarray:
        return placed(self.firms)

    def _refresh(self, recount: bool = True, margins: bool = True) -> None:
        """Recompute every aggregate that depends on where firms are. The counts of firms come
        from a recount of the firm table when firms changed in a way the counts do not follow
        (start-up, production's hooks, exits, growth, compaction, and with a plug-in instrument
        every move: ``_recount_due``); over a mini-batch's moves with the built-in instruments
        they are carried forward instead (:func:`clustersim.tally.shift`, in :meth:`_move`).
        ``recount=False``: the firms have not changed since the last refresh (only region state
        has), so their counts stand; ``margins=False``: fee rates and governance have not changed
        since the last refresh, so the pre-tax margins stand (only the county rules call it so,
        within a year: a fee or governance set from outside, by the UI or a ramp, takes effect at
        the next ``step()``, which begins with a refresh of prices and margins)."""
        # the numpy formulation (agglomeration.log_multiplier, market_access.log_pull,
        # accounts.pretax_shares) in a few compiled passes: clustersim.aggregates
        r, cfg = self.regions, self.config
        is_county = r.is_county
        ag = cfg.agglomeration
        refresher = self._refresher
        if refresher is None:
            refresher = self._refresher = Refresher(len(self.sector_names), r.n)
        counted = recount and (self._recount_due or self._shifted)
        if counted:
            if self._recount_due:
                (r.land_used, r.sf_used, r.employment, r.firms, self.output, self.localisation,
                 self._members) = tally(self.firms, is_county, self.revenue_per_capital, len(self.sector_names),
                                        ag.measure == "firms")
            self.access = supplier_access(self.output, self.io, self.decay, self.reference_output)
            self._recount_due = self._shifted = False
        if counted or refresher.stale(ag, ag.market > 0):  # the demand pull: clustersim.market_access
            refresher.logs(self.localisation, self.access, self.market_access() if ag.market > 0 else None, ag,
                           self.advantage)
        m = cfg.markets
        r.land_price, r.sf_price, r.wage = markets.prices(
            r.base_price, r.land_used, r.land_supply, r.sf_used, r.sf_supply, is_county, m.land_congestion,
            r.base_wage, r.employment, r.labour_pool, m.wage_pressure)
        self.revenue_factor = refresher.revenue_factor(r.infrastructure, ag, self.advantage, self.market_factor)
        if margins:
            self.margin = pretax_margin(self.material, r.fee_rate, r.governance, cfg.choice.governance_friction,
                                        cfg.taxes.value_added)

    def market_access(self) -> np.ndarray:
        """Market access MA (sectors x regions): purchases of each sector's output by firms nearby
        (:mod:`clustersim.market_access`), from the current output."""
        return market_access.market_access(self.output, self.io, self.decay, self.reference_output)

    def choice_set(self) -> ChoiceSet:
        """What reviewing firms see this mini-batch (see :mod:`clustersim.choice`)."""
        return self._choice_set(self._depth_offered())

    def _depth_offered(self) -> np.ndarray:
        """Each region's subsidy depth if its package is offered this year, else 0 (the same for
        every mini-batch of a year: county rules change depths and packages after the choices)."""
        r, book = self.regions, self.packages
        return depth_offered(book.start, book.end, self.year, r.package, r.depth)

    def _choice_set(self, depth_offered: np.ndarray) -> ChoiceSet:
        r, cfg = self.regions, self.config
        free, free_sf = free_land(r.land_supply, r.land_used, r.sf_supply, r.sf_used, r.is_county)
        return ChoiceSet(
            revenue_factor=self.revenue_factor, margin=self.margin, wage=r.wage, fee_rate=r.fee_rate,
            price=r.land_price, sf_price=r.sf_price, free_land=free, free_sf_land=free_sf,
            is_origin=r.is_origin, package=r.package, depth_offered=depth_offered,
            distance=r.distance, revenue_per_capital=self.revenue_per_capital, annuity=self.annuity,
            discount=self.discount, cit=cfg.taxes.corporate_income,
            county_cit_share=cfg.taxes.county_cit_share, capital_cost_rate=cfg.firms.capital_cost_rate,
            moving_cost_base=cfg.choice.moving_cost_base, moving_cost_per_km=cfg.choice.moving_cost_per_km,
            old_site_recovery=cfg.choice.old_site_recovery, theta=cfg.choice.theta,
            utility=cfg.choice.utility, book=self.packages, instruments=self.instruments, rule=self.decision_rule,
        )

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        self.year = self.steps
        self.births = self.entries = self.exits = self.moves = self.unplaced = 0
        r = self.regions
        r.arrivals = np.zeros(r.n)
        r.departures = np.zeros(r.n)
        self._ledger = {f.name: np.zeros(r.n) for f in self.flows}  # what arrivals book this year
        self._moves_log = []
        self._last_moves = None
        self._coastal_drivers()
        newborn = self._births()
        # the firms' counts stand unless the model changed firms since the last refresh (_refresh
        # recounts or takes the shifted counts); newborns have no region yet. The firm table is the
        # model's: firms change only within step().
        self._refresh()
        if self._choose_locations(newborn):
            self._refresh(margins=False)
        acc = self._produce()
        self._exit(acc)
        if self._grow(acc) or self.exits:
            self._refresh(margins=False)  # county policy (migration, fee dependence) sees the year after exits
        self._county_policy()
        self._maybe_compact()
        self._refresh(recount=False)  # county rules change regions, not firms
        self._collect()
        if self.year >= self.config.years:
            self.running = False

    def _coastal_drivers(self) -> None:
        r = self.regions
        r.base_wage, r.base_price = coast.grown(r.is_origin, r.base_wage, r.base_price, self.year, self.config.markets)

    def _births(self) -> np.ndarray:
        n = int(self.rng.poisson(self.config.firms.births_per_year))
        self.births = n
        return self._new_firms(n) if n else np.zeros(0, dtype=np.int64)

    def _choose_locations(self, newborn_rows: np.ndarray) -> bool:
        """This year's location choices, in mini-batches; True if firms moved (or entered) after
        the last refresh of aggregates."""
        cfg = self.config.firms
        incumbents = self._placed()
        review = self.rng.random(incumbents.size) < cfg.review_rate
        if cfg.traits.growth_mean is not None:  # firms whose growth stalled for want of land review
            review |= self.firms.stalled[incumbents]
        reviewing = incumbents[review]
        rows = np.concatenate([newborn_rows, reviewing])
        is_new = np.zeros(self.firms.capacity, bool)
        is_new[newborn_rows] = True
        rows = rows[self.rng.permutation(rows.size)]
        n_batches = max(1, min(cfg.batches, rows.size))
        size, extra = divmod(rows.size, n_batches)  # np.array_split's batches: the first `extra` one longer
        depth_offered = self._depth_offered()
        # the built-in instruments and the shipped logit: a batch of one kernel block in one compiled call
        n_r = self.regions.n
        block = max(1, CHUNK_CELLS // n_r) if self.decision_rule is None and n_r <= kernel.MAX_REGIONS \
            and builtin_batch.applies(self.instruments) else 0
        moved, cs, lo = False, None, 0
        for k in range(n_batches):
            batch = rows[lo:lo + size + (k < extra)]
            lo += batch.size
            if batch.size == 0:
                continue
            if cs is None:  # a new choice set after every refresh (nothing it holds changes otherwise)
                cs = self._choice_set(depth_offered)
            if batch.size <= block:
                pick, f = builtin_batch.picks(cs, self.firms, batch, is_new[batch], self.rng.random(batch.size),
                                              cs.theta, cs.utility == "log")
            else:
                f = Deciders.from_table(self.firms, batch, is_new[batch])
                pick = choose(cs, f, self.rng.random(batch.size))
            moved = self._move(batch, f, pick, cs)
            if moved and k + 1 < n_batches:  # step() refreshes after the last batch
                self._refresh(margins=False)
                moved, cs = False, None
        unplaced = newborn_rows[self.firms.region[newborn_rows] < 0]
        self.firms.alive[unplaced] = False
        self.not_entered += unplaced.size
        self.unplaced = unplaced.size
        return moved

    @property
    def last_moves(self) -> np.ndarray:
        """Last year's relocations (entries not counted), one row per origin and destination
        pair of each mini-batch: origin, destination, firms (int64, batch by batch, pairs
        ascending within a batch). Built when first read."""
        if self._last_moves is None:
            n_r = self.regions.n
            parts = []
            for pairs in self._moves_log:
                u, c = np.unique(pairs, return_counts=True)
                parts.append(np.column_stack([u // n_r, u % n_r, c]))
            self._last_moves = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)
        return self._last_moves

    def _move(self, rows: np.ndarray, f: Deciders, pick: np.ndarray, cs: ChoiceSet) -> bool:
        """Carry out the chosen moves that fit (:func:`clustersim.moves.who_moves`): the firms
        lock in the destination's package, and every instrument books the arrival
        (:mod:`clustersim.arrivals`: in one compiled call for the built-in instruments). False if
        no firm moved (nothing changed)."""
        n, entries, admitted, relocations = self._arrive(self.firms, rows, f, pick, cs, self.regions, self._ledger)
        if n == 0:
            return False
        self.moves += n - entries
        self.entries += entries
        if entries:
            self._admit(admitted)
        if entries < n:
            self._moves_log.append(relocations)
        if self._shifts_counts and not self._recount_due:  # the counts follow the moves
            r = self.regions
            shift(self.firms, rows, f.region, r.is_county, self.revenue_per_capital,
                  self.config.agglomeration.measure == "firms",
                  (r.land_used, r.sf_used, r.employment, r.firms, self.output, self.localisation, self._members))
            self._shifted = True
        else:
            self._recount_due = True
        return True

    def _produce(self) -> FirmAccounts:
        """The year's production and accounts (:mod:`clustersim.production`: in one compiled call
        for the built-in instruments): firm accounts, region flows and balances, the firm table's year."""
        self._recount_due = True  # the instruments' yearly hooks may change firm columns; exits follow
        return self._account(self.firms, self._placed(), self.regions, self._ledger, self.revenue_factor,
                             self.material, self.revenue_per_capital, self.config)

    def _exit(self, acc: FirmAccounts) -> None:
        t = self.firms
        out = acc.rows[t.loss_years[acc.rows] >= self.config.firms.exit_after_loss_years]
        t.alive[out] = False
        self._firm_views.remove(out.tolist())
        self.exits = out.size
        self.exited += out.size

    def _grow(self, acc: FirmAccounts) -> bool:
        """Firm growth where land allows (:mod:`clustersim.growth`; only with ``firms.traits.growth_mean``).
        True if growth is on (firms may have changed size)."""
        if self.config.firms.traits.growth_mean is None:
            return False
        if self.exits:
            self._refresh(margins=False)  # the free land after exits
        growth.grow(self, acc)
        self._recount_due = True
        return True

    def _county_policy(self) -> None:
        """The county rules, in their declared order (:mod:`clustersim.rules`)."""
        year = CountyYear(self.regions, self.config, self.year, self.focal, self.reforming,
                          tuple(f.name for f in self.flows if f.kind == "revenue"))
        for rule in self.county_rules:
            rule.apply(year)

    def _maybe_compact(self) -> None:
        t = self.firms
        if t.size > 4096 and t.alive[: t.size].sum() < 0.5 * t.size:
            keep = t.compact()
            self._recount_due = True
            self._firm_views.compact(keep.tolist())

    # ------------------------------------------------------------------ outputs
    def _measure(self) -> dict[str, float]:
        """Model-level measures of the current year (:func:`clustersim.measures.year_measures`).
        Also sets ``firms_by_sector`` and ``employment_by_sector`` (sectors x regions, as
        collected this year), which the region reporters read."""
        self.firms_by_sector, self.employment_by_sector, *eg_sums = sector_tally(
            self.firms, self.regions.n, len(self.sector_names))
        return measures.year_measures(self, tuple(eg_sums))

    def _sector_reporters(self) -> dict:
        """Region reporters ``firms_<sector>`` and ``employment_<sector>`` (docs/reference_design.md §7)."""
        out = {}
        for k, name in enumerate(self.sector_names):
            out[f"firms_{name}"] = lambda a, k=k: float(a.model.firms_by_sector[k, a.index])
            out[f"employment_{name}"] = lambda a, k=k: float(a.model.employment_by_sector[k, a.index])
        return out

    def _take_off_so_far(self) -> tuple[bool, bool]:
        """``(took_off, observable)``: the take-off rule applied to the years collected so far (the
        DataCollector's history; :func:`clustersim.metrics.take_off_flags`)."""
        rule = self.config.take_off
        history = self.datacollector.model_vars
        n = rule.hold_years
        years, shares = list(history.get("year", [])[-n:]), list(history.get("focal_share", [])[-n:])
        if not years or years[-1] != self._report["year"]:  # this year not collected yet (Mesa's first check)
            years, shares = [*years, self._report["year"]][-n:], [*shares, self._report["focal_share"]][-n:]
        key = (years, shares, self.incentives_end_year(), rule.threshold, n)
        cached = self.__dict__.get("_take_off_cache")
        if cached is None or cached[0] != key:  # the two take-off reporters of one year ask alike
            cached = self._take_off_cache = (key, metrics.take_off_flags(years, shares, *key[2:]))
        return cached[1]

    def _region_fields(self) -> tuple[str, ...]:
        """The names of the columns of :meth:`_region_values` (the collector reads them by name:
        the tables' column order is the reporters')."""
        sectors = [f"{kind}_{name}" for kind in ("firms", "employment") for name in self.sector_names]
        return (*REGION_FIELDS, *self._flow_fields, *sectors)

    def _region_values(self) -> tuple[np.ndarray, ...]:
        """The float fields of the region reporters for every region, field-major: the region
        state, the fiscal flows, then firms of each sector and employment of each sector (the
        sectors x regions tallies, whole); the collector concatenates them into its array."""
        r = self.regions
        flows = r.flows
        return (*_REGION_STATE(r), *[flows[f] for f in self._flow_fields], self.firms_by_sector.ravel(),
                self.employment_by_sector.ravel())

    def _collect(self) -> None:
        self._report = self._measure()
        self.datacollector.collect(self)

    def run(self, years: int | None = None) -> ClusterModel:
        """Run ``years`` steps (default: the scenario's ``years``)."""
        for _ in range(self.config.years if years is None else years):
            self.step()
        return self

    # ------------------------------------------------------------------ tables
    def model_frame(self) -> pd.DataFrame:
        """One row per year (year 0 = initial state): model-level measures."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df["year"] = df["year"].astype(int)
        return df

    def region_frame(self) -> pd.DataFrame:
        """One row per region and year (tidy): state and fiscal flows of every region."""
        if not self.datacollector.agenttype_reporters:
            raise ValueError("this model was built with region_data=False: it collects no region table")
        parts = []
        for kind in (Coast, County):
            df = self.datacollector.get_agenttype_vars_dataframe(kind)
            if len(df):
                parts.append(df.reset_index())
        df = pd.concat(parts, ignore_index=True).rename(columns={"Step": "year"})
        df["year"] = df["year"].astype(int)
        df = df.drop(columns=["AgentID"]).sort_values(["year", "region"], kind="stable")
        return df.reset_index(drop=True)

    def firm_frame(self) -> pd.DataFrame:
        """One row per live firm: its current state."""
        t = self.firms
        rows = self._placed()
        ids = t.firm_id[rows]
        cols = {c: getattr(t, c)[rows] for c in PUBLIC_COLUMNS if c != "region"}
        region = np.array(self.regions.names, dtype=object)[t.region[rows]]
        df = pd.DataFrame({"firm_id": ids, "region": region, **cols})
        df["sector"] = pd.Categorical.from_codes(df["sector"], self.sector_names)
        df["package"] = np.array([*self.packages.names, ""], dtype=object)[cols["package"]]  # -1 (none): ""
        return df

    @property
    def focal_name(self) -> str:
        return self.regions.names[self.focal]

    def incentives_end_year(self) -> float:
        """First year in which the focal county pays no incentive any more (inf: never)."""
        return float(self.incentives_end[self.regions.package[self.focal]])
