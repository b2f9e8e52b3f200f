"""Real market data bundled with the package (no network, no extra dependency at run time)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from alphafactory.data.parquet_io import read_parquet


@dataclass(frozen=True, kw_only=True, slots=True)
class SampleInfo:
    """What a bundled sample holds and where it comes from."""

    name: str
    filename: str
    description: str
    symbols: tuple[str, ...]
    start: str
    end: str
    frequency: str
    adjustment: str
    source: str
    license: str


SAMPLES: tuple[SampleInfo, ...] = (
    SampleInfo(
        name="us-equities-daily",
        filename="us_equities_daily.parquet",
        description=(
            "Daily OHLCV of five surviving US large caps (GOOG from 2004-08, FB from 2012-05); "
            "illustrates the pipeline, proves nothing about alpha."
        ),
        symbols=("AAPL", "FB", "GOOG", "IBM", "MSFT"),
        start="2000-03-01",
        end="2013-03-01",
        frequency="1D",
        adjustment="split and dividend: OHLC x adj_close/close, volume x close/adj_close",
        source="Quandl WIKI Prices via the bokeh-sampledata 2026.1 package (stocks.csv.gz)",
        license="public domain",
    ),
)


def list_samples() -> pd.DataFrame:
    """Return one row per bundled sample: name, symbols, dates, frequency, adjustment, source."""
    rows = [
        {
            "name": s.name,
            "symbols": ",".join(s.symbols),
            "start": s.start,
            "end": s.end,
            "frequency": s.frequency,
            "adjustment": s.adjustment,
            "source": s.source,
            "license": s.license,
            "description": s.description,
        }
        for s in SAMPLES
    ]
    return pd.DataFrame(rows).set_index("name")


def load_sample(name: str = "us-equities-daily") -> pd.DataFrame:
    """Load a bundled sample as Bars.

    Parameters
    ----------
    name : str
        A name from :func:`list_samples`.

    Returns
    -------
    DataFrame
        Long Bars frame indexed by ``(timestamp, symbol)``; ``attrs`` holds ``name``, ``source``
        and ``adjustment``.
    """
    info = sample_info(name)
    resource = resources.files("alphafactory.data").joinpath("samples", info.filename)
    with resources.as_file(resource) as path:
        bars = read_parquet(path)
    bars.attrs["asset_class"] = "equities"
    return bars


def sample_info(name: str) -> SampleInfo:
    """The :class:`SampleInfo` of ``name``; ``KeyError`` listing the known names otherwise."""
    for info in SAMPLES:
        if info.name == name:
            return info
    known = ", ".join(s.name for s in SAMPLES)
    raise KeyError(f"No bundled sample named {name!r}; available: {known}.")
