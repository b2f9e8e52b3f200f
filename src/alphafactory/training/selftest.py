"""Self-tests of the research pipeline on synthetic markets with a known answer.

- **Null market** (``alpha_ic=0``): nothing is predictable, so an honest walk-forward gives an
  out-of-sample IC within a few standard errors of zero (and a long-short Sharpe whose deflated
  Sharpe ratio is not significant). A leak of even one bar makes the IC jump.
- **Planted alpha** (``alpha_ic`` about 0.1): the market plants a known signal
  (:func:`alphafactory.data.planted.planted_alpha`; ``kind`` picks it, see
  :mod:`alphafactory.data.alpha_spec`), so the out-of-sample IC can be compared with the oracle
  IC (the IC of the true signal on the same test timestamps).

Both run the default workflow: every registered feature, fitted per fold through
:data:`~alphafactory.models.selection.DEFAULT_SELECTION` (cross-sectional z-score, screened
pairwise interactions, correlation clustering, IC screen); the rows before the slowest
feature's warm-up are left out, so the first fold trains on usable bars. The suite runs these
with small settings; ``research/model_zoo.py`` runs the full sizes over every kind, strength
and model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from alphafactory.models.selection import DEFAULT_SELECTION, build_steps
from alphafactory.training.splits import WalkForward
from alphafactory.training.walk_forward import WalkForwardResult, walk_forward


@dataclass(frozen=True, kw_only=True, slots=True)
class SelfTestSettings:
    """Market size and walk-forward geometry of a self-test.

    The defaults are the full check (40 symbols x 1400 bars, three folds after the features'
    warm-up); :meth:`small` is the CI size. ``features`` None is every registered feature;
    ``selection`` holds the per-fold selection step specs (None: the model sees every
    feature); ``kind`` is the planted alpha's :class:`~alphafactory.data.alpha_spec.AlphaSpec`
    kind.
    """

    n_symbols: int = 40
    n_bars: int = 1400
    alpha_ic: float = 0.1
    kind: str = "reversal"
    features: tuple[str, ...] | None = None
    selection: tuple[Mapping[str, Any], ...] | None = DEFAULT_SELECTION
    lookback: int = 10
    train: int = 500
    val: int = 120
    test: int = 170
    seed: int = 0

    @classmethod
    def small(cls, **overrides: Any) -> SelfTestSettings:
        """CI size: 30 symbols x 900 bars, two folds after the warm-up."""
        params: dict[str, Any] = {"n_symbols": 30, "n_bars": 900, "train": 300, "val": 80,
                                  "test": 120}  # fmt: skip
        return cls(**{**params, **overrides})

    def splitter(self) -> WalkForward:
        """The walk-forward geometry (purge set from the 1-bar labels)."""
        return WalkForward(train=self.train, val=self.val, test=self.test)


@dataclass(frozen=True, slots=True)
class SelfTestResult:
    """Out-of-sample statistics of one self-test run.

    Attributes
    ----------
    ic : float
        Mean over test timestamps of the cross-sectional Pearson IC of score with label.
    ic_se : float
        Its Newey-West standard error (:func:`alphafactory.evaluation.ic_summary`; with 1-bar
        labels the ICs do not overlap and it is ``std(IC_t) / sqrt(n)``).
    oracle_ic : float
        Mean IC of the planted ``truth`` with the label over the same test timestamps.
    ic_series : Series
        IC per test timestamp.
    long_short : Series
        Per test timestamp, the return of a dollar-neutral portfolio with weights proportional to
        the cross-sectionally demeaned score ranks (gross exposure 1), before costs.
    result : WalkForwardResult
    """

    model: str
    market: Literal["null", "planted"]
    ic: float
    ic_se: float
    oracle_ic: float
    ic_series: pd.Series
    long_short: pd.Series
    result: WalkForwardResult = field(repr=False)

    @property
    def t_stat(self) -> float:
        """``ic / ic_se``."""
        return self.ic / self.ic_se if self.ic_se > 0 else float("nan")

    @property
    def ratio(self) -> float:
        """Out-of-sample IC as a share of the oracle IC."""
        return self.ic / self.oracle_ic if self.oracle_ic else float("nan")


def selftest_data(
    settings: SelfTestSettings, market: Literal["null", "planted"]
) -> tuple[Any, pd.DataFrame, pd.Series]:
    """Return ``(SyntheticMarket, features, labels)`` for a self-test.

    Labels are 1-bar log returns from the close, demeaned across symbols (what the planted
    alpha predicts); features are ``settings.features`` (every registered one when None) from
    ``build_features``, from the first bar where every feature is defined on
    (:func:`drop_warmup`).
    """
    from alphafactory.data import synthetic_market
    from alphafactory.data.alpha_spec import AlphaSpec
    from alphafactory.features import build_features, list_features
    from alphafactory.labels import forward_returns

    if market not in ("null", "planted"):
        raise ValueError(f"market must be 'null' or 'planted', got {market!r}.")
    alpha = AlphaSpec(kind="reversal", ic=0.0)
    if market == "planted":
        alpha = AlphaSpec(kind=settings.kind, ic=settings.alpha_ic)  # type: ignore[arg-type]
    mkt = synthetic_market(settings.n_symbols, settings.n_bars, seed=settings.seed, alpha=alpha)
    names = settings.features or tuple(list_features()["name"])
    features = drop_warmup(build_features(mkt.bars, list(names)))
    labels = forward_returns(mkt.bars, 1, kind="log", demean=True)
    return mkt, features, labels


def drop_warmup(features: pd.DataFrame) -> pd.DataFrame:
    """Drop the timestamps before the first one where most rows have every feature defined.

    Those rows are never samples (a window with a NaN feature is dropped), but a walk-forward
    lays its blocks from the first timestamp: without them the first fold trains on usable
    bars only.
    """
    complete = features.notna().all(axis=1)
    if isinstance(features.index, pd.MultiIndex):
        share = complete.groupby(level=0, sort=False).mean()
    else:
        share = complete.astype(float)
    ready = share.index[share.to_numpy() > 0.5]
    if len(ready) == 0:
        return features
    stamps = features.index.get_level_values(0)
    return features[stamps >= ready[0]]


def selftest_stats(
    result: WalkForwardResult, truth: pd.Series, market: Literal["null", "planted"]
) -> SelfTestResult:
    """Compute the self-test statistics of a walk-forward's out-of-sample predictions."""
    from alphafactory.evaluation import ic_summary, information_coefficient

    pred = result.predictions
    labels = pred["label"].copy()
    labels.attrs["horizon"] = int(result.meta.get("horizon", 1))
    series = information_coefficient(pred["score"], labels, "pearson", min_obs=2).dropna()
    oracle = information_coefficient(truth.reindex(pred.index), labels, "pearson", min_obs=2)
    stats = ic_summary(series)
    ranks = pred["score"].groupby(level="timestamp").rank()
    centred = ranks - ranks.groupby(level="timestamp").transform("mean")
    weights = centred / centred.abs().groupby(level="timestamp").transform("sum")
    long_short = (weights * pred["label"]).groupby(level="timestamp").sum().rename("long_short")
    return SelfTestResult(
        model=result.model,
        market=market,
        ic=stats.mean,
        ic_se=stats.se,
        oracle_ic=float(oracle.mean()),
        ic_series=series,
        long_short=long_short,
        result=result,
    )


