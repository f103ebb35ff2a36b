"""Lesson 02's embedding-size sweep, and the "start at 32, double" rule it tests.

    python -m recsys_course run 02/dimensions                 # ML-100K, d = 8..128, 5 seeds

MF with a dot product, trained on leave-one-out by time with 4 sampled
negatives per positive, stops early on the validation item's sampled AUC
(the rule's metric) and is tested on the test item, per user. The full-size
run writes ``results/02_embeddings_and_tsne/dimensions_<dataset>.csv`` and its per-user numbers.
"""

from __future__ import annotations

import pandas as pd
import torch

from ... import config
from ...data import load_movielens
from ...evaluation import sampled
from ...evidence import Results
from ...models import MF
from ...tasks import LeaveOneOut, prepare_leave_one_out, to_implicit
from ...training import History, fit_implicit
from . import LESSON

DIMS = (8, 16, 32, 64, 128)


def train_mf(loo: LeaveOneOut, dim: int, seed: int, epochs: int = 20, lr: float = 5e-3) -> tuple[MF, History]:
    """MF of size ``dim``, early-stopped on validation sampled AUC: ``(model, history)``."""
    torch.manual_seed(seed)
    model = MF(loo.n_users, loo.n_items, dim=dim).to(config.get_device())
    history = fit_implicit(
        model,
        loo,
        n_neg=4,
        epochs=epochs,
        lr=lr,
        seed=seed,
        patience=3,
        monitor="auc",
        desc=f"MF d={dim} seed {seed}",
    )
    return model, history


def sweep(
    loo: LeaveOneOut, dims=DIMS, seeds=(0,), epochs: int = 20, results: Results | None = None
) -> Results:
    """One MF per (size, seed); rows hold validation and test means, per-user test results are kept."""
    results = results if results is not None else Results()
    for seed in seeds:
        for dim in dims:
            model, history = train_mf(loo, dim, seed, epochs)
            best = history.frame().set_index("epoch").loc[history.best_epoch]
            row, per_user = sampled.report(model, loo, history, monitor="auc")
            results.add(
                {
                    "experiment": "dimensions",
                    "model": "MF",
                    "factors": dim,
                    "seed": seed,
                    "valid auc": best["auc"],
                    "valid hr@10": best["hr@10"],
                    **row,
                },
                per_user,
            )
    return results


def doubling_rule(auc_by_dim: pd.Series, start: int = 32, min_gain: float = 0.005) -> tuple[int, list[str]]:
    """Start at ``start``; double while doubling raises AUC by at least ``min_gain`` (relative).

    Returns the size the rule stops at and one line per doubling it looked at.
    """
    d, steps = start, []
    while 2 * d in auc_by_dim.index:
        gain = auc_by_dim[2 * d] / auc_by_dim[d] - 1
        steps.append(f"{d} -> {2 * d}: {gain:+.2%}")
        if gain < min_gain:
            break
        d *= 2
    return d, steps


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out=None, dims=DIMS) -> list:
    """The sweep at full size (FAST mode: 3 epochs at most); writes dimensions_<dataset>.csv and per-user numbers."""
    import time

    data = load_movielens(dataset)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    start = time.perf_counter()
    results = sweep(loo, dims, seeds, epochs=3 if config.fast_mode() else 20)
    print(f"{len(results.rows)} runs in {time.perf_counter() - start:.0f} s")
    frame = results.frame().assign(dataset=data.name)
    results.rows = frame.to_dict("records")
    print(frame.groupby("factors")[["valid auc", "auc", "hr@10", "best epoch"]].mean().round(4).to_string())
    return results.save(out or config.results_dir(LESSON), f"dimensions_{dataset}")


def load_results(dataset: str) -> Results | None:
    """The committed full-size sweep for ``dataset``, or None."""
    return Results.committed(LESSON, f"dimensions_{dataset}")
