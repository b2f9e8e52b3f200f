"""Bad inputs to the CSV and Parquet loaders: one clear line each; policies do what they say.

Each test is one case of issue #12: the message names the file, the line (CSV, the header being
line 1) or the 0-based row (Parquet), the rule and what was got; nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import load_bars, read_parquet
from alphafactory.data.csv_io import load_ohlcv_csv, validate_csv
from alphafactory.data.files import ReadOptions, read_table
from alphafactory.data.schema import to_utc_index
from alphafactory.errors import DataError

HEADER = "timestamp,open,high,low,close,volume\n"
ROWS = [
    "2024-01-02,10,11,9,10.5,100\n",
    "2024-01-03,10.5,11,10,10.8,200\n",
    "2024-01-04,10.8,11.2,10.5,11,150\n",
]
STAMPS = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"], utc=True).as_unit("ns")


def _csv(tmp_path, text: str, name: str = "AAA.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _frame(stamps) -> pd.DataFrame:
    return pd.DataFrame({"timestamp": stamps, "open": [10, 10.5, 10.8], "high": [11, 11, 11.2],
                         "low": [9, 10, 10.5], "close": [10.5, 10.8, 11.0],
                         "volume": [100.0, 200, 150]})  # fmt: skip


# --- policies -------------------------------------------------------------------------------


def test_drop_policy_split_drops_earlier_bars_and_records_it(tmp_path):
    path = _csv(tmp_path, HEADER + "2024-01-02,100,101,99,100,100\n2024-01-03,50,51,49,50,200\n"
                "2024-01-04,50,51,49,50.5,150\n")  # fmt: skip
    bars = load_bars(str(path), on_error="drop")
    assert bars.index.get_level_values("timestamp").tolist() == list(STAMPS[1:])
    assert bars.attrs["validation"]["actions"] == {"dropped 1 earlier bars (unadjusted split)": 1}


def test_repair_policy_split_in_stem_named_file_adjusts_history(tmp_path):
    path = _csv(tmp_path, HEADER + "2024-01-02,100,101,99,100,100\n2024-01-03,50,51,49,50,200\n"
                "2024-01-04,50,51,49,50.5,150\n")  # fmt: skip
    bars = load_bars(str(path), on_error="repair")
    assert bars["close"].iloc[0] == pytest.approx(50.0)
    assert bars.attrs["validation"]["actions"] == {"adjusted 1 earlier bars x0.5": 1}


def test_drop_policy_missing_session_is_recorded_as_kept(tmp_path):
    path = _csv(tmp_path, HEADER + ROWS[0] + ROWS[2])
    bars, report = load_ohlcv_csv(path, on_error="drop", return_report=True)
    assert len(bars) == 2
    assert report.actions["action"].tolist() == ["kept (no row operation fixes it)"]
    assert report.actions["rule"].tolist() == ["missing_session"]


# --- timestamps -----------------------------------------------------------------------------


def test_mixed_date_and_offset_formats_refused_naming_line(tmp_path):
    path = _csv(tmp_path, HEADER + ROWS[0] + "2024-01-03T00:00:00+05:00,10.5,11,10,10.8,200\n")
    with pytest.raises(DataError, match=r"AAA.csv line 3: timestamp '2024-01-03T00:00:00\+05:00' "
                       r"is a date-time with an offset while line 2's '2024-01-02' is a date"):
        load_ohlcv_csv(path)


def test_epoch_beside_iso_refused(tmp_path):
    path = _csv(tmp_path, HEADER + ROWS[0] + "1704240000,10.5,11,10,10.8,200\n")
    with pytest.raises(DataError, match=r"line 3: timestamp '1704240000' is an epoch number"):
        load_ohlcv_csv(path)


def test_offsets_at_local_midnight_are_session_dates(tmp_path):
    path = _csv(tmp_path, HEADER + "2024-01-02T00:00:00+00:00,10,11,9,10.5,100\n"
                "2024-01-03T00:00:00+05:00,10.5,11,10,10.8,200\n"
                "2024-01-04T00:00:00-05:00,10.8,11.2,10.5,11,150\n")  # fmt: skip
    assert load_ohlcv_csv(path).index.tolist() == list(STAMPS)


def test_daily_bars_at_two_times_of_day_refused(tmp_path):
    path = _csv(tmp_path, HEADER + "2024-01-02T16:00:00-05:00,10,11,9,10.5,100\n"
                "2024-01-03T10:00:00+01:00,10.5,11,10,10.8,200\n")  # fmt: skip
    with pytest.raises(DataError, match=r"line 3: daily bar at 10:00:00 while line 2's is at "
                       r"16:00:00 \(rule: daily bars share one time of day"):
        load_ohlcv_csv(path)


def test_daily_bars_across_daylight_saving_keep_their_wall_clock(tmp_path):
    path = _csv(tmp_path, HEADER + "2024-03-08T16:00:00-05:00,10,11,9,10.5,100\n"
                "2024-03-11T16:00:00-04:00,10.5,11,10,10.8,200\n")  # fmt: skip
    report = validate_csv(path)
    assert report.n_rows == 2  # parsed, not refused: one wall-clock time, two offsets


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("1677-01-02", "outside the range 1677-09-22..2262-04-11"),
        ("2262-05-02", "outside the range 1677-09-22..2262-04-11"),
        ("99999999999999999999999", "outside the range"),
    ],
)
def test_out_of_range_stamp_is_an_unparsable_cell_with_reason(tmp_path, cell, reason):
    path = _csv(tmp_path, HEADER + f"{cell},10,11,9,10.5,100\n")
    report = validate_csv(path)
    detail = report.errors["detail"].iloc[0]
    assert report.errors["row"].tolist() == [2]
    assert f"cannot parse timestamp '{cell}': {reason}" in detail


def test_negative_epoch_is_refused_with_reason(tmp_path):
    path = _csv(tmp_path, HEADER + "-1000000000000000,10,11,9,10.5,100\n"
                "1704240000,10.5,11,10,10.8,200\n")  # fmt: skip
    detail = validate_csv(path).errors["detail"].iloc[0]
    assert "a negative epoch (rule: epoch numbers count from 1970)" in detail


def test_unknown_zone_refused_even_for_dates(tmp_path):
    path = _csv(tmp_path, HEADER + ROWS[0])
    with pytest.raises(DataError, match=r"unknown time zone 'Mars/Olympus'"):
        load_ohlcv_csv(path, tz="Mars/Olympus")


# --- columns and rows -----------------------------------------------------------------------


def test_duplicate_close_column_refused_naming_both_positions(tmp_path):
    path = _csv(tmp_path, "timestamp,open,high,low,close,volume,Close\n"
                "2024-01-02,10,11,9,10.5,100,99\n")  # fmt: skip
    with pytest.raises(DataError, match=r"AAA.csv line 1 \(header\): column 'close' appears "
                       r"twice, as 'close' in position 5 and 'Close' in position 7"):
        load_ohlcv_csv(path)


def test_header_only_csv_has_no_rows(tmp_path):
    path = _csv(tmp_path, HEADER + "\n\n")
    with pytest.raises(DataError, match=r"AAA.csv: no rows \(rule: a header then at least one"):
        validate_csv(path)


def test_rfc4180_quoted_symbol_with_comma_loads(tmp_path):
    path = _csv(tmp_path, "timestamp,symbol,open,high,low,close,volume\n"
                '2024-01-02,"BRK,B",10,11,9,10.5,100\n2024-01-03,"BRK,B",10.5,11,10,10.8,200\n')
    bars = load_bars(str(path))
    assert set(bars.index.get_level_values("symbol")) == {"BRK,B"}


def test_line_numbers_are_physical_lines_past_blank_and_quoted_lines(tmp_path):
    text = (HEADER.replace("volume", "volume,note") + '2024-01-02,10,11,9,10.5,100,"a,b"\n\n'
            "2024-01-03,10.5,11,10,10.8,200,x\x0cy\n2024-01-04,abc,11.2,10.5,11,150,z\n")
    report = validate_csv(_csv(tmp_path, text))
    assert report.errors["row"].tolist() == [5]  # header 1, a,b 2, blank 3, \f stays on 4


def test_unbalanced_quote_is_set_aside_by_line(tmp_path):
    text = HEADER + ROWS[0] + '2024-01-03,"10.5,11,10,10.8,200\n' + ROWS[2]
    report = validate_csv(_csv(tmp_path, text))
    assert report.errors[report.errors["rule"] == "unparsable"]["row"].tolist() == [3]
    assert report.n_rows == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"line 1: empty file"),
        (bytes(range(256)), r"NUL byte at offset 0"),
        ((HEADER + ROWS[0]).encode("utf-16"), r"got UTF-16 \(byte-order mark at offset 0\)"),
        ((HEADER + ROWS[0]).replace(",", ";").encode(), r"the file looks ';'-separated"),
        (b"timestamp,open\n2024-01-02,1\n", r"missing \['high', 'low', 'close', 'volume'\]"),
        ((HEADER + ROWS[0]).encode() + b"\xff\n", r"line 3: not UTF-8 text"),
    ],
    ids=["empty", "binary", "utf16", "semicolons", "missing-columns", "latin1-byte"],
)
def test_unreadable_csv_is_one_line(tmp_path, data, message):
    path = tmp_path / "AAA.csv"
    path.write_bytes(data)
    with pytest.raises(DataError, match=message) as info:
        load_bars(str(path))
    assert "\n" not in str(info.value)


# --- Parquet --------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1, 1_000, 1_000_000, 1_000_000_000], ids=["s", "ms", "us", "ns"])
def test_parquet_integer_epochs_read_in_their_unit(tmp_path, scale):
    seconds = STAMPS.asi8 // 1_000_000_000
    path = tmp_path / "AAA.parquet"
    _frame(seconds * scale).to_parquet(path)
    assert load_bars(str(path)).index.get_level_values("timestamp").tolist() == list(STAMPS)
    assert read_parquet(path).index.tolist() == list(STAMPS)


def test_parquet_mixed_epoch_units_refused_naming_rows(tmp_path):
    seconds = STAMPS.asi8 // 1_000_000_000
    path = tmp_path / "AAA.parquet"
    _frame(np.array([seconds[0], seconds[1], seconds[2] * 1000])).to_parquet(path)
    with pytest.raises(DataError, match=r"AAA.parquet row 2: epoch 1704326400000 reads as ms "
                       r"while row 0's 1704153600 reads as s \(rule: one epoch unit per file"):
        load_bars(str(path))


def test_parquet_zero_rows_refused(tmp_path):
    path = tmp_path / "AAA.parquet"
    _frame(STAMPS).iloc[:0].to_parquet(path)
    with pytest.raises(DataError, match=r"AAA.parquet: no rows \(rule: at least one bar\)"):
        load_bars(str(path))


def test_parquet_rows_named_by_zero_based_index(tmp_path):
    frame = _frame(STAMPS)
    frame.loc[1, "open"] = -1.0
    path = tmp_path / "AAA.parquet"
    frame.to_parquet(path)
    report = read_table(path, ReadOptions())[1]
    assert set(report.errors["row"]) == {1}
    assert "(rows by 0-based index)" in report.format().splitlines()[0]
    with pytest.raises(DataError, match=r"\(rows by 0-based index\): row 1 "):
        load_bars(str(path))


@pytest.mark.parametrize("cut", [0, 4, 100, -12])
def test_truncated_parquet_is_one_line(tmp_path, cut):
    path = tmp_path / "AAA.parquet"
    _frame(STAMPS).to_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(DataError, match=r"AAA.parquet: not a readable Parquet file") as info:
        load_bars(str(path))
    assert "\n" not in str(info.value)


def test_parquet_duplicate_columns_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(_frame(STAMPS), preserve_index=False)
    table = table.append_column("Close", pa.array([1.0, 2.0, 3.0]))
    path = tmp_path / "AAA.parquet"
    pq.write_table(table, path)
    with pytest.raises(DataError, match=r"column 'close' appears twice"):
        load_bars(str(path))


def test_bars_index_refuses_epoch_numbers():
    with pytest.raises(DataError, match=r"timestamps: got int64 numbers"):
        to_utc_index(pd.Series([1704153600, 1704240000]))


@pytest.mark.parametrize("extra", ["", "\n", "\r\n"], ids=["fast-path", "blank-line", "crlf"])
def test_line_numbers_survive_the_fast_reader(tmp_path, extra):
    days = pd.bdate_range("2024-01-01", periods=500).strftime("%Y-%m-%d")
    lines = [f"{d},10,11,9,10.5,100" for d in days]
    lines[300] = lines[300].replace(",11,", ",eleven,")
    text = HEADER + "\n".join(lines[:100]) + "\n" + extra + "\n".join(lines[100:]) + "\n"
    report = validate_csv(_csv(tmp_path, text))
    bad = report.errors[report.errors["rule"] == "unparsable"]
    assert bad["row"].tolist() == [302 + (1 if extra else 0)]
    assert "cannot parse high 'eleven'" in bad["detail"].iloc[0]


def test_file_rule_message_keeps_a_path_with_spaces(tmp_path):
    folder = tmp_path / "my data"
    folder.mkdir()
    path = _csv(folder, HEADER + "1704153600,10,11,9,10.5,1000\n1704240000000,10.5,11,10,11,1\n")
    with pytest.raises(DataError, match=r"my data/AAA.csv line 3: epoch 1704240000000 reads as "
                       r"ms while line 2's 1704153600 reads as s"):
        load_ohlcv_csv(path)


def test_membership_errors_name_the_physical_line_past_blank_lines(tmp_path):
    from alphafactory.data.universe import read_membership

    path = tmp_path / "members.csv"
    path.write_text("symbol,start,end\n\nA,2020-01-01,\n\nB,nope,\n")
    with pytest.raises(DataError, match=r"members.csv line 5: field start \(rule: a date "
                       r"YYYY-MM-DD\); got 'nope'"):
        read_membership(path)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_failed_write_leaves_the_old_file_and_no_partial(tmp_path, monkeypatch, kind):
    import pyarrow.parquet as pq

    from alphafactory.data import write_ohlcv_csv, write_parquet

    bars = load_ohlcv_csv(_csv(tmp_path, HEADER + "".join(ROWS), "src.csv"))
    path = tmp_path / f"out.{kind}"
    path.write_bytes(b"old")

    def disk_full(*args, **kwargs):
        Path(args[1]).write_bytes(b"half")  # a half-written file, then the failure
        raise OSError(28, "No space left on device")

    if kind == "csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, *a, **k: disk_full(self, *a))
    else:
        monkeypatch.setattr(pq, "write_table", disk_full)
    with pytest.raises(OSError, match="No space left"):
        (write_ohlcv_csv if kind == "csv" else write_parquet)(bars, path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["src.csv", path.name])


def test_csv_nanosecond_epochs_keep_every_nanosecond(tmp_path):
    path = _csv(tmp_path, HEADER + "1704153600123456789,10,11,9,10.5,100\n"
                "1704153600123456790,10,11,9,10.5,100\n")  # fmt: skip
    table = read_table(path, ReadOptions())[0]
    assert table["timestamp"].astype("int64").tolist() == [1704153600123456789,
                                                           1704153600123456790]  # fmt: skip


def test_bars_a_nanosecond_apart_are_a_bar_length_error_not_a_huge_grid(tmp_path):
    path = _csv(tmp_path, HEADER + "1704153600123456789,10,11,9,10.5,100\n"
                "1704153600123456790,10,11,9,10.5,100\n")  # fmt: skip
    errors = validate_csv(path).errors
    assert errors["rule"].tolist() == ["bar_length"]
    assert "bars 0 days 00:00:00.000000001 apart (rule: bars are at least" in errors["detail"][0]


def test_sparse_intraday_bars_skip_the_grid_with_a_warning(tmp_path):
    path = _csv(tmp_path, HEADER + "2020-01-02T15:00:00Z,10,11,9,10.5,100\n"
                "2020-01-02T15:01:00Z,10,11,9,10.5,100\n"
                "2070-01-02T15:00:00Z,10,11,9,10.5,100\n")  # fmt: skip
    report = validate_csv(path)
    assert report.warnings["rule"].tolist() == ["sparse_bars"]


def test_intraday_bars_before_the_calendars_first_session_validate(tmp_path):
    path = _csv(tmp_path, HEADER + "1970-01-01T15:00:00Z,10,11,9,10.5,100\n"
                "1970-01-01T16:00:00Z,10,11,9,10.5,100\n")  # fmt: skip
    assert validate_csv(path).n_rows == 2  # XNYS starts 1970-01-02: no DateOutOfBounds


@pytest.mark.parametrize("column", ["timestamp", "open"])
@pytest.mark.parametrize("kind", ["date32", "ts_s_3000", "ts_new_york", "bool", "binary", "list",
                                  "struct", "time", "duration", "null", "decimal"])  # fmt: skip
def test_parquet_exotic_column_types_load_or_are_one_line(tmp_path, column, kind):
    import datetime as dt
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    day = [dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 3)]
    arrays = {
        "date32": pa.array([d.date() for d in day]),
        "ts_s_3000": pa.array([d.replace(year=3000) for d in day], type=pa.timestamp("s")),
        "ts_new_york": pa.array(day, type=pa.timestamp("us", tz="America/New_York")),
        "bool": pa.array([True, False]), "binary": pa.array([b"\x00", b"\x01"]),
        "list": pa.array([[1.0], [2.0]]), "struct": pa.array([{"a": 1}, {"a": 2}]),
        "time": pa.array([dt.time(1), dt.time(2)]),
        "duration": pa.array([1, 2], type=pa.duration("s")), "null": pa.array([None, None]),
        "decimal": pa.array([decimal.Decimal(1704153600), decimal.Decimal(1704240000)]),
    }  # fmt: skip
    table = pa.Table.from_pandas(_frame(STAMPS).iloc[:2], preserve_index=False)
    table = table.set_column(table.schema.get_field_index(column), column, arrays[kind])
    path = tmp_path / "AAA.parquet"
    pq.write_table(table, path)
    try:
        load_bars(str(path), calendar="24/7")
    except DataError as exc:
        assert "\n" not in str(exc) and "AAA.parquet" in str(exc)


@pytest.mark.parametrize("tz", [None, "UTC"])
def test_parquet_stamps_past_year_9999_are_one_line(tmp_path, tz):
    """A microsecond stamp in year 11104 (found by the Parquet fuzz) is named, not a crash."""
    stamps = np.array(["2024-01-02", "11104-01-03", "2024-01-04"], dtype="datetime64[us]")
    frame = pd.DataFrame({"timestamp": stamps, "open": 1.0, "high": 2.0, "low": 0.5,
                          "close": 1.5, "volume": 10.0})
    if tz:
        frame["timestamp"] = frame["timestamp"].dt.tz_localize(tz)
    path = tmp_path / "AAA.parquet"
    frame.to_parquet(path)
    with pytest.raises(DataError) as info:
        load_bars(path)  # a Path is a spec like its string
    message = str(info.value)
    assert "\n" not in message and "AAA.parquet" in message and "row 1" in message
