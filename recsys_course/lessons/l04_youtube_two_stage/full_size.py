"""Lesson 04's full-size experiments: the candidate towers, the rankers, and serving as the catalogue grows.

    python -m recsys_course run 04/towers               # ML-100K, four seeds: towers and baselines
    python -m recsys_course run 04/tower_tuning         # the loss variants: one grid each (--group loss)
    python -m recsys_course run 04/tuned_towers         # ... then four seeds at each one's best setting
    python -m recsys_course run 04/tower_tuning --group in-batch   # likewise --group history; then
    python -m recsys_course run 04/tuned_towers --group in-batch   # ... 04/tuned_towers for the same group
    python -m recsys_course run 04/mf_tuning            # the MF baseline, given the same tuning budget
    python -m recsys_course run 04/rankers              # four seeds: the rankers on the chosen tower's lists
    python -m recsys_course run 04/serving              # catalogues up to 10^6 items, whole-request timings
    python -m recsys_course run 04/serving --redraw     # only the tables and the figure, from saved timings

``towers`` trains every tower variant, popularity, EASE and MF on each seed at shared settings
(:mod:`.towers`); ``tower_tuning`` gives each variant a claim compares one grid (a group of variants per
run), ``tuned_towers`` trains them at their best, and ``mf_tuning`` gives the MF baseline as many settings
(:mod:`.tuning`); ``rankers`` trains the variant ``towers`` chose on validation on the ranker's cut of
the data and the plain- and weighted-LR rankers (:mod:`.ranker`). ``serving`` trains that tower and its
weighted-LR ranker once, builds exact search and faiss indexes over catalogues made from the learned item
vectors and times whole requests (:mod:`.scaling`). Latencies use the threads torch and faiss use by
default (the CSVs name them): time it alone.
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
from . import LESSON, catalogues, figures, ranker, scaling, tuning
from .towers import (
    RANKER_EXAMPLES_PER_USER,
    Settings,
    best_variant,
    compare_towers,
    fast_settings,
    ranking_features,
    split_queries,
    train_tower,
)

SERVING_TABLES = ("retrieval_scaling", "request_latency", "crossover", "catalogue_structure")
DEFAULT_VARIANT = "in-batch + logQ"  # served where no towers results exist to choose on validation


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3), out=None) -> list[Path]:
    """Every candidate-tower variant and baseline at full size; writes ``towers_<dataset>`` for the notebook."""
    out = Path(out or config.results_dir(LESSON))
    start = time.perf_counter()
    ml = load_movielens(dataset)
    data = prepare_next_watch(ml.ratings, ml.users, ml.n_items)
    loo = prepare_leave_one_out(to_implicit(ml.ratings), ml.n_users, ml.n_items, n_neg=99, seed=0)
    print(ml.summary())
    print(data.describe())
    s = fast_settings(Settings()) if config.fast_mode() else Settings()
    towers = compare_towers(data, s, seeds, sampled_candidates=loo.test_candidates)
    print(
        towers.frame()[["model", "seed", "recall@10", "recall@50", "valid", "epochs run"]]
        .round(4)
        .to_string()
    )
    print(f"towers: {time.perf_counter() - start:.0f} s")
    out.mkdir(parents=True, exist_ok=True)
    return towers.save(out, f"towers_{dataset}")


def _next_watch(dataset: str) -> tuple:
    """``(MovieLens, next-watch task, settings)`` for ``dataset``: FAST mode's settings where it is on."""
    ml = load_movielens(dataset)
    return (
        ml,
        prepare_next_watch(ml.ratings, ml.users, ml.n_items),
        fast_settings(Settings()) if config.fast_mode() else Settings(),
    )


