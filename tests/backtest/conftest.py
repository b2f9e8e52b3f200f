"""Fixtures for backtest tests, including an independent pure-Python reference backtest."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest


def reference_backtest(
    exec_price,
    mark_price,
    weights,
    *,
    lag,
    cash,
    half_spread=0.0,
    impact_coef=0.0,
    impact_exponent=1.0,
    per_share=0.0,
    commission_bps=0.0,
    commission_min=0.0,
    borrow_per_bar=0.0,
    volume=None,
    cap=None,
    carry=True,
    whole=False,
):
    """Straightforward loops over bars and symbols, written from the documented convention.

    Returns (equity list, cash list, shares list of lists, total cost list).
    """
    n_bars, n_assets = len(exec_price), len(exec_price[0])

    def cell(param, t, i):
        return param[t][i] if isinstance(param, (list, np.ndarray)) else param

    holdings = [0.0] * n_assets
    last = [None] * n_assets
    pending = {}
    equity_out, cash_out, shares_out, cost_out = [], [], [], []
    for t in range(n_bars):
        for i in range(n_assets):
            if not math.isnan(exec_price[t][i]):
                last[i] = exec_price[t][i]
        value = cash + sum(h * p for h, p in zip(holdings, last, strict=True) if h != 0.0)
        row = t - lag
        decision = row >= 0 and any(not math.isnan(w) for w in weights[row])
        orders = {}
        if decision:
            pending = {}
            orders = {i: (0.0 if math.isnan(w) else w) for i, w in enumerate(weights[row])}
        elif pending:
            orders, pending = pending, {}
        bar_cost = 0.0
        for i, w in orders.items():
            price = exec_price[t][i]
            if math.isnan(price):
                continue
            goal = w * value / price
            if whole:
                goal = float(math.trunc(goal))
            q = goal - holdings[i]
            if cap is not None:
                vol = volume[t][i]
                limit = 0.0 if math.isnan(vol) else cap * vol
                if abs(q) > limit:
                    q = math.copysign(math.floor(limit) if whole else limit, q)
                    if carry:
                        pending[i] = w
            if q == 0.0:
                continue
            notional = abs(q) * price
            cost = notional * cell(half_spread, t, i)
            coef = cell(impact_coef, t, i)
            if coef:
                cost += notional * coef * abs(q) ** impact_exponent
            if per_share or commission_bps or commission_min:
                cost += max(commission_min, per_share * abs(q) + commission_bps * 1e-4 * notional)
            cash -= q * price + cost
            holdings[i] += q
            bar_cost += cost
        for i in range(n_assets):
            if not math.isnan(mark_price[t][i]):
                last[i] = mark_price[t][i]
        for i in range(n_assets):
            if holdings[i] < 0:
                borrow = -holdings[i] * last[i] * borrow_per_bar
                cash -= borrow
                bar_cost += borrow
        equity = cash + sum(h * p for h, p in zip(holdings, last, strict=True) if h != 0.0)
        equity_out.append(equity)
        cash_out.append(cash)
        shares_out.append(list(holdings))
        cost_out.append(bar_cost)
    return equity_out, cash_out, shares_out, cost_out


@pytest.fixture
def reference():
    return reference_backtest


def make_bars(n_bars: int, symbols: list[str], seed: int) -> pd.DataFrame:
    """Small random long Bars frame with some symbols listed late and delisted early."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2023-01-02", periods=n_bars, freq="B", tz="UTC", name="timestamp")
    frames = []
    for k, symbol in enumerate(symbols):
        close = 50 * (1 + k) * np.exp(np.cumsum(rng.normal(0, 0.02, n_bars)))
        open_ = close * np.exp(rng.normal(0, 0.005, n_bars))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n_bars))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n_bars))
        volume = rng.uniform(1e4, 1e5, n_bars)
        frame = pd.DataFrame(
            {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
            index=index,
        )
        if k == 1:
            frame = frame.iloc[5:]  # listed late
        if k == 2:
            frame = frame.iloc[: n_bars - 6]  # delisted early
        frames.append(frame.assign(symbol=symbol))
    bars = pd.concat(frames).reset_index().set_index(["timestamp", "symbol"]).sort_index()
    return bars


@pytest.fixture
def bars() -> pd.DataFrame:
    return make_bars(30, ["AAA", "BBB", "CCC", "DDD"], seed=11)


@pytest.fixture
def random_weights(bars) -> pd.DataFrame:
    close = bars["close"].unstack("symbol")
    rng = np.random.default_rng(5)
    weights = pd.DataFrame(
        rng.uniform(-0.6, 0.9, close.shape), index=close.index, columns=close.columns
    )
    weights.iloc[3] = np.nan  # a bar without a decision
    weights.iloc[10:13] = np.nan
    weights.iloc[7, 0] = np.nan  # NaN inside a decision row means 0
    return weights
