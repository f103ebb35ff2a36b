"""Tests for ``recsys_course.data.checks``: every MovieLens file the parser reads is hashed first.

ML-100K: a writable copy of the real folder (from ``$RECSYS_COURSE_DATA``, default
``../shared/datasets``; skipped when absent) in ``tmp_path``, damaged in ways that still parse.
ML-1M: tiny files in its format, extracted by the course from a zip whose sha256 the test pins.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from recsys_course import data
from recsys_course.data import DataError, DownloadError, checks, load, registry

from .real_data import REAL_ROOT, needs_real_ml100k


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` (hidden ones too) with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture(autouse=True)
def no_strict_env(monkeypatch):
    monkeypatch.delenv("RECSYS_COURSE_STRICT_DATA", raising=False)


# ----------------------------------------------------------------------------------
# ML-100K: the pinned sha256 of u.data, u.item and u.user
# ----------------------------------------------------------------------------------


@pytest.fixture
def ml_copy(tmp_path, monkeypatch) -> Path:
    """A writable copy of the real ml-100k/ (without the u1-u5, ua, ub splits) that RECSYS_COURSE_DATA names."""
    cache = tmp_path / "data"
    splits = shutil.ignore_patterns("u[1-5ab].base", "u[1-5ab].test")
    shutil.copytree(REAL_ROOT / "ml-100k", cache / "ml-100k", ignore=splits, copy_function=shutil.copyfile)
    monkeypatch.setenv("RECSYS_COURSE_DATA", str(cache))
    return cache / "ml-100k"


def _change_first_line(path: Path, change) -> None:
    """Rewrite the first line of ``path`` with ``change`` (bytes -> bytes); the rest stays as it is."""
    first, rest = path.read_bytes().split(b"\n", 1)
    path.write_bytes(change(first) + b"\n" + rest)


DAMAGE = {
    "u.data-row-duplicated": ("u.data", lambda line: line + b"\n" + line),
    "u.data-one-byte": ("u.data", lambda line: line[:-1] + str((int(line[-1:]) + 1) % 10).encode()),
    "u.data-timestamp-in-2286": ("u.data", lambda line: line.rsplit(b"\t", 1)[0] + b"\t9999999999"),
    "u.item-one-byte": ("u.item", lambda line: line.replace(b"Toy Story", b"Toy Storm")),
    "u.user-one-byte": ("u.user", lambda line: line.replace(b"|M|", b"|F|")),
}


@needs_real_ml100k
def test_the_untouched_folder_loads_and_nothing_is_written(ml_copy):
    before = snapshot(ml_copy.parent)
    ml = data.load_movielens("ml-100k", strict=True, verbose=False)  # the cache from RECSYS_COURSE_DATA
    assert (ml.n_users, ml.n_items, ml.n_ratings) == (943, 1682, 100_000)
    assert Path(ml.path) == ml_copy
    assert snapshot(ml_copy.parent) == before  # no manifest, no temporary file


@needs_real_ml100k
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_member_that_still_parses_is_refused(ml_copy, damage):
    """The damage reads fine, so only the hash can tell; the error names the file, both hashes and the fix."""
    name, change = DAMAGE[damage]
    _change_first_line(ml_copy / name, change)
    spec = registry.REGISTRY["ml-100k"]
    load.parse(spec, ml_copy)  # the parser alone would accept it
    before = snapshot(ml_copy.parent)

    with pytest.raises(DataError) as info:
        data.load_movielens("ml-100k", strict=False, verbose=False)
    assert not isinstance(info.value, DownloadError)  # so never the synthetic twin
    message = str(info.value)
    actual = hashlib.sha256((ml_copy / name).read_bytes()).hexdigest()
    assert f"{ml_copy / name} has sha256 {actual}" in message
    assert dict(spec.member_sha256)[name] in message
    assert f"Fix: delete the folder {ml_copy}" in message and "RECSYS_COURSE_DATA" in message
    assert snapshot(ml_copy.parent) == before  # the check wrote nothing


def test_the_pins_cover_what_the_parser_reads():
    spec = registry.REGISTRY["ml-100k"]
    assert [name for name, _ in spec.member_sha256] == list(spec.files)
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for _, sha in spec.member_sha256)


@pytest.mark.skipif(not (REAL_ROOT / "SOURCES.md").is_file(), reason="no SOURCES.md beside the datasets")
def test_the_pins_agree_with_sources_md():
    """Each pinned member hash is the one SOURCES.md lists for the file it placed."""
    sources = (REAL_ROOT / "SOURCES.md").read_text()
    listed = dict(re.findall(r"^\| shared/datasets/(\S+) \|.*\| `([0-9a-f]{64})` \|$", sources, re.M))
    pins = {f"ml-100k/{name}": sha for name, sha in registry.REGISTRY["ml-100k"].member_sha256}
    pins.update({f"adult/{name}": spec.sha256 for name, spec in registry.ADULT_FILES.items()})
    assert {path: listed.get(path) for path in pins} == pins


# ----------------------------------------------------------------------------------
# ML-1M: no member hashes known, so the course records them when it extracts a verified zip
# ----------------------------------------------------------------------------------

ML1M_FILES = {
    "ratings.dat": b"1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n",
    "movies.dat": b"1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure|Fantasy\n",
    "users.dat": b"1::F::1::10::48067\n2::M::56::16::70072\n",
}


@pytest.fixture
def ml1m_zip_in_cache(tmp_path, monkeypatch) -> Path:
    """A cache holding a tiny ml-1m.zip whose sha256 the registry pins (its URL is never contacted)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in ML1M_FILES.items():
            zf.writestr(f"ml-1m/{name}", content)
        zf.writestr("ml-1m/README", b"A tiny stand-in for ML-1M, made by the tests.\n")
    archive = buffer.getvalue()
    spec = dataclasses.replace(
        registry.REGISTRY["ml-1m"],
        url="http://127.0.0.1:9/ml-1m.zip",
        sha256=hashlib.sha256(archive).hexdigest(),
    )
    monkeypatch.setitem(registry.REGISTRY, "ml-1m", spec)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "ml-1m.zip").write_bytes(archive)
    return cache


