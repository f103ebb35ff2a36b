"""Lesson 04's candidate generation: the candidate tower trained five ways and ablated, beside popularity, EASE and MF.

Every model is scored on the same test users against the whole catalogue
(:mod:`recsys_course.evaluation.catalogue`), knowing the same ratings - everything up to each user's
validation item - and kept in a :class:`~recsys_course.evidence.Results`;
``python -m recsys_course run 04/towers`` runs it all at full size (:mod:`.full_size`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch

from ... import config
from ...evaluation import catalogue
from ...evaluation.inference import all_item_scores
from ...evaluation.metrics import hit_rate_at_k, rank_of_positive
from ...evidence import Results
from ...models import EASE, MF, CandidateTower, SoftmaxLoss
from ...tasks.negatives import InteractionSet, popularity_probs
from ...tasks.next_watch import NextWatch, concat_examples, example_arrays, strictly_before
from ...tasks.ranker_impressions import RankingFeatures
from ...training import History, fit, fit_next_item
from ...training.batches import epoch_batches


@dataclass(frozen=True)
class Settings:
    """Sizes and training settings of lesson 04, shared by every variant of ``04/towers`` (``04/tower_tuning``
    gives three of them and MF their own grids, :mod:`.tuning`).

    Set by hand from a few runs of the full softmax and in-batch towers judged on validation Recall@50;
    early stopping on the validation users chooses each run's epochs.
    """

    dim: int = 64  # user and item vectors
    hidden: tuple = (256, 128, 64)  # the candidate tower's ReLU layers ("depth 3")
    temperature: float = 0.05
    lr: float = 2e-3
    batch_size: int = 1024  # also the number of in-batch negatives
    max_epochs: int = 40  # a cap the shared-settings runs do not reach (at 20, the slowest stopped at 18-19)
    patience: int = 3
    n_samples: int = 256  # sampled softmax
    n_candidates: int = 100  # what retrieval hands to the ranker
    ranker_negatives: int = 4
    ranker_hidden: tuple = (128, 64, 32)
    ranker_epochs: int = 40  # a cap the rankers should not reach (at 20, two of eight ran into it)
    ranker_pools: tuple = (20, 100)  # negatives drawn from the top 20 or all 100, chosen on validation
    ranker_lrs: tuple = (
        1e-4,
        3e-4,
        1e-3,
        3e-3,
        1e-2,
        3e-2,
    )  # Adam's rate for every ranker, chosen on validation
    mf_dim: int = 64  # lesson 03's tuned MF
    mf_weight_decay: float = 1e-5
    mf_lr: float = 1e-3


def fast_settings(s: Settings) -> Settings:
    return replace(s, max_epochs=4, patience=1, ranker_epochs=2, ranker_pools=(20,), ranker_lrs=(1e-3,))


# The ways to train the tower and the ablations: each a loss (with its sampler) and a tower shape.
VARIANTS = {
    "full softmax": dict(loss="full"),
    "sampled, uniform": dict(loss="sampled"),
    "sampled, popularity": dict(loss="sampled", sampler="popularity"),
    "sampled, popularity + logQ": dict(loss="sampled", sampler="popularity", logq=True),
    "in-batch": dict(loss="in-batch"),
    "in-batch + logQ": dict(loss="in-batch", logq=True),
    "last item only": dict(loss="full", pool="last"),
    "no history (user id)": dict(loss="full", pool="none"),
    "depth 0": dict(loss="full", depth=0),
    "depth 1": dict(loss="full", depth=1),
    "depth 2": dict(loss="full", depth=2),
}
LOSS_VARIANTS = list(VARIANTS)[:6]
RANKER_EXAMPLES_PER_USER = 10  # each user's latest training examples, held out of the tower for the ranker


def make_tower(variant: str, data: NextWatch, s: Settings, seed: int) -> tuple[CandidateTower, SoftmaxLoss]:
    """A fresh tower and its loss for one of :data:`VARIANTS`, seeded."""
    spec = VARIANTS[variant]
    torch.manual_seed(seed)
    hidden = s.hidden[: spec.get("depth", len(s.hidden))]
    model = CandidateTower(
        data.n_items,
        data.user_fields,
        dim=s.dim,
        hidden=hidden,
        pool=spec.get("pool", "mean"),
        n_users=data.n_users,
        temperature=s.temperature,
    ).to(config.get_device())
    share = data.item_counts / data.item_counts.sum()  # each item's share of training targets
    probs = popularity_probs(data.item_counts, alpha=1.0) if spec.get("sampler") == "popularity" else None
    if spec["loss"] == "in-batch":
        probs = share
    loss = SoftmaxLoss(
        model, spec["loss"], n_samples=s.n_samples, probs=probs, logq=spec.get("logq", False), seed=seed
    )
    return model, loss


def train_tower(variant: str, data: NextWatch, s: Settings, seed: int) -> tuple[CandidateTower, History]:
    model, loss = make_tower(variant, data, s, seed)
    history = fit_next_item(
        model,
        data,
        loss,
        batch_size=s.batch_size,
        seed=seed,
        lr=s.lr,
        epochs=s.max_epochs,
        patience=s.patience,
        lr_patience=None,
        desc=variant,
    )
    return model, history


def tower_scores(model: CandidateTower, data: NextWatch, split: str = "test") -> np.ndarray:
    return model.catalogue_scores(*example_arrays(data, getattr(data, split)))


def known_before(data: NextWatch, split: str) -> InteractionSet:
    """What a model may know of each user when it scores the ``split`` targets: the items the user rated in a
    second strictly before the target - all that a tower's history can hold there (so the validation item
    for a test target, unless the two share a second)."""
    return strictly_before(data, split)


def fitted_rows(data: NextWatch, split: str) -> InteractionSet:
    """The rows a model is fitted on before it scores the ``split`` targets: training rows for validation;
    training + validation rows for test. Population-level knowledge, like a tower's item vectors."""
    if split not in ("valid", "test"):
        raise ValueError(f"split must be 'valid' or 'test', got {split!r}")
    return data.seen_before_valid if split == "valid" else data.seen_before_test


