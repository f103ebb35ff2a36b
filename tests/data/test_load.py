"""Tests for ``recsys_course.data``: the MovieLens loader, its cache and its errors.

Most tests write tiny files in the official MovieLens formats into a temporary
folder (pinning the tiny files' own sha256 where the loader checks ML-100K's
members), and some serve them from a local HTTP server on 127.0.0.1 that the
test starts itself (``local_server``, in conftest.py), so nothing here needs the
internet. The ``real`` tests read the extracted ML-100K from
``$RECSYS_COURSE_DATA`` (default ``../shared/datasets`` next to the repository)
and are skipped when it is not there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import socket
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_course import data
from recsys_course.data import DataError, DownloadError, download, movielens, registry

from .real_data import REAL_ROOT, needs_real_ml100k

# ----------------------------------------------------------------------------------
# Tiny datasets in the official formats
# ----------------------------------------------------------------------------------


def _genre_flags(*names: str) -> list[str]:
    """The 19 ML-100K genre flags ('0'/'1') with ``names`` switched on."""
    assert set(names) <= set(movielens.ML100K_GENRES), names
    return ["1" if g in names else "0" for g in movielens.ML100K_GENRES]


def _item_line(item_id: int, title: str, date: str, *genres: str) -> str:
    fields = [str(item_id), title, date, "", f"http://example.invalid/{item_id}"]
    return "|".join(fields + _genre_flags(*genres))


# Original ids have gaps and are not sorted, so the 0-based remapping is really tested.
ML100K_USERS = ["8|53|F|other|94043", "3|24|M|technician|85711", "15|23|M|writer|32067"]
ML100K_ITEMS = [
    _item_line(10, "Toy Story (1995)", "01-Jan-1995", "Animation", "Children's", "Comedy"),
    _item_line(20, "Misérables, Les (1995)", "01-Jan-1995", "Drama", "Musical"),
    _item_line(30, "Heat (1995)", "15-Dec-1995", "Action", "Crime", "Thriller"),
    _item_line(40, "Strange Days", "13-Oct-1995", "Sci-Fi"),  # no year in the title
]
ML100K_RATINGS = [
    "3\t10\t5\t881250949",
    "3\t20\t4\t881250950",
    "8\t10\t3\t881250951",
    "8\t30\t1\t881250952",
    "15\t20\t2\t881250953",
    "15\t30\t4\t881250954",
]
ML100K_TRIPLES = {tuple(int(x) for x in line.split("\t")[:3]) for line in ML100K_RATINGS}


def _ml100k_files(ratings=ML100K_RATINGS, items=ML100K_ITEMS, users=ML100K_USERS) -> dict[str, bytes]:
    """The three ML-100K files as latin-1 bytes, like the official archive."""
    return {
        name: ("\n".join(lines) + "\n").encode("latin-1")
        for name, lines in (("u.data", ratings), ("u.item", items), ("u.user", users))
    }


def write_ml100k(cache: Path, files: dict[str, bytes] | None = None) -> Path:
    """Write an extracted ``ml-100k/`` folder into ``cache`` and return it."""
    folder = cache / "ml-100k"
    folder.mkdir(parents=True)
    for name, content in (files if files is not None else _ml100k_files()).items():
        (folder / name).write_bytes(content)
    return folder


def ml100k_zip(files: dict[str, bytes] | None = None) -> bytes:
    """A zip laid out like the official ml-100k.zip: everything under ``ml-100k/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ml-100k/", b"")  # the official archive has directory entries
        for name, content in (files if files is not None else _ml100k_files()).items():
            zf.writestr(f"ml-100k/{name}", content)
        zf.writestr("ml-100k/README", b"A tiny stand-in for ML-100K, made by the tests.\n")
    return buffer.getvalue()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def use_spec(monkeypatch, name: str = "ml-100k", **changes) -> registry.DatasetSpec:
    """Register a modified copy of a registry entry for the duration of one test."""
    spec = dataclasses.replace(registry.REGISTRY[name], **changes)
    monkeypatch.setitem(registry.REGISTRY, name, spec)
    return spec


