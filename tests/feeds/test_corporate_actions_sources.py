"""Corporate actions for the trading loop: Alpaca through alpaca-py's own client against a local
fake of the market-data API (pages from ``recordings/``), the CSV file, and the dispatcher."""

from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from alphafactory.data.corporate_actions_table import CorporateActions, write_corporate_actions
from alphafactory.data.corporate_actions_yfinance import actions_from_yfinance
from alphafactory.feeds.base import FeedError
from alphafactory.feeds.corporate_actions import (
    actions_from_alpaca,
    alpaca_corporate_actions,
    load_corporate_actions,
)

pytest.importorskip("alpaca")

RECORDINGS = Path(__file__).with_name("recordings")
KEY, SECRET = "PKFAKEKEY0000000", "fake-secret-do-not-log-8f3a1c"


def recording(name: str) -> dict:
    return json.loads((RECORDINGS / f"{name}.json").read_text())


class FakeMarketData:
    """``GET /v1/corporate-actions`` answering the recorded pages in turn (page 2 when the
    query carries page 1's ``next_page_token``), or an injected error."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        self.error: tuple[int, str] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                fake.queries.append(query)
                status, body = fake.answer(parts.path, dict(self.headers), query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, headers: dict, query: dict) -> tuple[int, dict]:
        if (headers.get("APCA-API-KEY-ID"), headers.get("APCA-API-SECRET-KEY")) != (KEY, SECRET):
            return 401, recording("alpaca_error_401")
        if self.error is not None:
            return self.error[0], recording(self.error[1])
        assert path == "/v1/corporate-actions", path
        first = recording("alpaca_corporate_actions_page1")
        if query.get("page_token") == first["next_page_token"]:
            return 200, recording("alpaca_corporate_actions_page2")
        return 200, first

    def close(self) -> None:
        if self.url:
            self.server.shutdown()
            self.server.server_close()
            self.url = ""


@pytest.fixture
def market_data():
    fake = FakeMarketData()
    yield fake
    fake.close()


def rows(actions: CorporateActions) -> list[tuple]:
    table = actions.table
    return list(zip(table["symbol"], table["ex_date"].dt.strftime("%Y-%m-%d"), table["split"],
                    table["dividend"].round(10), strict=True))  # fmt: skip


def corporate_actions_set(raw: dict):
    """alpaca-py's model of a corporate actions answer (its import warns: websockets.legacy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from alpaca.data.models.corporate_actions import CorporateActionsSet
    return CorporateActionsSet(raw)


def test_recordings_are_valid_alpaca_py_models():
    for page in ("alpaca_corporate_actions_page1", "alpaca_corporate_actions_page2"):
        parsed = corporate_actions_set(recording(page)["corporate_actions"])
        assert sum(len(v) for v in parsed.data.values()) == 2


def test_alpaca_actions_follow_every_page_and_widen_the_process_date_window(market_data):
    actions = alpaca_corporate_actions(["AAPL", "GE"], "2020-08-01", "2021-09-01", key_id=KEY,
                                       secret_key=SECRET, url_override=market_data.url)
    assert rows(actions) == [("AAPL", "2020-08-07", 1.0, 0.82), ("AAPL", "2020-08-31", 4.0, 0.0),
                             ("AAPL", "2020-11-06", 1.0, 0.205), ("GE", "2021-08-02", 0.125, 0.0)]
    first, second = market_data.queries
    assert first["symbols"] == "AAPL,GE"
    assert first["types"] == "forward_split,reverse_split,cash_dividend"
    assert (first["start"], first["end"]) == ("2020-05-03", "2021-11-30")  # +- 90 days
    assert "page_token" not in first and second["page_token"].startswith("QUFQ")
    assert actions.source == "alpaca"


def test_alpaca_actions_are_cut_to_the_ex_date_range_and_the_symbols(market_data):
    actions = alpaca_corporate_actions(["AAPL"], "2020-08-10", "2020-11-06", key_id=KEY,
                                       secret_key=SECRET, url_override=market_data.url)
    assert rows(actions) == [("AAPL", "2020-08-31", 4.0, 0.0)]


