"""Runs: every run directory under the runs root."""

from __future__ import annotations

import streamlit as st

from alphafactory.dashboard import shaping, ui
from alphafactory.dashboard.damage import shown
from alphafactory.runs import list_runs, runs_root

ui.setup_page("Runs")
# Complete runs, and those a long-running job is writing or was killed in (status column);
# staging directories of unfinished batch jobs are not runs and are not listed.
runs = [shown(r) for r in reversed(list_runs(incomplete=True))]
if not runs:
    ui.no_runs()
    st.stop()
st.title("Runs")
st.caption(f"{len(runs)} run(s) under `{runs_root()}`, newest first. Pick one in the sidebar "
           "of any page.")
ui.choose_run()
st.dataframe(shaping.runs_overview(runs), width="stretch", hide_index=True)
damaged = [r for r in runs if r.damaged]
if damaged:
    st.warning(f"{len(damaged)} run(s) have damaged files (see the status column): "
               + "; ".join(f"`{r.path.name}`: {', '.join(r.damaged)}" for r in damaged),
               icon=":material/broken_image:")
st.markdown(
    "Each run directory holds `config.toml`, `manifest.json` (seed, data fingerprints, "
    "versions, git commit, command) and the artifacts the pages draw: see "
    "`alphafactory.runs` for the contract. Re-create one with `make demo`."
)
