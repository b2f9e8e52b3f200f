"""alphafactory dashboard: ``streamlit run app.py`` (or ``alphafactory dashboard [RUN_DIR]``).

The entry point only declares the pages; each page in ``pages/`` also runs on its own.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_PAGES = Path(__file__).resolve().parent / "pages"

navigation = st.navigation([
    st.Page(_PAGES / "overview.py", title="Overview", icon=":material/monitoring:",
            default=True),
    st.Page(_PAGES / "signals.py", title="Signals", icon=":material/grid_on:"),
    st.Page(_PAGES / "compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page(_PAGES / "models.py", title="Models", icon=":material/model_training:"),
    st.Page(_PAGES / "execution.py", title="Execution", icon=":material/candlestick_chart:"),
    st.Page(_PAGES / "risk.py", title="Risk", icon=":material/shield:"),
    st.Page(_PAGES / "factory.py", title="Factory", icon=":material/factory:"),
    st.Page(_PAGES / "monitor.py", title="Monitor", icon=":material/troubleshoot:"),
    st.Page(_PAGES / "trading.py", title="Trading", icon=":material/account_balance_wallet:"),
    st.Page(_PAGES / "data.py", title="Data", icon=":material/fact_check:"),
    st.Page(_PAGES / "runs.py", title="Runs", icon=":material/folder_open:"),
])
navigation.run()
