"""Lesson 06's cold-start test, from the article's FAQ: start a new item at its genres' mean embedding, or at random?

A seeded share of the movies is held out of training (every training row of
theirs removed). MF learns the rest; then each held-out movie's vector is left
at its random start (its bias set to the trained movies' mean, so that the
random start is not also handicapped by a random bias), or its vector and bias
are set to the mean of all trained movies, or to the mean over the trained
movies of each of its genres. All three are scored on the test impressions of
the held-out movies - the same impressions, so the comparisons are paired. The
treatment acts on movies, so the results are kept twice: with the test *users*
as the units an interval resamples, and with the held-out *movies* as the units
(:func:`by_item`), which measures how much the verdict owes to the one draw of
held-out movies.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...models import MF
from ...tasks.ctr import CTRTask
from ...training import fit_ctr
from . import LESSON


def cold_items(n_items: int, share: float = 0.1, seed: int = 0) -> np.ndarray:
    """A seeded ``share`` of the item ids, sorted."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_items, size=max(1, int(round(n_items * share))), replace=False))


def without(task: CTRTask, items) -> CTRTask:
    """The task with every training and validation row of ``items`` removed (test rows kept)."""
    keep = lambda split: split.subset(~np.isin(split.item, items))  # noqa: E731
    return replace(task, train=keep(task.train), valid=keep(task.valid))


@torch.no_grad()
def genre_mean_start(model: MF, item_genres: np.ndarray, cold) -> None:
    """Set each cold item's vector and bias to the mean, over its genres, of the warm items' means per genre."""
    genres = torch.as_tensor(np.asarray(item_genres), dtype=torch.float32)  # [items, genres]
    warm = torch.ones(len(genres), dtype=torch.bool)
    warm[torch.as_tensor(cold)] = False
    for table in (model.item_emb.weight, model.item_bias.weight):
        members = genres * warm[:, None]  # warm items per genre
        per_genre = members.T @ table / members.sum(0).clamp(min=1)[:, None]  # [genres, dim]
        own = genres[cold]  # the cold items' genres
        fallback = table[warm].mean(0)  # an item with no genre
        start = own @ per_genre / own.sum(1, keepdim=True).clamp(min=1)
        table[cold] = torch.where(own.sum(1, keepdim=True) > 0, start, fallback)


@torch.no_grad()
def mean_bias_start(model: MF, cold) -> None:
    """Set each cold item's bias to the mean of the warm items' biases, leaving its vector at its random start."""
    warm = torch.ones(model.n_items, dtype=torch.bool)
    warm[torch.as_tensor(cold)] = False
    model.item_bias.weight[cold] = model.item_bias.weight[warm].mean(0)


def by_item(split):
    """``split`` with each impression's movie in the place of its user: per-"user" terms become per-movie terms,
    so an interval over them resamples the movies."""
    return replace(split, user=split.item)


@torch.no_grad()
def overall_mean_start(model: MF, cold) -> None:
    """Set each cold item's vector and bias to the mean over all warm items: what a start knows without genres."""
    warm = torch.ones(model.n_items, dtype=torch.bool)
    warm[torch.as_tensor(cold)] = False
    for table in (model.item_emb.weight, model.item_bias.weight):
        table[cold] = table[warm].mean(0)


def compare_starts(
    task: CTRTask,
    item_genres: np.ndarray,
    *,
    seeds=(0,),
    share: float = 0.1,
    holdout_seed: int = 0,
    dim: int = 16,
    lr: float = 1e-2,
    epochs: int = 20,
    patience: int = 2,
    log=print,
) -> tuple[Results, Results]:
    """Random, all-movies mean and genre-mean starts for one held-out set of movies, over training seeds.

    Returns the same runs twice: ``(per test user, per held-out movie)``.
    """
    cold = cold_items(task.n_items, share, holdout_seed)
    warm_task = without(task, cold)
    test = task.test.subset(np.isin(task.test.item, cold))
    results, per_item = Results(), Results()
    for seed in seeds:
        torch.manual_seed(seed)
        model = MF(task.n_users, task.n_items, dim=dim)
        history = fit_ctr(
            model,
            warm_task,
            optimizer=torch.optim.Adam(model.parameters(), lr=lr),
            epochs=epochs,
            patience=patience,
            seed=seed,
            desc="MF",
        )
        mean_bias_start(model, cold)
        starts = {"random start": predict_logits(model, test)}
        overall_mean_start(model, cold)
        starts["all-movies mean start"] = predict_logits(model, test)
        genre_mean_start(model, item_genres, cold)
        starts["genre-mean start"] = predict_logits(model, test)
        for name, logits in starts.items():
            metrics, terms = scored(test, logits)
            row = {
                "model": name,
                "seed": seed,
                "cold items": len(cold),
                "impressions": len(test),
                "best epoch": history.best_epoch,
                **metrics,
            }
            results.add(row, terms)
            per_item.add(row, scored(by_item(test), logits)[1])
            log(
                f"{name:>16} | seed {seed} | {len(cold)} cold movies, {len(test):,} test impressions "
                f"| AUC {row['auc']:.4f} | LogLoss {row['logloss']:.4f}"
            )
    return results, per_item


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None, share: float = 0.1) -> list:
    """The three starts for a held-out ``share`` of the movies, over training seeds (FAST: 3 epochs)."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    ml = load_movielens(dataset, verbose=False)
    results, per_item = compare_starts(
        movielens_ctr(ml),
        ml.item_genres,
        seeds=tuple(seeds),
        share=share,
        epochs=3 if config.fast_mode() else 20,
    )
    out = out or config.results_dir(LESSON)
    return results.save(out, f"cold_start_{dataset}") + per_item.save(out, f"cold_start_by_item_{dataset}")
