"""Tests for ``recsys_course.data.adult_download``: UCI Adult from the legacy files or, failing that, the zip.

A local HTTP server (``local_server``, conftest.py) plays UCI: a missing legacy file is its 404, and the
zip is built in ``tmp_path`` from the official files in ``$RECSYS_COURSE_DATA/adult`` (tests that need
them are skipped when they are not there). Nothing here needs the internet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from recsys_course.data import DataError, DownloadError, load_adult, registry

from .real_data import ADULT, needs_real_adult

LEGACY = "ml/machine-learning-databases/adult/"  # the paths as UCI lays them out
ZIP = "static/public/2/adult.zip"
NAMES = list(registry.ADULT_FILES)  # adult.data, adult.test


def adult_zip(changed: dict[str, bytes] | None = None) -> bytes:
    """A zip laid out like UCI's adult.zip (members at the top, with the description files) from the
    official files, with the members in ``changed`` replaced."""
    members = {name: (ADULT / name).read_bytes() for name in NAMES}
    members.update(changed or {})
    members["adult.names"] = b"A stand-in for the description UCI ships, made by the tests.\n"
    members["Index"] = b"Index of adult\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def listing(folder: Path) -> list[str]:
    """Names in ``folder``, hidden temporary ones included; [] if it does not exist."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def uci(local_server, monkeypatch):
    """The registry's two addresses pointed at the local server, whose folder starts empty (everything 404s)."""
    (local_server.root / LEGACY).mkdir(parents=True)
    (local_server.root / ZIP).parent.mkdir(parents=True)
    moved = {
        name: dataclasses.replace(spec, url=local_server.url + LEGACY + name)
        for name, spec in registry.ADULT_FILES.items()
    }
    monkeypatch.setattr(registry, "ADULT_FILES", moved)
    monkeypatch.setattr(registry, "ADULT_ZIP_URL", local_server.url + ZIP)
    return local_server


def _serve_legacy(uci, *names: str) -> None:
    for name in names:
        (uci.root / LEGACY / name).write_bytes((ADULT / name).read_bytes())


def _check_cached(folder: Path) -> None:
    assert listing(folder) == NAMES  # no zip, no description files, no temporary folder
    for name, spec in registry.ADULT_FILES.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == spec.sha256


@needs_real_adult
def test_the_legacy_files_come_first(uci, tmp_path):
    _serve_legacy(uci, *NAMES)
    (uci.root / ZIP).write_bytes(adult_zip())
    adult = load_adult(tmp_path, verbose=False)
    assert uci.requests == ["/" + LEGACY + name for name in NAMES]  # the zip was not asked for
    assert (len(adult.train), len(adult.test)) == (32_561, 16_281)
    _check_cached(tmp_path / "adult")


@needs_real_adult
def test_when_the_legacy_address_fails_the_zip_serves_both_files(uci, tmp_path):
    (uci.root / ZIP).write_bytes(adult_zip())
    adult = load_adult(tmp_path, verbose=False)
    assert uci.requests == ["/" + LEGACY + NAMES[0], "/" + ZIP]  # the first 404 sends it to the zip
    assert (len(adult.train), len(adult.test)) == (32_561, 16_281)
    _check_cached(tmp_path / "adult")

    load_adult(tmp_path, verbose=False)  # later loads check the cached files and ask for nothing
    assert len(uci.requests) == 2


@needs_real_adult
def test_the_zip_supplies_only_what_the_legacy_address_did_not(uci, tmp_path):
    _serve_legacy(uci, "adult.data")
    never_read = {"adult.data": b"not the official file, and never asked for: the legacy copy came first\n"}
    (uci.root / ZIP).write_bytes(adult_zip(changed=never_read))
    load_adult(tmp_path, verbose=False)
    assert uci.requests == ["/" + LEGACY + "adult.data", "/" + LEGACY + "adult.test", "/" + ZIP]
    _check_cached(tmp_path / "adult")


@needs_real_adult
def test_a_damaged_member_of_the_zip_is_refused_and_nothing_is_kept(uci, tmp_path):
    official = (ADULT / "adult.data").read_bytes()
    damaged = official.replace(b"39, State-gov", b"38, State-gov", 1)  # one byte; it would still parse
    (uci.root / ZIP).write_bytes(adult_zip(changed={"adult.data": damaged}))
    with pytest.raises(DataError) as info:
        load_adult(tmp_path, verbose=False)
    assert not isinstance(info.value, DownloadError)  # a wrong file is not an offline machine
    message = str(info.value)
    actual = hashlib.sha256(damaged).hexdigest()
    assert f"adult.data in the zip downloaded from {uci.url + ZIP} has sha256 {actual}" in message
    assert registry.ADULT_FILES["adult.data"].sha256 in message and "Fix:" in message
    assert listing(tmp_path / "adult") == []  # not even the good adult.test, nor a temporary file


def test_a_zip_that_is_not_a_zip_is_refused(uci, tmp_path):
    (uci.root / ZIP).write_bytes(b"<html>Service unavailable</html>")
    with pytest.raises(DataError, match="is not a valid zip archive.*Fix:"):
        load_adult(tmp_path, verbose=False)
    assert listing(tmp_path / "adult") == []


def test_when_both_addresses_fail_the_error_names_both(uci, tmp_path):
    with pytest.raises(DownloadError) as info:
        load_adult(tmp_path, verbose=False)
    message = str(info.value)
    assert uci.url + LEGACY + "adult.data" in message and uci.url + ZIP in message
    assert "404" in message and "place the official adult.data" in message
    assert listing(tmp_path / "adult") == []  # no half-written file, no temporary folder