def popularity_scores(data: NextWatch, split: str = "test") -> np.ndarray:
    """Every item scored by how many users rated it in the fitted rows (the same list for every user)."""
    counts = fitted_rows(data, split).table.sum(axis=0).astype(np.float32)
    return np.tile(counts, (len(getattr(data, split)), 1))


# EASE's ridge penalty: the values tried on validation (Steck 2019 used 200-1000 on far larger data)
EASE_L2 = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)


def fit_ease(data: NextWatch, l2s=EASE_L2, monitor: str = "recall@50") -> tuple[EASE, pd.DataFrame]:
    """EASE, the strong non-neural baseline: ``(model for the test users, validation grid)``.

    Each ridge penalty's weights are fitted on the training rows and judged on
    the validation targets (``monitor``, as the towers are); the best is fitted
    again on training + validation rows. Either way a user is scored from
    :func:`known_before` only - what the towers' histories can hold.
    """
    tried = []
    inputs = known_before(data, "valid").table
    for l2 in l2s:
        model = EASE.fit(fitted_rows(data, "valid").table, l2, inputs=inputs)
        valid = catalogue.on_next_watch(data, ease_scores(model, data, "valid"), "valid")
        tried.append({"l2": l2, "valid": float(valid[monitor].mean())})
    grid = pd.DataFrame(tried)
    best = float(grid.loc[grid["valid"].idxmax(), "l2"])
    return EASE.fit(fitted_rows(data, "test").table, best, inputs=known_before(data, "test").table), grid


def ease_scores(model: EASE, data: NextWatch, split: str = "test") -> np.ndarray:
    """EASE's score of every item for each ``split`` example's user."""
    return model.scores[torch.tensor(getattr(data, split).user, dtype=torch.long)].cpu().numpy()


