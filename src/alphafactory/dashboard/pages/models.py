"""Models: walk-forward folds, training curves, robustness to input noise."""

from __future__ import annotations

import streamlit as st

from alphafactory.dashboard import charts, shaping, ui

ui.setup_page("Models")
run = ui.require_run()
dataset = ui.choose_dataset(run)
ui.run_header(run, "Models", dataset)

folds = ui.load(run, "folds", "walk-forward folds", "Walk-forward training writes it.",
                dataset=dataset)
if folds is not None:
    timeline = shaping.fold_timeline(folds)
    if timeline.empty:
        st.warning("`folds.parquet` has no train/val/test start and end columns to draw.")
    else:
        st.plotly_chart(charts.fold_timeline_figure(timeline))
    with st.expander("Per-fold table", expanded=False):
        st.dataframe(shaping.flat(folds), width="stretch", hide_index=True)

curves = ui.load(run, "training_curves", "training curves", "The trainer records them.",
                 dataset=dataset)
if curves is not None:
    models = list(dict.fromkeys(curves["model"])) if "model" in curves.columns else []
    model = st.selectbox("Model", models) if models else None
    shown = curves[curves["model"] == model] if model is not None else curves
    st.plotly_chart(charts.training_curves_figure(shown))

robustness = ui.load(run, "robustness", "robustness curve",
                     "`adversarial_noisy_eval` writes IC and hit rate against noise epsilon.",
                     dataset=dataset)
if robustness is not None:
    st.plotly_chart(charts.robustness_figure(robustness))
