"""numpy's float sums, bit for bit, for compiled code.

``np.sum`` of a contiguous float64 run (``a.sum()``, and each row of ``a.sum(axis=-1)`` of a
C-ordered array) adds numpy's identity ``0.0`` to the *pairwise* sum of the run: fewer than 8
numbers are added in order (starting from ``-0.0``); up to 128 numbers are added in 8 interleaved
partial sums combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, the remainder
added after; longer runs are split in two halves (the first a multiple of 8 long) summed
recursively. A plain loop rounds differently. :func:`pairwise_sum` is that algorithm (numpy's
``pairwise_sum`` in ``numpy/_core/src/umath/loops_utils.h.src``), for compiled functions that
must report the same numbers as the numpy expressions they replace; ``tests/test_npsum.py``
checks it against ``np.sum`` on random runs of every length up to 1,100.
"""

from __future__ import annotations

from clustersim.jit import compiled

PW_BLOCKSIZE = 128  # numpy's block size of the pairwise sum


@compiled()
def _block_sum(a, start, n):
    """numpy's pairwise sum of ``a[start:start + n]`` for ``n <= PW_BLOCKSIZE``."""
    if n < 8:
        res = -0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - n % 8:
        k = start + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


# numpy halves longer runs recursively; numba's on-disk cache cannot load recursive functions,
# so the recursion is unrolled into levels, each taking runs twice as long as the one below
# (the larger half of a run of n is at most n / 2 + 8 long)

@compiled()
def _level1(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _block_sum(a, start, n2) + _block_sum(a, start + n2, n - n2)


@compiled()
def _level2(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _level1(a, start, n2) + _level1(a, start + n2, n - n2)


@compiled()
def _level3(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _level2(a, start, n2) + _level2(a, start + n2, n - n2)


@compiled()
def _level4(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _level3(a, start, n2) + _level3(a, start + n2, n - n2)


@compiled()
def _level5(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _level4(a, start, n2) + _level4(a, start + n2, n - n2)


@compiled()
def _level6(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _level5(a, start, n2) + _level5(a, start + n2, n - n2)


@compiled()
def _level7(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _level6(a, start, n2) + _level6(a, start + n2, n - n2)


@compiled()
def _level8(a, start, n):
    if n <= PW_BLOCKSIZE:
        return _block_sum(a, start, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _level7(a, start, n2) + _level7(a, start + n2, n - n2)


#: the longest run :func:`pairwise_sum` sums as numpy does: a level taking runs up to m long takes
#: up to 2 (m - 8) above it, from 128 over eight levels (every county of China is about 2,800;
#: the decision kernel sums rows of regions with it, :data:`clustersim.kernel.MAX_REGIONS`)
MAX_RUN = 28_688


@compiled()
def pairwise_sum(a, start, n):
    """numpy's pairwise sum of the run ``a[start:start + n]`` (1-D, ``n <= MAX_RUN``), without
    the identity: ``np.sum(a[start:start + n])`` is ``0.0 + pairwise_sum(a, start, n)``."""
    return _level8(a, start, n)


@compiled()
def np_sum(a, start, n):
    """``np.sum(a[start:start + n])`` of a 1-D float64 array, bit for bit (``n <= MAX_RUN``)."""
    return 0.0 + pairwise_sum(a, start, n)
