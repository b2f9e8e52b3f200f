"""Authentication (API keys, JWT HS256) and per-principal token-bucket rate limits.

API keys are kept as SHA-256 digests only and compared in constant time. A client sends
``X-API-Key: KEY`` or ``Authorization: Bearer KEY``; a bearer that is not a known key is read as a
JWT signed with HS256 by the configured secret (``exp`` is required and checked). The principal
of a request is ``key:<first 8 hex of the digest>`` or ``jwt:<sub>``, and the rate limit is kept
per principal (per client address when authentication is off).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alphafactory.errors import ConfigError
from alphafactory.serve.config import AuthConfig, RateLimit

__all__ = ["AuthError", "Authenticator", "RateLimiter", "hash_key", "read_api_keys"]

API_KEYS_ENV = "ALPHAFACTORY_API_KEYS"


class AuthError(Exception):
    """A request's credentials are missing or invalid (the message is safe to return)."""


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key."""
    return hashlib.sha256(key.encode()).hexdigest()


def read_api_keys(
    path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> frozenset[str]:
    """Digests of the API keys in ``path`` (one a line; ``#`` comments) and the environment.

    ``$ALPHAFACTORY_API_KEYS`` holds further keys.

    The variable holds keys separated by commas. Keys shorter than 16 characters are refused.
    """
    keys: list[str] = []
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"--api-keys: no file at {path}.")
        keys += [line.strip() for line in path.read_text().splitlines()]
    text = (os.environ if env is None else env).get(API_KEYS_ENV, "")
    keys += [k.strip() for k in text.split(",")]
    keys = [k for k in keys if k and not k.startswith("#")]
    short = [k for k in keys if len(k) < 16]
    if short:
        raise ConfigError(f"API keys must be at least 16 characters; {len(short)} are shorter.")
    return frozenset(hash_key(k) for k in keys)


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """Who made a request."""

    name: str
    kind: str  # "key", "jwt" or "anonymous"


class Authenticator:
    """Checks a request's headers against the configured keys and JWT secret."""

    def __init__(self, config: AuthConfig, enabled: bool) -> None:
        self.config = config
        self.enabled = enabled
        self._hashes = tuple(config.api_key_hashes)

    def _key(self, key: str) -> Principal | None:
        digest = hash_key(key)
        found = False
        for known in self._hashes:  # no early exit: time does not depend on which key matched
            found |= hmac.compare_digest(digest, known)
        return Principal(name=f"key:{digest[:8]}", kind="key") if found else None

    def _jwt(self, token: str) -> Principal:
        import jwt

        if self.config.jwt_secret is None:
            raise AuthError("invalid API key")
        try:
            claims = jwt.decode(token, self.config.jwt_secret, algorithms=["HS256"],
                                options={"require": ["exp"]})  # fmt: skip
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token ({type(exc).__name__})") from None
        return Principal(name=f"jwt:{claims.get('sub', 'unknown')}", kind="jwt")

    def authenticate(
        self, headers: Mapping[str, str], client: str, token: str | None = None
    ) -> Principal:
        """The principal of a request; raise :class:`AuthError` when it may not proceed.

        ``token`` is a credential given another way (a WebSocket query parameter).
        """
        if not self.enabled:
            return Principal(name=f"ip:{client}", kind="anonymous")
        key = headers.get("x-api-key")
        bearer = None
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            bearer = auth[7:].strip()
        for value in (key, bearer, token):
            if value:
                principal = self._key(value)
                if principal is not None:
                    return principal
        if bearer or token:
            return self._jwt(bearer or token or "")
        if key:
            raise AuthError("invalid API key")
        raise AuthError("missing credentials: send X-API-Key or Authorization: Bearer")


class RateLimiter:
    """Token buckets by principal: :meth:`take` returns 0 when allowed, else seconds to wait."""

    def __init__(self, limit: RateLimit, max_principals: int = 100_000) -> None:
        self.limit = limit
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, last time)
        self._lock = threading.Lock()
        self._max = max_principals

    def take(self, name: str, now: float | None = None) -> float:
        rate, burst = self.limit.per_second, float(self.limit.burst)
        if rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(name, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[name] = (tokens, now)
                wait = (1.0 - tokens) / rate
            if len(self._buckets) > self._max:  # forget full buckets first (they are the default)
                self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        rate, burst = self.limit.per_second, float(self.limit.burst)
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * rate >= burst]
        for k in full:
            del self._buckets[k]


def retry_after(wait: float) -> str:
    """The ``Retry-After`` header value (whole seconds, at least 1) for a wait in seconds."""
    return str(max(1, math.ceil(wait)))

