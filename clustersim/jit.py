"""How the model's compiled functions are declared and loaded: numba, cached on disk.

:func:`compiled` is ``numba.njit(cache=True, nogil=True)`` with four differences, all about
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
- A cached function's LLVM IR (the bitcode numba stores beside the machine code, for linking
  the function into others that call it) is parsed only when a compilation links it
  (:class:`LazyLinkingLibrary`). numba parses it on every load, to learn the names the library
  defines, and keeps the parsed module: about 7 MB of resident memory for the model's functions
  (LLVM's bitcode reader paged in, then each function's IR). :class:`LeanCache` stores those
  names in the cache entry instead (read from the same module when the entry is written).

Measured on the 2-core development machine with a run of :mod:`clustersim.sweep.warm`'s small
world in a fresh process (peak RSS; CPU time of the run, which loads the functions): 259.4-259.5
MB and 0.34-0.37 s with numba's loading, 246.1-246.4 MB and 0.10 s without the refresh,
225.9-226.0 MB and 0.07-0.09 s without the runtime too; later (other modules had changed in
between), 225.3-225.4 MB and 0.06-0.07 s without the empty module's removal and the unparsed
bitcode, 214.2-214.4 MB and 0.04-0.05 s with them (three alternating pairs).
``tests/test_jit.py`` checks, in a fresh process, that a model run loads every compiled function
from the cache without the refresh, the runtime, the empty module or parsed bitcode.

A compiled function that calls compiled functions of other modules names those modules
(``compiled(links=...)``): numba keys its cache on the function's own source, so the digest of
the linked modules' files joins the key, and an edit of a called function compiles the caller anew.

The cache lives in ``__pycache__`` beside the modules, or, where that folder is not writable
(an installed package), under ``~/.cache/clustersim/numba`` (``NUMBA_CACHE_DIR`` overrides
both).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llvmlite.binding as ll
import numba
from numba.core.caching import FunctionCache
from numba.core.codegen import JITCodeLibrary

if not numba.config.CACHE_DIR and not os.access(Path(__file__).parent, os.W_OK):
    numba.config.CACHE_DIR = str(Path.home() / ".cache" / "clustersim" / "numba")


#: what :class:`LeanCache` adds to numba's index keys (change it with the options of :func:`compiled`
#: or the layout of the entries)
KEY_TAG = "clustersim.jit: _nrt=False, defined names stored"
#: the serialization kind of a library in :class:`LeanCache`'s entries: numba's ``"object"`` (machine
#: code and the bitcode for linking) with the names the library defines
LEAN_KIND = "clustersim.jit: object and defined names"


class LeanCache(FunctionCache):
    """numba's per-function disk cache, loading without refreshing the target context first.
    Its index keys carry :data:`KEY_TAG`: numba's keys do not record the compilation options, and
    code compiled with the runtime (by an earlier version, or plain ``numba.njit``) must never be
    loaded into a process that has not started it (it would crash), so it is compiled anew.

    ``links``: modules whose compiled functions this one calls. numba compiles them into the
    caller's cached code but keys the cache on the caller's own source only, so an edit of a
    called function would leave the caller's cached code stale; the digest of the linked modules'
    source files joins the key instead."""

    def __init__(self, py_func: Callable, links: tuple[Any, ...] = ()) -> None:
        super().__init__(py_func)
        self._links = links
        self._links_digest: str | None = None

    def _index_key(self, sig: Any, codegen: Any) -> Any:
        if not self._links:
            return (*super()._index_key(sig, codegen), KEY_TAG)
        if self._links_digest is None:
            h = hashlib.sha256()
            for module in self._links:
                h.update(Path(module.__file__).read_bytes())
            self._links_digest = h.hexdigest()
        return (*super()._index_key(sig, codegen), self._links_digest, KEY_TAG)

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        codegen = target_context.codegen()
        drop_empty_module(codegen)
        lazy_linking(codegen)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)

    def _save_overload(self, sig: Any, data: Any) -> None:
        # numba's _save_overload, with the library's defined names added to its serialization
        if not self._enabled or not self._impl.check_cachable(data):
            return
        self._impl.locator.ensure_cache_path()
        key = self._index_key(sig, data.codegen)
        libdata, *rest = self._impl.reduce(data)
        self._cache_file.save(key, (lean_libdata(libdata, data.library), *rest))


def lean_libdata(libdata: tuple, library: Any) -> tuple:
    """numba's serialization of ``library`` (``(name, "object", (machine code, bitcode))``) with
    the names it defines added: ``(name, LEAN_KIND, (machine code, bitcode, names))``. The names
    are those numba reads from the parsed bitcode on loading (defined functions and globals)."""
    name, kind, (object_code, bitcode) = libdata
    if kind != "object":
        raise RuntimeError(f"numba {numba.__version__}: a library serialized as {kind!r}, not 'object'")
    module = library._get_module_for_linking()  # the module numba has just serialized as bitcode
    names = tuple(g.name for gs in (module.functions, module.global_variables) for g in gs if not g.is_declaration)
    return name, LEAN_KIND, (object_code, bitcode, names)


class LazyLinkingLibrary(JITCodeLibrary):
    """numba's JIT code library, unserializing :data:`LEAN_KIND` without parsing the bitcode:
    its module for linking is parsed when a compilation first asks for it. Libraries of numba's
    own kinds, and those compiled in this process, behave as numba's."""

    _lazy_bitcode: bytes | None = None

    @property
    def _shared_module(self) -> Any:
        module = self.__dict__.get("_shared_module_")
        if module is None and self._lazy_bitcode is not None:
            module = self.__dict__["_shared_module_"] = ll.parse_bitcode(self._lazy_bitcode)
            self._lazy_bitcode = None
        return module

    @_shared_module.setter
    def _shared_module(self, module: Any) -> None:
        self.__dict__["_shared_module_"] = module

    @classmethod
    def _unserialize(cls, codegen: Any, state: tuple) -> Any:
        name, kind, data = state
        if kind != LEAN_KIND:
            return super()._unserialize(codegen, state)
        object_code, bitcode, names = data
        self = codegen.create_library(name)
        assert isinstance(self, cls)
        # numba's _unserialize of the "object" kind, but for the bitcode, kept unparsed
        self.enable_object_caching()
        self._set_compiled_object(object_code)
        self._lazy_bitcode = bitcode
        self._finalize_final_module()
        codegen._engine._defined_symbols.update(names)
        return self


