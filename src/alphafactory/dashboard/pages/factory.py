"""Factory: a factory cycle's gate decision, its study, the withheld window, the registry."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from alphafactory.dashboard import factory_shaping as fs
from alphafactory.dashboard import ui
from alphafactory.errors import AlphaFactoryError
from alphafactory.runs import Run, runs_root

_RUN_KEY = "alphafactory_factory_run"
_REGISTRY_KEY = "alphafactory_registry_root"


@st.cache_resource(show_spinner="Opening the registry ...", max_entries=4)
def _registry(root: str):
    from alphafactory.factory import FactoryStore, Registry

    return Registry(FactoryStore.at(root))


def _choose(runs: list[Run]) -> Run:
    options = [str(r.path) for r in runs]
    by_path = dict(zip(options, runs, strict=True))
    forced = os.environ.get(ui.RUN_ENV)
    remembered = st.session_state.get(_RUN_KEY)
    if remembered not in options:
        forced_path = str(Path(forced).resolve()) if forced else None
        remembered = next((o for o in options if str(Path(o).resolve()) == forced_path),
                          options[0])  # fmt: skip
    choice = st.sidebar.selectbox(
        "Factory run", options, index=options.index(remembered),
        format_func=lambda p: f"{by_path[p].path.name}", help="Factory cycles, newest first.")
    st.session_state[_RUN_KEY] = choice
    return by_path[choice]


ui.setup_page("Factory")
runs = ui.job_runs_or_stop(
    "factory", "Factory",
    "A factory cycle searches models with Optuna, gates the best candidate on withheld bars "
    "and registers it in MLflow. Make one (about a minute on the bundled sample):\n\n"
    "```bash\nalphafactory factory run research/factory/daily.toml\n```\n\n"
    "It writes `./runs/` and the registry `./mlruns/`; start the dashboard from the same "
    "folder, or point it there with `alphafactory dashboard PATH/runs`.",
)

run = _choose(runs)
registry_root = Path(st.sidebar.text_input(
    "Registry root", value=str(fs.default_registry_root(runs_root())), key=_REGISTRY_KEY,
    help="The factory store's folder (`mlflow.db`, `artifacts/`), `mlruns` by default.",
)).expanduser()  # fmt: skip

decision = fs.decision_of(run)
workflow = (decision or {}).get("workflow") or run.config.get("name") or run.name
st.title(f"Factory · {workflow}")
bits = [f"`{run.path.name}`"]
if decision:
    bits += [f"study `{decision.get('study')}`", f"{decision.get('n_trials')} trials",
             f"withheld from {str(decision.get('withheld_start', '?'))[:10]}"]  # fmt: skip
st.caption(" · ".join(bits))

# -- the decision ---------------------------------------------------------------------------------
st.subheader("Gate decision")
if decision is None:
    ui.missing("gate decision", "decision.json", "The cycle writes it after the gate.")
else:
    why = fs.reasons(decision)
    if decision.get("passed") is True:
        st.success(f"**Promote**: {why or 'every rule passed'}", icon=":material/verified:")
    else:
        st.warning(f"**Keep champion**: {why or 'the gate failed'}", icon=":material/block:")
    left, right = st.columns([3, 1])
    with left:
        rules = fs.rules_table(decision)
        st.dataframe(rules, width="stretch", hide_index=True, column_config={
            "passed": st.column_config.CheckboxColumn("passed"),
            "value": st.column_config.NumberColumn(format="%.3f"),
            "threshold": st.column_config.NumberColumn(format="%.3f"),
            "detail": st.column_config.TextColumn(width="large"),
        })  # fmt: skip
    with right:
        naive = decision.get("naive_gate_passed")
        threshold = (decision.get("config") or {}).get("naive_threshold")
        best = decision.get("best_search_sharpe")
        st.metric("Naive gate", "n/a" if naive is None else ("promote" if naive else "keep"))
        st.caption(f"Promotes when the best trial's search Sharpe "
                   f"({ui.format_metric('sharpe', best)}) exceeds "
                   f"{ui.format_metric('sharpe', threshold)}: no trial count, no withheld window.")
        if naive is not None and bool(naive) != (decision.get("passed") is True):
            st.caption(":orange[The naive gate disagrees with the gate.]")

# -- the study ------------------------------------------------------------------------------------
st.subheader("Study")
trials = ui.table(run, "trials")
if trials is None or trials.empty:
    ui.missing("trials", "trials.parquet", "The cycle writes one row per Optuna trial.")
else:
    counts = fs.trial_counts(trials)
    shown = [("trials", len(trials)), *counts.items()]
    for col, (state, n) in zip(st.columns(len(shown)), shown, strict=True):
        col.metric(state.capitalize(), f"{n:,}")
    table = fs.trials_table(trials)
    st.plotly_chart(fs.trial_value_figure(table))
    st.dataframe(table, width="stretch", hide_index=True, column_config={
        "value": st.column_config.NumberColumn("search Sharpe", format="%.3f"),
        "mean_fold_ic": st.column_config.NumberColumn("mean fold IC", format="%.4f"),
        "seconds": st.column_config.NumberColumn(format="%.1f"),
    })  # fmt: skip
    st.caption("Sorted by search Sharpe (net, on the search window's walk-forward); pruned "
               "trials stopped on fold IC and have no value.")
    st.plotly_chart(fs.fold_ic_figure(fs.fold_ic_matrix(trials)))

# -- the withheld window --------------------------------------------------------------------------
st.subheader("Withheld window")
returns = ui.table(run, "withheld_returns")
if returns is None or returns.empty:
    ui.missing("withheld returns", "withheld_returns.parquet",
               "The cycle writes them when a trial completed.")
else:
    equity = fs.withheld_equity(returns)
    st.plotly_chart(fs.withheld_equity_figure(equity))
    if "champion" not in equity.columns:
        st.caption("No champion was scored on these bars (none registered yet, or it failed).")

# -- the registry ---------------------------------------------------------------------------------
st.subheader("Registry")
problem = fs.registry_problem(registry_root)
if problem is not None:
    st.info(f"No registry to show: {problem}. Set the registry root in the sidebar (the folder "
            "the cycle wrote, `mlruns` beside `runs` by default).", icon=":material/hide_source:")
    st.stop()
try:
    registry = _registry(str(registry_root.absolute()))
    status = registry.status(workflow)
    history = registry.history(workflow)
except Exception as exc:  # an external store: whatever fails there, the run above stays shown
    if not isinstance(exc, (AlphaFactoryError, ImportError, OSError)):
        exc = f"{type(exc).__name__}: {exc}"
    st.warning(f"Cannot read the registry at `{registry_root}`: {exc}", icon=":material/warning:")
    st.stop()
st.caption(f"Registered model `{status.get('model')}` in `{registry_root}`.")
st.dataframe(fs.status_table(status, (decision or {}).get("study")), width="stretch",
             hide_index=True)
st.markdown("**Champion history** (every alias move, newest first; times UTC)")
if history.empty:
    st.info("No alias moves recorded for this workflow.", icon=":material/hide_source:")
else:
    st.dataframe(fs.history_table(history), width="stretch", hide_index=True)
