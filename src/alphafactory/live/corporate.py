"""Corporate actions in the trading loop: the scorer sees one adjusted price series while the
bot sizes and the broker trades raw prices.

A bot's history is adjusted as of when it was loaded (a yfinance download, the bundled data);
the bars a broker session appends afterwards are raw (Alpaca's trades). When a split or a
dividend goes ex after the history's last bar, every bar before the ex-date must be rescaled or
the features see a false jump. :class:`AdjustingScorer` wraps the bot's scorer: before each
decision it back-adjusts the tail with the actions whose ex-date is after the history
(``since``) and on or before the decision's bar
(:func:`~alphafactory.data.corporate_actions.adjust_bars` with ``as_of``, yfinance's
``auto_adjust`` convention), and reloads the actions once a day of bars has passed, so an action
announced during the session is used from its ex-date on. The bot's own bars stay raw: the
sizing prices are the broker's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from alphafactory.data.corporate_actions import CorporateActions, adjust_bars
from alphafactory.live.config import TradingConfig
from alphafactory.live.scorers import Scorer

__all__ = ["AdjustingScorer", "actions_loader", "adjusted_scorer", "adjusting_scorer"]

log = logging.getLogger("alphafactory.live")
Loader = Callable[[pd.Timestamp], CorporateActions]
DAY = pd.Timedelta(days=1)


class AdjustingScorer:
    """``scorer`` on bars adjusted for the corporate actions after ``since`` (see the module).

    Parameters
    ----------
    scorer : Scorer
        The model or model-free score; its ``version`` and ``swap`` pass through.
    load : callable
        ``load(now) -> CorporateActions``: the actions known at ``now`` (a CSV, yfinance or
        Alpaca, :func:`actions_loader`).
    since : Timestamp
        The last bar of the (already adjusted) history: only later ex-dates are applied.
    refresh : Timedelta
        Reload the actions when the bars have moved on this much since the last load.
    """

    def __init__(self, scorer: Scorer, load: Loader, *, since: pd.Timestamp,
                 refresh: pd.Timedelta = DAY) -> None:
        self.scorer, self._load, self.refresh = scorer, load, pd.Timedelta(refresh)
        self.since = pd.Timestamp(since)
        self._actions: CorporateActions | None = None
        self._loaded_at: pd.Timestamp | None = None
        self.applied = 0  # actions used by the last call (for logs and tests)

    @property
    def warmup(self) -> int:
        return self.scorer.warmup

    @property
    def version(self) -> str | None:
        return getattr(self.scorer, "version", None)

    def swap(self, path: Path, version: str) -> None:
        self.scorer.swap(path, version)  # type: ignore[attr-defined]

    def actions(self, now: pd.Timestamp) -> CorporateActions:
        """The actions after ``since`` known at ``now`` (reloaded once ``refresh`` passed)."""
        if self._loaded_at is None or now - self._loaded_at >= self.refresh:
            self._actions = self._load(now)
            self._loaded_at = now
        assert self._actions is not None
        after = self._actions.between(self.since + pd.Timedelta(days=1))
        return after.known_at(now)

    def __call__(self, bars: pd.DataFrame) -> pd.Series:
        now = pd.Timestamp(bars.index.get_level_values(0).max())
        actions = self.actions(now)
        self.applied = len(actions)
        if not len(actions):
            return self.scorer(bars)
        return self.scorer(adjust_bars(bars, actions, as_of=now))


def actions_loader(source: str, symbols: tuple[str, ...], start: pd.Timestamp, *,
                   key_id: str | None = None, secret_key: str | None = None,
                   alpaca_url: str | None = None) -> Loader:
    """A loader of the actions of ``symbols`` from ``source`` (``"yfinance"``, ``"alpaca"`` or
    a ``symbol,ex_date,split,dividend`` CSV), ex-dates from ``start`` on."""
    from alphafactory.feeds.corporate_actions import load_corporate_actions

    def load(now: pd.Timestamp) -> CorporateActions:
        found = load_corporate_actions(source, list(symbols), start=start,
                                       key_id=key_id, secret_key=secret_key,
                                       alpaca_url=alpaca_url)
        log.info("corporate actions from %s: %d for %d symbols", source, len(found),
                 len(found.symbols))
        return found

    return load


def adjusted_scorer(scorer: Scorer, source: str | None, symbols: tuple[str, ...],
                    since: pd.Timestamp, *, key_id: str | None = None,
                    secret_key: str | None = None, alpaca_url: str | None = None) -> Scorer:
    """``scorer`` wrapped in an :class:`AdjustingScorer` on ``source`` (``[bot]
    corporate_actions``), or as it is when there is no source."""
    if source is None:
        return scorer
    load = actions_loader(source, symbols, since, key_id=key_id, secret_key=secret_key,
                          alpaca_url=alpaca_url)
    return AdjustingScorer(scorer, load, since=since)


def adjusting_scorer(config: TradingConfig, scorer: Scorer, history: pd.DataFrame) -> Scorer:
    """The scorer on bars adjusted for corporate actions after the history (``[bot]
    corporate_actions``): the feed's raw bars and the adjusted history make one series."""
    source = config.bot.corporate_actions
    if source is None:
        return scorer
    symbols = tuple(str(s) for s in history.index.get_level_values(1).unique())
    since = pd.Timestamp(history.index.get_level_values(0).max())
    keys: dict[str, str | None] = {}
    if source == "alpaca":
        from alphafactory.live.brokers import AlpacaCredentials

        a = config.alpaca
        creds = AlpacaCredentials.resolve(None if a.keys is None else Path(a.keys).expanduser())
        keys = {"key_id": creds.key_id, "secret_key": creds.secret_key,
                "alpaca_url": a.data_url}
    return adjusted_scorer(scorer, source, symbols, since, **keys)
