"""The server's settings: frozen, keyword-only records built by the CLI or by code.

Security defaults: authentication is on when the host is not a loopback address (``auth="auto"``)
and then needs API keys or a JWT secret; CORS is off unless origins are given; request bodies are
limited in size; every authenticated principal has its own token bucket.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from alphafactory.errors import ConfigError
from alphafactory.factory.registry import ALIASES, is_registry_ref
from alphafactory.factory.store import FactoryStore

__all__ = ["ActionRule", "AuthConfig", "RateLimit", "ServeConfig", "WebSocketLimits",
           "is_loopback"]  # fmt: skip

AUTH_MODES = ("auto", "on", "off")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, kw_only=True, slots=True)
class AuthConfig:
    """Who may call the server.

    Attributes
    ----------
    mode : {"auto", "on", "off"}
        ``auto``: on unless the host is loopback.
    api_key_hashes : frozenset of str
        SHA-256 hex digests of the accepted API keys (keys are never kept in clear).
    jwt_secret : str, optional
        HS256 secret of accepted JWT bearer tokens (``exp`` required and checked).
    """

    mode: str = "auto"
    api_key_hashes: frozenset[str] = frozenset()
    jwt_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in AUTH_MODES:
            raise ConfigError(f"auth mode must be one of {list(AUTH_MODES)}; got {self.mode!r}.")

    def enabled(self, host: str) -> bool:
        """Whether requests must authenticate when the server binds ``host``."""
        return self.mode == "on" or (self.mode == "auto" and not is_loopback(host))


@dataclass(frozen=True, kw_only=True, slots=True)
class RateLimit:
    """A token bucket per principal: ``per_second`` sustained, bursts of ``burst``; 0 = off."""

    per_second: float = 50.0
    burst: int = 100

    def __post_init__(self) -> None:
        if self.per_second < 0 or self.burst < 0:
            raise ConfigError("rate limit per_second and burst must be >= 0.")
        if self.per_second > 0 and self.burst < 1:
            raise ConfigError("a rate limit needs a burst of at least 1.")


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionRule:
    """BUY / SELL / HOLD from a symbol's cross-sectional percentile rank (0 worst, 1 best).

    BUY at or above ``buy_rank``, SELL at or below ``sell_rank``, HOLD between.
    """

    buy_rank: float = 0.8
    sell_rank: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.sell_rank < self.buy_rank <= 1.0:
            raise ConfigError(
                f"action rule needs 0 <= sell_rank < buy_rank <= 1; got sell {self.sell_rank}, "
                f"buy {self.buy_rank}."
            )

    def action(self, rank: float) -> str:
        if rank >= self.buy_rank:
            return "BUY"
        if rank <= self.sell_rank:
            return "SELL"
        return "HOLD"


@dataclass(frozen=True, kw_only=True, slots=True)
class WebSocketLimits:
    """Per-client limits of ``/ws/stream``.

    Attributes
    ----------
    queue_size : int
        Messages waiting for one client; when full, new ones are dropped (and counted).
    send_timeout : float
        Seconds a client may leave its queue full, or one send may block, before it is
        disconnected with close code 4008 and a reason.
    max_symbols : int
        Subscriptions per client.
    """

    queue_size: int = 1024
    send_timeout: float = 5.0
    max_symbols: int = 5000

    def __post_init__(self) -> None:
        if self.queue_size < 1 or self.send_timeout <= 0 or self.max_symbols < 1:
            raise ConfigError("websocket queue_size, send_timeout and max_symbols must be > 0.")


@dataclass(frozen=True, kw_only=True, slots=True)
class ServeConfig:
    """Everything :func:`alphafactory.serve.create_app` needs besides the feed.

    Attributes
    ----------
    artifact : Path or str
        Model artifact directory served as ``champion``, or a registry reference of
        ``workflow``: ``champion`` / ``challenger`` (followed: the server swaps when the alias
        moves) or ``v<N>`` (that version, fixed).
    challenger : Path or str, optional
        A second artifact served as ``challenger`` (``model: "challenger"`` in requests); a
        directory or a registry reference as for ``artifact``.
    workflow : str, optional
        Workflow whose registered model (``alphafactory-<workflow>``) registry references name.
    store : FactoryStore, optional
        The registry's tracking store (default ``FactoryStore()``: ``mlruns/`` here).
    host : str
        Address the server binds (decides ``auth="auto"``).
    watch_seconds : float
        How often the artifact directories (or the registry aliases) are checked for a new
        version (0 = never).
    cache : str, optional
        Score cache: a directory (default ``.alphafactory-cache/serve``), ``redis://...``,
        or ``"off"``.
    runs_dir : Path, optional
        Where backtest jobs write run directories (default: ``$ALPHAFACTORY_RUNS`` or ``runs``).
    backtest_workers, backtest_queue : int
        Worker threads of backtest jobs and jobs allowed to wait (more: 503).
    max_body_bytes : int
        Largest request body; larger: 413.
    cors_origins : tuple of str
        Allowed CORS origins; empty (default) = no CORS headers.
    """

    artifact: Path | str
    challenger: Path | str | None = None
    workflow: str | None = None
    store: FactoryStore | None = None
    host: str = "127.0.0.1"
    auth: AuthConfig = field(default_factory=AuthConfig)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    action: ActionRule = field(default_factory=ActionRule)
    websocket: WebSocketLimits = field(default_factory=WebSocketLimits)
    watch_seconds: float = 2.0
    cache: str | None = None
    runs_dir: Path | None = None
    backtest_workers: int = 1
    backtest_queue: int = 8
    max_body_bytes: int = 64 * 1024
    cors_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("artifact", "challenger"):
            ref = getattr(self, name)
            if ref is not None and not is_registry_ref(ref):
                object.__setattr__(self, name, Path(ref))
            elif ref is not None:
                if not self.workflow:
                    raise ConfigError(f"{name} {str(ref)!r} is a registry reference: name the "
                                      "workflow whose registry it is in (--workflow NAME).")
                object.__setattr__(self, name, str(ref))
        if self.watch_seconds < 0:
            raise ConfigError(f"watch_seconds must be >= 0; got {self.watch_seconds}.")
        if self.backtest_workers < 1 or self.backtest_queue < 0:
            raise ConfigError("backtest_workers must be >= 1 and backtest_queue >= 0.")
        if self.max_body_bytes < 1024:
            raise ConfigError(f"max_body_bytes must be >= 1024; got {self.max_body_bytes}.")
        if self.auth.enabled(self.host) and not (self.auth.api_key_hashes or self.auth.jwt_secret):
            raise ConfigError(
                f"authentication is on (host {self.host} is not loopback, or auth='on') but no "
                "API keys or JWT secret are configured; give --api-keys FILE, "
                "ALPHAFACTORY_API_KEYS or --jwt-secret-file, or --auth off to serve openly."
            )

    def follows(self) -> dict[str, str]:
        """Registry alias each served model follows (``{"champion": "champion"}`` for
        ``artifact="champion"``); paths and pinned versions follow nothing."""
        refs = {"champion": self.artifact, "challenger": self.challenger}
        return {slot: str(ref) for slot, ref in refs.items()
                if isinstance(ref, str) and ref in ALIASES}  # fmt: skip
