"""A realistic run directory, written through the Run API from deterministic synthetic numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphafactory.runs import Run, fingerprint

MODELS = ("lstm", "tcn", "transformer")
SYMBOLS = tuple(f"SYM{i:02d}" for i in range(12))
N_BARS = 260
N_FOLDS = 3
TEST_LEN = 50


def _predictions(rng: np.random.Generator, ts: pd.DatetimeIndex) -> pd.DataFrame:
    """Planted alpha: label = 0.1 * alpha * vol + noise; each model sees alpha with noise."""
    n_t, n_s = len(ts), len(SYMBOLS)
    alpha = rng.standard_normal((n_t, n_s))
    label = 0.01 * (0.12 * alpha + rng.standard_normal((n_t, n_s)))
    test_start = n_t - N_FOLDS * TEST_LEN
    fold = np.clip((np.arange(n_t) - test_start) // TEST_LEN, -1, N_FOLDS - 1)
    frames = []
    scores = []
    for k, model in enumerate(MODELS):
        score = alpha + (1.5 + 0.5 * k) * rng.standard_normal((n_t, n_s))
        scores.append(pd.DataFrame(score).rank(axis=1).to_numpy())
        frames.append((model, score))
    frames.append(("ensemble", np.mean(scores, axis=0) / n_s))
    keep = fold >= 0
    idx = pd.MultiIndex.from_product([ts[keep], list(SYMBOLS)], names=["timestamp", "symbol"])
    out = []
    for model, score in frames:
        out.append(pd.DataFrame({
            "model": model,
            "fold": np.repeat(fold[keep], n_s).astype("int64"),
            "score": score[keep].ravel(),
            "label": label[keep].ravel(),
        }, index=idx))
    return pd.concat(out)


def _equity(preds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    curves, trades = {}, []
    for model, part in preds.groupby("model", sort=False):
        score = part["score"].unstack("symbol")
        label = part["label"].unstack("symbol")
        ranks = score.rank(axis=1, pct=True)
        weight = (ranks - ranks.mean(axis=1).to_numpy()[:, None])
        weight = weight.div(weight.abs().sum(axis=1), axis=0)
        turnover = weight.diff().abs().sum(axis=1).fillna(weight.abs().sum(axis=1))
        net = (weight * label).sum(axis=1) - 5e-4 * turnover
        curves[model] = (1.0 + net).cumprod()
        dw = weight.diff().fillna(weight).stack()
        dw = dw[dw.abs() > 0.02].rename("qty").reset_index()
        dw["model"] = model
        dw["price"] = 100.0
        dw["qty"] = (dw["qty"] * 1e4).round()
        dw["notional"] = dw["qty"] * dw["price"]
        dw["cost"] = -5e-4 * dw["notional"].abs()
        trades.append(dw)
    equity = pd.DataFrame(curves)
    equity.index.name = "timestamp"
    return equity, pd.concat(trades, ignore_index=True)


def _folds(ts: pd.DatetimeIndex, preds: pd.DataFrame) -> pd.DataFrame:
    rows = []
    test_start = len(ts) - N_FOLDS * TEST_LEN
    for model in (*MODELS, "ensemble"):
        for k in range(N_FOLDS):
            t0 = test_start + k * TEST_LEN
            rows.append({
                "model": model, "fold": k,
                "train_start": ts[max(t0 - 150, 0)], "train_end": ts[t0 - 31],
                "val_start": ts[t0 - 25], "val_end": ts[t0 - 6],
                "test_start": ts[t0], "test_end": ts[t0 + TEST_LEN - 1],
                "ic": float(0.02 + 0.01 * k), "sharpe": float(0.5 + 0.2 * k),
                "best_epoch": 6 + k,
            })
    return pd.DataFrame(rows)


def _training_curves(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for model in MODELS:
        for k in range(N_FOLDS):
            for epoch in range(1, 13):
                rows.append({
                    "model": model, "fold": k, "epoch": epoch,
                    "train_loss": 1.0 * np.exp(-epoch / 5) + 0.5 + 0.01 * rng.random(),
                    "val_loss": 0.6 + 0.25 * np.exp(-epoch / 3) + 0.004 * epoch,
                    "val_ic": 0.05 * (1 - np.exp(-epoch / 3)) + 0.005 * rng.standard_normal(),
                })
    return pd.DataFrame(rows)


def _robustness() -> pd.DataFrame:
    eps = np.array([0.0, 0.05, 0.1, 0.2, 0.5, 1.0])
    rows = []
    for k, model in enumerate(MODELS):
        for kind, speed in (("gaussian", 1.0), ("fgsm", 3.0)):
            ic = 0.06 / (1 + speed * (1 + 0.3 * k) * eps)
            rows.append(pd.DataFrame({"model": model, "kind": kind, "eps": eps, "ic": ic,
                                      "hit_rate": 0.5 + 2 * ic}))
    return pd.concat(rows, ignore_index=True)


def _execution(rng: np.random.Generator, ts: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
    book_rows, fills, shortfall = [], [], []
    snaps = ts[-3:] + pd.Timedelta(hours=14, minutes=30)
    for s, sym in enumerate(SYMBOLS[:2]):
        mid = 50.0 + 10 * s
        for t in snaps:
            for level in range(10):
                for side, sign in (("bid", -1), ("ask", 1)):
                    book_rows.append({"timestamp": t, "symbol": sym, "side": side,
                                      "level": level, "price": mid + sign * 0.01 * (level + 1),
                                      "qty": float(100 * (level + 1) + rng.integers(0, 200))})
    for p in range(40):
        sym = SYMBOLS[p % 4]
        side = "B" if (p // 4) % 2 == 0 else "S"
        sign = 1 if side == "B" else -1
        arrival = 50.0 + p % 4 * 10
        t0 = ts[-1] + pd.Timedelta(hours=14, minutes=30) + pd.Timedelta(minutes=5 * p)
        n_child = 5
        mids = arrival + np.cumsum(rng.normal(0, 0.01, n_child))
        prices = np.round(mids + sign * 0.005 + sign * 0.002 * np.arange(n_child), 2)
        qty = np.full(n_child, 100.0)
        fills.append(pd.DataFrame({
            "timestamp": t0 + pd.to_timedelta(np.arange(n_child) * 30, unit="s"),
            "symbol": sym, "parent_id": p, "side": side, "price": prices, "qty": qty,
            "mid": mids,
        }))
        avg = float(np.average(prices, weights=qty))
        shortfall.append({"parent_id": p, "symbol": sym, "side": side, "qty": 500.0,
                          "filled_qty": 500.0, "arrival_price": arrival, "avg_price": avg,
                          "shortfall_bps": sign * (avg - arrival) / arrival * 1e4})
    attribution = pd.DataFrame({
        "component": ["gross_pnl", "spread", "impact", "opportunity", "fees", "net_pnl"],
        "value": [12500.0, -1800.0, -2600.0, -700.0, -300.0, 7100.0],
    })
    return {
        "execution/book": pd.DataFrame(book_rows),
        "execution/fills": pd.concat(fills, ignore_index=True),
        "execution/shortfall": pd.DataFrame(shortfall),
        "execution/cost_attribution": attribution,
    }


def _validation(ts: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame({
        "symbol": ["SYM01", "SYM01", "SYM04", "SYM07", "SYM07", "SYM07"],
        "row": [17, 18, 120, 33, 34, 201],
        "timestamp": [ts[17], ts[18], ts[120], ts[33], ts[34], ts[201]],
        "rule": ["missing_session", "missing_session", "high_below_close", "nan",
                 "nan", "split_jump"],
        "detail": ["session absent from XNYS calendar", "session absent from XNYS calendar",
                   "high 10.1 < close 10.2", "close is NaN", "volume is NaN",
                   "overnight jump x0.50 matches a 2:1 split"],
        "severity": ["warning", "warning", "error", "error", "error", "error"],
        "action": ["kept", "kept", "repaired", "dropped", "dropped", "reported"],
    })


def _metrics(preds: pd.DataFrame, equity: pd.DataFrame) -> dict:
    models = {}
    rets = equity.pct_change().dropna()
    for model in equity.columns:
        r = rets[model]
        sr = float(r.mean() / r.std())
        sharpe = sr * np.sqrt(252)
        half = 1.96 * np.sqrt((1 + 0.5 * sr**2) / len(r)) * np.sqrt(252)  # Lo (2002)
        part = preds[preds["model"] == model]
        ic = float(np.corrcoef(part["score"], part["label"])[0, 1])
        dd = float((equity[model] / equity[model].cummax() - 1).min())
        models[model] = {
            "ic": {"value": ic, "low": ic - 0.02, "high": ic + 0.02},
            "rank_ic": ic * 0.95,
            "sharpe": {"value": sharpe, "low": sharpe - half, "high": sharpe + half},
            "deflated_sharpe": float(np.clip(0.5 + 0.1 * sharpe, 0.0, 1.0)),
            "max_drawdown": dd,
            "shortfall_bps": 3.2,
        }
    return {"models": models, "n_trials": 4, "periods_per_year": 252}


def write_sample_run(root: Path, seed: int = 0) -> Run:
    """Write a complete run under ``root`` and return it."""
    rng = np.random.default_rng(seed)
    ts = pd.bdate_range("2023-01-02", periods=N_BARS, tz="UTC", name="timestamp")
    config = {"job": "demo", "models": list(MODELS), "walk_forward": {"folds": N_FOLDS,
              "test_bars": TEST_LEN, "purge": 5}, "costs": {"model": "sqrt", "bps": 5.0}}
    run = Run.create("demo", config, seed=seed, root=root,
                     now=dt.datetime(2026, 1, 5, 12, 0, 0, tzinfo=dt.timezone.utc))
    preds = _predictions(rng, ts)
    equity, trades = _equity(preds)
    run.write_table("predictions", preds)
    signals = root / f"signals-{seed}.csv"
    preds.reset_index()[["timestamp", "symbol", "model", "score", "fold"]].to_csv(
        signals, index=False)
    run.copy_file(signals, "signals.csv")
    run.write_table("equity", equity)
    run.write_table("trades", trades)
    run.write_table("folds", _folds(ts, preds))
    run.write_table("training_curves", _training_curves(rng))
    run.write_table("robustness", _robustness())
    for name, table in _execution(rng, ts).items():
        run.write_table(name, table)
    run.write_table("validation", _validation(ts))
    run.write_metrics(_metrics(preds.reset_index(), equity))
    run.write_manifest(data_fingerprints={"panel": fingerprint(preds)}, n_trials=4)
    return run


@pytest.fixture(scope="session")
def sample_runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs root holding one complete sample run and one bare run (config and manifest)."""
    root = tmp_path_factory.mktemp("runs")
    Run.create("bare", {"job": "bare"}, seed=1, root=root,
               now=dt.datetime(2026, 1, 4, 12, 0, 0, tzinfo=dt.timezone.utc))
    write_sample_run(root)
    return root


@pytest.fixture()
def empty_runs_root(tmp_path: Path) -> Path:
    """A runs root without runs."""
    root = tmp_path / "runs"
    root.mkdir()
    return root
