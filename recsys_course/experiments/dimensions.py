"""Lesson 02's embedding-size sweep at full size, and the verdict on the "start at 32, double" rule.

    python -m recsys_course.experiments.dimensions                 # ML-100K, d = 8..128, 5 seeds

MF with a dot product, trained on leave-one-out by time with 4 sampled
negatives per positive, stops early on the validation item's sampled AUC
(the rule's metric) and is tested on the test item, per user. The script
writes ``figures/dimensions/dimensions_<dataset>.csv`` and its per-user numbers.
"""

from __future__ import annotations

import pandas as pd
import torch

from .. import config
from ..models import MF
from ..splits import LeaveOneOut
from ..stats import Claim, judge, paired_bootstrap
from ..train import fit_implicit
from .ncf import test
from .results import Results

DIMS = (8, 16, 32, 64, 128)


def train_mf(loo: LeaveOneOut, dim: int, seed: int, epochs: int = 20, lr: float = 5e-3):
    """MF of size ``dim``, early-stopped on validation sampled AUC: ``(model, history)``."""
    torch.manual_seed(seed)
    model = MF(loo.n_users, loo.n_items, dim=dim).to(config.get_device())
    history = fit_implicit(model, loo, n_neg=4, epochs=epochs, lr=lr, seed=seed, patience=3, monitor="auc",
                           desc=f"MF d={dim} seed {seed}")
    return model, history


def sweep(loo: LeaveOneOut, dims=DIMS, seeds=(0,), epochs: int = 20, results: Results | None = None) -> Results:
    """One MF per (size, seed); rows hold validation and test means, per-user test results are kept."""
    results = results if results is not None else Results()
    for seed in seeds:
        for dim in dims:
            model, history = train_mf(loo, dim, seed, epochs)
            best = history.frame().set_index("epoch").loc[history.best_epoch]
            row, per_user = test(model, loo, history, monitor="auc")
            results.add({"experiment": "dimensions", "model": "MF", "factors": dim, "seed": seed,
                         "valid auc": best["auc"], "valid hr@10": best["hr@10"], **row}, per_user)
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


def judge_claims(results: Results, evidence: str) -> list[Claim]:
    """The rule's verdict: does the size it picks on validation lose less than 0.5% test AUC to the best size?"""
    frame = results.frame()
    valid = frame.groupby("factors")["valid auc"].mean()
    if 32 not in valid.index:
        raise ValueError(f"the rule starts at d = 32, which the sweep lacks (sizes: {list(valid.index)})")
    chosen, _ = doubling_rule(valid)
    best = int(valid.idxmax())
    effect = paired_bootstrap(results.per_user("auc", factors=chosen), results.per_user("auc", factors=best),
                              metric="sampled AUC", relative=True)
    return [judge(
        lesson="02", claim="Start at d = 32 and double the embedding size until AUC moves by less than 0.5%",
        source="no source given; a rule of thumb",
        measured=f"relative test AUC of the size the rule picks on validation (d = {chosen}) over the size with "
                 f"the best validation AUC in the sweep (d = {best}), read as: the rule gives up less than its own 0.5%",
        evidence=evidence, effect=effect, threshold=-0.005, direction="above",
        notes={"rule picks": chosen, "best on validation": best})]


def run_all(dataset: str = "ml-100k", dims=DIMS, seeds=(0, 1, 2, 3, 4), out_dir=None) -> Results:
    """The sweep at full size; writes dimensions_<dataset>.csv and its per-user numbers."""
    import time

    from ..data import load_movielens
    from ..splits import prepare_leave_one_out, to_implicit

    data = load_movielens(dataset)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    start = time.perf_counter()
    results = sweep(loo, dims, seeds)
    print(f"{len(results.rows)} runs in {time.perf_counter() - start:.0f} s")
    frame = results.frame().assign(dataset=data.name)
    results.rows = frame.to_dict("records")
    print(frame.groupby("factors")[["valid auc", "auc", "hr@10", "best epoch"]].mean().round(4).to_string())
    out_dir = out_dir or config.figures_dir() / "dimensions"
    for path in results.save(out_dir, f"dimensions_{dataset}"):
        print(f"wrote {path}")
    return results


def load_results(dataset: str) -> Results | None:
    """The committed full-size sweep for ``dataset``, or None."""
    return Results.committed("dimensions", f"dimensions_{dataset}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run lesson 02's embedding-size sweep at full size.")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    config.seed_everything(args.seeds[0])
    run_all(args.dataset, seeds=args.seeds)