def test_extracting_a_verified_zip_records_its_members(ml1m_zip_in_cache):
    cache = ml1m_zip_in_cache
    ml = data.load_movielens("ml-1m", cache_dir=cache, strict=True, verbose=False)
    assert ml.n_ratings == 3
    assert sorted(p.name for p in cache.iterdir()) == ["ml-1m", "ml-1m.zip"]  # no temporary folder left
    manifest = (cache / "ml-1m" / checks.MANIFEST).read_text()
    assert manifest == "".join(f"{hashlib.sha256(ML1M_FILES[n]).hexdigest()}  {n}\n" for n in ML1M_FILES)

    before = snapshot(cache)
    again = data.load_movielens("ml-1m", cache_dir=cache, strict=True, verbose=False)  # checked, then read
    assert again.n_ratings == 3 and snapshot(cache) == before


def test_a_member_changed_after_extraction_is_refused(ml1m_zip_in_cache):
    cache = ml1m_zip_in_cache
    data.load_movielens("ml-1m", cache_dir=cache, strict=True, verbose=False)
    ratings = cache / "ml-1m" / "ratings.dat"
    ratings.write_bytes(ratings.read_bytes() + b"2::1::4::978301968\n")  # a duplicated row still parses
    with pytest.raises(DataError) as info:
        data.load_movielens("ml-1m", cache_dir=cache, strict=True, verbose=False)
    message = str(info.value)
    assert f"{ratings} has sha256" in message
    assert hashlib.sha256(ML1M_FILES["ratings.dat"]).hexdigest() in message
    assert checks.MANIFEST in message and f"Fix: delete the folder {cache / 'ml-1m'}" in message


def test_a_malformed_manifest_is_named(ml1m_zip_in_cache):
    cache = ml1m_zip_in_cache
    data.load_movielens("ml-1m", cache_dir=cache, strict=True, verbose=False)
    manifest = cache / "ml-1m" / checks.MANIFEST
    manifest.write_text(manifest.read_text().replace("users.dat", "people.dat"))
    with pytest.raises(DataError, match=r"SHA256SUMS, it records no sha256 for users\.dat\. Fix:"):
        data.load_movielens("ml-1m", cache_dir=cache, strict=True, verbose=False)


def test_an_ml1m_folder_placed_by_hand_is_read_unchecked_and_left_as_is(tmp_path):
    """No member hash is known for it: it is parsed (the parser's own checks apply) and nothing is added."""
    folder = tmp_path / "ml-1m"
    folder.mkdir()
    for name, content in ML1M_FILES.items():
        (folder / name).write_bytes(content)
    before = snapshot(tmp_path)
    assert data.load_movielens("ml-1m", cache_dir=tmp_path, strict=True, verbose=False).n_ratings == 3
    assert snapshot(tmp_path) == before
