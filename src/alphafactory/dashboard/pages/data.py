"""Data: the validation report of the bars the run used, and what the run was fed."""

from __future__ import annotations

import json

import streamlit as st

from alphafactory.dashboard import charts, shaping, ui

ui.setup_page("Data")
run = ui.require_run()
dataset = ui.choose_dataset(run)
ui.run_header(run, "Data", dataset)

validation = ui.load(run, "validation", "validation report",
                     "Loading data with `validate_ohlcv` records each issue with its rule and row.",
                     dataset=dataset, empty_ok=True)
if validation is None:
    pass
elif validation.empty:
    st.success("Validation found no issues in the data this run used.",
               icon=":material/check_circle:")
else:
    issues = shaping.flat(validation)
    summary = shaping.validation_summary(issues)
    n_err = int(summary.loc[summary["severity"] == "error", "count"].sum())
    n_warn = int(summary.loc[summary["severity"] == "warning", "count"].sum())
    a, b, c = st.columns(3)
    a.metric("issues", f"{len(issues):,}")
    b.metric("errors", f"{n_err:,}")
    c.metric("warnings", f"{n_warn:,}")
    st.plotly_chart(charts.validation_figure(summary))
    severities = sorted(issues["severity"].unique()) if "severity" in issues else []
    chosen = st.multiselect("Severity", severities, default=severities)
    shown = issues[issues["severity"].isin(chosen)] if severities else issues
    st.dataframe(shown, width="stretch", hide_index=True)

manifest = run.manifest or {}
st.subheader("Inputs")
fingerprints = manifest.get("data_fingerprints") or {}
if fingerprints:
    st.dataframe([{"dataset": k, "fingerprint": v} for k, v in fingerprints.items()],
                 width="stretch", hide_index=True)
else:
    st.caption("The manifest records no data fingerprints.")
with st.expander("config.toml"):
    config_path = run.path / "config.toml"
    if config_path.is_file():
        st.code(config_path.read_text(encoding="utf-8", errors="replace"), language="toml")
    else:
        st.caption("This run has no config.toml.")
with st.expander("manifest.json"):
    st.code(json.dumps(manifest, indent=2), language="json")
