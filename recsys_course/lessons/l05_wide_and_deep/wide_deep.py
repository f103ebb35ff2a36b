"""Lesson 05's experiments: Wide & Deep and its halves on the MovieLens CTR task, three optimizers, and UCI Adult.

Every model is scored on the same test users and kept in a :class:`~recsys_course.evidence.Results`
(all test impressions, and each memorisation slice apart); ``python -m recsys_course run 05/wide_deep``
runs it all at full size and commits the CSVs. The model, its settings and its three optimizers are
:mod:`recsys_course.training.wide_deep`'s, shared with lesson 06.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ... import config
from ...evaluation.ctr import per_user
from ...evaluation.inference import predict_logits
from ...evidence import Results, edge_report
from ...models import WideAndDeep
from ...tasks.ctr import CTRTask
from ...tasks.features import pair_frequency
from ...training.wide_deep import PAPER, Settings, fast_settings, save_settings, settings_name, train
from . import LESSON

ADULT = Settings(dim=8, hidden=(100, 50))  # TensorFlow's census tutorial: embeddings of 8, layers 100-50

LIKED_CROSS = "liked movie x movie"
ID_FIELDS = ("user", "movie")  # logistic regression on ids: the CTR task's strong simple baseline
# Test impressions by how often their most frequent liked-movie x movie pair occurred in training.
SLICES = {"rare (0-4)": (0, 4), "middle (5-19)": (5, 19), "frequent (20+)": (20, np.inf)}


def zero_share(model: WideAndDeep, task: CTRTask) -> float:
    """The share of the wide weights the training rows use that are exactly zero (NaN without a wide part)."""
    if model.wide is None:
        return float("nan")
    used = np.unique(task.train.wide)
    used = torch.from_numpy(used[used < task.wide_size])
    return float((model.wide.weight.detach().squeeze(1)[used] == 0).float().mean())


def slice_rows(task: CTRTask) -> dict[str, np.ndarray]:
    """The test rows of each :data:`SLICES` entry that can be scored (two users or more, both labels present)."""
    frequency = pair_frequency(
        task.test.history, task.test.item, task.train.history, task.train.item, task.n_items
    )
    rows = {
        name: np.flatnonzero((frequency >= low) & (frequency <= high)) for name, (low, high) in SLICES.items()
    }
    return {
        name: r
        for name, r in rows.items()
        if len(np.unique(task.test.user[r])) >= 2 and 0 < task.test.label[r].sum() < len(r)
    }


def shrunk_click_rates(items, labels, n_items: int, prior: float = 10.0) -> np.ndarray:
    """Each movie id's click rate over the impressions (items, labels), shrunk towards the global rate.

    (clicks + prior x global rate) / (views + prior): ``prior`` pseudo-views at the global rate, so a
    movie seen rarely stays near it and an unseen movie gets it exactly.
    """
    labels = np.asarray(labels)
    clicks = np.bincount(items, weights=labels, minlength=n_items)
    views = np.bincount(items, minlength=n_items)
    return (clicks + prior * float(labels.mean())) / (views + prior)


def baseline_logits(task: CTRTask, prior: float = 10.0) -> dict[str, np.ndarray]:
    """The click rate of all training impressions, and of the candidate movie (shrunk to it by ``prior`` views)."""
    rate = float(task.train.label.mean())
    item_rate = shrunk_click_rates(task.train.item, task.train.label, task.n_items, prior)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    return {
        "global rate": np.full(len(task.test), logit(rate)),
        "item mean": logit(item_rate[task.test.item]),
    }


# The values :func:`tune` tries for each setting, on validation AUC.
GRIDS = {
    "ftrl_alpha": (0.05, 0.2, 0.5),
    "ftrl_l1": (0.0, 4.0, 16.0),
    "adagrad_lr": (0.01, 0.03, 0.1),
    "adam_lr": (3e-4, 1e-3, 3e-3),
    "split_wide_lr": (3e-3, 1e-2, 3e-2),
    "split_deep_lr": (3e-4, 1e-3, 3e-3),
}
# Which settings each kind of model was tuned on (the rest it does not use, or takes from another kind).
TUNED_SETTINGS = {
    "ids": ("ftrl_alpha", "ftrl_l1"),
    "wide": ("ftrl_alpha", "ftrl_l1"),
    "deep": ("adagrad_lr",),
    "joint": ("ftrl_alpha", "ftrl_l1", "adagrad_lr", "adam_lr", "split_wide_lr", "split_deep_lr"),
}


def edges(tuned: dict[str, Settings]) -> pd.DataFrame:
    """Every tuned setting of every kind of model against its grid: which sit at an end of it
    (:func:`~recsys_course.evidence.grids.edge_report`)."""
    return edge_report(
        {
            f"{kind}: {name}": (GRIDS[name], getattr(tuned[kind], name))
            for kind, names in TUNED_SETTINGS.items()
            if kind in tuned
            for name in names
        }
    )


def tune(task: CTRTask, s: Settings, seed: int = 0, log=print) -> dict[str, Settings]:
    """Choose each kind of model's rates by validation AUC (seed 0).

    One :class:`Settings` per kind of :data:`recsys_course.training.wide_deep.KINDS`.

    Logistic regression on user and movie ids ("ids") and the wide-only
    model: FTRL's alpha and L1 (9 settings). Deep-only: AdaGrad's rate (3).
    Joint: FTRL and AdaGrad again (9 + 3) - the best rates for a part alone
    need not be the best inside the joint model - then one Adam's rate (3)
    and the split Adam's two rates (3 + 3). So every optimizer compared on
    the joint model is tuned on it; the paper's pair has the most settings tried.
    """

    def best(start: Settings, grid, on: CTRTask = task, **kwargs) -> Settings:
        scores = {}
        for values in grid:
            _, history = train(on, replace(start, **values), seed=seed, **kwargs)
            scores[tuple(values.items())] = history.best_value
            log(f"  {kwargs or 'joint'} {values}: validation AUC {history.best_value:.4f}")
        return replace(start, **dict(max(scores, key=scores.get)))

    ftrl_grid = [{"ftrl_alpha": a, "ftrl_l1": l1} for a in GRIDS["ftrl_alpha"] for l1 in GRIDS["ftrl_l1"]]
    adagrad_grid = [{"adagrad_lr": lr} for lr in GRIDS["adagrad_lr"]]
    adam_grid = [{"adam_lr": lr} for lr in GRIDS["adam_lr"]]
    ids = (
        best(s, ftrl_grid, on=task.with_wide(ID_FIELDS), deep=False)
        if set(ID_FIELDS) <= set(task.wide_fields)
        else s
    )
    wide = best(s, ftrl_grid, deep=False)
    deep = best(s, adagrad_grid, wide=False)
    joint = replace(s, ftrl_alpha=wide.ftrl_alpha, ftrl_l1=wide.ftrl_l1, adagrad_lr=deep.adagrad_lr)
    joint = best(joint, ftrl_grid)
    joint = best(joint, adagrad_grid)
    joint = best(joint, adam_grid, optimizer="one Adam")
    split = best(joint, [{"split_wide_lr": lr} for lr in GRIDS["split_wide_lr"]], optimizer="Adam split")
    split = best(split, [{"split_deep_lr": lr} for lr in GRIDS["split_deep_lr"]], optimizer="Adam split")
    joint = replace(joint, split_wide_lr=split.split_wide_lr, split_deep_lr=split.split_deep_lr)
    return {"ids": ids, "wide": wide, "deep": deep, "joint": joint}


def label(optimizer: str, parts: dict) -> str:
    """The optimizer a model really used: the paper's pair names only the half a one-part model has."""
    if optimizer != PAPER:
        return optimizer
    return "FTRL+L1" if parts.get("deep") is False else "AdaGrad" if parts.get("wide") is False else PAPER


