"""The signal server: REST and WebSocket over stored models (extra ``serve``).

``create_app(config, feed)`` builds the FastAPI app; ``alphafactory serve`` runs it with uvicorn
(:func:`alphafactory.serve.server.run_server`).
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
