"""Classic strategies as signal sources: momentum, breakout, z-score mean reversion, pairs.

A :class:`SignalSource` is fitted on a training slice of bars (``fit(bars) -> self``) and turns
bars into scores (``scores(bars)``: a frame indexed ``(timestamp, symbol)`` with ``score`` and,
for sources that size their own positions, ``target_weight``): the signal file's contract, so a
strategy's scores backtest, execute and enter ensembles the way a model's do. The score at ``t``
uses bars ``<= t`` only (``tests/strategies`` checks each source with ``check_causal``).
:func:`walk_forward_strategy` produces a model-shaped out-of-sample result; a workflow's
``[strategies]`` section runs it next to ``[models]``.

Sources are found by name in :data:`SOURCES`; :func:`get_source` builds one from TOML
parameters (unknown keys raise). ``mask`` takes a causal 1/0 filter (a callable, or the name of
a registered feature such as ``"tech_filter"``): scores and weights are zeroed where it is not
1; a regime filter plugs in the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.strategies.base import Mask, NotFittedError, SignalSource
from alphafactory.strategies.mean_reversion import MeanReversion
from alphafactory.strategies.pairs import Pairs
from alphafactory.strategies.trend import Breakout, Momentum
from alphafactory.strategies.walk_forward import walk_forward_strategy

__all__ = [
    "SOURCES",
    "Breakout",
    "Mask",
    "MeanReversion",
    "Momentum",
    "NotFittedError",
    "Pairs",
    "SignalSource",
    "feature_mask",
    "get_source",
    "walk_forward_strategy",
]

SOURCES: dict[str, type[SignalSource]] = {
    "momentum": Momentum,
    "breakout": Breakout,
    "mean_reversion": MeanReversion,
    "pairs": Pairs,
}


def feature_mask(name: str) -> Mask:
    """A mask from a registered 1/0 feature (e.g. ``"tech_filter"``), computed causally."""
    from alphafactory.features import build_features, list_features

    if name not in set(list_features()["name"]):
        raise ConfigError(f"mask: {name!r} is not a registered feature")

    def mask(bars: pd.DataFrame) -> pd.Series:
        return build_features(bars, [name])[name].astype("float64")

    mask.__name__ = f"feature_mask_{name}"
    return mask


def get_source(name: str, params: Mapping[str, Any] | None = None) -> SignalSource:
    """Build the registered source ``name`` with ``params`` (keyword arguments).

    A string ``mask`` names a registered feature (:func:`feature_mask`). Lists become tuples.

    Raises
    ------
    ConfigError
        For an unknown name or parameter.
    """
    if name not in SOURCES:
        raise ConfigError(f"strategy {name!r} is not one of {sorted(SOURCES)}")
    cls = SOURCES[name]
    allowed = set(inspect.signature(cls.__init__).parameters) - {"self"}
    kwargs = dict(params or {})
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ConfigError(f"strategy {name!r}: unknown parameter(s) {unknown}; "
                          f"valid: {sorted(allowed)}")  # fmt: skip
    if isinstance(kwargs.get("mask"), str):
        kwargs["mask"] = feature_mask(kwargs["mask"])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return cls(**kwargs)
