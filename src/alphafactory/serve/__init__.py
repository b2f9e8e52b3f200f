"""The signal server: REST and WebSocket over stored models (extra ``serve``).

``create_app(config, feed)`` builds the FastAPI app over a :class:`~alphafactory.feeds.BarFeed`;
``alphafactory serve`` runs it with uvicorn (:func:`alphafactory.serve.server.run_server`).

The contract clients rely on (OpenAPI at ``/docs`` and ``/openapi.json``):

``GET /health``, ``GET /ready``
    Liveness; readiness (200 or 503 with ``reasons``): a model loaded, its last bar at most
    1.5 bar intervals behind the feed (closed markets do not count), no scoring error.
``GET /models``
    ``champion`` and ``challenger``: model, version, path, lookback, warm-up, out-of-sample
    metrics and training window of each.
``POST /predict`` ``{symbol | symbols, model?}``, ``POST /signals`` ``{symbols?, threshold,
actions?, model?}``
    Latest signals: ``score``, ``rank`` (cross-sectional percentile, 0 worst .. 1 best),
    ``action`` (BUY / SELL / HOLD by rank), ``confidence`` (regressor: percentile of |score|
    among the artifact run's out-of-sample scores, else the cross-section; classifier: the
    probability), ``timestamp`` (the bar scored); the body and ``X-Model-Version`` name the
    version. Unknown symbols are listed; 404 when none is known.
``POST /backtest`` -> 202 ``{id, status}``; ``GET /backtest/{id}``
    Scores over ``[start, end)``, a portfolio rule, costs, a run directory; a bounded pool.
``GET /metrics``, ``GET /drift``
    Prometheus text; drift from the provider :func:`set_drift_provider` attached (else 404).
``WS /ws/stream``
    See :mod:`alphafactory.serve.ws`: subscribe / unsubscribe, one message per symbol and new
    bar, ``seq`` per connection, slow clients closed with 4008.

Errors are JSON ``{"detail": ...}``: 401 (credentials), 404, 413 (body size), 422 (the field
named in ``loc``), 429 with ``Retry-After``, 503 (backtest queue full), 500 without a trace.
"""

from alphafactory.serve.app import create_app, set_drift_provider
from alphafactory.serve.auth import hash_key, read_api_keys
from alphafactory.serve.cache import DiskCache, RedisCache, ScoreCache, open_cache
from alphafactory.serve.config import (
    ActionRule,
    AuthConfig,
    RateLimit,
    ServeConfig,
    WebSocketLimits,
    is_loopback,
)
from alphafactory.serve.hub import SLOW_CLIENT_CODE
from alphafactory.serve.served_model import ServedModel, artifact_version, load_served
from alphafactory.serve.server import run_server

__all__ = [
    "SLOW_CLIENT_CODE",
    "ActionRule",
    "AuthConfig",
    "DiskCache",
    "RateLimit",
    "RedisCache",
    "ScoreCache",
    "ServeConfig",
    "ServedModel",
    "WebSocketLimits",
    "artifact_version",
    "create_app",
    "hash_key",
    "is_loopback",
    "load_served",
    "open_cache",
    "read_api_keys",
    "run_server",
    "set_drift_provider",
]
