"""Lesson 04's claims judged from the two-stage results: the article's words, the sources, the verdict.

The tower and ranker claims compare runs of a :class:`Results` on the same test
users (:func:`~recsys_course.evidence.paired_effect`) and the weighted-LR claims read the
simulated logs; each gets :func:`~recsys_course.evidence.judge`. The serving claims are
:mod:`.serving_claims`'.
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
    judge,
    mean_interval,
    other_metrics,
    paired_bootstrap,
    paired_effect,
)
from . import LESSON, tuning
from .towers import LOSS_VARIANTS, Settings, best_variant

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
    "one grid for all - and compare them at their own best settings (04/tower_tuning, then 04/tuned_towers)"
)


SHARED_SETTINGS = (
    "both variants train at the learning rate and temperature set by hand from runs of the full-softmax "
    "(mean-pooled, three layers) and in-batch towers, so the settings may suit one side more than the other"
)
SETTLE_SHARED = (
    "give both variants the same tuning budget as the loss variants (one grid of learning rate and temperature on "
    "validation Recall@50) and compare them at their own best settings: 04/tower_tuning, then 04/tuned_towers, "
    "with --group {group}"
)
MF_UNTUNED = (
    "MF trains at lesson 03's size and weight decay, chosen for a different protocol (99 sampled negatives), and "
    "one learning rate, while the tower is the best of six variants on validation"
)
SETTLE_MF = (
    "choose MF's learning rate and weight decay on validation Recall@50 (04/mf_tuning) and compare again"
)
PRIMARY = "recall@50"  # every tower claim's metric, named before measuring: what retrieval hands on
SECONDARY = ("recall@10", "ndcg@10")  # shown beside it in each record


def tuned_tower(tuned: Results) -> str:
    """The loss variant with the best mean validation Recall@50 among the tuned runs (never the test targets)."""
    return best_variant(tuned, [v for v in LOSS_VARIANTS if v in set(tuned.frame()["model"])])


def against_baselines(
    towers: Results, best: str, tuned: Results | None = None, mf: Results | None = None
) -> tuple[Results, str, str]:
    """What a tower-versus-baseline comparison reads: ``(runs, tower, MF's name)``.

    With the tuned runs and the tuned MF, every side at its own best of one grid: the tuned tower chosen on
    validation (:func:`tuned_tower`), "tuned MF", and EASE (its penalty chosen on validation, from ``towers``).
    With the tuned MF alone, ``best`` at the shared settings against it; with neither, the shared-settings
    runs of ``towers``: ``best`` and MF at lesson 03's settings.
    """
    if mf is None:
        return towers, best, "MF"
    if tuned is None:  # MF tuned, the towers not: the shared-settings tower against it
        return Results.joined(towers, mf), best, "tuned MF"
    ease = [towers.subset(model="EASE")] if "EASE" in set(towers.frame()["model"]) else []
    return Results.joined(tuned, mf, *ease), tuned_tower(tuned), "tuned MF"


def tower_claims(
    towers: Results,
    best: str,
    evidence: str,
    tuned: Results | None = None,
    grid: pd.DataFrame | None = None,
    mf: Results | None = None,
    mf_grid: pd.DataFrame | None = None,
) -> list[Claim]:
    """The candidate-generation claims, judged on Recall@50 over the whole catalogue (:data:`PRIMARY`),
    with Recall@10 and NDCG@10 beside each (:data:`SECONDARY`), and where they disagree said so.

    A claim is judged only where its two sides had the same tuning budget: the sampled-softmax claims on
    ``tuned`` (each variant at its own best of one ``grid``, ``04/tower_tuning``), the tower against MF on
    ``mf`` (MF's own ``mf_grid``, ``04/mf_tuning``); without them, and for the variants that share the hand-set
    settings, the record is confounded and names the experiment that would settle it. A claim whose models
    are not in ``towers`` (a notebook run that trained only some variants) is left out.
    """
    on_tuned = tuned is not None and grid is not None
    tuned_models = set(tuned.frame()["model"]) if on_tuned else set()

    def claim(
        text, source, measured, a, b, threshold=0.01, relative=True, baseline=False, confound=None, runs=None
    ):
        """``confound`` (reason, settle) makes the record confounded unless ``runs`` tuned both sides alike:
        the tuned runs where they hold both ``a`` and ``b``."""
        if runs is None and confound is not None and on_tuned and {a, b} <= tuned_models:
            runs = tuned
        fair = runs is not None

        def compare(metric, runs=runs if fair else towers):
            return paired_effect(
                runs, metric, {"model": a}, {"model": b}, relative=relative, baseline=baseline
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
            direction="above",
            notes=other_metrics(primary, {metric: compare(metric) for metric in SECONDARY}),
        )
        if confound is not None and not fair:
            return confounded(**record, confound=confound[0], settle=confound[1])
        if fair and runs is tuned:
            chosen = tuned.frame().drop_duplicates("model").set_index("model")
            record["measured"] += (
                f", each at its own best of one grid of {tuning.grid_text(grid)}, chosen on validation Recall@50"
            )
            record["notes"]["settings chosen on validation"] = {
                m: f"learning rate {chosen.loc[m, 'lr']:g}, temperature {chosen.loc[m, 'temperature']:g}"
                for m in (a, b)
            }
            record["notes"]["grid edges"] = edge_note(tuning.edges(grid[grid["variant"].isin([a, b])]))
            cap = Settings().max_epochs
            both = tuned.frame()[tuned.frame()["model"].isin([a, b])]
            tried = grid[grid["variant"].isin([a, b])]
            capped = [
                (len(part[part["epochs run"] >= cap]), len(part), what)
                for part, what in ((both, "tuned runs"), (tried, "grid runs"))
                if "epochs run" in part
            ]
            if any(k for k, _, _ in capped):
                record["notes"]["runs at the epoch cap"] = (
                    " and ".join(f"{k} of {n} {what}" for k, n, what in capped)
                    + f" reached the {cap}-epoch cap, so they might have improved further (and a grid's choice "
                    "may lean away from the slow settings)"
                )
            shared = paired_effect(towers, PRIMARY, {"model": a}, {"model": b}, relative=relative)
            record["notes"]["at the shared hand-set settings"] = (
                f"{shared.estimate:+.1%} [{shared.low:+.1%}, {shared.high:+.1%}]"
            )
        return judge(**record)

    baseline_runs, tower, mf_name = against_baselines(towers, best, tuned if on_tuned else None, mf)
    tower_how = (
        "at its own best of one grid, the tuned loss variant best on validation"
        if on_tuned and mf is not None
        else "at the shared hand-set settings, the best of six variants on validation"
    )
    sampled = dict(confound=(SAMPLED_TUNING, SETTLE_SAMPLED))
    in_batch = dict(confound=(SHARED_SETTINGS, SETTLE_SHARED.format(group="in-batch")))
    history = dict(confound=(SHARED_SETTINGS, SETTLE_SHARED.format(group="history")))
    claims = [
        claim(
            "In-batch softmax needs the logQ correction",
            YI_2019,
            "relative Recall@50 of in-batch negatives with the logQ correction over without it",
            "in-batch + logQ",
            "in-batch",
            **in_batch,
        ),
        claim(
            "Sampling negatives by popularity needs the logQ correction",
            "sampled softmax (Jean et al. 2015; Bengio & Senecal 2008) subtracts log Q from each logit",
            "relative Recall@50 of popularity-sampled softmax with the correction over without it",
            "sampled, popularity + logQ",
            "sampled, popularity",
            **sampled,
        ),
        claim(
            "Sampled softmax approximates the full softmax (we count a loss of less than 5% as holding)",
            "Covington et al. (2016), section 3.1: thousands of sampled negatives with importance weighting",
            f"relative Recall@50 of sampled softmax (popularity samples, logQ) against the full softmax, with "
            f"{Settings().n_samples} sampled negatives (Covington et al. sample thousands from millions of videos)",
            "sampled, popularity + logQ",
            "full softmax",
            threshold=-0.05,
            **sampled,
        ),
        claim(
            "Average-pooling the watch history beats a user-id embedding",
            "Covington et al. (2016), section 3.2, represent a user by the average of their watch history's "
            "embeddings (of the ways to combine them, averaging performed best) and use no per-user vector",
            "relative Recall@50 of the mean-pooled history over a learned vector per user id (that tower "
            "refitted with the validation examples, which it cannot read from a history)",
            "full softmax",
            "no history (user id)",
            **history,
        ),
        claim(
            "Average-pooling the watch history beats the last item alone",
            "Covington et al. (2016), section 3.2; the article calls average pooling a strong baseline",
            "relative Recall@50 of the mean-pooled history over the latest item only",
            "full softmax",
            "last item only",
            **history,
        ),
        claim(
            "A deeper candidate tower retrieves better",
            COVINGTON_DEPTH,
            "relative Recall@50 of three ReLU layers over none (a linear tower)",
            "full softmax",
            "depth 0",
            **history,
        ),
        claim(
            "The candidate tower beats matrix factorisation at retrieval",
            "the article presents the YouTube two-stage design as the template of large recommenders",
            f"Recall@50 of the tower ({tower}, {tower_how}) minus "
            + (
                f"MF with its learning rate and weight decay chosen on one grid of {tuning.MF_GRID} settings "
                if mf is not None
                else "MF at lesson 03's size and weight decay "
            )
            + "(validation Recall@50), each knowing of a user only the ratings from seconds before the test "
            "target's",
            tower,
            mf_name,
            threshold=0.0,
            relative=False,
            confound=(MF_UNTUNED, SETTLE_MF),
            runs=baseline_runs if mf is not None else None,
        ),
        claim(
            "The candidate tower beats a tuned non-neural baseline at retrieval",
            DACREMA_2019,
            f"Recall@50 of the tower ({tower}, {tower_how}) minus EASE (ridge penalty chosen on validation), "
            "each knowing of a user only the ratings from seconds before the test target's",
            tower,
            "EASE",
            threshold=0.0,
            relative=False,
            baseline=True,
            runs=baseline_runs,
        ),
    ]
    claims = [c for c in claims if c is not None]
    for c in claims:
        if c.claim.startswith("The candidate tower beats matrix") and mf_grid is not None and mf is not None:
            c.notes["MF's settings at an end of their grid"] = edge_note(tuning.mf_edges(mf_grid))
    trained = set(towers.frame()["model"])
    depths = [m for m in ("depth 0", "depth 1", "depth 2", "full softmax") if m in trained]
    for c in claims:
        if c.claim == "A deeper candidate tower retrieves better" and len(depths) == 4:
            c.notes["recall@50 by depth 0-3, at the shared settings"] = [
                float(towers.per_user(PRIMARY, model=m).mean()) for m in depths
            ]
    return claims


def ranker_claims(rankers: Results, evidence: str, lr_grid=None, pools=None) -> list[Claim]:
    """The ranking stage against the candidate order it reranks, on the same test users; the notes say what
    each seed's ranker chose on validation, and which learning rates and negatives' pools sit at an end of
    ``lr_grid`` and ``pools`` (a two-value grid has no inside, so every choice counts)."""
    over_candidates = paired_effect(rankers, "hr@10", {"model": "weighted LR"}, {"model": "candidate score"})
    ndcg = paired_effect(rankers, "ndcg@10", {"model": "weighted LR"}, {"model": "candidate score"})
    notes = other_metrics(over_candidates, {"ndcg@10": ndcg})
    plain = paired_effect(rankers, "hr@10", {"model": "plain LR"}, {"model": "candidate score"})
    notes["plain LR over the candidate order (HR@10)"] = str(plain)
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
            if pools is not None:
                chosen = rows["negatives from top"].dropna()
                edges = [at_edge(pools, pool) for pool in chosen]
                notes[f"{model}: negatives' pools at an end of the grid ({', '.join(map(str, pools))})"] = (
                    f"{sum(bool(e) for e in edges)} of {len(edges)}"
                )
    return [
        judge(
            lesson=NUMBER,
            claim="A ranking stage on richer features improves on the candidate order",
            source="Covington et al. (2016), section 4: the ranker sees many more features of each candidate",
            measured="relative HR@10 of the weighted-LR ranker over the candidate tower's own order, on the "
            "same 100 candidates (the served ranker, though its rating-weighted objective is not HR@10's; plain LR, "
            "which is, is in the notes), each ranker's epoch, rate and pool chosen on validation",
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
            measured=f"geometric mean over unseen pairs of odds / true E[watch time], minus 1; {simulation}. On "
            f"unseen pairs this bias adds two things: the derivation's factor 1 / (1 - P) (mean click rate "
            f"{runs['click rate'].mean():.1%}) and what the additive model cannot represent of the pair effects, "
            f"so it tests the odds as a model would serve them, not the derivation alone",
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
            f"time as the gain, weighted minus plain LR; {simulation}. Weighted LR's objective is this gain, so "
            f"the claim checks that the objective carries over to unseen pairs, not a surprise",
            evidence=evidence,
            effect=gain,
            threshold=0.01,
            notes=engagement_notes,
        ),
    ]
