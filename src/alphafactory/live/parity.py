"""Live versus backtest: the vectorized backtest of what a bot traded, beside its stored equity.

:func:`backtest_of_store` reads a bot's trading store (the trading file its session was opened
from, the ``trading_file`` control flag, and the scores of each stored decision), loads the
same bars as :func:`~alphafactory.live.session.open_session`, and backtests the rule, costs,
cash and risk manager of that file on those scores. The bot sizes and fills with the
backtest's own code, so with ``sizing = "next_open"`` on a paper session the two equity curves
agree to rounding; any gap is execution: fills, partial fills, rejects, the kill switch, or
``sizing = "last"`` (orders sized from the last close instead of the next open).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from alphafactory.backtest import BacktestResult, backtest, market_from, risk_managed_backtest
from alphafactory.data import load_bars
from alphafactory.errors import AlphaFactoryError, ConfigError, DataError
from alphafactory.live.config import TradingConfig
from alphafactory.live.session import TRADING_FILE
from alphafactory.live.store import TradingStore
from alphafactory.portfolio import weights_from_scores
from alphafactory.risk import interventions_frame

__all__ = ["StoreBacktest", "backtest_of_store", "store_label"]


@dataclass(frozen=True, kw_only=True)
class StoreBacktest:
    """The backtest of a bot's stored decisions, aligned on its stored equity.

    Attributes
    ----------
    bot : str
    config : TradingConfig
        The trading file the bot's session was opened from.
    result : BacktestResult
        The vectorized (or risk-managed) backtest over the traded bars.
    interventions : DataFrame
        The backtest's risk interventions (:data:`alphafactory.risk.INTERVENTION_COLUMNS`;
        empty without ``[[risk]]``): which limit acted and why, which the store does not keep.
    equity : DataFrame
        Indexed by the stored equity's timestamps (one per decision, at its bar's close):
        ``live`` (stored equity), ``backtest`` (the backtest's equity at that close; NaN for a
        bar outside the loaded data) and ``gap`` (``live / backtest - 1``).
    """

    bot: str
    config: TradingConfig
    result: BacktestResult
    interventions: pd.DataFrame
    equity: pd.DataFrame

    @property
    def max_gap(self) -> float:
        """The largest absolute relative gap between live and backtest equity (NaN: none)."""
        gap = self.equity["gap"].to_numpy(dtype="float64")
        gap = np.abs(gap[np.isfinite(gap)])
        return float(gap.max()) if gap.size else float("nan")


def store_label(url: str) -> str:
    """A store's URL as it may be shown (the password hidden)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def trading_config_of(store: TradingStore, bot: str) -> TradingConfig:
    """The trading file the session of ``bot`` was opened from (its ``trading_file`` flag)."""
    where = f"bot {bot!r} in {store_label(store.url)}"
    text = store.flag(bot, TRADING_FILE)
    if text is None:
        raise ConfigError(f"{where}: no trading file stored (the {TRADING_FILE!r} flag, "
                          "written when `alphafactory trade run` opens a session).")
    try:
        return TradingConfig.from_mapping(json.loads(text))
    except ValueError as exc:  # ConfigError and a corrupt JSON document alike
        raise ConfigError(f"{where}: the stored trading file does not parse: {exc}") from None


def backtest_of_store(store: TradingStore, bot: str) -> StoreBacktest:
    """Backtest the rule, costs and risk of ``bot``'s trading file on its stored scores.

    The bars are those ``open_session`` traded: the file's ``[bot] data`` loaded again, from
    ``history`` bars before the bar of the first stored decision, traded from that bar (for a
    replay, the data's last ``history + bars`` timestamps, as the session took them). The weights
    are ``weights_from_scores`` over the scores each stored decision recorded (with the
    file's ``rebalance``, and the closes when the rule needs prices), backtested with the
    file's cost model, cash, leverage and share rounding (``risk_managed_backtest`` when the
    file has ``[[risk]]``). Taking the stored scores rather than scoring again isolates
    execution (sizing, fills, costs) from scoring: a model swapped mid-session, a scorer
    that is not reproducible or an artifact since deleted make no difference.

    Parameters
    ----------
    store : TradingStore
    bot : str
        The bot's name in ``store``.

    Returns
    -------
    StoreBacktest

    Raises
    ------
    ConfigError
        If the store holds no trading file for ``bot``, or one that does not parse.
    DataError
        If the file's bars cannot be loaded, or do not hold the bar of the first decision.
    ValueError
        If ``bot`` has no decisions in ``store``.
    """
    where = f"bot {bot!r} in {store_label(store.url)}"
    config = trading_config_of(store, bot)
    decisions = store.decisions(bot)
    if not decisions:
        raise ValueError(f"{where}: no decisions stored yet.")
    b = config.bot
    try:
        bars = load_bars(b.data)
    except (AlphaFactoryError, OSError, ImportError) as exc:
        raise DataError(f"{where}: cannot load its bars {b.data!r}: {exc}") from None
    # open_session's window: `history` bars before the first traded one, which is the first
    # decision's bar. Anchored on the decision, not on the data's end, so a data file that
    # has grown since (or a feed that ran past it) still backtests the bars that were traded.
    stamps = pd.DatetimeIndex(bars.index.get_level_values(0).unique())
    first = decisions[0]["ts"]
    at = int(stamps.searchsorted(first))
    if at == len(stamps) or stamps[at] != first:
        raise DataError(f"{where}: its bars {b.data!r} do not hold the bar of its first "
                        f"decision ({first}).")
    level = bars.index.get_level_values(0)
    window = bars[level >= stamps[max(at - b.history, 0)]]
    traded = window[window.index.get_level_values(0) >= first]
    market = market_from(window)
    symbols = [str(s) for s in market.symbols]
    closes = pd.DataFrame(market.close, index=market.timestamps, columns=symbols)
    scores = pd.DataFrame([d["scores"] for d in decisions], columns=symbols, dtype="float64",
                          index=pd.DatetimeIndex([d["ts"] for d in decisions]))
    weights = weights_from_scores(scores, config.rule, rebalance=b.rebalance,
                                  prices=closes if config.rule.needs_prices else None)
    options: dict[str, Any] = {"cost": config.costs.model(), "cash": b.cash,
                               "max_leverage": b.max_leverage, "whole_shares": b.whole_shares}
    if config.risk is not None:
        managed = risk_managed_backtest(traded, weights, risk=config.risk, **options)
        result, interventions = managed.result, managed.interventions
    else:
        result, interventions = backtest(traded, weights, **options), interventions_frame(())
    live = store.equity(bot)["equity"]
    expected = result.equity.reindex(live.index)
    equity = pd.DataFrame({"live": live, "backtest": expected, "gap": live / expected - 1.0})
    return StoreBacktest(bot=bot, config=config, result=result, interventions=interventions,
                         equity=equity)
