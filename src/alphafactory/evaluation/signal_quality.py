"""How good a score is as a forecast: IC decay by horizon, quantile returns, direction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.data.panel import INDEX_NAMES, is_panel, to_long, to_wide
from alphafactory.evaluation._inputs import align, as_long
from alphafactory.evaluation.ic import Method, group_rank, ic_summary, information_coefficient

Entry = Literal["close", "next_open"]


def directional_accuracy(
    scores: pd.Series | pd.DataFrame, labels: pd.Series | pd.DataFrame
) -> float:
    """Share of calls whose sign matches the outcome: ``mean(sign(s_i) == sign(y_i))``.

    Taken over the aligned pairs where both the score and the label are non-zero (a zero score
    makes no call; a zero label has no direction). NaN when no pair is left.
    """
    s, y = align(as_long(scores, "scores"), as_long(labels, "labels"))
    sv, yv = s.to_numpy(), y.to_numpy()
    called = (sv != 0.0) & (yv != 0.0)
    if not called.any():
        return float("nan")
    return float(np.mean(np.sign(sv[called]) == np.sign(yv[called])))


def forward_compounded(returns: pd.Series | pd.DataFrame, horizon: int) -> pd.Series:
    """Forward ``h``-bar return ``R_t = prod_{k=1..h} (1 + r_{t+k}) - 1`` from 1-bar returns.

    ``r_t`` is the simple return over ``(t-1, t]``, so ``R_t`` uses bars after ``t`` only.
    Panels are handled per symbol on the wide frame (give a wide frame, or a long Series that
    keeps NaN rows, so no timestamp is lost). A ``t`` whose ``h`` next returns are not all
    present is left out of the result.
    """
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer number of bars; got {horizon!r}.")
    series = as_long(returns, "returns", dropna=False)
    wide = to_wide(series) if is_panel(series) else series.to_frame("asset")
    growth = np.log1p(wide).rolling(int(horizon), min_periods=int(horizon)).sum()
    forward = np.expm1(growth.shift(-int(horizon)))
    out = to_long(forward, "fwd_ret") if is_panel(series) else forward["asset"].dropna()
    out.attrs["horizon"] = int(horizon)
    return out


def ic_decay(
    scores: pd.Series | pd.DataFrame,
    bars_or_returns: pd.Series | pd.DataFrame,
    horizons: Iterable[int] = (1, 2, 5, 10, 20),
    *,
    method: Method = "spearman",
    entry: Entry = "next_open",
    window: int = 63,
) -> pd.DataFrame:
    """IC of the same scores against forward returns of growing horizons.

    Parameters
    ----------
    scores : Series or DataFrame
        Scores at ``t`` (panel or one asset), as for :func:`information_coefficient`.
    bars_or_returns : DataFrame or Series
        OHLCV bars (a frame with ``open`` and ``close``): labels are
        ``labels.forward_returns(bars, h, entry=entry)``. Otherwise 1-bar simple returns
        ``r_t`` over ``(t-1, t]`` (long Series, wide frame or one Series): labels are
        :func:`forward_compounded` (entry at the close of ``t``; ``entry`` is ignored).
    horizons : iterable of int
        Horizons ``h`` in bars.
    method : {"pearson", "spearman"}
        IC or Rank IC.
    entry : {"close", "next_open"}
        Entry price of bar labels (next open by default, as decisions trade).
    window : int
        Rolling window of a single-asset IC.

    Returns
    -------
    DataFrame
        Indexed by ``horizon``, columns ``mean, std, se, t_stat, icir, n`` from
        :func:`ic_summary` with ``overlap = h`` (``window + h - 1`` for one asset), so the
        standard errors account for the overlap of ``h``-bar labels.
    """
    hs = [int(h) for h in horizons]
    if not hs:
        raise ValueError("horizons is empty; expected at least one horizon in bars.")
    is_bars = isinstance(bars_or_returns, pd.DataFrame) and {"open", "close"} <= set(
        bars_or_returns.columns
    )
    rows = {}
    for h in hs:
        if is_bars:
            from alphafactory.labels import forward_returns

            labels = forward_returns(bars_or_returns, h, entry=entry)
        else:
            labels = forward_compounded(bars_or_returns, h)
        ic = information_coefficient(scores, labels, method, window=window)
        stats = ic_summary(ic)
        rows[h] = {name: getattr(stats, name) for name in stats.__slots__}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "horizon"
    return table


def quantile_returns(
    scores: pd.Series | pd.DataFrame,
    labels: pd.Series | pd.DataFrame,
    n_quantiles: int = 5,
) -> pd.DataFrame:
    """Mean label per score quantile at each timestamp, and the top-minus-bottom spread.

    At each timestamp the ``N_t`` symbols with both values get average ranks ``r`` of their
    scores (1 = lowest) and bucket ``q = floor((r - 1/2) * Q / N_t) + 1`` in ``1..Q``;
    ``q1 .. qQ`` are the mean labels per bucket and ``long_short = qQ - q1``. Timestamps with
    fewer than ``Q`` symbols are left out.

    Parameters
    ----------
    scores, labels : Series or DataFrame
        Panels indexed ``(timestamp, symbol)`` (or wide frames); labels are forward returns.
    n_quantiles : int
        ``Q >= 2``.

    Returns
    -------
    DataFrame
        ``[timestamps, Q + 1]``, columns ``q1 .. qQ, long_short``; ``.mean()`` gives the
        average return per quantile and the average long-short spread per period.
    """
    if int(n_quantiles) != n_quantiles or n_quantiles < 2:
        raise ValueError(f"n_quantiles must be an integer >= 2; got {n_quantiles!r}.")
    s, y = align(as_long(scores, "scores"), as_long(labels, "labels"))
    if not is_panel(s):
        raise ValueError(
            "quantile_returns is cross-sectional: expected panels indexed "
            f"{list(INDEX_NAMES)}; got one series. Use information_coefficient for one asset."
        )
    all_codes, all_stamps = pd.factorize(s.index.get_level_values("timestamp"))
    rank = group_rank(s.to_numpy(), all_codes)
    count = np.bincount(all_codes)[all_codes]
    keep = count >= n_quantiles
    if not keep.any():
        raise ValueError(
            f"no timestamp has at least n_quantiles={n_quantiles} symbols with a score and a label."
        )
    bucket = np.floor((rank[keep] - 0.5) * n_quantiles / count[keep]).astype(np.int64)
    codes, stamps = pd.factorize(all_stamps[all_codes[keep]])
    cell = codes * n_quantiles + bucket
    size = len(stamps) * n_quantiles
    total = np.bincount(cell, y.to_numpy()[keep], minlength=size)
    members = np.bincount(cell, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(members > 0, total / members, np.nan).reshape(len(stamps), n_quantiles)
    table = pd.DataFrame(
        means,
        index=pd.Index(stamps, name="timestamp"),
        columns=[f"q{q}" for q in range(1, n_quantiles + 1)],
    )
    table["long_short"] = table[f"q{n_quantiles}"] - table["q1"]
    return table
