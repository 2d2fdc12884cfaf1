"""Per-agent reference of the location decision, written for reading, not for speed.

The same decision as :func:`clustersim.choice.firm_values` followed by the decision rule's
probabilities (equations in :mod:`clustersim.choice`), computed for one firm at a time with
scalar Python floats, loops over regions and ``math.exp`` / ``math.log``. The instruments'
terms come from their per-firm methods (``firm_terms``, ``firm_stay``, ``firm_refused``), which
read the instruments' parameters (for the built-ins: the :class:`~clustersim.params.Package`
objects), not the arrays the fast path uses, so that the tests comparing the two check each
instrument's vectorised bookkeeping as well as the kernel's algebra.

Money in wan, land in mu, distance in km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from clustersim.choice import ChoiceSet, Deciders
from clustersim.decision import Logit
from clustersim.instruments.base import FirmTerms


@dataclass
class Decision:
    """One firm's view of every region: value (wan), feasibility, choice probability."""

    value: list[float]
    feasible: list[bool]
    probability: list[float]


def _add(terms: list[FirmTerms]) -> FirmTerms:
    return FirmTerms(sum(float(t.taxable) for t in terms), sum(float(t.untaxed) for t in terms),
                     sum(float(t.tax_refund) for t in terms))


def _after_tax(cs: ChoiceSet, profit: float, terms: FirmTerms) -> float:
    """Present value of ``profit`` (wan/year) over the horizon with the instruments' terms: taxable
    ones are taxed with it, tax refunds pay back part of that tax, untaxed ones are added."""
    pre = cs.annuity * profit + terms.taxable
    annual_tax = cs.cit * max(pre, 0.0) / cs.annuity
    return pre - cs.annuity * annual_tax + terms.tax_refund * annual_tax + terms.untaxed


def decide(cs: ChoiceSet, f: Deciders, i: int) -> Decision:
    """Values, feasibility and choice probabilities of every region for firm ``i`` of ``f``."""
    n_regions = cs.n_regions
    sector = int(f.sector[i])
    capital = float(f.capital[i])
    land = float(f.land[i])
    small = bool(f.small[i])
    here = int(f.region[i])  # -1: newborn
    q = float(cs.revenue_per_capital[sector]) * capital * float(f.productivity[i])

    values, feasible = [], []
    for j in range(n_regions):
        revenue = q * float(cs.revenue_factor[sector, j])
        profit = (revenue * float(cs.margin[sector, j]) - float(f.employment[i]) * float(cs.wage[j])
                  - cs.capital_cost_rate * capital)
        standard_factory_zone = small and not bool(cs.is_origin[j])

        if j == here:
            # staying: no upfront cost; the locked-in package still pays what is owed
            values.append(_after_tax(cs, profit, _add([ins.firm_stay(cs, f, i) for ins in cs.instruments])))
            feasible.append(True)
            continue

        terms = _add([ins.firm_terms(cs, f, i, j) for ins in cs.instruments])
        if here < 0:
            moving = 0.0
            resale = 0.0
        else:
            moving = capital * (cs.moving_cost_base + cs.moving_cost_per_km * float(cs.distance[here, j]))
            old_pool_sf = small and not bool(cs.is_origin[here])
            old_price = float(cs.sf_price[here]) if old_pool_sf else float(cs.price[here])
            resale = cs.old_site_recovery * land * old_price

        values.append(_after_tax(cs, profit, terms) - moving + resale)
        free = float(cs.free_sf_land[j]) if standard_factory_zone else float(cs.free_land[j])
        feasible.append(free >= land and not any(ins.firm_refused(cs, f, i, j) for ins in cs.instruments))

    scale = cs.annuity * q
    rule = cs.decision_rule
    if isinstance(rule, Logit):
        probability = logit(values, feasible, scale, rule.theta, rule.utility)
    else:  # a plug-in rule: its own probabilities, on this one firm
        probability = rule.probabilities(np.array([values]), np.array([feasible]), np.array([scale]))[0].tolist()
    return Decision(values, feasible, probability)


def logit(values: list[float], feasible: list[bool], scale: float, theta: float, utility: str) -> list[float]:
    """Choice probabilities over regions; all zero if no region is acceptable.

    ``linear``: utility ``V / (theta scale)``; ``log``: ``ln(V) / theta``, only for V > 0.
    ``theta = 0``: probability 1 on the best acceptable region (the first on ties).
    """
    utilities: list[float | None] = []
    for v, ok in zip(values, feasible, strict=True):
        if not ok or (utility == "log" and v <= 0.0):
            utilities.append(None)
            continue
        u = math.log(v) if utility == "log" else v
        if theta > 0:
            u = u / theta if utility == "log" else v / (theta * scale)
        utilities.append(u)
    acceptable = [u for u in utilities if u is not None]
    probability = [0.0] * len(values)
    if not acceptable:
        return probability
    best = max(acceptable)
    if theta == 0:
        probability[utilities.index(best)] = 1.0
        return probability
    weights = [0.0 if u is None else math.exp(u - best) for u in utilities]
    total = sum(weights)
    return [w / total for w in weights]


def reference_decisions(cs: ChoiceSet, f: Deciders) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(value, feasible, probability)`` arrays (n x R) for all firms of ``f``, firm by firm."""
    decisions = [decide(cs, f, i) for i in range(f.n)]
    shape = (f.n, cs.n_regions)
    return (np.array([d.value for d in decisions], dtype=float).reshape(shape),
            np.array([d.feasible for d in decisions], dtype=bool).reshape(shape),
            np.array([d.probability for d in decisions], dtype=float).reshape(shape))
