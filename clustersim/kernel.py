"""The compiled decision kernel: value, logit weight and draw of every firm in one pass.

:func:`utilities` and :func:`draws` (driven by :meth:`clustersim.choice._Batch.logit_picks`)
give the same picks as :func:`clustersim.choice.firm_values`, then
:func:`clustersim.decision.choice_probabilities` and :func:`clustersim.decision.draw` (the numpy
path), but make one pass over each firm's row of regions, on blocks of firms of cache size: no
(n, R) temporaries. Between the two, numpy's ``exp`` takes the block in place (the same ``exp``
as the numpy path's). They consume the generic term layout of :class:`clustersim.choice._Batch`
(each firm's slots: its value of a term column and the region row it multiplies, gathered by its
sector or profile from a table of rows, so a batch with G profiles costs what a batch with one
costs; refusals by profile; the stay values), so any instrument's terms go through them
unchanged. :func:`firm_setup` and :func:`profile_index` compile the batch's per-firm set-up.

Same picks, not always the same last bits: the numpy path sums the terms with a BLAS matrix
product (whose order of additions, and use of fused multiply-adds, is the library's); here the
terms are summed in slot order (the dense columns' order). The values then differ by a few units
in the last place at most, which changes a pick only when a firm's uniform falls within about
1e-16 of a boundary of the inverse CDF. The sums that decide the draw (the row total, the block
totals and the running sums of the two-level inverse CDF) are taken in exactly numpy's order (its
pairwise summation), so everything else about the draw is bit for bit the numpy rule.
``tests/test_kernel.py`` checks equal picks against the numpy path on batches from real runs,
and its sums against numpy's.

Where the time goes (123 regions, about 1,000 firms a batch; 2-core development machine, best
of repetitions, about 3.9 ns per firm and region in all): the utility pass about 1.6 ns (a firm
with up to :data:`FUSED_SLOTS` nonzero slots of each kind gets its sums, value, quotient by
theta a_H q and feasibility tests in one vectorised pass; then the maximum and u - max),
numpy's ``exp`` about 0.8 ns, the draw about 1.3 ns (the row total, the quotients by it, the
block totals, the search). The two quotients (about 0.4 ns each) and ``exp`` are kept
because the picks must stay the numpy rule's bit for bit: numba's ``exp`` is not numpy's (which
has its own AVX-512 code), and multiplying by a reciprocal rounds differently.

Compiled with numba on first use and cached on disk (:func:`clustersim.jit.compiled`, which
also says where the cache lives): the first process ever pays the compilation (about 6 s of CPU
for this module and :mod:`clustersim.tally` on the development machine), every later process
only loads it (mostly LLVM starting numba's runtime), once per process: sweep workers load it
before their first run, never per run.
"""

from __future__ import annotations

import threading

import numpy as np

from clustersim import npsum
from clustersim.jit import compiled
from clustersim.npsum import MAX_RUN, pairwise_sum

DRAW_BLOCK = 16  # must equal clustersim.decision.DRAW_BLOCK


MAX_REGIONS = MAX_RUN  # rows of regions are summed in numpy's pairwise order (clustersim.npsum)


@compiled()
def _add_terms(vals, which, nz, rows, acc):
    """acc = a firm's ``nz`` nonzero slots (values ``vals``, rows ``which``, as
    :func:`_nonzero_slots` gathers them; slots whose value is 0 add nothing, as the dense
    layout's zero columns did) added in slot order to 0. Two slots per pass over the row,
    ``(acc + a y_a) + b y_b``: the same additions in the same order."""
    n_r = acc.shape[0]
    if nz == 0:
        for j in range(n_r):
            acc[j] = 0.0
        return
    if nz == 1:
        a, ya = vals[0], rows[which[0]]
        for j in range(n_r):
            acc[j] = 0.0 + a * ya[j]
        return
    a, ya, b, yb = vals[0], rows[which[0]], vals[1], rows[which[1]]
    for j in range(n_r):
        acc[j] = (0.0 + a * ya[j]) + b * yb[j]
    k = 2
    while k + 2 <= nz:
        a, ya, b, yb = vals[k], rows[which[k]], vals[k + 1], rows[which[k + 1]]
        for j in range(n_r):
            acc[j] = (acc[j] + a * ya[j]) + b * yb[j]
        k += 2
    if k < nz:
        a, ya = vals[k], rows[which[k]]
        for j in range(n_r):
            acc[j] += a * ya[j]


