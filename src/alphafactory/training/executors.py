"""Where walk-forward folds run: in this process, a spawned process pool, or a dask cluster.

Every fold runs with one torch thread whatever the executor, so the results are bit-identical
across executors (thread count changes float reduction order).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

_SHARED: Any = None


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


def run_tasks(
    fn: Callable[[Any, Any], Any],
    shared: Any,
    specs: Sequence[Any],
    executor: str | int | Executor | Any | None,
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
    """
    if executor is None:
        return [fn(shared, spec) for spec in specs]
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
            return list(pool.map(_call_with_shared, [fn] * len(specs), specs))
    if is_dask_client(executor):
        shared_future = executor.scatter(shared, broadcast=True)
        futures = [executor.submit(fn, shared_future, spec, pure=False) for spec in specs]
        return list(executor.gather(futures))
    if isinstance(executor, Executor):
        return list(executor.map(fn, [shared] * len(specs), specs))
    raise TypeError(
        f"executor must be None, 'processes', an int, a concurrent.futures.Executor or a "
        f"dask.distributed.Client; got {type(executor).__name__}."
    )
