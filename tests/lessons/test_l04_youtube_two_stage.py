"""Tests for lesson 04's pieces: next-watch data, the candidate tower and its losses, impressions,
the ranker and weighted LR, catalogue metrics, and the served pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from recsys_course.data import simulated_watch_log, synthetic_movielens
from recsys_course.evaluation import catalogue
from recsys_course.evaluation.metrics import catalogue_ranks
from recsys_course.lessons.l04_youtube_two_stage.ranker import group_logits
from recsys_course.models import CandidateTower, RankingTower, SoftmaxLoss, weighted_bce
from recsys_course.tasks.next_watch import prepare_next_watch, previous_items, split_latest
from recsys_course.tasks.ranker_impressions import (
    RankingFeatures,
    candidate_impressions,
    training_impressions,
)

FIELDS = {"age": 7, "gender": 2, "occupation": 5}


@pytest.fixture(scope="module")
def twin():
    return synthetic_movielens(n_users=60, n_items=150, n_ratings=3_000, seed=3)


@pytest.fixture(scope="module")
def data(twin):
    return prepare_next_watch(twin.ratings, twin.users, twin.n_items, history_len=5)


def _tower(n_items=12, pool="mean", hidden=(8,)):
    torch.manual_seed(0)
    return CandidateTower(n_items, FIELDS, dim=4, hidden=hidden, pool=pool, n_users=5, field_dim=2)


def _inputs(n=6, n_items=12, length=4):
    gen = torch.Generator().manual_seed(1)
    history = torch.randint(0, n_items, (n, length), generator=gen)
    history[0, 2:] = n_items  # padding at the end, as next_watch writes it
    history[1, :] = n_items  # no history at all
    features = torch.stack([torch.randint(0, size, (n,), generator=gen) for size in FIELDS.values()], dim=1)
    return torch.arange(n) % 5, history, features


# ---- next-watch data --------------------------------------------------------------------------


def test_no_history_holds_the_target_or_anything_later(twin, data):
    """Every history item was rated strictly earlier in the user's time order than the target."""
    order = twin.ratings.sort_values(["user", "timestamp"], kind="stable")
    from recsys_course.tasks.splits import leave_one_out

    train, valid, test = leave_one_out(twin.ratings[["user", "item", "timestamp", "rating"]], validation=True)
    sequence = pd.concat([train, valid, test]).sort_values("user", kind="stable")
    position = {(u, i): p for p, (u, i) in enumerate(zip(sequence["user"], sequence["item"]))}
    assert len(position) == len(order)
    for examples in (data.train, data.valid, data.test):
        for user, history, target in zip(examples.user, examples.history, examples.target):
            target_at = position[user, target]
            earlier = [position[user, item] for item in history if item != data.pad]
            assert all(at < target_at for at in earlier)
            assert target not in history
            assert earlier == sorted(earlier, reverse=True)  # latest first


def test_split_matches_leave_one_out(twin, data):
    from recsys_course.tasks.splits import leave_one_out

    _, valid, test = leave_one_out(twin.ratings, validation=True)
    assert np.array_equal(data.test.user, test["user"].to_numpy())
    assert np.array_equal(data.test.target, test["item"].to_numpy())
    assert np.array_equal(data.valid.target, valid["item"].to_numpy())
    # the test history ends with the validation item
    assert np.array_equal(data.test.history[:, 0], data.valid.target)
    assert len(data.train) + len(data.valid) + len(data.test) == len(twin.ratings)


def test_previous_items_pads_and_orders():
    frame = pd.DataFrame({"user": [0, 0, 0, 1, 1], "item": [5, 6, 7, 8, 9]})
    history = previous_items(frame, 2, pad=99)
    assert history.tolist() == [[99, 99], [5, 99], [6, 5], [99, 99], [8, 99]]


def test_split_latest_holds_out_each_users_latest(data):
    cut, later = split_latest(data, 2)
    assert len(cut.train) + len(later) == len(data.train)
    assert (np.bincount(later.user) <= 2).all()
    assert cut.item_counts.sum() == len(cut.train)
    for user in np.unique(later.user):  # every held-out example is later than every kept one
        assert later.timestamp[later.user == user].min() >= cut.train.timestamp[cut.train.user == user].max()


