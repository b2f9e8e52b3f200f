"""Request and response bodies of the REST API (pydantic; they make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["BacktestJob", "BacktestRequest", "Health", "ModelInfo", "ModelsResponse",
           "PredictRequest", "PredictResponse", "Ready", "Signal", "SignalsRequest",
           "SignalsResponse"]  # fmt: skip

Alias = Literal["champion", "challenger"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PredictRequest(_Strict):
    """One symbol or several; ``model`` picks the alias (champion by default)."""

    symbol: str | None = Field(default=None, min_length=1, max_length=32)
    symbols: list[str] | None = Field(default=None, min_length=1, max_length=5000)
    model: Alias = "champion"

    @model_validator(mode="after")
    def _one_of(self) -> PredictRequest:
        if (self.symbol is None) == (self.symbols is None):
            raise ValueError("give exactly one of 'symbol' or 'symbols'")
        return self

    def wanted(self) -> list[str]:
        return [self.symbol] if self.symbol is not None else list(self.symbols or [])


class Signal(BaseModel):
    symbol: str
    score: float
    rank: float = Field(description="cross-sectional percentile rank, 0 worst .. 1 best")
    action: Literal["BUY", "SELL", "HOLD"]
    confidence: float
    timestamp: dt.datetime = Field(description="the bar the score is for (known at its close)")


class PredictResponse(BaseModel):
    model: Alias
    version: str
    confidence_basis: str
    timestamp: dt.datetime
    signals: list[Signal]
    unknown: list[str] = Field(description="requested symbols the model has no score for")


class SignalsRequest(_Strict):
    symbols: list[str] | None = Field(default=None, max_length=5000,
                                      description="default: every scored symbol")
    threshold: float = Field(default=0.0, ge=0.0, le=1.0,
                             description="keep signals with confidence >= threshold")
    actions: list[Literal["BUY", "SELL", "HOLD"]] = Field(default=["BUY", "SELL"], max_length=3)
    model: Alias = "champion"


class SignalsResponse(PredictResponse):
    threshold: float


class BacktestRequest(_Strict):
    symbols: list[str] | None = Field(default=None, max_length=5000,
                                      description="default: every symbol the server holds")
    start: dt.date | None = None
    end: dt.date | None = Field(default=None, description="exclusive")
    model: Alias = "champion"
    cost: Literal["none", "fixed", "sqrt"] = "sqrt"
    cost_bps: float = Field(default=5.0, ge=0.0, le=1000.0, description="for cost='fixed'")
    initial_capital: float = Field(default=1e6, gt=0.0, le=1e13)
    rule: Literal["quantile", "topk", "proportional"] = "quantile"
    rebalance: int = Field(default=5, ge=1, le=252)

    @model_validator(mode="after")
    def _range(self) -> BacktestRequest:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class BacktestJob(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    submitted_at: dt.datetime
    model: str
    version: str
    error: str | None = None
    metrics: dict[str, float | None] | None = None
    run_dir: str | None = None


class ModelInfo(BaseModel):
    alias: Alias
    model: str
    version: str
    path: str
    loaded_at: dt.datetime
    lookback: int
    warmup_bars: int
    features: int
    metrics: dict[str, float | None] = Field(description="out-of-sample metrics of the artifact")
    trained: dict[str, str | None]


class ModelsResponse(BaseModel):
    champion: ModelInfo
    challenger: ModelInfo | None = None


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    ready: bool
    reasons: list[str]
    last_bar: dt.datetime | None
    lag_bars: float | None