FUSED_SLOTS = 4  # up to this many nonzero slots of each kind, a firm's row takes one pass


@compiled()
def _nonzero_slots(x, at, i, vals, which):
    """Firm i's slots whose value is not 0 (their values into ``vals``, rows into ``which``, in
    slot order), padded to ``FUSED_SLOTS`` with value 0 on row -1 (the row of zeros); returns
    how many."""
    nz = 0
    for k in range(x.shape[1]):
        v = x[i, k]
        if v != 0.0:
            vals[nz] = v
            which[nz] = at[i, k]
            nz += 1
    for k in range(nz, FUSED_SLOTS):
        vals[k] = 0.0
        which[k] = -1
    return nz


@compiled()
def _utility(v, mode, theta, d):
    """The logit utility of value v: mode 0 v / d (linear), 1 v (linear, theta = 0), 2 log v / theta
    (log; -inf for v <= 0)."""
    if mode == 0:
        return v / d
    if mode == 1:
        return v
    x = np.log(max(v, 1e-300)) if v > 0 else -np.inf
    return x / theta if theta > 0 else x


@compiled()
def _row_max(row):
    """The row's maximum (-inf for an empty or all -inf row), over eight running maxima (rows hold
    no nan: the maximum is the same in any order)."""
    n_r = row.shape[0]
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = -np.inf
    j = 0
    while j + 8 <= n_r:
        m0 = max(m0, row[j])
        m1 = max(m1, row[j + 1])
        m2 = max(m2, row[j + 2])
        m3 = max(m3, row[j + 3])
        m4 = max(m4, row[j + 4])
        m5 = max(m5, row[j + 5])
        m6 = max(m6, row[j + 6])
        m7 = max(m7, row[j + 7])
        j += 8
    top = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    while j < n_r:
        top = max(top, row[j])
        j += 1
    return top


