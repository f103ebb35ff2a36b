"""Lesson 04's claims judged from the two-stage results: the article's words, the sources, the verdict.

The tower and ranker claims compare runs of a :class:`Results` on the same test
users (:func:`~recsys_course.evidence.paired_effect`); the serving claims read the
retrieval measurements; each gets :func:`~recsys_course.evidence.judge`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ...evidence import (
    Claim,
    Effect,
    Results,
    at_edge,
    confounded,
    edge_note,
    edge_report,
    judge,
    mean_interval,
    other_metrics,
    paired_bootstrap,
    paired_effect,
)
from . import LESSON
from .scaling import HNSW_BUILDS, MIN_RECALL, SOURCED_BUDGET_MS, SWEEPS, budget_table, chosen_rows, exact_rows

NUMBER = LESSON[:2]  # the lesson's number, as claim records name it

YI_2019 = (
    "Yi et al. (RecSys 2019): in-batch softmax with the logQ correction raises Wikipedia Recall@10 "
    "0.0643 -> 0.1065 and YouTube Recall@50 0.4586 -> 0.5322"
)
COVINGTON_DEPTH = (
    "Covington et al. (2016), Figure 6: the candidate model's holdout MAP grows with depth, from no hidden "
    "layer to four ReLU layers (their Table 1 is the ranker's, not the candidate model's)"
)
DACREMA_2019 = (
    "Ferrari Dacrema et al. (RecSys 2019): of 7 reproducible neural top-n methods, 6 could often be beaten by "
    "simple nearest-neighbour or graph methods; the 7th (Mult-VAE) beat those but not consistently a well-tuned "
    "linear model (SLIM). EASE (Steck, WWW 2019) is a closed-form linear model of the same family"
)
SAMPLED_TUNING = (
    "sampled softmax trains with the learning rate, temperature and batch size chosen by hand on runs of the "
    "full-softmax and in-batch towers; no sampled variant had its own settings tuned"
)
SETTLE_SAMPLED = (
    "give every loss variant the same tuning budget - learning rate and temperature on validation Recall@50, "
    "one grid for all - and compare them at their own best settings"
)
PRIMARY = "recall@50"  # every tower claim's metric, named before measuring: what retrieval hands on
SECONDARY = ("recall@10", "ndcg@10")  # shown beside it in each record


def tower_claims(towers: Results, best: str, evidence: str) -> list[Claim]:
    """The candidate-generation claims, judged on Recall@50 over the whole catalogue (:data:`PRIMARY`),
    with Recall@10 and NDCG@10 beside each (:data:`SECONDARY`), and where they disagree said so.

    A claim whose models are not in ``towers`` (a notebook run that trained
    only some variants) is left out.
    """

    def claim(
        text,
        source,
        measured,
        a,
        b,
        threshold=0.01,
        direction="above",
        relative=True,
        baseline=False,
        tuning=True,
    ):
        def compare(metric):
            return paired_effect(
                towers, metric, {"model": a}, {"model": b}, relative=relative, baseline=baseline
            )

        try:
            primary = compare(PRIMARY)
        except (KeyError, ValueError):  # a model this run did not train
            return None
        record = dict(
            lesson=NUMBER,
            claim=text,
            source=source,
            measured=measured,
            evidence=evidence,
            effect=primary,
            threshold=threshold,
            direction=direction,
            notes=other_metrics(primary, {metric: compare(metric) for metric in SECONDARY}),
        )
        if not tuning:  # the comparison changes the tuning with the factor under test
            return confounded(**record, confound=SAMPLED_TUNING, settle=SETTLE_SAMPLED)
        return judge(**record)

    claims = [
        claim(
            "In-batch softmax needs the logQ correction",
            YI_2019,
            "relative Recall@50 of in-batch negatives with the logQ correction over without it",
            "in-batch + logQ",
            "in-batch",
        ),
        claim(
            "Sampling negatives by popularity needs the logQ correction",
            "sampled softmax (Jean et al. 2015; Bengio & Senecal 2008) subtracts log Q from each logit",
            "relative Recall@50 of popularity-sampled softmax with the correction over without it",
            "sampled, popularity + logQ",
            "sampled, popularity",
            tuning=False,
        ),
        claim(
            "Sampled softmax approximates the full softmax (we count a loss of less than 5% as holding)",
            "Covington et al. (2016), section 3.1: thousands of sampled negatives with importance weighting",
            "relative Recall@50 of sampled softmax (popularity samples, logQ) against the full softmax",
            "sampled, popularity + logQ",
            "full softmax",
            threshold=-0.05,
            tuning=False,
        ),
        claim(
            "Average-pooling the watch history beats a user-id embedding",
            "Covington et al. (2016), section 3.2, represent a user by the average of their watch history's "
            "embeddings (of the ways to combine them, averaging performed best) and use no per-user vector",
            "relative Recall@50 of the mean-pooled history over a learned vector per user id (that tower "
            "refitted with the validation examples, which it cannot read from a history)",
            "full softmax",
            "no history (user id)",
        ),
        claim(
            "Average-pooling the watch history beats the last item alone",
            "Covington et al. (2016), section 3.2; the article calls average pooling a strong baseline",
            "relative Recall@50 of the mean-pooled history over the latest item only",
            "full softmax",
            "last item only",
        ),
        claim(
            "A deeper candidate tower retrieves better",
            COVINGTON_DEPTH,
            "relative Recall@50 of three ReLU layers over none (a linear tower); every depth shares the "
            "settings chosen by hand for three layers",
            "full softmax",
            "depth 0",
        ),
        claim(
            "The candidate tower beats matrix factorisation at retrieval",
            "the article presents the YouTube two-stage design as the template of large recommenders",
            f"Recall@50 of the tower ({best}, chosen on validation) minus MF at lesson 03's size and weight "
            f"decay, each knowing of a user only the ratings from seconds before the test target's",
            best,
            "MF",
            threshold=0.0,
            relative=False,
        ),
        claim(
            "The candidate tower beats a tuned non-neural baseline at retrieval",
            DACREMA_2019,
            f"Recall@50 of the tower ({best}, chosen on validation) minus EASE (ridge penalty chosen on "
            f"validation), each knowing of a user only the ratings from seconds before the test target's",
            best,
            "EASE",
            threshold=0.0,
            relative=False,
            baseline=True,
        ),
    ]
    claims = [c for c in claims if c is not None]
    trained = set(towers.frame()["model"])
    depths = [m for m in ("depth 0", "depth 1", "depth 2", "full softmax") if m in trained]
    for c in claims:
        if c.claim == "A deeper candidate tower retrieves better" and len(depths) == 4:
            c.notes["recall@50 by depth 0-3"] = [
                float(towers.per_user(PRIMARY, model=m).mean()) for m in depths
            ]
    return claims


def ranker_claims(rankers: Results, evidence: str, lr_grid=None) -> list[Claim]:
    """The ranking stage against the candidate order it reranks, on the same test users; the notes say what
    each seed's ranker chose on validation, and which learning rates sit at an end of ``lr_grid``."""
    over_candidates = paired_effect(rankers, "hr@10", {"model": "weighted LR"}, {"model": "candidate score"})
    ndcg = paired_effect(rankers, "ndcg@10", {"model": "weighted LR"}, {"model": "candidate score"})
    notes = other_metrics(over_candidates, {"ndcg@10": ndcg})
    runs = rankers.frame()
    weighted = runs[runs["model"] == "weighted LR"]
    if "best epoch" in weighted:  # epoch 0 is the untrained ranker: the candidate order itself
        notes["seeds whose ranker kept the candidate order (best epoch 0)"] = (
            f"{int((weighted['best epoch'] == 0).sum())} of {len(weighted)}"
        )
    if (
        "lr" in runs
    ):  # chosen on validation from the same grid for both rankers; NaN: kept the candidate order
        for model in ("plain LR", "weighted LR"):
            rows = runs[runs["model"] == model]
            notes[f"{model}: learning rate and negatives' pool chosen on validation, per seed"] = [
                "none beat the candidate order" if np.isnan(lr) else f"{lr:g}, top {int(pool)}"
                for lr, pool in zip(rows["lr"], rows["negatives from top"])
            ]
            if lr_grid is not None:
                edges = [at_edge(lr_grid, lr) for lr in rows["lr"].dropna()]
                notes[
                    f"{model}: learning rates at an end of the grid ({min(lr_grid):g}-{max(lr_grid):g})"
                ] = f"{sum(bool(e) for e in edges)} of {len(edges)}"
    return [
        judge(
            lesson=NUMBER,
            claim="A ranking stage on richer features improves on the candidate order",
            source="Covington et al. (2016), section 4: the ranker sees many more features of each candidate",
            measured="relative HR@10 of the weighted-LR ranker over the candidate tower's own order, on the "
            "same 100 candidates",
            evidence=evidence,
            effect=over_candidates,
            threshold=0.01,
            notes=notes,
        )
    ]


