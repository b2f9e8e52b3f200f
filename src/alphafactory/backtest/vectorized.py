"""Vectorized target-weight backtest: Python validates, the compiled loop does the bars.

Accounting convention (the one of the common target-percent backtesters)
------------------------------------------------------------------------
* Row t of ``weights`` is the decision taken at the close of bar t. ``execution="next_open"``
  (default) trades it at the open of t+1, ``"next_close"`` at the close of t+1, and ``"close"``
  at the close of t itself: only right for weights that are already lagged or exogenous, since
  a score computed from bar t's close could not have traded at that close.
* A row that is all NaN is *no decision* (hold). In a decision row, NaN means weight 0.
* At each rebalance the portfolio value V is taken at the execution prices before trading
  (last known price for a symbol that has none); every order is sized from that same V to
  reach ``w * V / price`` shares (fractional by default, truncated toward zero with
  ``whole_shares``). Costs are paid from cash.
* Cash: orders are sized so that cash after costs is not negative, unless leverage is allowed
  with ``max_leverage``. The rule, at the execution prices: gross exposure (long plus short
  market value) may not exceed ``max_leverage`` times equity (cash plus positions, after the
  costs paid so far). A short sale credits its proceeds to cash but counts in gross exposure,
  so with ``max_leverage=1`` (the default) long plus short value stays within equity and cash
  after costs stays >= 0 (it is >= 2 x the short value); ``max_leverage=2`` allows, e.g., 200%
  long on borrowed cash, or 100/100 long-short. Within a rebalance, orders that free room (sells
  of longs, covers of shorts) execute first and in full; then the others in ascending order
  value, as vectorbt's ``call_seq="auto"`` does, each shrunk to the largest size that fits with
  its costs (whole shares rounded down; dropped when none fits, or when less than 1e-9 currency
  would trade). A shrunk order is not retried (only the part beyond ``participation_cap`` is).
  There is no margin call: positions that prices push beyond the limit are kept, orders that
  free room still execute in full (so covering a short that rose more than its proceeds can
  take cash below 0), and no order adds exposure until there is room. ``result.limited_notional``
  is the notional the limit cut. No interest is charged on borrowed cash. An order shrunk to fit
  exactly leaves cash at 0 to rounding (about 1e-16 of the traded notional).
* A symbol without a price at the execution bar (before listing, after delisting, a gap) is not
  traded; its position is valued at its last price.
* Short positions pay ``borrow_bps`` a year, charged each bar on their market value at the close
  (``borrow_bps / 1e4 / periods_per_year`` per bar).
* ``participation_cap`` limits an order to that fraction of the bar's volume; the rest is carried
  (retried next bar toward the same weight, until a new decision) or dropped (``unfilled``).
* Equity at bar t is cash plus positions at the close of t (last price where t has none).
* Target gross: a decision row whose gross ``sum |w|`` exceeds ``max_gross_leverage`` (default 1)
  is scaled down to it, every weight by the same factor, with one :class:`GrossLeverageWarning`
  per run (how many rows, the largest gross). ``max_leverage`` is the separate limit on orders
  at the execution prices (above), which also binds when prices, not decisions, move the book.
* Bankruptcy: when the portfolio is worth 0 or less (before trading, at the execution prices,
  or at a close), every position is closed, cash and equity are 0 from that bar on and nothing
  trades again; the shortfall is the lender's, so equity is never negative. ``result.bankrupt_at``
  names the bar, a :class:`BankruptcyWarning` says so, and the summary's ratios are NaN.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from alphafactory import _engine
from alphafactory.backtest.costs import CostModel, FixedBps
from alphafactory.backtest.market import market_from
from alphafactory.backtest.result import LEDGER_ROWS, BacktestResult
from alphafactory.data.wide import Panel
from alphafactory.errors import ConfigError, DataError
from alphafactory.evaluation import infer_periods_per_year

Execution = Literal["next_open", "next_close", "close"]
_LAG = {"next_open": 1, "next_close": 1, "close": 0}
#: Relative slack before a row's gross counts as above ``max_gross_leverage`` (rounding of sums).
_GROSS_TOLERANCE = 1e-12


class GrossLeverageWarning(UserWarning):
    """Decision rows above ``max_gross_leverage`` were scaled down to it."""


class BankruptcyWarning(RuntimeWarning):
    """The backtest's equity reached 0: positions closed, trading stopped."""


