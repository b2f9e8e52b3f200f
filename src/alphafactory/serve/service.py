"""The signal service: served models, the bars they score, the feed loop, hot swaps.

Life cycle: :meth:`SignalService.start` loads the champion (and challenger), takes the feed's
history, scores its latest bar and starts the feed loop and the watchers;
:meth:`SignalService.stop` ends them. A model given as a directory is watched with an
:class:`~alphafactory.serve.served_model.ArtifactWatcher`; one given as a registry alias
(``champion``, ``challenger`` of ``config.workflow``) is downloaded from the registry and
followed with a :class:`~alphafactory.factory.ChampionWatcher`: when the alias moves, the new
version is downloaded, loaded and swapped in the same way.

For each new bar the feed delivers, every served model scores the last ``warmup_bars`` of the
book (``score(..., at="last")``: only the feature tail each model needs) on one scoring thread,
the new :class:`~alphafactory.serve.book.Snapshot` replaces the old one (one reference
assignment: a request that already read the old snapshot answers from it) and the champion's
signals go to WebSocket subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from alphafactory.data import fingerprint
from alphafactory.factory.registry import Registry, is_registry_ref
from alphafactory.factory.watcher import ChampionWatcher
from alphafactory.feeds import BarEvent, BarFeed
from alphafactory.models import score
from alphafactory.serve.book import BarBook, Snapshot, make_snapshot
from alphafactory.serve.cache import ScoreCache, cache_key
from alphafactory.serve.config import ServeConfig
from alphafactory.serve.hub import Hub
from alphafactory.serve.jobs import BacktestJobs
from alphafactory.serve.metrics import ServerMetrics
from alphafactory.serve.served_model import ArtifactWatcher, ServedModel, load_served

__all__ = ["SignalService"]

log = logging.getLogger(__name__)
READY_LAG = 1.5  # bar intervals


class SignalService:
    """Everything the app's endpoints read (see the module docstring)."""

    def __init__(self, config: ServeConfig, feed: BarFeed, cache: ScoreCache | None = None) -> None:
        self.config, self.feed, self.cache = config, feed, cache
        self.metrics = ServerMetrics()
        self.hub = Hub(config.websocket, self.metrics)
        self.jobs = BacktestJobs(config.backtest_workers, config.backtest_queue,
                                 config.runs_dir, cache)  # fmt: skip
        self.snapshots: dict[str, Snapshot] = {}
        self.book: BarBook | None = None
        self.error: str | None = None
        self.feed_done = False
        self._scoring = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring")
        self._watchers: list[ArtifactWatcher | ChampionWatcher] = []
        self._registry: Registry | None = None
        self._registry_versions: dict[str, str] = {}
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Called on the scoring thread with the history at start, then each new bar's rows
        # (after its signals went out): the drift monitor's hook (serve.drift).
        self.bar_hooks: list[Callable[[pd.DataFrame], None]] = []

    # -- start and stop -----------------------------------------------------------------------
    def _paths(self) -> dict[str, object]:
        """Local artifact directory of each served model (registry references downloaded)."""
        refs = {"champion": self.config.artifact}
        if self.config.challenger is not None:
            refs["challenger"] = self.config.challenger
        paths = {}
        for alias, ref in refs.items():
            if not is_registry_ref(ref):
                paths[alias] = ref
                continue
            if self._registry is None:
                self._registry = Registry(self.config.store)
            assert self.config.workflow is not None  # ServeConfig checks it
            version = str(self._registry.version_of(self.config.workflow, str(ref)))
            paths[alias] = self._registry.download(self.config.workflow, version)
            self._registry_versions[alias] = version
        return paths

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        served = {}
        for alias, path in (await asyncio.to_thread(self._paths)).items():
            served[alias] = await asyncio.to_thread(load_served, path, alias)
        history = await asyncio.to_thread(self.feed.history)
        keep = max(s.artifact.warmup_bars for s in served.values())
        self.book = BarBook(history, keep)
        for alias, model in served.items():
            self.snapshots[alias] = await self._run(self._first_snapshot, model)
            self.metrics.set_model(alias, model.version)
        for hook in self.bar_hooks:
            await self._run(hook, history)
        if self.config.watch_seconds > 0:
            follows = self.config.follows()
            for alias, model in served.items():
                if alias in follows:
                    self._watchers.append(self._follow(alias, follows[alias]).start())
                elif alias not in self._registry_versions:  # a pinned version never changes
                    watcher = ArtifactWatcher(model.path, alias, model.version,
                                              self._on_new_version,
                                              every=self.config.watch_seconds)  # fmt: skip
                    self._watchers.append(watcher.start())
        self._task = asyncio.create_task(self._feed_loop(), name="feed")

    async def stop(self) -> None:
        for watcher in self._watchers:
            await asyncio.to_thread(watcher.stop)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self.hub.close_all()
        self.jobs.shutdown()
        self._scoring.shutdown(wait=False, cancel_futures=True)
        self.feed.close()
        if self.cache is not None:
            self.cache.close()

    async def _run(self, fn, *args):
        assert self._loop is not None
        return await self._loop.run_in_executor(self._scoring, fn, *args)

    # -- scoring --------------------------------------------------------------------------------
    def _first_snapshot(self, served: ServedModel) -> Snapshot:
        """The latest bar's signals, through the score cache (a restart reads them back)."""
        assert self.book is not None
        tail = self.book.tail
        key = None
        scores = None
        if self.cache is not None:
            key = cache_key(fingerprint(tail), served.feature_spec(), served.version, "last")
            scores = self.cache.get(key)
            self.metrics.cache.labels("hit" if scores is not None else "miss").inc()
        if scores is None:
            scores = self._score_tail(served, tail)
            if self.cache is not None and key is not None:
                self.cache.put(key, scores)
        return make_snapshot(served, scores, self.config.action)

    def _score_tail(self, served: ServedModel, tail: pd.DataFrame) -> pd.Series:
        started = time.perf_counter()
        scores = score(served.artifact, tail, at="last")
        self.metrics.scoring.labels(served.alias).observe(time.perf_counter() - started)
        return scores

    def _bar_snapshot(self, served: ServedModel, tail: pd.DataFrame, received: float) -> Snapshot:
        return make_snapshot(served, self._score_tail(served, tail), self.config.action, received)

    async def _feed_loop(self) -> None:
        assert self.book is not None
        try:
            while True:
                event = await self.feed.next_event()
                if event is None:
                    self.feed_done = True
                    log.info("feed ended at %s", self.book.last)
                    return
                await self.on_bar(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep serving the last signals; /ready says why
            self.error = f"feed stopped: {type(exc).__name__}: {exc}"
            log.exception("feed loop stopped")

    async def on_bar(self, event: BarEvent) -> None:
        """Append a new bar, rescore every served model, push the champion's signals."""
        assert self.book is not None
        self.book.append(event.bars)
        self.metrics.bars.inc()
        tail = self.book.tail
        errors = []
        for alias in list(self.snapshots):
            served = self.snapshots[alias].served
            try:
                snap = await self._run(self._bar_snapshot, served, tail, event.received_at)
            except Exception as exc:
                errors.append(f"scoring {served.version} failed: {type(exc).__name__}: {exc}")
                log.exception("scoring %s failed at %s", served.version, event.timestamp)
                continue
            current = self.snapshots.get(alias)
            if current is not None and current.served.version != served.version:
                continue  # swapped while scoring: the new model's own snapshot stands
            self.snapshots[alias] = snap
            if alias == "champion":
                self.hub.publish(snap.bodies)
                self.metrics.push.observe(max(0.0, time.time() - event.received_at))
        self.error = "; ".join(errors) or None
        for hook in self.bar_hooks:
            await self._run(hook, event.bars)

    # -- hot swap -------------------------------------------------------------------------------
    def _follow(self, alias: str, registry_alias: str) -> ChampionWatcher:
        """A watcher of ``registry_alias`` that swaps the served ``alias`` when it moves."""
        assert self._registry is not None and self.config.workflow is not None

        def on_new(path, version: str) -> None:  # a load error propagates: retried next poll
            self._on_new_version(load_served(path, alias))

        return ChampionWatcher(self._registry, self.config.workflow, alias=registry_alias,
                               on_new=on_new, every=self.config.watch_seconds,
                               current=self._registry_versions.get(alias))  # fmt: skip

    def _on_new_version(self, served: ServedModel) -> None:
        """Watcher thread: score the current tail with the new model, then swap on the loop."""
        try:
            snap = self._first_snapshot(served)
        except Exception as exc:
            log.error("new %s version %s cannot score: %s", served.alias, served.version, exc)
            return
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._install, snap)

    def _install(self, snap: Snapshot) -> None:
        alias = snap.served.alias
        old = self.snapshots.get(alias)
        self.snapshots[alias] = snap
        self.metrics.set_model(alias, snap.served.version)
        log.info("%s swapped %s -> %s", alias, old.served.version if old else None,
                 snap.served.version)  # fmt: skip
        assert self.book is not None
        if snap.timestamp < self.book.last:  # a bar arrived while the new model loaded
            asyncio.get_running_loop().create_task(self._catch_up(alias))

    async def _catch_up(self, alias: str) -> None:
        assert self.book is not None
        served = self.snapshots[alias].served
        snap = await self._run(self._bar_snapshot, served, self.book.tail, time.time())
        if self.snapshots[alias].served.version == served.version:
            self.snapshots[alias] = snap

    # -- readiness ------------------------------------------------------------------------------
    def readiness(self) -> tuple[bool, list[str], float | None]:
        reasons = []
        if "champion" not in self.snapshots:
            reasons.append("no model loaded")
        lag = None
        if self.book is not None:
            lag = float(self.feed.lag(self.book.last))
            if lag > READY_LAG:
                reasons.append(f"last bar {self.book.last} is {lag:.1f} bar intervals old")
        else:
            reasons.append("no bars yet")
        if self.error:
            reasons.append(self.error)
        return not reasons, reasons, lag
