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
    max_leverage=1.0,
):
    """Straightforward loops over bars and symbols, written from the documented convention.

    Every rebalance is processed order by order (orders that do not lower the slack first, then
    the others by ascending order value), shrinking an order with a root finder where the slack
    ``max_leverage * equity - gross`` would fall below ``min(slack, 0)``.

    Bankruptcy: when the value before trading or the equity at a close is <= 0, holdings and
    cash become 0 for that bar and every later one.

    Returns (equity list, cash list, shares list of lists, total cost list).
    """
    n_bars, n_assets = len(exec_price), len(exec_price[0])

    def cell(param, t, i):
        return param[t][i] if isinstance(param, (list, np.ndarray)) else param

    def order_cost(t, i, a, price):
        if a == 0.0:
            return 0.0
        notional = a * price
        cost = notional * cell(half_spread, t, i)
        coef = cell(impact_coef, t, i)
        if coef:
            cost += notional * coef * a**impact_exponent
        if per_share or commission_bps or commission_min:
            cost += max(commission_min, per_share * a + commission_bps * 1e-4 * notional)
        return cost

    holdings = [0.0] * n_assets
    last = [None] * n_assets
    pending = {}
    equity_out, cash_out, shares_out, cost_out = [], [], [], []
    bankrupt = False
    for t in range(n_bars):
        for i in range(n_assets):
            if not math.isnan(exec_price[t][i]):
                last[i] = exec_price[t][i]
        value = cash + sum(h * p for h, p in zip(holdings, last, strict=True) if h != 0.0)
        if bankrupt or not value > 0.0:
            # Bankrupt (before trading, or at an earlier close): nothing held, nothing traded.
            bankrupt, cash, holdings[:] = True, 0.0, [0.0] * n_assets
            equity_out.append(0.0)
            cash_out.append(0.0)
            shares_out.append(list(holdings))
            cost_out.append(0.0)
            continue
        gross = sum(abs(h) * p for h, p in zip(holdings, last, strict=True) if h != 0.0)
        row = t - lag
        decision = row >= 0 and any(not math.isnan(w) for w in weights[row])
        orders = {}
        if decision:
            pending = {}
            orders = {i: (0.0 if math.isnan(w) else w) for i, w in enumerate(weights[row])}
        elif pending:
            orders, pending = pending, {}
        wanted = {}
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
            if q != 0.0:
                wanted[i] = q

        def slack_after(i, q, slack, t=t):
            price = exec_price[t][i]
            exposure = (abs(holdings[i] + q) - abs(holdings[i])) * price
            return slack - max_leverage * order_cost(t, i, abs(q), price) - exposure

        slack = max_leverage * value - gross
        freeing = [i for i, q in wanted.items() if slack_after(i, q, 0.0) >= 0.0]
        rising = sorted(
            (i for i in wanted if i not in freeing),
            key=lambda i: (wanted[i] * exec_price[t][i], i),
        )
        bar_cost = 0.0
        for i in freeing + rising:
            q = wanted[i]
            floor = min(slack, 0.0)
            if slack_after(i, q, slack) < floor:
                q = _largest_affordable(
                    lambda a, i=i, q=q, s=slack: slack_after(i, math.copysign(a, q), s),
                    abs(q), abs(holdings[i]) if holdings[i] * q < 0 else 0.0, floor, whole,
                    exec_price[t][i],
                )
                q = math.copysign(q, wanted[i])
                if q == 0.0:
                    continue
            price = exec_price[t][i]
            cost = order_cost(t, i, abs(q), price)
            slack = slack_after(i, q, slack)
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
        if not equity > 0.0:  # bankrupt at the close: positions closed, the shortfall forgiven
            bankrupt, cash, equity, holdings[:] = True, 0.0, 0.0, [0.0] * n_assets
        equity_out.append(equity)
        cash_out.append(cash)
        shares_out.append(list(holdings))
        cost_out.append(bar_cost)
    return equity_out, cash_out, shares_out, cost_out


def _largest_affordable(after, wanted, reducible, floor, whole, price):
    """Largest a in [0, wanted] with after(a) >= floor; after() rises up to `reducible`, then falls.

    Found by bisection on the falling part (the compiled loop uses closed forms where the costs
    are piecewise linear). Less than 1e-9 currency units of an order is none.
    """
    lo = reducible if reducible > 0 else 1e-300  # just above 0: an order pays its minimum fee
    if reducible >= wanted or after(lo) < floor:
        return 0.0
    hi = wanted
    for _ in range(2000):
        mid = lo + (hi - lo) / 2
        if not lo < mid < hi:
            break
        if after(mid) >= floor:
            lo = mid
        else:
            hi = mid
    a = lo
    if whole:
        a = float(math.floor(a))
        while a > 0 and after(a) < floor:
            a -= 1.0
    return a if a * price >= 1e-9 else 0.0


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
