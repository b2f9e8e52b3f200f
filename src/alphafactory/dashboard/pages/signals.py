"""Signals: symbol x time heatmap, score distribution, IC by fold and IC decay."""

from __future__ import annotations

import streamlit as st

from alphafactory.dashboard import charts, shaping, ui

ui.setup_page("Signals")
run = ui.require_run()
dataset = ui.choose_dataset(run)
ui.run_header(run, "Signals", dataset)

preds, source = ui.predictions(run)
if preds is None:
    ui.missing("out-of-sample predictions", "predictions.parquet",
               "Walk-forward training writes them (and the signal export `signals.csv`).")
    st.stop()

flat = shaping.in_dataset(shaping.flat(preds), dataset)
if not {"timestamp", "symbol", "score"} <= set(flat.columns):
    st.error(f"`{source}` lacks the columns timestamp, symbol and score; "
             f"it has {', '.join(map(str, flat.columns))}.")
    st.stop()
if flat.empty:
    st.info(f"`{source}` has no scores for dataset `{dataset}`.", icon=":material/hide_source:")
    st.stop()
models = list(dict.fromkeys(flat["model"])) if "model" in flat.columns else []
st.caption(f"From `{source}`: {len(flat):,} scores, {flat['symbol'].nunique()} symbols, "
           f"{flat['timestamp'].nunique()} timestamps, models: {', '.join(models) or 'one'}.")

left, right = st.columns([3, 1])
with right:
    model = st.selectbox("Model", models) if models else None
    ranked = st.toggle("Cross-sectional ranks", value=True,
                       help="Color each timestamp by the score's percentile across symbols.")
    n_last = st.slider("Most recent timestamps", 20, 1000, 250, step=10)
with left:
    matrix = shaping.score_matrix(flat, model, max_timestamps=n_last,
                                  cross_sectional_rank=ranked)
    st.plotly_chart(charts.score_heatmap_figure(
        matrix, f"Scores by symbol and time ({model or 'all'})"))

st.plotly_chart(charts.score_distribution_figure(flat))

ic = shaping.ic_by_fold(flat)
decay = shaping.ic_decay(flat)
if ic.empty:
    folds = ui.table(run, "folds")
    if folds is not None and {"model", "fold"} <= set(folds.columns) and (
            "rank_ic" in folds.columns or "ic" in folds.columns):
        ic = shaping.in_dataset(folds, dataset)
    else:
        ui.missing("realised labels", f"label column in {source}",
                   "IC by fold and its decay need the realised forward return next to each "
                   "score.")
col_a, col_b = st.columns(2)
if not ic.empty:
    with col_a:
        st.plotly_chart(charts.ic_by_fold_figure(ic, "rank_ic" if "rank_ic" in ic else "ic"))
if not decay.empty:
    with col_b:
        st.plotly_chart(charts.ic_decay_figure(decay))
