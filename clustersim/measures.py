"""The model-level measures collected every year (one row of ``model_frame()``).

Concentration is measured over the counties (the relocated industry): HHI, locational Gini,
the largest county's share, the Ellison–Glaeser index of each sector, and the number of sector
clusters: a county holds a cluster of a sector when it has at least :data:`CLUSTER_MIN_SHARE` of
the sector's county firms and at least :data:`CLUSTER_MIN_SIZE` of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from clustersim import metrics, npsum
from clustersim.jit import compiled
from clustersim.npsum import MAX_RUN, np_sum

if TYPE_CHECKING:
    from clustersim.model import ClusterModel

CLUSTER_MIN_SHARE = 0.2  # of the sector's firms in counties
CLUSTER_MIN_SIZE = 10  # firms


def focal_share(model: ClusterModel) -> float:
    """The focal county's share of the relocated industry (employment or firms in counties, by
    ``take_off.measure``); 0 while no firm is in a county."""
    r = model.regions
    by_employment = model.config.take_off.measure == "employment"
    own = r.employment if by_employment else r.firms
    total = own[r.is_county].sum()
    return float(own[model.focal] / total) if total > 0 else 0.0


#: the measures :func:`_concentration` computes, in the order of its output (then one
#: Ellison–Glaeser gamma per sector)
_COMPUTED = ("firms", "firms_in_counties", "employment", "employment_in_counties", "origin_share", "focal_share",
             "hhi", "gini", "largest_share", "clusters")


@compiled(error_model="numpy", links=(npsum,))
def _concentration(firms, employment, is_origin, focal, by_employment, firms_by_sector, eg_total, eg_h, eg_s,
                   min_share, min_size, scratch, order, out):
    """The measures of :data:`_COMPUTED` and each sector's Ellison–Glaeser gamma into ``out``,
    each as the numpy expression of :func:`year_measures_numpy` computes it (its sums are numpy's
    pairwise sums: :mod:`clustersim.npsum`). ``firms_by_sector`` and ``eg_s`` are flat
    (sector-major); ``scratch`` holds at least (6 + sectors) x regions + sectors floats, ``order``
    regions integers. Returns False, leaving ``out`` incomplete, where the numpy functions would
    raise (no county; amounts not finite or negative) or the world is too large for
    :func:`~clustersim.npsum.np_sum`: the caller computes them with numpy."""
    n_r = firms.size
    n_s = eg_total.size
    if n_r > MAX_RUN:
        return False
    # the parts of scratch (views would need numba's runtime): offsets of runs of n_r floats
    # (np.int64(0), not 0: a literal would compile np_sum once more for its literal type)
    emp_c, firms_c, work, shares, ratio, firms_o = np.int64(0), n_r, 2 * n_r, 3 * n_r, 4 * n_r, 5 * n_r
    by_sector = 6 * n_r  # n_s x n_c
    sector_totals = by_sector + n_s * n_r  # n_s
    sc = scratch
    n_c = np.int64(0)
    n_o = np.int64(0)
    for j in range(n_r):
        if is_origin[j]:
            sc[firms_o + n_o] = firms[j]
            n_o += 1
        else:
            sc[emp_c + n_c] = employment[j]
            sc[firms_c + n_c] = firms[j]
            n_c += 1
    if n_c == 0:
        return False
    for k in range(n_c):
        e = sc[emp_c + k]
        if not (e >= 0.0 and e < np.inf):
            return False
    for k in range(n_s * n_r):
        v = firms_by_sector[k]
        if not (v >= 0.0 and v < np.inf):
            return False
    firms_all = np_sum(firms, emp_c, n_r)  # (emp_c is 0)
    firms_in_counties = np_sum(sc, firms_c, n_c)
    emp_all = np_sum(employment, emp_c, n_r)
    emp_in_counties = np_sum(sc, emp_c, n_c)
    out[0] = firms_all
    out[1] = firms_in_counties
    out[2] = emp_all
    out[3] = emp_in_counties
    out[4] = np_sum(sc, firms_o, n_o) / (firms_all if firms_all >= 1.0 or firms_all != firms_all else 1.0)
    own_total = emp_in_counties if by_employment else firms_in_counties
    own = employment[focal] if by_employment else firms[focal]
    out[5] = own / own_total if own_total > 0 else 0.0
    # county concentration of employment: metrics._hhi, _gini (uniform reference), _largest_share
    total = emp_in_counties
    for k in range(n_c):
        sh = sc[emp_c + k] / total if total > 0 else 0.0
        sc[shares + k] = sh
        sc[work + k] = sh * sh
    out[6] = np_sum(sc, work, n_c)
    if total > 0:
        r = 1.0 / float(n_c)  # ref / ref.sum() of the uniform reference np.ones(n_c)
        for k in range(n_c):
            sc[shares + k] = sc[emp_c + k] / total
            sc[ratio + k] = sc[shares + k] / r
        for k in range(n_c):  # a stable argsort of ratio (insertion sort)
            v = sc[ratio + k]
            i = k
            while i > 0 and sc[ratio + order[i - 1]] > v:
                order[i] = order[i - 1]
                i -= 1
            order[i] = k
        cx = 0.0
        cy = 0.0
        for k in range(n_c):
            nx = cx + r
            ny = cy + sc[shares + order[k]]
            sc[work + k] = (nx - cx) * (ny + cy) / 2.0
            cx, cy = nx, ny
        g = 1.0 - 2.0 * np_sum(sc, work, n_c)
        out[7] = g if g > 0.0 else 0.0
        best = 0
        for k in range(1, n_c):
            if sc[emp_c + k] > sc[emp_c + best]:
                best = k
        out[8] = sc[emp_c + best] / total
    else:
        out[7] = 0.0
        out[8] = 0.0
    # clusters (metrics.clusters) of the firms by sector in counties
    for s in range(n_s):
        c = 0
        for j in range(n_r):
            if not is_origin[j]:
                sc[by_sector + s * n_c + c] = firms_by_sector[s * n_r + j]
                c += 1
    for s in range(n_s):
        sc[sector_totals + s] = np_sum(sc, by_sector + s * n_c, n_c)
    held = 0
    for c in range(n_c):
        for s in range(n_s):
            a = sc[by_sector + s * n_c + c]
            t = sc[sector_totals + s]
            sh = a / t if t > 0 else 0.0
            if sh >= min_share and a >= min_size and a > 0:
                held += 1
                break
    out[9] = held
    # Ellison–Glaeser gamma of each sector (metrics.ellison_glaeser_from_sums), nan where undefined
    some_firm = False  # np.sum(firms_by_sector) > 0: of amounts checked finite and non-negative, iff one is > 0
    for k in range(n_s * n_r):
        some_firm |= firms_by_sector[k] > 0.0
    if some_firm:
        for j in range(n_r):
            x = employment[j] / emp_all
            sc[ratio + j] = x
            sc[work + j] = x * x
        one_minus_x2 = 1.0 - np_sum(sc, work, n_r)
        for s in range(n_s):
            for j in range(n_r):
                d = eg_s[s * n_r + j] - sc[ratio + j]
                sc[shares + j] = d * d
            g = np_sum(sc, shares, n_r)
            h = eg_h[s]
            gamma = (g / one_minus_x2 - h) / (1.0 - h)
            defined = eg_total[s] > 0 and h < 1.0 - 1e-12 and one_minus_x2 > 1e-12
            out[10 + s] = gamma if defined else np.nan
    else:
        for s in range(n_s):
            out[10 + s] = np.nan
    return True


def year_measures(model: ClusterModel, eg_sums: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, float]:
    """The measures of the model's current year; ``eg_sums`` are the Ellison–Glaeser sums of the
    placed firms (employment, plant Herfindahl and regional shares by sector:
    :func:`clustersim.tally.sector_tally`). The concentration measures come from one compiled
    pass (:func:`_concentration`), the same numbers bit for bit as :func:`year_measures_numpy`,
    which computes them where that pass declines (invalid amounts: the metrics functions raise)."""
    r, focal = model.regions, model.focal
    n_s, n_r = len(model.sector_names), r.n
    total, h, s = eg_sums
    values = np.empty(len(_COMPUTED) + n_s)
    ok = _concentration(r.firms, r.employment, r.is_origin, focal, model.config.take_off.measure == "employment",
                        model.firms_by_sector.reshape(-1), total, h, s, CLUSTER_MIN_SHARE, float(CLUSTER_MIN_SIZE),
                        np.empty((6 + n_s) * n_r + n_s), np.empty(n_r, dtype=np.int64), values)
    if not ok:
        return year_measures_numpy(model, eg_sums)
    values = values.tolist()
    return _year_row(model, dict(zip(_COMPUTED, values, strict=False)), values[len(_COMPUTED):])


def _year_row(model: ClusterModel, computed: dict[str, float], eg: list[float]) -> dict[str, float]:
    """The year's measures in their column order: the counts and the focal county's state, the
    concentration measures ``computed`` (by their :data:`_COMPUTED` names), each sector's
    Ellison–Glaeser gamma ``eg``, then the growth measures and the instruments' reports."""
    r, focal = model.regions, model.focal
    flows = r.flows
    own_revenue = flows["taxes"][focal] + flows["fees"][focal]
    for f in model.flows:
        if f.kind == "revenue":
            own_revenue = own_revenue + flows[f.name][focal]
    c = computed
    out: dict[str, float] = {
        "year": model.year,
        "firms": c["firms"], "firms_in_counties": c["firms_in_counties"], "employment": c["employment"],
        "employment_in_counties": c["employment_in_counties"],
        "births": model.births, "entries": model.entries, "not_entered": model.unplaced, "moves": model.moves,
        "exits": model.exits,
        "entered_total": model.entered, "exited_total": model.exited,
        "origin_share": c["origin_share"], "focal_share": c["focal_share"],
        "focal_firms": float(r.firms[focal]),
        "focal_employment": float(r.employment[focal]),
        "focal_depth": float(r.depth[focal]),
        "focal_fee_rate": float(r.fee_rate[focal]),
        "focal_governance": float(r.governance[focal]),
        "focal_land_price": float(r.land_price[focal]),
        "focal_wage": float(r.wage[focal]),
        "focal_incentives": float(flows["incentives"][focal]),
        "focal_firm_revenue": float(own_revenue),
        "focal_balance": float(r.balance[focal]),
        "hhi": c["hhi"], "gini": c["gini"], "largest_share": c["largest_share"], "clusters": c["clusters"],
    }
    for name, g in zip(model.sector_names, eg, strict=True):
        out[f"eg_{name}"] = g
    if model.config.firms.traits.growth_mean is not None:
        from clustersim import growth
        out.update(growth.measures(model))
    for ins in model.instruments:
        out.update(ins.report(model))
    return out


