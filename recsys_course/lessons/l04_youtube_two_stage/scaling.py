"""Lesson 04's serving measurements: faiss against exact search as the catalogue grows, and when two stages pay.

:func:`index_sweep` builds each index over a synthetic catalogue shaped like the
learned item vectors (:func:`mixture_catalogue`) and measures recall against exact
search, latency, build time and memory; :func:`ranker_latency` and :func:`crossover`
time the ranker.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from ...evidence import mean_interval
from ...serving.indexes import ExactIndex, FaissIndex, as_vectors, recall_against, time_queries

SWEEPS = {"hnsw": (16, 32, 64, 128, 256, 512, 1024), "ivf": (1, 4, 16, 64, 256, 1024)}


def query_milliseconds(index, queries, k: int) -> np.ndarray:
    """Each query's latency alone (batch size 1, as a server answers one user), in milliseconds."""
    index.search(queries[:1], k)  # warm-up
    times = np.empty(len(queries))
    for row in range(len(queries)):
        start = time.perf_counter()
        index.search(queries[row : row + 1], k)
        times[row] = time.perf_counter() - start
    return 1e3 * times


def _measure(index, queries, exact10, exact100, n_timed: int) -> dict:
    """Recall@10/@100 against exact search; milliseconds per query at batch 1 (with a 95% interval over
    the timed queries) and with all queries in one batch."""
    _, ids10 = index.search(queries, 10)
    _, ids100 = index.search(queries, 100)
    single = mean_interval(query_milliseconds(index, queries[:n_timed], 10), metric="ms per query")
    return {
        "recall@10": recall_against(exact10, ids10, 10),
        "recall@100": recall_against(exact100, ids100, 100),
        "ms/query, batch 1": single.estimate,
        "ms low": single.low,
        "ms high": single.high,
        "ms/query, k=100, batch 1": float(query_milliseconds(index, queries[:n_timed], 100).mean()),
        "ms/query, batched": 1e3 * time_queries(index, queries, 10, batch_size=len(queries)),
    }


def index_sweep(
    item_vectors: np.ndarray,
    queries: np.ndarray,
    sizes=(10_000, 100_000),
    *,
    sweeps=SWEEPS,
    n_timed: int = 200,
    seed: int = 0,
    progress=print,
) -> pd.DataFrame:
    """One row per (catalogue size, index, search setting): recall against exact search, latency, build, memory.

    Catalogues come from :func:`mixture_catalogue`
    fitted to ``item_vectors``; ``queries`` are real user vectors. Latency
    at batch size 1 is timed on the first ``n_timed`` queries, with the
    threads torch and faiss have at the time.
    """
    rows = []
    for n in sizes:
        catalogue = mixture_catalogue(item_vectors, n, seed=seed)
        exact = ExactIndex(catalogue)
        _, exact10 = exact.search(queries, 10)
        _, exact100 = exact.search(queries, 100)
        base = {"items": n, "threads": torch.get_num_threads()}
        rows.append(
            {
                **base,
                "index": "exact",
                "parameter": "",
                "value": np.nan,
                "build s": 0.0,
                "memory MB": exact.memory_bytes / 2**20,
                **_measure(exact, queries, exact10, exact100, n_timed),
            }
        )
        for kind in ("flat", "hnsw", "ivf"):
            index = FaissIndex(kind, catalogue, seed=seed)
            built = {
                **base,
                "index": kind,
                "build s": index.build_seconds,
                "memory MB": index.memory_bytes / 2**20,
            }
            for value in sweeps.get(kind, (np.nan,)):
                if index.search_parameter:
                    if kind == "ivf" and value > index.index.nlist:
                        continue
                    index.set_search(value)
                rows.append(
                    {
                        **built,
                        "parameter": index.search_parameter or "",
                        "value": value,
                        **_measure(index, queries, exact10, exact100, n_timed),
                    }
                )
            if progress:
                progress(f"N={n:,} {index.describe()}: built in {index.build_seconds:.1f} s")
            del index
    return pd.DataFrame(rows)


