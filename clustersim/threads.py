"""How many threads one location decision may use.

A large mini-batch (at least two of the kernel's blocks of cells per thread, e.g. a thousand
firms x 123 regions) is split into contiguous ranges of firms, one per thread. The compiled
kernel (:mod:`clustersim.kernel`) and numpy's ``exp`` release the GIL, and every firm's pick
depends on its own row only, so the picks are the same for any number of threads; only the
wall time changes. Small batches (the demo world's 60 firms x 9 regions) always run on the
calling thread.

The number of threads is, in this order: what :func:`set_decision_threads` set; the
environment variable ``CLUSTERSIM_THREADS`` (a whole number, at least 1); the CPUs this process
may run on. Sweep and lab workers run with ``CLUSTERSIM_THREADS=1`` (one worker per core
already), like their BLAS pools.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["ENV", "decision_threads", "run_split", "set_decision_threads"]

#: the environment variable that sets the number of decision threads
ENV = "CLUSTERSIM_THREADS"

_chosen: int | None = None
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


def _check(value: object, source: str, field: str) -> int:
    from clustersim.scenario import ScenarioError

    try:
        n = int(str(value).strip()) if not isinstance(value, bool | float) else 0
    except ValueError:
        n = 0
    if n < 1:
        raise ScenarioError(source, field, value, allowed="a whole number of threads, at least 1")
    return n


def set_decision_threads(n: int | None) -> None:
    """Use ``n`` threads per decision from now on in this process (``None``: back to the
    environment variable or the CPU count)."""
    global _chosen
    _chosen = None if n is None else _check(n, "set_decision_threads()", "n")


def decision_threads() -> int:
    """The number of threads a decision may use (see the module docstring)."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get(ENV)
    if value is not None and value.strip():
        return _check(value, "environment", ENV)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_split(fn: Callable[[int, int], Any], n: int, parts: int) -> None:
    """``fn(lo, hi)`` on ``parts`` contiguous ranges covering ``0..n``: the first on the calling
    thread, the others on a pool kept for the process; returns when all are done (re-raising
    the first error)."""
    if parts <= 1:
        fn(0, n)
        return
    from concurrent.futures import ThreadPoolExecutor

    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < parts - 1:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(parts - 1, thread_name_prefix="clustersim-decision"), parts - 1
        pool = _pool
    bounds = [n * k // parts for k in range(parts + 1)]
    futures = [pool.submit(fn, bounds[k], bounds[k + 1]) for k in range(1, parts)]
    error: BaseException | None = None
    try:
        fn(bounds[0], bounds[1])
    except BaseException as err:  # re-raised below, once the other ranges are done
        error = err
    for future in futures:
        try:
            future.result()
        except BaseException as err:
            error = error or err
    if error is not None:
        raise error