def run_movielens(task: CTRTask, tuned: dict[str, Settings], seeds=(0,), log=print) -> dict[str, Results]:
    """Every MovieLens model on every seed: ``{"all": Results, <slice>: Results, ...}`` on the test users.

    ``tuned`` holds the settings of each of :data:`recsys_course.training.wide_deep.KINDS` (see :func:`tune`).
    """
    slices = slice_rows(task)
    results = {"all": Results(), **{name: Results() for name in slices}}

    def record(row: dict, logits: np.ndarray) -> None:
        terms = per_user(task.test, logits)
        row = {**row, **{m: float(terms[m].mean()) for m in ("auc", "uauc", "logloss")}}
        results["all"].add(row, terms)
        for name, rows in slices.items():
            part = per_user(task.test, logits, rows)
            results[name].add({**row, **{m: float(part[m].mean()) for m in ("auc", "uauc", "logloss")}}, part)
        log(
            f"{row['model']:>24} | {row['optimizer']:>17} | seed {row['seed']} | AUC {row['auc']:.4f} "
            f"| LogLoss {row['logloss']:.4f}"
        )

    for name, logits in baseline_logits(task).items():
        record(
            {
                "model": name,
                "optimizer": "none",
                "seed": 0,
                "best epoch": 0,
                "valid": np.nan,
                "zero share": np.nan,
                "seconds": 0.0,
            },
            logits,
        )
    ids_only = task.with_wide(ID_FIELDS)
    no_cross = task.with_wide([f for f in task.wide_fields if f != LIKED_CROSS])
    plan = [
        ("LR on ids", ids_only, dict(deep=False, kind="ids"), PAPER),
        ("wide", task, dict(deep=False), PAPER),
        ("deep", task, dict(wide=False), PAPER),
        ("joint", task, {}, PAPER),
        ("joint, no liked x movie", no_cross, {}, PAPER),
        ("joint", task, {}, "one Adam"),
        ("joint", task, {}, "Adam split"),
    ]
    for seed in seeds:
        kept = {}
        for model_name, model_task, parts, optimizer in plan:
            parts = dict(parts)
            kind = parts.pop("kind", None) or (
                "wide" if parts.get("deep") is False else "deep" if parts.get("wide") is False else "joint"
            )
            model, history = train(model_task, tuned[kind], optimizer=optimizer, seed=seed, **parts)
            logits = predict_logits(model, model_task.test)
            kept[(model_name, optimizer)] = logits
            record(
                {
                    "model": model_name,
                    "optimizer": label(optimizer, parts),
                    "seed": seed,
                    "best epoch": history.best_epoch,
                    "valid": history.best_value,
                    "zero share": zero_share(model, model_task),
                    "seconds": history.seconds,
                },
                logits,
            )
        ensemble = (kept[("wide", PAPER)] + kept[("deep", PAPER)]) / 2
        record(
            {
                "model": "ensemble",
                "optimizer": "FTRL+L1 | AdaGrad, apart",
                "seed": seed,
                "best epoch": 0,
                "valid": np.nan,
                "zero share": np.nan,
                "seconds": 0.0,
            },
            ensemble,
        )
    return results


