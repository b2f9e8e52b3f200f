"""Prometheus metrics of one server (its own registry, so several apps in a process never clash).

``GET /metrics`` renders :attr:`ServerMetrics.registry`. The monitoring issue adds drift through
:meth:`ServerMetrics.add_collector` (any ``prometheus_client`` collector, e.g. a drift gauge)
and the app's drift provider (``GET /drift``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.registry import Collector

__all__ = ["ServerMetrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServerMetrics:
    """Request counts and latencies, model versions, scoring time, WebSocket clients and drops."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("alphafactory_requests", "HTTP requests by endpoint and status",
                                ["endpoint", "method", "status"], registry=r)  # fmt: skip
        self.latency = Histogram("alphafactory_request_seconds", "HTTP request latency",
                                 ["endpoint"], buckets=_LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.model = Gauge("alphafactory_model_info", "1 for the model version served per alias",
                           ["alias", "version"], registry=r)  # fmt: skip
        self.scoring = Histogram("alphafactory_scoring_seconds", "score() time per new bar",
                                 ["alias"], buckets=_LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.push = Histogram("alphafactory_bar_to_push_seconds",
                              "bar received -> scored -> queued to WebSocket clients",
                              buckets=_LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.bars = Counter("alphafactory_bars", "bar timestamps received from the feed",
                            registry=r)  # fmt: skip
        self.ws_clients = Gauge("alphafactory_ws_clients", "connected WebSocket clients",
                                registry=r)  # fmt: skip
        self.ws_dropped = Counter("alphafactory_ws_dropped_messages",
                                  "messages dropped for a full client queue", registry=r)
        self.ws_evicted = Counter("alphafactory_ws_evicted_clients",
                                  "clients disconnected for not keeping up", registry=r)
        self.cache = Counter("alphafactory_score_cache", "score cache lookups", ["result"],
                             registry=r)  # fmt: skip
        self._versions: dict[str, str] = {}

    def set_model(self, alias: str, version: str) -> None:
        old = self._versions.get(alias)
        if old is not None and old != version:
            self.model.remove(alias, old)
        self._versions[alias] = version
        self.model.labels(alias, version).set(1)

    # the hub's callbacks
    def client_count(self, n: int) -> None:
        self.ws_clients.set(n)

    def dropped(self, n: int) -> None:
        self.ws_dropped.inc(n)

    def evicted(self) -> None:
        self.ws_evicted.inc()

    def add_collector(self, collector: Collector) -> None:
        """Register a further collector (the monitor's drift metrics)."""
        self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)
