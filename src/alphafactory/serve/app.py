"""The FastAPI app: REST endpoints, the WebSocket stream, auth and rate limits.

``create_app(config, feed)`` builds an app over a
:class:`~alphafactory.serve.service.SignalService`;
its lifespan starts the service (models loaded, history scored, feed loop running) and stops it.
OpenAPI docs are at ``/docs``. Every response of a model names the version that answered
(``version`` in the body and the ``X-Model-Version`` header).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import JSONResponse, Response

from alphafactory.feeds import BarFeed
from alphafactory.serve.auth import Authenticator, AuthError, Principal, RateLimiter, retry_after
from alphafactory.serve.cache import ScoreCache
from alphafactory.serve.config import ServeConfig
from alphafactory.serve.jobs import JobsBusy
from alphafactory.serve.middleware import GuardMiddleware
from alphafactory.serve.schemas import (
    BacktestJob,
    BacktestRequest,
    Health,
    ModelsResponse,
    PredictRequest,
    PredictResponse,
    Ready,
    SignalsRequest,
    SignalsResponse,
)
from alphafactory.serve.service import SignalService
from alphafactory.serve.ws import stream_endpoint

__all__ = ["create_app", "set_drift_provider"]

_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or invalid credentials"},
    413: {"description": "request body too large"},
    429: {"description": "rate limit exceeded (see Retry-After)"},
}


async def guard(request: Request) -> Principal:
    """The dependency of every guarded endpoint: authenticate, then take a rate-limit token."""
    auth: Authenticator = request.app.state.auth
    limiter: RateLimiter = request.app.state.limiter
    client = request.client.host if request.client else "unknown"
    try:
        principal = auth.authenticate(request.headers, client)
    except AuthError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    wait = limiter.take(principal.name)
    if wait > 0:
        raise HTTPException(429, "rate limit exceeded", headers={"Retry-After": retry_after(wait)})
    return principal


Guarded = Annotated[Principal, Depends(guard)]


def set_drift_provider(app: FastAPI, provider: Callable[[], dict[str, Any]]) -> None:
    """Serve ``provider()`` at ``GET /drift`` (the monitoring issue's hook; called in a thread)."""
    app.state.drift_provider = provider


def create_app(config: ServeConfig, feed: BarFeed, cache: ScoreCache | None = None) -> FastAPI:
    """Build the app serving ``config.artifact`` on bars from ``feed``."""
    service = SignalService(config, feed, cache)
    auth = Authenticator(config.auth, enabled=config.auth.enabled(config.host))
    limiter = RateLimiter(config.rate_limit)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="alphafactory signal server", lifespan=lifespan,
                  description="Scores of stored models on live or replayed bars: REST and "
                              "WebSocket.")  # fmt: skip
    app.state.service, app.state.auth, app.state.limiter = service, auth, limiter
    app.state.drift_provider = None

    def snapshot(alias: str):
        snap = service.snapshots.get(alias)
        if snap is None:
            raise HTTPException(404, f"no {alias} model is served")
        return snap

    def signals_body(snap, symbols: list[str] | None, keep=None) -> tuple[dict[str, Any], int]:
        wanted = list(snap.records) if symbols is None else symbols
        found = [snap.records[s] for s in wanted if s in snap.records]
        unknown = [s for s in wanted if s not in snap.records]
        if keep is not None:
            found = [r for r in found if keep(r)]
        body = {"model": snap.served.alias, "version": snap.served.version,
                "confidence_basis": snap.basis, "timestamp": snap.timestamp.isoformat(),
                "signals": found, "unknown": unknown}  # fmt: skip
        return body, len(wanted) - len(unknown)

    def answer(body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body, separators=(",", ":")), status_code=status,
                        media_type="application/json",
                        headers={"X-Model-Version": body.get("version", "")})  # fmt: skip

    @app.get("/health", response_model=Health, tags=["probes"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", response_model=Ready, tags=["probes"],
             responses={503: {"model": Ready, "description": "not ready"}})  # fmt: skip
    async def ready() -> JSONResponse:
        """Readiness: a model is loaded and its last bar is at most 1.5 bar intervals old
        (time the market is closed does not count)."""
        ok, reasons, lag = service.readiness()
        last = service.book.last.isoformat() if service.book is not None else None
        lag_value = None if lag is None or lag == float("inf") else lag
        return JSONResponse({"ready": ok, "reasons": reasons, "last_bar": last,
                             "lag_bars": lag_value}, status_code=200 if ok else 503)  # fmt: skip

    @app.get("/models", response_model=ModelsResponse, responses=_AUTH_RESPONSES, tags=["models"])
    async def models(_: Guarded) -> dict[str, Any]:
        """The champion and challenger: versions, artifacts and out-of-sample metrics."""
        out: dict[str, Any] = {}
        for alias, snap in service.snapshots.items():
            s, a = snap.served, snap.served.artifact
            out[alias] = {"alias": alias, "model": a.model, "version": s.version,
                          "path": str(s.path), "loaded_at": s.loaded_at.isoformat(),
                          "lookback": a.lookback, "warmup_bars": a.warmup_bars,
                          "features": len(a.features), "metrics": dict(a.metrics),
                          "trained": {"start": _iso(a.window.train_start),
                                      "end": _iso(a.window.train_end),
                                      "data_fingerprint": a.data_fingerprint}}  # fmt: skip
        return out

    @app.post("/predict", response_model=PredictResponse, tags=["signals"],
              responses={**_AUTH_RESPONSES, 404: {"description": "unknown symbol"}})  # fmt: skip
    async def predict(request: PredictRequest, _: Guarded) -> Response:
        """Latest score, cross-sectional rank, action and confidence of one or more symbols."""
        snap = snapshot(request.model)
        body, found = signals_body(snap, request.wanted())
        if not found:
            raise HTTPException(404, f"unknown symbol(s): {body['unknown'][:10]}")
        return answer(body)

    @app.post("/signals", response_model=SignalsResponse, tags=["signals"],
              responses=_AUTH_RESPONSES)  # fmt: skip
    async def signals(request: SignalsRequest, _: Guarded) -> Response:
        """The latest signals of many symbols, kept when confidence >= threshold and the action
        is one of ``actions``."""
        snap = snapshot(request.model)
        actions = set(request.actions)
        body, _found = signals_body(
            snap, request.symbols,
            keep=lambda r: r["confidence"] >= request.threshold and r["action"] in actions)
        body["threshold"] = request.threshold
        return answer(body)

    @app.post("/backtest", response_model=BacktestJob, status_code=202, tags=["backtest"],
              responses={**_AUTH_RESPONSES, 503: {"description": "job queue full"}})  # fmt: skip
    async def submit_backtest(request: BacktestRequest, _: Guarded) -> JSONResponse:
        """Start a backtest of the model's scores; poll ``GET /backtest/{id}``."""
        snap = snapshot(request.model)
        unknown = sorted(set(request.symbols or []) - set(service.book.symbols))
        if unknown:
            raise HTTPException(404, f"unknown symbol(s): {unknown[:10]}")
        try:
            job = service.jobs.submit(request, snap.served, service.book.full)
        except JobsBusy as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from None
        return JSONResponse(job.to_dict(), status_code=202)

    @app.get("/backtest/{job_id}", response_model=BacktestJob, tags=["backtest"],
             responses={**_AUTH_RESPONSES, 404: {"description": "unknown job"}})  # fmt: skip
    async def backtest_status(job_id: str, _: Guarded) -> dict[str, Any]:
        """A backtest job's status; when done, its summary metrics and run directory."""
        job = service.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no backtest job {job_id[:40]!r}")
        return job.to_dict()

    @app.get("/metrics", tags=["probes"], response_class=Response, responses=_AUTH_RESPONSES)
    async def metrics(_: Guarded) -> Response:
        """Prometheus metrics (text exposition format)."""
        return Response(service.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/drift", tags=["models"], responses={**_AUTH_RESPONSES, 404: {"description":
             "drift monitoring is not configured"}})  # fmt: skip
    def drift(_: Guarded) -> dict[str, Any]:
        """Drift status of the served model, from the monitor (when one is attached)."""
        provider = app.state.drift_provider
        if provider is None:
            raise HTTPException(404, "drift monitoring is not configured on this server")
        return provider()

    @app.websocket("/ws/stream")
    async def stream(ws: WebSocket) -> None:
        await stream_endpoint(ws, service, auth, limiter)

    app.add_middleware(GuardMiddleware, metrics=service.metrics, max_body=config.max_body_bytes)
    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    return app


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
