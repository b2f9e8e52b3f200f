"""Where walk-forward folds run: in this process, a spawned process pool, or a dask cluster.

Every fold runs with one torch thread whatever the executor, so the results are bit-identical
across executors (thread count changes float reduction order). Each finished fold logs one INFO
line on the ``alphafactory.training.executors`` logger (progress where no terminal shows a bar).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

_SHARED: Any = None
_log = logging.getLogger(__name__)


def _init_worker(shared: Any) -> None:
    import torch

    global _SHARED
    torch.set_num_threads(1)
    _SHARED = shared


def _call_with_shared(fn: Callable[[Any, Any], Any], spec: Any) -> Any:
    return fn(_SHARED, spec)


def is_dask_client(executor: object) -> bool:
    """Return True for a ``dask.distributed.Client`` (duck-typed: scatter, submit, gather)."""
    return all(hasattr(executor, name) for name in ("scatter", "submit", "gather"))


def _collect(
    results: Iterable[Any], n: int, on_result: Callable[[Any], None] | None = None
) -> list[Any]:
    start, out = time.perf_counter(), []
    for k, result in enumerate(results, 1):
        out.append(result)
        elapsed = time.perf_counter() - start
        _log.info("walk-forward: fold %d/%d done, %.1f s elapsed", k, n, elapsed)
        if on_result is not None:
            on_result(result)  # may raise to stop early (a pruned search trial)
    return out


def run_tasks(
    fn: Callable[[Any, Any], Any],
    shared: Any,
    specs: Sequence[Any],
    executor: str | int | Executor | Any | None,
    on_result: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Return ``[fn(shared, spec) for spec in specs]``, computed where ``executor`` says.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference for worker processes).
    shared : object
        Data every task reads (sent once per worker, not once per task).
    specs : sequence
        One small picklable description per task.
    executor : None, "processes", int, Executor or dask Client
        None runs in this process, one task after another. ``"processes"`` or an int starts a
        pool of spawned processes (``os.cpu_count()`` or that many workers, capped at the number
        of tasks). A ``concurrent.futures.Executor`` is used as given (``shared`` then travels
        with each task). A ``dask.distributed.Client`` gets ``shared`` scattered to every worker
        once, then one task per spec.

    Results are collected in order; each one logs an INFO line (``fold k/n done``) and is
    passed to ``on_result`` (in this process), which may raise to stop: in this process no
    later task starts; in a pool the running ones are abandoned.
    """
    if executor is None:
        return _collect((fn(shared, spec) for spec in specs), len(specs), on_result)
    if isinstance(executor, (str, int)) and not isinstance(executor, bool):
        if isinstance(executor, str) and executor != "processes":
            raise ValueError(
                f"executor must be None, 'processes', an int or a client; got {executor!r}."
            )
        workers = (os.cpu_count() or 1) if executor == "processes" else int(executor)
        if workers < 1:
            raise ValueError(f"The number of worker processes must be >= 1, got {workers}.")
        with ProcessPoolExecutor(
            max_workers=min(workers, max(len(specs), 1)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(shared,),
        ) as pool:
            return _collect(pool.map(_call_with_shared, [fn] * len(specs), specs), len(specs),
                            on_result)
    if is_dask_client(executor):
        shared_future = executor.scatter(shared, broadcast=True)
        futures = [executor.submit(fn, shared_future, spec, pure=False) for spec in specs]
        return _collect((future.result() for future in futures), len(specs), on_result)
    if isinstance(executor, Executor):
        return _collect(executor.map(fn, [shared] * len(specs), specs), len(specs), on_result)
    raise TypeError(
        f"executor must be None, 'processes', an int, a concurrent.futures.Executor or a "
        f"dask.distributed.Client; got {type(executor).__name__}."
    )
