"""Lesson 06's CTR benchmark (the article's chart 1): MF, FM, Wide & Deep, DeepFM and DIN on lesson 05's task.

Every model is trained on the same MovieLens CTR task (liked = 4-5 stars, split
per user by time), its Adam learning rate chosen on validation, and scored on
the same test users over several seeds; ``python -m recsys_course run 06/ctr_benchmark``
runs it at full size and commits the CSV and chart 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...models import DIN, FM, MF, DeepFM
from ...tasks.ctr import CTRTask
from ...training import History, fit_ctr, wide_deep
from . import LESSON


@dataclass(frozen=True)
class Settings:
    """What every model of the benchmark shares: embedding size, batch, epochs, early stopping, the rate grid."""

    dim: int = 16
    hidden: tuple = (256, 128, 64)  # DeepFM's tower
    din_hidden: tuple = (128, 64)  # DIN's tower (PReLU or Dice)
    batch_size: int = 1024
    max_epochs: int = 20
    patience: int = 2
    rates: tuple = (1e-3, 3e-3, 1e-2, 3e-2)  # Adam learning rates tried on validation, per model


def fast_settings(s: Settings) -> Settings:
    return replace(s, max_epochs=3, patience=1, hidden=(32, 16), din_hidden=(16,), rates=(1e-3,))


def build_model(name: str, task: CTRTask, s: Settings) -> nn.Module:
    """A fresh Adam-trained benchmark model (any of :data:`MODELS` but Wide & Deep) for ``task``."""
    n_dense = len(task.dense_names)
    builders: dict[str, Callable[[], nn.Module]] = {
        "MF": lambda: MF(task.n_users, task.n_items, dim=s.dim),
        "FM": lambda: FM(task.deep_fields, dim=s.dim, n_dense=n_dense),
        "DeepFM": lambda: DeepFM(task.deep_fields, dim=s.dim, n_dense=n_dense, hidden=s.hidden),
        "BaseModel": lambda: DIN(
            task.n_items, task.deep_fields, dim=s.dim, n_dense=n_dense, hidden=s.din_hidden, attention=False
        ),
        "DIN": lambda: DIN(task.n_items, task.deep_fields, dim=s.dim, n_dense=n_dense, hidden=s.din_hidden),
        "DIN + Dice": lambda: DIN(
            task.n_items, task.deep_fields, dim=s.dim, n_dense=n_dense, hidden=s.din_hidden, activation="dice"
        ),
    }
    if name not in builders:
        raise ValueError(f"no Adam-trained benchmark model {name!r}; choose from {sorted(builders)}")
    return builders[name]()


# The models in the order of the article's chart, each adding a source of nonlinearity to the one before,
# then the DIN paper's BaseModel (DIN without its activation unit) and DIN with Dice. Wide & Deep is
# lesson 05's joint model, built by :func:`train_model`.
MODELS = ("MF", "FM", "Wide & Deep", "DeepFM", "DIN", "BaseModel", "DIN + Dice")
CHART = ("MF", "FM", "Wide & Deep", "DeepFM", "DIN")  # the article's chart 1


def train_model(
    name: str, task: CTRTask, s: Settings, lr: float, seed: int, wide_deep_settings: dict | None = None
) -> tuple[nn.Module, History]:
    """Train one benchmark model; returns ``(model with its best weights, history)``.

    Wide & Deep is lesson 05's joint model trained as lesson 05 chose (FTRL+L1
    on the wide part, AdaGrad on the deep, rates from its validation search);
    the others use Adam at rate ``lr``.
    """
    if name == "Wide & Deep":
        tuned = wide_deep_settings or wide_deep.committed_settings()
        joint = replace(tuned["joint"], max_epochs=s.max_epochs, patience=s.patience, batch_size=s.batch_size)
        return wide_deep.train(task, joint, seed=seed)
    torch.manual_seed(seed)
    model = build_model(name, task, s)
    return model, fit_with_adam(model, task, s, lr, seed, desc=name)


def fit_with_adam(
    model: nn.Module,
    task: CTRTask,
    s: Settings,
    lr: float,
    seed: int,
    desc: str = "",
    weight_decay: float = 0.0,
    lr_patience: int | None = None,
) -> History:
    """Train ``model`` with Adam at rate ``lr`` (and ``weight_decay``) for the benchmark's epochs, patience and
    batch size; ``lr_patience`` adds ReduceLROnPlateau (None: a constant rate)."""
    return fit_ctr(
        model,
        task,
        optimizer=torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay),
        epochs=s.max_epochs,
        patience=s.patience,
        lr_patience=lr_patience,
        batch_size=s.batch_size,
        seed=seed,
        desc=desc,
    )


def tune(task: CTRTask, s: Settings, models=MODELS, seed: int = 0, log=print) -> dict[str, float]:
    """Each Adam-trained model's learning rate, chosen by validation AUC on ``seed``."""
    chosen = {}
    for name in models:
        if name == "Wide & Deep":
            continue
        scores = {}
        for lr in s.rates:
            _, history = train_model(name, task, s, lr, seed)
            scores[lr] = history.best_value
            log(f"  {name} lr {lr:g}: validation AUC {history.best_value:.4f}")
        chosen[name] = max(scores, key=scores.get)
    return chosen


