"""Lesson 04's ranking stage: retrieve candidates with the tower, rerank them with plain or weighted LR.

:func:`retrieve` is the candidate stage (exact top-K here; the lesson shows
faiss gives the same lists); :func:`train_ranker` learns from impressions of
retrieved items; :func:`compare_rankers` tunes and scores the rankers on the test users.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import config
from ...evaluation.metrics import hit_rate_at_k, ndcg_gains_at_k
from ...models import CandidateTower, RankingTower, weighted_bce
from ...tasks.next_watch import Examples, NextWatch, example_arrays, rating_times
from ...tasks.ranker_impressions import (
    Impressions,
    RankingFeatures,
    candidate_impressions,
    training_impressions,
)
from ...training import History, fit
from ...training.batches import tensor_batches


@torch.no_grad()
def retrieve(
    tower: CandidateTower,
    data: NextWatch,
    examples: Examples,
    k: int,
    split: str | None = None,
    chunk: int = 4096,
) -> np.ndarray:
    """[n_examples, k] top items by the tower's score, best first.

    Left out: for ``split`` "valid" or "test", every item the user had seen
    before the target; for training examples (``split=None``), the same rule -
    every other item the user had rated up to the target's second - so the
    ranker learns on lists like those it reranks at test time.
    """
    seen = {"valid": data.seen_before_valid, "test": data.seen_before_test}.get(split)
    when = rating_times(data, examples) if seen is None else None  # examples cut out of data count too
    out = np.empty((len(examples), k), dtype=np.int64)
    for start in range(0, len(examples), chunk):
        part = examples.subset(slice(start, start + chunk))
        scores = torch.from_numpy(tower.catalogue_scores(*example_arrays(data, part)))
        if seen is not None:
            hidden = seen.table[part.user]
        else:
            hidden = when[part.user] <= part.timestamp[:, None]
            hidden[np.arange(len(part)), part.target] = False
        scores[torch.from_numpy(hidden)] = -torch.inf
        out[start : start + chunk] = torch.topk(scores, k, dim=1).indices.numpy()
    return out


def ranker_inputs(
    features: RankingFeatures,
    data: NextWatch,
    examples: Examples,
    impressions: Impressions,
    user_vectors: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item ids, user feature ids, dense features) for every impression."""
    dense = features.dense(examples, impressions, user_vectors)
    return impressions.item, data.user_features[examples.user[impressions.example]], dense


def tower_user_vectors(
    tower: CandidateTower, data: NextWatch, examples: Examples, chunk: int = 8192
) -> np.ndarray:
    return np.concatenate(
        [
            tower.user_vectors(*example_arrays(data, examples.subset(slice(s, s + chunk))))
            for s in range(0, len(examples), chunk)
        ]
    )


@torch.no_grad()
def rerank_ranks(
    ranker: RankingTower | None,
    features: RankingFeatures,
    data: NextWatch,
    examples: Examples,
    candidates: np.ndarray,
    user_vectors: np.ndarray,
) -> np.ndarray:
    """Per example: the target's 0-based rank after reranking its candidates (``ranker=None``: keep the
    candidate stage's order); ``len(candidates[0])`` when retrieval missed the target."""
    k = candidates.shape[1]
    if ranker is None:
        order = candidates
    else:
        impressions = candidate_impressions(examples, candidates)
        inputs = ranker_inputs(features, data, examples, impressions, user_vectors)
        ranker.eval()
        device = next(ranker.parameters()).device
        logits = ranker(*(torch.as_tensor(a).to(device) for a in inputs)).cpu().numpy().reshape(-1, k)
        order = np.take_along_axis(candidates, np.argsort(-logits, axis=1, kind="stable"), axis=1)
    found = order == examples.target[:, None]
    return np.where(found.any(axis=1), found.argmax(axis=1), k)