def year_measures_numpy(model: ClusterModel, eg_sums: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, float]:
    """:func:`year_measures` as numpy expressions on the validated metrics functions (the
    reference of the compiled pass, ``tests/test_measures.py``)."""
    r = model.regions
    county = r.is_county
    emp_c = r.employment[county]
    # HHI 0 while no firm is in a county; the Gini of an empty industry is undefined (nan):
    # before the first arrival it is reported as 0
    hhi, gini, largest = metrics.county_concentration(emp_c)
    computed = {
        "firms": float(r.firms.sum()),
        "firms_in_counties": float(r.firms[county].sum()),
        "employment": float(r.employment.sum()),
        "employment_in_counties": float(emp_c.sum()),
        "origin_share": float(r.firms[r.is_origin].sum() / max(r.firms.sum(), 1.0)),
        "focal_share": focal_share(model),
        "hhi": hhi, "gini": gini, "largest_share": largest,
        "clusters": float(metrics.clusters(model.firms_by_sector[:, county], min_share=CLUSTER_MIN_SHARE,
                                           min_size=CLUSTER_MIN_SIZE)),
    }
    n_s = len(model.sector_names)
    if model.firms_by_sector.sum() > 0:  # some firm is placed
        total, h, s = eg_sums
        eg = metrics.ellison_glaeser_from_sums(total, h, s.reshape(n_s, r.n), r.employment / r.employment.sum())
    else:
        eg = np.full(n_s, np.nan)
    return _year_row(model, computed, [float(g) for g in eg])