def lazy_linking(codegen: Any) -> None:
    """Make ``codegen`` create and unserialize its libraries as :class:`LazyLinkingLibrary`.
    Raises if numba's codegen uses another library class than the one this was written for."""
    current = codegen.__dict__.get("_library_class", type(codegen)._library_class)
    if current is LazyLinkingLibrary:
        return
    if current is not JITCodeLibrary:
        raise RuntimeError(f"numba {numba.__version__}: the codegen's libraries are {current.__name__}, "
                           "not JITCodeLibrary")
    codegen._library_class = LazyLinkingLibrary


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


def compiled(*, links: tuple[Any, ...] = (), **options: Any) -> Callable[[Callable], Any]:
    """``numba.njit(cache=True, nogil=True, _nrt=False, **options)``, loading through :class:`LeanCache`
    (``links``: the modules whose compiled functions it calls, see :class:`LeanCache`)."""

    def wrap(fn: Callable) -> Any:
        dispatcher = numba.njit(cache=True, nogil=True, _nrt=False, **options)(fn)
        if not isinstance(dispatcher._cache, FunctionCache):  # numba changed its caching: fail here, not silently
            raise RuntimeError(f"numba {numba.__version__}: the dispatcher has no FunctionCache to replace")
        dispatcher._cache = LeanCache(dispatcher.py_func, links)
        return dispatcher

    return wrap
