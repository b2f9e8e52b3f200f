"""BarsSource: every source kind, the reading options, universes, config round trips, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import check_bars, fingerprint, load_sample, synthetic_market, write_parquet
from alphafactory.data.sources import BarsSource, load_bars
from alphafactory.errors import ConfigError, DataError, SourceNotFoundError

yf = pytest.importorskip("yfinance")


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    """Four symbols, 60 XNYS sessions from 2024-01-02 (holidays respected)."""
    return synthetic_market(4, 60, seed=2, calendar="XNYS", start="2024-01-02").bars


def write_symbol_csvs(bars: pd.DataFrame, folder, date_format: str = "%m/%d/%Y",
                      header=("Date", "Open", "High", "Low", "Close", "Volume")):  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    for symbol, group in bars.groupby(level="symbol"):
        flat = group.droplevel("symbol").reset_index()
        flat["timestamp"] = flat["timestamp"].dt.strftime(date_format)
        flat.columns = list(header)
        flat.to_csv(folder / f"{symbol}.csv", index=False)
    return folder


def test_source_sample_alias_equals_named_sample():
    bars = load_bars("sample")
    pd.testing.assert_frame_equal(bars, load_bars("sample:us-equities-daily"))
    assert fingerprint(bars) == fingerprint(load_sample("us-equities-daily"))
    assert bars.attrs["bars_source"] == {"spec": "sample"}


def test_source_unknown_sample_is_source_not_found():
    with pytest.raises(SourceNotFoundError, match="No bundled sample named 'nope'"):
        load_bars("sample:nope")


def test_source_synthetic_parameters_reach_the_generator():
    bars = load_bars("synthetic:n_symbols=24,n_bars=100,alpha_ic=0.1,seed=0")
    expected = synthetic_market(n_symbols=24, n_bars=100, alpha_ic=0.1, seed=0).bars
    pd.testing.assert_frame_equal(bars, expected, check_freq=False)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("synthetic:nsymbols=3", "not key=value with a key in"),
        ("synthetic:n_symbols=three", "is not a int"),
        ("synthetic:n_symbols", "not key=value"),
    ],
)
def test_source_synthetic_bad_parameter_is_a_config_error(spec, match):
    with pytest.raises(ConfigError, match=match):
        BarsSource.parse(spec)


def test_source_csv_folder_with_us_dates_gives_a_panel(tmp_path, market):
    folder = write_symbol_csvs(market, tmp_path / "own")
    bars = load_bars(str(folder), date_format="%m/%d/%Y")
    check_bars(bars)
    assert list(bars.index.get_level_values("symbol").unique()) == ["S0", "S1", "S2", "S3"]
    np.testing.assert_array_equal(bars["close"].to_numpy(), market["close"].to_numpy())
    assert bars.index.get_level_values("timestamp")[0] == pd.Timestamp("2024-01-02", tz="UTC")


def test_source_us_dates_without_date_format_name_file_line_and_value(tmp_path, market):
    folder = write_symbol_csvs(market, tmp_path / "own")
    with pytest.raises(DataError) as info:
        load_bars(str(folder))
    message = str(info.value)
    assert "S0.csv" in message and "line 2" in message and "'01/02/2024'" in message
    assert "\n" not in message


def test_source_column_map_and_single_file_symbol_from_stem(tmp_path, market):
    one = market.xs("S1", level="symbol", drop_level=False)
    write_symbol_csvs(one, tmp_path, "%Y-%m-%d", header=("Day", "O", "H", "L", "Px", "Vol"))
    columns = "Day=date,O=open,H=high,L=low,Px=close,Vol=volume"
    source = BarsSource.parse(str(tmp_path / "S1.csv"), columns=columns)
    bars = source.load()
    assert source.columns == {"Day": "date", "O": "open", "H": "high", "L": "low",
                              "Px": "close", "Vol": "volume"}  # fmt: skip
    assert set(bars.index.get_level_values("symbol")) == {"S1"}
    np.testing.assert_array_equal(bars["close"].to_numpy(), one["close"].to_numpy())
    with pytest.raises(DataError, match=r"column mapping names \['Nope'\]"):
        load_bars(str(tmp_path / "S1.csv"), columns="Nope=close")


def test_source_tz_converts_local_intraday_times_to_utc(tmp_path):
    text = "timestamp,open,high,low,close,volume\n"
    text += "2024-07-01 09:45:00,10,11,9,10.5,100\n2024-07-01 10:00:00,10.5,11,10,10.7,100\n"
    (tmp_path / "X.csv").write_text(text)
    bars = load_bars(str(tmp_path / "X.csv"), tz="America/New_York", on_error="drop")
    stamps = bars.index.get_level_values("timestamp")
    assert stamps[0] == pd.Timestamp("2024-07-01 13:45", tz="UTC")  # EDT = UTC-4


def test_source_tz_keeps_daily_dates_at_utc_midnight(tmp_path, market):
    folder = write_symbol_csvs(market, tmp_path / "own", "%Y-%m-%d")
    bars = load_bars(str(folder), tz="Asia/Tokyo")
    pd.testing.assert_index_equal(bars.index, market.index)


def test_source_parquet_panel_and_parquet_folder(tmp_path, market):
    write_parquet(market, tmp_path / "panel.parquet")
    panel = load_bars(str(tmp_path / "panel.parquet"))
    pd.testing.assert_frame_equal(panel[list(market.columns)], market, check_freq=False)
    folder = tmp_path / "pq"
    folder.mkdir()
    for symbol, group in market.groupby(level="symbol"):
        group.droplevel("symbol").reset_index().to_parquet(folder / f"{symbol}.parquet")
    assert fingerprint(load_bars(str(folder))) == fingerprint(market)


def test_source_universe_keeps_listed_symbols_and_rejects_unknown(tmp_path, market):
    folder = write_symbol_csvs(market, tmp_path / "own", "%Y-%m-%d")
    bars = load_bars(str(folder), universe="S2,S0")
    assert sorted(bars.index.get_level_values("symbol").unique()) == ["S0", "S2"]
    with pytest.raises(DataError, match=r"universe symbol\(s\) \['S9'\] have no bars"):
        load_bars(str(folder), universe=["S0", "S9"])


def test_source_membership_masks_bars_outside_spells(tmp_path, market):
    folder = write_symbol_csvs(market, tmp_path / "own", "%Y-%m-%d")
    members = tmp_path / "members.csv"
    members.write_text("symbol,start,end\nS0,2024-01-01,\nS1,2024-02-01,2024-02-29\n"
                       "S1,2024-03-15,\n")  # fmt: skip
    bars = load_bars(str(folder), membership=str(members))
    s1 = bars.xs("S1", level="symbol").index
    assert sorted(bars.index.get_level_values("symbol").unique()) == ["S0", "S1"]
    assert s1.min() == pd.Timestamp("2024-02-01", tz="UTC")
    assert not ((s1 > pd.Timestamp("2024-02-29", tz="UTC")) & (s1 < pd.Timestamp(
        "2024-03-15", tz="UTC"))).any()  # fmt: skip
    assert len(bars.xs("S0", level="symbol")) == 60


def test_source_membership_bad_date_names_line_and_value(tmp_path, market):
    members = tmp_path / "m.csv"
    members.write_text("symbol,start,end\nS0,2024-01-01,\nS1,01/02/2024,\n")
    with pytest.raises(DataError, match=r"m.csv line 3: field start .* got '01/02/2024'"):
        load_bars("sample", membership=str(members))


def test_source_start_end_slice_is_half_open(market):
    bars = load_bars("synthetic:n_symbols=3,n_bars=30", start="2010-01-05", end="2010-01-08")
    stamps = bars.index.get_level_values("timestamp").unique()
    assert list(stamps.strftime("%m-%d")) == ["01-05", "01-06", "01-07"]


def test_source_config_round_trip_and_unknown_key():
    source = BarsSource.parse("data/x", date_format="%m/%d/%Y", universe="A,B",
                              columns={"Px": "close"}, calendar="XNYS")  # fmt: skip
    doc = source.to_config()
    assert doc == {"spec": "data/x", "date_format": "%m/%d/%Y", "columns": {"Px": "close"},
                   "calendar": "XNYS", "universe": ["A", "B"]}  # fmt: skip
    assert BarsSource.from_config(doc) == source
    with pytest.raises(ConfigError, match=r"Unknown key\(s\) \['dateformat'\] in \[data\] of w"):
        BarsSource.from_config({"spec": "sample", "dateformat": "%d"}, where="[data] of w")


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"spec": "sample", "date_format": "%d"}, "apply to files and downloads"),
        ({"spec": "own/", "interval": "1h"}, "interval applies to yfinance"),
        ({"spec": "own/", "on_error": "ignore"}, "on_error must be one of"),
        ({"spec": "own/", "start": "yesterday-ish"}, "start must be a date"),
        ({"date_format": "%d"}, "needs spec"),
    ],
)
def test_source_invalid_options_are_config_errors(doc, match):
    with pytest.raises(ConfigError, match=match):
        BarsSource.from_config(doc)


def test_source_missing_path_is_source_not_found(tmp_path):
    with pytest.raises(SourceNotFoundError, match="no file or folder at"):
        load_bars(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceNotFoundError, match=r"no \.csv or \.parquet file"):
        load_bars(str(tmp_path / "empty"))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"line 1: empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", r"NUL byte at offset"),
        (b"timestamp,open\n2024-01-02,\xff\xfe\n", r"line 2: not UTF-8 text .* byte 0xff"),
        (b"timestamp;open;high;low;close;volume\n2024-01-02;1;1;1;1;1\n", r"';'-separated"),
        (b"timestamp,open,high,low,close\n2024-01-02,1,1,1,1\n", r"missing \['volume'\]"),
    ],
)
def test_source_hostile_csv_gives_one_line_error(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=match) as info:
        load_bars(str(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_source_not_a_parquet_file_is_a_data_error(tmp_path):
    (tmp_path / "x.parquet").write_text("timestamp,open\n")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        load_bars(str(tmp_path / "x.parquet"))


def test_source_validate_reports_each_file_of_a_folder(tmp_path, market):
    folder = write_symbol_csvs(market, tmp_path / "own", "%Y-%m-%d")
    lines = (folder / "S3.csv").read_text().splitlines()
    lines[4] = lines[4].split(",")[0] + ",1,1,1,-1,1"
    (folder / "S3.csv").write_text("\n".join(lines) + "\n")
    reports = BarsSource.parse(str(folder)).validate()
    assert [r.ok for r in reports] == [True, True, True, False]
    assert set(reports[3].errors["row"]) == {5}
    assert "nonpositive_price" in set(reports[3].errors["rule"])


def test_source_quoted_fields_count_as_one_and_bad_numbers_show_their_text(tmp_path):
    text = ('Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9.5,10.5,"1000"\n'
            '2024-01-03,10.5,10.8,10.1,10.2,"1,200"\n')  # fmt: skip
    (tmp_path / "q.csv").write_text(text)
    report = BarsSource.parse(str(tmp_path / "q.csv")).validate()[0]
    assert report.errors[["row", "rule", "detail"]].values.tolist() == [
        [3, "unparsable", "cannot parse volume '1,200'"]]  # fmt: skip
    bars = load_bars(str(tmp_path / "q.csv"), on_error="drop")
    assert bars["volume"].tolist() == [1000.0]
