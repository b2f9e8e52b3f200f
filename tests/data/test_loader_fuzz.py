"""Fuzz the CSV and Parquet loaders: whatever the bytes, a DataError of one line or valid bars.

Targets (200 examples each in the default run): random bytes as a CSV; random mutations of a
valid CSV (dropped, duplicated, renamed columns, bad cells, truncation, other encodings and
delimiters, quotes, blank lines); random bytes and truncations of a valid Parquet file;
Parquet files with wrong dtypes and epoch integers in any unit; and valid files, which must load.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphafactory.data import load_bars
from alphafactory.data.csv_io import validate_csv
from alphafactory.errors import AlphaFactoryError

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
FIRST_DAY, LAST_DAY = pd.Timestamp("1990-01-01").date(), pd.Timestamp("2200-01-01").date()
ZONES = st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5))])
DATETIMES = st.datetimes(min_value=dt.datetime(1600, 1, 1), max_value=dt.datetime(2300, 1, 1),
                         timezones=ZONES)  # fmt: skip
COLUMNS = ["timestamp", "open", "high", "low", "close", "volume"]
VALID = (
    "timestamp,open,high,low,close,volume\n"
    "2024-01-02,10,11,9,10.5,1000\n"
    "2024-01-03,10.5,11.5,10,11,1200\n"
    "2024-01-04,11,12,10.5,11.5,900\n"
    "2024-01-05,11.5,12,11,11.8,950\n"
)
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["nan", "inf", "-1", "0", "1e400", "-1e15", "99999999999999999999",
                     "1677-01-01", "2262-05-01", "2024-02-30", "01/04/2024", '"', '""',
                     "2024-01-03T10:00:00+05:00", "1704240000", "1704240000000", "1,5"]),
)  # fmt: skip


def _load(path) -> None:
    """Load and validate ``path``; the only exception allowed is a one-line AlphaFactoryError."""
    for call in (lambda: load_bars(str(path), calendar="24/7"),
                 lambda: validate_csv(path) if path.suffix == ".csv" else None):  # fmt: skip
        try:
            call()
        except AlphaFactoryError as exc:
            message = str(exc)
            assert message and "\n" not in message, repr(message)
            assert "Traceback" not in message


def _mutate(data: st.DataObject) -> bytes:
    rows = [line.split(",") for line in VALID.splitlines()]
    for _ in range(data.draw(st.integers(1, 4), label="n_mutations")):
        op = data.draw(st.sampled_from(["drop_col", "dup_col", "rename_col", "cell", "row",
                                        "blank", "quote", "ragged"]), label="op")  # fmt: skip
        width = len(rows[0])
        col = data.draw(st.integers(0, max(width - 1, 0)), label="col")
        if op == "drop_col" and width > 1:
            rows = [r[:col] + r[col + 1:] for r in rows]
        elif op == "dup_col" and width:
            rows = [[*r, r[col]] if len(r) > col else r for r in rows]
        elif op == "rename_col" and width:
            rows[0][col] = data.draw(st.sampled_from(["Close", "DATE", "x", "", "close ",
                                                      "adj_close", "symbol", "time"]))  # fmt: skip
        elif op == "cell":
            r = data.draw(st.integers(0, len(rows) - 1), label="row")
            if rows[r]:
                rows[r][min(col, len(rows[r]) - 1)] = data.draw(CELLS, label="cell")
        elif op == "row":
            rows.append(list(rows[data.draw(st.integers(0, len(rows) - 1))]))
        elif op == "blank":
            rows.insert(data.draw(st.integers(1, len(rows))), [""])
        elif op == "quote" and len(rows) > 1:
            r = data.draw(st.integers(1, len(rows) - 1))
            rows[r] = [f'"{c}"' for c in rows[r]]
        elif op == "ragged" and len(rows) > 1:
            rows[-1] = rows[-1][: data.draw(st.integers(0, len(rows[-1])))]
    sep = data.draw(st.sampled_from([",", ",", ",", ";", "\t"]), label="sep")
    end = data.draw(st.sampled_from(["\n", "\r\n", "\r"]), label="line_end")
    text = end.join(sep.join(r) for r in rows) + end
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    raw = text.encode(encoding, errors="replace")
    cut = data.draw(st.integers(0, len(raw)), label="truncate_at")
    return raw[:cut] if data.draw(st.booleans(), label="truncate") else raw


@FUZZ
@given(raw=st.binary(max_size=400))
def test_fuzz_csv_random_bytes_one_line_or_bars(tmp_path, raw):
    path = tmp_path / "AAA.csv"
    path.write_bytes(raw)
    _load(path)


@FUZZ
@given(data=st.data())
def test_fuzz_csv_mutations_one_line_or_bars(tmp_path, data):
    path = tmp_path / "AAA.csv"
    path.write_bytes(_mutate(data))
    _load(path)


def _valid_parquet() -> bytes:
    frame = pd.read_csv(io.StringIO(VALID))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


PARQUET = _valid_parquet()


@FUZZ
@given(cut=st.integers(0, len(PARQUET)), noise=st.binary(max_size=64), where=st.integers(0, 4000))
def test_fuzz_parquet_truncated_or_corrupted_one_line(tmp_path, cut, noise, where):
    data = PARQUET[:cut] if cut < len(PARQUET) else PARQUET
    if noise:  # overwrite a stretch with random bytes
        at = min(where, max(len(data) - 1, 0))
        data = data[:at] + noise + data[at + len(noise):]
    path = tmp_path / "AAA.parquet"
    path.write_bytes(data)
    _load(path)


@FUZZ
@given(data=st.data())
def test_fuzz_parquet_dtypes_and_epochs_one_line_or_bars(tmp_path, data):
    frame = pd.read_csv(io.StringIO(VALID))
    stamps = pd.to_datetime(frame["timestamp"], utc=True).astype("datetime64[ns, UTC]")
    kind = data.draw(st.sampled_from(["epoch", "mixed_epoch", "float_epoch", "text", "naive",
                                      "negative", "datetime"]), label="stamp_kind")  # fmt: skip
    seconds = stamps.astype("int64").to_numpy() // 1_000_000_000
    scale = data.draw(st.sampled_from([1, 1_000, 1_000_000, 1_000_000_000]), label="unit")
    if kind == "epoch":
        frame["timestamp"] = seconds * scale
    elif kind == "mixed_epoch":
        frame["timestamp"] = seconds * np.array([1, scale, 1, 1])
    elif kind == "float_epoch":
        frame["timestamp"] = (seconds * scale).astype(np.float64)
    elif kind == "text":
        frame["timestamp"] = frame["timestamp"].astype(str)
    elif kind == "naive":
        frame["timestamp"] = stamps.dt.tz_convert(None)
    elif kind == "negative":
        frame["timestamp"] = -seconds * scale
    else:
        frame["timestamp"] = stamps
    for col in data.draw(st.lists(st.sampled_from(COLUMNS[1:]), max_size=3), label="bad_cols"):
        frame[col] = data.draw(st.sampled_from(["text", "int", "bool", "drop", "nan"]))
        frame[col] = {"text": frame[col].astype(str) + "x", "int": np.arange(len(frame)),
                      "bool": True, "nan": np.nan, "drop": 0}[frame[col].iloc[0]]  # fmt: skip
    if data.draw(st.booleans(), label="drop_rows"):
        frame = frame.iloc[: data.draw(st.integers(0, len(frame)))]
    path = tmp_path / "AAA.parquet"
    frame.to_parquet(path)
    _load(path)


@FUZZ
@given(
    n=st.integers(2, 30),
    start=st.dates(min_value=FIRST_DAY, max_value=LAST_DAY),
    level=st.floats(0.01, 1e6),
    moves=st.lists(st.floats(-0.2, 0.2), min_size=30, max_size=30),
    as_parquet=st.booleans(),
)
def test_fuzz_valid_files_still_load(tmp_path, n, start, level, moves, as_parquet):
    index = pd.date_range(pd.Timestamp(start), periods=n, freq="D", tz="UTC", name="timestamp")
    close = level * np.exp(np.cumsum(moves[:n]) * 0.1)  # small moves: no split signature
    bars = pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99,
                         "close": close, "volume": 1000.0}, index=index)  # fmt: skip
    if as_parquet:
        path = tmp_path / "AAA.parquet"
        bars.reset_index().to_parquet(path)
    else:
        path = tmp_path / "AAA.csv"
        bars.reset_index().assign(timestamp=index.strftime("%Y-%m-%d")).to_csv(path, index=False)
    loaded = load_bars(str(path), calendar="24/7")
    assert len(loaded) == n
    np.testing.assert_allclose(loaded["close"].to_numpy(), close, rtol=1e-12)


@pytest.mark.parametrize("scale", [1, 1_000, 1_000_000, 1_000_000_000])
def test_valid_epoch_parquet_loads_to_the_same_bars_as_datetimes(tmp_path, scale):
    frame = pd.read_parquet(io.BytesIO(PARQUET))
    stamps = frame["timestamp"].astype("datetime64[ns, UTC]")
    frame["timestamp"] = stamps.astype("int64") // 1_000_000_000 * scale
    path = tmp_path / "AAA.parquet"
    frame.to_parquet(path)
    loaded = load_bars(str(path), calendar="24/7")
    assert loaded.index.get_level_values("timestamp").tolist() == stamps.tolist()


@FUZZ
@given(
    stamps=st.lists(
        st.one_of(
            st.integers(-(2**63) + 1, 2**63 - 1).map(str),
            st.integers(0, 10**10).map(str),
            DATETIMES.map(lambda d: d.isoformat()),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_fuzz_csv_timestamps_any_values_one_line_or_bars(tmp_path, stamps):
    """Any stamps, any spacing (a nanosecond apart, centuries apart): no huge grid, one line."""
    path = tmp_path / "AAA.csv"
    path.write_text("timestamp,open,high,low,close,volume\n"
                    + "".join(f"{s},10,11,9,10.5,100\n" for s in stamps))  # fmt: skip
    _load(path)
