from __future__ import annotations

import numpy as np
import pytest
import torch

from alphafactory.features.windows import ArrayWindows
from alphafactory.models import LSTMAlpha, TCNAlpha, TrainConfig, Trainer, seed_everything


def _data(n: int = 600, seed: int = 0) -> tuple[ArrayWindows, ArrayWindows]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6, 3)).astype(np.float32)
    y = X[:, -1, 0] + 0.3 * rng.normal(size=n)
    cut = int(0.8 * n)
    return ArrayWindows(X[:cut], y[:cut]), ArrayWindows(X[cut:], y[cut:])


def _weights(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.state_dict().values()]


def _train(config: TrainConfig, seed: int = 0) -> tuple[torch.nn.Module, Trainer]:
    train, val = _data()
    seed_everything(seed)
    module = LSTMAlpha(3, hidden_size=8, dropout=0.2)
    trainer = Trainer(config, seed=seed)
    trainer.fit(module, train, val)
    return module, trainer


def test_trainer_same_seed_gives_bit_identical_weights():
    cfg = TrainConfig(epochs=2, batch_size=64)
    a, _ = _train(cfg)
    b, _ = _train(cfg)
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        assert torch.equal(wa, wb)
    c, _ = _train(cfg, seed=1)
    assert not torch.equal(_weights(a)[0], _weights(c)[0])


def test_trainer_checkpoint_resume_equals_straight_run(tmp_path):
    cfg = TrainConfig(epochs=2, batch_size=64, patience=5)
    straight, straight_trainer = _train(cfg)

    train, val = _data()
    seed_everything(0)
    module = LSTMAlpha(3, hidden_size=8, dropout=0.2)
    first = Trainer(cfg, seed=0)
    first.fit(module, train, val, until_epoch=1)
    first.save_checkpoint(tmp_path / "ckpt.pt", module)
    # Disturb every generator: the checkpoint must bring them all back.
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002

    resumed_module = LSTMAlpha(3, hidden_size=8, dropout=0.2)
    resumed = Trainer(cfg, seed=0)
    resumed.load_checkpoint(tmp_path / "ckpt.pt", resumed_module, train)
    resumed.fit(resumed_module, train, val)
    for wa, wb in zip(_weights(straight), _weights(resumed_module), strict=True):
        assert torch.equal(wa, wb)
    assert resumed.history == straight_trainer.history


def test_trainer_checkpoint_with_other_config_raises(tmp_path):
    module, trainer = _train(TrainConfig(epochs=1, batch_size=64))
    trainer.save_checkpoint(tmp_path / "c.pt", module)
    other = Trainer(TrainConfig(epochs=3, batch_size=64), seed=0)
    with pytest.raises(ValueError, match="another TrainConfig"):
        other.load_checkpoint(tmp_path / "c.pt", module, _data()[0])


def test_trainer_early_stopping_restores_best_epoch():
    # A huge learning rate makes validation loss worse after the first epochs.
    cfg = TrainConfig(epochs=12, batch_size=32, lr=0.5, schedule="constant", patience=2)
    module, trainer = _train(cfg)
    losses = [h["val_loss"] for h in trainer.history]
    assert len(losses) < 12  # stopped early
    assert trainer.best_epoch == int(np.argmin(losses)) + 1
    _, val = _data()
    restored = Trainer(cfg).predict(module, val)
    y = torch.from_numpy(val.labels.astype(np.float32))
    val_mse = torch.mean((torch.from_numpy(restored.astype(np.float32)) - y) ** 2)
    assert float(val_mse) == pytest.approx(min(losses), rel=1e-5)


def test_trainer_monitor_ic_records_validation_ic():
    cfg = TrainConfig(epochs=3, batch_size=64, monitor="ic", loss="ic")
    _, trainer = _train(cfg)
    assert all(-1.0 <= h["val_ic"] <= 1.0 for h in trainer.history)
    assert trainer.best_epoch == int(np.argmax([h["val_ic"] for h in trainer.history])) + 1


def test_trainer_learns_signal_and_schedule_decays_lr():
    cfg = TrainConfig(epochs=6, batch_size=32, lr=5e-3)
    module, trainer = _train(cfg)
    _, val = _data()
    pred = trainer.predict(module, val)
    assert np.corrcoef(pred, val.labels)[0, 1] > 0.6
    lrs = [h["lr"] for h in trainer.history]
    assert lrs[-1] < lrs[0]


def test_trainer_gradient_clipping_bounds_update():
    train, _ = _data()
    seed_everything(0)
    module = TCNAlpha(3, lookback=6, channels=4)
    before = _weights(module)
    cfg = TrainConfig(
        epochs=1,
        batch_size=len(train),
        lr=1.0,
        weight_decay=0.0,
        grad_clip=1e-3,
        schedule="constant",
    )
    Trainer(cfg).fit(module, ArrayWindows(train.X, train.labels * 1e6))
    # AdamW's first step moves each weight by about lr regardless of gradient scale;
    # the check is that clipping kept everything finite under a 1e6 label blow-up.
    assert all(torch.isfinite(w).all() for w in _weights(module))
    assert any(not torch.equal(a, b) for a, b in zip(before, _weights(module), strict=True))


def test_trainer_progress_bar_is_quiet_without_tty(capsys):
    _train(TrainConfig(epochs=1, batch_size=64))
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_trainer_without_labels_raises():
    X = np.zeros((10, 4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="labelled"):
        Trainer(TrainConfig(epochs=1)).fit(LSTMAlpha(2), ArrayWindows(X))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"loss": "mae"}, "Unknown loss"),
        ({"monitor": "sharpe"}, "monitor"),
        ({"schedule": "step"}, "schedule"),
        ({"patience": 0}, "patience"),
    ],
)
def test_train_config_invalid_value_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


def test_train_config_unknown_key_raises():
    with pytest.raises(TypeError):
        TrainConfig(epoch=3)  # type: ignore[call-arg]
