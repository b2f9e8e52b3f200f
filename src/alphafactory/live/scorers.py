"""Where the bot's scores come from: a stored model (fixed, or following a registry alias), or
a model-free momentum score for demos and tests.

A scorer maps the bars known at a decision (a ``(timestamp, symbol)`` panel ending at the
decision's bar) to one score per symbol; ``warmup`` is how many trailing timestamps it needs.
:class:`ModelScorer` calls :func:`alphafactory.models.score` with ``at="last"`` on that tail:
the one inference path, equal to the batch scores of the same bars.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from alphafactory.models import ModelArtifact, load, score

__all__ = ["ModelScorer", "MomentumScorer", "Scorer"]


@runtime_checkable
class Scorer(Protocol):
    """Bars in, one score per symbol (at the last timestamp) out."""

    @property
    def warmup(self) -> int:
        """Trailing timestamps the scorer needs (the last one included)."""
        ...

    def __call__(self, bars: pd.DataFrame) -> pd.Series:
        """Scores by symbol at the last timestamp of ``bars`` (NaN or absent: none)."""
        ...


class ModelScorer:
    """Scores of a stored model; :meth:`swap` installs a new version (a champion watcher's
    ``on_new``), used from the next decision on."""

    def __init__(self, artifact: ModelArtifact | str | Path, version: str | None = None) -> None:
        self.artifact = artifact if isinstance(artifact, ModelArtifact) else load(artifact)
        self.version = version

    @property
    def warmup(self) -> int:
        return int(self.artifact.warmup_bars)

    def swap(self, path: Path, version: str) -> None:
        self.artifact, self.version = load(path), version

    def __call__(self, bars: pd.DataFrame) -> pd.Series:
        scores = score(self.artifact, bars, at="last")
        return scores.droplevel(0) if len(scores) else pd.Series(dtype="float64")


class MomentumScorer:
    """``close_t / close_{t-window} - 1``: a model-free score (demos, tests, a baseline)."""

    def __init__(self, window: int = 20) -> None:
        if window < 1:
            raise ValueError(f"momentum window must be >= 1, got {window}.")
        self.window = int(window)

    @property
    def warmup(self) -> int:
        return self.window + 1

    def __call__(self, bars: pd.DataFrame) -> pd.Series:
        close = bars["close"].unstack()
        if len(close) <= self.window:
            return pd.Series(dtype="float64")
        return close.iloc[-1] / close.iloc[-1 - self.window] - 1.0
