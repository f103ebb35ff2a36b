"""Tests for recsys_course.serving.indexes: exact search, faiss indexes, recall, timing; the synthetic catalogue."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import numpy as np
import pytest
import torch

import recsys_course.serving.indexes as retrieval

# faiss is optional (pip install faiss-cpu): without it only the faiss tests are skipped
from recsys_course.lessons.l04_youtube_two_stage.catalogues import mixture_catalogue
from recsys_course.serving.indexes import (
    ExactIndex,
    FaissIndex,
    make_index,
    recall_against,
    set_threads,
    time_queries,
)

needs_faiss = pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="pip install faiss-cpu")

DIM = 32


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _clustered(n_clusters: int = 12, per_cluster: int = 50, spread: float = 0.3, seed: int = 0) -> np.ndarray:
    """Unit vectors in tight groups around random centres: stands in for learned item vectors."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((n_clusters, DIM)))
    noise = rng.standard_normal((n_clusters, per_cluster, DIM)) * spread / np.sqrt(DIM)
    return _unit((centres[:, None, :] + noise).reshape(-1, DIM))


@pytest.fixture(scope="module")
def catalogue():
    """5,000 clustered unit items and 200 queries from the same mixture, with exact top-10 ids."""
    vectors = mixture_catalogue(_clustered(), 5_200, n_components=12, seed=0)
    items, queries = vectors[:5_000], vectors[5_000:]
    _, exact_ids = ExactIndex(items).search(queries, 10)
    return items, queries, exact_ids


def test_exact_index_matches_numpy_argsort():
    """Ids and scores equal a brute-force sort of the full score matrix, also when queries are chunked."""
    rng = np.random.default_rng(1)
    items, queries = rng.standard_normal((300, 16)), rng.standard_normal((40, 16))
    full = queries @ items.T
    expected_ids = np.argsort(-full, axis=1)[:, :7]
    for chunk_bytes in (256 * 2**20, 4 * 300 * 3):  # one chunk; three queries per chunk
        scores, ids = ExactIndex(items, max_chunk_bytes=chunk_bytes).search(queries, 7)
        assert scores.dtype == np.float32 and ids.dtype == np.int64 and ids.shape == (40, 7)
        np.testing.assert_array_equal(ids, expected_ids)
        np.testing.assert_allclose(
            scores, np.take_along_axis(full, expected_ids, axis=1), rtol=1e-5, atol=1e-5
        )


def test_exact_index_add_continues_ids():
    """Vectors added later get ids after the earlier ones; a torch tensor works as input."""
    items = _unit(np.random.default_rng(2).standard_normal((20, 8)))
    index = ExactIndex(torch.from_numpy(items[:12]))
    index.add(items[12:])
    _, ids = index.search(items[15:16], 1)
    assert index.n_items == 20 and ids[0, 0] == 15


@needs_faiss
def test_faiss_flat_equals_exact(catalogue):
    items, queries, exact_ids = catalogue
    exact_scores, _ = ExactIndex(items).search(queries, 10)
    scores, ids = make_index("flat", items).search(queries, 10)
    np.testing.assert_array_equal(ids, exact_ids)
    np.testing.assert_allclose(scores, exact_scores, atol=1e-5)


@needs_faiss
def test_hnsw_recall_depends_on_ef_search(catalogue):
    """A wide search list finds nearly all of the true top 10; efSearch=1 finds fewer."""
    items, queries, exact_ids = catalogue
    index = make_index("hnsw", items, M=16)
    assert index.search_parameter == "efSearch" and index.build_seconds > 0
    index.set_search(256)
    high = recall_against(exact_ids, index.search(queries, 10)[1], 10)
    index.set_search(1)
    low = recall_against(exact_ids, index.search(queries, 10)[1], 10)
    assert high >= 0.99
    assert low < high - 0.05
    assert "efSearch=1" in index.describe()


@needs_faiss
def test_ivf_recall_grows_with_nprobe_and_is_exact_at_nlist(catalogue):
    items, queries, exact_ids = catalogue
    index = make_index("ivf", items, nlist=32)
    assert index.search_parameter == "nprobe"
    recalls = []
    for nprobe in (1, 4, 32):
        index.set_search(nprobe)
        recalls.append(recall_against(exact_ids, index.search(queries, 10)[1], 10))
    assert recalls[0] < recalls[1] < recalls[2]
    assert recalls[2] == 1.0


@needs_faiss
def test_ivf_build_is_deterministic_given_seed(catalogue):
    """Same seed, same k-means cells and results; another seed, other cells (so the seed is used)."""
    items, queries, _ = catalogue
    # nlist=100: 64*nlist > 5,000, so k-means trains on all items and only its seed can differ
    first, second, other = (make_index("ivf", items, nlist=100, seed=seed) for seed in (3, 3, 4))
    centroids = [index._quantizer.reconstruct_n(0, 100) for index in (first, second, other)]
    np.testing.assert_array_equal(centroids[0], centroids[1])
    assert not np.allclose(centroids[0], centroids[2])
    np.testing.assert_array_equal(first.search(queries, 10)[1], second.search(queries, 10)[1])


