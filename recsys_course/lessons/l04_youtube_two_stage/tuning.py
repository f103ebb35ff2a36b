"""Lesson 04's tuning alike: every tower variant a claim compares, and the MF baseline.

Each variant gets one grid of learning rate and temperature, MF one of learning rate and weight decay, all judged
on validation Recall@50 (seed 0) with a patience of 5; each then trains at its own best on every seed. The variants
come in three groups (:data:`GROUPS`), one run of ``04/tower_tuning`` and ``04/tuned_towers`` each.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ...evidence import Results
from ...evidence.grids import edge_report
from ...tasks.next_watch import NextWatch
from .towers import VARIANTS, Settings, mf_scores, record, refit_for_test, tower_scores, train_mf, train_tower

# The variants each claim compares, in runs that fit the 20-minute budget of a full-size script: the losses of
# the sampled-softmax claims; logQ for in-batch negatives; pooling and depth (set against the full softmax).
GROUPS = {
    "loss": ("full softmax", "sampled, popularity", "sampled, popularity + logQ"),
    "in-batch": ("in-batch", "in-batch + logQ"),
    "history": ("no history (user id)", "last item only", "depth 0"),
}
TUNED_VARIANTS = tuple(v for group in GROUPS.values() for v in group)
LRS = (1e-3, 2e-3, 4e-3)  # Adam's rate; the shared setting (2e-3) in the middle
# the logits' divisor. A first grid had (0.025, 0.05, 0.1): 0.025 was never a variant's best and every loss
# variant chose 0.1, its top, so the grid moved up one step
TEMPERATURES = (0.05, 0.1, 0.2)
PATIENCE = 5  # epochs without a better validation score before stopping (shared: 3)
MF_LRS = (1e-3, 2e-3, 4e-3)  # MF's Adam rate; a first grid had (5e-4, 1e-3, 2e-3) and chose 2e-3, its top
MF_DECAYS = (1e-6, 1e-5, 1e-4)  # MF's weight decay; lesson 03's choice (1e-5) in the middle
MF_GRID = len(MF_LRS) * len(MF_DECAYS)  # as many settings as each tuned tower variant tries


def _kept(done: pd.DataFrame | None, keys: tuple[str, ...]) -> dict[tuple, dict]:
    """The rows of an earlier grid ``done``, by their setting ``keys``: a grid extended after an edge was flagged
    trains only what it lacks (the same code and seed give the same rows, which a test checks)."""
    if done is None:
        return {}
    return {tuple(row[k] for k in keys): row for row in done.to_dict("records")}


def tune_variants(
    data: NextWatch,
    s: Settings,
    variants=GROUPS["loss"],
    lrs=LRS,
    temperatures=TEMPERATURES,
    seed: int = 0,
    done: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every variant at every (learning rate, temperature) on one seed: one row each, with the best validation
    Recall@50 its early stopping kept. Settings already in ``done`` (an earlier grid) are kept, not retrained."""
    rows = []
    kept = _kept(done, ("variant", "lr", "temperature"))
    for variant in variants:
        for lr in lrs:
            for temperature in temperatures:
                if (variant, lr, temperature) in kept:
                    rows.append(kept[(variant, lr, temperature)])
                    continue
                tried = replace(s, lr=lr, temperature=temperature, patience=max(s.patience, PATIENCE))
                _, history = train_tower(variant, data, tried, seed)
                frame = history.frame()
                rows.append(
                    {
                        "variant": variant,
                        "lr": lr,
                        "temperature": temperature,
                        "valid": history.best_value,
                        "best epoch": history.best_epoch,
                        "epochs run": int(frame["epoch"].max()),
                        "seconds": float(frame["seconds"].sum()),
                    }
                )
    return pd.DataFrame(rows)


