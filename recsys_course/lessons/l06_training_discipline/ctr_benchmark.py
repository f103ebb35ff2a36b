"""Lesson 06's CTR benchmark (the article's chart 1): LR, MF, FM, Wide & Deep, DeepFM, DCN and DIN on one task.

Every model is trained on the same MovieLens CTR task (liked = 4-5 stars, split
per user by time). Each Adam-trained model's learning rate and weight decay are
chosen together on one 4 x 4 grid by validation AUC, on a tuning seed the
reported seeds do not include; logistic regression on ids and Wide & Deep keep
the FTRL and AdaGrad settings lesson 05 chose on its own grids (5 x 5 per
optimiser, on seed 0, one of the reported seeds). Every model but MF and LR
reads the same fields and the liked history.
``python -m recsys_course run 06/ctr_tuning`` chooses the settings and ``06/ctr_benchmark`` trains every model at
them on five seeds, each within the full-size budget; they commit the CSVs and chart 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...models import DCN, DIN, FM, MF, DeepFM
from ...tasks.ctr import CTRTask
from ...training import History, fit_ctr, wide_deep
from . import LESSON

TUNING_SEED = 5  # the seed every grid run uses; the reported runs use seeds 0-4
ID_FIELDS = ("user", "movie")  # logistic regression on ids reads these wide fields only (lesson 05's floor)


@dataclass(frozen=True)
class Settings:
    """What every model of the benchmark shares: embedding size, batch, epochs, early stopping, the grid."""

    dim: int = 16
    hidden: tuple = (256, 128, 64)  # DeepFM's tower
    din_hidden: tuple = (128, 64)  # DIN's tower (PReLU or Dice)
    batch_size: int = 1024
    max_epochs: int = 40
    patience: int = 2
    rates: tuple = (1e-3, 3e-3, 1e-2, 3e-2)  # Adam learning rates tried on validation, per model ...
    decays: tuple = (0.0, 1e-5, 1e-4, 1e-3)  # ... each with every weight decay (L2 inside Adam)


def fast_settings(s: Settings) -> Settings:
    return replace(
        s, max_epochs=3, patience=1, hidden=(32, 16), din_hidden=(16,), rates=(1e-3,), decays=(0.0,)
    )


def build_model(name: str, task: CTRTask, s: Settings, dropout: float = 0.0) -> nn.Module:
    """A fresh Adam-trained benchmark model (any of :data:`MODELS` but LR and Wide & Deep) for ``task``.

    FM, DeepFM, DCN and the DIN models read the same fields, dense inputs and liked history (pooled by a mean,
    or by DIN's attention); MF reads the user and the movie. DCN is DCN-V2 with three cross layers beside
    DeepFM's tower. ``dropout`` follows each hidden layer of DeepFM's
    tower (the DIN towers have none).
    """
    n_dense, history = len(task.dense_names), task.n_items or None
    # DeepFM and DCN: the same field vectors and history, and the same ReLU tower beside their crosses
    towered = dict(dim=s.dim, n_dense=n_dense, hidden=s.hidden, dropout=dropout, history_items=history)
    builders: dict[str, Callable[[], nn.Module]] = {
        "MF": lambda: MF(task.n_users, task.n_items, dim=s.dim),
        "FM": lambda: FM(task.deep_fields, dim=s.dim, n_dense=n_dense, history_items=history),
        "DeepFM": lambda: DeepFM(task.deep_fields, **towered),
        "DCN": lambda: DCN(task.deep_fields, **towered),
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


# The models in the order of the article's chart, after the floor (logistic regression on user and movie
# ids, lesson 05's strong simple baseline) and with DCN-V2 beside DeepFM (the article's FAQ names both as
# the better trade than a wide side), then the DIN paper's BaseModel (DIN without its activation unit)
# and DIN with Dice. LR and Wide & Deep are lesson 05's models, built by :func:`train_model`.
MODELS = ("LR", "MF", "FM", "Wide & Deep", "DeepFM", "DCN", "DIN", "BaseModel", "DIN + Dice")
CHART = ("LR", "MF", "FM", "Wide & Deep", "DeepFM", "DIN")  # the article's chart 1, on the floor of LR
LESSON_05 = ("LR", "Wide & Deep")  # trained with lesson 05's optimizers and its validation-chosen settings
ADAM_MODELS = tuple(m for m in MODELS if m not in LESSON_05)


def task_for(name: str, task: CTRTask) -> CTRTask:
    """The task ``name`` reads: LR's wide part has only the user and movie ids, every other model the full task."""
    return task.with_wide(ID_FIELDS) if name == "LR" else task


def train_model(
    name: str,
    task: CTRTask,
    s: Settings,
    setting: dict | None,
    seed: int,
    wide_deep_settings: dict | None = None,
) -> tuple[nn.Module, History]:
    """Train one benchmark model; returns ``(model with its best weights, history)``.

    ``setting`` holds an Adam model's ``lr`` and ``weight_decay``. LR and
    Wide & Deep are lesson 05's models trained as lesson 05 chose (FTRL+L1 on
    the wide part, AdaGrad on the deep, each setting from its validation
    grid), with the benchmark's epochs, patience and batch; pass LR
    :func:`task_for`'s task.
    """
    if name in LESSON_05:
        tuned = wide_deep_settings or wide_deep.committed_settings()
        kind = "ids" if name == "LR" else "joint"
        chosen = replace(tuned[kind], max_epochs=s.max_epochs, patience=s.patience, batch_size=s.batch_size)
        return wide_deep.train(task, chosen, seed=seed, deep=name != "LR")
    torch.manual_seed(seed)
    model = build_model(name, task, s)
    setting = setting or {}
    return model, fit_with_adam(
        model,
        task,
        s,
        setting.get("lr", 1e-3),
        seed,
        desc=name,
        weight_decay=setting.get("weight_decay", 0.0),
    )


def fit_with_adam(
    model: nn.Module,
    task: CTRTask,
    s: Settings,
    lr: float,
    seed: int,
    desc: str = "",
    weight_decay: float = 0.0,
    **fit_kwargs,
) -> History:
    """Train ``model`` with Adam at rate ``lr`` (and ``weight_decay``) for the benchmark's epochs, patience and
    batch size, at a constant rate; other keyword arguments (``lr_patience``, ``clip_norm``, ``patience``, ...)
    go to :func:`~recsys_course.training.fit_ctr`."""
    kwargs = {"epochs": s.max_epochs, "patience": s.patience, **fit_kwargs}
    return fit_ctr(
        model,
        task,
        optimizer=torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay),
        batch_size=s.batch_size,
        seed=seed,
        desc=desc,
        **kwargs,
    )


