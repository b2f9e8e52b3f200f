"""`alphafactory signals export|check` on bad input: one line, exit 2, nothing written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.runs import Run
from alphafactory.signals import SignalSidecarWarning, export_signals, sidecar_path


def _predictions() -> pd.DataFrame:
    times = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC", name="timestamp")
    idx = pd.MultiIndex.from_product([times, ["A", "B"]], names=["timestamp", "symbol"])
    rng = np.random.default_rng(0)
    return pd.DataFrame({"model": "ridge", "fold": 0, "score": rng.normal(size=8),
                         "label": rng.normal(size=8)}, index=idx).reset_index()  # fmt: skip


@pytest.fixture
def run_dir(tmp_path):
    run = Run.create("train-ridge", {"seed": 0}, seed=0, root=tmp_path / "runs")
    run.write_table("predictions", _predictions())
    run.write_manifest(data_fingerprints={"bars": "sha256:abc"}, n_trials=1)
    return run.path


@pytest.fixture
def signal_file(tmp_path):
    frame = _predictions().drop(columns=["fold", "label"])
    return export_signals(frame, tmp_path / "sig.csv")


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("alphafactory: error: ") and "\n" not in err, err
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------ check
def test_signals_check_header_only_file_fails(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("timestamp,symbol,model,score\n")
    assert main(["signals", "check", str(path), "--no-sidecar"]) == 2
    assert "empty.csv: no rows (a header only)" in _error_line(capsys)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "the sidecar is not UTF-8 text (byte 0: 0x89)"),
        (b"", "the sidecar is empty; expected a JSON object"),
    ],
)
def test_signals_check_binary_or_empty_sidecar_is_one_line(signal_file, capsys, content,
                                                           expected):  # fmt: skip
    sidecar_path(signal_file).write_bytes(content)
    assert main(["signals", "check", str(signal_file)]) == 2
    assert expected in _error_line(capsys)


def test_signals_check_mismatched_sidecar_fails(signal_file, capsys):
    side = sidecar_path(signal_file)
    meta = json.loads(side.read_text())
    meta["rows"] = 99
    del meta["sha256"]
    side.write_text(json.dumps(meta))
    with pytest.warns(SignalSidecarWarning):
        assert main(["signals", "check", str(signal_file)]) == 2
    assert "records rows=99, the file holds 8" in _error_line(capsys)


def test_signals_check_nan_model_name_is_one_line(tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_text("timestamp,symbol,model,score\n2024-01-01,A,nan,1.0\n")
    assert main(["signals", "check", str(path), "--no-sidecar"]) == 2
    assert "model is empty or NaN in row(s) 2" in _error_line(capsys)


def test_signals_check_valid_file_is_ok(signal_file, capsys):
    assert main(["signals", "check", str(signal_file)]) == 0
    assert capsys.readouterr().out.strip().endswith("models: ridge: OK")


# ------------------------------------------------------------------ export
def test_signals_export_existing_out_needs_force(tmp_path, run_dir, capsys):
    out = tmp_path / "sig.csv"
    out.write_text("keep me\n")
    assert main(["signals", "export", "--predictions", str(run_dir), "--out", str(out)]) == 2
    assert f"--out {out}: already exists; pass --force" in _error_line(capsys)
    assert out.read_text() == "keep me\n" and not sidecar_path(out).exists()
    assert main(["signals", "export", "--predictions", str(run_dir), "--out", str(out),
                 "--force"]) == 0  # fmt: skip


def test_signals_export_out_over_its_input_is_refused_even_with_force(tmp_path, capsys):
    source = tmp_path / "preds.csv"
    _predictions().drop(columns=["fold", "label"]).to_csv(source, index=False)
    before = _snapshot(tmp_path)
    assert main(["signals", "export", "--predictions", str(source), "--out", str(source),
                 "--force"]) == 2  # fmt: skip
    assert "is the same file as the input --predictions" in _error_line(capsys)
    assert _snapshot(tmp_path) == before


def test_signals_export_truncated_run_predictions_names_the_file(tmp_path, run_dir, capsys):
    preds = run_dir / "predictions.parquet"
    preds.write_bytes(preds.read_bytes()[:100])
    out = tmp_path / "sig.csv"
    assert main(["signals", "export", "--predictions", str(run_dir), "--out", str(out)]) == 2
    assert f"{preds}: not a readable Parquet file" in _error_line(capsys)
    assert not out.exists() and not sidecar_path(out).exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"timestamp,symbol,score\n", "no rows (a header only)"),
        (b"PAR1\x00\x00", "holds a NUL byte"),
    ],
)
def test_signals_export_bad_predictions_file_is_one_line(tmp_path, capsys, content, expected):
    source = tmp_path / "preds.csv"
    source.write_bytes(content)
    out = tmp_path / "sig.csv"
    assert main(["signals", "export", "--predictions", str(source), "--out", str(out)]) == 2
    assert expected in _error_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize("model", ["nan", " "])
def test_signals_export_nan_model_name_writes_nothing(tmp_path, capsys, model):
    source = tmp_path / "preds.csv"
    _predictions().drop(columns=["fold", "label", "model"]).to_csv(source, index=False)
    out = tmp_path / "sig.csv"
    assert main(["signals", "export", "--predictions", str(source), "--out", str(out),
                 "--model", model]) == 2  # fmt: skip
    assert "model" in _error_line(capsys)
    assert not out.exists()
