"""Loading a dataset: the cache, the verified download and - offline - the synthetic twin, in one call.

    from recsys_course.data import load_movielens
    ml = load_movielens("ml-100k")
    ml.ratings.head()      # user, item, rating, timestamp (0-based contiguous ids)

How a dataset is found (docs/methods.md, "Data"):

1. The cache folder is ``$RECSYS_COURSE_DATA`` or ``data/`` in the repository.
2. If it already holds the extracted archive (``ml-100k/u.data`` ...), each
   file the parser reads is checked by its sha256 (:mod:`.checks`) and read:
   nothing is downloaded and nothing is written.
3. Otherwise the official zip is downloaded from GroupLens with pooch, checked
   against its pinned sha256, and extracted (:mod:`.download`).
4. If the download cannot connect (offline), a synthetic twin with the same
   schema is returned and a banner says so - unless
   ``RECSYS_COURSE_STRICT_DATA=1``, which makes this an error.

MovieLens may not be redistributed: the cache never enters git.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import config
from . import download
from .adult import Adult, read_adult
from .adult_download import fetch_adult
from .errors import DownloadError
from .movielens import MovieLens, read_ml1m, read_ml100k, tidy
from .registry import DatasetSpec, get_spec
from .synthetic import synthetic_movielens


def load_movielens(
    name: str = "ml-100k",
    cache_dir: str | os.PathLike | None = None,
    *,
    strict: bool | None = None,
    verbose: bool = True,
) -> MovieLens:
    """Load a MovieLens dataset (downloading it once if needed).

    ``strict=None`` reads ``RECSYS_COURSE_STRICT_DATA``; with strict on, being
    offline is an error instead of a fallback to the synthetic twin.
    """
    spec = get_spec(name)
    strict = config.strict_data() if strict is None else strict
    cache = Path(cache_dir) if cache_dir is not None else config.data_dir()
    try:
        folder = download.fetch(spec, cache, verbose=verbose)
    except DownloadError as err:
        if strict:
            raise DownloadError(
                f"{err}\nStrict data mode is on (RECSYS_COURSE_STRICT_DATA=1), so there is no "
                f"synthetic fallback. Fix: connect to the internet, or place the extracted "
                f"'{spec.folder}/' folder (or '{spec.archive}') in {cache} or point "
                f"RECSYS_COURSE_DATA at a folder that holds it."
            ) from err
        _print_banner(spec, err)
        twin = synthetic_movielens(like=spec.name)
        return twin
    data = parse(spec, folder)
    data.path = str(folder)
    return data


def load_adult(cache_dir: str | os.PathLike | None = None, *, verbose: bool = True) -> Adult:
    """Load UCI Adult from ``<cache>/adult/`` (downloading the two official files once if needed).

    Each file, found in the cache or downloaded - from UCI's legacy address or,
    failing that, from the zip it now serves - is checked against its own
    pinned sha256 (:mod:`.adult_download`). There is no synthetic twin:
    offline and without the files, this is a clear error.
    """
    cache = Path(cache_dir) if cache_dir is not None else config.data_dir()
    return read_adult(fetch_adult(cache, verbose=verbose))


def _print_banner(spec: DatasetSpec, err: Exception) -> None:
    line = "=" * 78
    print(
        f"{line}\n"
        f"  OFFLINE: could not fetch {spec.name} ({type(err).__name__}).\n"
        f"  Using the SYNTHETIC TWIN instead: same schema and size, planted structure.\n"
        f"  Numbers and charts below are NOT MovieLens results. To use the real data,\n"
        f"  connect to the internet or set RECSYS_COURSE_DATA to a folder holding\n"
        f"  '{spec.folder}/'. Set RECSYS_COURSE_STRICT_DATA=1 to make this an error.\n"
        f"{line}"
    )


def parse(spec: DatasetSpec, folder: Path) -> MovieLens:
    """Parse an extracted archive into a :class:`MovieLens`."""
    readers = {"ml-100k": read_ml100k, "ml-1m": read_ml1m}
    ratings, users, movies, genres, item_genres = readers[spec.parser](folder)
    return tidy(spec.name, ratings, users, movies, genres, item_genres, folder)
