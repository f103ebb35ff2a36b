"""Lesson 04's serving measurements: approximate against exact search as the catalogue grows, and when two stages pay.

:func:`index_sweep` builds indexes over catalogues made from the learned item vectors (:mod:`.catalogues`),
chooses HNSW's build on validation queries and measures recall, latency and speed-up on test queries;
:func:`rank_all_latency` and :func:`two_stage_request` time a whole request, :func:`crossover` compares them.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from ...evidence import mean_interval
from ...serving.indexes import ExactIndex, FaissIndex, recall_against
from ...tasks.next_watch import example_arrays
from ...tasks.ranker_impressions import Impressions
from .catalogues import fit_spread, neighbour_catalogue
from .ranker import ranker_inputs

SWEEPS = {"hnsw": (16, 32, 64, 128, 256, 512, 1024), "ivf": (1, 4, 16, 64, 256, 1024)}
HNSW_BUILDS = ((16, 64), (32, 64), (32, 128), (32, 256))  # (M, efConstruction), chosen on validation queries
MIN_RECALL = 0.95  # recall@10 against exact search at which approximate search is compared with exact
SOURCED_BUDGET_MS = 10.0  # Cheng et al. (2016), section 4.3: "serve each request on the order of 10 ms"
BUDGETS_MS = (10.0, 50.0, 100.0)  # shown side by side
RANK_ALL_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)


def query_milliseconds(index, queries, k: int) -> np.ndarray:
    """Each query's latency alone (batch size 1, as a server answers one user), in milliseconds."""
    index.search(queries[:1], k)  # warm-up
    times = np.empty(len(queries))
    for row in range(len(queries)):
        start = time.perf_counter()
        index.search(queries[row : row + 1], k)
        times[row] = time.perf_counter() - start
    return 1e3 * times


