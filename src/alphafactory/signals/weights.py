"""From scores to target weights, row by row (a row is the decision at the close of its bar).

Every function takes a wide ``T x N`` frame of scores (index timestamps, one column a symbol) and
returns a wide frame of target weights of the same shape. A row is a *decision*: finite weights
for every symbol (0 = hold none). A row that is all NaN means *no decision* (hold what you have),
which is what a bar without any score, or a bar between rebalances, gives. Every output row t
depends only on score rows <= t (and prices <= t), so a decision uses only what is known at the
close of t.

A ``universe`` mask (bool ``T x N``; see :func:`universe_from_prices`) removes symbols that are
not tradable at t before ranking: a symbol without a price is never given a weight.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError

_CAP_ITERATIONS = 64


class UninformativeScoresWarning(UserWarning):
    """Rows of scores that cannot rank names (all equal, or too few names) took no position."""


def universe_from_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Return the tradable mask: True where a symbol has a finite, positive price at t."""
    values = prices.to_numpy(dtype=np.float64)
    mask = np.isfinite(values) & (values > 0)
    return pd.DataFrame(mask, index=prices.index, columns=prices.columns)


def top_bottom_k(
    scores: pd.DataFrame,
    k_long: int,
    k_short: int = 0,
    *,
    gross: float = 1.0,
    universe: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Equal-weight the ``k_long`` highest and ``k_short`` lowest scores of each row.

    With both legs the portfolio is dollar neutral: the long leg sums to ``gross / 2`` and the
    short leg to ``-gross / 2``; long only (``k_short=0``), the long leg sums to ``gross``. A row
    with fewer than ``k_long + k_short`` valid names shrinks both legs to fit. Names that are
    neither long nor short get 0.

    Ties are ties, never broken by column order: names with equal scores that straddle a leg's
    cut share the places left in the leg equally (k = 2 on scores ``3, 2, 2, 1`` puts a full
    place on the 3 and half a place on each 2), so the leg keeps its total and equal scores get
    equal weights. A tied group that reaches into both legs nets out. A row whose finite scores
    are all equal (two names or more), and a long-short row with fewer than two names, take no
    position: one :class:`UninformativeScoresWarning` per call counts them.
    """
    _check_count("k_long", k_long, 0)
    _check_count("k_short", k_short, 0)
    if k_long + k_short == 0:
        raise ConfigError(f"k_long and k_short must not both be 0, got {k_long}, {k_short}.")
    _check_gross(gross)
    values, decision = _masked_scores(scores, universe)
    valid = np.isfinite(values)
    n_valid = valid.sum(axis=1)
    total = k_long + k_short
    scale = np.minimum(1.0, n_valid / total)
    n_long = np.floor(k_long * scale).astype(np.int64)
    n_short = np.floor(k_short * scale).astype(np.int64)
    # Each name's tied group occupies places [start, end) of the descending order.
    frame = pd.DataFrame(values)
    start = frame.rank(axis=1, method="min", ascending=False).to_numpy() - 1.0
    end = frame.rank(axis=1, method="max", ascending=False).to_numpy()
    size = end - start
    with np.errstate(divide="ignore", invalid="ignore"):
        in_long = np.clip((n_long[:, None] - start) / size, 0.0, 1.0)
        in_short = np.clip((n_short[:, None] - (n_valid[:, None] - end)) / size, 0.0, 1.0)
    both = k_short > 0
    long_total = gross / 2 if both else gross
    weights = np.zeros_like(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights += np.where(valid & (in_long > 0), long_total / n_long[:, None] * in_long, 0.0)
        weights -= np.where(valid & (in_short > 0), (gross / 2) / n_short[:, None] * in_short,
                            0.0)
    _drop_uninformative(weights, values, decision, both, "top_bottom_k")
    return _frame(weights, decision, scores)


def quantile_long_short(
    scores: pd.DataFrame,
    quantiles: int = 5,
    *,
    gross: float = 1.0,
    long_only: bool = False,
    universe: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long the top quantile and short the bottom quantile of each row, equal weights.

    Names are bucketed by cross-sectional percentile rank ``(rank - 1) / n`` into ``quantiles``
    buckets. Long-short rows are dollar neutral with legs of ``gross / 2``; ``long_only`` puts
    ``gross`` on the top bucket.

    Ties are ties, never broken by column order: tied names share their average rank, so a tied
    group falls in one bucket as a whole. A row whose finite scores are all equal, or that has
    fewer than two names, takes no position: one :class:`UninformativeScoresWarning` per call
    counts them.
    """
    _check_count("quantiles", quantiles, 2)
    _check_gross(gross)
    values, decision = _masked_scores(scores, universe)
    ranks = pd.DataFrame(values).rank(axis=1, method="average").to_numpy()
    n_valid = np.isfinite(values).sum(axis=1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        bucket = np.floor((ranks - 1) / n_valid * quantiles)
    top = bucket == quantiles - 1
    bottom = (bucket == 0) & ~long_only
    n_top = top.sum(axis=1)[:, None]
    n_bottom = bottom.sum(axis=1)[:, None]
    long_total = gross if long_only else gross / 2
    weights = np.zeros_like(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights += np.where(top, long_total / n_top, 0.0)
        weights -= np.where(bottom, (gross / 2) / n_bottom, 0.0)
    _drop_uninformative(weights, values, decision, True, "quantile_long_short")
    return _frame(weights, decision, scores)


def score_proportional(
    scores: pd.DataFrame,
    *,
    gross: float = 1.0,
    max_net: float | None = None,
    max_weight: float | None = None,
    demean: bool = True,
    universe: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Weights proportional to (demeaned) scores, within gross, net and per-name limits.

    Each row is scaled so that ``sum |w| = gross``; a name above ``max_weight`` in absolute value
    is capped and the excess is spread over the uncapped names of the same side (water filling,
    so each side keeps its total where the cap allows); then, if ``|sum w| > max_net``, the larger
    side is scaled down until the net equals ``max_net`` (gross only decreases).
    """
    _check_gross(gross)
    if max_weight is not None:
        _check_real("max_weight", max_weight, "a finite number > 0", low=0.0, open_low=True)
    if max_net is not None:
        _check_real("max_net", max_net, "a finite number >= 0", low=0.0)
    values, decision = _masked_scores(scores, universe)
    valid = np.isfinite(values)
    raw = np.where(valid, values, 0.0)
    if demean:
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = raw.sum(axis=1, keepdims=True) / valid.sum(axis=1, keepdims=True)
        raw = np.where(valid, raw - np.nan_to_num(mean), 0.0)
    norm = np.abs(raw).sum(axis=1, keepdims=True)
    weights = np.divide(raw * gross, norm, out=np.zeros_like(raw), where=norm > 0)
    if max_weight is not None:
        weights = _cap_per_side(weights, max_weight)
    if max_net is not None:
        long_sum = np.where(weights > 0, weights, 0.0).sum(axis=1, keepdims=True)
        short_sum = -np.where(weights < 0, weights, 0.0).sum(axis=1, keepdims=True)
        net = long_sum - short_sum
        with np.errstate(divide="ignore", invalid="ignore"):
            long_scale = np.where(net > max_net, (short_sum + max_net) / long_sum, 1.0)
            short_scale = np.where(-net > max_net, (long_sum + max_net) / short_sum, 1.0)
        weights = np.where(weights > 0, weights * long_scale, weights * short_scale)
    return _frame(weights, decision, scores)


def threshold_long_flat(
    scores: pd.DataFrame,
    *,
    enter: float,
    exit: float | None = None,
    gross: float = 1.0,
    universe: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long (equal weight, summing to ``gross``) where the score is above ``enter``, else flat.

    With ``exit < enter`` a name entered stays long until its score falls below ``exit``
    (hysteresis); the state at t depends only on scores <= t. A name without a score at t is flat.
    """
    _check_real("enter (the threshold)", enter, "a finite number")
    exit = enter if exit is None else exit
    _check_real("exit", exit, "a finite number")
    _check_gross(gross)
    if exit > enter:
        raise ConfigError(f"exit ({exit}) must be <= enter ({enter}).")
    values, decision = _masked_scores(scores, universe)
    state = np.where(values > enter, 1.0, np.where(values < exit, 0.0, np.nan))
    state = np.where(np.isfinite(values), state, 0.0)
    held = pd.DataFrame(state).ffill().fillna(0.0).to_numpy()
    count = held.sum(axis=1, keepdims=True)
    weights = np.divide(held * gross, count, out=np.zeros_like(held), where=count > 0)
    return _frame(weights, decision, scores)


def vol_target(
    weights: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    target_vol: float = 0.10,
    lookback: int = 20,
    periods_per_year: float = 252.0,
    max_leverage: float = 2.0,
) -> pd.DataFrame:
    """Scale each decision row so the strategy's trailing realized volatility hits ``target_vol``.

    The strategy's close-to-close returns are ``r_p[s] = sum_i w[s-1, i] * r[s, i]`` with the
    weights held since the last decision; the scale at t is
    ``target_vol / (std(r_p[t-lookback+1 .. t]) * sqrt(periods_per_year))``, capped at
    ``max_leverage`` and 1 until ``lookback`` returns exist. Uses only prices and weights <= t.
    """
    _check_real("target_vol", target_vol, "a finite number > 0", low=0.0, open_low=True)
    _check_count("lookback", lookback, 2)
    _check_real("periods_per_year", periods_per_year, "a finite number > 0", low=0.0,
                open_low=True)
    _check_real("max_leverage", max_leverage, "a finite number > 0", low=0.0, open_low=True)
    prices = prices.reindex(index=weights.index, columns=weights.columns)
    held = weights.ffill().fillna(0.0).to_numpy(dtype=np.float64)
    px = prices.ffill().to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = np.nan_to_num(px[1:] / px[:-1] - 1.0)
    strat = np.concatenate([[np.nan], (held[:-1] * returns).sum(axis=1)])
    realized = pd.Series(strat).rolling(lookback).std().to_numpy() * np.sqrt(periods_per_year)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(realized > 0, target_vol / realized, np.nan)
    scale = np.minimum(np.nan_to_num(scale, nan=1.0), max_leverage)
    out = weights.to_numpy(dtype=np.float64) * scale[:, None]
    return pd.DataFrame(out, index=weights.index, columns=weights.columns)


def rebalance_every(weights: pd.DataFrame, every: int | str) -> pd.DataFrame:
    """Keep decisions only on rebalance bars; other rows become NaN (hold).

    Parameters
    ----------
    every : int or str
        An integer k keeps rows 0, k, 2k, ...; a pandas period alias (``"W"``, ``"M"``, ``"Q"``)
        keeps the first bar of each period, a bar whose own timestamp shows the new period, so
        the choice needs nothing from later bars.
    """
    n = len(weights)
    if isinstance(every, (int, np.integer)) and not isinstance(every, bool):
        _check_count("rebalance", every, 1)
        keep = np.arange(n) % every == 0
    elif isinstance(every, str):
        index = pd.DatetimeIndex(weights.index)
        naive = index.tz_convert(None) if index.tz is not None else index
        try:
            periods = naive.to_period(every).asi8
        except (ValueError, TypeError):
            raise ConfigError(f"rebalance must be an integer >= 1 bar or a period alias like "
                              f"'W', 'M' or 'Q', got {every!r}.") from None
        keep = np.ones(n, dtype=bool)
        keep[1:] = periods[1:] != periods[:-1]
    else:
        raise ConfigError(f"rebalance must be an integer >= 1 bar or a period alias like 'W', "
                          f"got {every!r}.")
    out = weights.to_numpy(dtype=np.float64, copy=True)
    out[~keep] = np.nan
    return pd.DataFrame(out, index=weights.index, columns=weights.columns)


def _check_count(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(f"{name} must be an integer >= {least}, got {value!r}.")


def _check_real(name: str, value: object, rule: str, *, low: float = -np.inf,
                open_low: bool = False) -> None:
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    if ok:
        number = float(value)  # type: ignore[arg-type]
        ok = np.isfinite(number) and (number > low if open_low else number >= low)
    if not ok:
        raise ConfigError(f"{name} must be {rule}, got {value!r}.")


def _check_gross(gross: object) -> None:
    if not isinstance(gross, (int, float, np.number)) or not 0 < gross < np.inf:  # type: ignore[operator]
        raise ConfigError(f"gross must be a finite number > 0, got {gross!r}.")


def _drop_uninformative(
    weights: np.ndarray, values: np.ndarray, decision: np.ndarray, two_legs: bool, what: str
) -> None:
    """Zero the decision rows that cannot rank names, in place, and warn once counting them.

    A row whose finite scores (two or more) are all equal ranks nothing; a row with one name
    cannot fill two legs (``two_legs``).
    """
    valid = np.isfinite(values)
    n_valid = valid.sum(axis=1)
    highest = np.where(valid, values, -np.inf).max(axis=1, initial=-np.inf)
    lowest = np.where(valid, values, np.inf).min(axis=1, initial=np.inf)
    constant = decision & (n_valid >= 2) & (highest == lowest)
    alone = decision & (n_valid < 2) if two_legs else np.zeros_like(decision)
    if not (constant.any() or alone.any()):
        return
    weights[constant | alone] = 0.0
    parts = []
    if constant.any():
        parts.append(f"{int(constant.sum())} with all scores equal (ties are ties)")
    if alone.any():
        parts.append(f"{int(alone.sum())} with fewer than 2 scored names (a long-short rule "
                     "needs >= 2 names)")
    warnings.warn(f"{what}: no position on {' and '.join(parts)} of {int(decision.sum())} "
                  f"decision bars", UninformativeScoresWarning, stacklevel=3)


def _masked_scores(
    scores: pd.DataFrame, universe: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a wide T x N DataFrame, got {type(scores).__name__}.")
    values = scores.to_numpy(dtype=np.float64, copy=True)
    values[~np.isfinite(values)] = np.nan
    if universe is not None:
        mask = universe.reindex(index=scores.index, columns=scores.columns)
        values[~mask.fillna(False).to_numpy(dtype=bool)] = np.nan
    decision = np.isfinite(values).any(axis=1)
    return values, decision


def _cap_per_side(weights: np.ndarray, cap: float) -> np.ndarray:
    out = weights.copy()
    for sign in (1.0, -1.0):
        side = np.where(sign * out > 0, sign * out, 0.0)
        target = side.sum(axis=1, keepdims=True)
        for _ in range(_CAP_ITERATIONS):
            side = np.minimum(side, cap)
            deficit = target - side.sum(axis=1, keepdims=True)
            free = (side > 0) & (side < cap)
            free_sum = np.where(free, side, 0.0).sum(axis=1, keepdims=True)
            grow = (deficit > 1e-15) & (free_sum > 0)
            if not grow.any():
                break
            factor = np.divide(deficit, free_sum, out=np.zeros_like(deficit), where=grow)
            side = side + np.where(free, side * factor, 0.0)
        out = np.where(sign * out > 0, sign * side, out)
    return out


def _frame(weights: np.ndarray, decision: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
    weights = np.where(decision[:, None], np.nan_to_num(weights), np.nan)
    return pd.DataFrame(weights, index=like.index, columns=like.columns)
