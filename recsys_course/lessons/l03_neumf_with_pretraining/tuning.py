"""Lesson 03's tuning: what early stopping does not choose, chosen on the validation split only.

MF's and NeuMF's size and weight decay on one grid (NeuMF's best size without decay is the lesson's), and the
fine-tuning learning rates of pretrained NeuMF for SGD and Adam; :func:`tune_and_save` writes the grid.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

from ... import config
from ...evidence.grids import edge_report
from ...models import MF, NeuMF
from ...tasks import LeaveOneOut
from ...training.optim import adam_with_weight_decay
from . import ncf
from .ncf import TUNED, Settings, finetune_optimizer, make_model, train


def tune(
    loo: LeaveOneOut,
    s: Settings,
    dataset: str,
    dims=(16, 32, 64, 128),
    decays=(0.0, 1e-6, 1e-5, 1e-4),
    factors=ncf.PAPER_FACTORS,
    sgd_lrs=(1e-3, 1e-2, 0.1, 1.0),
    adam_lrs=(3e-4, 1e-3, 3e-3, 1e-2),
    seed: int = 0,
) -> tuple[Settings, pd.DataFrame]:
    """Choose, on the validation split only, what early stopping does not: ``(settings, grid)``.

    MF's size and weight decay, and NeuMF's on the same grid of decays: NeuMF's best
    size without weight decay is the lesson's size for every model, its best (size,
    decay) the tuned NeuMF set against the tuned MF; and, at the lesson's size, the
    fine-tuning learning rates of pretrained NeuMF for SGD and for Adam. The grid
    holds the best validation score (``s.monitor``) of every candidate.
    """
    rows = []

    def trial(what, model, optimizer=None, evaluate_start=False, **row):
        history = train(
            model,
            loo,
            s,
            seed=seed,
            optimizer=optimizer,
            evaluate_start=evaluate_start,
            desc=f"tune {what} {row}",
        )
        rows.append({"what": what, **row, "valid": history.best_value, "best epoch": history.best_epoch})

    for dim in dims:
        for wd in decays:
            torch.manual_seed(seed)
            model = MF(loo.n_users, loo.n_items, dim=dim).to(config.get_device())
            trial("MF", model, adam_with_weight_decay(model, s.lr, wd), dim=dim, weight_decay=wd)
    for f in factors:
        for wd in decays:  # the same weight decays as MF's; without decay, plain Adam (the lesson's NeuMF)
            torch.manual_seed(seed)
            model = make_model("NeuMF (scratch)", loo, replace(s, factors=f))
            optimizer = adam_with_weight_decay(model, s.lr, wd) if wd else None
            trial("NeuMF", model, optimizer, factors=f, weight_decay=wd)
    size = replace(s, factors=_lesson_size(pd.DataFrame(rows)))
    pretrained = {}
    for name in ("GMF", "MLP"):
        torch.manual_seed(seed)
        pretrained[name] = make_model(name, loo, size)
        train(pretrained[name], loo, size, seed=seed, desc=f"tune: pretrain {name}")
    for opt, lrs in (("SGD", sgd_lrs), ("Adam", adam_lrs)):
        for lr in lrs:
            model = NeuMF.from_pretrained(pretrained["GMF"], pretrained["MLP"]).to(config.get_device())
            trial(
                f"fine-tune {opt}",
                model,
                finetune_optimizer(opt, model, replace(s, finetune_lr_sgd=lr, finetune_lr_adam=lr)),
                evaluate_start=True,
                factors=size.factors,
                lr=lr,
            )
    grid = pd.DataFrame(rows)
    return chosen(grid, s, dataset), grid


def _lesson_size(grid: pd.DataFrame) -> int:
    """The lesson's factor size: NeuMF's best on validation without weight decay, as every model trains."""
    neumf = grid[grid["what"] == "NeuMF"]
    plain = neumf[neumf["weight_decay"].fillna(0) == 0] if "weight_decay" in neumf else neumf
    return int(plain.loc[plain["valid"].idxmax(), "factors"])


def chosen(grid: pd.DataFrame, s: Settings, dataset: str) -> Settings:
    """The settings :func:`tune`'s ``grid`` chooses (each the best on validation; ties go to the first
    value tried), the rest taken from ``s`` - so a saved grid gives its settings back."""

    def best(what):
        part = grid[grid["what"] == what]
        return part.loc[part["valid"].idxmax()]

    neumf = best("NeuMF")
    return replace(
        s,
        tuned_on=dataset,
        factors=_lesson_size(grid),
        neumf_factors=int(neumf["factors"]),
        neumf_weight_decay=float(
            neumf.get("weight_decay", 0.0) if pd.notna(neumf.get("weight_decay")) else 0.0
        ),
        mf_dim=int(best("MF")["dim"]),
        mf_weight_decay=float(best("MF")["weight_decay"]),
        finetune_lr_sgd=float(best("fine-tune SGD")["lr"]),
        finetune_lr_adam=float(best("fine-tune Adam")["lr"]),
    )


def edges(grid: pd.DataFrame, s: Settings) -> pd.DataFrame:
    """Which of the settings ``s`` holds sit at an end of the ``grid`` they were chosen on (see
    :func:`~recsys_course.evidence.grids.edge_report`)."""
    part = lambda what: grid[grid["what"] == what]  # noqa: E731
    return edge_report(
        {
            "MF size": (part("MF")["dim"], s.mf_dim),
            "MF weight decay": (part("MF")["weight_decay"], s.mf_weight_decay),
            "NeuMF factors": (part("NeuMF")["factors"], s.factors),
            "tuned NeuMF size": (part("NeuMF")["factors"], s.neumf_factors),
            "tuned NeuMF weight decay": (part("NeuMF")["weight_decay"].fillna(0), s.neumf_weight_decay),
            "fine-tune SGD rate": (
                part("fine-tune SGD")["lr"],
                s.finetune_lr_sgd,
                part("fine-tune SGD")["valid"],
            ),
            "fine-tune Adam rate": (
                part("fine-tune Adam")["lr"],
                s.finetune_lr_adam,
                part("fine-tune Adam")["valid"],
            ),
        }
    )


def grid_path(out: Path, dataset: str) -> Path:
    """Where :func:`tune_and_save` writes the grid of ``dataset``."""
    return Path(out) / f"ncf_{dataset}_tuning.csv"


def tune_and_save(loo: LeaveOneOut, dataset: str, out: Path) -> tuple[Settings, list[Path]]:
    """:func:`tune` on ``dataset``; write its grid to ``ncf_<dataset>_tuning.csv`` and print the settings."""
    tuned, grid = tune(loo, TUNED.get(dataset, Settings()), dataset)
    Path(out).mkdir(parents=True, exist_ok=True)
    path = grid_path(out, dataset)
    grid.to_csv(path, index=False)
    print(grid.round(4).to_string(index=False))
    print(f"tuned settings (for TUNED in {ncf.__name__}): {tuned!r}")
    return tuned, [path]