@compiled()
def utilities(profit_x, profit_at, profit_rows, linear_x, linear_at, linear_rows, tax_rows, profile, cur, incumbent,
              distance, distance_weight, free, land, small, refused, stay, scale, theta, log_utility,
              lo, u, best, arg, prof, allowed, zero, pv, lv, pk, lk):
    """Logit utilities of firms ``lo:lo + len(u)`` of a batch into ``u`` (rows of R; -inf where
    infeasible), each row's maximum into ``best``; with theta = 0 its first position into ``arg``,
    otherwise the row minus its maximum (where finite) into ``u``, ready for ``exp``.

    The arguments are the arrays of :class:`clustersim.choice._Batch` (``refused``: (G, R)
    bool, or (0, R) for none; ``tax_rows``: (G or 1, R)), ``theta`` and ``log_utility`` the
    logit's: the value is ``P - tax_row max(P, 0) + L - moving`` with ``P`` and ``L`` the firm's
    slots (value times row, :func:`clustersim.choice._layout`) added in slot order, staying
    overwritten by the stay value. One pass over each row's cells turns the terms into utilities
    (value, feasibility, refusals); then the maximum, and the subtraction. ``prof`` to ``lk`` are
    the scratch arrays of :func:`utility_scratch` (the compiled functions allocate nothing)."""
    n_r = profit_rows.shape[1]
    per_profile_tax = tax_rows.shape[0] > 1
    has_refused = refused.shape[0] > 0
    mode = 2 if log_utility else (0 if theta > 0 else 1)
    for r in range(u.shape[0]):
        i = lo + r
        g = profile[i]
        row = u[r]
        n_profit = _nonzero_slots(profit_x, profit_at, i, pv, pk)
        n_linear = _nonzero_slots(linear_x, linear_at, i, lv, lk)
        fused = n_profit <= FUSED_SLOTS and n_linear <= FUSED_SLOTS
        if not fused:  # the slots just gathered, added over the rows first
            _add_terms(pv, pk, n_profit, profit_rows, prof)
            _add_terms(lv, lk, n_linear, linear_rows, row)
        inc = incumbent[i]
        c = cur[i]
        w = distance_weight[i] if inc else 0.0  # newborns: subtracting 0 leaves the value as it is
        dist = distance[c]
        tax = tax_rows[g if per_profile_tax else 0]
        room = free[1 if small[i] else 0]
        no = refused[g] if has_refused else allowed
        need = land[i]
        d = theta * scale[i]
        # utility; -inf where infeasible (not enough free land in the firm's pool, refused)
        # (the quotient is taken everywhere and the test without branches, so the loop vectorises)
        if fused:
            # the slots' sums, the value and the utility in one pass (a padding slot adds 0 * 0 = +0
            # at the end, which changes no sum: a sum started at +0 is never -0)
            a0, a1, a2, a3 = pv[0], pv[1], pv[2], pv[3]
            # (the rows picked inline: through a helper function the loop runs a third slower)
            y0 = profit_rows[pk[0]] if pk[0] >= 0 else zero
            y1 = profit_rows[pk[1]] if pk[1] >= 0 else zero
            y2 = profit_rows[pk[2]] if pk[2] >= 0 else zero
            y3 = profit_rows[pk[3]] if pk[3] >= 0 else zero
            b0, b1, b2, b3 = lv[0], lv[1], lv[2], lv[3]
            z0 = linear_rows[lk[0]] if lk[0] >= 0 else zero
            z1 = linear_rows[lk[1]] if lk[1] >= 0 else zero
            z2 = linear_rows[lk[2]] if lk[2] >= 0 else zero
            z3 = linear_rows[lk[3]] if lk[3] >= 0 else zero
            dd = d if mode == 0 else 1.0  # (x / 1.0 is x)
            for j in range(n_r):
                p = (((0.0 + a0 * y0[j]) + a1 * y1[j]) + a2 * y2[j]) + a3 * y3[j]
                v = (((0.0 + b0 * z0[j]) + b1 * z1[j]) + b2 * z2[j]) + b3 * z3[j]
                x = (v + p - max(p, 0.0) * tax[j] - dist[j] * w) / dd
                row[j] = x if (need <= room[j]) & (not no[j]) else -np.inf
            if mode == 2:
                for j in range(n_r):
                    if row[j] != -np.inf:
                        row[j] = _utility(row[j], 2, theta, d)
        elif mode == 0:
            for j in range(n_r):
                p = prof[j]
                x = (row[j] + p - max(p, 0.0) * tax[j] - dist[j] * w) / d
                row[j] = x if (need <= room[j]) & (not no[j]) else -np.inf
        elif mode == 1:
            for j in range(n_r):
                p = prof[j]
                x = row[j] + p - max(p, 0.0) * tax[j] - dist[j] * w
                row[j] = x if (need <= room[j]) & (not no[j]) else -np.inf
        else:  # the value first, then the logarithm of the feasible cells' (infeasible: -inf either way)
            for j in range(n_r):
                p = prof[j]
                x = row[j] + p - max(p, 0.0) * tax[j] - dist[j] * w
                row[j] = x if (need <= room[j]) & (not no[j]) else -np.inf
            for j in range(n_r):
                if row[j] != -np.inf:
                    row[j] = _utility(row[j], 2, theta, d)
        if inc:  # the current region is always feasible, at the value of staying
            row[c] = _utility(stay[i], mode, theta, d)
        top = _row_max(row)
        at = -1
        if theta == 0:
            if top > -np.inf:
                at = 0
                while row[at] != top:  # the first maximum, as np.argmax
                    at += 1
        elif top > -np.inf:  # u - max, ready for exp (as choice_probabilities takes it)
            for j in range(n_r):
                row[j] -= top
        best[r] = top
        arg[r] = at


def utility_scratch(n_regions: int, profit_slots: int, linear_slots: int) -> tuple[np.ndarray, ...]:
    """The scratch arrays of :func:`utilities` (``prof`` to ``lk``), for a batch whose layouts
    have ``profit_slots`` and ``linear_slots`` slots per firm; ``allowed`` (the refusals of a
    batch without any) and ``zero`` (the row of an empty slot) are read only and stay zero."""
    pv, lv = np.empty(max(FUSED_SLOTS, profit_slots)), np.empty(max(FUSED_SLOTS, linear_slots))
    return (np.empty(n_regions), np.zeros(n_regions, dtype=np.bool_), np.zeros(n_regions), pv, lv,
            np.empty(pv.size, dtype=np.int64), np.empty(lv.size, dtype=np.int64))