def pin_members(monkeypatch, files: dict[str, bytes]) -> None:
    """Pin the sha256 of tiny ML-100K files as if they were the official members, for one test.

    The loader hashes each member before parsing it, so a test that means to reach the parser (or
    loads tiny files at all) pins what it wrote; the real hashes are tested in test_checks.py.
    """
    parsed = registry.REGISTRY["ml-100k"].files
    use_spec(monkeypatch, member_sha256=tuple((n, sha256(files[n])) for n in parsed if n in files))


def listing(folder: Path) -> list[str]:
    """Names in ``folder`` (hidden temp folders included); [] if it does not exist."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def original_triples(ml: data.MovieLens) -> set[tuple[int, int, int]]:
    """(user_id, item_id, rating) with the original ids, mapped back from the 0-based ones."""
    user_ids = ml.users["user_id"].to_numpy()[ml.ratings["user"].to_numpy()]
    item_ids = ml.movies["item_id"].to_numpy()[ml.ratings["item"].to_numpy()]
    return set(zip(user_ids.tolist(), item_ids.tolist(), ml.ratings["rating"].tolist()))


def assert_contiguous_ids(ml: data.MovieLens) -> None:
    """users.user and movies.item are 0..n-1 (sorted by original id); ratings use them."""
    assert ml.users["user"].tolist() == list(range(ml.n_users))
    assert ml.movies["item"].tolist() == list(range(ml.n_items))
    assert ml.users["user_id"].is_monotonic_increasing and ml.users["user_id"].is_unique
    assert ml.movies["item_id"].is_monotonic_increasing and ml.movies["item_id"].is_unique
    assert ml.ratings["user"].between(0, ml.n_users - 1).all()
    assert ml.ratings["item"].between(0, ml.n_items - 1).all()


# ----------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def ml_no_strict_env(monkeypatch):
    """Tests choose strict mode themselves, whatever the shell or CI has set."""
    monkeypatch.delenv("RECSYS_COURSE_STRICT_DATA", raising=False)


@pytest.fixture
def ml_closed_url():
    """A URL on a local port that nothing listens on: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ml-100k.zip"


@pytest.fixture
def ml_tiny(tmp_path, monkeypatch):
    """The tiny ML-100K, extracted into a cache folder and loaded."""
    write_ml100k(tmp_path / "cache")
    pin_members(monkeypatch, _ml100k_files())
    return data.load_movielens("ml-100k", cache_dir=tmp_path / "cache", verbose=False)


# ----------------------------------------------------------------------------------
# The real ML-100K (skipped when it is not available)
# ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ml_real():
    """The real ML-100K, read from the shared read-only folder."""
    if not (REAL_ROOT / "ml-100k" / "u.data").is_file():
        pytest.skip(f"the extracted ML-100K is not at {REAL_ROOT / 'ml-100k'} (set RECSYS_COURSE_DATA)")
    return data.load_movielens("ml-100k", cache_dir=REAL_ROOT, strict=True, verbose=False)


@needs_real_ml100k
def test_real_ml100k_sizes_and_ranges(ml_real):
    """943 users, 1682 movies, 100,000 ratings of 1-5, 19 genres."""
    assert ml_real.source == "grouplens" and not ml_real.is_synthetic
    assert (ml_real.n_users, ml_real.n_items, ml_real.n_ratings) == (943, 1682, 100_000)
    assert list(ml_real.ratings.columns) == ["user", "item", "rating", "timestamp"]
    assert set(ml_real.ratings["rating"].unique()) == {1, 2, 3, 4, 5}
    assert ml_real.genres == movielens.ML100K_GENRES
    assert ml_real.item_genres.shape == (1682, 19)
    assert set(np.unique(ml_real.item_genres)) <= {0.0, 1.0}
    assert ml_real.ratings.groupby("user").size().min() >= 20  # the README promises 20+ per user
    assert Path(ml_real.path) == REAL_ROOT / "ml-100k"


@needs_real_ml100k
def test_real_ml100k_ids_are_contiguous_and_map_back(ml_real):
    """0-based ids map back, through users.user_id and movies.item_id, to every line of u.data."""
    assert_contiguous_ids(ml_real)
    assert ml_real.users["user_id"].tolist() == list(range(1, 944))
    raw = np.loadtxt(REAL_ROOT / "ml-100k" / "u.data", dtype=np.int64)
    user_ids = ml_real.users["user_id"].to_numpy()[ml_real.ratings["user"].to_numpy()]
    item_ids = ml_real.movies["item_id"].to_numpy()[ml_real.ratings["item"].to_numpy()]
    np.testing.assert_array_equal(user_ids, raw[:, 0])
    np.testing.assert_array_equal(item_ids, raw[:, 1])
    np.testing.assert_array_equal(ml_real.ratings["rating"].to_numpy(), raw[:, 2])
    np.testing.assert_array_equal(ml_real.ratings["timestamp"].to_numpy(), raw[:, 3])


