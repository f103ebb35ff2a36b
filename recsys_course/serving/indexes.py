"""Top-K retrieval over item vectors: exact search and approximate (faiss) indexes, behind one ``search(queries, k)``.

Course item vectors are unit length, so inner product equals cosine; every index here ranks by it.
:func:`recall_against` and :func:`time_queries` measure what the approximation buys and what it costs.
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np
import torch

INDEX_KINDS = ("exact", "flat", "hnsw", "ivf")


def _import_faiss():
    """faiss, imported only when needed, so the rest of the module works without it."""
    try:
        import faiss
    except ImportError as error:
        raise ImportError("this needs faiss, which is not installed: pip install faiss-cpu") from error
    return faiss


def as_vectors(array, what: str = "vectors") -> np.ndarray:
    """``array`` as a C-contiguous float32 [n, dim] matrix; raises if it is not 2-D, empty or finite."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    array = np.ascontiguousarray(array, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{what} must be a non-empty 2-D array [n, dim]; got shape {array.shape}")
    if not np.isfinite(array).all():  # checked after the float32 cast, which can overflow to inf
        raise ValueError(f"{what} contain NaN or infinite values")
    return array


class _VectorIndex:
    """What every index shares: the dimension, the item count, and checked ``search``."""

    name = "index"
    dim: int | None = None

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` items per query by inner product: (scores [n, k] float32, ids [n, k] int64), best first."""
        queries = self._check_search(queries, k)
        return self._search(queries, k)

    def _check_search(self, queries, k: int) -> np.ndarray:
        queries = as_vectors(queries, "queries")
        if self.n_items == 0:
            raise ValueError("the index is empty; add vectors before searching")
        if queries.shape[1] != self.dim:
            raise ValueError(
                f"queries have dimension {queries.shape[1]} but the index holds "
                f"{self.dim}-dimensional vectors"
            )
        if not 1 <= k <= self.n_items:
            raise ValueError(f"k must lie between 1 and the number of items ({self.n_items:,}); got {k}")
        return queries

    def _check_added(self, vectors) -> np.ndarray:
        vectors = as_vectors(vectors)
        if self.dim is not None and vectors.shape[1] != self.dim:
            raise ValueError(
                f"vectors have dimension {vectors.shape[1]} but the index holds "
                f"{self.dim}-dimensional vectors"
            )
        self.dim = vectors.shape[1]
        return vectors


class ExactIndex(_VectorIndex):
    """Exact top-K: a matrix product of queries and items, then ``torch.topk``.

    Queries go through in chunks so the score matrix never exceeds
    ``max_chunk_bytes`` (256 MiB: 67 queries at a time against 10^6 items).
    This is the ground truth the approximate indexes are measured against.
    """

    name = "exact"

    def __init__(self, vectors=None, *, max_chunk_bytes: int = 256 * 2**20):
        self.max_chunk_bytes = int(max_chunk_bytes)
        self.items = torch.zeros(0, 0)
        if vectors is not None:
            self.add(vectors)

    @property
    def n_items(self) -> int:
        return self.items.shape[0]

    def add(self, vectors) -> None:
        """Append item vectors; their ids continue from the current count."""
        new = torch.from_numpy(self._check_added(vectors).copy())
        self.items = new if self.n_items == 0 else torch.cat([self.items, new])

    def _search(self, queries, k):
        rows_per_chunk = max(1, self.max_chunk_bytes // (4 * self.n_items))
        queries = torch.from_numpy(queries)
        tops = [
            torch.topk(queries[start : start + rows_per_chunk] @ self.items.T, k, dim=1)
            for start in range(0, len(queries), rows_per_chunk)
        ]
        return (
            torch.cat([top.values for top in tops]).numpy(),
            torch.cat([top.indices for top in tops]).numpy().astype(np.int64, copy=False),
        )

    @property
    def memory_bytes(self) -> int:
        """Bytes of the stored item matrix (the transient score chunk is not counted)."""
        return self.items.numel() * self.items.element_size()

    def describe(self) -> str:
        return f"exact (N={self.n_items:,}, d={self.dim})"


def default_nlist(n_items: int) -> int:
    """IVF cell count: about 4*sqrt(N), capped at N/39 so k-means gets the 39 points per cell faiss asks for."""
    return max(1, min(round(4 * math.sqrt(n_items)), n_items // 39))


def _training_sample(vectors: np.ndarray, nlist: int, seed: int) -> np.ndarray:
    """The vectors, or a seeded sample of 64*nlist of them: plenty for k-means, and fast at 10^6 items."""
    limit = 64 * nlist
    if len(vectors) <= limit:
        return vectors
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), size=limit, replace=False))
    return vectors[rows]


class FaissIndex(_VectorIndex):
    """A faiss inner-product index: ``"flat"`` (exact), ``"hnsw"`` (graph) or ``"ivf"`` (k-means cells).

    ``set_search`` trades speed for recall after the build: efSearch (the
    candidate list HNSW keeps while walking the graph) or nprobe (how many IVF
    cells are scanned). IVF clustering is seeded, so its builds repeat exactly;
    HNSW inserts in parallel, so its graph may differ slightly between builds.
    """

    KINDS = ("flat", "hnsw", "ivf")
    SEARCH_PARAMETERS = {"flat": None, "hnsw": "efSearch", "ivf": "nprobe"}

    def __init__(
        self,
        kind: str,
        vectors,
        *,
        M: int = 32,
        ef_construction: int = 64,
        nlist: int | None = None,
        seed: int = 0,
    ):
        faiss = _import_faiss()
        if kind not in self.KINDS:
            raise ValueError(f"unknown faiss index kind {kind!r}; choose one of {self.KINDS}")
        vectors = self._check_added(vectors)
        self.name = self.kind = kind
        self.search_parameter = self.SEARCH_PARAMETERS[kind]
        start = time.perf_counter()
        if kind == "flat":
            self.index, self.params = faiss.IndexFlatIP(self.dim), {}
        elif kind == "hnsw":
            self.index = faiss.IndexHNSWFlat(self.dim, M, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efConstruction = ef_construction
            self.params = {"M": M, "efConstruction": ef_construction}
        else:
            nlist = default_nlist(len(vectors)) if nlist is None else int(nlist)
            if not 1 <= nlist <= len(vectors):
                raise ValueError(f"nlist must lie between 1 and {len(vectors)} (the vectors); got {nlist}")
            self._quantizer = faiss.IndexFlatIP(self.dim)  # kept: the IVF index only borrows it
            self.index = faiss.IndexIVFFlat(self._quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            self.index.cp.seed = seed
            self.index.train(_training_sample(vectors, nlist, seed))
            self.params = {"nlist": nlist, "seed": seed}
        self.index.add(vectors)
        self.build_seconds = time.perf_counter() - start
        # efSearch lives on the graph object, nprobe on the index itself
        self._search_holder = self.index.hnsw if kind == "hnsw" else self.index

    @property
    def n_items(self) -> int:
        return int(self.index.ntotal)

    @property
    def search_value(self) -> int | None:
        """The current efSearch or nprobe (None for flat)."""
        return getattr(self._search_holder, self.search_parameter) if self.search_parameter else None

    def set_search(self, value: int) -> None:
        """Set efSearch (hnsw) or nprobe (ivf): larger is slower and finds more of the true top K."""
        if self.search_parameter is None:
            raise ValueError("a flat index has no search parameter: it always searches exhaustively")
        value = int(value)
        upper = self.index.nlist if self.kind == "ivf" else math.inf
        if not 1 <= value <= upper:
            raise ValueError(f"{self.search_parameter} must lie between 1 and {upper}; got {value}")
        setattr(self._search_holder, self.search_parameter, value)

    def add(self, vectors) -> None:
        """Append item vectors (not counted in ``build_seconds``); ids continue from the current count."""
        self.index.add(self._check_added(vectors))

    def _search(self, queries, k):
        # ids are -1 where an approximate search found fewer than k items (e.g. IVF, few cells probed)
        scores, ids = self.index.search(queries, k)
        return scores.astype(np.float32, copy=False), ids.astype(np.int64, copy=False)

    @property
    def memory_bytes(self) -> int:
        """Length of ``faiss.serialize_index``: the index's own size, not the process's memory.

        Serialising copies the whole index, so read it once per build.
        """
        return int(_import_faiss().serialize_index(self.index).size)

    def describe(self) -> str:
        settings = dict(self.params)
        if self.search_parameter is not None:
            settings[self.search_parameter] = self.search_value
        listed = ", ".join(f"{key}={value}" for key, value in settings.items())
        return f"{self.kind} ({listed + ', ' if listed else ''}N={self.n_items:,}, d={self.dim})"


def make_index(kind: str, vectors, **params) -> ExactIndex | FaissIndex:
    """Build an index of ``kind`` ("exact", "flat", "hnsw", "ivf") over ``vectors``; params go to its class."""
    if kind == "exact":
        return ExactIndex(vectors, **params)
    if kind in FaissIndex.KINDS:
        return FaissIndex(kind, vectors, **params)
    raise ValueError(f"unknown index kind {kind!r}; choose one of {INDEX_KINDS}")


def recall_against(exact_ids, approx_ids, k: int) -> float:
    """Mean over queries of |approx top-k & exact top-k| / k: "k-recall@k" against exact search.

    Ids only: an approximate result tied in score with the exact k-th item
    still counts as a miss, which matters only for data with exact ties.
    """
    exact_ids, approx_ids = np.asarray(exact_ids), np.asarray(approx_ids)
    shapes_fit = exact_ids.ndim == approx_ids.ndim == 2 and len(exact_ids) == len(approx_ids)
    if not shapes_fit or not 1 <= k <= min(exact_ids.shape[1], approx_ids.shape[1]):
        raise ValueError(
            f"need two [n_queries, >= k] id arrays for k={k}; "
            f"got shapes {exact_ids.shape} and {approx_ids.shape}"
        )
    found = (approx_ids[:, :k, None] == exact_ids[:, None, :k]).any(axis=2)  # [n, k]
    return float(found.sum(axis=1).mean() / k)


def set_threads(n: int, faiss_n: int | None = None) -> tuple[int, int | None]:
    """Use ``n`` threads in torch and ``faiss_n`` (default ``n``) in faiss, if installed.

    Timings compare only at equal thread counts. Returns the previous
    (torch, faiss) counts, so a caller can put them back.
    """
    if n < 1:
        raise ValueError(f"threads must be >= 1; got {n}")
    faiss = None
    with contextlib.suppress(ImportError):  # without faiss there is nothing else to set
        faiss = _import_faiss()
    # read both before setting either: torch and faiss may share one OpenMP runtime
    previous = (torch.get_num_threads(), faiss.omp_get_max_threads() if faiss else None)
    torch.set_num_threads(n)
    if faiss is not None:
        faiss.omp_set_num_threads(faiss_n or n)
    return previous


def time_queries(index, queries, k: int, batch_size: int = 1, *, threads: int | None = None) -> float:
    """Seconds per query, searching all ``queries`` in batches of ``batch_size`` after one warm-up batch.

    ``batch_size=1`` is a server answering one user at a time; larger batches
    share the work. Inputs are checked once, outside the clock. ``threads``
    (default: leave the settings alone) applies only during the measurement.
    """
    queries = index._check_search(queries, k)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    previous = set_threads(threads) if threads is not None else None
    try:
        index._search(queries[:batch_size], k)
        start = time.perf_counter()
        for first in range(0, len(queries), batch_size):
            index._search(queries[first : first + batch_size], k)
        elapsed = time.perf_counter() - start
    finally:
        if previous is not None:
            set_threads(*previous)
    return elapsed / len(queries)