# ---- catalogue evaluation ---------------------------------------------------------------------


def test_catalogue_ranks_by_hand():
    scores = np.array(
        [
            [0.9, 0.5, 0.7, 0.1],  # target 1: items 0 and 2 above it, item 0 excluded -> rank 1
            [0.2, 0.2, 0.1, 0.3],
        ]
    )  # target 0: item 3 above, item 1 tied (counts against) -> 2
    exclude = np.array([[True, False, False, False], [False, False, False, False]])
    assert catalogue_ranks(scores, [1, 0], exclude).tolist() == [1, 2]
    # the target itself is never excluded
    assert catalogue_ranks(scores, [1, 0], np.ones_like(exclude)).tolist() == [0, 0]


def test_catalogue_evaluation_excludes_seen_items(data):
    # score every item by its id: seen items would otherwise push the target down
    scores = np.tile(np.arange(data.n_items, dtype=np.float32), (len(data.test), 1))
    frame = catalogue.on_next_watch(data, scores, "test")
    seen = data.seen_before_test.table[data.test.user]
    above = np.arange(data.n_items)[None, :] > data.test.target[:, None]
    assert np.array_equal(frame["rank"].to_numpy(), (above & ~seen).sum(axis=1))
    with pytest.raises(ValueError, match="one row per test example"):
        catalogue.on_next_watch(data, scores[:3], "test")


# ---- the candidate tower and its losses -------------------------------------------------------


def test_masked_mean_ignores_padding():
    tower = _tower()
    users, history, features = _inputs()
    before = tower.pooled_history(users, history)
    with torch.no_grad():
        tower.history.weight[tower.pad] = 100.0  # a padding row that is not zero must still not count
    after = tower.pooled_history(users, history)
    torch.testing.assert_close(before, after)
    expected = tower.history.weight[history[0, :2]].mean(dim=0)
    torch.testing.assert_close(after[0], expected)
    assert torch.all(after[1] == 0)  # no history: the zero vector


def test_user_vectors_are_unit_and_pools_differ():
    users, history, features = _inputs()
    for pool in ("mean", "last", "none"):
        vectors = _tower(pool=pool)(users, history, features)
        torch.testing.assert_close(vectors.norm(dim=1), torch.ones(len(users)))
    with pytest.raises(ValueError, match="n_users"):
        CandidateTower(12, FIELDS, pool="none")


def test_sampled_softmax_over_all_items_equals_full_softmax():
    tower = _tower()
    users, history, features = _inputs()
    targets = torch.tensor([0, 3, 3, 7, 11, 5])
    vectors = tower(users, history, features)
    full = SoftmaxLoss(tower, "full")(vectors, targets)
    every_item = SoftmaxLoss(tower, "sampled", samples=np.arange(12))(vectors, targets)
    torch.testing.assert_close(full, every_item)
    torch.testing.assert_close(
        full, F.cross_entropy(vectors @ tower.item_vectors().T / tower.temperature, targets)
    )


def test_in_batch_logq_loss_by_hand():
    """Three examples; items 0, 1, 2 as targets; q = (0.5, 0.3, 0.2); row 2 repeats row 0's target."""
    tower = _tower(n_items=3, hidden=())
    with torch.no_grad():
        tower.items.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0.6, 0.8, 0, 0]]))
    user_vectors = F.normalize(torch.tensor([[1.0, 0.2, 0, 0], [0.1, 1.0, 0, 0], [0.5, 0.5, 0.1, 0]]), dim=1)
    targets = torch.tensor([0, 1, 0])
    q = np.array([0.5, 0.3, 0.2])
    loss = SoftmaxLoss(tower, "in-batch", probs=q, logq=True)(user_vectors, targets)
    items = F.normalize(tower.items.weight, dim=1).detach().numpy()
    u = user_vectors.numpy()
    total = 0.0
    for row in range(3):
        logits = np.array([u[row] @ items[t] / tower.temperature - np.log(q[t]) for t in targets.tolist()])
        keep = [j for j in range(3) if j == row or targets[j] != targets[row]]  # repeats are masked
        total += -(logits[row] - np.log(np.exp(logits[keep]).sum()))
    assert loss.item() == pytest.approx(total / 3, rel=1e-5)
    uncorrected = SoftmaxLoss(tower, "in-batch", probs=q, logq=False)(user_vectors, targets)
    assert uncorrected.item() != pytest.approx(loss.item())


