"""Bars from a source spec: one string every command and workflow file accepts.

``"sample"`` (alias of ``"sample:us-equities-daily"``), ``"sample:NAME"``, or a path to a bars
CSV or Parquet file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alphafactory.errors import SourceNotFoundError


def load_bars(spec: str) -> pd.DataFrame:
    """Return the bars a source spec names.

    Parameters
    ----------
    spec : str
        ``"sample"``, ``"sample:NAME"`` or the path of a bars CSV or Parquet file.

    Raises
    ------
    SourceNotFoundError
        If the file or sample does not exist.
    """
    from alphafactory.data.bundled import load_sample
    from alphafactory.data.csv_io import load_ohlcv_csv
    from alphafactory.data.parquet_io import read_parquet

    if spec == "sample":
        return load_sample()
    if spec.startswith("sample:"):
        return load_sample(spec.split(":", 1)[1])
    path = Path(spec)
    if not path.exists():
        raise SourceNotFoundError(f"bars source {spec!r}: no file at {path} (or pass 'sample')")
    if path.suffix.lower() in {".parquet", ".pq"}:
        return read_parquet(path)
    return load_ohlcv_csv(path)  # type: ignore[return-value]
