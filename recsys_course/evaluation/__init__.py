"""How a trained model is judged: pure metrics, and one entry point per protocol.

- :mod:`.metrics` - pure functions of labels, scores and ranks (AUC, LogLoss, HR@K, NDCG@K, ...);
- :mod:`.inference` - running a model over many inputs (:func:`score_pairs`, :func:`predict_logits`);
- :mod:`.sampled` - the sampled leave-one-out protocol: the held-out item against 99 fixed negatives;
- :mod:`.catalogue` - the whole-catalogue protocol: the held-out item against every unseen item;
- :mod:`.ctr` - the CTR protocol: every impression scored, AUC / user-weighted AUC / LogLoss per user.

Each protocol's ``per_user`` returns one row per test user: the units the intervals of
:mod:`recsys_course.evidence` resample. Evaluation reads tasks and runs models; it trains nothing.
"""

from .inference import all_item_scores, predict_logits, score_pairs

__all__ = ["all_item_scores", "predict_logits", "score_pairs"]
