"""Overview: headline metrics, equity and drawdown, metrics with intervals, model comparison."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from alphafactory.dashboard import charts, shaping, ui

ui.setup_page("Overview")
run = ui.require_run()
dataset = ui.choose_dataset(run)
ui.run_header(run, "Overview", dataset)

metrics = run.metrics
table = shaping.in_dataset(shaping.metrics_table(metrics), dataset)
if table.empty:
    ui.missing("metrics", "metrics.json", "The job writes it at the end of its backtest.")
else:
    models = list(dict.fromkeys(table["model"]))
    headline = shaping.headline_model(models)
    st.subheader(f"Headline: {headline}")
    kpis = shaping.headline_metrics(table, headline)
    for col, (metric, value) in zip(st.columns(max(len(kpis), 1)), kpis.items(), strict=False):
        col.metric(charts.metric_label(metric), ui.format_metric(metric, value))

equity = ui.load(run, "equity", "equity curve", "The backtest step writes it.")
if equity is not None:
    eq = shaping.equity_in_dataset(equity, dataset)
    if eq.empty or not isinstance(eq.index, pd.DatetimeIndex):
        st.warning("`equity.parquet` needs a timestamp index (or column) and numeric columns.")
    else:
        st.plotly_chart(charts.equity_drawdown_figure(eq, shaping.drawdown(eq)))

if not table.empty:
    with_ci = sorted(dict.fromkeys(table.loc[table["low"].notna(), "metric"]),
                     key=lambda m: (m != "sharpe", m))
    left, right = st.columns(2)
    with left:
        if with_ci:
            metric = st.selectbox("Metric with confidence interval", with_ci,
                                  format_func=charts.metric_label)
            st.plotly_chart(charts.metric_interval_figure(table, metric))
        else:
            st.info("No metric in metrics.json carries a confidence interval.")
    with right:
        compare = [m for m in shaping.COMPARISON_METRICS if (table["metric"] == m).any()]
        st.plotly_chart(charts.model_comparison_figure(table, compare[:3] or
                                                       list(dict.fromkeys(table["metric"]))[:3]))
    st.subheader("All metrics")
    wide = shaping.metrics_wide(table)
    known = set(table["metric"])
    config = {c: st.column_config.NumberColumn(
        charts.metric_label(c), format="%d" if ui.is_count(c) else "%.3f")
        for c in wide.columns if c in known}
    config.update({c: st.column_config.TextColumn(f"{charts.metric_label(c[:-3])} CI")
                   for c in wide.columns if c.endswith(" CI") and c[:-3] in known})
    st.dataframe(wide, width="stretch", column_config=config)
    run_level = shaping.run_level_metrics(metrics)
    if run_level:
        st.caption(" · ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
                              for k, v in run_level.items()))

figures = run.figures()
if figures:
    with st.expander(f"Figures saved by the job ({len(figures)})"):
        for path in figures:
            try:
                if path.suffix.lower() == ".html":
                    components.html(path.read_text(encoding="utf-8", errors="replace"),
                                    height=420)  # fmt: skip
                else:
                    st.image(str(path), caption=path.name)
            except Exception as exc:  # a truncated image: name it, draw the others
                ui.warn_damage(f"figures/{path.name}", f"{path}: cannot be shown: {exc}")
