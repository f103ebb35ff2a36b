"""Lesson 05's tuning: every optimizer of every kind of Wide & Deep model gets the same budget on validation.

Each optimizer's two settings are chosen together on one 5 x 5 grid (:data:`GRIDS`, :data:`PAIRS`) by
validation AUC; ``python -m recsys_course run 05/wide_deep_tuning`` writes the chosen settings in two runs that
each fit the time budget (the halves, then the joint model), and ``05/wide_deep`` trains at them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ... import config
from ...evidence import edge_report
from ...tasks.ctr import CTRTask
from ...training.wide_deep import (
    KINDS,
    PAPER,
    Settings,
    load_settings,
    settings_name,
    train,
)
from . import LESSON
from .wide_deep import ID_FIELDS

HALVES = (
    "ids",
    "wide",
    "deep",
)  # the first tuning run; the joint model starts from the wide and deep choices
PAPER_ONLY = (PAPER,)  # UCI Adult's joint model trains only with the paper's pair

# The values :func:`tune` tries for each setting, on validation AUC. A first run had three values each and
# chose at an end of several (the wide model's L1 16, logistic regression's alpha 0.5, the joint model's alpha
# 0.05, one Adam's rate 3e-3, the split's wide rate 3e-3), so every grid now spans five.
GRIDS = {
    "ftrl_alpha": (0.02, 0.06, 0.2, 0.6, 2.0),
    "ftrl_l1": (0.0, 4.0, 16.0, 64.0, 256.0),
    "adagrad_lr": (0.003, 0.01, 0.03, 0.1, 0.3),
    "adagrad_weight_decay": (0.0, 1e-6, 1e-5, 1e-4, 1e-3),
    "adam_lr": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
    "adam_weight_decay": (0.0, 1e-6, 1e-5, 1e-4, 1e-3),
    "split_wide_lr": (1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
    "split_deep_lr": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
}
# Each optimizer's two settings, tuned together on one grid (5 x 5 = 25 settings for every optimizer of every
# kind of model: the same budget for all).
PAIRS = {
    PAPER: ("ftrl_alpha", "ftrl_l1"),  # a joint model's AdaGrad keeps the deep-only model's choice
    "AdaGrad": ("adagrad_lr", "adagrad_weight_decay"),
    "one Adam": ("adam_lr", "adam_weight_decay"),
    "Adam split": ("split_wide_lr", "split_deep_lr"),
}
# Which pairs each kind of model was tuned on (the rest it does not use, or takes from another kind).
TUNED_SETTINGS = {
    "ids": PAIRS[PAPER],
    "wide": PAIRS[PAPER],
    "deep": PAIRS["AdaGrad"],
    "joint": PAIRS[PAPER] + PAIRS["one Adam"] + PAIRS["Adam split"],
}
BUDGET = len(GRIDS["ftrl_alpha"]) * len(GRIDS["ftrl_l1"])  # settings per optimizer and kind of model


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


def tune(
    task: CTRTask,
    s: Settings,
    seed: int = 0,
    log=print,
    optimizers=tuple(PAIRS),
    grids: dict = GRIDS,
    kinds=KINDS,
    tuned: dict[str, Settings] | None = None,
) -> dict[str, Settings]:
    """Choose each kind of model's settings by validation AUC (seed 0): one :class:`Settings` per kind of
    :data:`recsys_course.training.wide_deep.KINDS` in ``kinds``, added to ``tuned`` (the kinds chosen before).

    Every optimizer gets the same budget, :data:`BUDGET` settings: the grid of its two settings in
    :data:`PAIRS`. Logistic regression on user and movie ids ("ids") and the wide-only model: FTRL's alpha
    and L1. Deep-only: AdaGrad's rate and weight decay. Joint: FTRL's alpha and L1 again, the deep part at
    the deep-only model's AdaGrad settings (the best settings for a part alone need not be the best inside
    the joint model); then one Adam's rate and weight decay, and the split Adam's two rates, each on its own
    grid. The joint model starts from the wide and deep models' choices, so they come first (in ``kinds``
    or in ``tuned``). ``optimizers`` leaves out the joint model's Adams (UCI Adult trains only the paper's
    pair); ``grids`` (default :data:`GRIDS`) are the values tried.
    """

    def best(start: Settings, names: tuple, on: CTRTask = task, **kwargs) -> Settings:
        scores = {}
        for a in grids[names[0]]:
            for b in grids[names[1]]:
                values = {names[0]: a, names[1]: b}
                _, history = train(on, replace(start, **values), seed=seed, **kwargs)
                scores[(a, b)] = history.best_value
                log(f"  {kwargs or 'joint'} {values}: validation AUC {history.best_value:.4f}")
        return replace(start, **dict(zip(names, max(scores, key=scores.get))))

    tuned = dict(tuned or {})
    if "ids" in kinds:
        tuned["ids"] = (
            best(s, PAIRS[PAPER], on=task.with_wide(ID_FIELDS), deep=False)
            if set(ID_FIELDS) <= set(task.wide_fields)
            else s
        )
    if "wide" in kinds:
        tuned["wide"] = best(s, PAIRS[PAPER], deep=False)
    if "deep" in kinds:
        tuned["deep"] = best(s, PAIRS["AdaGrad"], wide=False)
    if "joint" in kinds:
        if not {"wide", "deep"} <= set(tuned):
            raise ValueError(
                "the joint model starts from the wide and deep models' settings: tune those first "
                "(`python -m recsys_course run 05/wide_deep_tuning`, then `... --kinds joint`)"
            )
        wide, deep = tuned["wide"], tuned["deep"]
        joint = replace(
            s,
            ftrl_alpha=wide.ftrl_alpha,
            ftrl_l1=wide.ftrl_l1,
            adagrad_lr=deep.adagrad_lr,
            adagrad_weight_decay=deep.adagrad_weight_decay,
        )
        joint = best(joint, PAIRS[PAPER])
        for optimizer in ("one Adam", "Adam split"):
            if optimizer in optimizers:
                joint = best(joint, PAIRS[optimizer], optimizer=optimizer)
        tuned["joint"] = joint
    return tuned


def fast_grids() -> dict:
    """:data:`GRIDS`, or two values of each setting in FAST mode."""
    return {name: values[1:3] for name, values in GRIDS.items()} if config.fast_mode() else GRIDS


def saved_settings(out: Path, dataset: str) -> dict[str, Settings]:
    """The settings ``05/wide_deep_tuning`` saved for ``dataset`` in ``out`` (else the committed ones), every kind
    present; a clear error naming the experiment where they are missing."""
    for folder in (out, config.committed_results_dir(LESSON)):
        path = None if folder is None else Path(folder) / settings_name(dataset)
        if path is not None and path.is_file():
            tuned = load_settings(path)
            missing = [kind for kind in KINDS if kind not in tuned]
            if missing:
                raise ValueError(
                    f"{path} has no settings for {missing}: run `05/wide_deep_tuning --kinds {' '.join(missing)}`"
                )
            return tuned
    raise FileNotFoundError(
        f"no {settings_name(dataset)} in {out} or the committed results: run `python -m recsys_course run "
        "05/wide_deep_tuning`, then `... --kinds joint`, before 05/wide_deep"
    )
