"""clustersim.jit: a fresh process loads the model's compiled functions from numba's disk cache
without numba's target-context refresh, without its runtime and without code generation for
numba's empty module (the saving is measured in
benchmarks/bench_model.py's ``peak_rss_mb``, not here); the results are numba's own
(tests/test_digests.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numba
from numba.core.caching import FunctionCache

from clustersim import tally
from clustersim.jit import KEY_TAG, LeanCache

RUN = """
import json, sys
import numba
import numpy as np
from numba.core.runtime.nrt import rtsys
from clustersim import accounts, kernel, markets, moves, tally
from clustersim.sweep.warm import warm_up
warm_up()
stats = {}
for mod in (accounts, kernel, markets, moves, tally):
    for name, obj in vars(mod).items():
        if isinstance(obj, numba.core.dispatcher.Dispatcher):
            s = obj.stats
            stats[mod.__name__ + "." + name] = [type(obj._cache).__name__, sum(s.cache_hits.values()),
                                                sum(s.cache_misses.values())]
codegen = numba.core.registry.cpu_target.target_context.codegen()
empty_in_engine = codegen._llvm_module in codegen._engine._ee._modules
runtime, refreshed = rtsys._init, "numba.np.arraymath" in sys.modules
# a function compiled afresh in the same process (with numba's runtime: it allocates) still works
fresh = numba.njit(lambda n: int(np.arange(n).sum()))(10)
print(json.dumps({"stats": stats, "refreshed": refreshed, "runtime": runtime,
                  "empty_in_engine": empty_in_engine, "fresh": fresh}))
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
    assert {"clustersim.kernel.utilities", "clustersim.kernel.draws", "clustersim.tally._tally",
            "clustersim.moves._who_moves", "clustersim.accounts._production"} <= loaded, stats
    assert not any(misses for _, _, misses in stats.values()), stats
    # numba's refresh imports its lowering of numpy's API; loading cached code needs none of it
    assert not got["refreshed"]
    assert not got["runtime"]  # numba's runtime (NRT) is never compiled: no function uses it
    # LLVM never generates code for numba's empty module, and code compiled afterwards still runs
    assert not got["empty_in_engine"]
    assert got["fresh"] == 45


def test_entries_of_functions_compiled_with_numbas_runtime_are_never_loaded():
    """numba's index keys do not record the options; an entry written by plain ``numba.njit``
    (with the runtime) must not match, or loading it into a process without the runtime crashes."""
    sig = (numba.types.float64[:],)
    codegen = numba.core.registry.cpu_target.target_context.codegen()
    ours = tally._tally._cache._index_key(sig, codegen)
    plain = FunctionCache(tally._tally.py_func)._index_key(sig, codegen)
    assert ours != plain and ours[:len(plain)] == plain and ours[-1] == KEY_TAG
