"""How the model's compiled functions are declared and loaded: numba, cached on disk.

:func:`compiled` is ``numba.njit(cache=True, nogil=True)`` with three differences, all about
what a process pays to load the functions from numba's disk cache (the compiled code and its
results are numba's own):

- The functions run without numba's runtime (``_nrt=False``): they allocate nothing (callers
  pass every output and scratch array in) and return only numbers. The runtime is compiled by
  LLVM in every process that loads a function using it, which costs about 20 MB of resident
  memory (LLVM's optimiser and code generator paged in). A function that allocates an array
  fails to compile (numba's typing error "Only accept returning of array passed into the
  function as argument"), never silently.
- :class:`LeanCache` loads without refreshing numba's target context first. numba refreshes it
  before every cache load, to be sure it is initialised; the first refresh imports all of
  numba's lowering implementations (the whole of numpy's and Python's supported API), 10-13 MB
  of peak resident memory and about 0.25 s of CPU per process, although rebuilding a cached
  function lowers nothing: it links the stored machine code. On a cache miss the function is
  compiled as usual, and numba's compiler refreshes the context itself first.
- Before its first load, :class:`LeanCache` takes numba's empty "global_codegen_module" out of
  LLVM's execution engine (:func:`drop_empty_module`). numba creates the engine with that module,
  which defines nothing; the first time the engine makes loaded code ready it would run LLVM's
  whole code generator over it (the machine code of cached functions comes from the cache, not
  from the code generator), 4.5-6 MB of resident memory (LLVM's code-generation passes paged in).

Measured on the 2-core development machine with a run of :mod:`clustersim.sweep.warm`'s small
world in a fresh process (peak RSS; CPU time of the run, which loads the functions): 259.4-259.5
MB and 0.34-0.37 s with numba's loading, 246.1-246.4 MB and 0.10 s without the refresh,
225.9-226.0 MB and 0.07-0.09 s without the runtime too. ``tests/test_jit.py`` checks, in a
fresh process, that a model run loads every compiled function from the cache with neither.

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

if not numba.config.CACHE_DIR and not os.access(Path(__file__).parent, os.W_OK):
    numba.config.CACHE_DIR = str(Path.home() / ".cache" / "clustersim" / "numba")


#: what :class:`LeanCache` adds to numba's index keys (change it with the options of :func:`compiled`)
KEY_TAG = "clustersim.jit: _nrt=False"


class LeanCache(FunctionCache):
    """numba's per-function disk cache, loading without refreshing the target context first.
    Its index keys carry :data:`KEY_TAG`: numba's keys do not record the compilation options, and
    code compiled with the runtime (by an earlier version, or plain ``numba.njit``) must never be
    loaded into a process that has not started it (it would crash), so it is compiled anew."""

    def _index_key(self, sig: Any, codegen: Any) -> Any:
        return (*super()._index_key(sig, codegen), KEY_TAG)

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        drop_empty_module(target_context.codegen())
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


def drop_empty_module(codegen: Any) -> bool:
    """Take numba's empty module out of ``codegen``'s LLVM execution engine, so that LLVM never
    generates code for it (numba keeps the module itself: it reads its target triple). True if
    it was still in the engine. Raises if the module is not empty or numba's codegen has changed."""
    try:
        module, engine = codegen._llvm_module, codegen._engine._ee
    except AttributeError:
        raise RuntimeError(f"numba {numba.__version__}: the codegen has no empty module in an engine") from None
    if module not in engine._modules:
        return False
    if any(True for _ in module.functions) or any(True for _ in module.global_variables):
        raise RuntimeError(f"numba {numba.__version__}: its codegen module {module.name!r} is not empty")
    engine.remove_module(module)
    return True


def compiled(**options: Any) -> Callable[[Callable], Any]:
    """``numba.njit(cache=True, nogil=True, _nrt=False, **options)``, loading through :class:`LeanCache`."""

    def wrap(fn: Callable) -> Any:
        dispatcher = numba.njit(cache=True, nogil=True, _nrt=False, **options)(fn)
        if not isinstance(dispatcher._cache, FunctionCache):  # numba changed its caching: fail here, not silently
            raise RuntimeError(f"numba {numba.__version__}: the dispatcher has no FunctionCache to replace")
        dispatcher._cache = LeanCache(dispatcher.py_func)
        return dispatcher

    return wrap
