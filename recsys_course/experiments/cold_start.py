"""Lesson 06's cold-start test, from the article's FAQ: start a new item at its genres' mean embedding, or at random?

A seeded share of the movies is held out of training (every training row of
theirs removed). MF learns the rest; then each held-out movie's vector and
bias are left at their random start, set to the mean of all trained movies,
or set to the mean over the trained movies of each of its genres. All three
are scored on the test impressions of the held-out movies - the same
impressions, so the comparisons are paired. The held-out movies stay the same
over training seeds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ..ctr_task import CTRTask
from ..models import MF
from ..train import fit_ctr, predict_logits
from .results import Results
from .wide_deep import per_user


def cold_items(n_items: int, share: float = 0.1, seed: int = 0) -> np.ndarray:
    """A seeded ``share`` of the item ids, sorted."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_items, size=max(1, int(round(n_items * share))), replace=False))


def without(task: CTRTask, items) -> CTRTask:
    """The task with every training and validation row of ``items`` removed (test rows kept)."""
    keep = lambda split: split.subset(~np.isin(split.item, items))      # noqa: E731
    return replace(task, train=keep(task.train), valid=keep(task.valid))


@torch.no_grad()
def genre_mean_start(model: MF, item_genres: np.ndarray, cold) -> None:
    """Set each cold item's vector and bias to the mean, over its genres, of the warm items' means per genre."""
    genres = torch.as_tensor(np.asarray(item_genres), dtype=torch.float32)          # [items, genres]
    warm = torch.ones(len(genres), dtype=torch.bool)
    warm[torch.as_tensor(cold)] = False
    for table in (model.item_emb.weight, model.item_bias.weight):
        members = genres * warm[:, None]                                            # warm items per genre
        per_genre = members.T @ table / members.sum(0).clamp(min=1)[:, None]         # [genres, dim]
        own = genres[cold]                                                          # the cold items' genres
        fallback = table[warm].mean(0)                                              # an item with no genre
        start = own @ per_genre / own.sum(1, keepdim=True).clamp(min=1)
        table[cold] = torch.where(own.sum(1, keepdim=True) > 0, start, fallback)


@torch.no_grad()
def overall_mean_start(model: MF, cold) -> None:
    """Set each cold item's vector and bias to the mean over all warm items: what a start knows without genres."""
    warm = torch.ones(model.n_items, dtype=torch.bool)
    warm[torch.as_tensor(cold)] = False
    for table in (model.item_emb.weight, model.item_bias.weight):
        table[cold] = table[warm].mean(0)


def run(task: CTRTask, item_genres: np.ndarray, *, seeds=(0,), share: float = 0.1, holdout_seed: int = 0,
        dim: int = 16, lr: float = 1e-2, epochs: int = 20, patience: int = 2, log=print) -> Results:
    """Random, all-movies mean and genre-mean starts for one held-out set of movies, over training seeds."""
    cold = cold_items(task.n_items, share, holdout_seed)
    warm_task = without(task, cold)
    test = task.test.subset(np.isin(task.test.item, cold))
    results = Results()
    for seed in seeds:
        torch.manual_seed(seed)
        model = MF(task.n_users, task.n_items, dim=dim)
        history = fit_ctr(model, warm_task, optimizer=torch.optim.Adam(model.parameters(), lr=lr), epochs=epochs,
                          patience=patience, seed=seed, desc="MF")
        scored = {"random start": predict_logits(model, test)}
        overall_mean_start(model, cold)
        scored["all-movies mean start"] = predict_logits(model, test)
        genre_mean_start(model, item_genres, cold)
        scored["genre-mean start"] = predict_logits(model, test)
        for name, logits in scored.items():
            terms = per_user(test, logits).drop(columns="accuracy")
            row = {"model": name, "seed": seed, "cold items": len(cold), "impressions": len(test),
                   "best epoch": history.best_epoch, **{m: float(terms[m].mean()) for m in ("auc", "uauc", "logloss")}}
            results.add(row, terms)
            log(f"{name:>16} | seed {seed} | {len(cold)} cold movies, {len(test):,} test impressions "
                f"| AUC {row['auc']:.4f} | LogLoss {row['logloss']:.4f}")
    return results


def main(argv=None) -> int:
    import argparse
    from pathlib import Path

    from .. import config
    from ..ctr_task import movielens_ctr
    from ..data import load_movielens

    parser = argparse.ArgumentParser(description="Cold-start movies: genre-mean start against random start.")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--share", type=float, default=0.1, help="the share of movies held out of training")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/cold_start/)")
    args = parser.parse_args(argv)
    ml = load_movielens(args.dataset, verbose=False)
    results = run(movielens_ctr(ml), ml.item_genres, seeds=tuple(args.seeds), share=args.share)
    for path in results.save(Path(args.out or config.figures_dir() / "cold_start"), args.dataset):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
