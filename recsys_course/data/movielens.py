"""What a MovieLens dataset is once loaded, and how its official files are read.

:class:`MovieLens` holds tidy frames with contiguous 0-based ids; the readers
turn an extracted ML-100K or ML-1M folder into one, and every malformed line
or missing id is a :class:`DataError` that names the file and the fix.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, damaged

ML100K_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
ML1M_GENRES = ML100K_GENRES[1:]  # ML-1M has no "unknown" genre

# ML-1M stores occupations and age brackets as codes (see its README).
ML1M_OCCUPATIONS = [
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
]


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
        raise damaged(
            path,
            f"line {numbers[k]}: expected {len(names)} fields separated by {shown_sep!r}, "
            f"got {fields[k]}: {lines[k][:80]!r}",
        )
    line_numbers = numbers[filled]
    if not len(line_numbers):
        raise damaged(path, "it is empty")
    frame = pd.read_csv(
        io.StringIO(raw),
        sep=sep,
        header=None,
        names=names,
        dtype=str,
        keep_default_na=False,
        quoting=3,
        engine="c",
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
        raise damaged(
            path, f"line {frame.index[row]}: {column} is {frame[column].iloc[row]!r}, not an integer"
        )
    return text.astype(np.int64).to_numpy()


def _ratings_frame(path: Path, sep: str) -> pd.DataFrame:
    raw = _read_table(path, sep, ["user_id", "item_id", "rating", "timestamp"])
    ratings = pd.DataFrame({c: _to_int(raw, c, path) for c in raw.columns}, index=raw.index)
    out_of_range = np.flatnonzero(~ratings["rating"].between(1, 5).to_numpy())
    if len(out_of_range):
        row = int(out_of_range[0])
        raise damaged(path, f"line {ratings.index[row]}: rating {ratings['rating'].iloc[row]} is outside 1-5")
    return ratings


def _year_from_title(titles: pd.Series) -> pd.Series:
    return pd.to_numeric(titles.str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce").astype("Int64")


def read_ml100k(folder: Path):
    """Read an extracted ML-100K folder (u.data, u.item, u.user) into raw frames."""
    ratings = _ratings_frame(folder / "u.data", "\t")
    item_cols = ["item_id", "title", "release_date", "video_release_date", "imdb_url"] + ML100K_GENRES
    items = _read_table(folder / "u.item", "|", item_cols)
    item_genres = items[ML100K_GENRES].to_numpy() == "1"
    year = _year_from_title(items["title"])
    release_year = pd.to_datetime(items["release_date"], format="%d-%b-%Y", errors="coerce").dt.year
    movies = pd.DataFrame(
        {
            "item_id": _to_int(items, "item_id", folder / "u.item"),
            "title": items["title"].str.strip(),
            "year": year.fillna(release_year.astype("Int64")),
        }
    )
    raw_users = _read_table(folder / "u.user", "|", ["user_id", "age", "gender", "occupation", "zip"])
    users = pd.DataFrame(
        {
            "user_id": _to_int(raw_users, "user_id", folder / "u.user"),
            "age": _to_int(raw_users, "age", folder / "u.user"),
            "gender": raw_users["gender"],
            "occupation": raw_users["occupation"],
            "zip": raw_users["zip"],
        }
    )
    return ratings, users, movies, list(ML100K_GENRES), item_genres


def read_ml1m(folder: Path):
    """Read an extracted ML-1M folder (ratings.dat, movies.dat, users.dat: '::'-separated, latin-1)."""
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
    movies = pd.DataFrame(
        {
            "item_id": _to_int(items, "item_id", folder / "movies.dat"),
            "title": items["title"].str.strip(),
            "year": _year_from_title(items["title"]),
        }
    )
    raw_users = _read_table(folder / "users.dat", "::", ["user_id", "gender", "age", "occupation", "zip"])
    occupation_codes = _to_int(raw_users, "occupation", folder / "users.dat")
    users = pd.DataFrame(
        {
            "user_id": _to_int(raw_users, "user_id", folder / "users.dat"),
            "age": _to_int(raw_users, "age", folder / "users.dat"),  # bracket code: 1, 18, 25, ...
            "gender": raw_users["gender"],
            "occupation": [
                ML1M_OCCUPATIONS[c] if 0 <= c < len(ML1M_OCCUPATIONS) else "other" for c in occupation_codes
            ],
            "zip": raw_users["zip"],
        }
    )
    return ratings, users, movies, list(ML1M_GENRES), item_genres


def tidy(name, ratings, users, movies, genres, item_genres, folder) -> MovieLens:
    """Map original ids to contiguous 0-based ids (sorted by original id) and tidy up."""
    users = users.sort_values("user_id", kind="stable").reset_index(drop=True)
    order = np.argsort(movies["item_id"].to_numpy(), kind="stable")
    movies = movies.iloc[order].reset_index(drop=True)
    item_genres = np.asarray(item_genres)[order]

    user_index = pd.Series(np.arange(len(users)), index=users["user_id"].to_numpy())
    item_index = pd.Series(np.arange(len(movies)), index=movies["item_id"].to_numpy())
    for frame_name, index, col in (("users", user_index, "user_id"), ("movies", item_index, "item_id")):
        if not index.index.is_unique:
            raise DataError(
                f"{folder}: duplicate {col} in the {frame_name} file. Fix: re-extract the archive."
            )
    unknown_users = ~ratings["user_id"].isin(user_index.index)
    unknown_items = ~ratings["item_id"].isin(item_index.index)
    if unknown_users.any() or unknown_items.any():
        raise DataError(
            f"{folder}: {int(unknown_users.sum())} ratings name a user and {int(unknown_items.sum())} "
            f"an item that the users/movies files do not list. Fix: the files come from different "
            f"archives - delete {folder} and run again."
        )
    ratings = pd.DataFrame(
        {
            "user": user_index.loc[ratings["user_id"].to_numpy()].to_numpy(),
            "item": item_index.loc[ratings["item_id"].to_numpy()].to_numpy(),
            "rating": ratings["rating"].to_numpy(),
            "timestamp": ratings["timestamp"].to_numpy(),
        }
    )
    users.insert(0, "user", np.arange(len(users)))
    movies.insert(0, "item", np.arange(len(movies)))
    movies["genres"] = [[g for g, on in zip(genres, row) if on] for row in item_genres]
    return MovieLens(
        name=name,
        ratings=ratings,
        users=users,
        movies=movies,
        genres=genres,
        item_genres=item_genres.astype(np.float32),
        source="grouplens",
        path=str(folder),
    )