def run_models(
    task: CTRTask,
    s: Settings,
    rates: dict[str, float],
    seeds=(0,),
    models=MODELS,
    log=print,
    wide_deep_settings: dict | None = None,
) -> Results:
    """Every model on every seed, scored on the test users (AUC, user-weighted AUC and LogLoss terms)."""
    results = Results()
    for seed in seeds:
        for name in models:
            model, history = train_model(name, task, s, rates.get(name, np.nan), seed, wide_deep_settings)
            metrics, terms = scored(task.test, predict_logits(model, task.test))
            row = {
                "model": name,
                "seed": seed,
                "lr": rates.get(name, np.nan),
                "best epoch": history.best_epoch,
                "valid": history.best_value,
                "seconds": history.seconds,
                "parameters": sum(p.numel() for p in model.parameters()),
                **metrics,
            }
            results.add(row, terms)
            log(
                f"{name:>12} | seed {seed} | AUC {row['auc']:.4f} | user-weighted {row['uauc']:.4f} "
                f"| LogLoss {row['logloss']:.4f} | {history.seconds:.0f} s"
            )
    return results


def benchmark_rates(
    dataset: str = "ml-100k", folder: Path | None = None, required: bool = True
) -> dict[str, float]:
    """Each model's Adam rate as the benchmark last chose it in ``folder`` (default ``results/06_training_discipline/``,
    ``results/fast/...`` in FAST mode), for the experiments that reuse it.

    A missing file is an error that names the benchmark, or ``{}`` when not ``required``.
    """
    import json

    path = Path(folder or config.results_dir(LESSON)) / f"ctr_benchmark_{dataset}_rates.json"
    if path.is_file():
        return json.loads(path.read_text())
    if required:
        raise FileNotFoundError(
            f"{path} is missing: run `python -m recsys_course run 06/ctr_benchmark` first"
        )
    return {}


def committed_rates(dataset: str = "ml-100k") -> dict[str, float]:
    """Each Adam-trained model's learning rate, as the committed full-size benchmark chose it on validation."""
    import json

    from ...evidence import committed_file

    return json.loads(
        committed_file(LESSON, f"ctr_benchmark_{dataset}_rates.json", "06/ctr_benchmark").read_text()
    )


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list:
    """Choose each model's Adam rate on validation (seed 0), then train every model on every seed; writes the
    results, the chosen rates and chart 1 (FAST: smaller models, fewer epochs, one rate)."""
    import json

    import matplotlib.pyplot as plt

    from ... import plots
    from ...data import load_movielens
    from ...tasks import movielens_ctr
    from . import figures

    out = Path(out or config.results_dir(LESSON))
    out.mkdir(parents=True, exist_ok=True)
    task = movielens_ctr(load_movielens(dataset))
    print(task.describe())
    s = fast_settings(Settings()) if config.fast_mode() else Settings()
    print("choosing each model's Adam rate on validation (seed 0) ...")
    rates = tune(task, s)
    rates_file = out / f"ctr_benchmark_{dataset}_rates.json"
    rates_file.write_text(json.dumps(rates, indent=1) + "\n")
    results = run_models(
        task, s, rates, tuple(seeds), wide_deep_settings=wide_deep.committed_settings(dataset)
    )
    plots.use_course_style()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    figures.benchmark_chart(results, CHART, axes)
    fig.tight_layout()
    picture = plots.save_fig(fig, f"06_ctr_benchmark_{dataset}")
    plt.close(fig)
    return [rates_file, *results.save(out, f"ctr_benchmark_{dataset}"), *picture]
