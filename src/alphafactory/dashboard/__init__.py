"""Streamlit dashboard over run directories: ``alphafactory dashboard [RUN_DIR]``.

``app.py`` is the entry point (``streamlit run``); ``pages/`` holds one script per page;
:mod:`.shaping` (tables) and :mod:`.charts` (plotly figures) hold the logic, free of Streamlit.
Importing this package does not import Streamlit.
"""

from alphafactory.dashboard.launch import APP_PATH, streamlit_command

__all__ = ["APP_PATH", "streamlit_command"]
