"""Bars: schema, validation, CSV/Parquet I/O, sources and their store, downloads, bundled
samples, synthetic markets."""

from alphafactory.data.alpha_spec import AlphaSpec
from alphafactory.data.bundled import SampleInfo, list_samples, load_sample
from alphafactory.data.csv_io import load_ohlcv_csv, validate_csv, write_ohlcv_csv
from alphafactory.data.download import DownloadError, download
from alphafactory.data.panel import OHLCV_COLUMNS, is_panel, panel_arrays, to_long, to_wide
from alphafactory.data.parquet_io import read_parquet, write_parquet
from alphafactory.data.planted import planted_alpha
from alphafactory.data.schema import check_bars, fingerprint, normalize_bars
from alphafactory.data.sources import BarsSource, load_bars
from alphafactory.data.store import UpdateReport, update_bars
from alphafactory.data.synthetic import SyntheticMarket, synthetic_market
from alphafactory.data.universe import read_membership
from alphafactory.data.validation import DataValidationError, ValidationReport, validate_ohlcv
from alphafactory.data.wide import Panel, load_panel

__all__ = [
    "OHLCV_COLUMNS",
    "AlphaSpec",
    "BarsSource",
    "DataValidationError",
    "DownloadError",
    "Panel",
    "SampleInfo",
    "SyntheticMarket",
    "UpdateReport",
    "ValidationReport",
    "check_bars",
    "download",
    "fingerprint",
    "is_panel",
    "list_samples",
    "load_bars",
    "load_ohlcv_csv",
    "load_panel",
    "load_sample",
    "normalize_bars",
    "panel_arrays",
    "planted_alpha",
    "read_membership",
    "read_parquet",
    "synthetic_market",
    "to_long",
    "to_wide",
    "update_bars",
    "validate_csv",
    "validate_ohlcv",
    "write_ohlcv_csv",
    "write_parquet",
]