def tune(
    task: CTRTask, s: Settings, models=ADAM_MODELS, seed: int = TUNING_SEED, log=print
) -> tuple[dict[str, dict], pd.DataFrame]:
    """Each Adam-trained model's rate and weight decay, chosen together by validation AUC on ``seed``.

    Returns ``({model: {"lr", "weight_decay"}}, the grid: one row per model and setting)``; ties go to the
    first setting of the grid (the smaller rate, then the smaller decay).
    """
    rows = []
    for name in models:
        if name in LESSON_05:
            continue
        for lr in s.rates:
            for decay in s.decays:
                _, history = train_model(name, task, s, {"lr": lr, "weight_decay": decay}, seed)
                rows.append(
                    {
                        "model": name,
                        "lr": lr,
                        "weight_decay": decay,
                        "valid": history.best_value,
                        "best epoch": history.best_epoch,
                    }
                )
                log(f"  {name} lr {lr:g} decay {decay:g}: validation AUC {history.best_value:.4f}")
    grid = pd.DataFrame(rows)
    return choices(grid), grid


def merged_grid(saved: pd.DataFrame | None, new: pd.DataFrame, s: Settings | None = None) -> pd.DataFrame:
    """``new``'s rows with the rows ``saved`` holds for the other models, in the order of :data:`ADAM_MODELS`;
    with ``s``, saved rows off its grid (an older grid's) are dropped, so a choice never mixes two grids."""
    if saved is not None:
        others = saved[~saved["model"].isin(set(new["model"]))]
        if s is not None:
            on = lambda column, values: np.isclose(others[column].to_numpy()[:, None], values).any(axis=1)  # noqa: E731
            others = others[on("lr", s.rates) & on("weight_decay", s.decays)]
        new = pd.concat([others, new], ignore_index=True)
    order = {name: k for k, name in enumerate(ADAM_MODELS)}
    return new.sort_values("model", key=lambda m: m.map(order), kind="stable").reset_index(drop=True)


def choices(grid: pd.DataFrame) -> dict[str, dict]:
    """Each model's setting with the best validation AUC in ``grid`` (ties: the first row, the smaller values)."""
    chosen = {}
    for name, rows in grid.groupby("model", sort=False):
        best = rows.loc[rows["valid"].idxmax()]
        chosen[name] = {"lr": float(best["lr"]), "weight_decay": float(best["weight_decay"])}
    return chosen


