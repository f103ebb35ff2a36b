"""Lesson 04's full-size experiment: both stages, end to end - towers, rankers, and retrieval as the catalogue grows.

    python -m recsys_course run 04/two_stage            # ML-100K, four seeds, catalogues up to 10^6 items
    python -m recsys_course run 04/two_stage --redraw   # only the crossover and the figure, from saved timings
    python -m recsys_course run 04/two_stage --reuse-timings  # every model again, the saved timings kept

It trains every tower variant, popularity and MF on each seed (:mod:`.towers`), the plain- and
weighted-LR rankers on each seed (:mod:`.ranker`), and measures exact search and faiss indexes
at growing catalogue sizes and the ranker's latency (:mod:`.scaling`). Latencies are measured
with the threads torch and faiss use by default (the CSV names them): time it alone.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ... import config, plots
from ...data import load_movielens
from ...evidence import Results
from ...tasks import prepare_leave_one_out, prepare_next_watch, to_implicit
from ...tasks.next_watch import split_latest
from . import LESSON, figures, ranker, scaling
from .towers import (
    BUDGET_MS,
    RANKER_EXAMPLES_PER_USER,
    Settings,
    best_variant,
    compare_towers,
    fast_settings,
    query_vectors,
    ranking_features,
    train_tower,
)

TABLES = ("retrieval_scaling", "ranker_latency", "crossover")


def run(
    dataset: str = "ml-100k",
    seeds=(0, 1, 2, 3),
    out=None,
    sizes=(10_000, 100_000, 1_000_000),
    redraw: bool = False,
    reuse_timings: bool = False,
) -> list[Path]:
    """Everything lesson 04 measures, at full size; writes the CSVs the notebook reads and the scaling figure.

    With ``redraw``, only recomputes the crossover and redraws the figure from the saved measurements;
    with ``reuse_timings``, trains and scores every model again but keeps the saved retrieval and latency
    timings (they depend on the vectors' shape and the machine, not on the models' quality).
    FAST mode shrinks the towers' training and measures the smallest catalogue only.
    """
    out = Path(out or config.results_dir(LESSON))

    def saved_timings():
        sweep = pd.read_csv(out / f"retrieval_scaling_{dataset}.csv").fillna({"parameter": ""})
        return sweep, pd.read_csv(out / f"ranker_latency_{dataset}.csv")

    if redraw:
        sweep, ranking = saved_timings()
        cross = scaling.crossover(sweep, ranking, budget_ms=BUDGET_MS)
        cross.to_csv(out / f"crossover_{dataset}.csv", index=False)
        return [out / f"crossover_{dataset}.csv", *_draw(sweep, ranking, cross, dataset)]
    start = time.perf_counter()
    ml = load_movielens(dataset)
    data = prepare_next_watch(ml.ratings, ml.users, ml.n_items)
    loo = prepare_leave_one_out(to_implicit(ml.ratings), ml.n_users, ml.n_items, n_neg=99, seed=0)
    print(ml.summary())
    print(data.describe())
    s, keep = (fast_settings(Settings()) if config.fast_mode() else Settings()), {}
    sizes = sizes[:1] if config.fast_mode() else sizes
    towers = compare_towers(data, s, seeds, sampled_candidates=loo.test_candidates, keep=keep)
    print(
        towers.frame()[["model", "seed", "recall@10", "recall@50", "valid", "epochs run"]]
        .round(4)
        .to_string()
    )
    print(f"towers: {time.perf_counter() - start:.0f} s")

    best = best_variant(towers)
    cut, later = split_latest(data, RANKER_EXAMPLES_PER_USER)
    rankers = Results()
    for seed in seeds:
        tower, _ = train_tower(best, cut, s, seed)
        features = ranking_features(ml, cut, tower)
        trained = ranker.compare_rankers(tower, cut, later, features, s, seed, rankers, progress=False)
    print(rankers.frame().round(4).to_string())
    print(f"rankers: {time.perf_counter() - start:.0f} s")

    model = keep[best, seeds[0]]
    if reuse_timings:
        sweep, ranking = saved_timings()
    else:
        sweep = scaling.index_sweep(
            model.item_vectors().detach().cpu().numpy(), query_vectors(model, data), sizes
        )
        ranking = scaling.ranker_latency(
            trained["weighted LR"], data.n_items, data.user_features[0], sorted({100, 1_000, 10_000, *sizes})
        )
    cross = scaling.crossover(sweep, ranking, budget_ms=BUDGET_MS)
    print(sweep.round(4).to_string())
    print(ranking.round(3).to_string())
    print(cross.round(3).to_string())
    print(f"all: {time.perf_counter() - start:.0f} s")

    out.mkdir(parents=True, exist_ok=True)
    written = towers.save(out, f"towers_{dataset}") + rankers.save(out, f"rankers_{dataset}")
    for name, frame in zip(TABLES, (sweep, ranking, cross)):
        frame.to_csv(out / f"{name}_{dataset}.csv", index=False)
        written.append(out / f"{name}_{dataset}.csv")
    return written + _draw(sweep, ranking, cross, dataset)


def _draw(sweep: pd.DataFrame, ranking: pd.DataFrame, cross: pd.DataFrame, dataset: str) -> list:
    """The full-size retrieval figure, saved as ``figures/04_retrieval_scaling_<dataset>.png``."""
    plots.use_course_style()
    fig = figures.scaling_figure(sweep, ranking, cross, BUDGET_MS)
    paths = plots.save_fig(fig, f"04_retrieval_scaling_{dataset}")
    plt.close(fig)
    return paths


def load_results(dataset: str = "ml-100k") -> dict | None:
    """The committed full-size results (``results/04_youtube_two_stage/``), or None where there are none."""
    towers = Results.committed(LESSON, f"towers_{dataset}")
    if towers is None:
        return None
    folder = config.committed_results_dir(LESSON)
    tables = {name: pd.read_csv(folder / f"{name}_{dataset}.csv") for name in TABLES}
    # exact, flat
    tables["retrieval_scaling"]["parameter"] = tables["retrieval_scaling"]["parameter"].fillna("")
    return {"towers": towers, "rankers": Results.committed(LESSON, f"rankers_{dataset}"), **tables}
