"""End to end: a champion from a factory cycle, a regime switch, the monitor's retrain trigger.

A synthetic market (30 symbols, 1,300 bars, planted IC 0.12) whose planted signal flips sign at
bar 600. A factory cycle on the bars before the switch promotes a champion; ``monitor run`` on
all the bars detects concept drift and, with ``on_drift = "retrain"``, starts a factory cycle of
the same file (a rolling window: ``[search] history = 700``, the bars since the switch), whose
gate promotes the retrained model over the broken champion on the same withheld bars; the
registry's champion moves and the watcher the server uses sees it. A pure feature shift is data
drift only.
"""

from __future__ import annotations

import copy
import json

import pytest

pytest.importorskip("optuna")
pytest.importorskip("mlflow")

from alphafactory.cli import main
from alphafactory.data import synthetic_market
from alphafactory.data.changes import Change
from alphafactory.factory import FactoryStore, Registry
from alphafactory.factory.watcher import ChampionWatcher
from alphafactory.pipeline.factory_cycle import run_cycle
from alphafactory.pipeline.workflow import parse_workflow
from alphafactory.runs import Run, write_toml

N_BARS, AT = 1300, 600
FACTORY = {
    "name": "switch",
    "seed": 3,
    "data": {"calendar": "weekdays"},
    "features": {"names": ["rsi_14"]},
    "labels": {"horizon": 1},
    "models": {"names": ["ridge"], "save": "none",
               "walk_forward": {"train": 200, "val": 50, "test": 100, "lookback": 1}},
    "backtest": {},
    "search": {"n_trials": 6, "withheld": 200, "history": 700,
               "families": ["cross_section", "volume"],
               "space": {"ridge": {"alpha": {"low": 0.01, "high": 100.0, "log": True}}},
               "labels": {"kind": ["forward", "triple_barrier"],
                          "horizon": {"low": 1, "high": 3}}},
    # max_pbo = 1: this test is about the loop (drift -> retrain -> promote -> swap); with six
    # equally skilled trials CSCV's PBO is a coin flip (tests/factory covers the rule itself)
    "gate": {"n_boot": 200, "max_pbo": 1.0},
    "monitor": {"on_drift": "retrain", "on": "concept", "window": 60},
}


def _market(tmp, kind):
    change = Change(at=AT, kind=kind) if kind == "sign_flip" else Change(
        at=AT, kind=kind, factor=2.0)
    m = synthetic_market(n_symbols=30, n_bars=N_BARS, seed=5, alpha_ic=0.12, changes=[change])
    path = tmp / f"{kind}.parquet"
    m.bars.to_parquet(path)
    stamps = m.bars.index.get_level_values("timestamp").unique().sort_values()
    return path, stamps[AT]


def _factory_doc(path, end=None):
    doc = copy.deepcopy(FACTORY)
    doc["data"]["spec"] = str(path)
    if end is not None:
        doc["data"]["end"] = end.isoformat()
    return doc


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    """A champion from the pre-switch bars, then a monitor run with a retrain on the switch."""
    root = tmp_path_factory.mktemp("switch")
    path, switch = _market(root, "sign_flip")
    store = FactoryStore.at(root / "mlruns")
    first = run_cycle(parse_workflow(_factory_doc(path, end=switch), "pre-switch"), store=store,
                      runs_root=root / "runs")
    factory_file = root / "switch.toml"
    write_toml(factory_file, _factory_doc(path))
    code = main(["monitor", "run", "--artifact", "champion", "--workflow", "switch",
                 "--registry-root", str(root / "mlruns"), "--bars", str(path),
                 "--factory", str(factory_file), "--runs-dir", str(root / "monitor"),
                 "--fail-on-drift"])  # fmt: skip
    runs = sorted(p for p in (root / "monitor").iterdir() if p.name.endswith("monitor-switch"))
    assert len(runs) == 1  # the retrain's factory run sits beside it
    return root, switch, store, first, code, Run.open(runs[0])


def test_regime_switch_monitor_detects_concept_drift_and_retrains(switched):
    _root, switch, store, first, code, run = switched
    assert first.decision.passed and first.version == "1", first.decision.summary()
    assert code == 3  # --fail-on-drift: the concept verdict is on
    doc = json.loads((run.path / "drift.json").read_text())
    assert doc["model"]["ref"] == "champion" and doc["model"]["version"] == "1"
    concept = doc["concept_drift"]
    assert doc["verdict"]["concept"] and concept["alarm"]
    assert concept["ic"] < 0 < concept["reference_ic"]
    table = run.read_table("drift/concept")
    before = table[table["timestamp"] < switch]
    after = table[table["timestamp"] >= switch].reset_index(drop=True)
    delay = int(after.index[after["cusum_alarm"]][0]) + 1  # realized bars after the flip
    assert delay <= 60, delay
    # alarms keep coming while the flip lasts; before it they are rare (the champion's labels
    # may span several bars, whose overlapping ICs make CUSUM's in-control run shorter)
    assert after["cusum_alarm"].mean() > 5 * before["cusum_alarm"].mean()
    assert before["cusum_alarm"].sum() <= 3
    # the retrain: a factory cycle ran and its gate's decision is recorded
    policy = doc["policy"]
    assert policy["on_drift"] == "retrain" and policy["triggered"]
    cycle = policy["cycle"]
    assert cycle is not None and cycle["decision"] in ("promote", "keep")
    assert cycle["version"] == "2"
    registry = Registry(store)
    champion = registry.alias_version("switch", "champion")
    seen = []
    watcher = ChampionWatcher(registry, "switch", on_new=lambda p, v: seen.append(v),
                              current="1")  # fmt: skip
    # the gate promoted the retrained model: it beats the broken champion on the same bars
    assert cycle["decision"] == "promote", cycle
    assert champion == "2" and cycle["alias"] == "champion"
    assert watcher.check() == "2" and seen == ["2"]  # the server's hot-swap path


def test_feature_shift_is_data_drift_not_concept_drift(switched, capsys):
    root, *_ = switched
    path, _ = _market(root, "feature_shift")
    code = main(["monitor", "run", "--artifact", "v1", "--workflow", "switch",
                 "--registry-root", str(root / "mlruns"), "--bars", str(path),
                 "--on-drift", "alert", "--runs-dir", str(root / "shift")])  # fmt: skip
    assert code == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "data drift on" in line and "no concept drift" in line
    run = Run.open(next((root / "shift").iterdir()))
    doc = json.loads((run.path / "drift.json").read_text())
    assert doc["verdict"] == {"data": True, "concept": False}
    assert doc["policy"]["cycle"] is None and not doc["policy"]["triggered"]
    kinds = {a["kind"] for a in doc["alerts"]}
    assert "data_drift" in kinds and "concept_drift" not in kinds