def run_tower_tuning(
    dataset: str = "ml-100k", seeds=(0,), out=None, group: str = "loss", extend: bool = False
) -> list[Path]:
    """One :data:`~.tuning.GROUPS` of the variants a claim compares, each given one grid of learning rate and
    temperature on validation (the first of ``seeds``): writes ``tower_tuning_<dataset>_<group>_grid.csv``, which
    ``04/tuned_towers`` trains from. ``extend`` keeps the rows of the grid saved in ``out`` that the grid still
    holds and trains only the settings it lacks."""
    out = Path(out or config.results_dir(LESSON))
    name = f"tower_tuning_{dataset}_{group}_grid.csv"
    done = _earlier_grid(out / name, f"04/tower_tuning --group {group}") if extend else None
    start = time.perf_counter()
    ml, data, s = _next_watch(dataset)
    small = dict(lrs=tuning.LRS[1:2], temperatures=tuning.TEMPERATURES[:2]) if config.fast_mode() else {}
    grid = tuning.tune_variants(data, s, tuning.GROUPS[group], seed=seeds[0], done=done, **small)
    print(grid.round(4).to_string(index=False))  # FAST mode: two settings each
    print(tuning.edges(grid).to_string())
    print(f"grid: {time.perf_counter() - start:.0f} s")
    out.mkdir(parents=True, exist_ok=True)
    grid.to_csv(out / name, index=False)
    return [out / name]


def run_tuned_towers(
    dataset: str = "ml-100k", seeds=(0, 1, 2, 3), out=None, group: str = "loss"
) -> list[Path]:
    """Each variant of ``04/tower_tuning``'s grid for ``group`` at its own best setting on ``seeds``, scored like
    the towers: writes ``tuned_towers_<dataset>_<group>`` for the claims that compare them."""
    out = Path(out or config.results_dir(LESSON))
    grid = pd.read_csv(
        _saved(out, f"tower_tuning_{dataset}_{group}_grid.csv", f"04/tower_tuning --group {group}")
    )
    start = time.perf_counter()
    ml, data, s = _next_watch(dataset)
    tuned = tuning.tuned_towers(data, s, grid, seeds)
    print(
        tuned.frame()[
            ["model", "seed", "lr", "temperature", "recall@50", "valid", "best epoch", "epochs run"]
        ]
        .round(4)
        .to_string()
    )
    print(f"tuned towers: {time.perf_counter() - start:.0f} s")
    out.mkdir(parents=True, exist_ok=True)
    return tuned.save(out, f"tuned_towers_{dataset}_{group}")


def _saved(out: Path, name: str, experiment: str) -> Path:
    """``name`` from ``out``, else from the committed results; a clear error naming the experiment that writes it."""
    for folder in (out, config.committed_results_dir(LESSON)):
        if folder is not None and (Path(folder) / name).is_file():
            return Path(folder) / name
    raise FileNotFoundError(f"{name} is in neither {out} nor the committed results: run `{experiment}` first")


def _earlier_grid(path: Path, experiment: str) -> pd.DataFrame:
    """The grid an ``--extend`` run keeps; a clear error where there is none to extend."""
    if not path.is_file():
        raise FileNotFoundError(
            f"--extend keeps the rows of {path}, which does not exist: run `{experiment}` first"
        )
    return pd.read_csv(path)


def run_mf_tuning(dataset: str = "ml-100k", seeds=(0, 1, 2, 3), out=None, extend: bool = False) -> list[Path]:
    """The MF baseline given as many settings as each tuned tower variant: its learning rate and weight decay
    chosen on validation Recall@50 (seed 0), then "tuned MF" on ``seeds``; writes ``mf_tuning_<dataset>`` (the
    runs) and ``_grid.csv`` (:mod:`.tuning`). ``extend`` keeps the rows of the grid saved in ``out``."""
    out = Path(out or config.results_dir(LESSON))
    done = _earlier_grid(out / f"mf_tuning_{dataset}_grid.csv", "04/mf_tuning") if extend else None
    start = time.perf_counter()
    ml, data, s = _next_watch(dataset)
    small = dict(lrs=tuning.MF_LRS[1:2], decays=tuning.MF_DECAYS[1:]) if config.fast_mode() else {}
    grid = tuning.tune_mf(data, s, done=done, **small)  # FAST mode: two settings
    print(grid.round(4).to_string(index=False))
    print(tuning.mf_edges(grid).to_string())
    tuned = tuning.tuned_mf(data, s, grid, seeds)
    print(
        tuned.frame()[["model", "seed", "lr", "weight_decay", "recall@50", "valid", "best epoch"]]
        .round(4)
        .to_string()
    )
    print(f"MF tuning: {time.perf_counter() - start:.0f} s")
    out.mkdir(parents=True, exist_ok=True)
    grid.to_csv(out / f"mf_tuning_{dataset}_grid.csv", index=False)
    return tuned.save(out, f"mf_tuning_{dataset}") + [out / f"mf_tuning_{dataset}_grid.csv"]


