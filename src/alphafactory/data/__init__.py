"""Bars: schema, validation, CSV/Parquet I/O, downloads, bundled samples, synthetic markets."""

from alphafactory.data.panel import OHLCV_COLUMNS, is_panel, panel_arrays, to_long, to_wide

__all__ = ["OHLCV_COLUMNS", "is_panel", "panel_arrays", "to_long", "to_wide"]
