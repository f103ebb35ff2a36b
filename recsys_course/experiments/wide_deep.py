"""Lesson 05's experiments: Wide & Deep and its halves on the MovieLens CTR task, three optimisers, and UCI Adult.

Every model is scored on the same test users and kept in a :class:`Results`
(all test impressions, and each memorisation slice apart);
``python -m recsys_course.experiments.wide_deep`` runs it all at full size and commits the CSVs.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import config
from ..ctr_task import CTRSplit, CTRTask
from ..features import pair_frequency
from ..metrics import ctr_per_user
from ..models import WideAndDeep
from ..optim import FTRL, Joint
from ..train import fit_ctr, predict_logits
from .results import Results


@dataclass(frozen=True)
class Settings:
    """Sizes and training settings of lesson 05. The optimisers' rates are chosen by :func:`tune` on validation.

    FTRL's ``beta`` and ``l1`` are in the units of one example's gradient,
    as in McMahan et al.; the loss here is a batch *mean*, so they are
    divided by the batch size when the optimiser is built (which gives
    exactly the same updates as a summed loss).
    """

    dim: int = 16                       # embedding size of every deep field
    hidden: tuple = (256, 128, 64)      # the deep part's three ReLU layers
    batch_size: int = 1024
    max_epochs: int = 15
    patience: int = 2
    ftrl_alpha: float = 0.2
    ftrl_beta: float = 1.0
    ftrl_l1: float = 4.0
    adagrad_lr: float = 0.01
    adam_lr: float = 1e-3               # "one Adam"
    split_wide_lr: float = 1e-2         # "Adam split": the wide part's rate
    split_deep_lr: float = 1e-3         # ... and the deep part's


def fast_settings(s: Settings) -> Settings:
    return replace(s, max_epochs=3, patience=1, hidden=(64, 32, 16))


ADULT = Settings(dim=8, hidden=(100, 50))    # TensorFlow's census tutorial: embeddings of 8, layers 100-50

OPTIMISERS = ("FTRL+L1 / AdaGrad", "one Adam", "Adam split")
PAPER = OPTIMISERS[0]
LIKED_CROSS = "liked movie x movie"
ID_FIELDS = ("user", "movie")            # logistic regression on ids: the baseline of COURSE.md
# Test impressions by how often their most frequent liked-movie x movie pair occurred in training.
SLICES = {"rare (0-4)": (0, 4), "middle (5-19)": (5, 19), "frequent (20+)": (20, np.inf)}


def make_model(task: CTRTask, s: Settings, *, wide: bool = True, deep: bool = True, optimiser: str = PAPER,
               seed: int = 0) -> WideAndDeep:
    """A fresh, seeded model for ``task``; the wide gradient is sparse only for FTRL, which can use it.

    On MovieLens the deep part also reads the liked history (its mean embedding).
    """
    torch.manual_seed(seed)
    return WideAndDeep(task.wide_size, task.deep_fields, dim=s.dim, hidden=s.hidden,
                       n_dense=len(task.dense_names), history_items=task.n_items or None, wide=wide, deep=deep,
                       sparse_wide=optimiser == PAPER)


def make_optimiser(model: WideAndDeep, name: str, s: Settings):
    """One of :data:`OPTIMISERS` over ``model``'s parts: the paper's pair, one Adam, or Adam with a rate per part."""
    wide, deep = model.wide_parameters(), model.deep_parameters()
    if name == PAPER:
        parts = []
        if wide:
            parts.append(FTRL(wide, alpha=s.ftrl_alpha, beta=s.ftrl_beta / s.batch_size, l1=s.ftrl_l1 / s.batch_size))
        if deep:
            parts.append(torch.optim.Adagrad(deep, lr=s.adagrad_lr))
        return Joint(*parts)
    if name == "one Adam":
        return torch.optim.Adam(model.parameters(), lr=s.adam_lr)
    if name == "Adam split":
        groups = [{"params": wide, "lr": s.split_wide_lr}] if wide else []
        return torch.optim.Adam(groups + ([{"params": deep, "lr": s.split_deep_lr}] if deep else []))
    raise ValueError(f"unknown optimiser {name!r}; choose from {OPTIMISERS}")


def train(task: CTRTask, s: Settings, *, wide: bool = True, deep: bool = True, optimiser: str = PAPER,
          seed: int = 0, record_test: bool = False):
    """Train one model with early stopping on validation AUC; returns ``(model, history, seconds)``."""
    model = make_model(task, s, wide=wide, deep=deep, optimiser=optimiser, seed=seed)
    start = time.perf_counter()
    history = fit_ctr(model, task, optimizer=make_optimiser(model, optimiser, s), epochs=s.max_epochs,
                      patience=s.patience, batch_size=s.batch_size, seed=seed, desc=optimiser,
                      record_test=record_test)
    return model, history, time.perf_counter() - start


def zero_share(model: WideAndDeep, task: CTRTask) -> float:
    """The share of the wide weights the training rows use that are exactly zero (NaN without a wide part)."""
    if model.wide is None:
        return float("nan")
    used = np.unique(task.train.wide)
    used = torch.from_numpy(used[used < task.wide_size])
    return float((model.wide.weight.detach().squeeze(1)[used] == 0).float().mean())


def per_user(split: CTRSplit, logits: np.ndarray, rows=None) -> pd.DataFrame:
    """Per-user terms of AUC, user-weighted AUC and LogLoss (and accuracy at 0.5) on ``split`` or its ``rows``."""
    rows = np.arange(len(split)) if rows is None else rows
    probs = 1 / (1 + np.exp(-logits[rows]))
    terms = ctr_per_user(split.user[rows], split.label[rows], probs)
    correct = pd.Series((probs >= 0.5) == (split.label[rows] == 1)).groupby(split.user[rows]).sum()
    return terms.assign(accuracy=len(terms) * correct.to_numpy() / len(rows))


def slice_rows(task: CTRTask) -> dict[str, np.ndarray]:
    """The test rows of each :data:`SLICES` entry that can be scored (two users or more, both labels present)."""
    frequency = pair_frequency(task.test.history, task.test.item, task.train.history, task.train.item, task.n_items)
    rows = {name: np.flatnonzero((frequency >= low) & (frequency <= high)) for name, (low, high) in SLICES.items()}
    return {name: r for name, r in rows.items()
            if len(np.unique(task.test.user[r])) >= 2 and 0 < task.test.label[r].sum() < len(r)}


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
    logit = lambda p: np.log(p / (1 - p))       # noqa: E731
    return {"global rate": np.full(len(task.test), logit(rate)), "item mean": logit(item_rate[task.test.item])}


KINDS = ("ids", "wide", "deep", "joint")   # each kind of model gets its own rates, chosen on validation


def tune(task: CTRTask, s: Settings, seed: int = 0, log=print) -> dict[str, Settings]:
    """Choose each kind of model's rates by validation AUC (seed 0): one :class:`Settings` per :data:`KINDS`.

    Logistic regression on user and movie ids ("ids") and the wide-only
    model: FTRL's alpha and L1 (9 settings). Deep-only: AdaGrad's rate (3).
    Joint: FTRL and AdaGrad again (9 + 3) - the best rates for a part alone
    need not be the best inside the joint model - then one Adam's rate (3)
    and the split Adam's two rates (3 + 3). So every optimiser compared on
    the joint model is tuned on it; the paper's pair has the most settings tried.
    """
    def best(start: Settings, grid, on: CTRTask = task, **kwargs) -> Settings:
        scores = {}
        for values in grid:
            _, history, _ = train(on, replace(start, **values), seed=seed, **kwargs)
            scores[tuple(values.items())] = history.best_value
            log(f"  {kwargs or 'joint'} {values}: validation AUC {history.best_value:.4f}")
        return replace(start, **dict(max(scores, key=scores.get)))

    ftrl_grid = [{"ftrl_alpha": a, "ftrl_l1": l1} for a in (0.05, 0.2, 0.5) for l1 in (0.0, 4.0, 16.0)]
    adagrad_grid = [{"adagrad_lr": lr} for lr in (0.01, 0.03, 0.1)]
    adam_grid = [{"adam_lr": lr} for lr in (3e-4, 1e-3, 3e-3)]
    ids = best(s, ftrl_grid, on=task.with_wide(ID_FIELDS), deep=False) if set(ID_FIELDS) <= set(task.wide_fields) \
        else s
    wide = best(s, ftrl_grid, deep=False)
    deep = best(s, adagrad_grid, wide=False)
    joint = replace(s, ftrl_alpha=wide.ftrl_alpha, ftrl_l1=wide.ftrl_l1, adagrad_lr=deep.adagrad_lr)
    joint = best(joint, ftrl_grid)
    joint = best(joint, adagrad_grid)
    joint = best(joint, adam_grid, optimiser="one Adam")
    split = best(joint, [{"split_wide_lr": lr} for lr in (3e-3, 1e-2, 3e-2)], optimiser="Adam split")
    split = best(split, [{"split_deep_lr": lr} for lr in (3e-4, 1e-3, 3e-3)], optimiser="Adam split")
    joint = replace(joint, split_wide_lr=split.split_wide_lr, split_deep_lr=split.split_deep_lr)
    return {"ids": ids, "wide": wide, "deep": deep, "joint": joint}


def label(optimiser: str, parts: dict) -> str:
    """The optimiser a model really used: the paper's pair names only the half a one-part model has."""
    if optimiser != PAPER:
        return optimiser
    return "FTRL+L1" if parts.get("deep") is False else "AdaGrad" if parts.get("wide") is False else PAPER


