"""Run an experiment's design on a backend and stream every run's outcomes to its results folder.

One loop drives every backend through standard ``concurrent.futures`` futures:

- ``workers=1`` (local): runs in this process, no pool;
- ``local``: a :class:`~concurrent.futures.ProcessPoolExecutor`. Workers start by the
  ``forkserver`` method: a clean single-threaded server process imports clustersim (numpy,
  pandas, Mesa) once, with BLAS/OpenMP limited to one thread, and forks each worker from it.
  Plain ``fork`` would copy this process with whatever threads it runs (the progress bar's
  monitor, the executor's manager thread, BLAS pools), which can deadlock a child and is
  deprecated in Python 3.12; ``spawn`` would make every worker (and every replacement for
  a dead one) pay the ~1.5 s import. The server is started before the sweep's own set-up
  (:func:`start_local_workers`), so that its import overlaps the design's build; workers freeze
  the heap they start with out of the garbage collector's scans (:func:`_freeze_heap`). Workers
  exit when this process dies, however it dies (see :func:`worker_init`);
- ``dask``: a ``distributed`` LocalCluster (one single-threaded worker process per worker)
  or the scheduler at ``scheduler`` (e.g. a dask-jobqueue cluster on SLURM).

Runs are batched into tasks of about :data:`TASK_SECONDS` (sized from the runs' measured
time; smaller towards the end so that the workers finish together), with
:data:`TASKS_PER_WORKER` tasks in flight per worker. A run that raises is recorded as
``failed`` with its error and retried up to ``max_attempts`` times. A task whose worker dies
(``BrokenProcessPool``, ``KilledWorker``) loses its results but not the runs: they are
re-run one at a time, alone on the pool, so that the run that kills its worker is found,
recorded as failed and retried like any other failure; a broken local pool is rebuilt.
Finished runs are flushed to a Parquet part every :data:`FLUSH_SECONDS` or
:data:`FLUSH_RUNS` runs, whichever comes first, and when the sweep ends or is interrupted.

A run's outcomes depend only on (experiment, design row): its seed comes from the design,
never from the worker, the order of completion or the attempt.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent import futures as cf
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clustersim.scenario import ScenarioError
from clustersim.sweep import store

if TYPE_CHECKING:
    from clustersim.sweep.experiment import Experiment

__all__ = ["SweepSummary", "run_batch", "run_point", "run_sweep"]

#: aim for tasks of about this many seconds of model time (amortises per-task overhead)
TASK_SECONDS = 0.6
#: tasks kept in flight per worker (the next one is queued while the current one runs)
TASKS_PER_WORKER = 3
#: flush finished runs to a part at least this often (seconds) ...
FLUSH_SECONDS = 3.0
#: ... or as soon as this many runs are waiting
FLUSH_RUNS = 200
#: exceptions (by class name) meaning "the worker process died", not "the run raised"
WORKER_DEATH = frozenset({"BrokenProcessPool", "BrokenExecutor", "KilledWorker"})
BACKENDS = ("local", "dask")
#: Dask settings for a LocalCluster started by the runner (see ``_dask_executor``)
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "2s",
}
#: imported by every worker before its first task (the model, Mesa, pandas: ~1.5 s; what unpickling an
#: experiment and a run's counterfactual import: ~25 ms; then a small warm-up run that loads the compiled
#: functions, :mod:`clustersim.sweep.warm`)
PRELOAD = ("clustersim.sweep.runner", "clustersim.model", "clustersim.sweep.outcomes", "clustersim.sweep.experiment",
           "clustersim.counterfactual", "clustersim.sweep.warm")


# ------------------------------------------------------------------------------ one run
def run_point(exp: Experiment, row: Mapping[str, Any]) -> dict[str, Any]:
    """Run the design row ``row`` of ``exp``: its scenario (base + the row's factor values +
    its seed), the model for the experiment's years, then its outcomes (see ``outcomes.OUTCOMES``).
    With ``fiscal_baseline = "counterfactual"`` a second run, same seed, without the focal
    county's package, is the fiscal baseline; when that scenario equals the run's own (the
    focal county offers no package, e.g. the lab's "no incentives" point) the run is its own
    counterfactual and is not run twice (same seed, same scenario: the same run). Experiments of
    another kind run their kind's run function (:data:`clustersim.sweep.kinds.KIND_RUN_FNS`)."""
    from clustersim.counterfactual import without_focal_package
    from clustersim.scenario import build_model
    from clustersim.sweep.outcomes import measure

    if exp.kind != "standard":  # a withdrawal or ramp run (clustersim.sweep.kinds)
        from clustersim.sweep.kinds import KIND_RUN_FNS

        return resolve_run_fn(KIND_RUN_FNS[exp.kind])(exp, row)
    point = {f.name: row[f.name] for f in exp.factors}
    scenario = exp.scenario_for(point, int(row["seed"]))
    model = build_model(scenario, source=exp.path)
    model.run()
    counterfactual = None
    if exp.fiscal_baseline == "counterfactual":
        other = without_focal_package(scenario, exp.focal_county)
        if other == scenario:
            counterfactual = model
        else:
            counterfactual = build_model(other, source=exp.path)
            counterfactual.run()
    return measure(model, counterfactual, outcomes=exp.outcomes)


def resolve_run_fn(name: str) -> Callable[[Any, Mapping[str, Any]], Mapping[str, Any]]:
    """``"package.module:function"`` -> the function (an importable name, so workers can find it)."""
    module, sep, attr = name.partition(":")
    if not sep or not module or not attr:
        raise ScenarioError("run_fn", name, allowed="write 'package.module:function'")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ScenarioError("run_fn", name, allowed=f"cannot be imported: {err}") from None
    if not callable(fn):
        raise ScenarioError("run_fn", name, allowed="is not a function")
    return fn


def run_batch(exp: Experiment, run_fn: str, items: Sequence[tuple[Mapping[str, Any], int]]) -> list[dict[str, Any]]:
    """Run each ``(design row, attempt)`` of ``items``; one result row per run, failures
    included (a run that raises never fails the batch). This is the task workers execute."""
    fn = resolve_run_fn(run_fn)
    return [_run_one(exp, fn, row, attempt) for row, attempt in items]


def _run_one(exp: Experiment, fn: Callable, row: Mapping[str, Any], attempt: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = dict(row)
    try:
        outcomes = fn(exp, row)
        status, error = "ok", ""
    except Exception as err:  # any failure of a run is recorded, not raised
        outcomes, status, error = {}, "failed", describe_error(err)
    result.update(status=status, error=error, attempt=attempt, model_seconds=time.perf_counter() - t0,
                  finished_at=_now())
    for name in exp.outcomes:
        result[name] = outcomes.get(name)
    return result


def describe_error(err: BaseException) -> str:
    """One line: ``Type: message (at file:line in function)`` (the innermost frame)."""
    text = " ".join(f"{type(err).__name__}: {err}".split())
    if len(text) > 400:
        text = text[:397] + "..."
    frames = traceback.extract_tb(err.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    return text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _preload(modules: Sequence[str]) -> None:
    for name in modules:
        importlib.import_module(name)
    _freeze_heap()


def _freeze_heap() -> None:
    """Move every object the worker holds before its first task (the imported modules: ~140,000
    objects) out of the garbage collector's reach. They live as long as the worker, so scanning
    them finds nothing, but each full collection scanned them all (65-130 ms, about once in 30-70
    runs of the demo: ~2 ms a run). Runs allocate the same, collect the same garbage, and give the
    same results."""
    import gc

    gc.freeze()


def worker_init(main_pid: int) -> None:
    """Local pool workers: die with the sweep's process; leave Ctrl-C to it.

    A worker's parent is the fork server, not the sweep's process, and the fork server outlives
    that process as long as workers hold its "alive" pipe, while idle workers wait forever on
    their task queue. So each worker watches the sweep's process itself (a pidfd, readable once
    that process has exited) and exits with it; PR_SET_PDEATHSIG covers the fork server dying.
    """
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    try:
        fd = os.pidfd_open(main_pid)
    except ProcessLookupError:  # gone already
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (not Linux >= 5.3): poll instead
        fd = None
    threading.Thread(target=_exit_with, args=(main_pid, fd), daemon=True, name="exit-with-sweep").start()
    _freeze_heap()


def _exit_with(pid: int, fd: int | None) -> None:
    import select

    if fd is not None:
        select.select([fd], [], [])
    else:
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:  # alive, owned by someone else (pid reused): keep watching
                pass
    os._exit(1)


# ------------------------------------------------------------------------------ summary
@dataclass(frozen=True)
class SweepSummary:
    """What a ``run_sweep`` call did. ``runs``: runs in the design; ``skipped``: already ``ok``
    in the folder before this call; ``ran``: runs attempted now; ``ok`` / ``failed``: runs of the
    design with / without an ``ok`` row afterwards; ``attempts``: executions now (retries included);
    ``model_seconds``: sum of those executions' own times."""

    out: Path
    experiment: str
    backend: str
    workers: int
    runs: int
    skipped: int
    ran: int
    ok: int
    failed: int
    attempts: int
    wall_seconds: float
    model_seconds: float
    resumed: bool
    worker_deaths: int = 0

    @property
    def exit_status(self) -> int:
        """0 when every run of the design is ok, 1 when some failed (their errors are in the parts)."""
        return 0 if self.failed == 0 else 1

    def lines(self) -> str:
        where = f"{self.backend}, {self.workers} worker{'s' if self.workers != 1 else ''}"
        head = (f"sweep     {self.experiment}: {self.runs} runs ({where}); {self.wall_seconds:.1f} s wall, "
                f"{self.model_seconds:.1f} s of model time")
        done = f"runs      {self.ok} ok, {self.failed} failed; ran {self.ran} now ({self.attempts} attempts)"
        if self.skipped:
            done += f", {self.skipped} already done"
        out = [head, done]
        if self.worker_deaths:
            out.append(f"workers   {self.worker_deaths} died mid-task; their runs were re-run one at a time "
                       "to find the run at fault")
        if self.failed:
            out.append(f"failed    errors: load_results('{self.out}', include_failed=True)['error'] "
                       "(or the parts in runs/)")
        out.append(f"results   {self.out}/")
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["out"] = str(self.out)
        return d


# ------------------------------------------------------------------------------ the sweep
def run_sweep(exp: Experiment, out: Path, *, workers: int | None = None, backend: str = "local",
              scheduler: str | None = None, resume: bool = False, progress: bool = True,
              run_fn: str = "clustersim.sweep.runner:run_point", max_attempts: int = 2,
              flush_seconds: float = FLUSH_SECONDS, design: Any = None,
              pool: tuple[Any, int] | None = None) -> SweepSummary:
    """Run every run of ``exp``'s design that has no ``ok`` row in ``out`` yet, streaming
    results to ``out`` (layout: :mod:`clustersim.sweep.store`).

    ``workers``: processes (default: every core; 1 with the local backend = in this process);
    ``backend``: ``"local"`` or ``"dask"`` (``scheduler``: address of a running Dask scheduler;
    default: a LocalCluster of ``workers`` processes); ``resume``: continue the sweep in
    ``out`` (which must hold the same design); ``run_fn``: ``"module:function"`` taking
    (experiment, design row) and returning outcomes; ``max_attempts``: executions per run per call;
    ``flush_seconds``: longest time a finished run waits in memory before it is written.
    ``design``: a prebuilt :class:`~clustersim.sweep.design.Design` to run instead of the
    experiment's own (the adaptive threshold search lays out each batch itself); ``pool``: an
    open ``(pool, workers)`` from :func:`open_pool` to reuse across calls (``backend`` and
    ``workers`` then only label the summary).
    Raises :class:`ScenarioError` for unusable arguments or folders; failed runs do not raise.
    """
    from clustersim.sweep.design import build_design

    t0 = time.perf_counter()
    if backend not in BACKENDS:
        raise ScenarioError("--backend", backend, allowed=f"one of {', '.join(BACKENDS)}")
    if scheduler is not None and backend != "dask":
        raise ScenarioError("--scheduler", scheduler, allowed="only with --backend dask")
    if workers is not None and workers < 1:
        raise ScenarioError("--workers", workers, allowed="at least 1")
    if not flush_seconds > 0:
        raise ScenarioError("--flush-seconds", flush_seconds, allowed="a number of seconds above 0")
    if max_attempts < 1:
        raise ScenarioError("max_attempts", max_attempts, allowed="at least 1")
    resolve_run_fn(run_fn)  # fail now, not in every worker
    workers = workers or os.cpu_count() or 1
    out = Path(out)
    if pool is None and not store.part_paths(out):
        start_local_workers(backend, workers)  # the fork server imports while the design is built

    design = build_design(exp) if design is None else design
    source = exp.document if exp.document is not None else exp.path
    resumed = store.open_sweep_folder(out, source, design.runs, design.meta, resume=resume)
    ok_before, attempts_before = store.run_history(out)
    design_rows = [_plain(r) for r in design.runs.to_dict("records")]
    pending = [(row, attempts_before.get(row["run_id"], 0) + 1) for row in design_rows
               if row["run_id"] not in ok_before]
    columns = [*design.runs.columns, *store.RUN_COLUMNS, *exp.outcomes]
    if pending and pool is None:
        start_local_workers(backend, workers)  # (a resumed sweep: only now is it known that runs remain)
    sink = _Sink(out, columns, total=len(pending), progress=progress, flush_seconds=flush_seconds)
    run = _Loop(exp, run_fn, sink, max_attempts)
    try:
        if pending:
            if pool is not None:
                run.on_pool(pending, pool[0], pool[1])
            elif backend == "local" and workers == 1:
                run.in_process(pending)
            elif backend == "local":
                with local_pool(workers) as pool:
                    run.on_pool(pending, pool, workers)
            else:
                with _dask_executor(workers, scheduler) as (executor, n):
                    workers = n
                    run.on_pool(pending, executor, n)
    finally:
        sink.close()
    ok_after = ok_before | sink.ok_ids  # close() has written every buffered run
    n_ok = sum(row["run_id"] in ok_after for row in design_rows)
    summary = SweepSummary(out=out, experiment=exp.name, backend=backend, workers=workers, runs=len(design_rows),
                           skipped=len(design_rows) - len(pending), ran=len(pending), ok=n_ok,
                           failed=len(design_rows) - n_ok, attempts=run.attempts,
                           wall_seconds=time.perf_counter() - t0, model_seconds=run.model_seconds, resumed=resumed,
                           worker_deaths=run.worker_deaths)
    store.write_status(out, {**summary.to_json(), "finished_at": _now()})
    return summary


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """numpy scalars -> Python values, so rows pickle small and compare exactly."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


class _Sink:
    """Buffers finished runs, flushes them as parts, drives the progress bar."""

    def __init__(self, out: Path, columns: Sequence[str], *, total: int, progress: bool, flush_seconds: float):
        self.out, self.columns, self.flush_seconds = out, list(columns), flush_seconds
        self.number = store.next_part_number(out)
        self.buffer: list[dict[str, Any]] = []
        self.first_buffered = 0.0
        self.ok_ids: set[str] = set()
        self.failures = 0
        self.bar = None
        if progress and total:
            from tqdm import tqdm

            # disable=None: no bar when stderr is not a terminal (logs, CI)
            self.bar = tqdm(total=total, unit="run", file=sys.stderr, disable=None, dynamic_ncols=True,
                            smoothing=0.1)
            self.bar.set_postfix(failed=0)

    def add(self, result: dict[str, Any], *, final: bool) -> None:
        """Record one executed run; ``final``: no further attempt of it will follow now."""
        if not self.buffer:
            self.first_buffered = time.monotonic()
        self.buffer.append(result)
        if result["status"] == "ok":
            self.ok_ids.add(result["run_id"])
        if final:
            failed = result["status"] != "ok"
            self.failures += failed
            if self.bar is not None:
                self.bar.update(1)
                if failed:
                    self.bar.set_postfix(failed=self.failures)
        self.maybe_flush()

    def maybe_flush(self) -> None:
        if not self.buffer:
            return
        if len(self.buffer) >= FLUSH_RUNS or time.monotonic() - self.first_buffered >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            store.write_part(self.out, self.number, self.buffer, self.columns)
            self.number += 1
            self.buffer = []

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self.bar is not None:
                self.bar.close()


class _Loop:
    def __init__(self, exp: Experiment, run_fn: str, sink: _Sink, max_attempts: int):
        self.exp, self.run_fn, self.sink, self.max_attempts = exp, run_fn, sink, max_attempts
        self.attempts = 0
        self.model_seconds = 0.0
        self.worker_deaths = 0

    def _record(self, result: dict[str, Any], retry: deque) -> None:
        """Store one executed run; queue a retry if it failed and attempts remain."""
        self.attempts += 1
        self.model_seconds += result["model_seconds"]
        again = result["status"] != "ok" and result["attempt"] < self.max_attempts
        self.sink.add(result, final=not again)
        if again:
            row = {k: result[k] for k in self._design_keys(result)}
            retry.append((row, result["attempt"] + 1))

    def _design_keys(self, result: Mapping[str, Any]) -> list[str]:
        skip = set(store.RUN_COLUMNS) | set(self.exp.outcomes)
        return [k for k in result if k not in skip]

    # -------------------------------------------------------------- in this process
    def in_process(self, pending: Sequence[tuple[dict, int]]) -> None:
        fn = resolve_run_fn(self.run_fn)
        queue = deque(pending)
        while queue:
            row, attempt = queue.popleft()
            self._record(_run_one(self.exp, fn, row, attempt), queue)

    # -------------------------------------------------------------- on a pool
    def on_pool(self, pending: Sequence[tuple[dict, int]], pool: _Pool, workers: int) -> None:
        queue: deque = deque(pending)   # runs to batch
        suspects: deque = deque()       # runs of a task whose worker died: run alone, one at a time
        inflight: dict[cf.Future, tuple[list, bool]] = {}
        per_run = None                  # measured model seconds per run
        max_inflight = TASKS_PER_WORKER * workers
        while queue or suspects or inflight:
            if suspects:
                if not inflight:
                    item = suspects.popleft()
                    inflight[pool.submit(run_batch, self.exp, self.run_fn, [item])] = ([item], True)
            else:
                while queue and len(inflight) < max_inflight:
                    size = _batch_size(len(queue), workers, per_run)
                    items = [queue.popleft() for _ in range(size)]
                    inflight[pool.submit(run_batch, self.exp, self.run_fn, items)] = (items, False)
            done, _ = cf.wait(inflight, timeout=self.sink.flush_seconds, return_when=cf.FIRST_COMPLETED)
            died = False
            for fut in done:
                items, alone = inflight.pop(fut)
                try:
                    results = fut.result()
                except Exception as err:  # the task failed, not a run: decide per run below
                    if type(err).__name__ not in WORKER_DEATH:
                        # not the run (run_batch catches those) but the task: e.g. unpicklable outcomes
                        for row, attempt in items:
                            self._record(self._failure(row, attempt, err), queue)
                        continue
                    died = True
                    if alone:  # the run ran alone: it killed its worker
                        row, attempt = items[0]
                        self._record(self._failure(row, attempt, err, prefix="worker died: "), suspects)
                    else:
                        suspects.extend(items)
                    continue
                for result in results:
                    self._record(result, queue)
                ok_times = [r["model_seconds"] for r in results if r["status"] == "ok"]
                if ok_times:
                    mean = sum(ok_times) / len(ok_times)
                    per_run = mean if per_run is None else 0.7 * per_run + 0.3 * mean
            self.sink.maybe_flush()
            self.worker_deaths += died  # a broken local pool fails all its tasks at once: one death
            if died and pool.rebuild_on_death:
                # every other task of the broken pool is lost too: their runs become suspects
                for items, _ in inflight.values():
                    suspects.extend(items)
                inflight.clear()
                pool.rebuild()

    def _failure(self, row: dict, attempt: int, err: BaseException, prefix: str = "") -> dict[str, Any]:
        result = dict(row)
        result.update(status="failed", error=prefix + describe_error(err), attempt=attempt, model_seconds=0.0,
                      finished_at=_now())
        for name in self.exp.outcomes:
            result[name] = None
        return result


def _batch_size(remaining: int, workers: int, per_run: float | None) -> int:
    """Runs per task: about TASK_SECONDS of model time, but at most a share of what remains
    (guided scheduling), so the last tasks are short and the workers finish together."""
    target = 2 if per_run is None else max(1, round(TASK_SECONDS / max(per_run, 1e-6)))
    return max(1, min(target, math.ceil(remaining / (2 * workers))))


# ------------------------------------------------------------------------------ backends
@contextlib.contextmanager
def open_pool(backend: str, workers: int | None, scheduler: str | None = None) -> Iterator[tuple[Any, int] | None]:
    """A pool for several :func:`run_sweep` calls (``pool=``): None for one local worker (runs in
    this process), else ``(pool, workers)`` of the local process pool or the Dask cluster."""
    workers = workers or os.cpu_count() or 1
    if backend not in BACKENDS:
        raise ScenarioError("--backend", backend, allowed=f"one of {', '.join(BACKENDS)}")
    if backend == "local" and workers == 1:
        yield None
    elif backend == "local":
        with local_pool(workers) as pool:
            yield pool, workers
    else:
        with _dask_executor(workers, scheduler) as (executor, n):
            yield executor, n


def start_local_workers(backend: str, workers: int | None) -> bool:
    """Start the local pool's fork server now, if a sweep with these settings would use it
    (``backend`` "local", more than one worker), and return whether it did (or was running).

    The server imports :data:`PRELOAD` (~1.5 s) in its own process; the pool's first task waits
    for that. Starting it before the sweep's own set-up (building the design, checking its
    packages, opening the results folder) lets the two overlap. The call returns at once; the
    pool (:class:`_Pool`) reuses the running server."""
    workers = workers or os.cpu_count() or 1
    if backend != "local" or workers < 2:
        return False
    fork_server_context()
    return True


def fork_server_context() -> Any:
    """The ``forkserver`` multiprocessing context of this process's pools (the sweep's and the
    lab's), its server running: started, if it is not yet, with :data:`PRELOAD` imported and
    BLAS/OpenMP and decisions on one thread (:func:`one_thread_env`). The server keeps the
    environment it started with and passes it to every worker it forks, so every pool of the
    process must start it here: a server started by a pool's first task, outside
    ``one_thread_env``, would give every later worker the parent's threads."""
    import multiprocessing
    import multiprocessing.forkserver

    ctx = multiprocessing.get_context("forkserver")
    # the fork server imports these once; workers fork from it with them loaded
    ctx.set_forkserver_preload(list(PRELOAD))
    with one_thread_env():
        multiprocessing.forkserver.ensure_running()
    return ctx


def process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from this process's fork server
    (:func:`fork_server_context`), each exiting with this process (:func:`worker_init`): the
    sweep's local pool and the lab's."""
    return cf.ProcessPoolExecutor(workers, mp_context=fork_server_context(), initializer=worker_init,
                                  initargs=(os.getpid(),))


class _Pool:
    """A local process pool that can be rebuilt when a worker dies."""

    rebuild_on_death = True

    def __init__(self, workers: int):
        self.workers = workers
        self.executor = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        return process_pool(self.workers)

    def submit(self, fn: Callable, *args: Any) -> cf.Future:
        return self.executor.submit(fn, *args)

    def rebuild(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._start()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def one_thread_env() -> Iterator[None]:
    """BLAS/OpenMP pools and decisions (:mod:`clustersim.threads`) of one thread in processes
    started inside (one worker per core already)."""
    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "CLUSTERSIM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: "1" for k in keys})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def local_pool(workers: int) -> Iterator[_Pool]:
    pool = _Pool(workers)
    try:
        yield pool
    finally:
        pool.close()


class _DaskPool:
    """Dask's executor; Dask reschedules a dead worker's tasks itself (KilledWorker in the end)."""

    rebuild_on_death = False

    def __init__(self, executor: Any):
        self.executor = executor

    def submit(self, fn: Callable, *args: Any) -> cf.Future:
        return self.executor.submit(fn, *args)

    def rebuild(self) -> None:  # pragma: no cover - never called (rebuild_on_death is False)
        raise NotImplementedError


@contextlib.contextmanager
def _dask_executor(workers: int, scheduler: str | None) -> Iterator[tuple[_DaskPool, int]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError("--backend", "dask", allowed="needs the 'distributed' package "
                            "(pip install 'dask[distributed]')") from None
    cluster = None
    if scheduler is None:
        import dask

        # Each worker's statistical profiler samples every thread's stack every 10 ms, and its
        # system and memory monitors poll every 0.5 s and 0.1 s: on 2 cores that alone slowed
        # runs by ~10 %. A sweep reads none of them (no dashboard), so they are turned off or slowed.
        with dask.config.set(LOCAL_CLUSTER_CONFIG), one_thread_env():
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise ScenarioError("--scheduler", scheduler, allowed=f"no Dask scheduler reachable: {err}") from None
    try:
        nthreads = sum(client.nthreads().values()) or workers
        # import the model in every worker before the first task (in parallel, not per task)
        client.run(_preload, PRELOAD)
        # pure=False: a retry with the same arguments must run again, not reuse the failed result
        yield _DaskPool(client.get_executor(pure=False)), nthreads
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
