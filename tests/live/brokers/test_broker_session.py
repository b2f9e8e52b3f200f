"""A broker trading file end to end on the fake Alpaca: ``trade run`` trades the paper account
bar by bar from its feed, books every fill once, restarts without resending, and trades the real
account only with ``--live --confirm`` naming that account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alphafactory.data import load_sample
from alphafactory.data.csv_io import write_ohlcv_csv
from alphafactory.live import TradingStore

SYMBOLS = ("AAA", "BBB", "CCC")
ACCOUNT = "PA3WZQ1UA7FE"  # the recorded account's number

TRADING_FILE = """
[bot]
name = "alp"
broker = "alpaca"
data = "{data}"
history = 30
bars = {bars}
sizing = "last"
whole_shares = true
cash = 100000.0

[model]
momentum = 5

[portfolio]
rule = "topk"
params = {{ k = 1, long_only = true }}

[alpaca]
trading_url = "{url}"
data_url = "{url}"
stream_url = "{stream}"

[feed]
kind = "replay"
"""


@pytest.fixture
def alpaca(fake_module, monkeypatch):
    """The shared fake, reset with quotes for SYMBOLS and filling orders as they arrive; the
    fake keys in the environment."""
    fake = fake_module.shared_fake()
    fake_module.close_shared()
    fake.drop_stream(refuse=False)
    fake.reset(cash=1e5, quotes={s: (99.95 + k, 100.05 + k) for k, s in enumerate(SYMBOLS)})
    fake.allow_stream()
    fake.auto_match = True
    key = fake_module.KEY
    monkeypatch.setenv("APCA_API_KEY_ID", key.key_id)
    monkeypatch.setenv("APCA_API_SECRET_KEY", key.secret_key)
    yield fake
    fake.auto_match = False


def trading_file(tmp_path: Path, fake, bars: int = 12) -> Path:
    sample = load_sample()
    symbols = list(sample.index.get_level_values(1).unique()[: len(SYMBOLS)])
    data = sample[sample.index.get_level_values(1).isin(symbols)].rename(
        index=dict(zip(symbols, SYMBOLS, strict=True)), level=1)
    stamps = data.index.get_level_values(0).unique()
    data = data[data.index.get_level_values(0) >= stamps[-60]]
    csv = tmp_path / "bars.csv"
    write_ohlcv_csv(data, csv)
    path = tmp_path / "alp.toml"
    path.write_text(TRADING_FILE.format(data=csv, bars=bars, url=fake.trading_url,
                                        stream=fake.stream_url))
    return path


def trade(path: Path, url: str, *extra: str) -> dict:
    from alphafactory.cli import main

    assert main(["trade", "run", str(path), "--store", url, *extra]) == 0
    return url


def test_trade_run_on_the_alpaca_paper_account(alpaca, tmp_path, capsys):
    path = trading_file(tmp_path, alpaca)
    url = f"sqlite:///{tmp_path}/alp.db"
    trade(path, url)
    summary = json.loads(capsys.readouterr().out)
    assert summary["bars"] == 12 and not summary["halted"]
    store = TradingStore(url)
    orders, fills = store.orders("alp"), store.fills("alp")
    assert len(store.decisions("alp")) == 12
    assert len(orders) > 0 and set(orders["status"]) == {"filled"}
    assert not orders["client_order_id"].duplicated().any()
    # every execution at the broker is booked once, and the books agree with the broker's
    assert len(fills) == alpaca.executions
    held = fills.assign(q=fills["quantity"] * fills["side"]).groupby("symbol")["q"].sum()
    broker = {s: q for s, (q, _) in alpaca.positions.items() if q}
    assert held[held != 0].to_dict() == pytest.approx(broker)
    assert summary["positions"] == pytest.approx(broker)
    # the requests were paper-account requests carrying the keys, and no secret was logged
    assert any(p == "/v2/orders" and m == "POST" for m, p, _ in alpaca.requests)
    posted = sum(1 for m, p, _ in alpaca.requests if m == "POST" and p == "/v2/orders")
    assert posted == len(orders)

    # started again on the same store: reconciled, nothing resent, nothing new to decide
    before = len(alpaca.requests)
    trade(path, url)
    again = json.loads(capsys.readouterr().out)
    assert again["reconciled"]["fills_recovered"] == 0
    assert again["positions"] == pytest.approx(broker)
    assert not any(m == "POST" and p == "/v2/orders" for m, p, _ in alpaca.requests[before:])
    assert len(store.orders("alp")) == len(orders)
    store.close()


def test_live_needs_the_confirmed_account(alpaca, tmp_path, capsys):
    from alphafactory.cli import main

    path = trading_file(tmp_path, alpaca, bars=3)
    url = f"sqlite:///{tmp_path}/live.db"
    assert main(["trade", "run", str(path), "--store", url, "--live"]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert main(["trade", "run", str(path), "--store", url, "--live",
                 "--confirm", "PA000WRONG"]) == 2
    err = capsys.readouterr().err
    assert "PA000WRONG" in err and ACCOUNT in err and "nothing was sent" in err
    assert not any(m == "POST" for m, _, _ in alpaca.requests)
    trade(path, url, "--live", "--confirm", ACCOUNT)
    assert json.loads(capsys.readouterr().out)["bars"] == 3


def test_a_paper_file_refuses_live_and_a_broker_file_needs_last_sizing(tmp_path, capsys):
    from alphafactory.cli import main
    from alphafactory.errors import ConfigError
    from alphafactory.live.config import TradingConfig

    paper = tmp_path / "paper.toml"
    paper.write_text('[bot]\nname = "p"\n[model]\nmomentum = 5\n[portfolio]\nrule = "topk"\n')
    assert main(["trade", "run", str(paper), "--live", "--confirm", ACCOUNT]) == 2
    assert 'broker = "alpaca"' in capsys.readouterr().err
    doc = {"bot": {"name": "a", "broker": "alpaca"}, "model": {"momentum": 5},
           "portfolio": {"rule": "topk"}}
    with pytest.raises(ConfigError, match='sizing = "last"'):
        TradingConfig.from_mapping(doc)
    with pytest.raises(ConfigError, match="live feed needs broker"):
        TradingConfig.from_mapping({**doc, "bot": {"name": "p"}, "feed": {"kind": "yfinance"}})