def run_selftest(
    model: str | Any,
    market: Literal["null", "planted"],
    settings: SelfTestSettings | None = None,
    *,
    config: dict[str, Any] | None = None,
    executor: Any = None,
    data: tuple[Any, pd.DataFrame, pd.Series] | None = None,
) -> SelfTestResult:
    """Walk ``model`` forward on a synthetic market and return the self-test statistics.

    Parameters
    ----------
    model : str or estimator
        As for :func:`~alphafactory.training.walk_forward`.
    market : {"null", "planted"}
        No alpha, or ``settings.alpha_ic`` planted.
    settings : SelfTestSettings, optional
        Sizes; the full check by default.
    config : dict, optional
        ``get_model`` keyword arguments (e.g. ``{"preset": "ci"}``).
    executor : optional
        Where folds run.
    data : tuple, optional
        ``selftest_data(settings, market)`` computed before (to share one market between
        models).
    """
    settings = settings or SelfTestSettings()
    mkt, features, labels = data if data is not None else selftest_data(settings, market)
    selection = build_steps(settings.selection) if settings.selection else None
    result = walk_forward(
        features, labels, model=model, splitter=settings.splitter(),
        lookback=settings.lookback, config=config, seed=settings.seed, executor=executor,
        selection=selection,
    )  # fmt: skip
    return selftest_stats(result, mkt.truth, market)
