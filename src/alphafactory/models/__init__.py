"""Models: LSTM, TCN, Transformer, the cross-sectional ranker, baselines, ensembles, registry,
the one Trainer every torch model is fitted by, stored model artifacts and ``score``."""

from alphafactory.models.base import AlphaEstimator, NotFittedError, clone
from alphafactory.models.baselines import MLPAlpha, MLPConfig, RidgeAlpha
from alphafactory.models.cross_sectional import (
    CrossSectionalConfig,
    CrossSectionalTransformer,
    select_top_k,
)
from alphafactory.models.ensemble import MeanEnsemble, RankAverageEnsemble, StackingEnsemble
from alphafactory.models.gbm import LightGBMAlpha, XGBoostAlpha
from alphafactory.models.losses import LOSSES, get_loss
from alphafactory.models.lstm import LSTMAlpha, LSTMConfig
from alphafactory.models.neural import NeuralAlpha
from alphafactory.models.registry import MODEL_NAMES, PRESETS, get_model
from alphafactory.models.seeding import seed_everything
from alphafactory.models.tcn import TCNAlpha, TCNConfig
from alphafactory.models.time2vec import Time2Vec
from alphafactory.models.train_config import TrainConfig
from alphafactory.models.trainer import Trainer, resolve_device
from alphafactory.models.transformer import TransformerAlpha, TransformerConfig

__all__ = [
    "LOSSES",
    "MODEL_NAMES",
    "PRESETS",
    "AlphaEstimator",
    "CrossSectionalConfig",
    "CrossSectionalTransformer",
    "LSTMAlpha",
    "LSTMConfig",
    "LightGBMAlpha",
    "MLPAlpha",
    "MLPConfig",
    "MeanEnsemble",
    "NeuralAlpha",
    "NotFittedError",
    "RankAverageEnsemble",
    "RidgeAlpha",
    "StackingEnsemble",
    "TCNAlpha",
    "TCNConfig",
    "Time2Vec",
    "TrainConfig",
    "Trainer",
    "TransformerAlpha",
    "TransformerConfig",
    "XGBoostAlpha",
    "clone",
    "get_loss",
    "get_model",
    "resolve_device",
    "seed_everything",
    "select_top_k",
]
