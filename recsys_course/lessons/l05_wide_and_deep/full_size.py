"""Lesson 05's full-size runs: the settings chosen on validation, then every model on five seeds.

    python -m recsys_course run 05/wide_deep_tuning               # the halves: LR on ids, wide, deep
    python -m recsys_course run 05/wide_deep_tuning --kinds joint # the joint model, from the halves' choices
    python -m recsys_course run 05/wide_deep                      # every model at those settings; UCI Adult
    python -m recsys_course run 05/input_scaling                  # Adult's numbers raw against scaled

Each fits the 20-minute budget alone (:mod:`.tuning` chooses, :mod:`.wide_deep` trains and scores).
"""

from __future__ import annotations

from pathlib import Path

from ... import config
from ...data import load_adult, load_movielens
from ...tasks import adult_ctr, movielens_ctr
from ...training.wide_deep import (
    Settings,
    committed_settings,
    fast_settings,
    load_settings,
    save_settings,
    settings_name,
)
from . import LESSON, tuning, wide_deep


def run_tuning(
    dataset: str = "ml-100k", seeds=(0,), out: Path | None = None, kinds=tuning.HALVES
) -> list[Path]:
    """Choose the settings of ``kinds`` on ``dataset``'s validation split (the first of ``seeds``), keeping the
    other kinds' saved settings, and write them to ``wide_deep_<dataset>_settings.json``. Two runs, each within
    the 20-minute budget: the halves (the default: LR on ids, wide, deep), then ``--kinds joint``."""
    out = Path(out or config.results_dir(LESSON))
    out.mkdir(parents=True, exist_ok=True)
    path = out / settings_name(dataset)
    before = load_settings(path) if path.is_file() else {}
    shrink = fast_settings if config.fast_mode() else (lambda s: s)
    task = movielens_ctr(load_movielens(dataset))
    print(task.describe())
    print(f"tuning {', '.join(kinds)} on validation (seed {seeds[0]}) ...")
    tuned = tuning.tune(
        task, shrink(Settings()), seed=seeds[0], grids=tuning.fast_grids(), kinds=kinds, tuned=before
    )
    print(tuning.edges(tuned).to_string())
    return [save_settings(tuned, path)]


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list[Path]:
    """Every model on every seed at the settings ``05/wide_deep_tuning`` chose (:mod:`.tuning`), on MovieLens;
    then UCI Adult's settings chosen and linear vs Wide & Deep trained. Writes the results, one file per
    memorisation slice, and Adult's settings (FAST mode: smaller models, two values per setting)."""
    out = Path(out or config.results_dir(LESSON))
    out.mkdir(parents=True, exist_ok=True)
    shrink = fast_settings if config.fast_mode() else (lambda s: s)
    tuned = tuning.saved_settings(out, dataset)  # else a clear error naming 05/wide_deep_tuning
    task = movielens_ctr(load_movielens(dataset))
    print(task.describe())
    results = wide_deep.run_movielens(task, tuned, seeds)
    written = results["all"].save(out, f"wide_deep_{dataset}")
    for name in wide_deep.SLICES:
        if name in results:
            written += results[name].save(out, f"wide_deep_{dataset}_{wide_deep.slug(name)}")
    adult = adult_ctr(load_adult())
    print("tuning Adult's settings on validation ...")
    a = tuning.tune(adult, shrink(wide_deep.ADULT), optimizers=tuning.PAPER_ONLY, grids=tuning.fast_grids())
    written.append(save_settings(a, out / settings_name("adult")))
    written += wide_deep.run_adult(adult, a, seeds).save(out, "wide_deep_adult")
    return written


def run_input_scaling(dataset: str = "ml-100k", seeds=(0, 1, 2), out: Path | None = None) -> list[Path]:
    """Wide & Deep on UCI Adult with the five numbers fed raw, as TensorFlow's tutorial did, against the course's
    log1p and standardised ones, at the joint settings ``05/wide_deep`` chose for Adult (the raw side tunes its
    own AdaGrad rate); writes ``wide_deep_adult_scaling`` (the runs) and ``..._rates.csv`` (the raw side's grid)."""
    if dataset not in (
        "ml-100k",
        "adult",
    ):  # the command line's default names MovieLens; Adult is the only data
        raise ValueError(
            f"05/input_scaling trains on UCI Adult only, so --dataset {dataset} does not apply: omit it"
        )
    out = Path(out or config.results_dir(LESSON))
    out.mkdir(parents=True, exist_ok=True)
    path = out / settings_name("adult")
    joint = (load_settings(path) if path.is_file() else committed_settings("adult", wide_deep.ADULT))["joint"]
    joint = fast_settings(joint) if config.fast_mode() else joint
    table = load_adult()
    scaling, rates = wide_deep.input_scaling(adult_ctr(table), adult_ctr(table, numbers="raw"), joint, seeds)
    written = scaling.save(out, "wide_deep_adult_scaling")
    written.append(out / "wide_deep_adult_scaling_rates.csv")
    rates.to_csv(written[-1], index=False)
    return written
