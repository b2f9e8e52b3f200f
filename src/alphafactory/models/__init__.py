"""Models: LSTM, TCN, Transformer, the cross-sectional ranker, baselines, ensembles, registry."""

from alphafactory.models.base import AlphaEstimator, NotFittedError, clone
from alphafactory.models.baselines import MLPAlpha, MLPConfig, RidgeAlpha
from alphafactory.models.cross_sectional import (
    CrossSectionalConfig,
    CrossSectionalTransformer,
    select_top_k,
)
from alphafactory.models.ensemble import MeanEnsemble, RankAverageEnsemble, StackingEnsemble
from alphafactory.models.gbm import LightGBMAlpha, XGBoostAlpha
from alphafactory.models.lstm import LSTMAlpha, LSTMConfig
from alphafactory.models.neural import NeuralAlpha
from alphafactory.models.registry import MODEL_NAMES, PRESETS, get_model
from alphafactory.models.tcn import TCNAlpha, TCNConfig
from alphafactory.models.time2vec import Time2Vec
from alphafactory.models.transformer import TransformerAlpha, TransformerConfig

__all__ = [
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
    "TransformerAlpha",
    "TransformerConfig",
    "XGBoostAlpha",
    "clone",
    "get_model",
    "select_top_k",
]
