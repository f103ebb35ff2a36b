"""MovieLens: registry, verified download, parsing into tidy frames, and a synthetic twin.

One call serves a notebook::

    from recsys_course.data import load_movielens
    ml = load_movielens("ml-100k")
    ml.ratings.head()      # user, item, rating, timestamp (0-based contiguous ids)

How a dataset is found (COURSE.md section 2):

1. The cache folder is ``$RECSYS_COURSE_DATA`` or ``data/`` in the repository.
2. If it already holds the extracted archive (``ml-100k/u.data`` ...), that is
   read as is: nothing is downloaded and nothing is written.
3. Otherwise the official zip is downloaded from GroupLens with pooch, checked
   against its pinned sha256, and extracted. Every file is written under a
   temporary name and moved into place only when complete.
4. If the download cannot connect (offline), a synthetic twin with the same
   schema is returned and a banner says so - unless
   ``RECSYS_COURSE_STRICT_DATA=1``, which makes this an error.

Every problem with the files (wrong hash, corrupt zip, missing member,
malformed line) raises :class:`DataError`, whose message names the file and
the fix. MovieLens may not be redistributed: the cache never enters git.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import config

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
DOWNLOAD_TIMEOUT_S = 10  # connect/read timeout: an offline machine fails fast

ML100K_GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
]
ML1M_GENRES = ML100K_GENRES[1:]  # ML-1M has no "unknown" genre
# How many ML-100K movies carry each genre of ML1M_GENRES: the synthetic twin's genre mix.
TWIN_GENRE_MIX = np.array([251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27],
                          dtype=float)

# ML-1M stores occupations and age brackets as codes (see its README).
ML1M_OCCUPATIONS = [
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer",
    "homemaker", "K-12 student", "lawyer", "programmer", "retired", "sales/marketing",
    "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
]


class DataError(RuntimeError):
    """A dataset file is missing, corrupt or malformed. The message says how to fix it."""


class DownloadError(DataError):
    """The archive could not be fetched (no connection, server error)."""


@dataclass(frozen=True)
class DatasetSpec:
    """Where an official archive lives, how to check it and which files it must hold."""

    name: str
    url: str
    sha256: str
    folder: str  # the folder the zip extracts to
    files: tuple[str, ...]  # members the parser needs
    parser: str  # "ml-100k" or "ml-1m" format

    @property
    def archive(self) -> str:
        return self.url.rsplit("/", 1)[-1]


REGISTRY: dict[str, DatasetSpec] = {
    "ml-100k": DatasetSpec(
        name="ml-100k",
        url=GROUPLENS + "ml-100k.zip",
        sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        folder="ml-100k",
        files=("u.data", "u.item", "u.user"),
        parser="ml-100k",
    ),
    "ml-1m": DatasetSpec(
        name="ml-1m",
        url=GROUPLENS + "ml-1m.zip",
        sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        folder="ml-1m",
        files=("ratings.dat", "movies.dat", "users.dat"),
        parser="ml-1m",
    ),
}


@dataclass
class MovieLens:
    """A MovieLens dataset as tidy frames with contiguous 0-based ids.

    ``ratings``: user, item, rating (1-5), timestamp (unix seconds).
    ``users``: user, user_id (original), age, gender, occupation, zip.
    ``movies``: item, item_id (original), title, year, genres (list of names).
    ``item_genres``: multi-hot matrix [n_items, n_genres] in the order of ``genres``.
    ``source``: "grouplens" for the real files, "synthetic" for the twin.
    """

    name: str
    ratings: pd.DataFrame
    users: pd.DataFrame
    movies: pd.DataFrame
    genres: list[str]
    item_genres: np.ndarray
    source: str = "grouplens"
    path: str | None = field(default=None, repr=False)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.movies)

    @property
    def n_ratings(self) -> int:
        return len(self.ratings)

    @property
    def is_synthetic(self) -> bool:
        return self.source == "synthetic"

    def summary(self) -> str:
        density = self.n_ratings / (self.n_users * self.n_items)
        return (
            f"{self.name} ({self.source}): {self.n_users:,} users, {self.n_items:,} movies, "
            f"{self.n_ratings:,} ratings, density {density:.2%}, {len(self.genres)} genres"
        )

    def __repr__(self) -> str:
        return f"<MovieLens {self.summary()}>"


# ----------------------------------------------------------------------------------
# Public entry point
# ----------------------------------------------------------------------------------

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
        folder = fetch(spec, cache, verbose=verbose)
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


def get_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; an unknown name lists the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise DataError(f"Unknown dataset {name!r}. Known datasets: {known}.") from None


# ----------------------------------------------------------------------------------
# Fetching: cache lookup, download, hash check, extraction
# ----------------------------------------------------------------------------------

def fetch(spec: DatasetSpec, cache: Path, *, verbose: bool = True) -> Path:
    """Return the folder holding the extracted archive, downloading it if needed."""
    folder = cache / spec.folder
    if folder.is_dir():
        missing = [f for f in spec.files if not (folder / f).is_file()]
        if missing:
            raise DataError(
                f"The cache folder {folder} exists but lacks {', '.join(missing)}. "
                f"Fix: delete the folder {folder} so that it is extracted again from "
                f"{spec.archive}, or restore the missing file(s)."
            )
        return folder
    archive = cache / spec.archive
    if archive.is_file():
        _check_hash(archive, spec)
    else:
        _download(spec, cache, verbose=verbose)
    _extract(archive, spec, cache)
    return folder


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_hash(archive: Path, spec: DatasetSpec) -> None:
    actual = _sha256(archive)
    if actual != spec.sha256:
        raise DataError(
            f"{archive} has sha256 {actual}, but the official {spec.archive} has "
            f"{spec.sha256}. The file is corrupt, truncated or not the official archive. "
            f"Fix: delete {archive} and run again to download it afresh."
        )


def _download(spec: DatasetSpec, cache: Path, *, verbose: bool) -> Path:
    """Download with pooch into ``cache``; pooch writes to a temporary file first."""
    import pooch
    import requests

    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"Cannot create the cache folder {cache} ({err}). Fix: point RECSYS_COURSE_DATA "
            f"at a writable folder."
        ) from err
    if not os.access(cache, os.W_OK):
        raise DataError(
            f"The cache folder {cache} is not writable, so {spec.archive} cannot be saved there. "
            f"Fix: point RECSYS_COURSE_DATA at a writable folder."
        )
    downloader = pooch.HTTPDownloader(progressbar=verbose, timeout=DOWNLOAD_TIMEOUT_S)
    try:
        path = pooch.retrieve(
            spec.url,
            known_hash=f"sha256:{spec.sha256}",
            fname=spec.archive,
            path=cache,
            downloader=downloader,
            progressbar=verbose,
        )
    except (requests.exceptions.RequestException, OSError) as err:
        # Checked first: requests' URL errors (MissingSchema, InvalidURL) are ValueErrors too.
        raise DownloadError(f"Could not download {spec.url}: {type(err).__name__}: {err}") from err
    except ValueError as err:  # pooch's hash mismatch; it has already deleted the download
        raise DataError(
            f"The file downloaded from {spec.url} does not match the pinned sha256 "
            f"{spec.sha256} and was discarded ({err}). Fix: try again later; if it persists, "
            f"the server's file changed - download {spec.archive} by hand, check it, and place "
            f"the extracted folder in {cache}."
        ) from err
    return Path(path)


def _extract(archive: Path, spec: DatasetSpec, cache: Path) -> None:
    """Extract the members the parser needs, atomically (temp folder, then rename)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"CRC check failed for member {bad}")
            names = set(zf.namelist())
            missing = [f for f in spec.files if f"{spec.folder}/{f}" not in names]
            if missing:
                raise DataError(
                    f"{archive} does not contain {', '.join(spec.folder + '/' + m for m in missing)}. "
                    f"Fix: delete {archive} and run again to download the official archive."
                )
            tmp = Path(tempfile.mkdtemp(prefix=f".{spec.folder}-", dir=cache))
            try:
                members = [n for n in names if n.startswith(spec.folder + "/") and not n.endswith("/")]
                for member in members:
                    zf.extract(member, tmp)
                os.replace(tmp / spec.folder, cache / spec.folder)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise DataError(
            f"{archive} is not a valid zip archive ({err}): it is truncated or corrupt. "
            f"Fix: delete {archive} and run again to download it afresh."
        ) from err


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