def backtest(
    prices_or_bars: pd.DataFrame | Panel,
    weights: pd.DataFrame,
    *,
    cost: CostModel | None = None,
    execution: Execution = "next_open",
    cash: float = 1e6,
    borrow_bps: float = 0.0,
    participation_cap: float | None = None,
    unfilled: Literal["carry", "drop"] = "carry",
    whole_shares: bool = False,
    max_leverage: float = 1.0,
    max_gross_leverage: float | None = 1.0,
    periods_per_year: float | None = None,
) -> BacktestResult:
    """Backtest target weights on bars or prices.

    Parameters
    ----------
    prices_or_bars : DataFrame or Panel
        The long Bars frame (``(timestamp, symbol)``, OHLCV), a single-symbol Bars frame, or a
        wide ``T x N`` frame of closes (which supports ``"close"`` and ``"next_close"`` only).
    weights : DataFrame
        Wide target weights (index timestamps that are bar timestamps, columns symbols of the
        bars); row t is the decision at the close of t; an all-NaN row holds. Symbols absent
        from the columns are held at weight 0; timestamps absent from the index hold.
    cost : CostModel, optional
        Cost model (default ``FixedBps(0)``, frictionless).
    execution : {"next_open", "next_close", "close"}
        When a decision trades (see the module docstring).
    cash : float
        Initial cash, currency.
    borrow_bps : float
        Annual borrow fee on short market value, basis points.
    participation_cap : float, optional
        Largest order as a fraction of the bar's volume (needs bars with volume).
    unfilled : {"carry", "drop"}
        What happens to the part of an order beyond the cap.
    whole_shares : bool
        Trade whole shares (targets truncated toward zero) instead of fractional shares.
    max_leverage : float
        Largest gross exposure (long plus short market value) an order may leave, as a multiple
        of equity; 1 (default) keeps cash after costs >= 0. Orders beyond it are shrunk (see the
        module docstring).
    max_gross_leverage : float or None
        Largest target gross ``sum |w|`` of a decision row; a row above it is scaled down to it
        with a :class:`GrossLeverageWarning` (default 1; None: weights are taken as given).
    periods_per_year : float, optional
        Bars per year for borrow and annualized metrics; inferred from the index if None.

    Returns
    -------
    BacktestResult
    """
    market = market_from(prices_or_bars)
    cost = FixedBps(0.0) if cost is None else cost
    if execution not in _LAG:
        raise ConfigError(f"execution must be one of {sorted(_LAG)}, got {execution!r}.")
    if unfilled not in ("carry", "drop"):
        raise ConfigError(f"unfilled must be 'carry' or 'drop', got {unfilled!r}.")
    _check_positive("cash", cash, "a positive finite amount")
    if not _is_number(borrow_bps) or not (np.isfinite(borrow_bps) and borrow_bps >= 0):
        raise ConfigError(f"borrow_bps must be a finite number >= 0, got {borrow_bps!r}.")
    _check_positive("max_leverage", max_leverage, "a positive finite multiple of equity")
    if max_gross_leverage is not None:
        _check_positive("max_gross_leverage", max_gross_leverage,
                        "a positive finite multiple of equity (or None)")
    if periods_per_year is not None:
        _check_positive("periods_per_year", periods_per_year, "a positive finite number of bars")
    exec_price = (
        market.require("open", 'execution="next_open"')
        if execution == "next_open"
        else market.close
    )
    volume = np.empty((0, 0))
    cap = 0.0
    if participation_cap is not None:
        if not _is_number(participation_cap) or not 0 < participation_cap <= 1:
            raise ConfigError(f"participation_cap must be in (0, 1], got {participation_cap!r}.")
        volume = np.ascontiguousarray(market.require("volume", "participation_cap"))
        cap = float(participation_cap)
    if market.shape[0] == 0 or market.shape[1] == 0:
        raise DataError(f"prices are empty (shape {market.shape}); need a bar and a symbol.")
    targets = _aligned_weights(weights, market)
    params = cost.parameters(market)
    ppy = periods_per_year_of(market) if periods_per_year is None else float(periods_per_year)
    n_bars, n_assets = market.shape
    # A pandas frame's values are column-major: the loop reads them in place, without a copy.
    order = "F" if exec_price.flags.f_contiguous else "C"
    inputs = {
        "exec_price": _in_order(exec_price, order),
        "mark_price": _in_order(market.close, order),
        "lag": _LAG[execution],
        "volume": _in_order(volume, order),
        "participation_cap": cap,
        "carry_unfilled": unfilled == "carry",
        "half_spread": _cell_array(params.half_spread, market, "half_spread", order),
        "impact_coef": _cell_array(params.impact_coef, market, "impact_coef", order),
        "impact_exponent": float(params.impact_exponent),
        "commission_per_share": float(params.commission_per_share),
        "commission_bps": float(params.commission_bps),
        "commission_min": float(params.commission_min),
        "borrow_per_bar": borrow_bps * 1e-4 / ppy,
        "initial_cash": float(cash),
        "whole_shares": bool(whole_shares),
        "max_leverage": float(max_leverage),
        "column_major": order == "F",
    }
    shares, ledger = _run_loop(inputs, _in_order(targets, order), n_bars, n_assets)
    _reject_bad_input(ledger, exec_price, market.close, targets)
    # The loop sums the |weight| it trades per bar: a row over the cap is found without a pass
    # over the weights, and only then are the rows scaled and the loop run again (rare).
    if max_gross_leverage is not None and ledger[LEDGER_ROWS["abs_weight_sum"]].max() > float(
            max_gross_leverage) * (1.0 + _GROSS_TOLERANCE):
        targets = _cap_gross(targets, float(max_gross_leverage), exec_price, _LAG[execution])
        shares, ledger = _run_loop(inputs, _in_order(targets, order), n_bars, n_assets)
    bankrupt = np.flatnonzero(ledger[LEDGER_ROWS["equity"]] <= 0.0)
    if len(bankrupt):
        # The loop read nothing after the bankruptcy: check those bars' inputs here (rare path).
        _check_prices(exec_price, "execution")
        _check_prices(market.close, "close")
        _check_finite_weights(targets)
        warnings.warn(
            f"backtest: bankrupt at {market.timestamps[bankrupt[0]]} (bar {bankrupt[0]} of "
            f"{n_bars}): equity reached 0 or less; positions closed, no trading after it",
            BankruptcyWarning, stacklevel=2,
        )
    return BacktestResult(
        market=market,
        shares_array=shares,
        ledger=ledger,
        exec_price=exec_price,
        target_array=targets,
        lag=_LAG[execution],
        execution=execution,
        initial_cash=float(cash),
        cost_model=cost,
        cost_parameters=params,
        periods_per_year=ppy,
    )


