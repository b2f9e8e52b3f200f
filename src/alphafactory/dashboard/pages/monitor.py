"""Monitor: a model's drift over its monitor runs: features, realized IC, alerts, retraining."""

from __future__ import annotations

import streamlit as st

from alphafactory.dashboard import monitor_shaping as ms
from alphafactory.dashboard import ui

_MODEL_KEY = "alphafactory_monitor_model"

ui.setup_page("Monitor")
runs = ui.job_runs_or_stop(
    "monitor", "Monitor",
    "A monitor run compares new bars with the reference statistics stored with a model "
    "(data drift: KS and PSI per feature) and judges its scores against matured labels "
    "(concept drift: realized IC with CUSUM, Page-Hinkley or ADWIN), then raises alerts "
    "and applies the drift policy. Make one on a stored model (cron-friendly, once per "
    "call):\n\n"
    "```bash\nalphafactory monitor run --artifact champion --bars SPEC\n```\n\n"
    "`--artifact` also takes `challenger` or a model directory. Start the dashboard from "
    "the same folder, or point it at the runs with `alphafactory dashboard PATH/runs`.",
)

models = list(dict.fromkeys(ms.model_name(r) for r in runs))  # newest first
remembered = st.session_state.get(_MODEL_KEY)
model = st.sidebar.selectbox("Model", models,
                             index=models.index(remembered) if remembered in models else 0,
                             help="Monitored models, the most recently monitored first.")
st.session_state[_MODEL_KEY] = model
newest = int(st.sidebar.number_input("Monitor runs shown", min_value=1, max_value=500,
                                     value=20, step=1, help="The newest N runs of this model."))
shown = ms.runs_of_model(runs, model, newest)
latest = ms.drift_report(shown[0]) or {}

st.title(f"Monitor · {model}")
window = latest.get("window") or {}
version = (latest.get("model") or {}).get("version")
bits = [f"{len(shown)} of {len(ms.runs_of_model(runs, model))} runs",
        f"newest `{shown[0].path.name}`"]  # fmt: skip
if version is not None:
    bits.append(f"version {version}")
if window.get("end"):
    bits.append(f"window to {str(window['end'])[:16]} ({window.get('bars', '?')} bars)")
st.caption(" · ".join(bits))

# -- the newest verdict ---------------------------------------------------------------------------
verdict = latest.get("verdict") or {}
concept = latest.get("concept_drift") or {}
data = latest.get("data_drift") or {}
policy = latest.get("policy") or {}
cols = st.columns(4)
cols[0].metric("Data drift", "drifted" if verdict.get("data") else "none",
               help=f"severity {data.get('severity', 'n/a')}; drifted features: "
                    f"{', '.join(data.get('drifted_features') or []) or 'none'}")
cols[1].metric("Concept drift", "alarm" if verdict.get("concept") else "none",
               help=f"since {concept.get('since') or 'n/a'}")
cols[2].metric("Rolling IC", ui.format_metric("ic", concept.get("ic")),
               delta=None if concept.get("ic") is None or concept.get("reference_ic") is None
               else f"{concept['ic'] - concept['reference_ic']:+.3f} vs reference")
cols[3].metric("Policy", str(policy.get("action") or "n/a"),
               help=f"on drift: {policy.get('on_drift') or 'n/a'}")

# -- data drift -----------------------------------------------------------------------------------
st.subheader("Data drift per feature")
features = ms.feature_frame(shown)
if features is None:
    ui.missing("feature drift", "drift/features.parquet",
               "The monitor writes one row per bar and feature.")
else:
    label = st.radio("Statistic", list(ms.HEATMAP_METRICS), horizontal=True,
                     help="-log10 p compares features (each against its own calibrated null).")
    matrix, flags = ms.feature_heatmap(features, ms.HEATMAP_METRICS[label])
    st.plotly_chart(ms.feature_heatmap_figure(matrix, flags, label))
    st.caption("Bars of the newest runs' windows (where two runs overlap, the newer one); a "
               "cross marks a feature drifted after the Benjamini-Hochberg correction.")

# -- concept drift --------------------------------------------------------------------------------
st.subheader("Realized IC")
frame = ms.concept_frame(shown)
if frame is None:
    ui.missing("concept drift", "drift/concept.parquet",
               "The monitor writes one row per bar whose label matured.")
else:
    k = st.slider("Control limits (reference IC +- k per-bar sd)", 1.0, 4.0, 3.0, 0.5)
    st.plotly_chart(ms.ic_figure(frame, k=k))
    if frame["reference_sd"].isna().all():
        st.caption("No per-bar IC standard deviation in the reports or the model's reference "
                   "statistics: control limits not drawn.")

# -- alerts ---------------------------------------------------------------------------------------
st.subheader("Alerts")
alerts = ms.alerts_table(shown)
if alerts.empty:
    st.info("No alerts raised in these runs.", icon=":material/notifications_off:")
else:
    st.dataframe(alerts, width="stretch", hide_index=True,
                 column_config={"message": st.column_config.TextColumn(width="large")})
    st.caption("Newest first; times UTC. `sent`: delivered to a sink (not held back by the "
               "repeat interval).")

# -- retrain decisions ----------------------------------------------------------------------------
st.subheader("Retrain decisions")
st.dataframe(ms.decisions_table(shown), width="stretch", hide_index=True)
st.caption("Per run: the verdicts and what the drift policy did; when it started a factory "
           "cycle, the gate's decision and the version and alias it produced.")
