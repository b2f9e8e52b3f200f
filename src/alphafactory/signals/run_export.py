"""Export a run's out-of-sample predictions as a signal file, with the run's provenance.

A run directory (see :mod:`alphafactory.runs`) holds ``predictions.parquet`` (scores with their
realized ``label`` and ``fold``), ``config.toml`` and ``manifest.json``. The signal file keeps
only the scores; its sidecar takes the data fingerprint from the manifest and the model
configuration from the config, so a signal exported from a run always says what produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from alphafactory.runs import Run
from alphafactory.signals.io import (
    DEFAULT_SIGNAL_PATH,
    SignalFileError,
    SignalMetadata,
    export_signals,
)
from alphafactory.signals.reader import read_table


def export_run_signals(
    run: str | Path | Run,
    path: str | Path = DEFAULT_SIGNAL_PATH,
    *,
    models: Sequence[str] | None = None,
    fmt: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a run's out-of-sample predictions as a signal file plus its sidecar.

    Parameters
    ----------
    run : str, Path or Run
        The run directory (or its ``predictions.parquet``).
    path : str or Path
        Destination signal file (CSV or Parquet by suffix).
    models : sequence of str, optional
        Models to export (values of the predictions' ``model`` column); all when omitted.
    fmt : {"csv", "parquet"}, optional
        File format; inferred from the suffix when omitted.
    overwrite : bool
        Replace an existing file at ``path``.

    Returns
    -------
    Path
        The written signal file. Its sidecar's ``model_config`` is the run's ``config.toml``,
        its ``data_fingerprint`` the fingerprint of the data the exported models ran on.

    Raises
    ------
    SignalFileError
        The run has no predictions, they are unreadable (truncated, damaged, no rows) or have
        no data fingerprint, a requested model is not in the
        predictions, or the exported models ran on data sets with different fingerprints.
    """
    run = _open(run)
    source = run.path / "predictions.parquet"
    if not source.is_file():
        raise SignalFileError(f"{run.path}: the run has no predictions.parquet to export.")
    # The reader names the file when it is truncated, damaged or empty (one line, no traceback).
    predictions = read_table(source, "parquet")
    if isinstance(predictions.index, pd.MultiIndex) or predictions.index.name is not None:
        predictions = predictions.reset_index()
    if "model" not in predictions.columns:
        predictions = predictions.assign(model=str((run.manifest or {}).get("model") or run.name))
    if models is not None:
        known = set(predictions["model"].astype(str))
        missing = sorted(set(models) - known)
        if missing:
            raise SignalFileError(
                f"{run.path / 'predictions.parquet'}: model(s) {missing} not in the predictions; "
                f"it holds {sorted(known)}."
            )
        predictions = predictions[predictions["model"].isin(list(models))]
    fingerprint = run_data_fingerprint(run, predictions["model"].astype(str).unique())
    metadata = SignalMetadata(
        model_config=run.config,
        data_fingerprint=fingerprint,
        description=f"Out-of-sample predictions of run {run.path.name}.",
    )
    return export_signals(predictions, path, fmt=fmt, metadata=metadata, overwrite=overwrite)


def run_data_fingerprint(run: Run, models: Sequence[str]) -> str:
    """Return the fingerprint of the data ``models`` of ``run`` were trained and scored on.

    A run on one data set has one fingerprint. A run on several (the demo) names its models
    ``<dataset>:<model>``; the fingerprint is the one of their common data set.

    Raises
    ------
    SignalFileError
        No fingerprint in the manifest, or the models span data sets with different ones.
    """
    manifest = run.manifest or {}
    fingerprints = {str(k): str(v) for k, v in (manifest.get("data_fingerprints") or {}).items()}
    if not fingerprints:
        raise SignalFileError(
            f"{run.path / 'manifest.json'}: no data_fingerprints; a run's signals must name the "
            "data they came from."
        )
    if len(set(fingerprints.values())) == 1:
        return next(iter(fingerprints.values()))
    datasets = {m.split(":", 1)[0] if ":" in m else "" for m in models}
    found = {fingerprints.get(d) for d in datasets}
    if None in found or len(found) != 1:
        raise SignalFileError(
            f"{run.path}: models {sorted(models)} do not belong to one of the run's data sets "
            f"{sorted(fingerprints)}; export one data set's models (models=[...], CLI --models)."
        )
    return str(found.pop())


def _open(run: str | Path | Run) -> Run:
    if isinstance(run, Run):
        return run
    path = Path(run)
    if path.is_file() and path.name == "predictions.parquet":
        path = path.parent
    try:
        return Run.open(path)
    except (FileNotFoundError, ValueError) as exc:
        raise SignalFileError(f"{path}: {exc}") from None