def periods_per_year_of(market: Panel) -> float:
    """Bars per year inferred from the market's timestamps (252 with fewer than two bars)."""
    stamps = market.timestamps
    if len(stamps) < 2:
        return 252.0
    # Inference costs about as much as a tenth of the compiled loop on 500 x 2520; backtests
    # repeated on the same bars (sweeps, benchmarks) share one index, which pandas never
    # mutates: the last answer is kept for it (a weak reference, so the index is not kept).
    global _LAST_PERIODS
    cached, ppy = _LAST_PERIODS  # one tuple, swapped whole: safe across threads
    if cached() is stamps:
        return ppy
    ppy = infer_periods_per_year(stamps)
    _LAST_PERIODS = (weakref.ref(stamps), ppy)
    return ppy


def _no_index() -> None:
    return None


_LAST_PERIODS: tuple[Callable[[], object], float] = (_no_index, 0.0)


def _aligned_weights(weights: pd.DataFrame, market: Panel) -> np.ndarray:
    if not isinstance(weights, pd.DataFrame):
        raise TypeError(f"weights must be a wide T x N DataFrame, got {type(weights).__name__}.")
    if weights.index.equals(market.timestamps) and weights.columns.equals(market.symbols):
        values = weights.to_numpy(dtype=np.float64)
    else:
        unknown = weights.columns.difference(market.symbols)
        if len(unknown):
            raise ConfigError(f"weights have symbols the prices lack: {list(unknown[:5])}.")
        index = pd.DatetimeIndex(weights.index)
        foreign = index.difference(market.timestamps)
        if len(foreign):
            raise ConfigError(
                f"weights have {len(foreign)} timestamp(s) that are not bar timestamps, e.g. "
                f"{foreign[0]}; align the weights to the bars first."
            )
        values = weights.reindex(index=market.timestamps, columns=market.symbols).to_numpy(
            dtype=np.float64
        )
    return values


