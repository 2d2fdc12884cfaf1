"""How the model's compiled functions are declared and loaded: numba, cached on disk.

:func:`compiled` is ``numba.njit(cache=True, nogil=True)`` with one change to how a process
loads a function from numba's disk cache. numba refreshes its target context before every
cache load, to be sure it is initialised; the first refresh imports all of numba's lowering
implementations (the whole of numpy's and Python's supported API), which costs a process about
10 MB of peak resident memory and 0.15 s of CPU (2-core development machine: a run of
:mod:`clustersim.sweep.warm`'s world, 259.6 -> 249.5 MB and 0.28-0.31 -> 0.13-0.16 s) although
rebuilding a cached function lowers nothing: it links the stored machine code. :class:`LeanCache` loads
without that refresh, after starting what the loaded code does need, numba's runtime (NRT, its
reference counting and allocation, which the compiled functions call). On a cache miss the
function is compiled as usual, and numba's compiler refreshes the context itself first. The
functions, their cache files and their results are numba's own; only the refresh is skipped.
``tests/test_jit.py`` checks, in a fresh process, that a model run loads every compiled
function from the cache without the refresh.

The cache lives in ``__pycache__`` beside the modules, or, where that folder is not writable
(an installed package), under ``~/.cache/clustersim/numba`` (``NUMBA_CACHE_DIR`` overrides
both).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba.core.caching import FunctionCache
from numba.core.runtime.nrt import rtsys

if not numba.config.CACHE_DIR and not os.access(Path(__file__).parent, os.W_OK):
    numba.config.CACHE_DIR = str(Path.home() / ".cache" / "clustersim" / "numba")


class LeanCache(FunctionCache):
    """numba's per-function disk cache, loading without refreshing the target context first."""

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        rtsys.initialize(target_context)  # what the refresh would start and the loaded code calls
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


def compiled(**options: Any) -> Callable[[Callable], Any]:
    """``numba.njit(cache=True, nogil=True, **options)``, loading through :class:`LeanCache`."""

    def wrap(fn: Callable) -> Any:
        dispatcher = numba.njit(cache=True, nogil=True, **options)(fn)
        if not isinstance(dispatcher._cache, FunctionCache):  # numba changed its caching: fail here, not silently
            raise RuntimeError(f"numba {numba.__version__}: the dispatcher has no FunctionCache to replace")
        dispatcher._cache = LeanCache(dispatcher.py_func)
        return dispatcher

    return wrap