# ----------------------------------------------------------------------------------
# Parsing the official formats
# ----------------------------------------------------------------------------------

def parse(spec: DatasetSpec, folder: Path) -> MovieLens:
    """Parse an extracted archive into a :class:`MovieLens`."""
    parsers: dict[str, Callable[[Path], tuple]] = {"ml-100k": _parse_ml100k, "ml-1m": _parse_ml1m}
    ratings, users, movies, genres, item_genres = parsers[spec.parser](folder)
    return _finish(spec.name, ratings, users, movies, genres, item_genres, folder)


def _read_table(path: Path, sep: str, names: list[str], *, encoding: str = "latin-1") -> pd.DataFrame:
    """Read a separator-delimited file as strings; a line with the wrong field count is an error."""
    raw = path.read_bytes().decode(encoding)
    shown_sep = sep
    if len(sep) > 1:  # ML-1M's '::' - swap for a single char the C parser can use
        raw = raw.replace(sep, "\x1f")
        sep = "\x1f"
    # Split where pandas' C parser does (\n, \r\n, \r); str.splitlines() would also split
    # at latin-1 characters such as \x85 and misalign the line numbers.
    lines = pd.Series(re.split(r"\r\n|\r|\n", raw))
    numbers = np.arange(1, len(lines) + 1)
    filled = (lines != "").to_numpy()  # blank lines are skipped, by pandas too
    fields = lines.str.count(re.escape(sep)).to_numpy() + 1
    bad = np.flatnonzero(filled & (fields != len(names)))
    if len(bad):
        k = int(bad[0])
        raise DataError(
            f"{path}, line {numbers[k]}: expected {len(names)} fields separated by {shown_sep!r}, "
            f"got {fields[k]}: {lines[k][:80]!r}. Fix: the file is damaged - delete "
            f"the folder {path.parent} and run again to re-extract or re-download it."
        )
    line_numbers = numbers[filled]
    if not len(line_numbers):
        raise DataError(
            f"{path} is empty. Fix: the file is damaged - delete the folder {path.parent} and "
            f"run again to re-extract or re-download it."
        )
    frame = pd.read_csv(
        io.StringIO(raw), sep=sep, header=None, names=names, dtype=str,
        keep_default_na=False, quoting=3, engine="c",
    )
    frame.index = line_numbers  # the file's line numbers, for error messages
    return frame