def test_sampled_logq_needs_probs_and_masks_accidental_hits():
    tower = _tower()
    with pytest.raises(ValueError, match="probs"):
        SoftmaxLoss(tower, "sampled", logq=True)
    users, history, features = _inputs()
    vectors = tower(users, history, features)
    targets = torch.tensor([2, 2, 2, 2, 2, 2])
    loss = SoftmaxLoss(tower, "sampled", samples=np.array([2, 2, 2]))
    logits, _ = loss.logits(vectors, targets)
    assert torch.isinf(logits[:, 1:]).all()  # every sample is the target: all masked


def test_tower_learns_next_item(data):
    """A few epochs of full softmax beat popularity on the training users' validation targets."""
    torch.manual_seed(0)
    from recsys_course.training import fit_next_item

    tower = CandidateTower(data.n_items, data.user_fields, dim=16, hidden=(32,))
    history = fit_next_item(
        tower,
        data,
        SoftmaxLoss(tower, "full"),
        epochs=8,
        lr=1e-2,
        batch_size=128,
        patience=None,
        progress=False,
    )
    assert history.best_value > 0
    assert history["train_loss"][-1] < history["train_loss"][0]


# ---- impressions, the ranker, weighted LR -----------------------------------------------------


def test_training_impressions_come_from_what_was_shown(data):
    examples = data.train.subset(np.arange(40))
    rng = np.random.default_rng(0)
    retrieved = np.stack([rng.permutation(data.n_items)[:10] for _ in range(40)])
    retrieved[::2, 3] = examples.target[::2]  # shown to every other example
    retrieved[1::2] = np.where(retrieved[1::2] == examples.target[1::2, None], 0, retrieved[1::2])
    impressions = training_impressions(examples, retrieved, 4, rng)
    positives = impressions.label == 1
    assert set(impressions.example[positives]) == set(range(0, 40, 2))
    assert np.array_equal(impressions.weight[positives], examples.rating[::2].astype(np.float32))
    negatives = ~positives
    assert (impressions.item[negatives] != examples.target[impressions.example[negatives]]).all()
    assert (impressions.weight[negatives] == 1).all()
    shown = [set(retrieved[e]) for e in impressions.example[negatives]]
    assert all(item in s for item, s in zip(impressions.item[negatives], shown))


def test_ranker_starts_in_the_candidate_order(twin, data):
    torch.manual_seed(0)
    examples = data.test.subset(np.arange(5))
    candidates = np.stack([np.arange(20)] * 5)
    vectors = F.normalize(torch.randn(data.n_items, 8), dim=1).numpy()
    features = RankingFeatures(
        data,
        twin.item_genres,
        twin.movies["year"].to_numpy(dtype=float, na_value=np.nan),
        vectors,
        temperature=0.05,
    )
    user_vectors = F.normalize(torch.randn(5, 8), dim=1).numpy()
    impressions = candidate_impressions(examples, candidates)
    dense = features.dense(examples, impressions, user_vectors)
    ranker = RankingTower(data.n_items, data.user_fields, features.n_dense)
    with torch.no_grad():
        logits = ranker(
            torch.as_tensor(impressions.item),
            torch.as_tensor(data.user_features[examples.user[impressions.example]]),
            torch.as_tensor(dense),
        )
    prior = dense[:, -1]
    assert np.array_equal(
        np.argsort(-logits.numpy().reshape(5, 20), axis=1, kind="stable"),
        np.argsort(-prior.reshape(5, 20), axis=1, kind="stable"),
    )
    assert np.allclose(
        prior, (vectors[impressions.item] * user_vectors[impressions.example]).sum(1) / 0.05, atol=1e-4
    )


