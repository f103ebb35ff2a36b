"""Lesson 06: the article's "sensible defaults" against a small validation-tuned grid, model by model.

The defaults: Adam at 1e-3 with weight decay 1e-5 and ReduceLROnPlateau
(halving the rate after each epoch whose validation AUC is no better). The
tuned setting: the Adam rate each model's validation AUC chose in :mod:`.ctr`
(1e-3 to 3e-2), constant, no weight decay. Both stop early with the same
patience (:func:`settings`: long enough for the schedule to act first), train
on the same seeds and are scored on the same test users, so each model's gap
has a paired interval.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import torch

from ..ctr_task import CTRTask
from ..train import fit_ctr, predict_logits
from . import ctr
from .results import Results
from .wide_deep import per_user

DEFAULTS = {"lr": 1e-3, "weight_decay": 1e-5, "lr_patience": 0}     # ReduceLROnPlateau: halve after each flat epoch
MODELS = tuple(m for m in ctr.MODELS if m != "Wide & Deep")        # Wide & Deep has lesson 05's own optimisers


def settings() -> ctr.Settings:
    """The benchmark's settings with room for the schedule: 40 epochs at most, stopping after 3 flat epochs.

    With PyTorch's ``patience=0`` the rate halves at the first epoch without a
    better validation AUC, so it has halved twice before early stopping ends
    a run; the tuned setting stops by the same rule.
    """
    return replace(ctr.Settings(), max_epochs=40, patience=3)


def train(name: str, task: CTRTask, s: ctr.Settings, *, lr: float, weight_decay: float = 0.0,
          lr_patience: int | None = None, seed: int = 0):
    """One Adam-trained benchmark model; returns ``(model, history, seconds)``."""
    torch.manual_seed(seed)
    model = ctr.build_model(name, task, s)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    start = time.perf_counter()
    history = fit_ctr(model, task, optimizer=optimizer, epochs=s.max_epochs, patience=s.patience,
                      lr_patience=lr_patience, batch_size=s.batch_size, seed=seed, desc=name)
    return model, history, time.perf_counter() - start


def run(task: CTRTask, s: ctr.Settings, rates: dict[str, float], seeds=(0,), models=MODELS, log=print) -> Results:
    """Each model with the defaults and with its tuned rate, on every seed."""
    results = Results()
    for seed in seeds:
        for name in models:
            settings = {"defaults": DEFAULTS, "tuned": {"lr": rates[name]}}
            for label, kwargs in settings.items():
                model, history, seconds = train(name, task, s, seed=seed, **kwargs)
                terms = per_user(task.test, predict_logits(model, task.test)).drop(columns="accuracy")
                row = {"model": name, "setting": label, "seed": seed, "lr": kwargs["lr"],
                       "best epoch": history.best_epoch, "valid": history.best_value, "seconds": seconds,
                       **{m: float(terms[m].mean()) for m in ("auc", "uauc", "logloss")}}
                results.add(row, terms)
                log(f"{name:>10} | {label:>8} | seed {seed} | AUC {row['auc']:.4f} | LogLoss {row['logloss']:.4f}")
    return results


def main(argv=None) -> int:
    import argparse
    from pathlib import Path

    from .. import config
    from ..ctr_task import movielens_ctr
    from ..data import load_movielens

    parser = argparse.ArgumentParser(description="The article's Adam defaults against each model's tuned rate.")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/defaults/)")
    args = parser.parse_args(argv)
    rates_file = ctr.folder() / f"rates_{args.dataset}.json"
    if not rates_file.is_file():
        raise SystemExit(f"{rates_file} is missing: run `python -m recsys_course.experiments.ctr` first")
    task = movielens_ctr(load_movielens(args.dataset, verbose=False))
    results = run(task, settings(), json.loads(rates_file.read_text()), tuple(args.seeds))
    for path in results.save(Path(args.out or config.figures_dir() / "defaults"), args.dataset):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
