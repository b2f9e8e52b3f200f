"""Execution: order book depth, fills against mid, shortfall distribution, cost attribution."""

from __future__ import annotations

import streamlit as st

from alphafactory.dashboard import charts, shaping, ui

ui.setup_page("Execution")
run = ui.require_run()
dataset = ui.choose_dataset(run)
ui.run_header(run, "Execution", dataset)

left, right = st.columns(2)
with left:
    book = ui.load(run, "execution/book", "book snapshots",
                   "Book execution through the C++ engine records depth snapshots.",
                   dataset=dataset)
    if book is not None:
        book = shaping.flat(book)
        symbol = st.selectbox("Symbol (book)", sorted(book["symbol"].unique()))
        times = sorted(book.loc[book["symbol"] == symbol, "timestamp"].unique())
        when = times[-1] if len(times) == 1 else st.select_slider(
            "Snapshot", options=times, value=times[-1],
            format_func=lambda t: f"{t:%Y-%m-%d %H:%M:%S}")
        ladder = shaping.depth_ladder(book, symbol, when)
        title = f"Book depth: {symbol} at {when:%Y-%m-%d %H:%M}"
        st.plotly_chart(charts.depth_figure(ladder, title))

with right:
    fills = ui.load(run, "execution/fills", "fills", "Book execution records child fills.",
                    dataset=dataset)
    if fills is not None:
        fills = shaping.flat(fills)
        symbol = st.selectbox("Symbol (fills)", sorted(fills["symbol"].unique()))
        part = fills[fills["symbol"] == symbol]
        if "mid" not in part.columns:
            st.warning("`execution/fills.parquet` has no `mid` column to compare fills with.")
        else:
            st.plotly_chart(charts.fills_figure(part, f"Fills against mid: {symbol}"))

left, right = st.columns(2)
with left:
    shortfall = ui.load(run, "execution/shortfall", "shortfall",
                        "Book execution measures it per parent order against the arrival price.",
                        dataset=dataset)
    if shortfall is not None:
        st.plotly_chart(charts.shortfall_figure(shortfall))
        s = shortfall["shortfall_bps"]
        st.caption(f"{len(s)} parents · mean {s.mean():.2f} bps · median {s.median():.2f} bps · "
                   f"p95 {s.quantile(0.95):.2f} bps")

with right:
    attribution = ui.load(
        run, "execution/cost_attribution", "cost attribution",
        "The book backtest splits gross PnL into spread, impact and opportunity costs.",
        dataset=dataset)
    if attribution is not None:
        attribution = shaping.flat(attribution)
        models = (list(dict.fromkeys(attribution["model"]))
                  if "model" in attribution.columns else [])
        model = st.selectbox("Model (costs)", models) if models else None
        st.plotly_chart(charts.cost_waterfall_figure(
            shaping.cost_waterfall(attribution, model)))

trades = ui.table(run, "trades")
if trades is not None:
    trades = shaping.in_dataset(trades, dataset)
    with st.expander(f"Trades ({len(trades):,})"):
        st.dataframe(shaping.flat(trades), width="stretch", hide_index=True)