def test_default_nlist_and_training_sample():
    assert retrieval.default_nlist(1_000_000) == 4_000
    assert retrieval.default_nlist(5_000) == 5_000 // 39  # capped: 39 training points per cell
    assert retrieval.default_nlist(10) == 1
    vectors = np.arange(2_000, dtype=np.float32).reshape(-1, 1)
    sample = retrieval._training_sample(vectors, nlist=4, seed=0)
    assert len(sample) == 256 and len(np.unique(sample)) == 256
    np.testing.assert_array_equal(sample, retrieval._training_sample(vectors, nlist=4, seed=0))


@needs_faiss
def test_flat_has_no_search_parameter():
    index = FaissIndex("flat", _clustered())
    assert index.search_parameter is None
    with pytest.raises(ValueError, match="no search parameter"):
        index.set_search(8)


def test_recall_against_by_hand():
    exact = np.array([[1, 2, 3, 9], [4, 5, 6, 9]])
    approx = np.array([[3, 1, 7, 2], [6, -1, 0, 5]])  # -1: faiss found too few
    # row 0 top-3: {3, 1, 7} vs {1, 2, 3} -> 2/3; row 1: {6, -1, 0} vs {4, 5, 6} -> 1/3
    assert recall_against(exact, approx, 3) == pytest.approx(0.5)
    assert recall_against(exact, approx, 4) == pytest.approx((3 / 4 + 2 / 4) / 2)
    with pytest.raises(ValueError, match="k=5"):
        recall_against(exact, approx, 5)


def test_mixture_catalogue_shape_norms_and_seed():
    training = _clustered()
    first = mixture_catalogue(training, 3_000, n_components=12, seed=5)
    assert first.shape == (3_000, DIM) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first, mixture_catalogue(training, 3_000, n_components=12, seed=5))
    assert not np.array_equal(first, mixture_catalogue(training, 3_000, n_components=12, seed=6))


def test_mixture_catalogue_keeps_the_clusters():
    """Synthetic items sit near a training cluster centre, unlike isotropic unit noise."""
    rng = np.random.default_rng(0)
    centres = _unit(rng.standard_normal((12, DIM)))
    training = _clustered(seed=0)  # the same centres: same seed, drawn first
    synthetic = mixture_catalogue(training, 2_000, n_components=12, seed=1)
    noise = _unit(rng.standard_normal((2_000, DIM)))
    synthetic_closeness = (synthetic @ centres.T).max(axis=1).mean()
    noise_closeness = (noise @ centres.T).max(axis=1).mean()
    assert synthetic_closeness > 0.9 > 0.5 > noise_closeness


@needs_faiss
def test_errors_name_the_problem():
    items = _clustered()
    index = ExactIndex(items)
    with pytest.raises(ValueError, match=r"dimension 5 .* 32-dimensional"):
        index.search(np.ones((2, 5)), 3)
    with pytest.raises(ValueError, match=r"dimension 5 .* 32-dimensional"):
        make_index("hnsw", items).search(np.ones((2, 5)), 3)
    with pytest.raises(ValueError, match="between 1 and the number of items"):
        index.search(items[:2], len(items) + 1)
    with pytest.raises(ValueError, match="between 1 and the number of items"):
        make_index("flat", items).search(items[:2], 0)
    with pytest.raises(ValueError, match=r"'annoy'.*'exact', 'flat', 'hnsw', 'ivf'"):
        make_index("annoy", items)
    with pytest.raises(ValueError, match="2-D"):
        ExactIndex(items[0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        make_index("flat", np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="nprobe must lie between 1 and 8"):
        make_index("ivf", items, nlist=8).set_search(9)


@needs_faiss
def test_memory_bytes_positive_and_grows_with_n():
    small, large = _clustered(per_cluster=20), _clustered(per_cluster=80)
    assert ExactIndex(large).memory_bytes == large.nbytes
    for kind, params in (("flat", {}), ("hnsw", {}), ("ivf", {"nlist": 4})):
        small_bytes = make_index(kind, small, **params).memory_bytes
        large_bytes = make_index(kind, large, **params).memory_bytes
        assert 0 < small_bytes < large_bytes, kind


@needs_faiss
def test_time_queries_returns_seconds_per_query_and_restores_threads():
    import faiss

    items = _clustered()
    before = (torch.get_num_threads(), faiss.omp_get_max_threads())
    seconds = time_queries(make_index("hnsw", items), items[:50], 5, batch_size=1, threads=1)
    assert 0 < seconds < 0.1
    assert 0 < time_queries(ExactIndex(items), items[:50], 5, batch_size=16) < 0.1
    assert (torch.get_num_threads(), faiss.omp_get_max_threads()) == before
    with pytest.raises(ValueError, match="batch_size"):
        time_queries(ExactIndex(items), items[:5], 5, batch_size=0)


@needs_faiss
def test_set_threads_sets_both_and_returns_previous():
    import faiss

    before = (torch.get_num_threads(), faiss.omp_get_max_threads())
    assert set_threads(1) == before
    assert (torch.get_num_threads(), faiss.omp_get_max_threads()) == (1, 1)
    set_threads(*before)
    assert (torch.get_num_threads(), faiss.omp_get_max_threads()) == before


def test_module_imports_without_faiss_and_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # makes "import faiss" raise ImportError
    module = importlib.reload(retrieval)
    assert module.ExactIndex(_clustered()).search(_clustered()[:2], 1)[1].shape == (2, 1)
    with pytest.raises(ImportError, match="pip install faiss-cpu"):
        module.make_index("hnsw", _clustered())
