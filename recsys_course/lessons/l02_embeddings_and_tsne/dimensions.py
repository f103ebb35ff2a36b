"""Lesson 02's embedding-size sweep, and the "start at 32, double" rule it tests.

    python -m recsys_course run 02/dimensions                 # ML-100K, d = 8..128, 5 seeds

MF with a dot product, trained on leave-one-out by time with 4 sampled
negatives per positive, stops early on the validation item's sampled AUC
(the rule's metric) and is tested on the test item, per user. The full-size
run first gives each size its own learning rate and weight decay on validation, then writes
``results/02_embeddings_and_tsne/dimensions_<dataset>.csv``, its per-user numbers and the tuning grid.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ... import config
from ...data import load_movielens
from ...evaluation import sampled
from ...evidence import Results, edge_report
from ...models import MF
from ...tasks import LeaveOneOut, prepare_leave_one_out, to_implicit
from ...training import History, fit_implicit
from ...training.optim import adam_with_weight_decay
from . import LESSON

DIMS = (8, 16, 32, 64, 128)
LR = 5e-3  # the quick sweep's Adam rate, in the middle of the full-size grid
LRS = (2.5e-3, 5e-3, 1e-2)  # each size's Adam rate in the full-size sweep ...
# ... and its weight decay: lesson 03's MF grid, with more values between 1e-5 (the choice of every size but
# the smallest in a first grid) and 1e-4 (where every size collapsed)
DECAYS = (0.0, 1e-6, 1e-5, 2e-5, 5e-5, 1e-4)
TUNING_SEED = 5  # the settings are chosen on a seed the sweep does not report (it reports 0-4)
FULL_EPOCHS = 80  # the full-size cap, one early stopping should not reach (at 20, most d = 8 runs did)


def train_mf(
    loo: LeaveOneOut, dim: int, seed: int, epochs: int = 20, lr: float = LR, weight_decay: float = 0.0
) -> tuple[MF, History]:
    """MF of size ``dim``, early-stopped on validation sampled AUC: ``(model, history)``."""
    torch.manual_seed(seed)
    model = MF(loo.n_users, loo.n_items, dim=dim).to(config.get_device())
    history = fit_implicit(
        model,
        loo,
        n_neg=4,
        epochs=epochs,
        lr=lr,
        optimizer=adam_with_weight_decay(model, lr, weight_decay) if weight_decay else None,
        seed=seed,
        patience=3,
        monitor="auc",
        desc=f"MF d={dim} seed {seed}",
    )
    return model, history


def tune(
    loo: LeaveOneOut, dims=DIMS, lrs=LRS, decays=DECAYS, epochs: int = FULL_EPOCHS, seed: int = TUNING_SEED
):
    """Every size at every (learning rate, weight decay) on one seed: a frame of the best validation AUC of
    each, so that each size is compared at the training that suits it, not at one setting that suits some
    sizes more."""
    rows = []
    for dim in dims:
        for lr in lrs:
            for decay in decays:
                _, history = train_mf(loo, dim, seed, epochs, lr=lr, weight_decay=decay)
                rows.append(
                    {
                        "factors": dim,
                        "lr": lr,
                        "weight_decay": decay,
                        "valid auc": history.best_value,
                        "best epoch": history.best_epoch,
                    }
                )
    return pd.DataFrame(rows)


def chosen(grid: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """Each size's ``(learning rate, weight decay)`` with the best validation AUC in :func:`tune`'s ``grid``
    (ties: the first)."""
    best = grid.loc[grid.groupby("factors")["valid auc"].idxmax()]
    return {int(row.factors): (float(row.lr), float(row.weight_decay)) for row in best.itertuples()}


def edges(grid: pd.DataFrame) -> pd.DataFrame:
    """Which sizes' chosen rate and weight decay sit at an end of their grid."""
    report = {}
    for dim, (lr, decay) in chosen(grid).items():
        part = grid[grid["factors"] == dim]
        report[f"d = {dim}'s learning rate"] = (
            part["lr"],
            lr,
            part[part["weight_decay"] == decay]["valid auc"],
        )
        report[f"d = {dim}'s weight decay"] = (
            part["weight_decay"],
            decay,
            part[part["lr"] == lr]["valid auc"],
        )
    return edge_report(report)


def sweep(
    loo: LeaveOneOut,
    dims=DIMS,
    seeds=(0,),
    epochs: int = 20,
    results: Results | None = None,
    settings: dict | None = None,
) -> Results:
    """One MF per (size, seed), at the size's ``(learning rate, weight decay)`` in ``settings`` (else the
    quick sweep's rate and no decay); rows hold validation and test means, per-user test results are kept."""
    results = results if results is not None else Results()
    settings = settings or {}
    for seed in seeds:
        for dim in dims:
            lr, decay = settings.get(dim, (LR, 0.0))
            model, history = train_mf(loo, dim, seed, epochs, lr=lr, weight_decay=decay)
            best = history.frame().set_index("epoch").loc[history.best_epoch]
            row, per_user = sampled.report(model, loo, history, monitor="auc")
            results.add(
                {
                    "experiment": "dimensions",
                    "model": "MF",
                    "factors": dim,
                    "lr": lr,
                    "weight_decay": decay,
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
    """The sweep at full size: each size's learning rate and weight decay chosen on validation (seed
    :data:`TUNING_SEED`), then every size on ``seeds``, at most :data:`FULL_EPOCHS` epochs (FAST mode: 3 epochs,
    two settings). Writes dimensions_<dataset>.csv, its per-user numbers and the tuning grid (``_tuning.csv``)."""
    import time

    data = load_movielens(dataset)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    start = time.perf_counter()
    epochs = 3 if config.fast_mode() else FULL_EPOCHS
    small = dict(lrs=LRS[1:2], decays=DECAYS[:2]) if config.fast_mode() else {}
    grid = tune(loo, dims, epochs=epochs, **small)
    print(grid.round(6).to_string(index=False))
    print(edges(grid).to_string())
    results = sweep(loo, dims, seeds, epochs=epochs, settings=chosen(grid))
    print(f"{len(grid)} tuning runs and {len(results.rows)} runs in {time.perf_counter() - start:.0f} s")
    frame = results.frame().assign(dataset=data.name)
    results.rows = frame.to_dict("records")
    print(
        frame.groupby("factors")[["lr", "weight_decay", "valid auc", "auc", "hr@10", "best epoch"]]
        .mean()
        .round(6)
        .to_string()
    )
    out = Path(out or config.results_dir(LESSON))
    written = results.save(out, f"dimensions_{dataset}")
    grid.to_csv(out / f"dimensions_{dataset}_tuning.csv", index=False)
    return written + [out / f"dimensions_{dataset}_tuning.csv"]


def tuning_grid(dataset: str) -> pd.DataFrame | None:
    """The committed tuning grid of the full-size sweep for ``dataset``, or None."""
    folder = config.committed_results_dir(LESSON)
    path = None if folder is None else folder / f"dimensions_{dataset}_tuning.csv"
    return pd.read_csv(path) if path is not None and path.is_file() else None


def load_results(dataset: str) -> Results | None:
    """The committed full-size sweep for ``dataset``, or None."""
    return Results.committed(LESSON, f"dimensions_{dataset}")