def train_ranker(
    tower: CandidateTower,
    data: NextWatch,
    examples: Examples,
    features: RankingFeatures,
    s,
    seed: int,
    *,
    weighted: bool,
    negatives_from: int | None = None,
    lr: float = 1e-3,
    progress: bool | None = None,
) -> tuple[RankingTower, History]:
    """A :class:`RankingTower` trained on impressions of the tower's retrievals, by weighted or plain LR.

    ``examples`` are next-watch examples the tower did not train on (see
    :func:`recsys_course.tasks.next_watch.split_latest`). Positives are their targets
    (weight: the rating when ``weighted``, else 1); negatives are
    ``s.ranker_negatives`` of the example's top ``negatives_from`` (default: all
    ``s.n_candidates``) retrieved items. Early stopping watches HR@10 of the
    validation targets after reranking their candidates; the untrained ranker
    (epoch 0, the candidate order) is a candidate too.
    """
    rng = np.random.default_rng(seed)
    train_candidates = retrieve(tower, data, examples, s.n_candidates)
    impressions = training_impressions(
        examples, train_candidates, s.ranker_negatives, rng, negatives_from=negatives_from
    )
    if not weighted:
        impressions.weight = np.ones_like(impressions.weight)
    inputs = ranker_inputs(features, data, examples, impressions, tower_user_vectors(tower, data, examples))
    target = np.stack([impressions.label, impressions.weight], axis=1)
    valid_candidates = retrieve(tower, data, data.valid, s.n_candidates, "valid")
    valid_vectors = tower_user_vectors(tower, data, data.valid)
    torch.manual_seed(seed)
    ranker = RankingTower(data.n_items, data.user_fields, features.n_dense, hidden=s.ranker_hidden)
    with torch.no_grad():  # start calibrated: the base rate of positives, minus the prior's typical level
        prior = ranker.prior_weight * float(np.mean(inputs[2][:, -1]))
        ranker.tower[-1].bias.fill_(
            float(np.log(impressions.label.mean() / (1 - impressions.label.mean()))) - prior
        )
    ranker.to(config.get_device())
    generator = torch.Generator().manual_seed(seed)

    def batches(epoch):
        return tensor_batches(*inputs, target, batch_size=s.batch_size, generator=generator)

    def evaluate(m):
        ranks = rerank_ranks(m, features, data, data.valid, valid_candidates, valid_vectors)
        return {"hr@10": hit_rate_at_k(ranks, 10), "ndcg@10": float(ndcg_gains_at_k(ranks, 10).mean())}

    history = fit(
        ranker,
        batches,
        loss_fn=weighted_bce,
        evaluate=evaluate,
        monitor="hr@10",
        lr=lr,
        epochs=s.ranker_epochs,
        patience=5,
        lr_patience=None,
        progress=progress,
        evaluate_start=True,
        desc="weighted LR" if weighted else "plain LR",
    )
    return ranker, history


def engagement_ndcg(ranks: np.ndarray, ratings: np.ndarray, k: int = 10) -> np.ndarray:
    """Per user: NDCG@k of the held-out item times its rating over the mean rating - users whose held-out
    item engaged them more count more, as watch time does in the paper's weighted metric."""
    ratings = np.asarray(ratings, dtype=np.float64)
    return ndcg_gains_at_k(ranks, k) * ratings / ratings.mean()


def compare_rankers(
    tower: CandidateTower,
    data: NextWatch,
    examples: Examples,
    features: RankingFeatures,
    s,
    seed: int,
    results,
    *,
    progress: bool | None = None,
) -> dict:
    """The candidate score alone, a plain-LR ranker and a weighted-LR ranker on the test users' candidates.

    Each ranker gets the same tuning: the pool its negatives come from (each of
    ``s.ranker_pools``) and its learning rate (each of ``s.ranker_lrs``) are
    chosen on validation HR@10. Adds one row each to ``results`` (model, seed,
    hr@10, engagement ndcg@10, candidate recall, the ranker's settings and best
    epoch) and returns the trained rankers by name.
    """
    candidates = retrieve(tower, data, data.test, s.n_candidates, "test")
    vectors = tower_user_vectors(tower, data, data.test)
    rankers = {"candidate score": None}
    histories, chosen = {}, {}  # chosen: (negatives' pool, learning rate) per ranker
    for name, weighted in (("plain LR", False), ("weighted LR", True)):
        tried = {
            (pool, lr): train_ranker(
                tower,
                data,
                examples,
                features,
                s,
                seed,
                weighted=weighted,
                negatives_from=pool,
                lr=lr,
                progress=progress,
            )
            for pool in s.ranker_pools
            for lr in s.ranker_lrs
        }
        best = max(tried, key=lambda key: tried[key][1].best_value)  # validation HR@10
        rankers[name], histories[name] = tried[best]
        # where no setting beat its untrained start (epoch 0, the candidate order), none was chosen
        chosen[name] = best if histories[name].best_epoch != 0 else (np.nan, np.nan)
    for name, ranker in rankers.items():
        ranks = rerank_ranks(ranker, features, data, data.test, candidates, vectors)
        per_user = pd.DataFrame({"user": data.test.user, "rank": ranks, "auc": np.nan})
        results.add(
            {
                "model": name,
                "seed": seed,
                "hr@10": hit_rate_at_k(ranks, 10),
                "engagement ndcg@10": float(engagement_ndcg(ranks, data.test.rating).mean()),
                f"recall@{s.n_candidates} (ceiling)": float((ranks < s.n_candidates).mean()),
                "negatives from top": chosen.get(name, (np.nan, np.nan))[0],
                "lr": chosen.get(name, (np.nan, np.nan))[1],
                # 0: no epoch beat the untrained ranker, which orders as the candidate score does
                "best epoch": histories[name].best_epoch if name in histories else np.nan,
                "epochs run": len(histories[name]) - 1 if name in histories else np.nan,
            },
            per_user,
        )
    return rankers
