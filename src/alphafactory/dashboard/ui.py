"""Streamlit pieces shared by the pages: page set-up, run picker, cached loading, messages."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from alphafactory.dashboard.damage import ShownRun, shown
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.dashboard.shaping import (
    datasets,
    flat,
    in_dataset,
    missing_columns,
    runs_of_job,
)
from alphafactory.errors import RunError
from alphafactory.runs import Run, list_runs, read_parquet_file, runs_root

__all__ = [
    "RUN_ENV",
    "choose_dataset",
    "choose_run",
    "format_metric",
    "is_count",
    "job_runs_or_stop",
    "load",
    "missing",
    "no_runs",
    "predictions",
    "require_run",
    "run_header",
    "setup_page",
    "table",
    "warn_damage",
]

_STATE_KEY = "alphafactory_run"
_DATASET_KEY = "alphafactory_dataset"


def setup_page(title: str) -> None:
    """Configure the page (wide layout, browser title)."""
    st.set_page_config(page_title=f"{title} · alphafactory", page_icon=":material/insights:",
                       layout="wide")


def _label(run: Run) -> str:
    created = run.created_at
    when = created.strftime("%Y-%m-%d %H:%M UTC") if created is not None else "?"
    flags = [f for f in (getattr(run, "state_label", ""),
                         "damaged" if getattr(run, "damaged", None) else "") if f]  # fmt: skip
    return f"{run.name} · {when}" + (f" ({', '.join(flags)})" if flags else "")


def warn_damage(file: str, problem: str) -> None:
    """One line naming a damaged file and its problem; the page goes on with the rest."""
    st.warning(f"Damaged `{file}`: {problem}. The page shows what the rest of the run holds.",
               icon=":material/broken_image:")


def _candidates() -> tuple[Path, list[ShownRun], ShownRun | None]:
    root = runs_root()
    runs = [shown(r) for r in reversed(list_runs(root))]  # newest first
    forced: ShownRun | None = None
    if os.environ.get(RUN_ENV):
        try:
            forced = shown(Run.open(os.environ[RUN_ENV]))
        except (FileNotFoundError, ValueError):
            forced = None
        if forced is not None and all(r.path.resolve() != forced.path.resolve() for r in runs):
            runs.insert(0, forced)
    return root, runs, forced


def choose_run() -> Run | None:
    """Pick the run shown: the sidebar choice, else ``$ALPHAFACTORY_RUN``, else the newest.

    The choice is kept in the session, so it carries across pages.
    """
    root, runs, forced = _candidates()
    st.sidebar.caption(f"Runs root: `{root}`")
    if not runs:
        return None
    options = [str(r.path) for r in runs]
    remembered = st.session_state.get(_STATE_KEY)
    if remembered in options:
        default = remembered
    elif forced is not None:
        default = next(o for o, r in zip(options, runs, strict=True)
                       if r.path.resolve() == forced.path.resolve())
    else:
        default = options[0]
    by_path = dict(zip(options, runs, strict=True))
    choice = st.sidebar.selectbox("Run", options, index=options.index(default),
                                  format_func=lambda p: _label(by_path[p]),
                                  help="Runs found under the runs root, newest first.")
    st.session_state[_STATE_KEY] = choice
    # A fresh view, so damage found while labelling is still reported on this page.
    return dataclasses.replace(by_path[choice], damaged={}, on_damage=warn_damage)


def choose_dataset(run: Run) -> str | None:
    """Pick the dataset shown when model keys carry one (``"<dataset>:<model>"``).

    The datasets come from ``metrics.json``'s models; the choice is kept in the session.
    Returns None when the run's models carry no dataset prefix.
    """
    found = datasets((run.metrics or {}).get("models") or {})
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    remembered = st.session_state.get(_DATASET_KEY)
    index = found.index(remembered) if remembered in found else 0
    choice = st.sidebar.radio("Dataset", found, index=index,
                              help="This run evaluated its models on several datasets.")
    st.session_state[_DATASET_KEY] = choice
    return choice


def job_runs_or_stop(job: str, title: str, how: str) -> list[Run]:
    """The runs of ``job`` under the runs root, newest first; without any, say how to make
    one (``how``, markdown) and stop the page."""
    root = runs_root()
    st.sidebar.caption(f"Runs root: `{root}`")
    # A live or killed long-running job's report is shown too (the label says which).
    runs = runs_of_job([shown(r, warn_damage) for r in list_runs(root, incomplete=True)], job)
    if not runs:
        st.title(title)
        st.info(f"No {job} runs under `{root}` (runs whose manifest says `job = \"{job}\"`)."
                f"\n\n{how}", icon=":material/info:")  # fmt: skip
        st.stop()
    return runs


def no_runs() -> None:
    """Explain how to make a first run."""
    root = runs_root()
    st.title("alphafactory dashboard")
    st.info(
        f"No runs found under `{root}`.\n\n"
        "A run directory is written by every job. Make one with the demo, which trains LSTM, "
        "TCN and Transformer walk-forward on bundled data, backtests them and executes the "
        "trades on the order-book engine (a few minutes on a laptop CPU):\n\n"
        "```bash\nmake demo            # or: alphafactory demo\n```\n\n"
        "Then reload this page. To look at runs elsewhere, start the dashboard with "
        "`alphafactory dashboard PATH` or set `ALPHAFACTORY_RUNS=PATH`.",
        icon=":material/info:",
    )


def require_run() -> Run:
    """Return the chosen run, or explain how to make one and stop the page."""
    run = choose_run()
    if run is None:
        no_runs()
        st.stop()
    return run


def run_header(run: Run, page: str, dataset: str | None = None) -> None:
    """Page title plus one caption line that identifies the run (and the dataset shown)."""
    st.title(page if dataset is None else f"{page} · {dataset}")
    manifest = run.manifest or {}
    bits = [f"**{run.name}**", f"`{run.path.name}`"]
    if manifest.get("seed") is not None:
        bits.append(f"seed {manifest['seed']}")
    git = manifest.get("git") or {}
    if git.get("commit"):
        bits.append(f"commit `{git['commit'][:10]}`" + (" (dirty)" if git.get("dirty") else ""))
    if manifest.get("n_trials") is not None:
        bits.append(f"{manifest['n_trials']} trials")
    version = (manifest.get("packages") or {}).get("alphafactory")
    if version:
        bits.append(f"alphafactory {version}")
    st.caption(" · ".join(bits))


@st.cache_data(show_spinner=False, max_entries=64)
def _read_parquet(path: str, mtime_ns: int) -> pd.DataFrame:
    return read_parquet_file(Path(path))


def _damaged(run: Run, file: str, problem: str) -> None:
    if isinstance(run, ShownRun):
        run.note_damage(file, problem)
    else:
        warn_damage(file, problem)


def table(run: Run, name: str) -> pd.DataFrame | None:
    """Read a run table through Streamlit's cache (invalidated when the file changes).

    A damaged file reads as absent after one line naming it (see :mod:`.damage`).
    """
    path = run.table_path(name)
    if not path.is_file():
        return None
    try:
        return _read_parquet(str(path), path.stat().st_mtime_ns)
    except RunError as exc:
        _damaged(run, f"{name}.parquet", str(exc))
        return None


def load(run: Run, name: str, what: str, hint: str = "", *, dataset: str | None = None,
         empty_ok: bool = False) -> pd.DataFrame | None:
    """Read table ``name`` or say why it cannot be drawn (absent, lacking columns, no rows).

    Returns the table (restricted to ``dataset`` with :func:`shaping.in_dataset`) when it is
    present, has the columns of ``shaping.REQUIRED_COLUMNS[name]`` and, unless ``empty_ok``,
    has rows; else None after an explanatory message.
    """
    df = table(run, name)
    if df is None:
        missing(what, f"{name}.parquet", hint)
        return None
    lacking = missing_columns(df, name)
    if lacking:
        st.warning(f"`{name}.parquet` lacks the column(s) {', '.join(lacking)}; it has "
                   f"{', '.join(map(str, flat(df).columns))}. See `alphafactory.runs` for the "
                   "layout the dashboard reads.", icon=":material/warning:")
        return None
    shown = in_dataset(df, dataset)
    if shown.empty and not empty_ok:
        where = f" for dataset `{dataset}`" if dataset is not None and len(df) else ""
        st.info(f"`{name}.parquet` has no rows{where}.", icon=":material/hide_source:")
        return None
    return shown


def predictions(run: Run) -> tuple[pd.DataFrame | None, str]:
    """Return the run's predictions and where they came from.

    ``predictions.parquet`` when present, else the exported ``signals.csv`` (no labels).
    """
    df = table(run, "predictions")
    if df is not None:
        return df, "predictions.parquet"
    csv = run.path / "signals.csv"
    if csv.is_file():
        try:
            signals = pd.read_csv(csv)
            signals["timestamp"] = pd.to_datetime(signals["timestamp"], utc=True)
        except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
            text = f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)
            _damaged(run, "signals.csv", f"{csv}: not a readable signal file: {text}")
            return None, ""
        return signals, "signals.csv"
    return None, ""


def missing(what: str, artifact: str, hint: str = "") -> None:
    """Say that an artifact is absent from this run (instead of failing)."""
    st.info(f"No {what} in this run: `{artifact}` is not in the run directory. {hint}".strip(),
            icon=":material/hide_source:")


_PERCENT = ("drawdown", "return", "cagr", "volatility", "hit_rate", "turnover")


def is_count(metric: str) -> bool:
    """Whether a metric is a count (``n_trials``, ``n_folds``, ``trials``...)."""
    return metric.startswith("n_") or metric in ("trials", "folds", "parents")


def format_metric(metric: str, value: Any) -> str:
    """Format a metric value for display (percent for returns and drawdowns)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "n/a"
    if is_count(metric):
        return f"{value:,.0f}"
    if any(key in metric for key in _PERCENT):
        return f"{100 * value:.1f}%"
    if "bps" in metric:
        return f"{value:.1f} bps"
    if "ic" in metric.split("_") or metric in ("ic", "rank_ic", "icir"):
        return f"{value:.3f}"
    return f"{value:.2f}"