def _fit_mf(data: NextWatch, split: str, s: Settings, seed: int, epochs: int, evaluate=None) -> tuple:
    """MF on the rows :func:`known_before` the ``split`` targets; negatives avoid every fitted row."""
    torch.manual_seed(seed)
    users, items = np.nonzero(known_before(data, split).table)
    model = MF(data.n_users, data.n_items, dim=s.mf_dim).to(config.get_device())
    optimizer = torch.optim.Adam(model.parameters(), lr=s.mf_lr, weight_decay=s.mf_weight_decay)
    rng = np.random.default_rng(seed)
    batches = epoch_batches(users, items, fitted_rows(data, split), 4, rng, batch_size=256)
    history = fit(
        model,
        batches,
        optimizer=optimizer,
        evaluate=evaluate,
        monitor="recall@50" if evaluate else None,
        epochs=epochs,
        patience=s.patience if evaluate else None,
        lr_patience=None,
        progress=False,
    )
    return model, history


def train_mf(data: NextWatch, s: Settings, seed: int, refit: bool = True) -> tuple[MF | None, History]:
    """Lesson 03's MF (BCE, 4 uniform negatives, tuned size and weight decay): ``(model, history)``.

    Trained on what it may know of each user before the validation targets and
    stopped on the same validation metric as the towers (Recall@50 against the
    whole catalogue), then trained afresh for that many epochs on what it may
    know before the test targets (:func:`known_before`): the validation item
    included, unless it shares the test target's second. ``history`` is the
    validation run's; with ``refit=False`` (for tuning) the model is None.
    """
    evaluate = catalogue.validation(data, lambda m, examples: all_item_scores(m, examples.user, data.n_items))
    _, history = _fit_mf(data, "valid", s, seed, s.max_epochs, evaluate)
    if not refit:
        return None, history
    model, _ = _fit_mf(data, "test", s, seed, max(history.best_epoch or 1, 1))
    return model, history


def refit_for_test(variant: str, data: NextWatch, s: Settings, seed: int, epochs: int) -> CandidateTower:
    """A fresh tower of ``variant`` trained for ``epochs`` on every example whose target the user rated before
    the test target's second (training and validation) - for a tower that reads no history and so, like MF,
    can only learn the validation item by training on it."""
    known = known_before(data, "test")
    merged = concat_examples(data.train, data.valid)
    merged = merged.subset(known.contains(merged.user, merged.target))
    refit = replace(data, train=merged)
    model, loss = make_tower(variant, refit, s, seed)
    fit_next_item(
        model,
        refit,
        loss,
        batch_size=s.batch_size,
        seed=seed,
        lr=s.lr,
        epochs=epochs,
        lr_patience=None,
        validate=False,
        desc=f"{variant} (refit)",
    )
    return model


def mf_scores(model: MF, data: NextWatch, split: str = "test") -> np.ndarray:
    """MF's score of every item for each ``split`` example's user."""
    return all_item_scores(model, getattr(data, split).user, data.n_items)


def sampled_hr(scores: np.ndarray, candidates: np.ndarray, k: int = 10) -> float:
    """HR@k the lesson-03 way: the target (column 0 of ``candidates``) among 99 sampled negatives."""
    return hit_rate_at_k(rank_of_positive(np.take_along_axis(scores, candidates, axis=1)), k)


def protocol_gaps(table: pd.DataFrame, pairs) -> pd.DataFrame:
    """For pairs of models (rows of ``table``, with mean ``recall@10`` and ``sampled hr@10``): the gap
    between them under the full ranking and under lesson 03's 99 sampled negatives, and their ratio."""
    rows = []
    for a, b in pairs:
        if a in table.index and b in table.index:
            full = table.loc[a, "recall@10"] - table.loc[b, "recall@10"]
            sampled = table.loc[a, "sampled hr@10"] - table.loc[b, "sampled hr@10"]
            rows.append(
                {
                    "pair": f"{a} - {b}",
                    "full recall@10 gap": full,
                    "sampled hr@10 gap": sampled,
                    "sampled / full": sampled / full if full else np.nan,
                }
            )
    return pd.DataFrame(rows).set_index("pair")