def test_alpaca_refusal_and_unreachable_server_are_one_line(market_data):
    with pytest.raises(FeedError, match=r"HTTP 401: .*not authorized") as info:
        alpaca_corporate_actions(["AAPL"], "2020-08-01", key_id=KEY, secret_key="wrong",
                                 url_override=market_data.url)
    assert "\n" not in str(info.value) and "wrong" not in str(info.value)
    url = market_data.url
    market_data.close()
    with pytest.raises(FeedError, match=r"Alpaca corporate actions for \['AAPL'\]"):
        alpaca_corporate_actions(["AAPL"], "2020-08-01", key_id=KEY, secret_key=SECRET,
                                 url_override=url)


def test_actions_from_alpaca_reads_models_or_json_and_adds_same_day_dividends():
    raw = {**recording("alpaca_corporate_actions_page1")["corporate_actions"],
           **recording("alpaca_corporate_actions_page2")["corporate_actions"]}  # fmt: skip
    assert rows(actions_from_alpaca(corporate_actions_set(raw))) == rows(actions_from_alpaca(raw))
    # the API does not always send id and cusip, which alpaca-py's models require
    special = {"cash_dividends": [
        {"symbol": "COST", "rate": 0.7, "special": False, "ex_date": "2020-10-29"},
        {"symbol": "COST", "rate": 10.0, "special": True, "ex_date": "2020-10-29"}],
        "name_changes": [{"old_symbol": "FB", "new_symbol": "META"}]}  # fmt: skip
    assert rows(actions_from_alpaca(special)) == [("COST", "2020-10-29", 1.0, 10.7)]
    assert len(actions_from_alpaca({})) == 0


def test_alpaca_and_yfinance_give_the_same_actions_for_the_same_events(market_data):
    # yf.Ticker("AAPL").actions: Yahoo's dividend split-adjusted ($0.82 / 4), the split as 4.0
    index = pd.DatetimeIndex(["2020-08-07", "2020-08-31", "2020-11-06"], name="Date")
    yahoo = pd.DataFrame({"Dividends": [0.205, 0.0, 0.205], "Stock Splits": [0.0, 4.0, 0.0]},
                         index=index.tz_localize("America/New_York"))  # fmt: skip
    alpaca = alpaca_corporate_actions(["AAPL"], "2020-08-01", "2021-01-01", key_id=KEY,
                                      secret_key=SECRET, url_override=market_data.url)
    assert rows(actions_from_yfinance(yahoo, "AAPL")) == rows(alpaca)


def test_load_corporate_actions_dispatches_on_the_source(market_data, tmp_path):
    path = write_corporate_actions(
        CorporateActions(table=pd.DataFrame({
            "symbol": ["AAPL", "MSFT", "AAPL"], "ex_date": ["2020-08-31", "2020-08-19",
                                                            "2019-01-02"],
            "split": [4.0, 1.0, 1.0], "dividend": [0.0, 0.51, 0.1]})),
        tmp_path / "actions.csv")  # fmt: skip
    from_csv = load_corporate_actions(path, ["AAPL"], "2020-01-01")
    assert rows(from_csv) == [("AAPL", "2020-08-31", 4.0, 0.0)]
    from_alpaca = load_corporate_actions("alpaca", ["GE"], "2021-01-01", key_id=KEY,
                                         secret_key=SECRET, alpaca_url=market_data.url)
    assert rows(from_alpaca) == [("GE", "2021-08-02", 0.125, 0.0)]
    with pytest.raises(FeedError, match="need key_id and secret_key"):
        load_corporate_actions("alpaca", ["GE"], "2021-01-01")
    with pytest.raises(FeedError, match="need a start date"):
        load_corporate_actions("alpaca", ["GE"], key_id=KEY, secret_key=SECRET)
    with pytest.raises(FeedError, match=r"rule: 'yfinance', 'alpaca' or a \.csv file"):
        load_corporate_actions("polygon", ["GE"])
