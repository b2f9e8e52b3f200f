"""Models: LSTM, TCN, Transformer, the cross-sectional ranker, baselines, ensembles, registry,
the one Trainer every torch model is fitted by, stored model artifacts and ``score``."""

from alphafactory.models.artifact import (
    FORMAT_VERSION,
    LabelSpec,
    ModelArtifact,
    TrainingWindow,
    load,
)
from alphafactory.models.base import AlphaEstimator, NotFittedError, clone
from alphafactory.models.baselines import MLPAlpha, MLPConfig, RidgeAlpha
from alphafactory.models.catboost_model import CatBoostAlpha
from alphafactory.models.classifiers import (
    CatBoostClassifierAlpha,
    LightGBMClassifierAlpha,
    LogisticAlpha,
    XGBoostClassifierAlpha,
)
from alphafactory.models.cross_sectional import (
    CrossSectionalConfig,
    CrossSectionalTransformer,
    select_top_k,
)
from alphafactory.models.ensemble import MeanEnsemble, RankAverageEnsemble, StackingEnsemble
from alphafactory.models.ensemble_weights import BayesianAveragingEnsemble, BlendEnsemble
from alphafactory.models.feature_steps import FeaturePipeline
from alphafactory.models.forest import RandomForestAlpha
from alphafactory.models.gbm import LightGBMAlpha, XGBoostAlpha
from alphafactory.models.losses import LOSSES, get_loss
from alphafactory.models.lstm import LSTMAlpha, LSTMConfig
from alphafactory.models.neural import NeuralAlpha
from alphafactory.models.registry import MODEL_NAMES, PRESETS, get_model
from alphafactory.models.scoring import score
from alphafactory.models.seeding import seed_everything
from alphafactory.models.selection import DEFAULT_SELECTION, SELECTION_STEPS, build_steps
from alphafactory.models.selection_config import SelectionSettings
from alphafactory.models.tcn import TCNAlpha, TCNConfig
from alphafactory.models.time2vec import Time2Vec
from alphafactory.models.train_config import TrainConfig
from alphafactory.models.trainer import Trainer, resolve_device
from alphafactory.models.transformer import TransformerAlpha, TransformerConfig
from alphafactory.models.voting import VotingEnsemble

__all__ = [
    "DEFAULT_SELECTION",
    "FORMAT_VERSION",
    "LOSSES",
    "MODEL_NAMES",
    "PRESETS",
    "SELECTION_STEPS",
    "AlphaEstimator",
    "BayesianAveragingEnsemble",
    "BlendEnsemble",
    "CatBoostAlpha",
    "CatBoostClassifierAlpha",
    "CrossSectionalConfig",
    "CrossSectionalTransformer",
    "FeaturePipeline",
    "LSTMAlpha",
    "LSTMConfig",
    "LabelSpec",
    "LightGBMAlpha",
    "LightGBMClassifierAlpha",
    "LogisticAlpha",
    "MLPAlpha",
    "MLPConfig",
    "MeanEnsemble",
    "ModelArtifact",
    "NeuralAlpha",
    "NotFittedError",
    "RandomForestAlpha",
    "RankAverageEnsemble",
    "RidgeAlpha",
    "SelectionSettings",
    "StackingEnsemble",
    "TCNAlpha",
    "TCNConfig",
    "Time2Vec",
    "TrainConfig",
    "Trainer",
    "TrainingWindow",
    "TransformerAlpha",
    "TransformerConfig",
    "VotingEnsemble",
    "XGBoostAlpha",
    "XGBoostClassifierAlpha",
    "build_steps",
    "clone",
    "get_loss",
    "get_model",
    "load",
    "resolve_device",
    "score",
    "seed_everything",
    "select_top_k",
]