_workspace = threading.local()


def block_scratch(rows: int, n_regions: int, slots: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """This thread's scratch for a block of up to ``rows`` firms: ``(u, best, arg, block_cum,
    *utility_scratch(...))``, kept between batches (:func:`utilities` and :func:`draws` overwrite
    every entry they read, and a thread runs one block at a time)."""
    kept = getattr(_workspace, "kept", None)
    if kept is None or kept[0] != (n_regions, slots) or kept[1] < rows:
        rows = max(rows, 0 if kept is None or kept[0] != (n_regions, slots) else kept[1])
        arrays = (np.empty((rows, n_regions)), np.empty(rows), np.empty(rows, dtype=np.int64),
                  np.empty((n_regions + DRAW_BLOCK - 1) // DRAW_BLOCK), *utility_scratch(n_regions, *slots))
        kept = _workspace.kept = ((n_regions, slots), rows, arrays)
    return kept[2]


@compiled(links=(npsum,))
def _block_sums(prob, sums):
    """np.add.reduceat(prob, range(0, R, DRAW_BLOCK)): each block's first entry plus numpy's
    pairwise sum of the rest (for a full block of 16: eight entries in a tree, then seven one by
    one). No block waits for another, so the blocks' additions overlap."""
    n_r = prob.shape[0]
    full = n_r // DRAW_BLOCK
    for b in range(full):
        s = b * DRAW_BLOCK
        t = (((prob[s + 1] + prob[s + 2]) + (prob[s + 3] + prob[s + 4]))
             + ((prob[s + 5] + prob[s + 6]) + (prob[s + 7] + prob[s + 8])))
        t += prob[s + 9]
        t += prob[s + 10]
        t += prob[s + 11]
        t += prob[s + 12]
        t += prob[s + 13]
        t += prob[s + 14]
        t += prob[s + 15]
        sums[b] = prob[s] + t
    if full < sums.shape[0]:
        s = full * DRAW_BLOCK
        sums[full] = prob[s] + pairwise_sum(prob, s + 1, n_r - s - 1)


@compiled(links=(npsum,))
def draws(weight, best, arg, one_hot, uniforms, lo, pick, block_cum):
    """Picks of firms ``lo:lo + len(weight)`` by :func:`clustersim.decision.draw`'s two-level
    inverse CDF: ``weight`` holds each row's logit weights exp(u - max) (overwritten by the
    probabilities); rows whose utilities' maximum ``best`` is not finite (no acceptable region)
    pick -1; with ``one_hot`` (theta = 0) row r's probability is 1 at ``arg[r]``. ``block_cum``:
    scratch of one entry per block of :data:`DRAW_BLOCK` regions."""
    n_r = weight.shape[1]
    n_blocks = (n_r + DRAW_BLOCK - 1) // DRAW_BLOCK
    for r in range(weight.shape[0]):
        i = lo + r
        prob = weight[r]
        if not np.isfinite(best[r]):
            pick[i] = -1
            continue
        if one_hot:  # probability 1 at arg: every block total before arg's block is 0, then 1
            a = arg[r]
            for j in range(n_r):
                prob[j] = 0.0
            prob[a] = 1.0
            for b in range(n_blocks):
                block_cum[b] = 1.0 if b * DRAW_BLOCK + DRAW_BLOCK > a else 0.0
        else:
            total = pairwise_sum(prob, 0, n_r)
            for j in range(n_r):
                prob[j] /= total
            _block_sums(prob, block_cum)
            run = 0.0
            for b in range(n_blocks):
                run += block_cum[b]
                block_cum[b] = run
        grand = block_cum[n_blocks - 1]
        if grand <= 0:
            pick[i] = -1
            continue
        target = uniforms[i] * grand
        block = 0
        for b in range(n_blocks):
            if block_cum[b] < target:
                block += 1
        block = min(block, n_blocks - 1)
        before = block_cum[block - 1] if block > 0 else 0.0
        first = block * DRAW_BLOCK
        last = min(first + DRAW_BLOCK, n_r) - 1
        within = 0.0
        count = 0
        # within + before only grows with t (no weight is negative, rounding is monotone): the
        # count of entries below the target ends at the first that is not, and past the block's
        # last region it would only be clipped to it
        for t in range(last - first + 1):
            within += prob[first + t]
            if within + before < target:
                count += 1
            else:
                break
        pick[i] = min(first + count, last)


def profile_index(keys: np.ndarray, profile: np.ndarray, first: np.ndarray) -> int:
    """Profiles of firms with equal rows of ``keys`` (n, K), non-negative integers: the compiled
    common case of :func:`clustersim.choice._profiles`, with its numbering (by the packed code
    ``((k0 w1 + k1) w2 + k2) ...``, ``w`` one more than a column's maximum). Fills ``profile``
    (n,) and ``first`` (the first firm of each profile) and returns the number of profiles, or -1
    where that function would renumber a code or use a sort (codes past 8 n + 4096)."""
    n, n_k = keys.shape
    # the largest rank table used; np.empty leaves the part past the codes unmapped
    return _profile_index(keys, np.empty(n_k, dtype=np.int64), np.empty(8 * n + 4096, dtype=np.int64), profile, first)


@compiled()
def _profile_index(keys, widths, rank, profile, first):
    n, n_k = keys.shape
    top = 0  # largest code so far
    for k in range(n_k):
        width = 1
        for i in range(n):
            width = max(width, keys[i, k] + 1)
        if top + 1 > (2**62 - 1) // width:  # (top + 1) width >= 2**62
            return -1
        widths[k] = width
        top = top * width + width - 1
    if top >= 8 * n + 4096:
        return -1
    for c in range(top + 1):
        rank[c] = 0
    for i in range(n):
        c = 0
        for k in range(n_k):
            c = c * widths[k] + keys[i, k]
        profile[i] = c
        rank[c] = 1
    g = 0
    for c in range(top + 1):
        if rank[c]:
            rank[c] = g
            g += 1
        else:
            rank[c] = -1
    for j in range(g):
        first[j] = n
    for i in range(n):
        p = rank[profile[i]]
        profile[i] = p
        if first[p] == n:
            first[p] = i
    return g


@compiled()
def firm_setup(sector, capital, productivity, region, land, small, revenue_per_capital, is_origin, price,
               sf_price, annuity, old_site_recovery, moving_cost_base, q, scale, cur, incumbent, const,
               distance_weight):
    """The per-firm quantities of a batch in one pass (the same operations as the numpy
    expressions they replace, in the same order): revenue at A = 1 ``q = r_s K z`` and the logit
    scale ``a_H q``; the current region (0 for newborns, ``region < 0``); the resale of the old
    site minus the fixed moving cost (0 for newborns); the moving cost's weight K (0 for
    newborns)."""
    for i in range(sector.shape[0]):
        qi = revenue_per_capital[sector[i]] * capital[i] * productivity[i]
        q[i] = qi
        scale[i] = annuity * qi
        new = region[i] < 0
        c = 0 if new else region[i]
        cur[i] = c
        incumbent[i] = not new
        p = sf_price[c] if small[i] and not is_origin[c] else price[c]
        const[i] = 0.0 if new else old_site_recovery * land[i] * p - moving_cost_base * capital[i]
        distance_weight[i] = 0.0 if new else capital[i]


@compiled()
def stay_profit(q, sector, cur, revenue_factor, margin, employment, wage, capital, capital_cost_rate, revenue, profit):
    """Each firm's revenue ``q A[s, c]`` and pre-tax profit ``R margin[s, c] - e w_c - c K`` in
    its current region c (wan/year), the numpy expressions of the value of staying in their
    order."""
    for i in range(q.shape[0]):
        s, c = sector[i], cur[i]
        r = q[i] * revenue_factor[s, c]
        revenue[i] = r
        profit[i] = r * margin[s, c] - employment[i] * wage[c] - capital_cost_rate * capital[i]
