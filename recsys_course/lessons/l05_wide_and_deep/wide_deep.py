"""Lesson 05's experiments: Wide & Deep and its halves on the MovieLens CTR task, three optimizers, and UCI Adult.

Every model is scored on the same test users and kept in a :class:`~recsys_course.evidence.Results`
(all test impressions, and each memorisation slice apart); :mod:`.full_size` runs it all at full size, at the
settings :mod:`.tuning` chose, and commits the CSVs. The model, its settings
and its three optimizers are :mod:`recsys_course.training.wide_deep`'s, shared with lesson 06.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from ...evaluation.ctr import per_user
from ...evaluation.inference import predict_logits
from ...evidence import Results, committed_file
from ...models import WideAndDeep
from ...tasks.ctr import CTRTask
from ...tasks.features import pair_frequency
from ...training.wide_deep import PAPER, Settings, fast_settings, train
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


def cross_logit(model: WideAndDeep, task: CTRTask, rows: np.ndarray, cross: str = LIKED_CROSS) -> np.ndarray:
    """What the weights of ``cross`` add to the wide logit of each test row in ``rows`` (0 where every weight
    of the cross the row uses is exactly zero, or the model has no such cross)."""
    if model.wide is None or cross not in task.wide_fields:
        return np.zeros(len(rows))
    names = list(task.wide_fields)
    start = sum(task.wide_fields[name] for name in names[: names.index(cross)])
    ids = task.test.wide[rows]
    mine = (ids >= start) & (ids < start + task.wide_fields[cross])
    weights = model.wide.weight.detach().squeeze(1).cpu().numpy()
    return np.where(mine, weights[np.where(mine, ids, 0)], 0.0).sum(axis=1)


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


def label(optimizer: str, parts: dict) -> str:
    """The optimizer a model really used: the paper's pair names only the half a one-part model has."""
    if optimizer != PAPER:
        return optimizer
    return "FTRL+L1" if parts.get("deep") is False else "AdaGrad" if parts.get("wide") is False else PAPER


def run_movielens(
    task: CTRTask, tuned: dict[str, Settings], seeds=(0,), log=print, ladder_only: bool = False
) -> dict[str, Results]:
    """Every MovieLens model on every seed: ``{"all": Results, <slice>: Results, ...}`` on the test users.

    ``tuned`` holds the settings of each of :data:`recsys_course.training.wide_deep.KINDS` (see :func:`tune`).
    ``ladder_only`` trains the paper's ladder alone - LR on ids, wide, deep, joint (and the ensemble) with the
    paper's optimizers - leaving out the joint model without the cross and with either Adam.
    """
    slices = slice_rows(task)
    results = {"all": Results(), **{name: Results() for name in slices}}

    def record(row: dict, logits: np.ndarray, model: WideAndDeep | None = None) -> None:
        terms = per_user(task.test, logits)
        row = {**row, **{m: float(terms[m].mean()) for m in ("auc", "uauc", "logloss")}}
        results["all"].add(row, terms)
        for name, rows in slices.items():
            part = per_user(task.test, logits, rows)
            # the share of the slice's impressions to which the liked x movie cross adds exactly nothing
            silent = np.nan if model is None else float((cross_logit(model, task, rows) == 0).mean())
            results[name].add(
                {
                    **row,
                    **{m: float(part[m].mean()) for m in ("auc", "uauc", "logloss")},
                    "cross silent": silent,
                },
                part,
            )
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
    if ladder_only:
        plan = [step for step in plan if step[3] == PAPER and step[1] is not no_cross]
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
                model if model_task is task else None,  # only models that have the cross
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


RAW_RATES = (0.01, 0.03, 0.1, 0.3)  # AdaGrad rates tried for the deep part on unscaled numbers
TUNING_SEED = 5


def input_scaling(
    scaled: CTRTask, raw: CTRTask, joint: Settings, seeds=(0,), rates=RAW_RATES, log=print
) -> tuple[Results, pd.DataFrame]:
    """Wide & Deep on Adult with the course's numbers (log1p, standardised: ``scaled``) against the tutorial's
    (unscaled: ``raw``), every other input and setting the same; ``(Results on the test rows, the rate grid)``.

    The scaled side keeps ``joint``'s tuned AdaGrad rate; the raw side chooses its own from ``rates`` on
    validation AUC, on :data:`TUNING_SEED`, which ``seeds`` should not include.
    """
    rows = []
    for rate in rates:
        _, history = train(raw, replace(joint, adagrad_lr=rate), seed=TUNING_SEED)
        rows.append({"adagrad rate": rate, "valid": history.best_value, "best epoch": history.best_epoch})
    grid = pd.DataFrame(rows)
    raw_rate = float(grid.loc[grid["valid"].idxmax(), "adagrad rate"])
    results = Results()
    for seed in seeds:
        for numbers, task, s in (
            ("log1p, standardised", scaled, joint),
            ("raw", raw, replace(joint, adagrad_lr=raw_rate)),
        ):
            model, history = train(task, s, seed=seed)
            terms = per_user(task.test, predict_logits(model, task.test)).drop(columns="uauc")
            row = {
                "numbers": numbers,
                "adagrad rate": s.adagrad_lr,
                "seed": seed,
                "best epoch": history.best_epoch,
            }
            row.update({m: float(terms[m].mean()) for m in ("accuracy", "auc", "logloss")})
            results.add(row, terms)
            log(f"{numbers:>20} | seed {seed} | accuracy {row['accuracy']:.4f}")
    return results, grid


def fast(tuned: dict[str, Settings]) -> dict[str, Settings]:
    """:func:`fast_settings` for every kind."""
    return {kind: fast_settings(s) for kind, s in tuned.items()}


def load_results(dataset: str = "ml-100k") -> dict | None:
    """The committed full-size results (``results/05_wide_and_deep/``), or None where there are none: MovieLens'
    runs (``"all"`` and the memorisation ``"slices"``), Adult's (``"adult"``) and the scaling runs with their rate
    grid (``"scaling"``: ``05/input_scaling``)."""
    everything = Results.committed(LESSON, f"wide_deep_{dataset}")
    if everything is None:
        return None
    slices = {name: Results.committed(LESSON, f"wide_deep_{dataset}_{slug(name)}") for name in SLICES}
    slices = {name: results for name, results in slices.items() if results is not None}
    scaling = Results.committed(LESSON, "wide_deep_adult_scaling")
    rates = (
        None
        if scaling is None
        else committed_file(LESSON, "wide_deep_adult_scaling_rates.csv", "05/input_scaling")
    )
    return {
        "all": everything,
        "slices": slices,
        "adult": Results.committed(LESSON, "wide_deep_adult"),
        "scaling": None if scaling is None else (scaling, pd.read_csv(rates)),
    }


def slug(name: str) -> str:
    return "slice_" + name.split(" ")[0]
