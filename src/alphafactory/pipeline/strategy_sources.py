"""The ``[strategies]`` steps: rule-based signal sources walked forward next to the models.

Each source of :data:`alphafactory.strategies.SOURCES` named in ``[strategies] names`` is fitted
per fold on its training slice and scores the test block (the models' fold geometry), so its
out-of-sample scores join the models' in the ensemble, the backtest and the signal file. A
source that sizes its own positions (``target_weight``) is backtested with those weights
(after the ``[risk]`` caps) instead of the ``[portfolio]`` rule's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.pipeline.sections import RiskSection, StrategiesSection, WalkForwardSettings
from alphafactory.training.walk_forward import WalkForwardResult

__all__ = ["strategy_target_weights", "walk_strategies"]


def walk_strategies(
    bars: pd.DataFrame,
    section: StrategiesSection,
    walk: WalkForwardSettings,
    labels: pd.Series,
    *,
    log: Callable[[str], None],
    dataset: str,
) -> dict[str, WalkForwardResult]:
    """Walk every source of ``[strategies]`` forward on ``bars``; results by strategy name."""
    from alphafactory.strategies import get_source, walk_forward_strategy

    results = {}
    for name in section.names:
        started = time.perf_counter()
        source = get_source(name, section.params.get(name, {}))
        results[name] = walk_forward_strategy(bars, source, walk.splitter(), labels=labels,
                                              name=name)  # fmt: skip
        log(f"[{dataset}] {name}: {len(results[name].folds)} strategy folds in "
            f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return results


def join_scores(
    scores: Mapping[str, pd.Series],
    labels: pd.Series | None,
    results: Mapping[str, WalkForwardResult],
) -> tuple[dict[str, pd.Series], pd.Series, dict[str, pd.Series]]:
    """The models' scores plus each strategy's, the labels of every row, the target weights.

    Raises
    ------
    ConfigError
        When a strategy is named like a model.
    """
    clash = sorted(set(scores) & set(results))
    if clash:
        raise ConfigError(f"[strategies] names {clash} are already models' names")
    out = dict(scores)
    weights = {}
    merged = labels
    for name, result in results.items():
        out[name] = result.predictions["score"]
        if "target_weight" in result.predictions.columns:
            weights[name] = result.predictions["target_weight"]
        own = result.predictions["label"]
        merged = own if merged is None else merged.combine_first(own)
    assert merged is not None
    horizon = labels.attrs.get("horizon") if labels is not None else None
    merged.attrs["horizon"] = horizon or next(iter(results.values())).meta.get("horizon")
    return out, merged, weights


def strategy_target_weights(target: pd.Series, risk: RiskSection | None) -> pd.DataFrame:
    """Wide weights ``[timestamps, symbols]`` of a source's ``target_weight`` column.

    Every scored timestamp is a decision (a symbol without a row holds 0); the ``[risk]``
    caps then apply as they do to a portfolio rule's weights.
    """
    from alphafactory.pipeline.strategies import apply_risk_caps

    wide = target.unstack("symbol").astype(np.float64).fillna(0.0)
    wide.columns.name = "symbol"
    return wide if risk is None else apply_risk_caps(wide, risk)


def strategy_labels(settings: object, bars: pd.DataFrame) -> pd.Series:
    """The forward returns ``[labels]`` describes: what a strategy's scores are judged against."""
    import dataclasses

    from alphafactory.labels import forward_returns

    own = getattr(settings, "forward_kwargs", None)  # LabelSettings with classification targets
    kwargs = own() if own is not None else dataclasses.asdict(settings)  # type: ignore[call-overload]
    return forward_returns(bars, **kwargs)
