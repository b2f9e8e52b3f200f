"""What a backtest returns: shares and cash from the compiled loop, the rest derived lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alphafactory import _engine
from alphafactory.backtest.costs import CostModel, CostParameters
from alphafactory.data.wide import Panel

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Row of each ledger series in the compiled loop's output (one source of truth: backtest.hpp).
LEDGER_ROWS: dict[str, int] = dict(_engine.BACKTEST_LEDGER_ROWS)
_CASH, _EQUITY = LEDGER_ROWS["cash"], LEDGER_ROWS["equity"]
_NOTIONAL, _LIMITED = LEDGER_ROWS["traded_notional"], LEDGER_ROWS["limited_notional"]
_COST_NAMES = ("spread", "impact", "commission", "borrow")
_COSTS = [LEDGER_ROWS[name] for name in _COST_NAMES]
#: Summary rows that describe a strategy still trading: NaN for a bankrupt run.
_UNDEFINED_WHEN_BANKRUPT = ["cagr", "annual_volatility", "sharpe", "sortino", "calmar",
                            "hit_rate", "psr", "deflated_sharpe"]


@dataclass(frozen=True, kw_only=True)
class BacktestResult:
    """Holdings and ledger of a backtest; frames are built on first access.

    Attributes
    ----------
    shares_array : ndarray
        ``[T, N]`` shares held after each bar.
    ledger : ndarray
        ``[LEDGER_ROWS["rows"], T]``: one series per row named in :data:`LEDGER_ROWS` (cash,
        equity, spread, impact, commission and borrow costs, traded notional, notional cut by
        the leverage limit, and the input ranges the loop read).
    """

    market: Panel
    shares_array: np.ndarray = field(repr=False)
    ledger: np.ndarray = field(repr=False)
    exec_price: np.ndarray = field(repr=False)
    target_array: np.ndarray = field(repr=False)
    lag: int
    execution: str
    initial_cash: float
    cost_model: CostModel
    cost_parameters: CostParameters = field(repr=False)
    periods_per_year: float

    @cached_property
    def bankrupt_at(self) -> pd.Timestamp | None:
        """The bar at which equity reached 0 or less (None if it never did).

        From that bar on every position is closed, cash and equity are 0 and nothing trades:
        the loop never carries negative equity (see :func:`~alphafactory.backtest.backtest`).
        """
        hit = np.flatnonzero(self.ledger[_EQUITY] <= 0.0)
        return self.market.timestamps[hit[0]] if len(hit) else None

    def _previous_equity(self) -> np.ndarray:
        """Equity at the previous close (initial cash first); NaN after a bankruptcy, so the
        ratios of the bars after it are NaN, not 0 / 0."""
        previous = np.concatenate([[self.initial_cash], self.ledger[_EQUITY][:-1]])
        return np.where(previous > 0.0, previous, np.nan)

    def _series(self, row: int, name: str) -> pd.Series:
        return pd.Series(self.ledger[row], index=self.market.timestamps, name=name)

    @cached_property
    def equity(self) -> pd.Series:
        """Cash plus positions at the close of each bar, currency."""
        return self._series(_EQUITY, "equity")

    @cached_property
    def cash(self) -> pd.Series:
        """Cash after each bar (negative when levered), currency."""
        return self._series(_CASH, "cash")

    @cached_property
    def returns(self) -> pd.Series:
        """Net simple returns per bar: ``equity[t] / equity[t-1] - 1`` (``equity[-1]`` = cash).

        The bankruptcy bar's return is -1; the bars after it have none (NaN)."""
        equity = self.ledger[_EQUITY]
        return pd.Series(equity / self._previous_equity() - 1.0, index=self.market.timestamps,
                         name="returns")

    @cached_property
    def gross_returns(self) -> pd.Series:
        """Returns before costs: the bar's costs (spread, impact, commission, borrow) added back."""
        equity = self.ledger[_EQUITY]
        costs = self.ledger[_COSTS].sum(axis=0)
        gross = (equity + costs) / self._previous_equity() - 1.0
        return pd.Series(gross, index=self.market.timestamps, name="gross_returns")

    @cached_property
    def costs(self) -> pd.DataFrame:
        """Costs paid per bar, currency: columns spread, impact, commission, borrow."""
        return pd.DataFrame(
            self.ledger[_COSTS].T, index=self.market.timestamps, columns=list(_COST_NAMES)
        )

    @cached_property
    def limited_notional(self) -> pd.Series:
        """Notional per bar of the order parts the leverage limit did not execute, currency."""
        return self._series(_LIMITED, "limited_notional")

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Shares held after each bar, ``T x N``."""
        return self.market.frame(self.shares_array)

    @cached_property
    def position_values(self) -> pd.DataFrame:
        """Market value of each position at the close (last price where none), ``T x N``."""
        last = pd.DataFrame(self.market.close).ffill().to_numpy()
        return self.market.frame(np.nan_to_num(self.shares_array * last))

    @cached_property
    def weights(self) -> pd.DataFrame:
        """Realized weights: position value / equity at each close, ``T x N`` (0 once bankrupt:
        nothing is held)."""
        equity = self.equity.where(self.equity > 0.0, np.inf)
        return self.position_values.div(equity, axis=0)

    @cached_property
    def exposure(self) -> pd.DataFrame:
        """Gross, net, long and short exposure as fractions of equity."""
        w = self.weights.to_numpy()
        long = np.where(w > 0, w, 0.0).sum(axis=1)
        short = np.where(w < 0, w, 0.0).sum(axis=1)
        return pd.DataFrame(
            {"gross": long - short, "net": long + short, "long": long, "short": short},
            index=self.market.timestamps,
        )

    @cached_property
    def turnover(self) -> pd.Series:
        """One-sided turnover per bar: traded notional / equity at the previous close."""
        return pd.Series(self.ledger[_NOTIONAL] / self._previous_equity(),
                         index=self.market.timestamps, name="turnover")

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Every order filled: timestamp, symbol, shares (signed), price, notional, costs."""
        shares = self.shares_array
        delta = np.diff(shares, axis=0, prepend=np.zeros((1, shares.shape[1])))
        t, i = np.nonzero(delta)
        q = delta[t, i]
        price = self.exec_price[t, i]
        params = self.cost_parameters
        half = _at(params.half_spread, t, i)
        coef = _at(params.impact_coef, t, i)
        notional = np.abs(q) * price
        fee = params.commission_per_share * np.abs(q) + params.commission_bps * 1e-4 * notional
        return pd.DataFrame(
            {
                "timestamp": self.market.timestamps[t],
                "symbol": self.market.symbols[i],
                "shares": q,
                "price": price,
                "notional": notional,
                "spread": notional * half,
                "impact": notional * coef * np.abs(q) ** params.impact_exponent,
                "commission": np.maximum(params.commission_min, fee),
            }
        )

    def summary(self, *, n_trials: int = 1) -> pd.Series:
        """Performance metrics of the net returns plus the backtest's own totals.

        The rows of :func:`alphafactory.evaluation.summary` on the net returns (``sharpe``,
        ``max_drawdown``, ``total_return``, ...), then: ``final_equity``, ``gross_total_return``,
        ``traded_notional``, the costs paid (currency: ``spread_cost``, ``impact_cost``,
        ``commission_cost``, ``borrow_cost``; ``cost_bps_of_traded`` is spread + impact +
        commission per traded notional), ``limited_notional`` (what the leverage limit cut),
        ``mean_turnover`` (one-sided, traded notional / previous equity) and
        ``mean_gross_exposure``, and ``bankrupt`` (1.0 if equity reached 0, else 0.0).

        A bankrupt run's ``total_return`` is -1 and its ``max_drawdown`` -1; the ratios that
        would describe a strategy still trading (``sharpe``, ``sortino``, ``calmar``, ``cagr``,
        ``annual_volatility``, ``psr``, ``deflated_sharpe``, ``hit_rate``) are NaN: a number
        computed from the bars before the loss would lie about it.

        Returns
        -------
        Series
            Float values indexed by metric name (index ``metric``), named ``value``.
        """
        from alphafactory.evaluation import summary as performance_summary

        bankrupt = self.bankrupt_at is not None
        table = performance_summary(
            self.returns.dropna(), periods_per_year=self.periods_per_year, n_trials=n_trials
        )
        if bankrupt:
            table.loc[table.index.intersection(_UNDEFINED_WHEN_BANKRUPT), "value"] = np.nan
            table.loc["total_return", "value"] = -1.0
            table.loc["max_drawdown", "value"] = -1.0
        traded = float(self.ledger[_NOTIONAL].sum())
        totals = self.costs.sum()
        trading = float(totals[["spread", "impact", "commission"]].sum())
        extra: dict[str, float] = {
            "final_equity": float(self.ledger[_EQUITY][-1]),
            "gross_total_return": float(np.nanprod(1.0 + self.gross_returns.to_numpy()) - 1.0),
            "traded_notional": traded,
            **{f"{kind}_cost": float(value) for kind, value in totals.items()},
            "cost_bps_of_traded": trading / traded * 1e4 if traded > 0 else 0.0,
            "limited_notional": float(self.ledger[_LIMITED].sum()),
            "mean_turnover": float(self.turnover.mean()),
            "mean_gross_exposure": float(self.exposure["gross"].mean()),
            "bankrupt": float(bankrupt),
        }
        values = pd.concat([table["value"], pd.Series(extra, dtype=np.float64)])
        values.index = pd.Index(list(values.index), name="metric", dtype=object)
        return values.rename("value")

    def figure(self, *, rolling_window: int = 63, title: str = "Backtest") -> go.Figure:
        """Plotly tearsheet: equity, drawdown, rolling Sharpe and exposure."""
        from alphafactory.backtest.report import tearsheet

        return tearsheet(self, rolling_window=rolling_window, title=title)

    def to_html(self, path: str | Path, **figure_options: Any) -> Path:
        """Write the tearsheet and the summary table to a standalone HTML file."""
        from alphafactory.backtest.report import write_html

        return write_html(self, Path(path), **figure_options)


def _at(value: np.ndarray | float, t: np.ndarray, i: np.ndarray) -> np.ndarray | float:
    return value[t, i] if np.ndim(value) == 2 else float(value)  # type: ignore[index]
