"""Run directories: the interface between jobs (demo, CLI) and readers (dashboard, ``rerun``).

Every job writes one directory ``<root>/<utc-time>-<name>/`` (``root`` is ``$ALPHAFACTORY_RUNS``
or ``./runs``; the time is the creation time as ``YYYYMMDDTHHMMSSZ``). Readers treat every
artifact but ``manifest.json`` as optional and say so when one is missing.

A run directory is complete or it is not a run. Batch jobs write under a staging name
(``.staging-<name>-<host>-<pid>-<k>``) and rename it when every artifact is written;
long-running jobs (``monitor watch``) keep a ``RUNNING`` marker with a heartbeat in their run
while they run.
:func:`list_runs` and :func:`latest_run` return complete runs only (``incomplete=True`` adds
those running or stopped mid-run); names starting with a dot (staging directories, temporary
files) are never read. A damaged artifact (truncated JSON or Parquet, invalid TOML) raises
:class:`~alphafactory.errors.RunError` naming the file. Files follow the umask. Details in
:mod:`alphafactory.runs.staging`.

Layout
------
``config.toml``
    The job's full configuration (the input of ``alphafactory rerun``).
``manifest.json``
    ``schema`` (1), ``name``, ``created_at`` / ``updated_at`` (ISO-8601 UTC), ``seed``,
    ``data_fingerprints`` (dataset name -> ``"sha256:..."``, see :func:`fingerprint`),
    ``n_trials`` (configurations tried, for the deflated Sharpe ratio), ``command`` (``argv``,
    ``shell``, ``executable``, ``cwd``), ``git`` (``commit``, ``dirty``; null outside a work
    tree), ``python``, ``implementation``, ``platform``, ``machine``, ``packages`` (distribution
    -> version: alphafactory, numpy, pandas, pyarrow, torch, ta-lib, ...), ``torch`` (threads,
    CUDA; when torch was loaded), ``env`` (reproducibility-relevant variables that were set),
    plus any job-specific keys passed as ``extra``.
``metrics.json``
    ``{"models": {MODEL: {METRIC: number | {"value": v, "low": lo, "high": hi}}}, ...}``:
    per model or strategy (``"lstm"``, ``"ensemble"``, ...) its metrics, a metric with a
    confidence interval as a mapping (``"level"`` optional, default 0.95); other top-level keys
    are run-level scalars (e.g. ``"n_trials"``, ``"periods_per_year"``).
``predictions.parquet``
    Out-of-sample scores, long: ``timestamp`` (UTC), ``symbol``, ``model``, ``fold`` (int),
    ``score`` (higher = more bullish) and optionally ``label`` (the realised forward return the
    score predicts). ``timestamp``/``symbol`` may be columns or index levels.
``signals.csv``
    The exported signal file (copied with :meth:`Run.copy_file`); its sidecar next to it.
``model/``, ``models/<model>/`` (``models/<dataset>/<model>/``), ``folds/<k>/``
    Model artifacts (:func:`alphafactory.models.load`): ``train`` writes its final refit to
    ``model/`` (fold models to ``folds/<k>/`` when kept); a workflow run writes each model's
    final refit to ``models/`` unless ``[models] save = "none"``.
``equity.parquet``
    Index ``timestamp``; one column per strategy or model: equity net of costs, starting at 1.0.
``trades.parquet``
    ``timestamp``, ``symbol``, ``model``, ``qty`` (signed shares), ``price``, ``notional``,
    ``cost`` (currency).
``folds.parquet``
    One row per (``model``, ``fold``): ``train_start``, ``train_end``, ``val_start``,
    ``val_end``, ``test_start``, ``test_end`` (UTC timestamps) and per-fold metrics
    (``ic``, ``rank_ic``, ``sharpe``, ``best_epoch``, ``n_inputs`` (features the fold's
    selection kept), ...).
``classification.parquet``
    ``metric``, ``value``, ``low``, ``high``, ``n``, ``model``: a classifier's out-of-sample
    metrics (accuracy, log loss, Brier, win rate, profit factor, ...) with 95% intervals.
``training_curves.parquet``
    ``model``, ``fold``, ``epoch``, ``train_loss``, ``val_loss``, ``val_ic``.
``robustness.parquet``
    ``model``, ``kind`` (``gaussian`` | ``fgsm``), ``eps``, ``ic``, ``hit_rate``.
``execution/fills.parquet``
    Child-order fills: ``timestamp``, ``symbol``, ``parent_id``, ``side`` (``B`` | ``S``),
    ``price``, ``qty``, ``mid`` (book mid at the fill).
``execution/book.parquet``
    Depth snapshots: ``timestamp``, ``symbol``, ``side`` (``bid`` | ``ask``), ``level``
    (0 = best), ``price``, ``qty``.
``execution/shortfall.parquet``
    One row per parent order: ``parent_id``, ``symbol``, ``side``, ``qty``, ``filled_qty``,
    ``arrival_price``, ``avg_price``, ``shortfall_bps`` (positive = cost).
``execution/cost_attribution.parquet``
    ``component`` (in order: ``gross_pnl``, ``spread``, ``impact``, ``opportunity``,
    ``fees``, ``net_pnl``), ``value`` (currency; costs negative) and optionally ``model``.
``risk/interventions.parquet``
    Every change the risk manager made to a backtest's decisions (see
    :data:`alphafactory.risk.INTERVENTION_COLUMNS`): ``timestamp`` (UTC, the decision's bar),
    ``limit`` (registered name), ``action`` (``scale`` | ``halt`` | ``reset``), ``reason``,
    ``measure``, ``threshold``, ``gross_before``, ``gross_after``, ``net_before``,
    ``net_after`` (target weights' ``sum |w|`` and ``sum w``), and ``model`` (the strategy key,
    ``"<dataset>:<strategy>"`` where the run has datasets). No rows: the risk manager ran and
    changed nothing.
``validation.parquet``
    Data validation issues: ``symbol``, ``row``, ``timestamp``, ``rule``, ``detail``,
    ``severity`` (``error`` | ``warning``), and ``action`` (what the policy did) when known.
``figures/``
    PNG, SVG or HTML figures the job saved.

Examples
--------
>>> run = Run.create("demo", {"model": {"name": "lstm"}}, seed=7)  # doctest: +SKIP
>>> run.write_table("equity", equity)                                # doctest: +SKIP
>>> run.write_metrics({"models": {"lstm": {"sharpe": 1.2}}})         # doctest: +SKIP
>>> run.write_manifest(data_fingerprints={"bars": fingerprint(bars)}, n_trials=4)  # doctest: +SKIP
>>> latest_run().read_table("equity")                                # doctest: +SKIP
"""

from alphafactory.runs._io import atomic_write, read_parquet_file
from alphafactory.runs.listing import latest_run, list_runs
from alphafactory.runs.manifest import collect_environment, fingerprint, git_state
from alphafactory.runs.run import (
    MANIFEST_SCHEMA,
    RUNS_ROOT_ENV,
    TABLES,
    Run,
    check_run_target,
    runs_root,
)
from alphafactory.runs.toml_io import read_toml, write_toml

__all__ = [
    "MANIFEST_SCHEMA",
    "RUNS_ROOT_ENV",
    "TABLES",
    "Run",
    "atomic_write",
    "check_run_target",
    "collect_environment",
    "fingerprint",
    "git_state",
    "latest_run",
    "list_runs",
    "read_parquet_file",
    "read_toml",
    "runs_root",
    "write_toml",
]
