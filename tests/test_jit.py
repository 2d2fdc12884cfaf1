"""clustersim.jit: a fresh process loads the model's compiled functions from numba's disk cache
without numba's target-context refresh, without its runtime, without code generation for
numba's empty module and without parsing the functions' bitcode (the saving is measured in
benchmarks/bench_model.py's ``peak_rss_mb``, not here); the results are numba's own
(tests/test_digests.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import numba
from numba.core.caching import FunctionCache

from clustersim import tally
from clustersim.jit import KEY_TAG, LazyLinkingLibrary, LeanCache

RUN = """
import json, sys
import numba
import numpy as np
from numba.core.runtime.nrt import rtsys
from clustersim import kernel
from clustersim.sweep.warm import warm_up
warm_up()
stats, libraries = {}, []
# every compiled function of every clustersim module a run imports
for mod in [m for name, m in sorted(sys.modules.items()) if name.split(".")[0] == "clustersim"]:
    for name, obj in vars(mod).items():
        if isinstance(obj, numba.core.dispatcher.Dispatcher):
            s = obj.stats
            stats[mod.__name__ + "." + name] = [type(obj._cache).__name__, sum(s.cache_hits.values()),
                                                sum(s.cache_misses.values())]
            libraries += [type(c.library).__name__ + (" parsed" if c.library._lazy_bitcode is None else "")
                          for c in obj.overloads.values()]
codegen = numba.core.registry.cpu_target.target_context.codegen()
empty_in_engine = codegen._llvm_module in codegen._engine._ee._modules
runtime, refreshed = rtsys._init, "numba.np.arraymath" in sys.modules
a = np.array([1.0, 5.0, 2.0])
top = kernel._row_max(a)
row_max = kernel._row_max.overloads[(numba.typeof(a),)].library
unparsed = row_max._lazy_bitcode is not None
# functions compiled afresh in the same process still work: one with numba's runtime (it allocates),
# one that calls a function loaded from the cache (numba links that function's bitcode into it)
fresh = numba.njit(lambda n: int(np.arange(n).sum()))(10)
linked = numba.njit(lambda x: kernel._row_max(x) + 1.0)(a)
print(json.dumps({"stats": stats, "refreshed": refreshed, "runtime": runtime, "libraries": libraries,
                  "empty_in_engine": empty_in_engine, "fresh": fresh, "top": top, "unparsed": unparsed,
                  "linked": linked, "parsed_when_linked": row_max._lazy_bitcode is None}))
