"""Lesson 03's full-size experiments, two runs of the command line that each fit the 20-minute budget.

    python -m recsys_course run 03/ncf --tune         # only choose the settings on validation (a new dataset)
    python -m recsys_course run 03/ncf                # the comparisons at the tuned size, over five seeds
    python -m recsys_course run 03/ncf_sizes          # NCF's models at the paper's other sizes (8, 16, 64)
    python -m recsys_course run 03/ncf --dataset ml-1m   # when ML-1M is in the cache: tuned first

:func:`run` writes ``results/03_neumf_with_pretraining/ncf_<dataset>*`` and EASE's validation grid
(``_ease.csv``), :func:`run_sizes` writes ``ncf_sizes_<dataset>*``; :func:`load_results` joins the two for the
claims, and each run redraws ``figures/03_ncf_<dataset>.png`` from what the folder holds (:mod:`.figures`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ... import config, plots
from ...data import load_movielens
from ...evidence import Results
from ...tasks import prepare_leave_one_out, to_implicit
from . import LESSON, figures, ncf, tuning


def _leave_one_out(dataset: str):
    data = load_movielens(dataset)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    print(data.summary())
    print(loo.describe())
    return data, loo


def _settings(loo, dataset: str, out: Path, retune: bool, may_tune: bool) -> ncf.Settings:
    """The tuned settings of ``dataset``: in :data:`.ncf.TUNED`, else from a tuning grid saved in ``out``,
    else (where ``may_tune``) chosen now on validation. ``retune`` chooses them again."""
    saved = tuning.grid_path(out, dataset)
    if dataset in ncf.TUNED and not retune:
        return ncf.TUNED[dataset]
    if saved.is_file() and not retune:
        print(f"settings from the tuning grid {saved}")
        return tuning.chosen(pd.read_csv(saved), ncf.TUNED.get(dataset, ncf.Settings()), dataset)
    if not may_tune:
        raise FileNotFoundError(
            f"no NCF settings are tuned on {dataset!r} and {saved} does not exist: choose them first with "
            f"`python -m recsys_course run 03/ncf --dataset {dataset} --tune`"
        )
    print(f"choosing settings on {dataset}'s validation split ...")
    start = time.perf_counter()
    s, _ = tuning.tune_and_save(loo, dataset, out)
    print(f"tuning: {time.perf_counter() - start:.0f} s")
    return s


def _finish(results: Results, s: ncf.Settings, data, out: Path, dataset: str, name: str) -> list[Path]:
    """Stamp the settings and dataset on every row, save as ``<name>_<dataset>``, and redraw the figure."""
    frame = results.frame()
    for column, value in ncf.settings_columns(s).items():
        frame[column] = value
    frame["dataset"] = data.name
    results.rows = frame.to_dict("records")
    return results.save(out, f"{name}_{dataset}") + _draw(out, dataset)


def _draw(out: Path, dataset: str) -> list[Path]:
    """The full-size figure from the results in ``out`` (once ``03/ncf``'s are there)."""
    joined = _load(out, dataset)
    if joined is None:
        print(f"no ncf_{dataset}.csv in {out} yet: `run 03/ncf` draws the figure")
        return []
    fig = figures.full_size_figure(joined, dataset)
    picture = plots.save_fig(fig, f"03_ncf_{dataset}")
    plt.close(fig)
    return picture


def run(
    dataset: str = "ml-100k",
    seeds=(0, 1, 2, 3, 4),
    out=None,
    factors=None,
    ratios=(1, 2, 4, 8, 16),
    tune: bool = False,
    retune: bool = False,
) -> list:
    """Every comparison at the tuned factor size (``factors`` to override it), over ``seeds``: popularity,
    EASE, NCF's models, GMF's negatives per positive, the tuned MF with and without decay on its biases, and
    NeuMF at its own tuned size and weight decay.
    Writes ncf_<dataset>.csv, its per-user results and curves, EASE's grid, and the figure.

    With ``tune``, only chooses the settings on validation; with ``retune``, chooses them again first. A dataset
    with no tuned settings is tuned first (or read from its saved grid). FAST mode caps the epochs."""
    data, loo = _leave_one_out(dataset)
    out = Path(out or config.results_dir(LESSON))
    if tune:
        return tuning.tune_and_save(loo, dataset, out)[1]
    s = _settings(loo, dataset, out, retune, may_tune=True)
    s = ncf.fast_settings(s) if config.fast_mode() else s
    start = time.perf_counter()
    results = Results()
    ncf.popularity(loo, results)
    _, ease_grid = ncf.ease(loo, s, results=results)
    print(ease_grid.round(4).to_string(index=False))
    for f in factors or (s.factors,):
        for seed in seeds:
            table, _ = ncf.compare_models(loo, replace(s, factors=f), seed=seed, results=results)
            print(f"factors={f} seed={seed} ({time.perf_counter() - start:.0f} s)")
            print(table[["hr@10", "ndcg@10", "best epoch"]].round(4).to_string())
    ncf.negative_ratio_sweep(loo, s, ratios, seeds, results=results)
    ncf.tuned_mf_runs(loo, s, seeds, decay_biases=(True, False), results=results)
    ncf.tuned_neumf_runs(loo, s, seeds, results=results)
    print(f"all runs: {time.perf_counter() - start:.0f} s")
    ease_csv = out / f"ncf_{dataset}_ease.csv"
    out.mkdir(parents=True, exist_ok=True)
    ease_grid.to_csv(ease_csv, index=False)
    return _finish(results, s, data, out, dataset, "ncf") + [ease_csv]


def run_sizes(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out=None, factors=None) -> list:
    """NCF's models at the paper's factor sizes other than the tuned one (``factors`` to choose them), over
    ``seeds``, with the tuned settings: writes ncf_sizes_<dataset>.csv and its per-user results, and redraws
    the figure. Its runs are :func:`run`'s at other sizes; :func:`load_results` joins the two."""
    out = Path(out or config.results_dir(LESSON))
    s = _settings(None, dataset, out, retune=False, may_tune=False)  # before the data: fails fast
    data, loo = _leave_one_out(dataset)
    s = ncf.fast_settings(s) if config.fast_mode() else s
    sizes = factors or [f for f in ncf.PAPER_FACTORS if f != s.factors]
    start = time.perf_counter()
    results = Results()
    for f in sizes:
        for seed in seeds:
            table, _ = ncf.compare_models(loo, replace(s, factors=f), seed=seed, results=results)
            print(f"factors={f} seed={seed} ({time.perf_counter() - start:.0f} s)")
            print(table[["hr@10", "ndcg@10", "best epoch"]].round(4).to_string())
    print(f"all runs: {time.perf_counter() - start:.0f} s")
    return _finish(results, s, data, out, dataset, "ncf_sizes")


def _load(folder: Path, dataset: str) -> Results | None:
    if not (Path(folder) / f"ncf_{dataset}.csv").is_file():
        return None
    parts = [Results.load(folder, f"ncf_{dataset}")]
    if (Path(folder) / f"ncf_sizes_{dataset}.csv").is_file():
        parts.append(Results.load(folder, f"ncf_sizes_{dataset}"))
    return Results.joined(*parts)


def load_results(dataset: str) -> Results | None:
    """The committed full-size results for ``dataset`` (``results/03_neumf_with_pretraining/``): ``03/ncf``'s
    runs joined with ``03/ncf_sizes``' where they exist, or None."""
    folder = config.committed_results_dir(LESSON)
    return None if folder is None else _load(folder, dataset)
