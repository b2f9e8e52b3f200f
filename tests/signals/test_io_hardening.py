"""Bad signal files and sidecars: one SignalFileError line naming file, field, rule and value."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest

from alphafactory.signals import (
    SignalFileError,
    SignalSidecarWarning,
    export_signals,
    load_signals,
    sidecar_path,
)


@pytest.fixture
def scores() -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC", name="timestamp")
    rng = np.random.default_rng(2)
    return pd.DataFrame(rng.normal(size=(4, 3)), index=index, columns=["AAA", "BBB", "CCC"])


@pytest.fixture(params=[".csv", ".parquet"])
def exported(request, tmp_path, scores):
    return export_signals(scores, tmp_path / f"sig{request.param}", model="ridge")


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def _edit_sidecar(path, **changes):
    side = sidecar_path(path)
    meta = json.loads(side.read_text())
    for key, value in changes.items():
        if value is ...:
            meta.pop(key)
        else:
            meta[key] = value
    side.write_text(json.dumps(meta))


# ------------------------------------------------------------------ sidecars
@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"the sidecar is empty; expected a JSON object"),
        (b"\xff\xfe\x00{", r"the sidecar is not UTF-8 text \(byte 0: 0xff\)"),
        (b"{\"rows\": 1", r"the sidecar is not valid JSON \(Expecting .* line 1 column"),
        (b"[1, 2]", r"the sidecar must hold a JSON object, got a list"),
    ],
)
def test_load_broken_sidecar_is_one_line(exported, content, match):
    sidecar_path(exported).write_bytes(content)
    with pytest.raises(SignalFileError, match=match) as exc:
        load_signals(exported)
    assert sidecar_path(exported).name in _one_line(exc)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("rows", "12", r"field 'rows' must be an integer >= 1, got '12'"),
        ("rows", 0, r"field 'rows' must be an integer >= 1, got 0"),
        ("rows", True, r"field 'rows' must be an integer >= 1, got True"),
        ("models", [], r"field 'models' must be a non-empty list of model names, got \[\]"),
        ("models", [None], r"field 'models' must be .*, got \[None\]"),
        ("models", ["NaN", " "], r"field 'models' must be .*, got \['NaN', ' '\]"),
        ("format", "xls", r"field 'format' must be 'csv' or 'parquet', got 'xls'"),
        ("format", ..., r"field 'format' must be 'csv' or 'parquet', got None"),
        ("sha256", "abc", r"field 'sha256' must be 64 lowercase hex digits, got 'abc'"),
        ("columns", "score", r"field 'columns' must be a list of column names, got 'score'"),
        ("schema_version", True, r"schema_version True is not supported"),
    ],
)
def test_load_malformed_sidecar_field_names_it(exported, field, value, match):
    _edit_sidecar(exported, **{field: value})
    with pytest.raises(SignalFileError, match=match) as exc:
        load_signals(exported)
    _one_line(exc)


def test_load_sidecar_rows_mismatch_is_an_error(exported):
    _edit_sidecar(exported, rows=13, sha256=...)
    with pytest.warns(SignalSidecarWarning), pytest.raises(
        SignalFileError, match=r"records rows=13, the file holds 12; the sidecar describes"
    ):
        load_signals(exported)


def test_load_sidecar_models_mismatch_is_an_error(exported):
    _edit_sidecar(exported, models=["lstm"], sha256=...)
    with pytest.warns(SignalSidecarWarning), pytest.raises(
        SignalFileError, match=r"records models \['lstm'\], the file holds \['ridge'\]"
    ):
        load_signals(exported)


def test_load_sidecar_without_checksum_warns_and_reads(exported):
    _edit_sidecar(exported, sha256=...)
    with pytest.warns(SignalSidecarWarning, match=r"no sha256 field; sig\.\w+ cannot be checked"):
        assert len(load_signals(exported)) == 12


def test_load_sidecar_of_another_file_fails_the_checksum(tmp_path, scores):
    a = export_signals(scores, tmp_path / "a.csv", model="ridge")
    b = export_signals(scores * 2, tmp_path / "b.csv", model="ridge")
    sidecar_path(a).write_bytes(sidecar_path(b).read_bytes())
    with pytest.raises(SignalFileError, match=r"a.csv: changed after export: its SHA-256"):
        load_signals(a)


# ------------------------------------------------------------------ signal files
@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", r"empty file; a signal file starts with a header line"),
        (b"timestamp,symbol,model,score\n", r"no rows \(a header only\)"),
        (b"\x00\x01PAR1garbage", r"holds a NUL byte at byte 0: a binary file, not CSV"),
        ("timestamp,symbol,score\n2024-01-01,\xe9t\xe9,1\n".encode("latin-1"),
         r"not UTF-8 text \(byte 34: 0xe9\)"),
        (b"timestamp,symbol,score,score\n2024-01-01,A,1,2\n",
         r"column 'score' appears more than once in the header"),
        (b"timestamp,symbol,model,score\n2024-01-01,A,NaN,1\n",
         r"model is empty or NaN in row\(s\) 2 \(got nan\)"),
        (b"timestamp,symbol,model,score\n2024-01-01,,m,1\n",
         r"symbol is empty or NaN in row\(s\) 2"),
        (b"timestamp,symbol,score\n2024-01-01,A,1,9,9\n",
         r"row 2 has more fields than the header's 3"),
        (b"timestamp,symbol,score\n2024-01-01,A,1\n2024-01-02,A,1,9\n",
         r"not a readable CSV table: Error tokenizing data"),
        (b"timestamp,symbol,score\n1,A,1\n", r"timestamp holds numbers \(e.g. 1\), not ISO"),
    ],
)
def test_load_bad_csv_signal_file_is_one_line(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SignalFileError, match=match) as exc:
        load_signals(path, require_sidecar=False)
    assert _one_line(exc).startswith(str(path))


def test_load_symbol_na_is_a_ticker_not_a_missing_value(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("timestamp,symbol,score\n2024-01-01,NA,1\n")
    assert load_signals(path, require_sidecar=False)["symbol"].tolist() == ["NA"]


def test_load_truncated_parquet_names_the_file(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SignalFileError, match=r"s.parquet: not a readable Parquet file") as exc:
        load_signals(path, verify_checksum=False)
    _one_line(exc)


def test_load_zero_row_parquet_is_not_ok(tmp_path):
    path = tmp_path / "empty.parquet"
    pd.DataFrame({"timestamp": pd.Series([], dtype="datetime64[ns, UTC]"), "symbol": [],
                  "score": pd.Series([], dtype=float)}).to_parquet(path)  # fmt: skip
    with pytest.raises(SignalFileError, match=r"empty.parquet: no rows"):
        load_signals(path, require_sidecar=False)


def test_load_directory_is_one_line(tmp_path):
    folder = tmp_path / "sig.csv"
    folder.mkdir()
    with pytest.raises(SignalFileError, match=r"sig.csv: not a file"):
        load_signals(folder, require_sidecar=False)


# ------------------------------------------------------------------ export
@pytest.mark.parametrize("model", [float("nan"), "", "  ", None])
def test_export_bad_model_name_writes_nothing(tmp_path, scores, model):
    with pytest.raises(SignalFileError, match=r"^model: must be a non-empty model name, got"):
        export_signals(scores, tmp_path / "s.csv", model=model)
    assert list(tmp_path.iterdir()) == []


def test_export_nan_model_column_writes_nothing(tmp_path, scores):
    long = scores.stack().rename("score").rename_axis(["timestamp", "symbol"]).reset_index()
    long["model"] = ["m", np.nan] * (len(long) // 2)
    with pytest.raises(SignalFileError, match=r"predictions: model is empty or NaN in row\(s\)"):
        export_signals(long, tmp_path / "s.csv")
    assert list(tmp_path.iterdir()) == []


def test_export_failure_keeps_the_previous_pair_and_leaves_no_temp(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    bad = scores.copy()
    bad.iloc[0, 0] = np.inf
    with pytest.raises(SignalFileError, match="score is NaN, infinite"):
        export_signals(bad, path, overwrite=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_export_files_follow_the_umask(tmp_path, scores):
    old = os.umask(0o022)
    try:
        path = export_signals(scores, tmp_path / "s.csv")
    finally:
        os.umask(old)
    for p in (path, sidecar_path(path)):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.csv.meta.json"]
