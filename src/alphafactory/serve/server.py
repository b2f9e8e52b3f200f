"""Run the app with uvicorn on a feed built from a bars source (``alphafactory serve``)."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import Any

import pandas as pd

from alphafactory.data import BarsSource
from alphafactory.errors import ConfigError
from alphafactory.factory.registry import resolve_artifact
from alphafactory.feeds import BarFeed, ReplayConfig, ReplayFeed, YFinanceConfig, YFinancePollFeed
from alphafactory.models import load
from alphafactory.serve.cache import open_cache
from alphafactory.serve.config import ServeConfig

__all__ = ["FeedSettings", "open_feed", "run_server"]

log = logging.getLogger(__name__)
FEED_KINDS = ("replay", "yfinance")
# Kernel send buffer of each connection. Linux grows one up to 4 MiB, which a stalled WebSocket
# client could fill before any send of ours blocks; at 256 KiB (plus uvicorn's 64 KiB write
# buffer) the hub sees the stall early and drops the client after its send_timeout.
SEND_BUFFER = 256 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedSettings:
    """Which feed delivers new bars.

    Attributes
    ----------
    kind : {"replay", "yfinance"}
        ``replay`` (default, offline): the bars source replayed; ``yfinance``: a
        ``yfinance:SYM,...`` source polled.
    bars_per_second : float
        Replay speed (0 = as fast as scored).
    replay_bars : int
        Timestamps replayed at the end of the data set; the rest is history.
    loop : bool
        Replay again from the start after the end.
    poll_seconds : float
        yfinance poll period.
    """

    kind: str = "replay"
    bars_per_second: float = 1.0
    replay_bars: int = 250
    loop: bool = False
    poll_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.kind not in FEED_KINDS:
            raise ConfigError(f"feed must be one of {list(FEED_KINDS)}; got {self.kind!r}.")
        if self.replay_bars < 1:
            raise ConfigError(f"replay_bars must be >= 1; got {self.replay_bars}.")


def open_feed(source: BarsSource, settings: FeedSettings, warmup_bars: int) -> BarFeed:
    """The feed ``settings`` name over ``source``, with at least ``warmup_bars`` of history."""
    if settings.kind == "yfinance":
        if source.kind != "yfinance":
            raise ConfigError(
                f"--feed yfinance needs --bars yfinance:SYM,...; got {source.spec!r}."
            )
        start = source.start or (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=800)).strftime(
            "%Y-%m-%d")
        return YFinancePollFeed(YFinanceConfig(
            symbols=source.symbols(), start=start, interval=source.interval or "1d",
            poll_seconds=settings.poll_seconds, calendar=source.calendar or "XNYS"))
    bars = source.load()
    n = len(bars.index.get_level_values(0).unique())
    history = n - settings.replay_bars
    if history < warmup_bars:
        raise ConfigError(
            f"bars source {source.spec!r} has {n} timestamps: replaying {settings.replay_bars} "
            f"leaves {max(history, 0)} of history, fewer than the model's warmup_bars "
            f"({warmup_bars}); lower --replay-bars or give more bars."
        )
    return ReplayFeed(bars, ReplayConfig(start=-settings.replay_bars,
                                         bars_per_second=settings.bars_per_second,
                                         loop=settings.loop))  # fmt: skip


def run_server(config: ServeConfig, source: BarsSource, feed: FeedSettings, *, port: int = 8000,
               cache: str | None = None, log_level: str = "info",
               monitor: Any = None) -> None:  # fmt: skip
    """Load the feed and serve until interrupted (uvicorn on ``config.host:port``).

    ``monitor`` (a :class:`alphafactory.monitor.MonitorPolicy`) watches the champion for drift
    on every bar: ``GET /drift`` and drift gauges at ``/metrics``.
    """
    import uvicorn

    from alphafactory.serve.app import create_app

    refs = [ref for ref in (config.artifact, config.challenger) if ref is not None]
    warmup = max(load(resolve_artifact(ref, workflow=config.workflow, store=config.store))
                 .warmup_bars for ref in refs)  # fmt: skip
    bar_feed = open_feed(source, feed, warmup)
    bar_feed.history()  # fail here, as one line, rather than inside uvicorn's startup
    app = create_app(config, bar_feed, open_cache(cache))
    if monitor is not None:
        from alphafactory.serve.drift import attach_drift_monitor

        attach_drift_monitor(app, monitor)
    server = uvicorn.Server(uvicorn.Config(
        app, host=config.host, port=port, log_level=log_level, ws_max_size=1 << 20,
        server_header=False, proxy_headers=False))  # fmt: skip
    server.run(sockets=[listen(config.host, port)])


def listen(host: str, port: int, send_buffer: int = SEND_BUFFER) -> socket.socket:
    """A listening TCP socket whose accepted connections inherit ``send_buffer`` bytes of
    kernel send buffer."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}).") from None
    sock.listen(2048)
    return sock
