"""The bars source recorded in a signal file's sidecar: a damaged sidecar is one line naming it."""

from __future__ import annotations

import pytest

from alphafactory.errors import SignalError
from alphafactory.pipeline.strategy_job import recorded_source


def test_binary_sidecar_names_itself(tmp_path):
    signals = tmp_path / "sig.csv"
    signals.write_text("timestamp,symbol,model,score\n")
    (tmp_path / "sig.csv.meta.json").write_bytes(bytes(range(256)))
    with pytest.raises(SignalError, match=r"sig\.csv\.meta\.json") as info:
        recorded_source(signals)
    assert "\n" not in str(info.value)


def test_no_sidecar_records_no_source(tmp_path):
    signals = tmp_path / "sig.csv"
    signals.write_text("timestamp,symbol,model,score\n")
    assert recorded_source(signals) is None
