"""Bars: schema, validation, CSV/Parquet I/O, downloads, bundled samples, synthetic markets."""

from alphafactory.data.panel import OHLCV_COLUMNS, is_panel, panel_arrays, to_long, to_wide
from alphafactory.data.planted import planted_alpha
from alphafactory.data.synthetic import SyntheticMarket, synthetic_market

__all__ = [
    "OHLCV_COLUMNS",
    "SyntheticMarket",
    "is_panel",
    "panel_arrays",
    "planted_alpha",
    "synthetic_market",
    "to_long",
    "to_wide",
]