def _reject_bad_input(
    ledger: np.ndarray, exec_price: np.ndarray, close: np.ndarray, targets: np.ndarray
) -> None:
    """Raise when the loop read a non-positive or infinite price or an infinite weight.

    The loop records, per bar, the range of prices and the sum of |weight| it read (ledger rows
    min_price, max_price, abs_weight_sum), so valid input costs no extra pass; only a failure
    searches for the cell.
    """
    if ledger[LEDGER_ROWS["min_price"]].min() <= 0 or np.isinf(
        ledger[LEDGER_ROWS["max_price"]].max()
    ):
        _check_prices(exec_price, "execution")
        _check_prices(close, "close")
    if np.isinf(ledger[LEDGER_ROWS["abs_weight_sum"]].max()):
        _check_finite_weights(targets)


def _check_finite_weights(targets: np.ndarray) -> None:
    bad = np.isinf(targets)
    if bad.any():
        t, i = np.argwhere(bad)[0]
        raise ConfigError(
            f"weights must be finite (NaN = no decision); cell (bar {t}, symbol {i}) is "
            f"{targets[t, i]}."
        )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _check_positive(name: str, value: object, what: str) -> None:
    if not _is_number(value) or not (np.isfinite(value) and value > 0):  # type: ignore[arg-type]
        raise ConfigError(f"{name} must be {what}, got {value!r}.")


def _run_loop(inputs: dict, targets: np.ndarray, n_bars: int, n_assets: int
              ) -> tuple[np.ndarray, np.ndarray]:
    shares = np.empty((n_bars, n_assets), dtype=np.float64)  # row-major whatever the inputs
    ledger = np.empty((LEDGER_ROWS["rows"], n_bars), dtype=np.float64)
    _engine.run_backtest(**inputs, targets=targets, shares_out=shares, ledger_out=ledger)
    return shares, ledger


def _cap_gross(targets: np.ndarray, limit: float, exec_price: np.ndarray, lag: int
               ) -> np.ndarray:
    """Scale every decision row whose traded gross exceeds ``limit`` down to it, warning once.

    The gross of decision row r is ``sum |w|`` over the symbols with an execution price at bar
    ``r + lag`` (the weights the loop trades; a symbol without a price is not traded). A row
    with an infinite weight was rejected before.
    """
    tradable = np.zeros(targets.shape, dtype=bool)
    tradable[: len(targets) - lag] = np.isfinite(exec_price[lag:])
    gross = np.where(tradable & np.isfinite(targets), np.abs(targets), 0.0).sum(axis=1)
    over = gross > limit * (1.0 + _GROSS_TOLERANCE)
    if not over.any():
        return targets
    scale = np.where(over, limit / np.where(over, gross, 1.0), 1.0)
    decisions = int(np.isfinite(targets).any(axis=1).sum())
    warnings.warn(
        f"weights: gross exposure above max_gross_leverage={limit:g} on {int(over.sum())} of "
        f"{decisions} decision bars (largest {gross[over].max():.4g}); those rows were scaled "
        f"down to {limit:g}",
        GrossLeverageWarning, stacklevel=3,
    )
    return targets * scale[:, None]  # a new array (same layout): the caller's weights are kept


def _check_prices(prices: np.ndarray, what: str) -> None:
    low, high = np.fmin.reduce(prices, axis=None), np.fmax.reduce(prices, axis=None)
    if (np.isnan(low) or low > 0) and not np.isinf(high):
        return
    bad = (prices <= 0) | np.isinf(prices)
    if bad.any():
        t, i = np.argwhere(bad)[0]
        raise DataError(
            f"{what} prices must be positive and finite (NaN = no bar); cell (bar {t}, symbol "
            f"{i}) is {prices[t, i]}."
        )


def _cell_array(value: np.ndarray | float, market: Panel, name: str, order: str) -> np.ndarray:
    if np.ndim(value) == 0:
        scalar = float(value)  # type: ignore[arg-type]
        return np.empty(0) if scalar == 0.0 else np.array([scalar])
    array = _in_order(np.asarray(value, dtype=np.float64), order)
    if array.shape != market.shape:
        raise ValueError(f"cost parameter {name} has shape {array.shape}, expected {market.shape}.")
    return array


def _in_order(array: np.ndarray, order: str) -> np.ndarray:
    """The array itself when already contiguous in ``order`` ("C" or "F"), else a copy."""
    return np.asarray(array, dtype=np.float64, order=order)