"""


def _run() -> dict:
    out = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_a_fresh_process_loads_every_compiled_function_from_the_cache_without_a_refresh_or_the_runtime():
    _run()  # fills the cache where it is cold (a first checkout compiles)
    got = _run()
    stats = got["stats"]
    assert all(kind == LeanCache.__name__ for kind, _, _ in stats.values()), stats
    loaded = {name for name, (_, hits, misses) in stats.items() if hits}
    assert {"clustersim.kernel.draws", "clustersim.tally._tally",
            "clustersim.arrivals._arrive", "clustersim.instruments.builtin_batch._picks_block",
            "clustersim.production._year", "clustersim.tally._shift",
            "clustersim.aggregates._supplier_access"} <= loaded, stats
    assert not any(misses for _, _, misses in stats.values()), stats
    # numba's refresh imports its lowering of numpy's API; loading cached code needs none of it
    assert not got["refreshed"]
    assert not got["runtime"]  # numba's runtime (NRT) is never compiled: no function uses it
    # LLVM never generates code for numba's empty module, and code compiled afterwards still runs
    assert not got["empty_in_engine"]
    assert got["fresh"] == 45
    # each function's bitcode stays unparsed until a compilation links it
    assert got["libraries"] and set(got["libraries"]) == {LazyLinkingLibrary.__name__}, got["libraries"]
    assert got["top"] == 5.0 and got["unparsed"]
    assert got["linked"] == 6.0 and got["parsed_when_linked"]


def test_entries_of_functions_compiled_with_numbas_runtime_are_never_loaded():
    """numba's index keys do not record the options; an entry written by plain ``numba.njit``
    (with the runtime) must not match, or loading it into a process without the runtime crashes."""
    sig = (numba.types.float64[:],)
    codegen = numba.core.registry.cpu_target.target_context.codegen()
    ours = tally._tally._cache._index_key(sig, codegen)
    plain = FunctionCache(tally._tally.py_func)._index_key(sig, codegen)
    assert ours != plain and ours[:len(plain)] == plain and ours[-1] == KEY_TAG


def test_a_function_linking_other_modules_is_keyed_on_their_sources(tmp_path):
    """numba keys a function's cache on its own source: a caller of compiled functions in other
    modules (``compiled(links=...)``) also keys on theirs, so editing a called function compiles
    the caller anew instead of loading code built with the old callee."""
    from clustersim import arrivals, moves
    from clustersim.instruments import firm_passes

    assert arrivals._arrive._cache._links == (moves, firm_passes)
    sig = (numba.types.float64[:],)
    codegen = numba.core.registry.cpu_target.target_context.codegen()
    callee = tmp_path / "callee.py"
    linked = SimpleNamespace(__file__=str(callee))
    callee.write_text("x = 1\n")
    first = LeanCache(tally._tally.py_func, (linked,))._index_key(sig, codegen)
    again = LeanCache(tally._tally.py_func, (linked,))._index_key(sig, codegen)
    callee.write_text("x = 2\n")
    edited = LeanCache(tally._tally.py_func, (linked,))._index_key(sig, codegen)
    plain = LeanCache(tally._tally.py_func)._index_key(sig, codegen)
    assert first == again and first != edited
    assert first[-1] == edited[-1] == plain[-1] == KEY_TAG
    assert first[:len(plain) - 1] == plain[:-1]


PLAIN = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from clustersim import kernel
import plain_numba  # a user's own module: plain numba.njit(cache=True), with numba's runtime
kernel._row_max(np.array([1.0, 5.0, 2.0]))  # clustersim's loading is in place from here on
print(json.dumps({"total": plain_numba.total(7), "hits": sum(plain_numba.total.stats.cache_hits.values())}))
"""


def test_plain_numba_functions_cached_beside_still_load_and_run(tmp_path):
    """clustersim's codegen changes are process-wide: a user's own ``numba.njit(cache=True)``
    function, compiled in one process and loaded from numba's own cache entries in the next,
    still runs (numba's serialization kinds are unserialized by numba's code)."""
    (tmp_path / "plain_numba.py").write_text("import numba\nimport numpy as np\n\n\n@numba.njit(cache=True)\n"
                                             "def total(n):\n    return int(np.arange(n).sum())\n")
    runs = [json.loads(subprocess.run([sys.executable, "-c", PLAIN, str(tmp_path)], capture_output=True, text=True,
                                      timeout=600, check=True).stdout.splitlines()[-1]) for _ in range(2)]
    assert [r["total"] for r in runs] == [21, 21]
    assert runs[1]["hits"] == 1  # the second process loaded it from the cache


def test_every_compiled_caller_of_another_modules_compiled_functions_links_that_module():
    """numba would keep a caller's cached code after the callee's module changed (the stale-cache
    hazard ``compiled(links=...)`` closes): every compiled function that calls a compiled
    function of another module, by name or through the module, names that module in ``links``."""
    import importlib
    import pkgutil
    import types

    import clustersim

    for info in pkgutil.walk_packages(clustersim.__path__, "clustersim."):
        if info.name.endswith("__main__") or info.name.startswith(("clustersim.ui", "clustersim.sweep")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            cache = getattr(obj, "_cache", None)
            if not isinstance(cache, LeanCache) or obj.py_func.__module__ != module.__name__:
                continue
            fn = obj.py_func
            for ref in fn.__code__.co_names:
                target = fn.__globals__.get(ref)
                if isinstance(target, types.ModuleType):
                    called = [a for a in fn.__code__.co_names
                              if isinstance(getattr(target, a, None), numba.core.registry.CPUDispatcher)]
                    home = target
                elif isinstance(target, numba.core.registry.CPUDispatcher):
                    called, home = [ref], importlib.import_module(target.py_func.__module__)
                else:
                    continue
                if called and home is not module:
                    assert home in cache._links, f"{module.__name__}.{name} calls {home.__name__}.{called[0]}"
