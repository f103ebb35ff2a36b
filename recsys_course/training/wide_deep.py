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
    exactly the same updates as a summed loss). Two differences from the
    paper's per-example algorithm remain: FTRL sees one gradient per batch,
    so its ``n`` accumulates the square of a coordinate's batch-summed
    gradient rather than the sum of each example's square (its rates fall
    more slowly where a batch's examples disagree, faster where they agree);
    and its ``l2`` would need
    the same division, which is why none is used here.
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
    adagrad_weight_decay: float = 0.0  # L2 on the deep part, inside AdaGrad
    adam_lr: float = 1e-3  # "one Adam"
    adam_weight_decay: float = 0.0  # ... and its L2 on the deep part (none on the lazy wide table)
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
    """A fresh, seeded model for ``task``, its wide table's gradient sparse (FTRL and the lazy Adam of
    :func:`make_optimizer` update only the rows a batch used).

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
        sparse_wide=optimizer in OPTIMIZERS,
    )


def make_optimizer(model: WideAndDeep, name: str, s: Settings):
    """One of :data:`OPTIMIZERS` over ``model``'s parts: the paper's pair, one Adam, or Adam with a rate per part.

    The wide table is sparse (a few of its millions of rows per batch), so both Adams are *lazy* on it, as
    TensorFlow's LazyAdam: ``SparseAdam`` moves only the rows a batch used and leaves the others' moments
    alone, where dense Adam would keep moving every row on its stale momentum. The deep part's weight decay
    (L2 inside the optimizer) is a setting of AdaGrad and of one Adam; the wide table's regulariser is FTRL's L1.
    """
    wide, deep = model.wide_parameters(), model.deep_parameters()
    if name == PAPER:
        parts = []
        if wide:
            parts.append(
                FTRL(wide, alpha=s.ftrl_alpha, beta=s.ftrl_beta / s.batch_size, l1=s.ftrl_l1 / s.batch_size)
            )
        if deep:
            parts.append(torch.optim.Adagrad(deep, lr=s.adagrad_lr, weight_decay=s.adagrad_weight_decay))
        return Joint(*parts)
    if name == "one Adam":
        return _lazy_adam(model, s.adam_lr, s.adam_lr, s.adam_weight_decay)
    if name == "Adam split":
        return _lazy_adam(model, s.split_wide_lr, s.split_deep_lr, 0.0)
    raise ValueError(f"unknown optimizer {name!r}; choose from {OPTIMIZERS}")


def _lazy_adam(model: WideAndDeep, wide_lr: float, deep_lr: float, weight_decay: float) -> Joint:
    """SparseAdam on the wide table, Adam on the rest: the wide bias at ``wide_lr``, the deep part at ``deep_lr``
    with ``weight_decay``."""
    parts, groups = [], []
    if model.wide is not None:
        parts.append(torch.optim.SparseAdam([model.wide.weight], lr=wide_lr))
        groups.append({"params": [model.bias], "lr": wide_lr})
    deep = [p for p in model.deep_parameters() if p is not model.bias]
    if deep:
        groups.append({"params": deep, "lr": deep_lr, "weight_decay": weight_decay})
    if model.wide is None:  # a deep-only model's bias is a deep parameter
        groups.append({"params": [model.bias], "lr": deep_lr})
    return Joint(*parts, torch.optim.Adam(groups))


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
