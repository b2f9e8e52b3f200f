from __future__ import annotations

import subprocess
import sys


def test_models_import_does_not_load_training():
    """models sits below training: importing it must not import alphafactory.training."""
    code = (
        "import sys, alphafactory.models, alphafactory.features.windows; "
        "print(sorted(m for m in sys.modules if m.startswith('alphafactory.training')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
