"""Large synthetic catalogues made from lesson 04's learned item vectors, and measures of how hard they are to search.

:func:`neighbour_catalogue` fills the space between each learned vector and its neighbours;
:func:`local_intrinsic_dimension` (with :func:`fit_spread`) makes its neighbourhoods as many-dimensional as the
learned ones. :func:`structure_table` prints the measures side by side; :func:`mixture_catalogue` is the older way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...serving.indexes import ExactIndex, FaissIndex, as_vectors, recall_against

SPREADS = (
    0.25,
    0.35,
    0.5,
    0.6,
    0.7,
    0.85,
    1.0,
    1.2,
    1.4,
)  # neighbour_catalogue's noise levels that fit_spread tries
LID_NEIGHBOURS = 20  # k of the local-intrinsic-dimension estimate


def _unit_rows(block: np.ndarray) -> np.ndarray:
    block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-12)
    return block


def nearest_neighbours(vectors, k: int) -> np.ndarray:
    """Each vector's ``k`` nearest others by inner product, [n, k] ids (never the vector itself)."""
    vectors = as_vectors(vectors)
    if not 1 <= k < len(vectors):
        raise ValueError(f"k must lie between 1 and {len(vectors) - 1} (the other vectors); got {k}")
    _, ids = ExactIndex(vectors).search(vectors, k + 1)
    own = ids == np.arange(len(vectors))[:, None]
    # drop each row's own id (first, unless tied); rows whose own id fell outside keep their k best
    keep = np.where(own.any(axis=1)[:, None], ~own, np.arange(k + 1)[None, :] < k)
    return ids[keep].reshape(len(vectors), k)


def neighbour_catalogue(
    vectors, n: int, *, spread: float = 0.5, k: int = 10, seed: int = 0, chunk_rows: int = 65_536
) -> np.ndarray:
    """``n`` synthetic unit-length float32 item vectors made from the learned ``vectors``' neighbourhoods.

    Each new item picks a learned item ``i`` at random, one of its ``k`` nearest
    neighbours ``j`` and a point on the segment between them, adds Gaussian noise
    whose size is ``spread`` times the length of that segment, and is scaled to
    unit length. New items so lie where learned items are dense, between items
    that are alike; ``spread`` sets how many directions a neighbourhood spans
    (0: only the segments; large: a full-dimensional blob around each item).
    """
    vectors = as_vectors(vectors)
    if spread < 0:
        raise ValueError(f"spread must be >= 0; got {spread}")
    neighbours = nearest_neighbours(vectors, k)
    rng = np.random.default_rng(seed)
    dim = vectors.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for first in range(0, n, chunk_rows):
        rows = min(chunk_rows, n - first)
        i = rng.integers(len(vectors), size=rows)
        j = neighbours[i, rng.integers(k, size=rows)]
        segment = vectors[j] - vectors[i]
        length = np.linalg.norm(segment, axis=1, keepdims=True)
        block = vectors[i] + rng.random((rows, 1), dtype=np.float32) * segment
        block += rng.standard_normal((rows, dim), dtype=np.float32) * (spread * length / np.sqrt(dim))
        out[first : first + rows] = _unit_rows(block)
    return out


def local_intrinsic_dimension(vectors, k: int = LID_NEIGHBOURS, n_points: int = 1000, seed: int = 0) -> float:
    """The mean local intrinsic dimension of ``vectors`` at their ``k`` nearest neighbours (maximum likelihood).

    For a point whose neighbours lie at distances r_1 <= ... <= r_k, the estimate
    is -1 / mean(log(r_i / r_k)) (Levina & Bickel, NIPS 2004; Amsaleg et al., KDD
    2015): how fast the number of neighbours grows with the radius. It is averaged
    over ``n_points`` points drawn with ``seed``; distances are Euclidean, which
    for unit vectors ranks as the inner product does. The higher it is, the more
    alike all neighbour distances look, and the harder approximate search gets.
    """
    vectors = as_vectors(vectors)
    if not 2 <= k < len(vectors):
        raise ValueError(f"k must lie between 2 and {len(vectors) - 1}; got {k}")
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(vectors), size=min(n_points, len(vectors)), replace=False)
    norms = (vectors**2).sum(axis=1)
    scores, ids = ExactIndex(vectors).search(vectors[picked], k + 1)
    distances = np.sqrt(np.maximum(norms[picked, None] + norms[ids] - 2 * scores, 0.0))
    distances = np.sort(distances, axis=1)[:, 1:]  # the point itself is at distance 0
    distances = np.maximum(distances, 1e-9)
    log_ratio = np.log(distances / distances[:, -1:])[:, :-1].mean(axis=1)
    return float(np.mean(-1.0 / np.minimum(log_ratio, -1e-9)))


