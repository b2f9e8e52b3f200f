from __future__ import annotations

import io

import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.portfolio import RULES
from alphafactory.risk import LIMITS


def test_portfolio_list_csv_prints_every_rule_optimizer_and_limit(capsys):
    assert main(["portfolio", "list", "--csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["name"].tolist() == [*RULES, *LIMITS]
    assert set(table["family"]) == {"rule", "optimizer", "limit", "circuit_breaker"}
    row = table.set_index("name").loc["topk_exposure"]
    assert "max_positions=6" in row["parameters"] and "min_trade_value=0.0" in row["parameters"]


def test_portfolio_list_family_optimizer_prints_only_optimizers(capsys):
    assert main(["portfolio", "list", "--family", "optimizer"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("optimizers:\n")
    for name, cls in RULES.items():
        assert (f"  {name} " in out) == (cls.family == "optimizer")
    assert "max_drawdown_stop" not in out


def test_portfolio_list_unknown_family_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["portfolio", "list", "--family", "nope"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