def movielens_engagement(rankers: Results, test_ratings: np.ndarray) -> Effect:
    """Weighted over plain LR in NDCG@10 scaled by the held-out item's rating, on MovieLens's test users.

    With one held-out item per user this only reweights users: it cannot
    reward putting a loved movie above a disliked one in the same list, so the
    claim is judged on a simulation (:func:`weighted_lr_claims`) and this
    number rides along as a note.
    """

    def engagement(model):
        return rankers.per_user("ndcg@10", model=model) * test_ratings / test_ratings.mean()

    return paired_bootstrap(
        engagement("weighted LR"), engagement("plain LR"), metric="engagement-weighted NDCG@10", relative=True
    )


def weighted_lr_claims(runs: pd.DataFrame, max_bias: float, evidence: str, movielens: Effect | None = None):
    """Weighted LR on simulated logs (:func:`.engagement.compare_on_logs`, one row per log), scored on
    pairs of user and video kinds it never saw: whether its odds estimate the expected watch time, and
    whether it ranks by watch time better than plain LR. Intervals are over the simulated logs."""
    n_logs = len(runs)
    odds = replace(
        mean_interval(
            runs["odds / E[T] - 1"].to_numpy()[None, :], metric="geometric mean of odds / E[watch time], - 1"
        ),
        relative=True,
        n_users=n_logs,
    )
    gain = mean_interval(
        (runs["weighted LR"] - runs["plain LR"]).to_numpy()[None, :],
        metric="NDCG@3 by expected watch time, weighted minus plain LR",
    )
    simulation = (
        f"{n_logs} simulated logs whose click rates and watch times have pair effects no such model can learn; "
        f"logistic regression with one weight per user kind and per video kind, scored on the quarter of pairs "
        f"never shown"
    )
    engagement_notes = {
        f"mean NDCG@3, {name}": float(runs[name].mean())
        for name in ("plain LR", "weighted LR", "true click rate", "true expected watch")
    }
    if movielens is not None:
        engagement_notes["on MovieLens, engagement-weighted NDCG@10 (one held-out item per user)"] = str(
            movielens
        )
    return [
        judge(
            lesson=NUMBER,
            claim="Weighted LR's odds estimate the expected watch time of an impression "
            f"(we count a bias below {max_bias:.0%} as holding)",
            source="Covington et al. (2016), section 4.2: odds = sum T / (N - k) ~ E[T](1 + P) ~ E[T] "
            "for a small click rate P",
            measured=f"geometric mean over unseen pairs of odds / true E[watch time], minus 1; {simulation} (the "
            f"derivation predicts a bias of about P / (1 - P); mean click rate {runs['click rate'].mean():.1%})",
            evidence=evidence,
            effect=odds,
            threshold=max_bias,
            direction="below",
            notes={
                "mean |log(odds / E[T])| per pair (the model's own error)": float(
                    runs["|log(odds / E[T])|"].mean()
                )
            },
        ),
        judge(
            lesson=NUMBER,
            claim="Weighted logistic regression ranks for engagement better than plain LR",
            source="Covington et al. (2016), section 4.2: positives weighted by watch time",
            measured=f"NDCG@3 of each user kind's unseen video kinds ranked by the model, with expected watch "
            f"time as the gain, weighted minus plain LR; {simulation}",
            evidence=evidence,
            effect=gain,
            threshold=0.01,
            notes=engagement_notes,
        ),
    ]


