"""Self-tests of the research pipeline on synthetic markets with a known answer.

- **Null market** (``alpha_ic=0``): nothing is predictable, so an honest walk-forward gives an
  out-of-sample IC within a few standard errors of zero (and a long-short Sharpe whose deflated
  Sharpe ratio is not significant). A leak of even one bar makes the IC jump.
- **Planted alpha** (``alpha_ic`` about 0.1): the market plants a known signal
  (:func:`alphafactory.data.planted.planted_alpha`, a 5-bar reversal), so the out-of-sample IC
  can be compared with the oracle IC (the IC of the true signal on the same test timestamps).

The suite runs these with small settings; ``research/model_zoo.py`` runs the full sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from alphafactory.training.splits import WalkForward
from alphafactory.training.walk_forward import WalkForwardResult, walk_forward

SELFTEST_FEATURES: tuple[str, ...] = ("ret_1", "cs_z_ret_1")


@dataclass(frozen=True, kw_only=True, slots=True)
class SelfTestSettings:
    """Market size and walk-forward geometry of a self-test.

    The defaults are the full check (40 symbols x 1400 bars, three folds);
    :meth:`small` is the CI size.
    """

    n_symbols: int = 40
    n_bars: int = 1400
    alpha_ic: float = 0.1
    features: tuple[str, ...] = SELFTEST_FEATURES
    lookback: int = 10
    train: int = 600
    val: int = 150
    test: int = 200
    seed: int = 0

    @classmethod
    def small(cls, **overrides: Any) -> SelfTestSettings:
        """CI size: 30 symbols x 900 bars, three folds."""
        params: dict[str, Any] = {"n_symbols": 30, "n_bars": 900, "train": 400, "val": 100,
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
    alpha predicts); features are ``settings.features`` from ``build_features``.
    """
    from alphafactory.data import synthetic_market
    from alphafactory.features import build_features
    from alphafactory.labels import forward_returns

    if market not in ("null", "planted"):
        raise ValueError(f"market must be 'null' or 'planted', got {market!r}.")
    alpha_ic = settings.alpha_ic if market == "planted" else 0.0
    mkt = synthetic_market(
        settings.n_symbols, settings.n_bars, seed=settings.seed, alpha_ic=alpha_ic
    )
    features = build_features(mkt.bars, list(settings.features))
    labels = forward_returns(mkt.bars, 1, kind="log", demean=True)
    return mkt, features, labels


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
    """
    settings = settings or SelfTestSettings()
    mkt, features, labels = selftest_data(settings, market)
    result = walk_forward(
        features, labels, model=model, splitter=settings.splitter(),
        lookback=settings.lookback, config=config, seed=settings.seed, executor=executor,
    )  # fmt: skip
    return selftest_stats(result, mkt.truth, market)