def _to_int(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.dtype.kind in "iu":  # every value is an integer: the fast, common case
        return values.to_numpy(dtype=np.int64)
    # Otherwise find the first bad value; "3.5" or "1e3" is an error, not truncated.
    text = frame[column].str.strip()
    bad = np.flatnonzero(~text.str.fullmatch(r"[+-]?\d+").to_numpy(dtype=bool))
    if len(bad):
        row = int(bad[0])
        raise DataError(
            f"{path}, line {frame.index[row]}: {column} is {frame[column].iloc[row]!r}, not an "
            f"integer. Fix: the file is damaged - delete the folder {path.parent} and run again "
            f"to re-extract or re-download it."
        )
    return text.astype(np.int64).to_numpy()


def _ratings_frame(path: Path, sep: str) -> pd.DataFrame:
    raw = _read_table(path, sep, ["user_id", "item_id", "rating", "timestamp"])
    ratings = pd.DataFrame({c: _to_int(raw, c, path) for c in raw.columns}, index=raw.index)
    out_of_range = np.flatnonzero(~ratings["rating"].between(1, 5).to_numpy())
    if len(out_of_range):
        row = int(out_of_range[0])
        raise DataError(
            f"{path}, line {ratings.index[row]}: rating {ratings['rating'].iloc[row]} is outside 1-5. "
            f"Fix: delete the folder {path.parent} and run again to re-extract or re-download it."
        )
    return ratings


def _year_from_title(titles: pd.Series) -> pd.Series:
    return pd.to_numeric(titles.str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce").astype("Int64")


def _parse_ml100k(folder: Path):
    ratings = _ratings_frame(folder / "u.data", "\t")
    item_cols = ["item_id", "title", "release_date", "video_release_date", "imdb_url"] + ML100K_GENRES
    items = _read_table(folder / "u.item", "|", item_cols)
    item_genres = items[ML100K_GENRES].to_numpy() == "1"
    year = _year_from_title(items["title"])
    release_year = pd.to_datetime(items["release_date"], format="%d-%b-%Y", errors="coerce").dt.year
    movies = pd.DataFrame({
        "item_id": _to_int(items, "item_id", folder / "u.item"),
        "title": items["title"].str.strip(),
        "year": year.fillna(release_year.astype("Int64")),
    })
    raw_users = _read_table(folder / "u.user", "|", ["user_id", "age", "gender", "occupation", "zip"])
    users = pd.DataFrame({
        "user_id": _to_int(raw_users, "user_id", folder / "u.user"),
        "age": _to_int(raw_users, "age", folder / "u.user"),
        "gender": raw_users["gender"],
        "occupation": raw_users["occupation"],
        "zip": raw_users["zip"],
    })
    return ratings, users, movies, list(ML100K_GENRES), item_genres


def _parse_ml1m(folder: Path):
    ratings = _ratings_frame(folder / "ratings.dat", "::")
    items = _read_table(folder / "movies.dat", "::", ["item_id", "title", "genres"])
    genre_lists = items["genres"].str.split("|")
    unknown = sorted(set(g for gs in genre_lists for g in gs) - set(ML1M_GENRES))
    if unknown:
        raise DataError(
            f"{folder / 'movies.dat'}: unknown genre(s) {unknown}. Fix: the file is not the "
            f"official ML-1M movies.dat - delete {folder} and run again."
        )
    item_genres = np.array([[g in gs for g in ML1M_GENRES] for gs in genre_lists], dtype=bool)
    movies = pd.DataFrame({
        "item_id": _to_int(items, "item_id", folder / "movies.dat"),
        "title": items["title"].str.strip(),
        "year": _year_from_title(items["title"]),
    })
    raw_users = _read_table(folder / "users.dat", "::", ["user_id", "gender", "age", "occupation", "zip"])
    occupation_codes = _to_int(raw_users, "occupation", folder / "users.dat")
    users = pd.DataFrame({
        "user_id": _to_int(raw_users, "user_id", folder / "users.dat"),
        "age": _to_int(raw_users, "age", folder / "users.dat"),  # bracket code: 1, 18, 25, ...
        "gender": raw_users["gender"],
        "occupation": [ML1M_OCCUPATIONS[c] if 0 <= c < len(ML1M_OCCUPATIONS) else "other"
                       for c in occupation_codes],
        "zip": raw_users["zip"],
    })
    return ratings, users, movies, list(ML1M_GENRES), item_genres


def _finish(name, ratings, users, movies, genres, item_genres, folder) -> MovieLens:
    """Map original ids to contiguous 0-based ids (sorted by original id) and tidy up."""
    users = users.sort_values("user_id", kind="stable").reset_index(drop=True)
    order = np.argsort(movies["item_id"].to_numpy(), kind="stable")
    movies = movies.iloc[order].reset_index(drop=True)
    item_genres = np.asarray(item_genres)[order]

    user_index = pd.Series(np.arange(len(users)), index=users["user_id"].to_numpy())
    item_index = pd.Series(np.arange(len(movies)), index=movies["item_id"].to_numpy())
    for frame_name, index, col in (("users", user_index, "user_id"), ("movies", item_index, "item_id")):
        if not index.index.is_unique:
            raise DataError(f"{folder}: duplicate {col} in the {frame_name} file. Fix: re-extract the archive.")
    unknown_users = ~ratings["user_id"].isin(user_index.index)
    unknown_items = ~ratings["item_id"].isin(item_index.index)
    if unknown_users.any() or unknown_items.any():
        raise DataError(
            f"{folder}: {int(unknown_users.sum())} ratings name a user and {int(unknown_items.sum())} "
            f"an item that the users/movies files do not list. Fix: the files come from different "
            f"archives - delete {folder} and run again."
        )
    ratings = pd.DataFrame({
        "user": user_index.loc[ratings["user_id"].to_numpy()].to_numpy(),
        "item": item_index.loc[ratings["item_id"].to_numpy()].to_numpy(),
        "rating": ratings["rating"].to_numpy(),
        "timestamp": ratings["timestamp"].to_numpy(),
    })
    users.insert(0, "user", np.arange(len(users)))
    movies.insert(0, "item", np.arange(len(movies)))
    movies["genres"] = [[g for g, on in zip(genres, row) if on] for row in item_genres]
    return MovieLens(
        name=name, ratings=ratings, users=users, movies=movies, genres=genres,
        item_genres=item_genres.astype(np.float32), source="grouplens", path=str(folder),
    )


# ----------------------------------------------------------------------------------
# Synthetic twin: same schema, planted structure, no download
# ----------------------------------------------------------------------------------

def synthetic_movielens(like: str = "ml-100k", seed: int = 0, n_users: int | None = None,
                        n_items: int | None = None, n_ratings: int | None = None) -> MovieLens:
    """A MovieLens look-alike with planted structure, for offline use and tests.

    Planted: every movie has 1-3 genres; every user has a taste over genres;
    a user's chance of rating a movie grows with taste match and with the
    movie's (long-tailed) popularity, and the rating is higher when the
    genres match. So genre clusters are there to be found by an embedding.
    """
    sizes = {"ml-100k": (943, 1682, 100_000), "ml-1m": (6040, 3706, 1_000_209)}
    default_users, default_items, default_ratings = sizes.get(like, sizes["ml-100k"])
    n_users = n_users or default_users
    n_items = n_items or default_items
    n_ratings = n_ratings or default_ratings
    if n_ratings > n_users * n_items // 2:
        raise ValueError("n_ratings must be at most half of n_users * n_items")
    rng = np.random.default_rng(seed)
    genres = list(ML1M_GENRES)  # ML-100K's genres less "unknown"
    n_genres = len(genres)

    # Movies: a main genre plus 0-2 others, drawn with ML-100K's genre mix
    # (Drama and Comedy common, Film-Noir and Fantasy rare).
    genre_weight = TWIN_GENRE_MIX / TWIN_GENRE_MIX.sum()
    item_genres = np.zeros((n_items, n_genres), dtype=bool)
    main = rng.choice(n_genres, size=n_items, p=genre_weight)
    item_genres[np.arange(n_items), main] = True
    extra = rng.choice(n_genres, size=(n_items, 2), p=genre_weight)
    keep = rng.random((n_items, 2)) < np.array([0.45, 0.15])
    for col in range(2):
        item_genres[np.arange(n_items)[keep[:, col]], extra[keep[:, col], col]] = True
    popularity = rng.zipf(1.5, size=n_items).clip(max=1000).astype(float) ** 0.6  # long tail

    # Users: taste concentrated on one or two genres; demographics loosely tied to it.
    taste = rng.dirichlet(np.full(n_genres, 0.15), size=n_users)
    affinity = taste @ (item_genres / item_genres.sum(1, keepdims=True)).T  # [users, items]
    weight = (affinity + 0.002) * popularity[None, :]
    # Weighted sampling without replacement of (user, movie) cells: Gumbel top-k.
    keys = np.log(weight.ravel()) + rng.gumbel(size=weight.size)
    flat = np.argpartition(-keys, n_ratings)[:n_ratings]
    user, item = np.divmod(flat, n_items)
    score = 2.6 + 6.0 * affinity[user, item] + rng.normal(0.0, 0.9, size=n_ratings)
    rating = np.clip(np.rint(score), 1, 5).astype(np.int64)
    start = 874_724_710  # Sept 1997, like ML-100K
    timestamp = start + np.sort(rng.integers(0, 215 * 86_400, size=n_ratings))
    rng.shuffle(timestamp)

    occupations = ["student", "engineer", "educator", "programmer", "writer", "artist", "other"]
    users = pd.DataFrame({
        "user_id": np.arange(1, n_users + 1),
        "age": rng.integers(15, 70, size=n_users),
        "gender": np.where(taste[:, genres.index("Romance")] > rng.random(n_users) * 0.3, "F", "M"),
        "occupation": rng.choice(occupations, size=n_users),
        "zip": [f"{z:05d}" for z in rng.integers(1000, 99999, size=n_users)],
    })
    years = rng.integers(1930, 1999, size=n_items)
    movies = pd.DataFrame({
        "item_id": np.arange(1, n_items + 1),
        "title": [f"Synthetic {genres[m]} Movie {i + 1} ({y})" for i, (m, y) in enumerate(zip(main, years))],
        "year": pd.array(years, dtype="Int64"),
    })
    ratings = pd.DataFrame({"user_id": user + 1, "item_id": item + 1, "rating": rating, "timestamp": timestamp})
    data = _finish(f"{like} (synthetic twin)", ratings, users, movies, genres, item_genres, Path("."))
    data.source = "synthetic"
    data.path = None
    return data
