"""The course's models, one module per family.

- :mod:`.pairs` - scorers of (user, item) pairs: ``Popularity``, ``Additive``,
  ``MF``, ``MLP``, ``GMF`` and ``NeuMF`` (lessons 01-03);
- :mod:`.item_item` - ``EASE``, the closed-form item-to-item baseline (lessons 03-04);
- :mod:`.candidates` - YouTube DNN's ``CandidateTower`` and the ``SoftmaxLoss``
  it trains with (lesson 04);
- :mod:`.ranking` - its ``RankingTower`` and the weighted logistic regression
  loss ``weighted_bce`` (lesson 04);
- :mod:`.ctr` - click-through-rate models over sparse fields: ``WideAndDeep``
  (lesson 05), ``FM`` and ``DeepFM`` (lesson 06);
- :mod:`.dcn` - the Deep & Cross Network, ``DCN`` (V2), and its ``CrossLayer`` (lesson 06);
- :mod:`.din` - the Deep Interest Network, ``DIN``, with its ``Dice`` activation (lesson 06);
- :mod:`.embeddings` - the tables they are built from: ``IdEmbedding``, ``MultiFieldEmbedding``, ``FeatureSum``.

Models know no training loop and no evaluation. Everything is importable
from here: ``from recsys_course.models import MF``.
"""

from .candidates import CandidateTower, SoftmaxLoss
from .ctr import FM, DeepFM, WideAndDeep
from .dcn import DCN, CrossLayer
from .din import DIN, Dice
from .embeddings import FeatureSum, IdEmbedding, MultiFieldEmbedding
from .item_item import EASE
from .pairs import GMF, MF, MLP, Additive, NeuMF, PairModel, Popularity, check_ids, mlp_tower
from .ranking import RankingTower, weighted_bce

__all__ = [
    "Additive",
    "CandidateTower",
    "CrossLayer",
    "DCN",
    "DIN",
    "EASE",
    "DeepFM",
    "Dice",
    "FM",
    "FeatureSum",
    "GMF",
    "IdEmbedding",
    "MF",
    "MLP",
    "MultiFieldEmbedding",
    "NeuMF",
    "PairModel",
    "Popularity",
    "RankingTower",
    "SoftmaxLoss",
    "WideAndDeep",
    "check_ids",
    "mlp_tower",
    "weighted_bce",
]