def record(
    results: Results,
    data: NextWatch,
    scores: np.ndarray,
    row: dict,
    history: History | None = None,
    sampled_candidates: np.ndarray | None = None,
) -> dict:
    """Score a model on the test users (whole catalogue) and add it to ``results``."""
    per_user = catalogue.on_next_watch(data, scores, "test")
    row = {**row, **per_user.drop(columns=["user", "rank"]).mean().to_dict()}
    if sampled_candidates is not None:
        row["sampled hr@10"] = sampled_hr(scores, sampled_candidates)
    if history is not None:
        frame = history.frame()
        row.update(
            {
                "valid": history.best_value,
                "best epoch": history.best_epoch,
                "epochs run": int(frame["epoch"].max()),
                "seconds": float(frame["seconds"].sum()),
            }
        )
    return results.add(row, per_user)


def compare_towers(
    data: NextWatch,
    s: Settings,
    seeds=(0,),
    variants=tuple(VARIANTS),
    *,
    with_mf: bool = True,
    results: Results | None = None,
    sampled_candidates=None,
    keep: dict | None = None,
    grids: dict | None = None,
) -> Results:
    """Popularity, EASE, MF (unless ``with_mf`` is False) and each tower variant on every seed, scored the same way.

    ``sampled_candidates`` (lesson 03's 99 negatives per test user) adds the
    sampled HR@10 beside the full ranking. ``keep`` (a dict) receives the
    trained towers by (variant, seed), for the ranking stage and retrieval;
    ``grids`` (a dict) EASE's validation grid under "EASE".
    """
    results = results if results is not None else Results()
    if not len(results.rows):
        record(
            results,
            data,
            popularity_scores(data),
            {"model": "popularity", "seed": 0},
            sampled_candidates=sampled_candidates,
        )
        if with_mf:
            ease, grid = fit_ease(data)
            best = grid.loc[grid["valid"].idxmax()]
            record(
                results,
                data,
                ease_scores(ease, data),
                {"model": "EASE", "seed": 0, "l2": ease.l2, "valid": best["valid"]},
                sampled_candidates=sampled_candidates,
            )
            if grids is not None:
                grids["EASE"] = grid
    for seed in seeds:
        if with_mf:
            mf, history = train_mf(data, s, seed)
            record(
                results, data, mf_scores(mf, data), {"model": "MF", "seed": seed}, history, sampled_candidates
            )
        for variant in variants:
            model, history = train_tower(variant, data, s, seed)
            spec = VARIANTS[variant]
            if spec.get("pool") == "none":  # no history to read the validation item from: train on it
                model = refit_for_test(variant, data, s, seed, max(history.best_epoch or 1, 1))
            record(
                results,
                data,
                tower_scores(model, data),
                {
                    "model": variant,
                    "seed": seed,
                    "loss": spec["loss"],
                    "pool": spec.get("pool", "mean"),
                    "depth": spec.get("depth", len(s.hidden)),
                },
                history,
                sampled_candidates,
            )
            if keep is not None:
                keep[variant, seed] = model
    return results


def best_variant(results: Results, variants=LOSS_VARIANTS) -> str:
    """The loss variant with the best mean *validation* Recall@50 (never the test targets)."""
    frame = results.frame()
    return str(frame[frame["model"].isin(list(variants))].groupby("model")["valid"].mean().idxmax())


def ranking_features(ml, data: NextWatch, tower: CandidateTower) -> RankingFeatures:
    """The ranker's features for ``ml`` (a MovieLens), with item vectors from the trained ``tower``."""
    years = ml.movies["year"].to_numpy(dtype=float, na_value=np.nan)
    return RankingFeatures(
        data, ml.item_genres, years, tower.item_vectors().detach().cpu().numpy(), tower.temperature
    )


def split_queries(tower: CandidateTower, data: NextWatch, n: int = 1000, seed: int = 0) -> tuple:
    """``(test, validation)`` query vectors, ``n`` each, from two disjoint halves of the users: settings chosen
    on the validation queries are never chosen on the test queries' users."""
    rng = np.random.default_rng(seed)
    users = rng.permutation(data.n_users)
    halves = (
        np.isin(data.train.user, users[: data.n_users // 2]),
        np.isin(data.train.user, users[data.n_users // 2 :]),
    )
    out = []
    for half in halves:
        rows = np.flatnonzero(half)
        rows = np.sort(rng.choice(rows, size=min(n, len(rows)), replace=False))
        out.append(tower.user_vectors(*example_arrays(data, data.train.subset(rows))))
    return out[0], out[1]