def chosen_variant(dataset: str, out: Path) -> str:
    """The tower variant the towers run chose on validation (its results in ``out``, else the committed
    ones), or :data:`DEFAULT_VARIANT` where there are none."""
    for folder in (out, config.committed_results_dir(LESSON)):
        if (folder / f"towers_{dataset}.csv").is_file():
            return best_variant(Results.load(folder, f"towers_{dataset}"))
    return DEFAULT_VARIANT


def run_rankers(dataset: str = "ml-100k", seeds=(0, 1, 2, 3), out=None) -> list[Path]:
    """The candidate order and the plain- and weighted-LR rankers on each seed; writes ``rankers_<dataset>``.

    Each seed trains the chosen tower variant on the data without each user's
    latest training examples, which train the rankers (:func:`.ranker.compare_rankers`).
    """
    out = Path(out or config.results_dir(LESSON))
    start = time.perf_counter()
    ml, data, s = _next_watch(dataset)
    variant = chosen_variant(dataset, out)
    cut, later = split_latest(data, RANKER_EXAMPLES_PER_USER)
    rankers = Results()
    for seed in seeds:
        tower, _ = train_tower(variant, cut, s, seed)
        features = ranking_features(ml, cut, tower)
        ranker.compare_rankers(tower, cut, later, features, s, seed, rankers, progress=False)
        print(f"seed {seed}: {time.perf_counter() - start:.0f} s")
    print(rankers.frame().round(4).to_string())
    out.mkdir(parents=True, exist_ok=True)
    return rankers.save(out, f"rankers_{dataset}")


