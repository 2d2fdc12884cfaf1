"""clustersim.npsum reproduces np.sum of float64 runs bit for bit (numpy's pairwise summation)."""

from __future__ import annotations

import numba
import numpy as np

from clustersim.npsum import np_sum


@numba.njit
def _sums(a, starts, lengths, out):
    for k in range(starts.size):
        out[k] = np_sum(a, starts[k], lengths[k])


def test_np_sum_equals_numpy_on_random_runs():
    rng = np.random.default_rng(7)
    for scale in ("uniform", "wide", "signed", "zeros"):
        a = {"uniform": rng.random(1200),
             "wide": rng.random(1200) * 10.0 ** rng.integers(-12, 12, 1200),
             "signed": rng.normal(0.0, 1.0, 1200) * 10.0 ** rng.integers(-3, 8, 1200),
             "zeros": np.where(rng.random(1200) < 0.5, -0.0, 0.0)}[scale]
        lengths = np.concatenate([np.arange(0, 1101), rng.integers(0, 1101, 400)])
        starts = rng.integers(0, 1200 - lengths + 1)
        out = np.empty(lengths.size)
        _sums(a, starts, lengths, out)
        want = np.array([np.sum(a[s:s + n]) for s, n in zip(starts, lengths, strict=True)])
        assert out.tobytes() == want.tobytes(), scale  # also the signs of zeros


def test_row_sums_of_a_matrix_are_runs():
    # a.sum(axis=1) of a C-ordered matrix sums each row as a run: the measures rely on it
    rng = np.random.default_rng(8)
    for _ in range(200):
        n_s, n_r = int(rng.integers(1, 12)), int(rng.integers(1, 300))
        m = rng.normal(0.0, 1.0, (n_s, n_r)) * 10.0 ** rng.integers(-3, 8, (n_s, n_r))
        flat = m.ravel()
        out = np.empty(n_s)
        _sums(flat, np.arange(n_s) * n_r, np.full(n_s, n_r), out)
        assert out.tobytes() == m.sum(axis=1).tobytes()


def test_the_longest_runs():
    from clustersim.npsum import MAX_RUN

    m = 128
    for _ in range(8):
        m = 2 * (m - 8)
    assert m == MAX_RUN
    rng = np.random.default_rng(9)
    a = rng.normal(0.0, 1.0, MAX_RUN + 5) * 10.0 ** rng.integers(-6, 6, MAX_RUN + 5)
    lengths = np.array([MAX_RUN, MAX_RUN - 1, MAX_RUN - 7, 14_352, 14_353, 3_600, 3_601])
    starts = np.array([0, 3, 5, 11, 2, 1, 0])
    out = np.empty(lengths.size)
    _sums(a, starts, lengths, out)
    assert out.tobytes() == np.array([np.sum(a[s:s + n]) for s, n in zip(starts, lengths, strict=True)]).tobytes()