def test_metrics(model: WideAndDeep, task: CTRTask) -> dict:
    """A trained model's test AUC, user-weighted AUC and LogLoss."""
    return {m: float(v.mean()) for m, v in per_user(task.test, predict_logits(model, task.test)).items()
            if m in ("auc", "uauc", "logloss")}


def run_movielens(task: CTRTask, tuned: dict[str, Settings], seeds=(0,), log=print) -> dict[str, Results]:
    """Every MovieLens model on every seed: ``{"all": Results, <slice>: Results, ...}`` on the test users.

    ``tuned`` holds the settings of each of :data:`KINDS` (see :func:`tune`).
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
        log(f"{row['model']:>24} | {row['optimiser']:>17} | seed {row['seed']} | AUC {row['auc']:.4f} "
            f"| LogLoss {row['logloss']:.4f}")

    for name, logits in baseline_logits(task).items():
        record({"model": name, "optimiser": "none", "seed": 0, "best epoch": 0, "valid": np.nan, "zero share": np.nan,
                "seconds": 0.0}, logits)
    ids_only = task.with_wide(ID_FIELDS)
    no_cross = task.with_wide([f for f in task.wide_fields if f != LIKED_CROSS])
    plan = [("LR on ids", ids_only, dict(deep=False, kind="ids"), PAPER), ("wide", task, dict(deep=False), PAPER),
            ("deep", task, dict(wide=False), PAPER), ("joint", task, {}, PAPER),
            ("joint, no liked x movie", no_cross, {}, PAPER),
            ("joint", task, {}, "one Adam"), ("joint", task, {}, "Adam split")]
    for seed in seeds:
        kept = {}
        for model_name, model_task, parts, optimiser in plan:
            parts = dict(parts)
            kind = parts.pop("kind", None) or ("wide" if parts.get("deep") is False else
                                               "deep" if parts.get("wide") is False else "joint")
            model, history, seconds = train(model_task, tuned[kind], optimiser=optimiser, seed=seed, **parts)
            logits = predict_logits(model, model_task.test)
            kept[(model_name, optimiser)] = logits
            record({"model": model_name, "optimiser": label(optimiser, parts), "seed": seed,
                    "best epoch": history.best_epoch,
                    "valid": history.best_value, "zero share": zero_share(model, model_task),
                    "seconds": seconds}, logits)
        ensemble = (kept[("wide", PAPER)] + kept[("deep", PAPER)]) / 2
        record({"model": "ensemble", "optimiser": "FTRL+L1 | AdaGrad, apart", "seed": seed, "best epoch": 0,
                "valid": np.nan,
                "zero share": np.nan, "seconds": 0.0}, ensemble)
    return results


def run_adult(task: CTRTask, tuned: dict[str, Settings], seeds=(0,), log=print) -> Results:
    """Linear (wide only) against Wide & Deep on UCI Adult, both with the paper's optimisers; per test row."""
    results = Results()
    for seed in seeds:
        for name, parts, kind in (("linear", dict(deep=False), "wide"), ("wide & deep", {}, "joint")):
            model, history, seconds = train(task, tuned[kind], seed=seed, **parts)
            terms = per_user(task.test, predict_logits(model, task.test)).drop(columns="uauc")
            row = {"model": name, "seed": seed, "best epoch": history.best_epoch, "valid": history.best_value,
                   "seconds": seconds, **{m: float(terms[m].mean()) for m in ("accuracy", "auc", "logloss")}}
            results.add(row, terms)
            log(f"{name:>12} | seed {seed} | accuracy {row['accuracy']:.4f} | AUC {row['auc']:.4f}")
    return results


