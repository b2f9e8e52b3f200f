"""Signal files: ``timestamp, symbol, model, score`` rows plus a JSON sidecar.

A signal file is CSV or Parquet, keyed by ``(timestamp, symbol, model)``, with a float ``score``
(higher = more bullish) and optional ``target_weight`` and ``horizon`` columns, nothing else:
signals carry no answers, so a ``label`` or ``fold`` column (or any other) is an error on load,
and :func:`export_signals` drops a predictions frame's ``label`` and ``fold``. Next to it,
``<file name>.meta.json`` records the schema version, the model's configuration, the data
fingerprint, the package version, the creation time (UTC), the rows, models and columns and a
SHA-256 of the file, so a sidecar that no longer describes its file is detected on load (see
:mod:`alphafactory.signals.sidecar`; reading: :mod:`alphafactory.signals.reader`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphafactory import __version__
from alphafactory.signals.reader import read_table
from alphafactory.signals.schema import (
    ANSWER_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SignalFileError,
    check_against_bars,
    check_columns,
    validated,
)
from alphafactory.signals.sidecar import (
    SCHEMA_VERSION,
    check_matches,
    read_sidecar,
    sha256,
    sidecar_path,
)

__all__ = ["DEFAULT_SIGNAL_PATH", "SCHEMA_VERSION", "SignalMetadata", "export_signals",
           "load_signals", "scores_wide", "sidecar_path"]  # fmt: skip
DEFAULT_SIGNAL_PATH = Path("signals/signal_files/alpha_ml_signals.csv")


@dataclass(frozen=True, kw_only=True, slots=True)
class SignalMetadata:
    """What the sidecar records about the model and data that produced the scores.

    Parameters
    ----------
    model_config : mapping
        The model's configuration (JSON-serializable).
    data_fingerprint : str, optional
        Fingerprint of the bars the model was trained and scored on.
    description : str
        Free text for people reading the file.
    """

    model_config: Mapping[str, Any] = field(default_factory=dict)
    data_fingerprint: str | None = None
    description: str = ""


def export_signals(
    predictions: pd.DataFrame | pd.Series,
    path: str | Path = DEFAULT_SIGNAL_PATH,
    *,
    fmt: str | None = None,
    model: str = "model",
    metadata: SignalMetadata | Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write predictions as a signal file plus its JSON sidecar.

    Parameters
    ----------
    predictions : DataFrame or Series
        Scores in long form: a Series or a frame with a ``score`` column, with ``timestamp`` and
        ``symbol`` (and optionally ``model``) as index levels or columns; or a wide ``T x N``
        frame of scores (index timestamps, one column per symbol; NaN cells are skipped). The
        answer columns of walk-forward predictions (``label``, ``fold``) are dropped; any other
        column besides ``target_weight`` and ``horizon`` is an error.
    path : str or Path
        Destination; its parent directory is created.
    fmt : {"csv", "parquet"}, optional
        File format; inferred from the suffix (``.parquet`` or ``.pq`` for Parquet, else CSV).
    model : str
        Model name used when the predictions have no ``model`` column.
    metadata : SignalMetadata or mapping, optional
        Model configuration and data fingerprint recorded in the sidecar.
    overwrite : bool
        Replace an existing file at ``path`` (and its sidecar); False raises instead.

    Returns
    -------
    Path
        The path of the written signal file.

    Raises
    ------
    SignalFileError
        ``path`` exists and ``overwrite`` is False, or is a directory; ``model`` is not a
        name; a column that is not a signal column; missing, NaN or duplicate scores; an empty
        or NaN symbol or model name. Nothing is written then; the file and its sidecar are
        written to temporary names and moved into place, so a failure never leaves half a pair.
    """
    path = Path(path)
    fmt = _format(path, fmt)
    meta = _metadata(metadata)
    if not isinstance(model, str) or not model.strip():
        raise SignalFileError(f"model: must be a non-empty model name, got {model!r}")
    if path.is_dir():
        raise SignalFileError(f"{path}: is a directory; a signal file path names a file")
    if path.exists() and not overwrite:
        raise SignalFileError(
            f"{path}: a signal file already exists; pass overwrite=True (CLI: --force) to "
            "replace it."
        )
    frame = validated(_long_frame(predictions, model), source="predictions")
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    if fmt == "csv":
        out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    sidecar = {
        "schema_version": SCHEMA_VERSION,
        "format": fmt,
        "models": sorted(frame["model"].unique().tolist()),
        "rows": len(frame),
        "columns": list(frame.columns),
        "model_config": dict(meta.model_config),
        "data_fingerprint": meta.data_fingerprint,
        "description": meta.description,
        "package_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _write_pair(out, fmt, path, sidecar)
    return path


def _write_pair(out: pd.DataFrame, fmt: str, path: Path, sidecar: dict[str, Any]) -> None:
    """Write the file and its sidecar to temporary names, then move both into place.

    A failure leaves the previous pair (or nothing) behind, never half a file; the file moves
    first, so a crash between the two moves leaves a sidecar whose checksum flags the file.
    """
    temps = []
    try:
        for target in (path, sidecar_path(path)):
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                            dir=target.parent)  # fmt: skip
            os.close(handle)
            temps.append(Path(name))
        if fmt == "csv":
            out.to_csv(temps[0], index=False, float_format="%.17g")
        else:
            out.to_parquet(temps[0], index=False)
        sidecar["sha256"] = sha256(temps[0])
        text = json.dumps(sidecar, indent=2, sort_keys=True, default=str) + "\n"
        temps[1].write_text(text, encoding="utf-8")
        mode = 0o666 & ~_umask()
        for temp, target in zip(temps, (path, sidecar_path(path)), strict=True):
            temp.chmod(mode)  # mkstemp makes 0600; a signal file follows the umask
            os.replace(temp, target)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load_signals(
    path: str | Path = DEFAULT_SIGNAL_PATH,
    *,
    bars: pd.DataFrame | None = None,
    require_sidecar: bool = True,
    verify_checksum: bool = True,
) -> pd.DataFrame:
    """Read and validate a signal file.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet signal file.
    bars : DataFrame, optional
        Long Bars frame (or a wide price frame) the signals will be traded on; every signal
        timestamp must be a bar timestamp not beyond the last bar, every symbol one of the bars'.
    require_sidecar : bool
        Raise when the ``.meta.json`` sidecar is missing (True by default).
    verify_checksum : bool
        Raise when the file's SHA-256, rows, models or columns differ from the ones the sidecar
        recorded; False reads a file edited since export.

    Returns
    -------
    DataFrame
        Columns ``timestamp`` (UTC), ``symbol``, ``model``, ``score`` and any optional columns,
        sorted by the key; the sidecar dict (or None) is in ``.attrs["metadata"]``.

    Raises
    ------
    SignalFileError
        An unreadable, empty or header-only file; missing columns, unparsable timestamps, NaN
        scores, missing symbols or model names, duplicate keys; a malformed, stale or foreign
        sidecar (see :mod:`alphafactory.signals.sidecar`); or timestamps/symbols the bars do
        not have. The message is one line naming the file, the rows or field and the rule.

    Warns
    -----
    SignalSidecarWarning
        The sidecar records no checksum (its rows and models are still checked).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No signal file at {path}.")
    meta = read_sidecar(path, require=require_sidecar, verify=verify_checksum)
    fmt = meta["format"] if meta else _format(path, None)
    raw = read_table(path, fmt)
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise SignalFileError(
            f"{path}: missing column(s) {missing}; a signal file needs {list(REQUIRED_COLUMNS)} "
            f"(and optionally model, {', '.join(OPTIONAL_COLUMNS)}), got {list(raw.columns)}."
        )
    check_columns(raw.columns, str(path))
    if "model" not in raw.columns:
        models = meta.get("models", []) if meta else []
        raw["model"] = models[0] if len(models) == 1 else "model"
    frame = validated(raw, source=str(path))
    if meta is not None and verify_checksum:
        check_matches(frame, meta, path)
    if bars is not None:
        check_against_bars(frame, bars, str(path))
    frame.attrs["metadata"] = meta
    return frame


def scores_wide(signals: pd.DataFrame, *, model: str | None = None, column: str = "score") -> (
    pd.DataFrame
):
    """Pivot loaded signals to a wide ``T x N`` frame of one model's scores.

    Parameters
    ----------
    signals : DataFrame
        As returned by :func:`load_signals`.
    model : str, optional
        Model to keep; required when the file holds several.
    column : str
        Column to pivot (``score`` or ``target_weight``).
    """
    models = signals["model"].unique()
    if model is None:
        if len(models) != 1:
            raise SignalFileError(
                f"The signals hold models {sorted(models)}; pass model=... to pick one."
            )
        model = models[0]
    chosen = signals[signals["model"] == model]
    if chosen.empty:
        raise SignalFileError(
            f"No signals for model {model!r}; the file holds {sorted(models)}."
        )
    wide = chosen.pivot(index="timestamp", columns="symbol", values=column).astype(np.float64)
    wide.columns.name = "symbol"
    return wide.sort_index().sort_index(axis=1)


def _format(path: Path, fmt: str | None) -> str:
    if fmt is None:
        return "parquet" if path.suffix.lower() in {".parquet", ".pq"} else "csv"
    if fmt not in {"csv", "parquet"}:
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}.")
    return fmt


def _metadata(metadata: SignalMetadata | Mapping[str, Any] | None) -> SignalMetadata:
    if metadata is None:
        return SignalMetadata()
    if isinstance(metadata, SignalMetadata):
        return metadata
    known = set(SignalMetadata.__dataclass_fields__)
    unknown = sorted(set(metadata) - known)
    if unknown:
        raise ValueError(
            f"Unknown signal metadata key(s) {unknown}; expected some of {sorted(known)}."
        )
    return SignalMetadata(**metadata)


def _long_frame(predictions: pd.DataFrame | pd.Series, model: str) -> pd.DataFrame:
    if isinstance(predictions, pd.Series):
        frame = predictions.rename("score").reset_index()
    elif "score" in predictions.columns or isinstance(predictions.index, pd.MultiIndex):
        frame = predictions.reset_index() if predictions.index.names[0] is not None else predictions
        frame = frame.copy()
    else:  # wide T x N scores
        stacked = predictions.stack(future_stack=True).dropna()
        stacked.index = stacked.index.set_names(["timestamp", "symbol"])
        frame = stacked.rename("score").reset_index()
    frame = frame.drop(columns=[c for c in ANSWER_COLUMNS if c in frame.columns])
    if "model" not in frame.columns:
        frame["model"] = model
    check_columns(frame.columns, "predictions")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SignalFileError(
            f"predictions: missing {missing}; pass a Series or frame indexed by "
            "(timestamp, symbol) with a 'score' column, or a wide T x N frame of scores."
        )
    return frame
