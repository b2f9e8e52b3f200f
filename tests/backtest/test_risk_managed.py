"""The risk-managed backtest on a synthetic crash: breakers hold, halts reset, limits scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import FixedBps, backtest, report_tables, risk_managed_backtest
from alphafactory.risk import (
    METHODS,
    DailyLossLimit,
    IntradayLossLimit,
    MaxDrawdownStop,
    MaxGrossLeverage,
    MaxGroupWeight,
    MaxPositionWeight,
    RiskManager,
)

COST = FixedBps(5.0)


def _bars(close: pd.DataFrame, gap: pd.DataFrame) -> pd.DataFrame:
    """Long OHLCV bars whose open is the previous close times ``1 + gap``."""
    opens = close.shift(1).fillna(close.iloc[0]) * (1.0 + gap)
    frames = {
        "open": opens, "close": close,
        "high": np.maximum(opens, close) * 1.001, "low": np.minimum(opens, close) * 0.999,
        "volume": close * 0 + 1e6,
    }
    long = pd.concat({k: v.stack() for k, v in frames.items()}, axis=1)
    long.index.names = ["timestamp", "symbol"]
    return long.astype(np.float64)


def _crash(n_up: int = 20, n_down: int = 15, n_flat: int = 15, move: float = -0.03,
           gap: float = -0.01, freq: str = "B", start: str = "2024-01-01") -> tuple:
    """Symbol A rises 0.5% a bar, then falls ``move`` a bar (opening ``gap`` below), then flat."""
    steps = np.r_[np.full(n_up, 0.005), np.full(n_down, move), np.zeros(n_flat)]
    index = pd.date_range(start, periods=len(steps), freq=freq, tz="UTC", name="timestamp")
    close = pd.DataFrame({"A": 100 * np.cumprod(1 + steps), "B": 50.0}, index=index)
    gaps = pd.DataFrame({"A": np.where(steps < 0, gap, 0.0), "B": 0.0}, index=index)
    weights = pd.DataFrame({"A": 1.0, "B": 0.0}, index=index)
    return _bars(close, gaps), weights, close


def _max_drawdown(equity: pd.Series, cash: float) -> float:
    path = np.r_[cash, equity.to_numpy()]
    return float(np.max(1.0 - path / np.maximum.accumulate(path)))


@pytest.mark.parametrize("execution", ["next_open", "close"])
def test_drawdown_stop_holds_within_the_limit_plus_one_bar_past_the_trigger(execution):
    bars, weights, close = _crash()
    risk = RiskManager(limits=(MaxDrawdownStop(max_loss=0.10),))
    out = risk_managed_backtest(bars, weights, risk=risk, cost=COST, execution=execution)
    plain = backtest(bars, weights, cost=COST, execution=execution)
    assert _max_drawdown(plain.equity, 1e6) > 0.3  # 0.97 ** 15
    halts = out.interventions[out.interventions["action"] == "halt"]
    assert list(halts["limit"]) == ["max_drawdown_stop"] and len(out.interventions) == 1
    b = close.index.get_loc(halts["timestamp"].iloc[0])
    dd = 1.0 - out.result.equity / out.result.equity.cummax()
    assert dd.iloc[b] >= 0.10 > dd.iloc[b - 1]  # tripped at the first close past the limit
    # past the trigger: one bar's move (3%) and the gap to the next open (1%), or with
    # execution="close" one more whole bar; plus the costs of selling
    past = 0.03 + (0.01 if execution == "next_open" else 0.03) + 2e-3
    assert _max_drawdown(out.result.equity, 1e6) <= 0.10 + past
    flat_from = b + (1 if execution == "next_open" else 2)
    assert (out.result.positions.iloc[flat_from:] == 0).all().all()
    assert out.result.equity.iloc[flat_from:].nunique() == 1  # halted: manual reset never came
    assert out.compiled_runs == 2


def test_daily_loss_limit_on_intraday_bars_halts_and_resets_next_session():
    # hourly bars, 7 a session (UTC days): day 1 up, day 2 falls 1% a bar, day 3 flat
    index = pd.DatetimeIndex(
        [pd.Timestamp(f"2024-01-0{d} {h}:00", tz="UTC") for d in (2, 3, 4) for h in range(14, 21)],
        name="timestamp")
    steps = np.r_[np.full(7, 0.002), np.full(7, -0.01), np.zeros(7)]
    close = pd.DataFrame({"A": 100 * np.cumprod(1 + steps), "B": 50.0}, index=index)
    gaps = pd.DataFrame({"A": np.where(steps < 0, -0.005, 0.0), "B": 0.0}, index=index)
    bars = _bars(close, gaps)
    weights = pd.DataFrame({"A": 1.0, "B": 0.0}, index=index)
    risk = RiskManager(limits=(DailyLossLimit(max_loss=0.03),))
    out = risk_managed_backtest(bars, weights, risk=risk, cost=COST)
    table = out.interventions
    assert list(table["action"]) == ["halt", "reset"]
    b = index.get_loc(table["timestamp"].iloc[0])
    reset = index.get_loc(table["timestamp"].iloc[1])
    assert index[b].day == 3 and index[reset] == pd.Timestamp("2024-01-04 14:00", tz="UTC")
    equity = out.result.equity
    day_open = equity.iloc[6]  # the previous session's last close
    worst = 1.0 - equity.iloc[7:14].min() / day_open
    assert table["measure"].iloc[0] >= 0.03 and worst <= 0.03 + 0.01 + 0.005 + 2e-3
    positions = out.result.positions["A"]
    assert (positions.iloc[b + 1 : reset + 1] == 0).all()  # flat until the re-entry trades
    assert (positions.iloc[reset + 1 :] > 0).all()


def test_intraday_loss_limit_trips_on_the_fall_from_the_session_high():
    index = pd.DatetimeIndex(
        [pd.Timestamp(f"2024-01-0{d} {h}:00", tz="UTC") for d in (2, 3) for h in range(14, 21)],
        name="timestamp")
    steps = np.r_[np.zeros(7), 0.02, 0.02, -0.015, -0.015, -0.015, 0.0, 0.0]
    close = pd.DataFrame({"A": 100 * np.cumprod(1 + steps), "B": 50.0}, index=index)
    bars = _bars(close, close * 0)
    weights = pd.DataFrame({"A": 1.0, "B": 0.0}, index=index)
    daily = risk_managed_backtest(bars, weights, risk=RiskManager(
        limits=(DailyLossLimit(max_loss=0.03),)))
    assert daily.interventions.empty  # the session ends near its open: no daily loss
    intraday = risk_managed_backtest(bars, weights, risk=RiskManager(
        limits=(IntradayLossLimit(max_loss=0.03),)))
    halt = intraday.interventions.iloc[0]
    assert halt["limit"] == "intraday_loss_limit" and halt["timestamp"] == index[11]


def test_manual_reset_ends_the_halt_at_the_operators_bar():
    bars, weights, close = _crash()
    risk = RiskManager(limits=(MaxDrawdownStop(max_loss=0.10),))
    when = close.index[40]
    out = risk_managed_backtest(bars, weights, risk=risk, cost=COST, manual_resets=[when])
    assert list(out.interventions["action"]) == ["halt", "reset"]
    assert out.interventions["timestamp"].iloc[1] == when
    positions = out.result.positions["A"]
    assert (positions.iloc[30:41] == 0).all() and (positions.iloc[41:] > 0).all()


def test_next_session_reset_rebases_the_peak_and_trips_again_in_a_long_fall():
    bars, weights, _ = _crash(n_down=30)
    risk = RiskManager(limits=(MaxDrawdownStop(max_loss=0.10, reset="next_session"),))
    out = risk_managed_backtest(bars, weights, risk=risk)
    halts = out.interventions[out.interventions["action"] == "halt"]
    assert len(halts) >= 2 and out.compiled_runs == len(halts) + 1
    assert (halts["measure"] >= 0.10).all()


def test_scale_down_breach_caps_gross_exposure_and_records_each_decision():
    bars, weights, _ = _crash(n_down=0)
    weights = weights.iloc[::5]
    out = risk_managed_backtest(bars, weights, risk=RiskManager(
        limits=(MaxGrossLeverage(max_gross=0.5),)), cost=COST)
    assert len(out.interventions) == len(weights)
    assert np.allclose(out.interventions["gross_after"], 0.5)
    gross = out.result.exposure["gross"].iloc[1:]
    assert gross.max() <= 0.5 * 1.03 and gross.min() >= 0.5 * 0.97


def test_breaker_with_scale_action_halves_the_book_until_next_session():
    bars, weights, close = _crash()
    out = risk_managed_backtest(bars, weights, risk=RiskManager(
        limits=(DailyLossLimit(max_loss=0.025, action="scale", scale=0.5),)))
    first = out.interventions.iloc[0]
    assert first["action"] == "scale" and first["gross_after"] == pytest.approx(0.5)
    b = close.index.get_loc(first["timestamp"])
    assert out.result.exposure["gross"].iloc[b + 1] == pytest.approx(0.5, rel=0.05)


def test_group_limit_scales_each_group_to_its_cap():
    index = pd.date_range("2024-01-01", periods=30, freq="B", tz="UTC", name="timestamp")
    rng = np.random.default_rng(4)
    close = pd.DataFrame(100 * np.cumprod(1 + 0.001 * rng.standard_normal((30, 4)), axis=0),
                         index=index, columns=list("ABCD"))
    bars = _bars(close, close * 0)
    weights = pd.DataFrame(0.25, index=index[::10], columns=list("ABCD"))
    groups = {"A": "tech", "B": "tech", "C": "energy", "D": "energy"}
    risk = RiskManager(limits=(MaxGroupWeight(groups=groups, max_weight=0.3),
                               MaxPositionWeight(max_weight=0.2)))
    out = risk_managed_backtest(bars, weights, risk=risk)
    assert np.allclose(out.targets.loc[index[0]], 0.15)
    realized = out.result.weights.iloc[1:]
    assert (realized[["A", "B"]].sum(axis=1) <= 0.3 * 1.01).all()
    assert set(out.interventions["limit"]) == {"max_group_weight"}


def test_without_limits_it_is_the_plain_backtest_and_money_adds_up():
    bars, weights, _ = _crash()
    out = risk_managed_backtest(bars, weights, risk=RiskManager(), cost=COST)
    plain = backtest(bars, weights, cost=COST)
    np.testing.assert_array_equal(out.result.equity.to_numpy(), plain.equity.to_numpy())
    managed = risk_managed_backtest(bars, weights, cost=COST, risk=RiskManager(
        limits=(MaxDrawdownStop(max_loss=0.1), MaxPositionWeight(max_weight=0.8))))
    result = managed.result
    np.testing.assert_allclose(result.equity, result.cash + result.position_values.sum(axis=1),
                               rtol=1e-12)
    paid = result.costs.sum().sum()
    traded = result.summary()["traded_notional"]
    assert paid == pytest.approx(traded * 5e-4)


def test_decisions_are_causal_the_future_does_not_move_the_past():
    bars, weights, close = _crash()
    risk = RiskManager(limits=(MaxDrawdownStop(max_loss=0.10), DailyLossLimit(max_loss=0.02)))
    base = risk_managed_backtest(bars, weights, risk=risk, cost=COST)
    cut = close.index[25]
    future = bars.copy()
    later = future.index.get_level_values("timestamp") > cut
    future.loc[later, ["open", "high", "low", "close"]] *= 0.5
    moved = risk_managed_backtest(future, weights, risk=risk, cost=COST)
    pd.testing.assert_frame_equal(moved.targets.loc[:cut], base.targets.loc[:cut])
    pd.testing.assert_series_equal(moved.result.equity.loc[:cut], base.result.equity.loc[:cut])
    early = base.interventions["timestamp"] <= cut
    pd.testing.assert_frame_equal(moved.interventions[moved.interventions["timestamp"] <= cut],
                                  base.interventions[early])


def test_report_has_a_var_backtest_section_with_every_method(tmp_path):
    rng = np.random.default_rng(2)
    index = pd.date_range("2015-01-01", periods=700, freq="B", tz="UTC", name="timestamp")
    close = pd.DataFrame(100 * np.cumprod(1 + 0.01 * rng.standard_normal((700, 2)), axis=0),
                         index=index, columns=["A", "B"])
    result = backtest(_bars(close, close * 0), pd.DataFrame(0.5, index=index[:1],
                                                            columns=["A", "B"]))
    tables = report_tables(result)
    assert set(tables.var.index) == set(METHODS) and len(tables.var) == 10
    assert (tables.var["n_obs"] == 700 - 250).all()
    page = result.to_html(tmp_path / "report.html").read_text()
    assert "VaR backtest" in page and "cornish_fisher" in page
    short = report_tables(backtest(_bars(close.iloc[:100], close.iloc[:100] * 0),
                                   pd.DataFrame(0.5, index=index[:1], columns=["A", "B"])))
    assert short.var.empty


def test_a_limit_configured_to_halt_flattens_and_retries_each_session():
    bars, weights, _ = _crash(n_down=0, n_flat=0)
    weights = weights.iloc[::4]
    out = risk_managed_backtest(bars, weights, risk=RiskManager(
        limits=(MaxPositionWeight(max_weight=0.5, action="halt"),)))
    assert (out.result.positions.to_numpy() == 0).all()
    actions = list(out.interventions["action"])
    assert actions[:4] == ["halt", "reset", "halt", "reset"]
    assert set(out.interventions["limit"]) == {"max_position_weight"}
