"""Industrial real estate for firms with a market but no cash (Text 2), slot ``land``.

The county's public asset company provides the site: it takes the land (the county's, at the
market price p_j of the firm's pool) and builds a standard plant (``plant_cost`` b wan/mu, world
parameter ``firms.traits.plant_cost``) within ``build_years`` (at most one). Cost of a site
``C = l (p_j + b)``. The firm pays a deposit ``d C`` (``deposit``, 10 %) and then chooses:

* **outright** (``1``): the rest at completion, with bank interest on the whole cost for the
  build time: ``(1 + r_b T - d) C`` in its first year;
* **instalments** (``2``): ``instalment_shares`` of C (40 / 30 / 30 %; the deposit counts toward
  the first) in its first, second, third year, with interest at ``r_i = r_b (1 +
  instalment_markup)`` (benchmark + 10 %) on the balance outstanding since the previous one;
* **lease** (``3``): a break-even rent ``rho = r_b (p_j + b) + b / plant_life`` per mu and year
  (the company's interest and the plant's depreciation) for ``lease_years`` (3-5), renewed a year
  at a time afterwards; the deposit stays with the company (credited if the firm buys). In the
  first year after the first term a lessee whose cash covers it buys the site at the appraised
  value (the cost less the plant's straight-line depreciation over the years used), paid that
  year instead of the rent; the others renew year by year.

Cash: outright needs cash for the whole cost (``cash_per_mu >= p_j + b``), the other two only for
the deposit (``>= d (p_j + b)``); instalments and lease are offered only while the package is
(subsidy depth > 0: the terms are cost-based, not scaled by the depth). Each firm takes the
option of highest value it can afford (ties: the lower number); a firm that can afford none is
refused the site. Without the liquidity trait every firm can afford every option.

Location value (untaxed, per mu of land, per profile: small or not x liquidity class), with
``delta^t`` the discount factors and ``a_H`` their sum:

* outright ``-(d + (1 - d + r_b T) delta^1) c_j + b``; instalments ``-(d + sum_k delta^k (s_k -
  d [k = 1] + r_i O_{k-1} [k > 1])) c_j + b`` (``O_k``: share outstanding after instalment k);
  the ``+ b``: the firm does not pay for the plant at once as a buyer of a bare plot does
  (its capital cost, in ``c K``, is the same either way);
* lease ``-d c_j - rho_j a_H + b (1 - max(0, 1 - H / plant_life) delta^H)``: the plant outlay
  avoided, less the value the plant would still have at the horizon.

Staying: the present value of the payments still due (instalments, rent over the horizon).
A firm that moves away owes nothing more (the company keeps the plant).

Books (county accounts, wan/year): ``asset_receipts`` (revenue: deposits on arrival, outright
payments, instalments with interest), ``asset_rents`` (revenue), ``asset_outlays`` (outlay: the
plant built on arrival; the land is the county's own, contributed at no cash cost). The
company's outstanding balance (outlays plus the land's market value, less principal received)
is reported per year as ``focal_asset_outstanding``. Not modelled: production waiting for the
build year. The location value assumes a lessee rents through the horizon (its option to buy is
left out of the value; it is exercised in the accounts as above).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clustersim import traits as firm_traits
from clustersim.firms import Column
from clustersim.instruments.base import Arrival, FirmTerms, FirmYear, Flow, Instrument, Offer, Term
from clustersim.params import Traits

OUTRIGHT, INSTALMENTS, LEASE, BOUGHT = 1, 2, 3, 4  # BOUGHT: a lessee that bought its site
OPTIONS = {"outright": OUTRIGHT, "instalments": INSTALMENTS, "lease": LEASE}


class IndustrialRealEstateParams(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    deposit: Annotated[float, Field(ge=0.0, le=1.0)] = Field(default=0.10, description="deposit, share of the cost")
    build_years: Annotated[float, Field(gt=0.0, le=1.0)] = Field(default=1.0, description="build time, years (<= 1)")
    benchmark_rate: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        default=0.0475, description="bank benchmark lending rate, per year (PBoC 1-5 years, 2015-2019: 4.75 %)")
    instalment_shares: list[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=lambda: [0.4, 0.3, 0.3], description="instalments as shares of the cost (sum 1)")
    instalment_markup: Annotated[float, Field(ge=0.0, le=2.0)] = Field(
        default=0.10, description="instalment interest = benchmark rate x (1 + markup)")
    lease_years: Annotated[int, Field(ge=3, le=5)] = Field(default=5, description="first lease term, years (3-5)")
    plant_life: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        default=20.0, description="years over which the break-even rent writes the plant off")
    options: list[str] = Field(default_factory=lambda: ["outright", "instalments", "lease"],
                               description="options offered: outright, instalments, lease")

    @model_validator(mode="after")
    def _check(self) -> IndustrialRealEstateParams:
        if abs(sum(self.instalment_shares) - 1.0) > 1e-9 or not self.instalment_shares:
            raise ValueError("instalment_shares must sum to 1")
        if self.instalment_shares[0] < self.deposit:
            raise ValueError("the first instalment must be at least the deposit (which counts toward it)")
        bad = [o for o in self.options if o not in OPTIONS]
        if bad or not self.options:
            raise ValueError(f"options {bad}: allowed {list(OPTIONS)}, at least one")
        return self


def instalment_payments(p: IndustrialRealEstateParams) -> list[float]:
    """Payments per unit of cost in years of residence 1, 2, ... (the deposit paid before)."""
    rate = p.benchmark_rate * (1.0 + p.instalment_markup)
    out, outstanding = [], 1.0
    for k, share in enumerate(p.instalment_shares):
        due = share - (p.deposit if k == 0 else 0.0) + (rate * outstanding if k > 0 else 0.0)
        out.append(due)
        outstanding -= share
    return out


def outright_payment(p: IndustrialRealEstateParams) -> float:
    """Payment per unit of cost in the first year of residence (after the deposit)."""
    return 1.0 - p.deposit + p.benchmark_rate * p.build_years


def lease_rent(p: IndustrialRealEstateParams, price: float, plant_cost: float) -> float:
    """Break-even rent per mu and year, wan."""
    return p.benchmark_rate * (price + plant_cost) + plant_cost / p.plant_life


def option_values(p: IndustrialRealEstateParams, price: float, plant_cost: float, discount: list[float]) -> dict:
    """Value per mu of land (wan, untaxed) of each option at market price ``price``."""
    c = price + plant_cost
    horizon = len(discount)
    inst = p.deposit + sum(discount[k] * x for k, x in enumerate(instalment_payments(p)) if k < horizon)
    residual = max(0.0, 1.0 - horizon / p.plant_life) * discount[-1]
    return {OUTRIGHT: -(p.deposit + outright_payment(p) * discount[0]) * c + plant_cost,
            INSTALMENTS: -inst * c + plant_cost,
            LEASE: -p.deposit * c - lease_rent(p, price, plant_cost) * sum(discount) + plant_cost * (1.0 - residual)}


class IndustrialRealEstate(Instrument):
    name = "industrial_real_estate"
    slot = "land"
    Params = IndustrialRealEstateParams
    flows = (Flow("asset_receipts", "revenue", "deposits, purchase payments and instalments paid to the "
                  "county's asset company"),
             Flow("asset_rents", "revenue", "rents of leased sites and plants"),
             Flow("asset_outlays", "outlay", "plants built by the county's asset company"))
    firm_columns: ClassVar = {"ire_option": Column(np.int8, 0, public=True),
                              "ire_package": Column(np.int16, 0),
                              "ire_cost": Column(np.float64, 0.0, public=True),
                              "ire_rent": Column(np.float64, 0.0, public=True),
                              "ire_plant": Column(np.float64, 0.0)}

    def __init__(self, params, book):
        super().__init__(params, book)
        scenario = getattr(book, "scenario", None)
        self.traits: Traits = scenario.firms.traits if scenario is not None else Traits()
        self.plant = self.traits.plant_cost
        self.liquidity = self.traits.cash_median is not None
        n = len(params)
        self.offered_options = np.zeros((n, 4), bool)  # [package, option]
        longest = max([1] + [len(p.instalment_shares) for p in params if p is not None])
        self.instalments = np.zeros((n, longest))
        self.outright = np.zeros(n)
        self.deposit = np.zeros(n)
        self.rate = np.zeros(n)
        self.life = np.ones(n)
        self.lease_years = np.zeros(n, dtype=np.int64)
        for k, p in enumerate(params):
            if p is None:
                continue
            for o in p.options:
                self.offered_options[k, OPTIONS[o]] = True
            pay = instalment_payments(p)
            self.instalments[k, :len(pay)] = pay
            self.outright[k] = outright_payment(p)
            self.deposit[k] = p.deposit
            self.rate[k] = p.benchmark_rate
            self.life[k] = p.plant_life
            self.lease_years[k] = p.lease_years
        self.outstanding = None  # per region: the asset company's balance outstanding, wan

    # -- option values and choice
    def _coefficients(self, discount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)``, each (3, P): the value per mu of options 1..3 under package p is
        ``-A[o, p] c + B[o, p]`` with ``c = p_j + b``."""
        h = discount.size
        k = min(self.instalments.shape[1], h)
        residual = np.maximum(0.0, 1.0 - h / self.life) * discount[-1]
        annuity = discount.sum()
        a = np.stack([self.deposit + self.outright * discount[0],
                      self.deposit + self.instalments[:, :k] @ discount[:k],
                      self.deposit + self.rate * annuity])
        b = np.stack([np.full(self.life.size, self.plant), np.full(self.life.size, self.plant),
                      self.plant * (1.0 - residual) - self.plant / self.life * annuity])
        return a, b

    def _choice(self, price, pkg, offered, cash, discount):
        """(option, value per mu) of the best affordable option; option 0: none affordable.
        ``pkg`` broadcasts against ``price`` (e.g. (R,) against (G, R), or both (n,))."""
        a, b = self._coefficients(discount)
        c = price + self.plant
        pkg = np.asarray(pkg)
        lead = (3,) + (1,) * (c.ndim - pkg.ndim) + pkg.shape  # option axis first, pkg aligned right

        def per_option(x):  # (3, P) -> broadcastable against (3, *c.shape)
            return x[:, pkg].reshape(lead)

        values = -per_option(a) * c[None] + per_option(b)  # (3, *c.shape)
        able = np.broadcast_to(per_option(self.offered_options[:, 1:].T), values.shape).copy()
        able[1:] &= offered  # instalments and lease only while the package is offered
        if cash is not None:
            able[0] &= cash >= c
            able[1:] &= cash >= self.deposit[pkg] * c
        masked = np.where(able, values, -np.inf)
        best = np.argmax(masked, axis=0)
        ok = able.any(axis=0)
        option = np.where(ok, best + 1, 0)
        value = np.where(ok, np.take_along_axis(masked, best[None], axis=0)[0], 0.0)
        return option, value

    def _pool_price(self, cs, small):
        """(n, R) market price of each firm's pool in every region."""
        return np.where(small[:, None] & ~cs.is_origin[None, :], cs.sf_price[None, :], cs.price[None, :])

    def profile(self, f):
        keys = [f.small.astype(np.int64)]
        if self.liquidity:
            keys.append(firm_traits.cash_class(f.cash_per_mu, self.traits))
        return np.column_stack(keys)

    def _offer_cells(self, offer: Offer):
        """``_cells`` of an offer, computed once for its terms and refusals."""
        cached = getattr(self, "_cached", None)
        if cached is None or cached[0] is not offer:
            self._cached = (offer, self._cells(offer.cs, offer.rep))
        return self._cached[1]

    def _cells(self, cs, rep):
        pkg = cs.package.astype(np.int64)  # (R,), broadcast against (G, R)
        price = self._pool_price(cs, rep.small)
        offered = (cs.depth_offered > 0)[None, :]
        cash = rep.cash_per_mu[:, None] if self.liquidity else None
        return self._choice(price, pkg, offered, cash, cs.discount)

    def terms(self, offer: Offer) -> list[Term]:
        _, value = self._offer_cells(offer)
        used = self.used()[offer.cs.package]
        return [Term("land", np.where(used[None, :], value, 0.0), "untaxed", per_profile=True)]

    def refused(self, offer: Offer):
        option, _ = self._offer_cells(offer)
        return self.used()[offer.cs.package][None, :] & (option == 0)

    def _owed_pv(self, f, discount):
        """PV (wan) of the payments each firm still owes at its years of residence ``f.years``."""
        opt = f.ire_option.astype(np.int64)
        pkg = f.ire_package.astype(np.int64)
        h = discount.size
        owed = np.zeros(f.n)
        done = f.years.astype(np.int64)
        for t in range(1, h + 1):
            k = done + t  # year of residence of the payment
            inst = np.where(k <= self.instalments.shape[1],
                            self.instalments[pkg, np.clip(k - 1, 0, self.instalments.shape[1] - 1)], 0.0)
            due = np.where(opt == INSTALMENTS, inst * f.ire_cost, 0.0)
            due += np.where((opt == OUTRIGHT) & (k == 1), self.outright[pkg] * f.ire_cost, 0.0)
            due += np.where(opt == LEASE, f.ire_rent, 0.0)
            owed += discount[t - 1] * due
        return owed

    def stay(self, offer, cur, staying, revenue):
        f = offer.f
        if not (f.ire_option > 0).any():
            return None
        return FirmTerms(untaxed=np.where(staying, -self._owed_pv(f, offer.cs.discount), 0.0))

    # -- the per-firm reference: plain floats from the parameters
    def _firm_choice(self, cs, f, i, j):
        p = self.params[int(cs.package[j])]
        if p is None:
            return None, 0.0
        small = bool(f.small[i]) and not bool(cs.is_origin[j])
        price = float(cs.sf_price[j]) if small else float(cs.price[j])
        c = price + self.plant
        values = option_values(p, price, self.plant, [float(x) for x in cs.discount])
        best, value = 0, 0.0
        for name in ("outright", "instalments", "lease"):
            o = OPTIONS[name]
            if name not in p.options or (o != OUTRIGHT and float(cs.depth_offered[j]) <= 0):
                continue
            if self.liquidity:
                need = c if o == OUTRIGHT else p.deposit * c
                if float(f.cash_per_mu[i]) < need:
                    continue
            if best == 0 or values[o] > value:
                best, value = o, values[o]
        return best, value

    def firm_terms(self, cs, f, i, j) -> FirmTerms:
        best, value = self._firm_choice(cs, f, i, j)
        return FirmTerms(untaxed=float(f.land[i]) * value) if best else FirmTerms()

    def firm_refused(self, cs, f, i, j) -> bool:
        best, _ = self._firm_choice(cs, f, i, j)
        return best == 0 and self.params[int(cs.package[j])] is not None

    def firm_stay(self, cs, f, i) -> FirmTerms:
        opt = int(f.ire_option[i])
        if opt == 0:
            return FirmTerms()
        p = self.params[int(f.ire_package[i])]
        total = 0.0
        for t, d in enumerate(cs.discount, start=1):
            k = int(f.years[i]) + t
            due = 0.0
            if opt == LEASE:
                due = float(f.ire_rent[i])
            elif opt == OUTRIGHT and k == 1 and p is not None:
                due = outright_payment(p) * float(f.ire_cost[i])
            elif opt == INSTALMENTS and p is not None and k <= len(p.instalment_shares):
                due = instalment_payments(p)[k - 1] * float(f.ire_cost[i])
            total += float(d) * due
        return FirmTerms(untaxed=-total)

    # -- arrivals and the yearly accounts
    def arrive(self, arrival: Arrival) -> dict[str, np.ndarray]:
        t, rows, dest, cs = arrival.table, arrival.rows, arrival.dest, arrival.cs
        pkg = cs.package[dest]
        used = self.used()[pkg]
        price = arrival.price  # market price of the firm's pool at the destination
        cash = t.cash_per_mu[rows] if self.liquidity else None
        option, _ = self._choice(price, pkg, cs.depth_offered[dest] > 0, cash, cs.discount)
        option = np.where(used, option, 0)
        land = t.land[rows]
        cost = np.where(option > 0, land * (price + self.plant), 0.0)
        t.ire_option[rows] = option
        t.ire_package[rows] = np.where(option > 0, pkg, 0)
        t.ire_cost[rows] = cost
        t.ire_rent[rows] = np.where(option == LEASE, land * (self.rate[pkg] * (price + self.plant)
                                                             + self.plant / self.life[pkg]), 0.0)
        deposits = self.deposit[pkg] * cost
        plants = np.where(option > 0, land * self.plant, 0.0)
        t.ire_plant[rows] = plants
        if self.outstanding is None:
            self.outstanding = np.zeros(arrival.n_regions)
        self.outstanding += arrival.by_region(cost - deposits)
        return {"asset_receipts": arrival.by_region(deposits), "asset_outlays": arrival.by_region(plants)}

    def payments(self, year: FirmYear) -> dict[str, np.ndarray]:
        opt = year.column("ire_option").astype(np.int64)
        cost = year.column("ire_cost")
        pkg = year.column("ire_package").astype(np.int64)
        k = year.column("years").astype(np.int64) + 1  # year of residence being produced
        n_inst = self.instalments.shape[1]
        inst = np.where(k <= n_inst, self.instalments[pkg, np.clip(k - 1, 0, n_inst - 1)], 0.0)
        receipts = np.where(opt == INSTALMENTS, inst * cost, 0.0)
        receipts += np.where((opt == OUTRIGHT) & (k == 1), self.outright[pkg] * cost, 0.0)
        bought = self._buy_out(year, opt, pkg, k, cost)
        receipts += bought
        rents = np.where((opt == LEASE) & (bought == 0), year.column("ire_rent"), 0.0)
        principal_bought = bought
        if self.outstanding is not None:
            principal = np.where(opt == INSTALMENTS, np.where(k <= n_inst, self._shares(pkg, k), 0.0) * cost, 0.0)
            principal += np.where((opt == OUTRIGHT) & (k == 1), (1.0 - self.deposit[pkg]) * cost, 0.0)
            principal += principal_bought
            self.outstanding -= np.bincount(year.region, weights=principal, minlength=self.outstanding.size)
        return {"asset_receipts": receipts, "asset_rents": rents}

    def appraised(self, cost, plant, pkg):
        """Appraised value of a leased site after its first term, wan: the cost less the plant's
        straight-line depreciation over the years used."""
        return cost - plant * np.minimum(1.0, self.lease_years[pkg] / self.life[pkg])

    def _buy_out(self, year: FirmYear, opt, pkg, k, cost) -> np.ndarray:
        """Lessees in the first year after their first term buy at the appraised value (less the
        deposit, credited) if their cash covers it; they pay that instead of the year's rent and own
        the site from then on (option ``BOUGHT``). Per firm: what they pay, wan."""
        due = np.zeros(opt.size)
        lessee = (opt == LEASE) & (k == self.lease_years[pkg] + 1)
        if not lessee.any():
            return due
        price = self.appraised(cost, year.column("ire_plant"), pkg) - self.deposit[pkg] * cost
        if self.liquidity:
            lessee &= year.column("cash_per_mu") * year.column("land") >= price
        due[lessee] = price[lessee]
        rows = year.rows[lessee]
        year.table.ire_option[rows] = BOUGHT
        year.table.ire_rent[rows] = 0.0
        return due

    def _shares(self, pkg, k):
        """Principal share of the cost repaid in instalment year k (the deposit counted before)."""
        out = np.zeros(pkg.size)
        for p_idx in np.unique(pkg):
            p = self.params[int(p_idx)]
            if p is None:
                continue
            shares = np.array(p.instalment_shares) - np.r_[p.deposit, np.zeros(len(p.instalment_shares) - 1)]
            sel = pkg == p_idx
            kk = k[sel]
            out[sel] = np.where(kk <= shares.size, shares[np.clip(kk - 1, 0, shares.size - 1)], 0.0)
        return out

    def report(self, model) -> dict[str, float]:
        out = 0.0 if self.outstanding is None else float(self.outstanding[model.focal])
        return {"focal_asset_outstanding": out}
