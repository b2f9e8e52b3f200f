"""What the factory's gate is fed besides the search: the withheld window's net returns of the
candidate and of the champion on the same bars, and the data, causality and leakage checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import ModelError
from alphafactory.pipeline.factory_trials import TrialData
from alphafactory.pipeline.workflow import WorkflowConfig

__all__ = ["causality_check", "champion_returns", "data_check", "leakage_check",
           "withheld_returns"]  # fmt: skip


def data_check(config: WorkflowConfig, name: str, bars: pd.DataFrame, calendar: Any) -> str | None:
    """The data check of the gate: a message when validation finds an error-level issue."""
    from alphafactory.data import validate_ohlcv

    report = validate_ohlcv(bars, asset_class=config.validation.asset_class,
                            calendar=config.validation.calendar or calendar, source=name)
    issues = report.issues
    errors = issues[issues["severity"] == "error"] if len(issues) else issues
    if not len(errors):
        return None
    first = errors.iloc[0]
    return (f"{len(errors)} validation error(s), first {first['rule']} at {first['timestamp']} "
            f"({first['symbol']})")  # fmt: skip


def _scores_on(artifact: Any, bars: pd.DataFrame, withheld_start: pd.Timestamp) -> pd.Series:
    from alphafactory.models import score

    stamps = bars.index.get_level_values("timestamp").unique()
    return score(artifact, bars, at=stamps[stamps >= withheld_start])


def withheld_returns(
    data: TrialData, bars: pd.DataFrame, artifact: Any, withheld_start: pd.Timestamp
) -> pd.Series:
    """Net returns of trading the artifact's scores over the withheld window."""
    from alphafactory.pipeline.factory_trials import trial_returns

    scores = _scores_on(artifact, bars, withheld_start)
    return trial_returns(data, bars, scores)


def champion_returns(
    registry: Any, workflow: str, data: TrialData, bars: pd.DataFrame, start: pd.Timestamp
) -> tuple[pd.Series | None, str | None]:
    """The champion's net returns on the same withheld bars, or None without a champion."""
    from alphafactory.models import load

    version = registry.alias_version(workflow, "champion")
    if version is None:
        return None, None
    try:
        champion = load(registry.download(workflow, version))
        returns = withheld_returns(data, bars, champion, start)
    except (ModelError, OSError, ValueError) as exc:
        # Nothing to compare against is not a reason to promote: rule 4 fails on NaN returns.
        note = f"champion version {version} could not be scored on the withheld window: {exc}"
        return pd.Series(np.nan, index=pd.DatetimeIndex([start])), note
    return returns, f"champion version {version} scored on the withheld window"


def causality_check(artifact: Any, bars: pd.DataFrame) -> str | None:
    """Check the candidate's features for look-ahead on a slice of the bars."""
    from alphafactory.features import check_causal

    symbols = bars.index.get_level_values("symbol").unique()[:3]
    stamps = bars.index.get_level_values("timestamp").unique()[-400:]
    sample = bars[bars.index.get_level_values("symbol").isin(symbols)
                  & bars.index.get_level_values("timestamp").isin(stamps)]  # fmt: skip
    report = check_causal(list(artifact.features), sample, n_cuts=3, seed=0)
    return None if report.ok else f"not causal: columns {list(report.offending)[:3]} moved"


def leakage_check(artifact: Any, withheld_start: pd.Timestamp) -> str | None:
    """The candidate must not have trained on any withheld bar (labels included)."""
    end = artifact.window.val_end or artifact.window.train_end
    if end is not None and pd.Timestamp(end) >= withheld_start:
        return f"trained up to {end}, inside the withheld window from {withheld_start}"
    return None