def fit_spread(vectors, n: int, *, spreads=SPREADS, seed: int = 0) -> tuple[float, pd.DataFrame]:
    """The ``spread`` of :func:`neighbour_catalogue` whose ``n``-item catalogue has the local intrinsic
    dimension closest to the learned vectors' own, and the table of every spread tried.

    The match holds by construction; that a bigger catalogue drawn from the
    distribution of the learned vectors would keep their local dimension is
    the assumption behind it (a property of the distribution, not of the
    sample size), and :func:`structure_table` adds measures it was not fitted to.
    """
    target = local_intrinsic_dimension(vectors, seed=seed)
    rows = [
        {
            "items": n,
            "spread": spread,
            "local dimension": local_intrinsic_dimension(
                neighbour_catalogue(vectors, n, spread=spread, seed=seed), seed=seed
            ),
            "learned vectors' local dimension": target,
        }
        for spread in spreads
    ]
    table = pd.DataFrame(rows)
    best = table.loc[(table["local dimension"] - target).abs().idxmin(), "spread"]
    return float(best), table


def hnsw_recall_at(vectors, queries, *, M: int = 16, ef_search: int = 16, k: int = 10) -> float:
    """Recall@``k`` against exact search of a small, fixed HNSW (``M``, ``ef_search``) over ``vectors``: a
    probe of how hard the vectors are to search, compared at equal catalogue size."""
    _, exact = ExactIndex(vectors).search(queries, k)
    index = FaissIndex("hnsw", vectors, M=M, ef_construction=40)
    index.set_search(ef_search)
    return recall_against(exact, index.search(queries, k)[1], k)


def structure_table(vectors, queries, catalogues: dict, seed: int = 0) -> pd.DataFrame:
    """The learned ``vectors`` beside a same-size random sample of each synthetic catalogue (name -> array):
    local intrinsic dimension, effective dimension, and the recall of a small fixed HNSW for ``queries``.

    The learned vectors' row also gives the catalogues' own local dimension at full size.
    """
    vectors = as_vectors(vectors)
    rng = np.random.default_rng(seed)
    rows = [("learned item vectors", vectors, vectors)]
    for name, catalogue in catalogues.items():
        sample = catalogue[np.sort(rng.choice(len(catalogue), size=len(vectors), replace=False))]
        rows.append((name, sample, catalogue))
    frame = []
    for name, sample, whole in rows:
        at_sample = local_intrinsic_dimension(sample, seed=seed)
        frame.append(
            {
                "vectors": name,
                "items": len(whole),
                f"local dimension at {len(vectors):,}": at_sample,
                # the learned vectors are their own whole: measured once
                "local dimension at full size": at_sample
                if whole is sample
                else local_intrinsic_dimension(whole, seed=seed),
                "effective dimension": effective_dimension(sample),
                "HNSW recall@10 (M=16, efSearch=16)": hnsw_recall_at(sample, queries),
            }
        )
    return pd.DataFrame(frame)


def structure_summary(table: pd.DataFrame) -> list[str]:
    """Sentences comparing each synthetic catalogue of a :func:`structure_table` with the learned vectors,
    written from the numbers."""
    sample_column = next(c for c in table.columns if c.startswith("local dimension at ") and "full" not in c)
    recall_column = next(c for c in table.columns if c.startswith("HNSW recall@10"))
    learned = table.iloc[0]
    lines = [
        f"The learned item vectors: local dimension {learned[sample_column]:.1f}, effective dimension "
        f"{learned['effective dimension']:.1f}; a small fixed HNSW {recall_column[len('HNSW recall@10 ') :]} "
        f"finds {learned[recall_column]:.3f} of their exact top 10."
    ]
    for _, row in table.iloc[1:].iterrows():
        whole = row["local dimension at full size"]
        lines.append(
            f"{row['vectors']}: a same-size sample reads local dimension {row[sample_column]:.1f} and HNSW recall "
            f"{row[recall_column]:.3f}; the whole catalogue of {int(row['items']):,} items reads local dimension "
            f"{whole:.1f} ({whole - learned[sample_column]:+.1f} against the learned vectors)."
        )
    return lines


def mixture_catalogue(
    vectors, n: int, *, n_components: int = 16, seed: int = 0, chunk_rows: int = 65_536
) -> np.ndarray:
    """``n`` unit-length float32 vectors sampled from a diagonal Gaussian mixture fitted to ``vectors``.

    The way earlier versions of the lesson grew the catalogue: it keeps the
    clusters, but each component is full-dimensional noise, so the bigger the
    catalogue, the higher its local dimension (:func:`structure_table` shows it).
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
        out[first : first + len(which)] = _unit_rows(block)
    return out


def effective_dimension(vectors) -> float:
    """The participation ratio of the vectors' covariance spectrum, (sum l)^2 / sum l^2.

    It counts how many directions carry the variance: d for variance spread
    evenly over d directions, 1 for points on a line. Unlike the local dimension
    it is a global measure: clusters in different directions raise it.
    """
    centred = as_vectors(vectors).astype(np.float64)
    centred -= centred.mean(axis=0)
    eigenvalues = np.linalg.eigvalsh(centred.T @ centred / max(len(centred) - 1, 1))
    return float(eigenvalues.sum() ** 2 / (eigenvalues**2).sum())