def run_adult(task: CTRTask, tuned: dict[str, Settings], seeds=(0,), log=print) -> Results:
    """Linear (wide only) against Wide & Deep on UCI Adult, both with the paper's optimizers; per test row."""
    results = Results()
    for seed in seeds:
        for name, parts, kind in (("linear", dict(deep=False), "wide"), ("wide & deep", {}, "joint")):
            model, history = train(task, tuned[kind], seed=seed, **parts)
            terms = per_user(task.test, predict_logits(model, task.test)).drop(columns="uauc")
            row = {
                "model": name,
                "seed": seed,
                "best epoch": history.best_epoch,
                "valid": history.best_value,
                "seconds": history.seconds,
                **{m: float(terms[m].mean()) for m in ("accuracy", "auc", "logloss")},
            }
            results.add(row, terms)
            log(f"{name:>12} | seed {seed} | accuracy {row['accuracy']:.4f} | AUC {row['auc']:.4f}")
    return results


def fast(tuned: dict[str, Settings]) -> dict[str, Settings]:
    """:func:`fast_settings` for every kind."""
    return {kind: fast_settings(s) for kind, s in tuned.items()}


def load_results(dataset: str = "ml-100k") -> dict | None:
    """The committed full-size results (``results/05_wide_and_deep/``), or None where there are none."""
    everything = Results.committed(LESSON, f"wide_deep_{dataset}")
    if everything is None:
        return None
    slices = {name: Results.committed(LESSON, f"wide_deep_{dataset}_{slug(name)}") for name in SLICES}
    slices = {name: results for name, results in slices.items() if results is not None}
    return {"all": everything, "slices": slices, "adult": Results.committed(LESSON, "wide_deep_adult")}


def slug(name: str) -> str:
    return "slice_" + name.split(" ")[0]


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list[Path]:
    """Tune each kind of model's rates on validation, train every model on every seed, on MovieLens and on
    UCI Adult; writes the results, one file per memorisation slice, and the chosen settings (FAST: smaller)."""
    from ...data import load_adult, load_movielens
    from ...tasks import adult_ctr, movielens_ctr

    out = Path(out or config.results_dir(LESSON))
    out.mkdir(parents=True, exist_ok=True)
    shrink = fast_settings if config.fast_mode() else (lambda s: s)
    task = movielens_ctr(load_movielens(dataset))
    print(task.describe())
    print("tuning on validation (seed 0) ...")
    tuned = tune(task, shrink(Settings()))
    written = [save_settings(tuned, out / settings_name(dataset))]
    results = run_movielens(task, tuned, seeds)
    written += results["all"].save(out, f"wide_deep_{dataset}")
    for name in SLICES:
        if name in results:
            written += results[name].save(out, f"wide_deep_{dataset}_{slug(name)}")
    adult = adult_ctr(load_adult())
    print("tuning Adult's rates on validation ...")
    a = tune(adult, shrink(ADULT))
    written.append(save_settings(a, out / settings_name("adult")))
    written += run_adult(adult, a, seeds).save(out, "wide_deep_adult")
    return written
