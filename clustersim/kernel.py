"""The compiled decision kernel: value, logit weight and draw of every firm in one pass.

:func:`utilities` and :func:`draws` (driven by :meth:`clustersim.choice._Batch.logit_picks`)
give the same picks as :func:`clustersim.choice.firm_values`, then
:func:`clustersim.decision.choice_probabilities` and :func:`clustersim.decision.draw` (the numpy
path), but make one pass over each firm's row of regions, on blocks of firms of cache size: no
(n, R) temporaries. Between the two, numpy's ``exp`` takes the block in place (the same ``exp``
as the numpy path's). They consume the generic term layout of :class:`clustersim.choice._Batch`
(firm columns times region rows, per-profile rows gathered by each firm's profile, refusals by
profile, the stay values), so any instrument's terms go through them unchanged.

Same picks, not always the same last bits: the numpy path sums the terms with a BLAS matrix
product (whose order of additions, and use of fused multiply-adds, is the library's); here the
terms are summed in column order. The values then differ by a few units in the last place at
most, which changes a pick only when a firm's uniform falls within about 1e-16 of a boundary of
the inverse CDF. The sums that decide the draw (the row total, the block totals and the
running sums of the two-level inverse CDF) are taken in exactly numpy's order (its pairwise
summation), so everything else about the draw is bit for bit the numpy rule.
``tests/test_kernel.py`` checks equal picks against the numpy path on batches from real runs,
and its sums against numpy's.

Compiled with numba on first use and cached on disk (``cache=True``): the first process ever
pays the compilation (about 6 s of CPU for this module and :mod:`clustersim.tally` on the
development machine), every later process only loads it (about 0.25 s of CPU, mostly LLVM
starting), once per process: sweep workers load it before their first run, never per run.
The cache lives in ``__pycache__`` beside this file, or, where that folder is not writable (an
installed package), under ``~/.cache/clustersim/numba`` (``NUMBA_CACHE_DIR`` overrides both).
"""

from __future__ import annotations

import os
from pathlib import Path

import numba
import numpy as np

if not numba.config.CACHE_DIR and not os.access(Path(__file__).parent, os.W_OK):
    numba.config.CACHE_DIR = str(Path.home() / ".cache" / "clustersim" / "numba")

DRAW_BLOCK = 16  # must equal clustersim.decision.DRAW_BLOCK
_PW_BLOCK = 128  # numpy's PW_BLOCKSIZE


