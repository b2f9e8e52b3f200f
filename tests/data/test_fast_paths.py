"""The column-wise fast paths (pyarrow CSV/Parquet, whole-panel rules) against the careful ones.

Every file here is loaded twice: through the fast path, and with the fast path switched off
(the careful, cell-by-cell reader); bars and reports must be identical. The whole-panel rules are
checked against the definition they vectorize: a panel's calendar and jump issues are each
symbol's own, in symbol order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import (
    arrow_table,
    csv_io,
    files,
    load_bars,
    load_ohlcv_csv,
    synthetic_market,
    validate_ohlcv,
    write_ohlcv_csv,
    write_parquet,
)


def _careful(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_io, "read_csv_fast", lambda *a, **k: None)
    monkeypatch.setattr(files, "read_parquet_fast", lambda *a, **k: None)


def _both(monkeypatch, load):
    fast = load()
    with monkeypatch.context() as m:
        _careful(m)
        slow = load()
    return fast, slow


def _same(fast, slow) -> None:
    (fb, fr), (sb, sr) = fast, slow
    pd.testing.assert_frame_equal(fb, sb, check_exact=True)
    pd.testing.assert_index_equal(fb.index, sb.index, exact=True)
    assert fb.attrs == sb.attrs
    pd.testing.assert_frame_equal(fr.issues, sr.issues, check_exact=True)
    pd.testing.assert_frame_equal(fr.actions, sr.actions, check_exact=True)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return synthetic_market(n_symbols=4, n_bars=90, seed=3, calendar="XNYS").bars


def _lines(bars: pd.DataFrame, path: Path) -> list[str]:
    write_ohlcv_csv(bars, path)
    return path.read_text().splitlines()


def _edit(lines: list[str], line: int, field: int, value: str) -> None:
    cells = lines[line - 1].split(",")
    cells[field] = value
    lines[line - 1] = ",".join(cells)


def _hostile(lines: list[str]) -> list[str]:
    """Rows every rule flags, all still well-formed text the fast path reads."""
    lines = list(lines)
    _edit(lines, 5, 2, "nan")  # nan
    _edit(lines, 9, 6, "-5")  # negative volume
    _edit(lines, 13, 4, "1e9")  # ohlc_inconsistent (low above)
    _edit(lines, 17, 3, "0.0001")  # high below low
    _edit(lines, 21, 5, "0")  # nonpositive price
    lines.insert(30, lines[25])  # a duplicate, out of order
    del lines[60]  # a missing session
    _edit(lines, 101, 0, "2010-02-06")  # a Saturday: a bar off the calendar
    for i in range(200, len(lines)):
        if lines[i].split(",")[1] == "S1":  # S1 at a 100x level from here on
            cells = lines[i].split(",")
            cells[2:6] = [repr(float(c) * 100) for c in cells[2:6]]
            lines[i] = ",".join(cells)
    for i in range(280, len(lines)):
        if lines[i].split(",")[1] == "S2":  # S2 halves: an unadjusted 2-for-1 split
            cells = lines[i].split(",")
            cells[2:6] = [repr(float(c) / 2) for c in cells[2:6]]
            lines[i] = ",".join(cells)
    return lines


@pytest.mark.parametrize("policy", ["drop", "repair"])
def test_csv_fast_path_rule_breaking_rows_same_as_careful(tmp_path, monkeypatch, panel, policy):
    path = tmp_path / "bars.csv"
    path.write_text("\n".join(_hostile(_lines(panel, path))) + "\n")
    assert arrow_table.read_csv_fast(path, date_format=None, tz=None, columns=None) is not None
    fast, slow = _both(monkeypatch, lambda: load_ohlcv_csv(path, on_error=policy,
                                                           return_report=True))  # fmt: skip
    _same(fast, slow)
    rules = set(fast[1].issues["rule"])
    assert {"nan", "negative_volume", "ohlc_inconsistent", "high_below_low", "duplicate_timestamp",
            "unsorted", "missing_session", "non_session", "unit_error",
            "split_signature"} <= rules  # fmt: skip


@pytest.mark.parametrize(
    "variant", ["clean", "padded", "no_symbol", "adj_close", "crlf", "bom", "quoted", "blank_line"]
)
def test_csv_variants_fast_or_careful_give_same_bars(tmp_path, monkeypatch, panel, variant):
    path = tmp_path / "S007.csv"
    bars = panel.xs("S0", level="symbol") if variant in ("no_symbol", "adj_close") else panel
    lines = _lines(bars, path)
    if variant == "padded":
        field = 2 if "symbol" in lines[0] else 1
        _edit(lines, 3, field, f" {lines[2].split(',')[field]} ")
    if variant == "adj_close":
        lines = [f"{line},{'adj_close' if i == 0 else '1.5'}" for i, line in enumerate(lines)]
    if variant == "quoted":
        _edit(lines, 4, 1, '"S1"')
    if variant == "blank_line":
        lines.insert(7, "")
    sep = "\r\n" if variant == "crlf" else "\n"
    text = ("\ufeff" if variant == "bom" else "") + sep.join(lines) + sep
    path.write_bytes(text.encode())
    fast, slow = _both(monkeypatch, lambda: load_ohlcv_csv(path, on_error="drop",
                                                           return_report=True))  # fmt: skip
    _same(fast, slow)
    if variant == "no_symbol":  # through load_bars: the file's stem names the symbol
        bars_fast, bars_slow = _both(monkeypatch, lambda: load_bars(path))
        pd.testing.assert_frame_equal(bars_fast, bars_slow, check_exact=True)
        assert set(bars_fast.index.get_level_values("symbol")) == {"S007"}


def test_parquet_fast_path_same_as_careful(tmp_path, monkeypatch, panel):
    path = tmp_path / "bars.parquet"
    write_parquet(panel, path)
    assert arrow_table.read_parquet_fast(path, date_format=None, tz=None, columns=None) is not None
    fast, slow = _both(monkeypatch, lambda: load_bars(path))
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    pd.testing.assert_index_equal(fast.index, slow.index, exact=True)


def test_panel_rules_are_each_symbols_own(panel):
    """Calendar and jump issues of a panel (daily and intraday symbols mixed) are the
    concatenation of each symbol's, symbol by symbol."""
    daily = panel.copy()
    daily.iloc[7, :4] *= 100  # a unit error
    daily = daily.drop(daily.index[40:44])  # missing sessions
    minute = synthetic_market(n_symbols=2, n_bars=200, freq="15min", seed=1).bars
    minute = minute.drop(minute.index[50:53]).rename(index={"S0": "A", "S1": "Z"})
    frame = pd.concat([daily, minute]).reset_index()
    per_symbol = ("missing_session", "missing_bar", "non_session", "unit_error",
                  "split_signature")  # fmt: skip
    whole = validate_ohlcv(frame, calendar="XNYS").issues
    whole = whole[whole["rule"].isin(per_symbol)].reset_index(drop=True)
    parts = []
    for _symbol, rows in frame.groupby("symbol", sort=True):
        issues = validate_ohlcv(rows, calendar="XNYS").issues
        issues["row"] = rows.index.to_numpy()[issues["row"].astype("float").fillna(0).astype(int)]
        issues.loc[issues["rule"].isin(("missing_session", "missing_bar")), "row"] = pd.NA
        parts.append(issues[issues["rule"].isin(per_symbol)])
    expected = pd.concat(parts, ignore_index=True)
    expected["row"] = expected["row"].astype("Int64")
    expected = expected.sort_values(["row", "timestamp"], kind="stable", na_position="last")
    assert len(whole) and {"missing_session", "unit_error"} <= set(whole["rule"])
    pd.testing.assert_frame_equal(whole, expected.reset_index(drop=True), check_dtype=False)
    assert np.array_equal(whole["symbol"].to_numpy(), expected["symbol"].to_numpy())