def run_serving(
    dataset: str = "ml-100k",
    seeds=(0,),
    out=None,
    sizes=(10_000, 100_000, 1_000_000),
    redraw: bool = False,
) -> list[Path]:
    """Retrieval and whole-request latency as the catalogue grows; writes the serving CSVs and the figure.

    The tower is the variant the towers run chose on validation (or
    :data:`DEFAULT_VARIANT`), trained with the first of ``seeds`` on the ranker's cut of the
    data, with its weighted-LR ranker. Queries are 2,000 real user vectors: those of half the
    users choose HNSW's settings (validation), the other half's measure them (test). FAST mode
    measures the smallest catalogue only. With ``redraw``, only the crossover table and the
    figure are made again from the saved timings.
    """
    out = Path(out or config.results_dir(LESSON))
    if redraw:
        sweep = pd.read_csv(out / f"retrieval_scaling_{dataset}.csv").fillna({"parameter": ""})
        requests = pd.read_csv(out / f"request_latency_{dataset}.csv")
        cross = scaling.crossover(sweep, requests)
        cross.to_csv(out / f"crossover_{dataset}.csv", index=False)
        return [out / f"crossover_{dataset}.csv", *_draw(sweep, requests, cross, dataset)]
    start, seed = time.perf_counter(), seeds[0]
    ml = load_movielens(dataset)
    data = prepare_next_watch(ml.ratings, ml.users, ml.n_items)
    variant = chosen_variant(dataset, out)
    s = fast_settings(Settings()) if config.fast_mode() else Settings()
    sizes = sizes[:1] if config.fast_mode() else tuple(sizes)
    cut, later = split_latest(data, RANKER_EXAMPLES_PER_USER)
    tower, _ = train_tower(variant, cut, s, seed)
    features = ranking_features(ml, cut, tower)
    weighted, _ = ranker.train_ranker(tower, cut, later, features, s, seed, weighted=True, progress=False)
    print(f"{variant} tower and weighted-LR ranker trained: {time.perf_counter() - start:.0f} s")

    item_vectors = tower.item_vectors().detach().cpu().numpy()
    queries, valid_queries = split_queries(tower, data, n=1000, seed=seed)
    example = data.test.subset([0])  # one user's request, as the server sees it
    seen = ml.ratings.loc[ml.ratings["user"] == example.user[0], "item"].to_numpy()
    request = scaling.two_stage_request(tower, weighted, features, data, example, seen, s.n_candidates)
    sweep = scaling.index_sweep(item_vectors, queries, valid_queries, sizes, request=request, seed=seed)
    print(f"indexes: {time.perf_counter() - start:.0f} s")
    rank_sizes = [n for n in scaling.RANK_ALL_SIZES if n <= max(sizes)]
    requests = scaling.rank_all_latency(tower, weighted, features, data, example, rank_sizes)
    cross = scaling.crossover(sweep, requests)
    largest = max(sizes)
    spread = float(sweep.loc[sweep["items"] == largest, "spread"].iloc[0])
    structure = catalogues.structure_table(
        item_vectors,
        valid_queries,
        {
            f"neighbour catalogue (spread {spread:g})": catalogues.neighbour_catalogue(
                item_vectors, largest, spread=spread, seed=seed
            ),
            "Gaussian mixture (16 components)": catalogues.mixture_catalogue(
                item_vectors, largest, seed=seed
            ),
        },
        seed=seed,
    )
    for frame in (sweep, requests, cross, scaling.budget_table(requests), structure):
        print(frame.round(4).to_string())
    print(f"all: {time.perf_counter() - start:.0f} s")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in zip(SERVING_TABLES, (sweep, requests, cross, structure)):
        frame.to_csv(out / f"{name}_{dataset}.csv", index=False)
        written.append(out / f"{name}_{dataset}.csv")
    return written + _draw(sweep, requests, cross, dataset)


def _draw(sweep: pd.DataFrame, requests: pd.DataFrame, cross: pd.DataFrame, dataset: str) -> list:
    """The full-size retrieval figure, saved as ``figures/04_retrieval_scaling_<dataset>.png``."""
    plots.use_course_style()
    fig = figures.scaling_figure(sweep, requests, cross, scaling.BUDGETS_MS)
    paths = plots.save_fig(fig, f"04_retrieval_scaling_{dataset}")
    plt.close(fig)
    return paths


def load_results(dataset: str = "ml-100k") -> dict | None:
    """The committed full-size results (``results/04_youtube_two_stage/``), or None where there are none."""
    towers = Results.committed(LESSON, f"towers_{dataset}")
    if towers is None:
        return None
    folder = config.committed_results_dir(LESSON)
    tables = {name: pd.read_csv(folder / f"{name}_{dataset}.csv") for name in SERVING_TABLES}
    # exact, flat
    tables["retrieval_scaling"]["parameter"] = tables["retrieval_scaling"]["parameter"].fillna("")
    grids = [folder / f"tower_tuning_{dataset}_{group}_grid.csv" for group in tuning.GROUPS]
    grids = [pd.read_csv(path) for path in grids if path.is_file()]
    tuned = [Results.committed(LESSON, f"tuned_towers_{dataset}_{group}") for group in tuning.GROUPS]
    tuned = [part for part in tuned if part is not None]
    mf_grid = folder / f"mf_tuning_{dataset}_grid.csv"
    return {
        "towers": towers,
        "rankers": Results.committed(LESSON, f"rankers_{dataset}"),
        "tuned_towers": Results.joined(*tuned) if tuned else None,  # every group's runs: one file per group
        "tower_grid": pd.concat(grids, ignore_index=True) if grids else None,
        "mf_tuning": Results.committed(LESSON, f"mf_tuning_{dataset}"),
        "mf_grid": pd.read_csv(mf_grid) if mf_grid.is_file() else None,
        **tables,
    }