@torch.no_grad()
def ranker_latency(
    ranker, n_items_real: int, user_features: np.ndarray, sizes, repeats: int = 21, seed: int = 0
) -> pd.DataFrame:
    """Milliseconds for the ranker to score ``n`` candidates for one user, for each ``n`` in ``sizes``.

    Only the network's forward pass is timed: features are drawn at random
    in advance (the cost depends on shapes, not values), ids cycle through
    the real catalogue. The median of ``repeats`` runs is reported, with
    the 2.5 and 97.5 percentiles of the runs (``ms low``, ``ms high``).
    """
    rng = np.random.default_rng(seed)
    ranker.eval()
    device = next(ranker.parameters()).device
    rows = []
    for n in sizes:
        items = torch.as_tensor(np.arange(n) % n_items_real, device=device)
        users = torch.as_tensor(np.repeat(user_features[None, :], n, axis=0), device=device)
        dense = torch.as_tensor(rng.standard_normal((n, ranker.n_dense), dtype=np.float32), device=device)
        ranker(items[:8], users[:8], dense[:8])  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            ranker(items, users, dense)
            times.append(time.perf_counter() - start)
        low, median, high = 1e3 * np.percentile(times, [2.5, 50, 97.5])
        rows.append(
            {
                "candidates": n,
                "ms": median,
                "ms low": low,
                "ms high": high,
                "threads": torch.get_num_threads(),
            }
        )
    return pd.DataFrame(rows)


def crossover(
    sweep: pd.DataFrame,
    ranking: pd.DataFrame,
    *,
    min_recall: float = 0.95,
    budget_ms: float = 50.0,
    n_candidates: int = 100,
) -> pd.DataFrame:
    """Per catalogue size: ranking every item vs retrieving ``n_candidates`` with HNSW and ranking those.

    HNSW is taken at the smallest efSearch whose recall@10 reaches
    ``min_recall`` (or at its best recall where none does: the ``recall@10``
    column says which); the ranker's time at each size is interpolated on a
    log-log scale from ``ranking`` (the network only: features are not timed). ``within budget`` says whether each way
    fits ``budget_ms``.
    """
    log_n, log_ms = np.log(ranking["candidates"]), np.log(ranking["ms"])

    def rank_ms(n):
        return float(np.exp(np.interp(np.log(n), log_n, log_ms)))

    rows = []
    for n, group in sweep[sweep["index"] == "hnsw"].groupby("items"):
        good = group[group["recall@10"] >= min_recall].sort_values("value")
        chosen = good.iloc[0] if len(good) else group.sort_values("value").iloc[-1]
        retrieve = float(chosen["ms/query, k=100, batch 1"])
        rows.append(
            {
                "items": n,
                "efSearch": chosen["value"],
                "recall@10": chosen["recall@10"],
                "rank all ms": rank_ms(n),
                "retrieve ms": retrieve,
                "retrieve + rank ms": retrieve + rank_ms(n_candidates),
                "budget ms": budget_ms,
            }
        )
    out = pd.DataFrame(rows)
    out["rank all within budget"] = out["rank all ms"] <= budget_ms
    out["two stages faster"] = out["retrieve + rank ms"] < out["rank all ms"]
    return out


def budget_crossover(ranking: pd.DataFrame, budget_ms: float) -> float:
    """The catalogue size at which ranking every item takes ``budget_ms`` (log-log interpolation)."""
    ms = np.maximum.accumulate(ranking["ms"].to_numpy())  # timing noise must not make it non-monotone
    n = ranking["candidates"].to_numpy()
    if budget_ms <= ms.min() or budget_ms >= ms.max():
        return float("nan")  # outside what was measured: no extrapolation
    return float(np.exp(np.interp(np.log(budget_ms), np.log(ms), np.log(n))))


