"""update_bars: dedupe, replace, reject, revalidate, atomic writes in each file's own format."""

from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.data import store as store_module
from alphafactory.data import synthetic_market
from alphafactory.data.sources import BarsSource
from alphafactory.data.store import update_bars
from alphafactory.errors import DataError

HEADER = "Date,Open,High,Low,Close,Volume"


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return synthetic_market(3, 40, seed=4, calendar="XNYS", start="2024-01-02").bars


def us_csv(bars: pd.DataFrame, symbol: str, rows: slice) -> str:
    """Lines of one symbol's bars in the user's layout: US dates, capitalized header."""
    one = bars.xs(symbol, level="symbol").iloc[rows]
    lines = [HEADER] + [
        f"{t.strftime('%m/%d/%Y')}," + ",".join(repr(float(x)) for x in row)
        for t, row in zip(one.index, one.to_numpy(), strict=True)
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def own(tmp_path, market):
    """A folder store with the first 30 sessions of S0 and S1, and a folder of newer bars."""
    folder, new = tmp_path / "own", tmp_path / "new"
    folder.mkdir()
    new.mkdir()
    for symbol in ("S0", "S1"):
        (folder / f"{symbol}.csv").write_text(us_csv(market, symbol, slice(0, 30)))
        (new / f"{symbol}.csv").write_text(us_csv(market, symbol, slice(28, 40)))
    (new / "S2.csv").write_text(us_csv(market, "S2", slice(0, 40)))
    return BarsSource.parse(str(folder), date_format="%m/%d/%Y"), new


def test_update_folder_adds_dedupes_and_keeps_the_users_format(own, market):
    source, new = own
    report = update_bars(source, str(new))
    assert report.summary()["added"] == 10 + 10 + 40
    assert report.unchanged == 4 and len(report.replaced) == 0 and len(report.rejected) == 0
    assert sorted(report.files) == sorted(str(p) for p in source_files(source, "S0", "S1", "S2"))
    first = (source_files(source, "S0")[0]).read_text().splitlines()
    assert first[0] == HEADER and first[1].startswith("01/02/2024,")
    bars = source.load()
    pd.testing.assert_frame_equal(bars[list(market.columns)], market, check_freq=False)
    again = update_bars(source, str(new))
    assert again.summary()["added"] == 0 and again.files == ()


def test_update_replaces_revised_bars_and_rejects_bad_rows(own, tmp_path):
    source, _ = own
    lines = (source_files(source, "S0")[0]).read_text().splitlines()
    fields = lines[-1].split(",")
    fields[4] = repr(float(fields[3]) + (float(fields[2]) - float(fields[3])) / 2)  # new close
    bad = lines[-2].split(",")
    bad[1] = "-1"
    (tmp_path / "S0.csv").write_text("\n".join([HEADER, ",".join(fields), ",".join(bad)]) + "\n")
    report = update_bars(source, str(tmp_path / "S0.csv"))
    assert len(report.replaced) == 1 and len(report.added) == 0
    assert report.rejected[["row", "symbol", "rule"]].values.tolist() == [
        [3, "S0", "nonpositive_price"]]  # fmt: skip
    assert "S0.csv line 3 S0: nonpositive_price: price <= 0" in report.format()
    stored = source.load().xs("S0", level="symbol")
    assert stored["close"].iloc[-1] == float(fields[4])


def test_update_that_breaks_validation_writes_nothing(own, tmp_path, market):
    source, _ = own
    before = {p: p.read_bytes() for p in source_files(source, "S0", "S1")}
    # a bar two sessions after the last stored one leaves a gap (missing session)
    gap = us_csv(market, "S0", slice(31, 32))
    (tmp_path / "S0.csv").write_text(gap)
    with pytest.raises(DataError, match=r"nothing written; first: .* S0: missing_session"):
        update_bars(source, str(tmp_path / "S0.csv"))
    assert {p: p.read_bytes() for p in before} == before


def test_update_is_atomic_when_a_write_fails(own, monkeypatch):
    source, new = own
    before = {p: p.read_bytes() for p in source_files(source, "S0", "S1")}
    real, calls = store_module.render, []

    def failing(bars, fmt, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(bars, fmt, path)

    monkeypatch.setattr(store_module, "render", failing)
    with pytest.raises(OSError, match="disk full"):
        update_bars(source, str(new))
    folder = source_files(source, "S0")[0].parent
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in folder.iterdir()) == ["S0.csv", "S1.csv"]  # no temp left


def test_update_dry_run_writes_nothing(own):
    source, new = own
    before = {p: p.read_bytes() for p in source_files(source, "S0", "S1")}
    report = update_bars(source, str(new), dry_run=True)
    assert report.dry_run and len(report.files) == 3 and "would write" in report.format()
    assert {p: p.read_bytes() for p in before} == before
    assert not source_files(source, "S2")[0].exists()


def test_update_single_file_takes_the_stores_symbol(tmp_path, market):
    path = tmp_path / "S1.csv"
    path.write_text(us_csv(market, "S1", slice(0, 20)))
    (tmp_path / "more.csv").write_text(us_csv(market, "S1", slice(20, 25)))
    source = BarsSource.parse(str(path), date_format="%m/%d/%Y")
    assert update_bars(source, str(tmp_path / "more.csv")).summary()["added"] == 5
    assert len(source.load()) == 25 and path.read_text().startswith(HEADER)


def test_update_refuses_a_file_with_columns_it_cannot_keep(tmp_path, market):
    path = tmp_path / "S0.csv"
    lines = us_csv(market, "S0", slice(0, 5)).splitlines()
    path.write_text("\n".join([lines[0] + ",Adj Close"] + [x + "," + x.split(",")[4]
                                                           for x in lines[1:]]) + "\n")  # fmt: skip
    (tmp_path / "new.csv").write_text(us_csv(market, "S0", slice(5, 6)))
    before = path.read_bytes()
    source = BarsSource.parse(str(path), date_format="%m/%d/%Y")
    with pytest.raises(DataError, match=r"\['Adj Close'\] cannot be kept by a store update"):
        update_bars(source, str(tmp_path / "new.csv"))
    assert path.read_bytes() == before


def test_update_parquet_panel_from_a_frame(tmp_path, market):
    from alphafactory.data import write_parquet

    path = write_parquet(market.iloc[: 3 * 30], tmp_path / "panel.parquet")
    source = BarsSource.parse(str(path))
    report = update_bars(source, market.iloc[3 * 25:])
    assert report.summary()["added"] == 30 and report.unchanged == 15
    pd.testing.assert_frame_equal(source.load()[list(market.columns)], market, check_freq=False)


def test_update_new_folder_store_is_created(tmp_path, market):
    source = BarsSource.parse(str(tmp_path / "fresh"))
    report = update_bars(source, market)
    assert report.summary()["added"] == len(market)
    assert sorted(p.name for p in (tmp_path / "fresh").iterdir()) == ["S0.csv", "S1.csv",
                                                                       "S2.csv"]  # fmt: skip
    pd.testing.assert_frame_equal(source.load()[list(market.columns)], market, check_freq=False)


@pytest.mark.parametrize("spec", ["sample", "synthetic:n_symbols=3"])
def test_update_of_a_generated_source_is_an_error(spec, market):
    with pytest.raises(DataError, match="has no store to update"):
        update_bars(spec, market)


def test_update_file_store_without_new_bars_is_an_error(own):
    source, _ = own
    with pytest.raises(DataError, match="no new bars given"):
        update_bars(source)


def source_files(source: BarsSource, *symbols: str):
    from pathlib import Path

    return [Path(source.spec) / f"{s}.csv" for s in symbols]