@needs_real_ml100k
def test_real_ml100k_titles_genres_and_users(ml_real):
    """Latin-1 titles decode; genres and demographics land on the right rows."""
    titles = ml_real.movies.set_index("item_id")["title"]
    assert titles[1] == "Toy Story (1995)"
    assert any("Misérables" in t for t in titles)
    assert not any("\ufffd" in t or "Ã" in t for t in titles)  # no mis-decoded characters
    toy_story = ml_real.movies.iloc[0]
    assert toy_story["genres"] == ["Animation", "Children's", "Comedy"]
    assert toy_story["year"] == 1995
    assert ml_real.item_genres[0].sum() == 3
    first_user = ml_real.users.iloc[0]
    assert (first_user["user_id"], first_user["age"], first_user["gender"]) == (1, 24, "M")
    assert first_user["occupation"] == "technician"


@needs_real_ml100k
def test_real_ml100k_reading_writes_nothing():
    """Loading from an extracted folder changes nothing in it or next to it."""

    def snapshot():
        return {
            str(path.relative_to(REAL_ROOT)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in [REAL_ROOT, *REAL_ROOT.rglob("*")]
        }

    before = snapshot()
    data.load_movielens("ml-100k", cache_dir=REAL_ROOT, strict=True, verbose=False)
    assert snapshot() == before


# ----------------------------------------------------------------------------------
# Parsing the ML-100K format (tiny files)
# ----------------------------------------------------------------------------------


def test_ml100k_parser_on_tiny_files(ml_tiny):
    """Counts, remapped ids, latin-1 title, genres, year from title or release date."""
    assert (ml_tiny.n_users, ml_tiny.n_items, ml_tiny.n_ratings) == (3, 4, 6)
    assert_contiguous_ids(ml_tiny)
    assert ml_tiny.users["user_id"].tolist() == [3, 8, 15]
    assert ml_tiny.movies["item_id"].tolist() == [10, 20, 30, 40]
    assert original_triples(ml_tiny) == ML100K_TRIPLES
    assert ml_tiny.movies["title"].tolist()[1] == "Misérables, Les (1995)"
    assert ml_tiny.movies["genres"].tolist()[1] == ["Drama", "Musical"]
    assert ml_tiny.item_genres.shape == (4, 19)
    assert ml_tiny.item_genres[1, movielens.ML100K_GENRES.index("Musical")] == 1.0
    assert ml_tiny.movies["year"].tolist() == [1995, 1995, 1995, 1995]  # Strange Days: from its date
    assert ml_tiny.users.set_index("user_id").loc[8, "gender"] == "F"


def test_missing_member_in_cache_folder(tmp_path):
    """An extracted folder without u.user: the error names the file and the fix."""
    files = _ml100k_files()
    del files["u.user"]
    write_ml100k(tmp_path, files)
    with pytest.raises(DataError) as info:
        data.load_movielens("ml-100k", cache_dir=tmp_path, strict=False, verbose=False)
    message = str(info.value)
    assert "u.user" in message and "u.data" not in message
    assert "Fix: delete the folder" in message


RATINGS_HEAD = ML100K_RATINGS[:2]


@pytest.mark.parametrize(
    "lines, line_number, expected",
    [
        (RATINGS_HEAD + ["3\t30\t5"], 3, "expected 4 fields"),
        (RATINGS_HEAD + ["3\t30\t5\t881250960\t9"], 3, "expected 4 fields"),
        (RATINGS_HEAD + ["3\t30\tfive\t881250960"], 3, "not an integer"),
        (RATINGS_HEAD + ["3\t30\t3.5\t881250960"], 3, "not an integer"),
        (RATINGS_HEAD + ["3\tx30\t4\t881250960"], 3, "not an integer"),
        (RATINGS_HEAD + ["3\t30\t7\t881250960"], 3, "outside 1-5"),
        (RATINGS_HEAD + ["3\t30\t0\t881250960"], 3, "outside 1-5"),
        (RATINGS_HEAD + ["", "3\t30\t7\t881250960"], 4, "outside 1-5"),  # blank lines count
    ],
    ids=[
        "too-few-fields",
        "too-many-fields",
        "word",
        "fraction",
        "bad-item-id",
        "rating-7",
        "rating-0",
        "after-blank-line",
    ],
)
def test_malformed_ratings_line(tmp_path, monkeypatch, lines, line_number, expected):
    """A damaged u.data line gives a DataError naming the file, the line and the fix."""
    files = _ml100k_files(ratings=lines)
    folder = write_ml100k(tmp_path, files)
    pin_members(monkeypatch, files)
    with pytest.raises(DataError) as info:
        data.load_movielens("ml-100k", cache_dir=tmp_path, strict=False, verbose=False)
    message = str(info.value)
    assert f"{folder / 'u.data'}, line {line_number}:" in message
    assert expected in message
    assert "Fix:" in message


def test_empty_ratings_file(tmp_path, monkeypatch):
    """An empty u.data is a DataError, not a pandas error."""
    files = _ml100k_files()
    files["u.data"] = b""
    write_ml100k(tmp_path, files)
    pin_members(monkeypatch, files)
    with pytest.raises(DataError, match=r"u\.data, it is empty"):
        data.load_movielens("ml-100k", cache_dir=tmp_path, verbose=False)


def test_ratings_naming_an_unknown_movie(tmp_path, monkeypatch):
    """A rating of a movie that u.item does not list is reported, not silently dropped."""
    files = _ml100k_files(ratings=ML100K_RATINGS + ["3\t99\t4\t881250960"])
    write_ml100k(tmp_path, files)
    pin_members(monkeypatch, files)
    with pytest.raises(DataError, match="1 an item"):
        data.load_movielens("ml-100k", cache_dir=tmp_path, verbose=False)


def test_unknown_dataset_name_lists_known_ones(tmp_path):
    with pytest.raises(DataError) as info:
        data.load_movielens("ml-25m-typo", cache_dir=tmp_path)
    message = str(info.value)
    assert "'ml-25m-typo'" in message
    assert "ml-100k" in message and "ml-1m" in message
    assert listing(tmp_path) == []


# ----------------------------------------------------------------------------------
# Download, hash check and extraction (local HTTP server)
# ----------------------------------------------------------------------------------


def test_download_extracts_and_caches(local_server, tmp_path, monkeypatch):
    """First load downloads and extracts; later loads use the cache and make no request."""
    archive = ml100k_zip()
    (local_server.root / "ml-100k.zip").write_bytes(archive)
    use_spec(monkeypatch, url=local_server.url + "ml-100k.zip", sha256=sha256(archive))
    pin_members(monkeypatch, _ml100k_files())  # the later loads check the extracted members
    cache = tmp_path / "cache"  # does not exist yet

    first = data.load_movielens("ml-100k", cache_dir=cache, strict=True, verbose=False)
    assert local_server.requests == ["/ml-100k.zip"]
    assert first.source == "grouplens"
    assert (first.n_users, first.n_items, first.n_ratings) == (3, 4, 6)
    assert original_triples(first) == ML100K_TRIPLES
    assert "Misérables, Les (1995)" in first.movies["title"].tolist()
    assert listing(cache) == ["ml-100k", "ml-100k.zip"]  # no temporary files left
    assert sha256((cache / "ml-100k.zip").read_bytes()) == sha256(archive)
    assert listing(cache / "ml-100k") == ["README", "u.data", "u.item", "u.user"]

    second = data.load_movielens("ml-100k", cache_dir=cache, strict=True, verbose=False)
    assert len(local_server.requests) == 1
    pd.testing.assert_frame_equal(second.ratings, first.ratings)
    pd.testing.assert_frame_equal(second.movies, first.movies)

    # With only the archive left, it is checked and extracted again, still without a request.
    for path in (cache / "ml-100k").iterdir():
        path.unlink()
    (cache / "ml-100k").rmdir()
    third = data.load_movielens("ml-100k", cache_dir=cache, strict=True, verbose=False)
    assert len(local_server.requests) == 1
    pd.testing.assert_frame_equal(third.ratings, first.ratings)
    assert listing(cache) == ["ml-100k", "ml-100k.zip"]


def test_download_with_wrong_hash(local_server, tmp_path, monkeypatch):
    """A download that does not match the pinned sha256 is an error (never the twin) and is discarded."""
    (local_server.root / "ml-100k.zip").write_bytes(ml100k_zip())
    pinned = sha256(b"the official archive")
    use_spec(monkeypatch, url=local_server.url + "ml-100k.zip", sha256=pinned)
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        data.load_movielens("ml-100k", cache_dir=cache, strict=False, verbose=False)
    assert not isinstance(info.value, DownloadError)  # so no synthetic fallback
    message = str(info.value)
    assert pinned in message and "Fix:" in message
    assert len(local_server.requests) == 1
    assert listing(cache) == []  # no archive, no partial download


def test_archive_in_cache_with_wrong_hash(ml_closed_url, tmp_path, monkeypatch):
    """An archive already in the cache is hash-checked before it is used."""
    use_spec(monkeypatch, url=ml_closed_url, sha256=sha256(b"the official archive"))
    (tmp_path / "ml-100k.zip").write_bytes(ml100k_zip())
    with pytest.raises(DataError, match="Fix: delete .*ml-100k.zip"):
        data.load_movielens("ml-100k", cache_dir=tmp_path, strict=False, verbose=False)
    assert listing(tmp_path) == ["ml-100k.zip"]


def test_truncated_archive_in_cache(ml_closed_url, tmp_path, monkeypatch):
    """A truncated zip (whose hash the spec pins) fails to extract: DataError, nothing half-extracted."""
    truncated = ml100k_zip()[:300]
    use_spec(monkeypatch, url=ml_closed_url, sha256=sha256(truncated))
    (tmp_path / "ml-100k.zip").write_bytes(truncated)
    with pytest.raises(DataError, match="not a valid zip archive.*Fix: delete"):
        data.load_movielens("ml-100k", cache_dir=tmp_path, strict=False, verbose=False)
    assert listing(tmp_path) == ["ml-100k.zip"]  # no ml-100k/, no .ml-100k-* temp folder


def _corrupt_first_member(archive: bytes) -> bytes:
    """Break the deflate stream of the first file in the zip (reserved block type)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = next(i for i in zf.infolist() if not i.is_dir())
    # Local header: 30 bytes, then file name and extra field, then the compressed data.
    name_len, extra_len = np.frombuffer(archive[info.header_offset + 26 : info.header_offset + 30], "<u2")
    start = info.header_offset + 30 + int(name_len) + int(extra_len)
    broken = bytearray(archive)
    broken[start] |= 0b110  # BTYPE = 11, which deflate reserves: zlib refuses it
    return bytes(broken)


@pytest.mark.parametrize("damage", ["truncated", "corrupt-member", "not-a-zip"])
def test_extract_rejects_broken_archives(tmp_path, damage):
    """_extract turns every kind of broken zip into a DataError and leaves no folder behind."""
    archive = {
        "truncated": ml100k_zip()[:-100],
        "corrupt-member": _corrupt_first_member(ml100k_zip()),
        "not-a-zip": b"<html>Service unavailable</html>",
    }[damage]
    path = tmp_path / "ml-100k.zip"
    path.write_bytes(archive)
    with pytest.raises(DataError, match="not a valid zip archive"):
        download._extract(path, registry.REGISTRY["ml-100k"], tmp_path)
    assert listing(tmp_path) == ["ml-100k.zip"]


def test_extract_rejects_archive_missing_a_member(tmp_path):
    """A zip without ml-100k/u.user is refused before anything is extracted."""
    files = _ml100k_files()
    del files["u.user"]
    path = tmp_path / "ml-100k.zip"
    path.write_bytes(ml100k_zip(files))
    with pytest.raises(DataError, match=r"does not contain ml-100k/u\.user\. Fix:"):
        download._extract(path, registry.REGISTRY["ml-100k"], tmp_path)
    assert listing(tmp_path) == ["ml-100k.zip"]


# ----------------------------------------------------------------------------------
# Offline: synthetic twin, or an error in strict mode
# ----------------------------------------------------------------------------------


def test_offline_falls_back_to_synthetic_twin(ml_closed_url, ml_tiny, tmp_path, monkeypatch, capsys):
    """No connection and strict off: the twin, with the real schema and a loud banner."""
    use_spec(monkeypatch, url=ml_closed_url)
    cache = tmp_path / "offline-cache"
    twin = data.load_movielens("ml-100k", cache_dir=cache, strict=False, verbose=False)
    assert twin.source == "synthetic" and twin.is_synthetic
    assert (twin.n_users, twin.n_items, twin.n_ratings) == (943, 1682, 100_000)
    for frame in ("ratings", "users", "movies"):
        assert list(getattr(twin, frame).columns) == list(getattr(ml_tiny, frame).columns)
    banner = capsys.readouterr().out
    assert "OFFLINE" in banner and "SYNTHETIC TWIN" in banner
    assert "RECSYS_COURSE_STRICT_DATA=1" in banner
    assert listing(cache) == []  # no partial download left behind


def test_offline_in_strict_mode_is_an_error(ml_closed_url, tmp_path, monkeypatch, capsys):
    use_spec(monkeypatch, url=ml_closed_url)
    with pytest.raises(DownloadError) as info:
        data.load_movielens("ml-100k", cache_dir=tmp_path, strict=True, verbose=False)
    message = str(info.value)
    assert ml_closed_url in message
    assert "RECSYS_COURSE_STRICT_DATA=1" in message and "Fix:" in message
    assert "SYNTHETIC" not in capsys.readouterr().out


@pytest.mark.parametrize("value, strict", [("1", True), ("true", True), ("0", False), ("", False)])
def test_strict_mode_from_environment(ml_closed_url, tmp_path, monkeypatch, value, strict):
    """strict=None follows RECSYS_COURSE_STRICT_DATA."""
    use_spec(monkeypatch, url=ml_closed_url)
    monkeypatch.setenv("RECSYS_COURSE_STRICT_DATA", value)
    if strict:
        with pytest.raises(DownloadError):
            data.load_movielens("ml-100k", cache_dir=tmp_path, verbose=False)
    else:
        assert data.load_movielens("ml-100k", cache_dir=tmp_path, verbose=False).is_synthetic


def test_malformed_url_is_a_download_error(tmp_path, monkeypatch):
    """A URL without a scheme is reported as a failed download, not as a hash mismatch."""
    use_spec(monkeypatch, url="127.0.0.1/ml-100k.zip")
    with pytest.raises(DownloadError) as info:
        data.load_movielens("ml-100k", cache_dir=tmp_path, strict=True, verbose=False)
    assert "sha256" not in str(info.value)


# ----------------------------------------------------------------------------------
# The ML-1M format (tiny files)
# ----------------------------------------------------------------------------------

ML1M_USERS = ["1::F::1::10::48067", "6::M::56::16::70072", "9::M::25::17::61614", "4::M::45::7::02460"]
ML1M_MOVIES = [
    "1::Toy Story (1995)::Animation|Children's|Comedy",
    "73::Misérables, Les (1995)::Drama|Musical",
    "2::Jumanji (1995)::Adventure|Children's|Fantasy",
    "260::Star Wars: Episode IV - A New Hope (1977)::Action|Adventure|Fantasy|Sci-Fi",
]
ML1M_RATINGS = [
    "1::1::5::978300760",
    "1::73::4::978302109",
    "4::260::5::978301968",
    "6::2::3::978300275",
    "9::260::4::978824291",
    "9::1::2::978824268",
]


def write_ml1m(cache: Path, ratings=ML1M_RATINGS, movies=ML1M_MOVIES, users=ML1M_USERS) -> Path:
    """Write an extracted ``ml-1m/`` folder (latin-1, '::'-separated) into ``cache``."""
    folder = cache / "ml-1m"
    folder.mkdir(parents=True)
    for name, lines in (("ratings.dat", ratings), ("movies.dat", movies), ("users.dat", users)):
        (folder / name).write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return folder


def test_ml1m_parser_on_tiny_files(tmp_path):
    """Counts, contiguous ids, '|'-separated genres, occupation codes mapped to names."""
    write_ml1m(tmp_path)
    ml = data.load_movielens("ml-1m", cache_dir=tmp_path, strict=True, verbose=False)
    assert (ml.n_users, ml.n_items, ml.n_ratings) == (4, 4, 6)
    assert_contiguous_ids(ml)
    assert ml.users["user_id"].tolist() == [1, 4, 6, 9]
    assert ml.movies["item_id"].tolist() == [1, 2, 73, 260]
    expected = {tuple(int(x) for x in line.split("::")[:3]) for line in ML1M_RATINGS}
    assert original_triples(ml) == expected

    assert ml.genres == movielens.ML1M_GENRES and len(ml.genres) == 18
    assert ml.item_genres.shape == (4, 18)
    movies = ml.movies.set_index("item_id")
    assert movies.loc[73, "title"] == "Misérables, Les (1995)"
    assert movies.loc[73, "genres"] == ["Drama", "Musical"]
    assert movies.loc[260, "title"] == "Star Wars: Episode IV - A New Hope (1977)"
    assert movies.loc[260, "genres"] == ["Action", "Adventure", "Fantasy", "Sci-Fi"]
    assert movies.loc[260, "year"] == 1977
    np.testing.assert_array_equal(ml.item_genres.sum(axis=1), [3, 3, 2, 4])

    users = ml.users.set_index("user_id")
    assert users["occupation"].to_dict() == {
        1: "K-12 student",
        4: "executive/managerial",
        6: "self-employed",
        9: "technician/engineer",
    }
    assert users["age"].to_dict() == {1: 1, 4: 45, 6: 56, 9: 25}  # age brackets stay codes
    assert users.loc[1, "gender"] == "F" and users.loc[4, "zip"] == "02460"


def test_ml1m_malformed_line_names_the_separator(tmp_path):
    folder = write_ml1m(tmp_path, ratings=ML1M_RATINGS + ["9::2::4"])
    with pytest.raises(DataError) as info:
        data.load_movielens("ml-1m", cache_dir=tmp_path, verbose=False)
    message = str(info.value)
    assert f"{folder / 'ratings.dat'}, line 7:" in message
    assert "expected 4 fields separated by '::'" in message


def test_ml1m_unknown_genre(tmp_path):
    write_ml1m(tmp_path, movies=ML1M_MOVIES[:-1] + ["260::Star Wars (1977)::Space Opera"])
    with pytest.raises(DataError, match="unknown genre.*Space Opera"):
        data.load_movielens("ml-1m", cache_dir=tmp_path, verbose=False)


# ----------------------------------------------------------------------------------
# The synthetic twin
# ----------------------------------------------------------------------------------


def test_synthetic_has_the_real_schema(ml_tiny):
    """Same columns and dtypes as data parsed from the official format."""
    twin = data.synthetic_movielens(n_users=30, n_items=40, n_ratings=200)
    for frame in ("ratings", "users", "movies"):
        pd.testing.assert_series_equal(getattr(twin, frame).dtypes, getattr(ml_tiny, frame).dtypes)
    assert twin.item_genres.dtype == ml_tiny.item_genres.dtype
    assert twin.item_genres.shape == (40, len(twin.genres))
    assert twin.source == "synthetic" and twin.path is None


def test_synthetic_sizes_and_ranges():
    twin = data.synthetic_movielens(seed=1, n_users=30, n_items=40, n_ratings=200)
    assert (twin.n_users, twin.n_items, twin.n_ratings) == (30, 40, 200)
    assert_contiguous_ids(twin)
    assert twin.ratings["rating"].between(1, 5).all()
    assert not twin.ratings.duplicated(["user", "item"]).any()  # one rating per (user, movie)
    genres_per_movie = twin.item_genres.sum(axis=1)
    assert genres_per_movie.min() >= 1 and genres_per_movie.max() <= 3


def test_synthetic_default_sizes_follow_the_dataset():
    twin = data.synthetic_movielens("ml-100k")
    assert (twin.n_users, twin.n_items, twin.n_ratings) == (943, 1682, 100_000)


def test_synthetic_is_deterministic_for_a_seed():
    a = data.synthetic_movielens(seed=7, n_users=30, n_items=40, n_ratings=200)
    b = data.synthetic_movielens(seed=7, n_users=30, n_items=40, n_ratings=200)
    c = data.synthetic_movielens(seed=8, n_users=30, n_items=40, n_ratings=200)
    for frame in ("ratings", "users", "movies"):
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame))
    np.testing.assert_array_equal(a.item_genres, b.item_genres)
    assert not a.ratings.equals(c.ratings)


def test_synthetic_rejects_too_many_ratings():
    with pytest.raises(ValueError, match="at most half"):
        data.synthetic_movielens(n_users=10, n_items=10, n_ratings=51)
