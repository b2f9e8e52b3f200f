"""Risk: the risk manager's interventions and the VaR backtest of each strategy's returns."""

from __future__ import annotations

import streamlit as st

from alphafactory.dashboard import charts, shaping, ui
from alphafactory.risk import var_backtest

VAR_WINDOW = 250

ui.setup_page("Risk")
run = ui.require_run()
dataset = ui.choose_dataset(run)
ui.run_header(run, "Risk", dataset)

st.subheader("Risk-manager interventions")
interventions = ui.load(
    run, "risk/interventions", "risk-manager interventions",
    "A backtest run with risk limits or circuit breakers (a workflow's `[risk]` limits, or "
    "`risk_managed_backtest`) writes it.", dataset=dataset, empty_ok=True)
if interventions is None:
    pass
elif interventions.empty:
    st.success("The risk manager ran and every proposal was within its limits.",
               icon=":material/check_circle:")
else:
    table = shaping.flat(interventions)
    actions = table["action"].value_counts()
    a, b, c = st.columns(3)
    a.metric("scale-downs", f"{int(actions.get('scale', 0)):,}")
    b.metric("halts", f"{int(actions.get('halt', 0)):,}")
    c.metric("resets", f"{int(actions.get('reset', 0)):,}")
    if "model" in table and table["model"].nunique() > 1:
        chosen = st.selectbox("Strategy", sorted(table["model"].astype(str).unique()))
        table = table[table["model"].astype(str) == chosen]
    st.plotly_chart(charts.interventions_figure(table))
    st.dataframe(table, width="stretch", hide_index=True)

st.subheader("VaR backtest of the net returns")
equity = ui.load(run, "equity", "equity curve", "The backtest step writes it.")
if equity is not None:
    curves = shaping.equity_in_dataset(equity, dataset)
    strategy = st.selectbox("Strategy for the VaR backtest", list(curves.columns))
    returns = curves[strategy].pct_change(fill_method=None).dropna() if strategy else None
    if returns is None or len(returns) < VAR_WINDOW + 20:
        st.warning(f"The VaR backtest needs at least {VAR_WINDOW + 20} returns; this equity "
                   "curve is shorter.", icon=":material/warning:")
    else:
        result = var_backtest(returns, window=VAR_WINDOW).reset_index()
        st.caption(f"One bar ahead over a {VAR_WINDOW}-bar window; Kupiec's proportion of "
                   "failures and Christoffersen's independence tests at 5%.")
        st.dataframe(result[["method", "level", "n_obs", "exceptions", "exception_rate",
                             "kupiec_p", "kupiec_pass", "christoffersen_p",
                             "christoffersen_pass"]], width="stretch", hide_index=True)