@numba.njit(cache=True, nogil=True)
def _pw_leaf(a, lo, n):
    """numpy's pairwise sum of a[lo:lo + n] for n <= 128 (eight running sums, then the rest)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


# numpy halves longer runs recursively; numba's on-disk cache mishandles recursive functions, so
# the recursion is unrolled into levels, each handling twice the length of the one below

@numba.njit(cache=True, nogil=True)
def _pw1(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw_leaf(a, lo, n2) + _pw_leaf(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw2(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw1(a, lo, n2) + _pw1(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw3(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw2(a, lo, n2) + _pw2(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw4(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw3(a, lo, n2) + _pw3(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw5(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw4(a, lo, n2) + _pw4(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw6(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw5(a, lo, n2) + _pw5(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw7(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw6(a, lo, n2) + _pw6(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw8(a, lo, n):
    if n <= _PW_BLOCK:
        return _pw_leaf(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw7(a, lo, n2) + _pw7(a, lo + n2, n - n2)


_pairwise = _pw8  # numpy's pairwise sum for runs up to about 128 * 2**8 = 32,768 regions
MAX_REGIONS = 30_000


@numba.njit(cache=True, nogil=True)
def utilities(profit_x, profit_at, profit_rows, linear_x, linear_at, linear_rows, tax_rows, profile, cur, incumbent,
              distance, distance_weight, free, land, small, refused, stay, scale, theta, log_utility,
              lo, u, best, arg):
    """Logit utilities of firms ``lo:lo + len(u)`` of a batch into ``u`` (rows of R; -inf where
    infeasible), each row's maximum into ``best``; with theta = 0 its first position into ``arg``,
    otherwise the row minus its maximum (where finite) into ``u``, ready for ``exp``.

    The arguments are the arrays of :class:`clustersim.choice._Batch` (``refused``: (G, R)
    bool, or (0, R) for none; ``tax_rows``: (G or 1, R)), ``theta`` and ``log_utility`` the
    logit's: the value is ``P - tax_row max(P, 0) + L - moving`` with ``P`` and ``L`` the firm
    columns times the region rows (added in column order), staying overwritten by the stay value."""
    n_r = profit_rows.shape[1]
    kp = profit_x.shape[1]
    kl = linear_x.shape[1]
    per_profile_tax = tax_rows.shape[0] > 1
    has_refused = refused.shape[0] > 0
    prof = np.empty(n_r)
    for r in range(u.shape[0]):
        i = lo + r
        g = profile[i]
        trow = g if per_profile_tax else 0
        pool = 1 if small[i] else 0
        inc = incumbent[i]
        c = cur[i]
        row = u[r]
        # the terms, one firm column at a time over the row (columns that are 0 for this firm,
        # as the one-hot columns of per-profile terms mostly are, add nothing and are skipped)
        for j in range(n_r):
            prof[j] = 0.0
            row[j] = 0.0
        for k in range(kp):
            x = profit_x[i, k]
            if x != 0.0:
                y = profit_rows[profit_at[i, k]]
                for j in range(n_r):
                    prof[j] += x * y[j]
        for k in range(kl):
            x = linear_x[i, k]
            if x != 0.0:
                y = linear_rows[linear_at[i, k]]
                for j in range(n_r):
                    row[j] += x * y[j]
        # value (newborns have moving weight 0: subtracting 0 leaves the value as it is)
        w = distance_weight[i] if inc else 0.0
        dist = distance[c]
        tax = tax_rows[trow]
        for j in range(n_r):
            p = prof[j]
            row[j] = row[j] + p - max(p, 0.0) * tax[j] - dist[j] * w
        stay_value = row[c]
        if inc:
            stay_value = stay[i]
        # utility; -inf where infeasible (not enough free land in the firm's pool, refused)
        room = free[pool]
        need = land[i]
        d = theta * scale[i]
        if log_utility:
            for j in range(n_r):
                v = row[j]
                x = np.log(max(v, 1e-300)) if v > 0 else -np.inf
                row[j] = x / theta if theta > 0 else x
            for j in range(n_r):
                if need > room[j]:
                    row[j] = -np.inf
        elif theta > 0:
            for j in range(n_r):
                row[j] = row[j] / d if need <= room[j] else -np.inf
        else:
            for j in range(n_r):
                if need > room[j]:
                    row[j] = -np.inf
        if has_refused:
            for j in range(n_r):
                if refused[g, j]:
                    row[j] = -np.inf
        if inc:  # the current region is always feasible, at the value of staying
            v = stay_value
            if log_utility:
                x = np.log(max(v, 1e-300)) if v > 0 else -np.inf
                row[c] = x / theta if theta > 0 else x
            else:
                row[c] = v / d if theta > 0 else v
        top = -np.inf
        at = -1
        if theta == 0:
            for j in range(n_r):
                if row[j] > top:  # the first maximum, as np.argmax
                    top = row[j]
                    at = j
        else:
            for j in range(n_r):
                top = max(top, row[j])
            if top > -np.inf:  # u - max, ready for exp (as choice_probabilities takes it)
                for j in range(n_r):
                    row[j] -= top
        best[r] = top
        arg[r] = at


@numba.njit(cache=True, nogil=True)
def draws(weight, ok, arg, one_hot, uniforms, lo, pick):
    """Picks of firms ``lo:lo + len(weight)`` by :func:`clustersim.decision.draw`'s two-level
    inverse CDF: ``weight`` holds each row's logit weights exp(u - max) (overwritten by the
    probabilities); rows not ``ok`` (no acceptable region) pick -1; with ``one_hot`` (theta = 0)
    row r's probability is 1 at ``arg[r]``."""
    n_r = weight.shape[1]
    n_blocks = (n_r + DRAW_BLOCK - 1) // DRAW_BLOCK
    block_cum = np.empty(n_blocks)
    for r in range(weight.shape[0]):
        i = lo + r
        prob = weight[r]
        if not ok[r]:
            pick[i] = -1
            continue
        if one_hot:
            for j in range(n_r):
                prob[j] = 0.0
            prob[arg[r]] = 1.0
        else:
            total = _pairwise(prob, 0, n_r)
            for j in range(n_r):
                prob[j] /= total
        run = 0.0
        for b in range(n_blocks):
            start = b * DRAW_BLOCK
            size = min(DRAW_BLOCK, n_r - start)
            run += prob[start] + _pairwise(prob, start + 1, size - 1)  # np.add.reduceat: first + the rest
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
        for t in range(DRAW_BLOCK):
            within += prob[min(first + t, last)]
            if within + before < target:
                count += 1
        pick[i] = min(first + count, last)
