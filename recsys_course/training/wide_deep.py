"""Wide & Deep's training recipe, shared by lessons 05 and 06: its settings, its model and its three optimizers.

:class:`Settings` holds the sizes and rates (lesson 05 chooses the rates on validation and commits them
with :func:`save_settings`); :func:`make_model` builds a :class:`~recsys_course.models.WideAndDeep`
for a CTR task, :func:`make_optimizer` one of :data:`OPTIMIZERS` - the paper's FTRL+L1 on the wide part with
AdaGrad on the deep part, one Adam, or Adam with a rate per part - and :func:`train` runs :func:`~.recipes.fit_ctr`.
:func:`committed_settings` reads the rates lesson 05's full-size run chose, for both lessons.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from .. import config
from ..models import WideAndDeep
from ..tasks.ctr import CTRTask
from .loop import History
from .optim import FTRL, Joint
from .recipes import fit_ctr


@dataclass(frozen=True)
class Settings:
    """Sizes and training settings of Wide & Deep. Lesson 05 chooses the optimizers' rates on validation.

    FTRL's ``beta`` and ``l1`` are in the units of one example's gradient,
    as in McMahan et al.; the loss here is a batch *mean*, so they are
    divided by the batch size when the optimizer is built (which gives
    exactly the same updates as a summed loss).
    """

    dim: int = 16  # embedding size of every deep field
    hidden: tuple = (256, 128, 64)  # the deep part's three ReLU layers
    batch_size: int = 1024
    max_epochs: int = 15
    patience: int = 2
    ftrl_alpha: float = 0.2
    ftrl_beta: float = 1.0
    ftrl_l1: float = 4.0
    adagrad_lr: float = 0.01
    adam_lr: float = 1e-3  # "one Adam"
    split_wide_lr: float = 1e-2  # "Adam split": the wide part's rate
    split_deep_lr: float = 1e-3  # ... and the deep part's


OPTIMIZERS = ("FTRL+L1 / AdaGrad", "one Adam", "Adam split")
PAPER = OPTIMIZERS[0]
KINDS = ("ids", "wide", "deep", "joint")  # each kind of model gets its own rates, chosen on validation
SETTINGS_HOME = "05_wide_and_deep"  # the lesson whose full-size run chooses the rates and commits them


def fast_settings(s: Settings) -> Settings:
    """``s`` shrunk for FAST mode: three epochs at most, a smaller deep part."""
    return replace(s, max_epochs=3, patience=1, hidden=(64, 32, 16))


def make_model(
    task: CTRTask, s: Settings, *, wide: bool = True, deep: bool = True, optimizer: str = PAPER, seed: int = 0
) -> WideAndDeep:
    """A fresh, seeded model for ``task``; the wide gradient is sparse only for FTRL, which can use it.

    On MovieLens the deep part also reads the liked history (its mean embedding).
    """
    torch.manual_seed(seed)
    return WideAndDeep(
        task.wide_size,
        task.deep_fields,
        dim=s.dim,
        hidden=s.hidden,
        n_dense=len(task.dense_names),
        history_items=task.n_items or None,
        wide=wide,
        deep=deep,
        sparse_wide=optimizer == PAPER,
    )


def make_optimizer(model: WideAndDeep, name: str, s: Settings):
    """One of :data:`OPTIMIZERS` over ``model``'s parts: the paper's pair, one Adam, or Adam with a rate per part."""
    wide, deep = model.wide_parameters(), model.deep_parameters()
    if name == PAPER:
        parts = []
        if wide:
            parts.append(
                FTRL(wide, alpha=s.ftrl_alpha, beta=s.ftrl_beta / s.batch_size, l1=s.ftrl_l1 / s.batch_size)
            )
        if deep:
            parts.append(torch.optim.Adagrad(deep, lr=s.adagrad_lr))
        return Joint(*parts)
    if name == "one Adam":
        return torch.optim.Adam(model.parameters(), lr=s.adam_lr)
    if name == "Adam split":
        groups = [{"params": wide, "lr": s.split_wide_lr}] if wide else []
        return torch.optim.Adam(groups + ([{"params": deep, "lr": s.split_deep_lr}] if deep else []))
    raise ValueError(f"unknown optimizer {name!r}; choose from {OPTIMIZERS}")


def train(
    task: CTRTask,
    s: Settings,
    *,
    wide: bool = True,
    deep: bool = True,
    optimizer: str = PAPER,
    seed: int = 0,
    record_test: bool = False,
    **fit_kwargs,
) -> tuple[WideAndDeep, History]:
    """Train one model with early stopping on validation AUC: ``(model with its best weights, history)``.

    Other keyword arguments (``clip_norm``, ``patience``, ...) go to :func:`~.recipes.fit_ctr`.
    """
    model = make_model(task, s, wide=wide, deep=deep, optimizer=optimizer, seed=seed)
    fit_kwargs = {"epochs": s.max_epochs, "patience": s.patience, "desc": optimizer, **fit_kwargs}
    history = fit_ctr(
        model,
        task,
        optimizer=make_optimizer(model, optimizer, s),
        batch_size=s.batch_size,
        seed=seed,
        record_test=record_test,
        **fit_kwargs,
    )
    return model, history


def save_settings(tuned: dict[str, Settings], path: Path) -> Path:
    """Write the settings of each kind of model as JSON."""
    path.write_text(json.dumps({kind: asdict(s) for kind, s in tuned.items()}, indent=1) + "\n")
    return path


def settings_name(dataset: str) -> str:
    """The file the chosen settings of ``dataset`` (``"adult"`` for UCI Adult) are saved in."""
    return f"wide_deep_{dataset}_settings.json"


def committed_settings(dataset: str = "ml-100k", default: Settings = Settings()) -> dict[str, Settings]:
    """The rates lesson 05's full-size run chose on ``dataset``'s validation split, per kind of model, from
    ``results/05_wide_and_deep/wide_deep_<dataset>_settings.json``; ``default`` where there are none.

    Lessons 05 and 06 both train Wide & Deep with them: rerunning ``05/wide_deep`` changes both.
    """
    folder = config.committed_results_dir(SETTINGS_HOME)
    return load_settings(None if folder is None else folder / settings_name(dataset), default)


def load_settings(path: Path | None, default: Settings = Settings()) -> dict[str, Settings]:
    """The settings per kind saved by :func:`save_settings` (tuples restored), or ``default`` for every kind."""
    if path is None or not path.is_file():
        return {kind: default for kind in KINDS}
    saved = json.loads(path.read_text())
    return {
        kind: replace(default, **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
        for kind, values in saved.items()
    }