def test_weighted_lr_odds_track_expected_watch_time():
    """On a simulated log, exp(logit) of weighted LR is sum T / (N - k) = E[T] / (1 - P) per context;
    plain LR's sigmoid is the click rate."""
    log, truth = simulated_watch_log(n_impressions=200_000, n_contexts=20, max_click=0.15, seed=1)
    clicked = log["clicked"].to_numpy()
    weights = np.where(clicked == 1, log["watch_minutes"].to_numpy(), 1.0)
    fitted = {
        "weighted": group_logits(log["context"], clicked, weights, 20),
        "plain": group_logits(log["context"], clicked, np.ones(len(log)), 20),
    }
    frame = (
        log.assign(shown=1)
        .groupby("context")
        .agg(watched=("watch_minutes", "sum"), n=("shown", "sum"), k=("clicked", "sum"))
    )
    empirical_odds = frame["watched"] / (frame["n"] - frame["k"])
    np.testing.assert_allclose(np.exp(fitted["weighted"]), empirical_odds, rtol=1e-3)
    exact = truth["expected_watch"] / (1 - truth["p_click"])
    np.testing.assert_allclose(np.exp(fitted["weighted"]), exact, rtol=0.15)
    np.testing.assert_allclose(1 / (1 + np.exp(-fitted["plain"])), truth["p_click"], atol=0.01)


def test_weighted_bce_checks_its_target():
    with pytest.raises(ValueError, match="label, weight"):
        weighted_bce(torch.zeros(3), torch.zeros(3))
    logits, labels = torch.tensor([0.3, -1.0]), torch.tensor([1.0, 0.0])
    plain = F.binary_cross_entropy_with_logits(logits, labels)
    assert weighted_bce(logits, torch.stack([labels, torch.ones(2)], 1)).item() == pytest.approx(plain.item())


# ---- serving ----------------------------------------------------------------------------------


def test_recommend_leaves_out_what_the_user_rated(twin, data):
    from recsys_course.serving.indexes import ExactIndex
    from recsys_course.serving.two_stage import TwoStageRecommender

    torch.manual_seed(0)
    tower = CandidateTower(data.n_items, data.user_fields, dim=8, hidden=(16,))
    vectors = tower.item_vectors().detach().numpy()
    features = RankingFeatures(
        data,
        twin.item_genres,
        twin.movies["year"].to_numpy(dtype=float, na_value=np.nan),
        vectors,
        tower.temperature,
    )
    ranker = RankingTower(data.n_items, data.user_fields, features.n_dense)
    recommender = TwoStageRecommender(
        tower,
        ExactIndex(vectors),
        ranker,
        features,
        data,
        twin.ratings,
        twin.movies["title"],
        n_candidates=30,
    )
    top, timings = recommender.recommend(3, k=7)
    assert len(top) == 7
    rated = set(twin.movies["title"].to_numpy()[twin.ratings.loc[twin.ratings["user"] == 3, "item"]])
    assert not rated & set(top["title"])
    assert set(timings) == {"user vector", "retrieval", "features", "ranking"}
    assert (top["retrieval rank"] <= 30).all()
    with pytest.raises(KeyError, match="no ratings"):
        recommender.recommend(10_000)


# ---- the experiment layer: claims and serving measurements from constructed results ------------


def _results_with(models: dict, n_users=200, seeds=(0, 1), seed=0):
    """A Results whose models have per-user ranks drawn around the given median rank."""
    from recsys_course.evidence import Results

    rng = np.random.default_rng(seed)
    results = Results()
    for name, median in models.items():
        for s in seeds if name != "popularity" else (0,):
            ranks = rng.geometric(1 / median, size=n_users) - 1
            results.add(
                {"model": name, "seed": s, "valid": 1 / median},
                pd.DataFrame({"user": np.arange(n_users), "rank": ranks, "auc": 0.5}),
            )
    return results


