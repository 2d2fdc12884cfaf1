"""clustersim.jit: a fresh process loads the model's compiled functions from numba's disk cache
without numba's target-context refresh and without its runtime (the saving is measured in
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
from numba.core.runtime.nrt import rtsys
from clustersim import accounts, kernel, markets, moves, tally
from clustersim.instruments import firm_passes
from clustersim.sweep.warm import warm_up
warm_up()
stats = {}
for mod in (accounts, kernel, markets, moves, tally, firm_passes):
    for name, obj in vars(mod).items():
        if isinstance(obj, numba.core.dispatcher.Dispatcher):
            s = obj.stats
            stats[mod.__name__ + "." + name] = [type(obj._cache).__name__, sum(s.cache_hits.values()),
                                                sum(s.cache_misses.values())]
print(json.dumps({"stats": stats, "refreshed": "numba.np.arraymath" in sys.modules, "runtime": rtsys._init}))
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
            "clustersim.moves._who_moves", "clustersim.accounts._production", "clustersim.accounts._add_by_region",
            "clustersim.instruments.firm_passes.rebate_payments"} <= loaded, stats
    assert not any(misses for _, _, misses in stats.values()), stats
    # numba's refresh imports its lowering of numpy's API; loading cached code needs none of it
    assert not got["refreshed"]
    assert not got["runtime"]  # numba's runtime (NRT) is never compiled: no function uses it


def test_entries_of_functions_compiled_with_numbas_runtime_are_never_loaded():
    """numba's index keys do not record the options; an entry written by plain ``numba.njit``
    (with the runtime) must not match, or loading it into a process without the runtime crashes."""
    sig = (numba.types.float64[:],)
    codegen = numba.core.registry.cpu_target.target_context.codegen()
    ours = tally._tally._cache._index_key(sig, codegen)
    plain = FunctionCache(tally._tally.py_func)._index_key(sig, codegen)
    assert ours != plain and ours[:len(plain)] == plain and ours[-1] == KEY_TAG