def save_settings(tuned: dict[str, Settings], path: Path) -> Path:
    path.write_text(json.dumps({kind: asdict(s) for kind, s in tuned.items()}, indent=1) + "\n")
    return path


def load_settings(path: Path, default: Settings = Settings()) -> dict[str, Settings]:
    """The settings per kind saved by :func:`save_settings` (tuples restored), or ``default`` for every kind."""
    if not path.is_file():
        return {kind: default for kind in KINDS}
    saved = json.loads(path.read_text())
    return {kind: replace(default, **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
            for kind, values in saved.items()}


def committed_settings(dataset: str = "ml-100k") -> dict[str, Settings]:
    """The rates the full run chose for ``dataset`` (``figures/wide_deep/settings_<dataset>.json``), or the defaults."""
    return load_settings(folder() / f"settings_{dataset}.json")


def fast(tuned: dict[str, Settings]) -> dict[str, Settings]:
    """:func:`fast_settings` for every kind."""
    return {kind: fast_settings(s) for kind, s in tuned.items()}


def folder() -> Path:
    return config.figures_dir() / "wide_deep"


def load_results(dataset: str = "ml-100k") -> dict | None:
    """The committed full-size results (``figures/wide_deep/``), or None where there are none."""
    everything = Results.committed("wide_deep", dataset)
    if everything is None:
        return None
    slices = {name: Results.committed("wide_deep", f"{dataset}_{slug(name)}") for name in SLICES}
    slices = {name: results for name, results in slices.items() if results is not None}
    return {"all": everything, "slices": slices, "adult": Results.committed("wide_deep", "adult")}


def slug(name: str) -> str:
    return "slice_" + name.split(" ")[0]


def run_all(dataset: str, seeds, out: Path | None = None) -> list[Path]:
    from ..ctr_task import adult_ctr, movielens_ctr
    from ..data import load_adult, load_movielens

    out = Path(out or folder())
    out.mkdir(parents=True, exist_ok=True)
    task = movielens_ctr(load_movielens(dataset))
    print(task.describe())
    print("tuning on validation (seed 0) ...")
    tuned = tune(task, Settings())
    written = [save_settings(tuned, out / f"settings_{dataset}.json")]
    results = run_movielens(task, tuned, seeds)
    written += results["all"].save(out, dataset)
    for name in SLICES:
        if name in results:
            written += results[name].save(out, f"{dataset}_{slug(name)}")
    adult = adult_ctr(load_adult())
    print("tuning Adult's rates on validation ...")
    a = tune(adult, ADULT)
    written.append(save_settings(a, out / "settings_adult.json"))
    written += run_adult(adult, a, seeds).save(out, "adult")
    return written


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run lesson 05's Wide & Deep experiments at full size.")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/wide_deep/)")
    args = parser.parse_args(argv)
    config.seed_everything(args.seeds[0])
    for path in run_all(args.dataset, tuple(args.seeds), args.out):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