def scaling_summary(
    sweep: pd.DataFrame, cross: pd.DataFrame | None = None, min_recall: float = 0.95
) -> list[str]:
    """Sentences stating what the largest catalogue's measurements show, written from the numbers."""
    largest = sweep["items"].max()
    at = sweep[sweep["items"] == largest]
    threads = int(at["threads"].iloc[0])
    exact = at[at["index"] == "exact"].iloc[0]
    lines = [
        f"At {largest:,} items, exact search takes {exact['ms/query, batch 1']:.2f} ms per query at batch 1 "
        f"and {exact['ms/query, batched']:.3f} ms per query in a batch of 1,000 ({threads} CPU threads)."
    ]
    hnsw = at[at["index"] == "hnsw"].sort_values("value")
    good = hnsw[hnsw["recall@10"] >= min_recall]
    if len(good):
        h = good.iloc[0]
        per_item = h["memory MB"] * 2**20 / largest
        lines.append(
            f"HNSW reaches recall@10 {h['recall@10']:.3f} at efSearch {int(h['value'])} in "
            f"{h['ms/query, batch 1']:.3f} ms per query - {exact['ms/query, batch 1'] / h['ms/query, batch 1']:.0f}x "
            f"faster than exact search - after a {h['build s']:.0f} s build, in {h['memory MB']:.0f} MiB "
            f"({per_item:.0f} bytes per item). A billion such items would need about {per_item * 1e9 / 2**40:.1f} TiB "
            f"of memory: billions are served from many machines, or from compressed vectors (product quantisation), "
            f"not from one CPU's index like this one."
        )
    elif len(hnsw):
        h = hnsw.iloc[-1]
        lines.append(
            f"No HNSW setting measured reaches recall@10 {min_recall}: the best, efSearch {int(h['value'])}, "
            f"finds {h['recall@10']:.3f} of the exact top 10 in {h['ms/query, batch 1']:.3f} ms per query."
        )
    if cross is not None:
        for _, c in cross.iterrows():
            lines.append(
                f"At {int(c['items']):,} items, ranking every item takes {c['rank all ms']:.1f} ms and "
                f"retrieving 100 (HNSW, efSearch {int(c['efSearch'])}, recall@10 {c['recall@10']:.3f}) "
                f"then ranking them {c['retrieve + rank ms']:.2f} ms."
            )
    return lines


def mixture_catalogue(
    vectors, n: int, *, n_components: int = 16, seed: int = 0, chunk_rows: int = 65_536
) -> np.ndarray:
    """``n`` synthetic unit-length float32 item vectors shaped like the learned ``vectors``.

    Fits a diagonal Gaussian mixture to ``vectors``, samples from it and
    L2-normalises the rows: course item vectors are unit length, and the
    mixture keeps their clusters, which is what makes ANN search realistic -
    in isotropic noise every neighbour is about equally far. Samples are drawn
    with ``default_rng(seed)`` in chunks, so 10^6 rows take about a second.
    """
    from sklearn.mixture import GaussianMixture

    vectors = as_vectors(vectors).astype(np.float64)
    if not 1 <= n_components <= len(vectors):
        raise ValueError(
            f"n_components must lie between 1 and the number of vectors ({len(vectors)}); got {n_components}"
        )
    mixture = GaussianMixture(n_components, covariance_type="diag", random_state=seed).fit(vectors)
    means = mixture.means_.astype(np.float32)
    stds = np.sqrt(mixture.covariances_).astype(np.float32)
    rng = np.random.default_rng(seed)
    components = rng.choice(n_components, size=n, p=mixture.weights_ / mixture.weights_.sum())
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    for first in range(0, n, chunk_rows):
        which = components[first : first + chunk_rows]
        block = rng.standard_normal((len(which), vectors.shape[1]), dtype=np.float32)
        block *= stds[which]
        block += means[which]
        block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
        out[first : first + len(which)] = block
    return out


def effective_dimension(vectors) -> float:
    """The participation ratio of the vectors' covariance spectrum, (sum l)^2 / sum l^2.

    It counts how many directions carry the variance: d for variance spread
    evenly over d directions, 1 for points on a line. Nearest-neighbour search
    gets harder as it grows.
    """
    centred = as_vectors(vectors).astype(np.float64)
    centred -= centred.mean(axis=0)
    eigenvalues = np.linalg.eigvalsh(centred.T @ centred / max(len(centred) - 1, 1))
    return float(eigenvalues.sum() ** 2 / (eigenvalues**2).sum())