def serving_claims(sweep: pd.DataFrame, ranking: pd.DataFrame, evidence: str) -> list[Claim]:
    """The serving claims: what approximate search buys over exact search at nearly equal recall, and where
    one ranking stage stops fitting a latency budget.

    The first is judged at the largest catalogue measured, with the HNSW setting
    chosen on validation queries (recall@10 >= :data:`.scaling.MIN_RECALL`);
    where none reaches it, it is not judged. The second is judged at the
    sourced budget (:data:`.scaling.SOURCED_BUDGET_MS`), the others beside it.
    """
    largest = sweep["items"].max()
    chosen = chosen_rows(sweep)
    claims = []
    if largest in chosen.index:
        row, exact = chosen.loc[largest], exact_rows(sweep).loc[largest]
        claims.append(
            judge(
                lesson=NUMBER,
                claim="An ANN index answers far faster than exact search at nearly the same recall "
                "(the article: single-digit milliseconds for billions of items; we count a 10x speed-up "
                f"at recall@10 >= {MIN_RECALL} as holding)",
                source="faiss wiki, SIFT1M, 20 threads, queries in a batch: HNSW efSearch 16-256 gives 1-R@1 "
                "0.874-0.992 at 0.011-0.104 ms per query",
                measured=f"mean ms per query of exact search over that of HNSW (M={int(row['M'])}, "
                f"efConstruction={int(row['efConstruction'])}, efSearch {int(row['value'])}, chosen on validation "
                f"queries; recall@10 {row['recall@10']:.3f} on the test queries) at {int(largest):,} items, "
                f"batch 1, {int(row['threads'])} CPU threads, on a synthetic catalogue made from the learned item "
                f"vectors (spread {row['spread']:g}) - a million, not billions; the interval covers the timed "
                f"queries, not rebuilds of the index or of the catalogue",
                evidence=f"{evidence}: the retrieval sweep",
                effect=Effect(
                    metric="speed-up over exact search (x)",
                    estimate=float(row["speed-up"]),
                    low=float(row["speed-up low"]),
                    high=float(row["speed-up high"]),
                    n_users=0,
                ),
                threshold=10.0,
                notes={
                    "HNSW ms per query": float(row["ms/query, batch 1"]),
                    "exact ms per query": float(exact["ms/query, batch 1"]),
                    "test recall@10": float(row["recall@10"]),
                    "speed-up at each catalogue size (chosen setting)": {
                        f"{int(n):,}": round(float(c["speed-up"]), 2) for n, c in chosen.iterrows()
                    },
                    "chosen settings at an end of their grid": edge_note(
                        edge_report(
                            {
                                "efConstruction": (
                                    [e for m, e in HNSW_BUILDS if m == row["M"]],
                                    row["efConstruction"],
                                ),
                                "efSearch": (SWEEPS["hnsw"], row["value"]),
                            }
                        )
                    ),
                },
            )
        )
    table = budget_table(ranking)
    sourced = table[table["budget ms"] == SOURCED_BUDGET_MS].iloc[0]
    estimate, low, high = (sourced[c] / 100_000 - 1 for c in ("rank all fits up to", "low", "high"))
    if np.isfinite([estimate, low, high]).all():
        claims.append(
            judge(
                lesson=NUMBER,
                claim="Two stages are overkill below about 100K items",
                source="the article; no primary source found. The budget: Cheng et al. (2016), section 4.3, "
                "serve each request on the order of 10 ms",
                measured=f"the catalogue size at which a whole one-stage request (user vector, every item's "
                f"features, the ranker; one user, {int(ranking['threads'].iloc[0])} CPU threads) takes "
                f"{SOURCED_BUDGET_MS:g} ms, relative to 100K items; the interval spans the repeated requests' "
                f"2.5th-97.5th percentiles, and the crossing lies between the measured "
                f"{sourced['largest measured within']:,.0f} and {sourced['smallest measured beyond']:,.0f} items. "
                f"Cheng et al.'s budget is for scoring the candidates their retrieval returned, on many threads; "
                f"the size one stage fits depends on this machine as much as on the method",
                evidence=f"{evidence}: the whole-request timings",
                effect=Effect(
                    metric="crossover size / 100K - 1",
                    estimate=estimate,
                    low=low,
                    high=high,
                    relative=True,
                    n_users=0,
                ),
                threshold=-0.5,
                notes={
                    **{
                        f"one stage fits {b['budget ms']:g} ms up to (items)": round(
                            float(b["rank all fits up to"])
                        )
                        for _, b in table.iterrows()
                        if np.isfinite(b["rank all fits up to"])
                    },
                    "items ranked per ms per thread, at the largest size": round(
                        float(
                            ranking["items"].iloc[-1] / ranking["ms"].iloc[-1] / ranking["threads"].iloc[-1]
                        ),
                        1,
                    ),
                },
            )
        )
    return claims