def chosen(grid: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Each variant's ``(learning rate, temperature)`` with the best validation Recall@50 (ties: the first
    tried)."""
    best = grid.loc[grid.groupby("variant", sort=False)["valid"].idxmax()]
    return {row.variant: (float(row.lr), float(row.temperature)) for row in best.itertuples()}


def grid_text(grid: pd.DataFrame) -> str:
    """The grid in words: "learning rates {0.001, ...} x temperatures {0.025, ...}"."""
    values = {c: ", ".join(f"{v:g}" for v in sorted(grid[c].unique())) for c in ("lr", "temperature")}
    return f"learning rates {{{values['lr']}}} x temperatures {{{values['temperature']}}}"


def edges(grid: pd.DataFrame) -> pd.DataFrame:
    """Which chosen rates and temperatures sit at an end of their grid (see
    :func:`~recsys_course.evidence.grids.edge_report`), one row per variant and setting."""
    choices = {}
    for variant, (lr, temperature) in chosen(grid).items():
        part = grid[grid["variant"] == variant]
        at_temperature = part[part["temperature"] == temperature]
        at_lr = part[part["lr"] == lr]
        choices[f"{variant}: learning rate"] = (part["lr"], lr, at_temperature["valid"])
        choices[f"{variant}: temperature"] = (part["temperature"], temperature, at_lr["valid"])
    return edge_report(choices)


def tuned_towers(
    data: NextWatch, s: Settings, grid: pd.DataFrame, seeds=(0,), results: Results | None = None
) -> Results:
    """Each tuned variant at its own chosen setting on every seed, scored on the test users (a tower that reads
    no history refitted with the validation examples, as in ``04/towers``)."""
    results = results if results is not None else Results()
    for variant, (lr, temperature) in chosen(grid).items():
        spec = VARIANTS[variant]
        for seed in seeds:
            tuned = replace(s, lr=lr, temperature=temperature, patience=max(s.patience, PATIENCE))
            model, history = train_tower(variant, data, tuned, seed)
            if spec.get("pool") == "none":
                model = refit_for_test(variant, data, tuned, seed, max(history.best_epoch or 1, 1))
            row = {
                "model": variant,
                "seed": seed,
                "loss": spec["loss"],
                "lr": lr,
                "temperature": temperature,
            }
            record(results, data, tower_scores(model, data), row, history)
    return results


def tune_mf(
    data: NextWatch,
    s: Settings,
    lrs=MF_LRS,
    decays=MF_DECAYS,
    seed: int = 0,
    done: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """MF at every (learning rate, weight decay) on one seed, as many settings as each tuned tower variant
    tries: one row each with its best validation Recall@50 (settings already in ``done`` are kept)."""
    rows = []
    kept = _kept(done, ("lr", "weight_decay"))
    for lr in lrs:
        for decay in decays:
            if (lr, decay) in kept:
                rows.append(kept[(lr, decay)])
                continue
            tried = replace(s, mf_lr=lr, mf_weight_decay=decay, patience=max(s.patience, PATIENCE))
            _, history = train_mf(data, tried, seed, refit=False)
            rows.append(
                {
                    "model": "MF",
                    "lr": lr,
                    "weight_decay": decay,
                    "valid": history.best_value,
                    "best epoch": history.best_epoch,
                    "epochs run": int(history.frame()["epoch"].max()),
                }
            )
    return pd.DataFrame(rows)


def mf_choice(grid: pd.DataFrame) -> tuple[float, float]:
    """MF's ``(learning rate, weight decay)`` with the best validation Recall@50 in ``grid`` (ties: the first)."""
    best = grid.loc[grid["valid"].idxmax()]
    return float(best["lr"]), float(best["weight_decay"])


def mf_edges(grid: pd.DataFrame) -> pd.DataFrame:
    """Whether MF's chosen rate and weight decay sit at an end of their grid."""
    lr, decay = mf_choice(grid)
    at_lr, at_decay = grid[grid["lr"] == lr], grid[grid["weight_decay"] == decay]
    return edge_report(
        {
            "MF learning rate": (grid["lr"], lr, at_decay["valid"]),
            "MF weight decay": (grid["weight_decay"], decay, at_lr["valid"]),
        }
    )


def tuned_mf(data: NextWatch, s: Settings, grid: pd.DataFrame, seeds=(0,), results: Results | None = None):
    """MF at the best setting of :func:`tune_mf`'s ``grid`` on every seed, as "tuned MF"."""
    results = results if results is not None else Results()
    lr, decay = mf_choice(grid)
    tuned = replace(s, mf_lr=lr, mf_weight_decay=decay, patience=max(s.patience, PATIENCE))
    for seed in seeds:
        model, history = train_mf(data, tuned, seed)
        row = {"model": "tuned MF", "seed": seed, "lr": lr, "weight_decay": decay}
        record(results, data, mf_scores(model, data), row, history)
    return results
