"""Tests for lesson 04's synthetic catalogues: made from the learned vectors' neighbourhoods, with their
local dimension measured and matched."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_course.lessons.l04_youtube_two_stage import catalogues


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _on_a_subspace(n: int, dim: int, inner: int, seed: int = 0) -> np.ndarray:
    """Unit vectors spread over an ``inner``-dimensional subspace of ``dim`` dimensions."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, inner)))[0]
    return _unit(rng.standard_normal((n, inner)) @ basis.T + 3.0 * basis[:, 0])


def test_local_intrinsic_dimension_reads_the_dimension_points_spread_over():
    """Points filling a 4-d patch read about 4; a full 24-d cloud reads far more; a tie-free line reads ~1."""
    low = catalogues.local_intrinsic_dimension(_on_a_subspace(4000, 24, 4), k=20)
    high = catalogues.local_intrinsic_dimension(
        _unit(np.random.default_rng(1).standard_normal((4000, 24))), k=20
    )
    assert 3.0 < low < 5.5
    assert high > 3 * low
    t = np.sort(np.random.default_rng(2).random(2000))
    line = np.stack([np.cos(t), np.sin(t), np.zeros_like(t)], axis=1)
    assert catalogues.local_intrinsic_dimension(line, k=10) == pytest.approx(1.0, abs=0.3)
    with pytest.raises(ValueError, match="k must lie between 2 and"):
        catalogues.local_intrinsic_dimension(line[:5], k=5)


def test_nearest_neighbours_never_lists_the_item_itself():
    vectors = _on_a_subspace(300, 16, 6)
    neighbours = catalogues.nearest_neighbours(vectors, 5)
    assert neighbours.shape == (300, 5)
    assert not (neighbours == np.arange(300)[:, None]).any()
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)
    np.testing.assert_array_equal(
        np.sort(neighbours, axis=1), np.sort(np.argsort(-scores, axis=1)[:, :5], axis=1)
    )


def test_neighbour_catalogue_is_seeded_unit_and_lies_among_the_learned_items():
    learned = _on_a_subspace(500, 16, 6)
    first = catalogues.neighbour_catalogue(learned, 3000, spread=0.3, seed=4)
    assert first.shape == (3000, 16) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first, catalogues.neighbour_catalogue(learned, 3000, spread=0.3, seed=4))
    assert not np.array_equal(first, catalogues.neighbour_catalogue(learned, 3000, spread=0.3, seed=5))
    # every new item is closer to some learned item than random unit vectors are
    nearest_new = (first @ learned.T).max(axis=1)
    noise = _unit(np.random.default_rng(0).standard_normal((3000, 16)))
    assert np.median(nearest_new) > 0.95 > np.median((noise @ learned.T).max(axis=1))
    with pytest.raises(ValueError, match="spread must be >= 0"):
        catalogues.neighbour_catalogue(learned, 10, spread=-1)


def test_spread_raises_the_local_dimension_and_fit_spread_matches_the_learned_one():
    """With no spread new items lie on segments (a low local dimension); more spread fills more directions.
    fit_spread returns the tried spread closest to the learned vectors' own local dimension."""
    learned = _unit(np.random.default_rng(3).standard_normal((800, 16)))
    lids = [
        catalogues.local_intrinsic_dimension(catalogues.neighbour_catalogue(learned, 20_000, spread=s))
        for s in (0.0, 0.5, 2.0)
    ]
    assert lids[0] < lids[1] < lids[2]
    spread, table = catalogues.fit_spread(learned, 20_000, spreads=(0.0, 0.5, 2.0))
    target = table["learned vectors' local dimension"].iloc[0]
    gaps = (table["local dimension"] - target).abs()
    assert spread == table.loc[gaps.idxmin(), "spread"]


def test_structure_table_compares_same_size_samples():
    learned = _on_a_subspace(400, 16, 5)
    queries = _on_a_subspace(50, 16, 5, seed=9)
    table = catalogues.structure_table(
        learned, queries, {"neighbours": catalogues.neighbour_catalogue(learned, 4000, spread=0.2)}
    )
    assert table["vectors"].tolist() == ["learned item vectors", "neighbours"]
    assert table["items"].tolist() == [400, 4000]
    assert table["HNSW recall@10 (M=16, efSearch=16)"].between(0, 1).all()