def run_models(
    task: CTRTask,
    s: Settings,
    settings: dict[str, dict],
    seeds=(0,),
    models=MODELS,
    log=print,
    wide_deep_settings: dict | None = None,
) -> Results:
    """Every model on every seed, scored on the test users (AUC, user-weighted AUC and LogLoss terms)."""
    results = Results()
    tasks = {name: task_for(name, task) for name in models}
    for seed in seeds:
        for name in models:
            setting = settings.get(name, {})
            model, history = train_model(name, tasks[name], s, setting, seed, wide_deep_settings)
            metrics, terms = scored(task.test, predict_logits(model, tasks[name].test))
            row = {
                "model": name,
                "seed": seed,
                "lr": setting.get("lr", np.nan),
                "weight_decay": setting.get("weight_decay", np.nan),
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


def edges(grid: pd.DataFrame, settings: dict[str, dict], s: Settings = Settings()) -> pd.DataFrame:
    """Which chosen rates and decays sit at an end of their grid (:func:`recsys_course.evidence.edge_report`)."""
    from ...evidence.grids import edge_report

    choices = {}
    for name, chosen in settings.items():
        for key, values in (("lr", s.rates), ("weight_decay", s.decays)):
            choices[f"{name} {key}"] = (values, chosen[key])
    return edge_report(choices)


def benchmark_settings(
    dataset: str = "ml-100k", folder: Path | None = None, required: bool = True
) -> dict[str, dict]:
    """Each Adam model's rate and weight decay as the benchmark last chose them in ``folder`` (default
    ``results/06_training_discipline/``, ``results/fast/...`` in FAST mode), for the experiments that reuse them.

    A missing file is an error that names the benchmark, or ``{}`` when not ``required``.
    """
    import json

    path = Path(folder or config.results_dir(LESSON)) / f"ctr_benchmark_{dataset}_settings.json"
    if path.is_file():
        return json.loads(path.read_text())
    if required:
        raise FileNotFoundError(f"{path} is missing: run `python -m recsys_course run 06/ctr_tuning` first")
    return {}


def committed_settings(dataset: str = "ml-100k") -> dict[str, dict]:
    """Each Adam-trained model's rate and weight decay, as the committed full-size benchmark chose them."""
    import json

    from ...evidence import committed_file

    return json.loads(
        committed_file(LESSON, f"ctr_benchmark_{dataset}_settings.json", "06/ctr_tuning").read_text()
    )


# At full size the grid runs as two groups (``06/ctr_tuning --models ...``), each within the 20-minute budget
TUNING_GROUPS = (("MF", "FM", "DeepFM", "DCN"), ("DIN", "BaseModel", "DIN + Dice"))


def run_tuning(
    dataset: str = "ml-100k", seeds=(TUNING_SEED,), out: Path | None = None, models=ADAM_MODELS
) -> list:
    """Choose the rate and weight decay of each of ``models`` on validation (on the tuning seed, ``seeds[0]``),
    keeping the saved grid rows of the other models; writes the grid and every model's chosen settings, which
    ``06/ctr_benchmark`` trains at (FAST: smaller models, one setting)."""
    import json

    from ...data import load_movielens
    from ...tasks import movielens_ctr

    unknown = sorted(set(models) - set(ADAM_MODELS))
    if unknown:
        raise ValueError(f"no Adam-trained benchmark model {unknown}; choose from {list(ADAM_MODELS)}")
    out = Path(out or config.results_dir(LESSON))
    out.mkdir(parents=True, exist_ok=True)
    grid_file = out / f"ctr_benchmark_{dataset}_tuning.csv"
    task = movielens_ctr(load_movielens(dataset))
    print(task.describe())
    s = fast_settings(Settings()) if config.fast_mode() else Settings()
    seed = tuple(seeds)[0]
    print(f"choosing the rate and weight decay of {', '.join(models)} on validation (seed {seed}) ...")
    _, grid = tune(task, s, models=tuple(models), seed=seed)
    grid = merged_grid(pd.read_csv(grid_file) if grid_file.is_file() else None, grid, s)
    grid.to_csv(grid_file, index=False)
    chosen = choices(grid)
    settings_file = out / f"ctr_benchmark_{dataset}_settings.json"
    settings_file.write_text(json.dumps(chosen, indent=1) + "\n")
    print(edges(grid, chosen, s))
    missing = [m for m in ADAM_MODELS if m not in chosen]
    if missing:
        print(f"not tuned yet: {', '.join(missing)} (run 06/ctr_tuning --models with them)")
    return [grid_file, settings_file]


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list:
    """Train every model on every seed at the settings ``06/ctr_tuning`` chose (it runs first); writes the results
    and chart 1 (FAST: smaller models, fewer epochs)."""
    import matplotlib.pyplot as plt

    from ... import plots
    from ...data import load_movielens
    from ...tasks import movielens_ctr
    from . import figures

    out = Path(out or config.results_dir(LESSON))
    out.mkdir(parents=True, exist_ok=True)
    chosen = benchmark_settings(dataset, out)
    missing = [m for m in ADAM_MODELS if m not in chosen]
    if missing:
        raise ValueError(
            f"{', '.join(missing)} not tuned yet: run `python -m recsys_course run 06/ctr_tuning --models "
            f"{' '.join(repr(m) if ' ' in m else m for m in missing)}` first"
        )
    task = movielens_ctr(load_movielens(dataset))
    s = fast_settings(Settings()) if config.fast_mode() else Settings()
    results = run_models(
        task, s, chosen, tuple(seeds), wide_deep_settings=wide_deep.committed_settings(dataset)
    )
    plots.use_course_style()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    figures.benchmark_chart(results, CHART, axes, trend=CHART[1:])
    fig.tight_layout()
    picture = plots.save_fig(fig, f"06_ctr_benchmark_{dataset}")
    plt.close(fig)
    return [*results.save(out, f"ctr_benchmark_{dataset}"), *picture]
