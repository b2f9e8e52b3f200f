"""Compare: the run's strategies side by side, a table of metrics and one equity chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from alphafactory.dashboard import charts, shaping, ui

ui.setup_page("Compare")
run = ui.require_run()
dataset = ui.choose_dataset(run)
ui.run_header(run, "Compare", dataset)

equity = ui.load(run, "equity", "equity curves", "The backtest step writes one per strategy.")
if equity is not None:
    eq = shaping.equity_in_dataset(equity, dataset)
    if eq.empty or not isinstance(eq.index, pd.DatetimeIndex):
        st.warning("`equity.parquet` needs a timestamp index (or column) and numeric columns.")
        st.stop()
    names = [str(c) for c in eq.columns]
    chosen = st.multiselect("Strategies", names, default=names)
    others = ["none", *chosen]
    benchmark = st.selectbox("Benchmark", others, help="Measure the others against one of them "
                             "(alpha, beta, tracking error, information ratio).")
    n_trials = (run.metrics or {}).get("n_trials") or (run.manifest or {}).get("n_trials")
    try:
        comparison = shaping.strategy_comparison(
            eq[chosen], n_trials=n_trials, benchmark=None if benchmark == "none" else benchmark
        )
    except ValueError as exc:
        st.warning(f"Cannot compare these strategies: {exc}", icon=":material/warning:")
        st.stop()
    table = comparison.table
    st.dataframe(
        table,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(
            charts.metric_label(c), format="%d" if ui.is_count(c) else "%.3f")
            for c in table.columns},
    )
    trials = int(n_trials) if n_trials else len(table)
    st.caption(f"Net returns from `equity.parquet`; deflated Sharpe over {trials} trials. "
               "Percentages are fractions (0.1 = 10%).")
    st.plotly_chart(comparison.figure(title="Equity and drawdown"))
