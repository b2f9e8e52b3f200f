"""research/walkforward_profile.py runs end to end at a tiny size (the full size is hours)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_profile_script_runs_and_its_phases_add_up_to_the_wall_time(tmp_path):
    out = tmp_path / "profile"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "research" / "walkforward_profile.py"), "--symbols", "6",
         "--days", "400", "--train", "120", "--val", "40", "--test", "40", "--epochs", "1",
         "--out", str(out)],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "TARGET walkforward.outside_share:" in proc.stdout
    record = json.loads(out.with_suffix(".json").read_text())
    phases = record["phases"]
    assert phases["train step"] > 0 and record["steps"] > 0
    assert abs(sum(phases.values()) - record["wall_seconds"]) < 0.05 * record["wall_seconds"]
    split = record["inside_seconds"] + record["outside_seconds"]
    assert abs(split - sum(phases.values())) < 1e-6
    assert out.with_suffix(".md").exists()
