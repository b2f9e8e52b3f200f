"""Every risk parameter is validated when set (finite, in range, or a ConfigError naming it), and
``max_gross_leverage`` is one option across the backtest, the workflow and the trading file."""

from __future__ import annotations

import dataclasses
import math

import pytest

from alphafactory.errors import ConfigError
from alphafactory.live.config import TradingConfig
from alphafactory.pipeline.sections import BacktestSection
from alphafactory.risk import LIMITS, MaxGrossLeverage, RiskManager, RiskSession


def _numeric_fields():
    for name, cls in LIMITS.items():
        limit = cls()
        for f in dataclasses.fields(cls):
            value = getattr(limit, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                yield name, f.name


@pytest.mark.parametrize(("name", "field"), list(_numeric_fields()))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_risk_limit_bad_number_is_a_config_error_naming_the_field(name, field, bad):
    with pytest.raises(ConfigError, match=field):
        LIMITS[name](**{field: bad})


@pytest.mark.parametrize("bad", [math.nan, 0.0])
def test_risk_manager_from_config_names_the_limit_and_value(bad):
    with pytest.raises(ConfigError, match=r"max_gross.*(nan|0\.0)"):
        RiskManager.from_config([{"name": "max_gross_leverage", "max_gross": bad}])


@pytest.mark.parametrize("equity", [math.nan, 0.0, -5.0, math.inf])
def test_risk_session_equity_must_be_a_positive_finite_amount(equity):
    manager = RiskManager(limits=(MaxGrossLeverage(),))
    with pytest.raises(ConfigError, match=r"RiskSession equity must be a finite amount > 0"):
        RiskSession(manager, equity)


def _trading(bot_extra=None, risk=None):
    doc = {"bot": {"name": "t", **(bot_extra or {})}, "model": {"momentum": 5},
           "portfolio": {"rule": "topk"}}
    if risk is not None:
        doc["risk"] = risk
    return TradingConfig.from_mapping(doc)


def test_trading_file_caps_gross_at_one_by_default_through_the_risk_limit():
    config = _trading()
    assert config.bot.max_gross_leverage == 1.0
    assert [(x.name, x.max_gross) for x in config.risk.limits] == [("max_gross_leverage", 1.0)]
    assert _trading({"max_gross_leverage": 1.5}).risk.limits[0].max_gross == 1.5


def test_trading_file_risk_table_sets_max_gross_leverage_instead():
    config = _trading(risk=[{"name": "max_gross_leverage", "max_gross": 0.8}])
    assert [x.max_gross for x in config.risk.limits] == [0.8]


def test_trading_file_max_gross_leverage_in_bot_and_risk_is_an_error():
    with pytest.raises(ConfigError, match=r"max_gross_leverage is set in \[bot\] and in a "
                                          r"\[\[risk\]\] table; keep one"):
        _trading({"max_gross_leverage": 1.0},
                 [{"name": "max_gross_leverage", "max_gross": 0.8}])


@pytest.mark.parametrize("bad", [math.nan, 0.0, -1.0, math.inf])
def test_trading_file_bad_max_gross_leverage_names_it(bad):
    with pytest.raises(ConfigError, match=r"\[bot\] max_gross_leverage must be a positive "
                                          r"finite number"):
        _trading({"max_gross_leverage": bad})


@pytest.mark.parametrize("bad", [math.nan, 0.0, math.inf])
def test_workflow_backtest_section_bad_max_gross_leverage_names_it(bad):
    with pytest.raises(ConfigError, match=r"\[backtest\] max_gross_leverage must be a positive"):
        BacktestSection(max_gross_leverage=bad)
