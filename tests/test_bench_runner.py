"""bench/run_all.py collects every benchmark's TARGET lines into one summary."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_runner():
    spec = importlib.util.spec_from_file_location("bench_run_all", ROOT / "bench" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_target_lines_are_collected_and_summarised(tmp_path, capsys):
    runner = load_runner()
    script = tmp_path / "bench_fake.py"
    script.write_text(
        "print('a table row')\n"
        "print('TARGET fake.speed: 12.0 x vs target >= 10 x -> PASS')\n"
        "print('TARGET fake.memory: 1.6 x vs target <= 1.3 x -> SHORT')\n"
        "print('TARGET not a target line')\n"
        "raise SystemExit(3)\n"
    )
    status, lines = runner.run_script(script, tmp_path)
    assert status == 3
    assert [line.split(":")[0] for line in lines] == ["TARGET fake.speed", "TARGET fake.memory"]
    assert "a table row" in capsys.readouterr().out
    text = runner.summary([("bench_fake.py", line) for line in lines])
    assert "1 PASS, 1 SHORT" in text
    assert "SHORT fake.memory" in text.replace("  ", " ")

