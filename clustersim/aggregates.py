"""The model's aggregates refresh in a few calls: prices, the revenue multiplier and the margins.

A refresh (:meth:`clustersim.model.ClusterModel._refresh`) recomputes what depends on where
firms are: the region tallies (:func:`clustersim.tally.tally`), supplier access, prices, the
revenue multiplier ``A (1 - tau_m d)`` (:func:`clustersim.agglomeration.log_multiplier`, the
market pull of :mod:`clustersim.market_access`) and the pre-tax margins
(:func:`clustersim.accounts.pretax_shares`). Written as numpy expressions these are some forty
calls on arrays of a few dozen numbers, each costing more than its arithmetic. :class:`Refresher`
computes the same numbers, bit for bit, in a few compiled passes, keeping in numpy only what
numpy must compute for the bits to be the same: the logarithms and exponentials (numpy's
vectorised ``log``, ``log1p`` and ``exp`` round differently from the C library's in the last bit
for some arguments). Supplier access (:func:`supplier_access`) is a compiled pass too; its sums
are taken in index order where BLAS takes its own, so it differs from the matrix products in
the last bits (within the dot-product bound the tests check).

What it saves besides the calls:

* the logarithms of the localisation and access terms depend only on the firm counts, so they
  are taken when the firms are recounted, not at every refresh (a refresh after the county
  rules, or at the start of a year whose firms did not change, reuses them);
* when ``ln A`` comes out bit for bit as at the previous refresh (infrastructure unchanged and
  no recount), the revenue multiplier of that refresh is kept (the same array) instead of
  taking ``exp`` again.

The arrays the model publishes (``revenue_factor``, ``margin``, the prices) are new arrays
whenever their values change, as before: a holder of an earlier one (a choice set) never sees
it change. The numpy formulation stays the reference: ``tests/test_aggregates.py`` compares
the two on every shipped scenario and on random worlds.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from clustersim.jit import compiled

if TYPE_CHECKING:
    from clustersim.params import Agglomeration


@compiled()
def _log_arguments(localisation, urbanisation, linear, g_l, eps, g_u, eps_u, advantage, has_advantage, level,
                   loc_arg, urb_arg):
    """The arguments of the logarithms of ``ln A``'s localisation part (numpy's operations, in
    its order), from ``L`` and its column sums ``U`` (numpy's ``L.sum(axis=0)``: it adds the
    sectors in an order that depends on the shape). Log form: ``eps + L`` into ``loc_arg`` and
    ``eps_u + U`` into ``urb_arg`` (if ``g_u > 0``). Linear form: ``level = g_l L + g_u U (+ a)`` and
    ``max(level, 1e-300)`` into ``loc_arg``. Returns True if some argument of the log form is not
    positive (its logarithm warns in numpy)."""
    n_s, n_r = localisation.shape
    bad = False
    for j in range(n_r):
        if linear:
            u = g_u * urbanisation[j]
            for s in range(n_s):
                v = g_l * localisation[s, j] + u
                if has_advantage:
                    v = v + advantage[s, j]
                level[s, j] = v
                loc_arg[s, j] = v if v > 1e-300 else 1e-300
        else:
            for s in range(n_s):
                v = eps + localisation[s, j]
                loc_arg[s, j] = v
                bad |= not v > 0.0
            if g_u > 0:
                v = eps_u + urbanisation[j]
                urb_arg[j] = v
                bad |= not v > 0.0
    return bad


@compiled(inline="always")
def _same(a, b):
    """``a`` and ``b`` are the same number (nan is never the same; 0.0 and -0.0 differ)."""
    return a == b and (a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b))


@compiled()
def _log_multiplier(linear, g_l, log_loc, level, g_u, log_urb, advantage, has_advantage, g_s, log1p_access,
                    g_i, infrastructure, g_m, log1p_market, market_factor, out, market_factor_seen):
    """``ln A`` into ``out`` from the logarithms taken by numpy, with the additions of
    :func:`clustersim.agglomeration.log_multiplier` and the market pull in their order, and
    ``market_factor`` into ``market_factor_seen``. Returns True if either changed (a value not
    the same as the one it held: :func:`_same`)."""
    n_s, n_r = out.shape
    changed = False
    for j in range(n_r):
        if not _same(market_factor[j], market_factor_seen[j]):
            changed = True
        market_factor_seen[j] = market_factor[j]
    for s in range(n_s):
        for j in range(n_r):
            if linear:
                v = log_loc[s, j] if level[s, j] > 0 else -np.inf
            else:
                v = g_l * log_loc[s, j] if g_l > 0 else 0.0
                if g_u > 0:
                    v += g_u * log_urb[j]
                if has_advantage:
                    v += advantage[s, j]
            if g_s > 0:
                v += g_s * log1p_access[s, j]
            if g_i > 0:
                v += g_i * infrastructure[j]
            if g_m > 0:
                v += g_m * log1p_market[s, j]
            if not _same(v, out[s, j]):
                changed = True
            out[s, j] = v
    return changed


@compiled()
def _times_market_factor(factor, market_factor):
    """``factor *= market_factor`` along the regions (numpy's ``exp(ln A) * m[None, :]``)."""
    n_s, n_r = factor.shape
    for s in range(n_s):
        for j in range(n_r):
            factor[s, j] = factor[s, j] * market_factor[j]


@compiled()
def _margin(material, fee_rate, governance, friction, vat_rate, out):
    """The pre-tax margin ``kept - vat`` of :func:`clustersim.accounts.pretax_shares` (sectors x
    regions), its operations in numpy's order."""
    n_s, n_r = out.shape
    for s in range(n_s):
        m = material[s]
        vat = vat_rate * (1.0 - m)
        for j in range(n_r):
            kept = 1.0 - m - fee_rate[j] - friction * (1.0 - governance[j])
            out[s, j] = kept - vat


@compiled()
def _depth_offered(start, end, year, package, depth, out):
    for j in range(package.shape[0]):
        p = package[j]
        out[j] = depth[j] if p > 0 and start[p] <= year and year < end[p] else 0.0


def depth_offered(start: np.ndarray, end: np.ndarray, year: int, package: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Each region's subsidy depth if its package (not ``none``, 0) is offered in ``year``, else 0:
    ``np.where(((start <= year) & (year < end))[package] & (package > 0), depth, 0.0)`` (the
    packages' offer windows ``start`` and ``end``) in one compiled pass."""
    out = np.empty(package.size)
    _depth_offered(start, end, year, package, depth, out)
    return out


class Refresher:
    """The state the refresh keeps between calls: the logarithms of the last recount (with the
    parameters they were taken with), the last ``ln A`` and the multiplier made from it."""

    def __init__(self, n_sectors: int, n_regions: int) -> None:
        shape = (n_sectors, n_regions)
        self.level, self.loc_arg, self.log_loc = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        self.urb_arg, self.log_urb = np.zeros(n_regions), np.zeros(n_regions)
        self.log1p_access, self.log1p_market = np.zeros(shape), np.zeros(shape)
        self.log_a = np.zeros(shape)
        self.factor: np.ndarray | None = None  # the revenue multiplier made from log_a
        self.market_factor = np.zeros(n_regions)  # and the market factor it was made with
        self.logs_of: tuple | None = None  # the agglomeration parameters of the logarithms taken

    def logs(self, localisation: np.ndarray, access: np.ndarray, market: np.ndarray | None,
             params: Agglomeration, advantage: np.ndarray | None) -> None:
        """Take the logarithms of ``ln A`` that depend on the firm counts (after a recount)."""
        linear = params.form == "linear"
        has_adv = advantage is not None
        adv = advantage if has_adv else self.level
        urbanisation = localisation.sum(axis=0) if linear or params.urbanisation > 0 else self.log_urb  # (unread)
        bad = _log_arguments(localisation, urbanisation, linear, float(params.localisation), float(params.epsilon),
                             float(params.urbanisation), float(params.urbanisation_epsilon), adv, has_adv,
                             self.level, self.loc_arg, self.urb_arg)
        if bad:
            with np.errstate(divide="ignore", invalid="ignore"):
                self._log(linear, params)
        else:
            self._log(linear, params)
        if params.supplier > 0:
            np.log1p(access, out=self.log1p_access)
        if market is not None:
            np.log1p(market, out=self.log1p_market)
        self.logs_of = (params.form, params.localisation, params.epsilon, params.urbanisation,
                        params.urbanisation_epsilon, params.supplier, market is not None)

    def _log(self, linear: bool, params: Agglomeration) -> None:
        if linear or params.localisation > 0:
            np.log(self.loc_arg, out=self.log_loc)
        if not linear and params.urbanisation > 0:
            np.log(self.urb_arg, out=self.log_urb)

    def stale(self, params: Agglomeration, market: bool) -> bool:
        """True if the logarithms were taken with other parameters than these (or never)."""
        return self.logs_of != (params.form, params.localisation, params.epsilon, params.urbanisation,
                                params.urbanisation_epsilon, params.supplier, market)

    def revenue_factor(self, infrastructure: np.ndarray, params: Agglomeration, advantage: np.ndarray | None,
                       market_factor: np.ndarray) -> np.ndarray:
        """``A (1 - tau_m d)`` (sectors x regions) from the logarithms of the last recount and
        this infrastructure: ``exp(ln A) * market_factor[None, :]``, the previous array if ``ln A``
        and the market factor are unchanged."""
        has_adv = advantage is not None
        changed = _log_multiplier(params.form == "linear", float(params.localisation), self.log_loc, self.level,
                                  float(params.urbanisation), self.log_urb, advantage if has_adv else self.level,
                                  has_adv, float(params.supplier), self.log1p_access, float(params.infrastructure),
                                  infrastructure, float(params.market), self.log1p_market, market_factor,
                                  self.log_a, self.market_factor)
        if changed or self.factor is None:
            factor = np.exp(self.log_a)
            _times_market_factor(factor, market_factor)
            self.factor = factor
        return self.factor


@compiled()
def _supplier_access(output, io, decay, reference_output, reach, out):
    n_s, n_r = output.shape
    for r in range(n_s):  # reach = output @ decay, row by row; an empty (sector, region) adds nothing
        for j in range(n_r):
            reach[r, j] = 0.0
        for k in range(n_r):
            y = output[r, k]
            if y != 0.0:
                for j in range(n_r):
                    reach[r, j] += y * decay[k, j]
    for s in range(n_s):  # access = io.T @ reach / reference output
        for j in range(n_r):
            x = 0.0
            for r in range(n_s):
                x += io[r, s] * reach[r, j]
            out[s, j] = x / reference_output


#: above this many regions supplier access takes BLAS's products (faster there than the loops)
ACCESS_LOOP_MAX_REGIONS = 128


def supplier_access(output: np.ndarray, io: np.ndarray, decay: np.ndarray, reference_output: float) -> np.ndarray:
    """Supplier access SA (sectors x regions) of :func:`clustersim.agglomeration.supplier_access`,
    ``io.T @ (output @ decay) / reference_output``: up to :data:`ACCESS_LOOP_MAX_REGIONS` regions
    in one compiled pass, each sum taken in index order (two BLAS calls on arrays of a few dozen
    numbers cost more than their arithmetic: 2.0 against 1.2 us on the demo world, about equal at
    127 regions, BLAS ahead beyond); above it by BLAS. BLAS takes the same sums in its own order,
    so the two differ in the last bits, within the bound for dot products
    (``tests/test_aggregates.py``)."""
    n_s, n_r = output.shape
    if n_r > ACCESS_LOOP_MAX_REGIONS:
        from clustersim.agglomeration import supplier_access as by_blas

        return by_blas(output, io, decay, reference_output)
    out = np.empty((io.shape[1], n_r))
    _supplier_access(output, io, decay, float(reference_output), np.empty((n_s, n_r)), out)
    return out


def margin(material: np.ndarray, fee_rate: np.ndarray, governance: np.ndarray, friction: float,
           vat_rate: float) -> np.ndarray:
    """The pre-tax margin (sectors x regions), as ``kept - vat`` of
    :func:`clustersim.accounts.pretax_shares` gives it, in one compiled pass."""
    out = np.empty((material.size, fee_rate.size))
    _margin(material, fee_rate, governance, float(friction), float(vat_rate), out)
    return out
