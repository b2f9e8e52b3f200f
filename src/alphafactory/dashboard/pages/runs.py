"""Runs: every run directory under the runs root."""

from __future__ import annotations

import streamlit as st

from alphafactory.dashboard import shaping, ui
from alphafactory.runs import list_runs, runs_root

ui.setup_page("Runs")
runs = list(reversed(list_runs()))
if not runs:
    ui.no_runs()
    st.stop()
st.title("Runs")
st.caption(f"{len(runs)} run(s) under `{runs_root()}`, newest first. Pick one in the sidebar "
           "of any page.")
ui.choose_run()
st.dataframe(shaping.runs_overview(runs), width="stretch", hide_index=True)
st.markdown(
    "Each run directory holds `config.toml`, `manifest.json` (seed, data fingerprints, "
    "versions, git commit, command) and the artifacts the pages draw: see "
    "`alphafactory.runs` for the contract. Re-create one with `make demo`."
)
