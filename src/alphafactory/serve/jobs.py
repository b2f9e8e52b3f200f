"""Backtest jobs: scores of the served model over a date range, a portfolio rule, a backtest with
costs, recorded as a run directory; run in a bounded thread pool, never on the event loop."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.backtest import FixedBps, SquareRootImpact, backtest, record_backtest
from alphafactory.data import fingerprint
from alphafactory.errors import AlphaFactoryError
from alphafactory.models import score
from alphafactory.portfolio import weights_from_scores
from alphafactory.runs import Run
from alphafactory.serve.cache import ScoreCache, cache_key
from alphafactory.serve.schemas import BacktestRequest
from alphafactory.serve.served_model import ServedModel

__all__ = ["BacktestJobs", "JobRecord", "JobsBusy", "run_backtest"]

log = logging.getLogger(__name__)
MAX_KEPT = 1000  # finished jobs remembered (oldest forgotten first)


class JobsBusy(Exception):
    """Every worker is busy and the waiting line is full."""


@dataclass(frozen=True, kw_only=True, slots=True)
class JobRecord:
    id: str
    status: str
    submitted_at: pd.Timestamp
    model: str
    version: str
    error: str | None = None
    metrics: dict[str, float | None] | None = None
    run_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status,
                "submitted_at": self.submitted_at.isoformat(), "model": self.model,
                "version": self.version, "error": self.error, "metrics": self.metrics,
                "run_dir": self.run_dir}  # fmt: skip


def _cost(request: BacktestRequest) -> Any:
    if request.cost == "none":
        return None
    if request.cost == "fixed":
        return FixedBps(bps=request.cost_bps)
    return SquareRootImpact()


def run_backtest(
    request: BacktestRequest,
    served: ServedModel,
    bars: pd.DataFrame,
    *,
    runs_dir: Path | None,
    cache: ScoreCache | None = None,
) -> tuple[dict[str, float | None], Path]:
    """Score ``bars`` (with ``warmup_bars`` of history before ``start``), trade the scores with
    ``request.rule`` and backtest them; record a run directory; return its summary and path.

    Raises
    ------
    AlphaFactoryError
        When the request selects no bars or no scores (the message is safe to show).
    """
    if request.symbols:
        missing = sorted(set(request.symbols) - set(bars.index.get_level_values(1).unique()))
        if missing:
            raise AlphaFactoryError(f"unknown symbols {missing[:10]}")
        bars = bars[bars.index.get_level_values(1).isin(request.symbols)]
    stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique()).sort_values()
    start = pd.Timestamp(request.start, tz="UTC") if request.start else stamps[0]
    end = pd.Timestamp(request.end, tz="UTC") if request.end else stamps[-1] + pd.Timedelta(1)
    inside = stamps[(stamps >= start) & (stamps < end)]
    if len(inside) < 2:
        raise AlphaFactoryError(f"fewer than 2 bars between {start.date()} and {end.date()}")
    first = max(0, int(stamps.searchsorted(inside[0])) - served.artifact.warmup_bars)
    level = bars.index.get_level_values(0)
    window = bars[(level >= stamps[first]) & (level <= inside[-1])]
    what = f"range:{inside[0].isoformat()}:{inside[-1].isoformat()}"
    key = cache_key(fingerprint(window), served.feature_spec(), served.version, what)
    scores = cache.get(key) if cache is not None else None
    if scores is None:
        scores = score(served.artifact, window, at=inside)
        if cache is not None:
            cache.put(key, scores)
    if scores.empty:
        raise AlphaFactoryError("the model scored no symbol in that range (too little history)")
    wide = scores.unstack("symbol")
    weights = weights_from_scores(wide, request.rule, rebalance=request.rebalance)
    traded = bars[(level >= inside[0]) & (level <= inside[-1])]
    result = backtest(traded, weights, cost=_cost(request), cash=request.initial_capital)
    config = {"job": "serve-backtest", "model": served.artifact.model, "version": served.version,
              "artifact": str(served.path), **request.model_dump(mode="json", exclude_none=True)}
    run = Run.create("serve-backtest", config, seed=served.artifact.seed, root=runs_dir,
                     staged=True)  # fmt: skip
    try:
        record_backtest(run, result, name=served.artifact.model)
    except BaseException:
        run.discard()
        raise
    run = run.publish()
    summary = result.summary()
    metrics = {str(k): (float(v) if np.isfinite(v) else None) for k, v in summary.items()}
    return metrics, run.path


class BacktestJobs:
    """A bounded pool of backtest jobs and their records.

    Parameters
    ----------
    workers : int
        Threads running jobs.
    queue : int
        Jobs allowed to wait for a thread; one more submitted raises :class:`JobsBusy`.
    """

    def __init__(self, workers: int, queue: int, runs_dir: Path | None,
                 cache: ScoreCache | None) -> None:  # fmt: skip
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="backtest")
        self._limit = workers + queue
        self._runs_dir, self._cache = runs_dir, cache
        self._jobs: dict[str, JobRecord] = {}
        self._active = 0
        self._lock = threading.Lock()

    def submit(self, request: BacktestRequest, served: ServedModel,
               bars: Callable[[], pd.DataFrame]) -> JobRecord:  # fmt: skip
        with self._lock:
            if self._active >= self._limit:
                raise JobsBusy(f"{self._active} backtest jobs are running or waiting")
            self._active += 1
            job = JobRecord(id=uuid.uuid4().hex[:16], status="queued",
                            submitted_at=pd.Timestamp.now(tz="UTC"), model=served.alias,
                            version=served.version)  # fmt: skip
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_KEPT:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break
                del self._jobs[oldest]
        self._pool.submit(self._run, job.id, request, served, bars)
        return job

    def _set(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def _run(self, job_id: str, request: BacktestRequest, served: ServedModel,
             bars: Callable[[], pd.DataFrame]) -> None:  # fmt: skip
        self._set(job_id, status="running")
        try:
            metrics, path = run_backtest(request, served, bars(), runs_dir=self._runs_dir,
                                         cache=self._cache)  # fmt: skip
            self._set(job_id, status="done", metrics=metrics, run_dir=str(path))
        except (AlphaFactoryError, ValueError) as exc:
            self._set(job_id, status="failed", error=" ".join(str(exc).split())[:300])
        except Exception:
            log.exception("backtest job %s failed", job_id)
            self._set(job_id, status="failed", error="internal error (see the server log)")
        finally:
            with self._lock:
                self._active -= 1

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            return self._jobs.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