def speed_up(exact_ms: np.ndarray, index_ms: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple:
    """(estimate, low, high): mean exact latency over mean index latency on the same queries, with a 95%
    bootstrap interval over the queries."""
    exact_ms, index_ms = np.asarray(exact_ms), np.asarray(index_ms)
    rows = np.random.default_rng(seed).integers(len(exact_ms), size=(n_boot, len(exact_ms)))
    draws = exact_ms[rows].mean(axis=1) / index_ms[rows].mean(axis=1)
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(exact_ms.mean() / index_ms.mean()), float(low), float(high)


def _measure(index, queries, exact10, exact100, exact_ms, n_timed: int) -> dict:
    """Recall@10/@100 against exact search; milliseconds per query at batch 1 (with a 95% interval over
    the timed queries), with all queries in one batch, and the speed-up over exact search."""
    _, ids10 = index.search(queries, 10)
    _, ids100 = index.search(queries, 100)
    per_query = query_milliseconds(index, queries[:n_timed], 10)
    single = mean_interval(per_query, metric="ms per query")
    start = time.perf_counter()
    index.search(queries, 10)
    batched = 1e3 * (time.perf_counter() - start) / len(queries)
    fast = speed_up(exact_ms, per_query)
    return {
        "recall@10": recall_against(exact10, ids10, 10),
        "recall@100": recall_against(exact100, ids100, 100),
        "ms/query, batch 1": single.estimate,
        "ms low": single.low,
        "ms high": single.high,
        "ms/query, k=100, batch 1": float(query_milliseconds(index, queries[:n_timed], 100).mean()),
        "ms/query, batched": batched,
        "speed-up": fast[0],
        "speed-up low": fast[1],
        "speed-up high": fast[2],
    }


def _validation(index, valid_queries, valid_exact10, n_timed: int) -> dict:
    """What the choice of settings may see: recall@10 and ms per query on the validation queries."""
    return {
        "valid recall@10": recall_against(valid_exact10, index.search(valid_queries, 10)[1], 10),
        "valid ms/query": float(query_milliseconds(index, valid_queries[:n_timed], 10).mean()),
    }


def choose(rows: pd.DataFrame, min_recall: float = MIN_RECALL) -> int | None:
    """The row label of the HNSW setting (build and efSearch) with the fewest validation milliseconds
    among those whose validation recall@10 reaches ``min_recall``; None where none does."""
    good = rows[(rows["index"] == "hnsw") & (rows["valid recall@10"] >= min_recall)]
    return None if good.empty else good["valid ms/query"].idxmin()


def index_sweep(
    item_vectors: np.ndarray,
    queries: np.ndarray,
    valid_queries: np.ndarray,
    sizes=(10_000, 100_000),
    *,
    sweeps=SWEEPS,
    builds=HNSW_BUILDS,
    n_timed: int = 200,
    request=None,
    seed: int = 0,
    progress=print,
) -> pd.DataFrame:
    """One row per (catalogue size, index, build, search setting): recall against exact search, latency,
    speed-up over exact search, build time and memory, measured on the test ``queries``.

    Each catalogue comes from :func:`~.catalogues.neighbour_catalogue` with the
    spread whose local dimension matches the learned vectors' (:func:`~.catalogues.fit_spread`).
    HNSW is built with each (M, efConstruction) of ``builds``; the setting that
    reaches recall@10 >= :data:`MIN_RECALL` fastest on ``valid_queries`` is
    marked ``chosen`` - the test queries never choose. Given ``request`` (index
    -> dict of timings), the chosen index also times a whole two-stage request.
    Latency at batch size 1 is timed on the first ``n_timed`` queries of each
    set, with the threads torch and faiss have at the time.
    """
    rows = []
    for n in sizes:
        spread, _ = fit_spread(item_vectors, n, seed=seed)
        catalogue = neighbour_catalogue(item_vectors, n, spread=spread, seed=seed)
        exact = ExactIndex(catalogue)
        _, exact10 = exact.search(queries, 10)
        _, exact100 = exact.search(queries, 100)
        _, valid10 = exact.search(valid_queries, 10)
        exact_ms = query_milliseconds(exact, queries[:n_timed], 10)
        base = {"items": n, "spread": spread, "threads": torch.get_num_threads()}
        size_rows, kept = [], {}

        def add(index, kind, value, params, memory, build_s):
            size_rows.append(
                {
                    **base,
                    "index": kind,
                    "parameter": getattr(index, "search_parameter", None) or "",
                    "value": value,
                    **params,
                    "build s": build_s,
                    "memory MB": memory / 2**20,
                    **_measure(index, queries, exact10, exact100, exact_ms, n_timed),
                    **_validation(index, valid_queries, valid10, n_timed),
                }
            )

        add(exact, "exact", np.nan, {}, exact.memory_bytes, 0.0)
        for kind, params in [
            ("flat", {}),
            *[("hnsw", {"M": m, "ef_construction": e}) for m, e in builds],
            ("ivf", {}),
        ]:
            index = FaissIndex(kind, catalogue, seed=seed, **params)
            memory = index.memory_bytes
            shown = {"M": params.get("M", np.nan), "efConstruction": params.get("ef_construction", np.nan)}
            for value in sweeps.get(kind, (np.nan,)):
                if index.search_parameter:
                    if kind == "ivf" and value > index.index.nlist:
                        continue
                    index.set_search(value)
                add(index, kind, value, shown, memory, index.build_seconds)
            if progress:
                progress(f"N={n:,} {index.describe()}: built in {index.build_seconds:.1f} s")
            if kind == "hnsw":
                kept[params["M"], params["ef_construction"]] = index
        frame = pd.DataFrame(size_rows)
        frame["chosen"] = False
        best = choose(frame)
        if best is not None:
            frame.loc[best, "chosen"] = True
            if request is not None:
                chosen = frame.loc[best]
                index = kept[int(chosen["M"]), int(chosen["efConstruction"])]
                index.set_search(int(chosen["value"]))
                for key, value in request(index).items():
                    frame.loc[best, key] = value
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def chosen_rows(sweep: pd.DataFrame) -> pd.DataFrame:
    """The HNSW setting chosen on validation queries at each catalogue size, one row per size."""
    return sweep[sweep["chosen"].astype(bool)].set_index("items", drop=False)


def exact_rows(sweep: pd.DataFrame) -> pd.DataFrame:
    """Exact search at each catalogue size, one row per size."""
    return sweep[sweep["index"] == "exact"].set_index("items", drop=False)


def _timed(call, repeats: int) -> dict:
    """Median milliseconds of ``repeats`` calls after one warm-up, with the 2.5 and 97.5 percentiles."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    low, median, high = 1e3 * np.percentile(times, [2.5, 50, 97.5])
    return {"ms": median, "ms low": low, "ms high": high}


@torch.no_grad()
def _score(tower, ranker, features, data, example, items: np.ndarray, vector=None) -> np.ndarray:
    """The ranker's logits for ``items`` (real ids) for one example: features built, network run."""
    if vector is None:
        vector = tower.user_vectors(*example_arrays(data, example))
    zeros = np.zeros(len(items), dtype=np.int64)
    impressions = Impressions(example=zeros, item=items, label=zeros.astype(np.float32), weight=zeros + 1.0)
    device = next(ranker.parameters()).device
    inputs = ranker_inputs(features, data, example, impressions, vector)
    return ranker(*(torch.as_tensor(a).to(device) for a in inputs)).cpu().numpy()


def rank_all_latency(
    tower, ranker, features, data, example, sizes=RANK_ALL_SIZES, repeats: int = 15
) -> pd.DataFrame:
    """Milliseconds of a whole one-stage request for one user (``example``, one row of next-watch
    examples) at each catalogue size in ``sizes``: the user vector, every item's features, the ranker.

    Item ids cycle through the real catalogue (the cost depends on shapes,
    not values). The median of ``repeats`` requests, with the 2.5 and 97.5
    percentiles (``ms low``, ``ms high``).
    """
    ranker.eval()
    rows = []
    for n in sizes:
        items = np.arange(n) % data.n_items
        timed = _timed(lambda: _score(tower, ranker, features, data, example, items), repeats)
        rows.append({"items": n, **timed, "threads": torch.get_num_threads()})
    return pd.DataFrame(rows)


def two_stage_request(
    tower, ranker, features, data, example, seen, n_candidates: int = 100, repeats: int = 51
):
    """A function index -> timings of a whole two-stage request for one user: the user vector, retrieval
    of ``n_candidates`` unseen items from the index, their features, the ranker (for :func:`index_sweep`)."""
    ranker.eval()

    def request(index) -> dict:
        def once():
            vector = tower.user_vectors(*example_arrays(data, example))
            _, ids = index.search(vector, n_candidates + len(seen))
            found = ids[0][ids[0] >= 0] % data.n_items  # synthetic items borrow a real item's features
            _score(
                tower, ranker, features, data, example, found[~np.isin(found, seen)][:n_candidates], vector
            )

        timed = _timed(once, repeats)
        return {
            "request ms": timed["ms"],
            "request ms low": timed["ms low"],
            "request ms high": timed["ms high"],
        }

    return request


def crossover(sweep: pd.DataFrame, ranking: pd.DataFrame) -> pd.DataFrame:
    """Per catalogue size of the sweep: a whole request that ranks every item against one that retrieves
    with the chosen HNSW and ranks 100, and which is faster."""
    chosen, rank_all = chosen_rows(sweep), ranking.set_index("items")
    rows = []
    for n, c in chosen.iterrows():
        if n not in rank_all.index or "request ms" not in c:
            continue
        rows.append(
            {
                "items": n,
                "M": c["M"],
                "efConstruction": c["efConstruction"],
                "efSearch": c["value"],
                "recall@10": c["recall@10"],
                "rank all ms": rank_all.loc[n, "ms"],
                "two stages ms": c["request ms"],
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["two stages faster"] = out["two stages ms"] < out["rank all ms"]
    return out


def budget_crossover(ranking: pd.DataFrame, budget_ms: float, column: str = "ms") -> float:
    """The catalogue size at which ranking every item takes ``budget_ms`` (log-log interpolation)."""
    ms = np.maximum.accumulate(ranking[column].to_numpy())  # timing noise must not make it non-monotone
    n = ranking["items"].to_numpy()
    if budget_ms <= ms.min() or budget_ms >= ms.max():
        return float("nan")  # outside what was measured: no extrapolation
    return float(np.exp(np.interp(np.log(budget_ms), np.log(ms), np.log(n))))


def budget_table(ranking: pd.DataFrame, budgets=BUDGETS_MS) -> pd.DataFrame:
    """Per latency budget: the largest catalogue a one-stage request fits, from the median timings and from
    the slow and fast ends of their spread, and the two measured sizes it lies between."""
    rows = []
    for budget in budgets:
        size = budget_crossover(ranking, budget)
        below = ranking.loc[ranking["ms"] <= budget, "items"]
        above = ranking.loc[ranking["ms"] > budget, "items"]
        rows.append(
            {
                "budget ms": budget,
                "rank all fits up to": size,
                "low": budget_crossover(ranking, budget, "ms high"),
                "high": budget_crossover(ranking, budget, "ms low"),
                "largest measured within": below.max() if len(below) else np.nan,
                "smallest measured beyond": above.min() if len(above) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def scaling_summary(sweep: pd.DataFrame, cross: pd.DataFrame | None = None, ranking=None) -> list[str]:
    """Sentences stating what the largest catalogue's measurements show, written from the numbers."""
    largest = sweep["items"].max()
    exact = exact_rows(sweep).loc[largest]
    threads = int(exact["threads"])
    lines = [
        f"At {largest:,} items, exact search takes {exact['ms/query, batch 1']:.2f} ms per query at batch 1 "
        f"and {exact['ms/query, batched']:.3f} ms per query in a batch of 1,000 ({threads} CPU threads)."
    ]
    chosen = chosen_rows(sweep)
    if largest in chosen.index:
        h = chosen.loc[largest]
        per_item = h["memory MB"] * 2**20 / largest
        lines.append(
            f"Chosen on validation queries, HNSW (M={int(h['M'])}, efConstruction={int(h['efConstruction'])}, "
            f"efSearch {int(h['value'])}) finds {h['recall@10']:.3f} of the exact top 10 for the test queries in "
            f"{h['ms/query, batch 1']:.3f} ms per query - {h['speed-up']:.1f}x "
            f"[{h['speed-up low']:.1f}x, {h['speed-up high']:.1f}x] faster than exact search - after a "
            f"{h['build s']:.0f} s build, in {h['memory MB']:.0f} MiB ({per_item:.0f} bytes per item). A billion "
            f"such items would need about {per_item * 1e9 / 2**40:.1f} TiB of memory: billions are served from many "
            f"machines, or from compressed vectors (product quantisation), not from one CPU's index like this one."
        )
    else:
        hnsw = sweep[(sweep["items"] == largest) & (sweep["index"] == "hnsw")]
        h = hnsw.loc[hnsw["valid recall@10"].idxmax()]
        lines.append(
            f"No HNSW setting measured reaches recall@10 {MIN_RECALL} on the validation queries: the best, "
            f"efSearch {int(h['value'])}, finds {h['recall@10']:.3f} of the exact top 10 in "
            f"{h['ms/query, batch 1']:.3f} ms per query."
        )
    if cross is not None:
        for _, c in cross.iterrows():
            lines.append(
                f"At {int(c['items']):,} items, a request that ranks every item takes {c['rank all ms']:.1f} ms; "
                f"one that retrieves 100 (HNSW, efSearch {int(c['efSearch'])}) and ranks them, "
                f"{c['two stages ms']:.2f} ms."
            )
    if ranking is not None:
        for _, b in budget_table(ranking).iterrows():
            lines.append(
                f"A one-stage request fits {b['budget ms']:g} ms up to about {b['rank all fits up to']:,.0f} items "
                f"(between the measured {b['largest measured within']:,.0f} and {b['smallest measured beyond']:,.0f})."
                if np.isfinite(b["rank all fits up to"])
                else f"The measured sizes do not bracket a {b['budget ms']:g} ms budget."
            )
    return lines
