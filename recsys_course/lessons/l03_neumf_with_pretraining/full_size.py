"""Lesson 03's full-size experiment: every NCF comparison at the paper's factor sizes, over five seeds.

    python -m recsys_course run 03/ncf                        # ML-100K, factors 8 16 32 64, 5 seeds
    python -m recsys_course run 03/ncf --dataset ml-1m        # when ML-1M is in the cache
    python -m recsys_course run 03/ncf --tune                 # only choose the settings on validation

It chooses what early stopping does not on validation where the dataset has no tuned settings
(:mod:`.tuning`), runs :mod:`.ncf`'s experiments, writes ``results/03_neumf_with_pretraining/ncf_<dataset>*``
and EASE's validation grid (``_ease.csv``), and draws ``figures/03_ncf_<dataset>.png`` (:mod:`.figures`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt

from ... import config, plots
from ...data import load_movielens
from ...evidence import Results
from ...tasks import prepare_leave_one_out, to_implicit
from . import LESSON, figures, ncf, tuning


def run(
    dataset: str = "ml-100k",
    seeds=(0, 1, 2, 3, 4),
    out=None,
    factors=(8, 16, 32, 64),
    ratios=(1, 2, 4, 8, 16),
    tune: bool = False,
    retune: bool = False,
) -> list:
    """Every comparison at every factor size and seed: writes ncf_<dataset>.csv, its per-user results and curves,
    and a figure. With ``tune``, only chooses the settings on validation; with ``retune``, chooses them again
    first (as for a dataset with no tuned settings). FAST mode caps the epochs."""
    data = load_movielens(dataset)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    print(data.summary())
    print(loo.describe())
    out = out or config.results_dir(LESSON)
    if tune or retune or dataset not in ncf.TUNED:
        print(f"choosing settings on {dataset}'s validation split ...")
        start = time.perf_counter()
        s, written = tuning.tune_and_save(loo, dataset, out)
        print(f"tuning: {time.perf_counter() - start:.0f} s")
        if tune:
            return written
    else:
        s = ncf.TUNED[dataset]
    if config.fast_mode():
        s = ncf.fast_settings(s)
    start = time.perf_counter()
    results = Results()
    ncf.popularity(loo, results)
    _, ease_grid = ncf.ease(loo, s, results=results)
    print(ease_grid.round(4).to_string(index=False))
    for f in factors:
        for seed in seeds:
            table, _ = ncf.compare_models(loo, replace(s, factors=f), seed=seed, results=results)
            print(f"factors={f} seed={seed} ({time.perf_counter() - start:.0f} s)")
            print(table[["hr@10", "ndcg@10", "best epoch"]].round(4).to_string())
    ncf.negative_ratio_sweep(loo, s, ratios, seeds, results=results)
    ncf.tuned_mf_runs(loo, s, seeds, decay_biases=(True, False), results=results)
    print(f"all runs: {time.perf_counter() - start:.0f} s")
    frame = results.frame()
    for column, value in ncf.settings_columns(s).items():
        frame[column] = value
    frame["dataset"] = data.name
    results.rows = frame.to_dict("records")
    fig = figures.full_size_figure(results, dataset)
    picture = plots.save_fig(fig, f"03_ncf_{dataset}")
    plt.close(fig)
    ease_csv = Path(out) / f"ncf_{dataset}_ease.csv"
    written = results.save(out, f"ncf_{dataset}")
    ease_grid.to_csv(ease_csv, index=False)
    return written + [ease_csv] + picture


def load_results(dataset: str) -> Results | None:
    """The committed full-size results for ``dataset`` (``results/03_neumf_with_pretraining/``), or None."""
    return Results.committed(LESSON, f"ncf_{dataset}")