def test_tower_claims_judge_what_was_trained():
    from recsys_course.lessons.l04_youtube_two_stage import claims as two_stage_claims

    towers = _results_with({"popularity": 400, "MF": 60, "in-batch": 200, "in-batch + logQ": 40})
    claims = two_stage_claims.tower_claims(towers, "in-batch + logQ", "a test")
    assert [c.claim for c in claims] == [
        "In-batch softmax needs the logQ correction",
        "The candidate tower beats matrix factorisation at retrieval",
    ]
    assert claims[0].verdict == "supported" and claims[0].effect.relative
    assert not claims[1].effect.relative and claims[1].threshold == 0.0


def test_serving_measurements_and_claims():
    from recsys_course.lessons.l04_youtube_two_stage import claims as two_stage_claims
    from recsys_course.lessons.l04_youtube_two_stage import scaling as retrieval_scaling

    sweep = pd.DataFrame(
        [
            {
                "items": n,
                "threads": 2,
                "index": kind,
                "parameter": param,
                "value": value,
                "build s": 1.0,
                "memory MB": n * 500 / 2**20,
                "recall@10": recall,
                "recall@100": recall,
                "ms/query, batch 1": ms,
                "ms low": ms * 0.9,
                "ms high": ms * 1.1,
                "ms/query, k=100, batch 1": ms * 1.2,
                "ms/query, batched": ms / 5,
            }
            for n in (10_000, 1_000_000)
            for kind, param, value, recall, ms in [
                ("exact", "", np.nan, 1.0, n / 1e5),
                ("hnsw", "efSearch", 64, 0.9, 0.2),
                ("hnsw", "efSearch", 256, 0.97, 0.6),
            ]
        ]
    )
    ranking = pd.DataFrame(
        {
            "candidates": [100, 10_000, 1_000_000],
            "ms": [0.1, 5.0, 900.0],
            "ms low": [0.09, 4.5, 850.0],
            "ms high": [0.2, 6.0, 1000.0],
            "threads": 2,
        }
    )
    cross = retrieval_scaling.crossover(sweep, ranking, budget_ms=50)
    assert cross["efSearch"].tolist() == [256, 256]  # the cheapest setting with recall >= 0.95
    assert cross["two stages faster"].tolist() == [True, True]
    assert cross["rank all within budget"].tolist() == [True, False]
    size = retrieval_scaling.budget_crossover(ranking, 50)
    assert 10_000 < size < 1_000_000
    assert np.isnan(retrieval_scaling.budget_crossover(ranking, 5_000))  # beyond what was measured
    claims = two_stage_claims.serving_claims(sweep, ranking, 50, "a test")
    assert claims[0].verdict == "supported" and claims[0].effect.estimate == pytest.approx(0.6)
    summary = retrieval_scaling.scaling_summary(sweep, cross)
    assert "efSearch 256" in summary[1] and "1,000,000" in summary[0]
    weak = sweep.assign(**{"recall@10": 0.5})
    assert "No HNSW setting" in retrieval_scaling.scaling_summary(weak)[1]
    assert len(two_stage_claims.serving_claims(weak, ranking, 50, "a test")) == 1  # no latency verdict


def test_protocol_gaps_and_effective_dimension():
    from recsys_course.lessons.l04_youtube_two_stage.scaling import effective_dimension
    from recsys_course.lessons.l04_youtube_two_stage.towers import protocol_gaps

    table = pd.DataFrame({"recall@10": [0.05, 0.15], "sampled hr@10": [0.4, 0.7]}, index=["pop", "tower"])
    gaps = protocol_gaps(table, [("tower", "pop"), ("tower", "missing")])
    assert gaps.loc["tower - pop", "sampled / full"] == pytest.approx(3.0)
    assert len(gaps) == 1
    rng = np.random.default_rng(0)
    assert effective_dimension(rng.standard_normal((5000, 8))) == pytest.approx(8, rel=0.05)
    line = np.outer(rng.standard_normal(500), np.ones(8))
    assert effective_dimension(line) == pytest.approx(1, rel=1e-6)
