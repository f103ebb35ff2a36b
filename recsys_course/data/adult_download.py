"""UCI Adult from either address: the two legacy files first, else the zip UCI now serves.

Whichever address serves them, ``adult.data`` and ``adult.test`` are each checked against their own
pinned sha256 and reach ``<cache>/adult/`` only whole and checked (a temporary name, then a move).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from . import download, registry
from .errors import DataError, DownloadError


def fetch_adult(cache: Path, *, verbose: bool = True) -> Path:
    """Return ``<cache>/adult`` holding both files, checked, downloading the missing ones.

    Files already there are checked against their pinned sha256 (they are small). Missing ones come
    from the legacy address; if that cannot be reached (no connection, an HTTP error), from the zip.
    A file that arrives with the wrong sha256 is an error, not a reason to try the other address.
    """
    folder = cache / "adult"
    missing = []
    for name, spec in registry.ADULT_FILES.items():
        path = folder / name
        if path.is_file():
            download.check_hash(path, spec)
        else:
            missing.append(name)
    try:
        for name in missing:
            download.retrieve(registry.ADULT_FILES[name], folder, verbose=verbose)
    except DownloadError as legacy:
        left = [name for name in missing if not (folder / name).is_file()]
        if verbose:
            print(f"UCI Adult: the legacy address failed ({legacy}); trying {registry.ADULT_ZIP_URL}")
        try:
            _from_zip(registry.ADULT_ZIP_URL, left, folder, verbose=verbose)
        except DownloadError as current:
            wanted = " and ".join(f"{n} (sha256 {registry.ADULT_FILES[n].sha256})" for n in left)
            raise DownloadError(
                f"Could not download UCI Adult from either address.\n"
                f"  legacy files: {legacy}\n"
                f"  zip: {current}\n"
                f"Fix: connect to the internet, or place the official {wanted} in {folder}, or point "
                f"RECSYS_COURSE_DATA at a folder whose adult/ holds them."
            ) from current
    return folder


def _from_zip(url: str, names: list[str], folder: Path, *, verbose: bool) -> None:
    """Download the zip to a temporary folder, check the members ``names`` and move them into ``folder``.

    The zip and the unpacked members stay under a hidden temporary folder inside ``folder`` (so the move
    is a rename on one disk) that is removed whatever happens; nothing is moved unless every member passed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".adult-zip-", dir=folder))
    try:
        archive = tmp / "adult.zip"
        download.download_file(url, archive, verbose=verbose)
        staged = _unpack_checked(archive, names, tmp, url, folder)
        for name, path in staged.items():
            os.replace(path, folder / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _unpack_checked(archive: Path, names: list[str], tmp: Path, url: str, folder: Path) -> dict[str, Path]:
    """Unpack each member in ``names`` into ``tmp``, hashing it on the way; all must match their pins."""
    staged = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            for name in names:
                found = [
                    i for i in zf.infolist() if not i.is_dir() and PurePosixPath(i.filename).name == name
                ]
                if len(found) != 1:
                    raise DataError(
                        f"The zip downloaded from {url} holds {len(found)} files named {name}, not one. "
                        f"Fix: try again later; if it persists, place the official {name} in {folder} "
                        f"by hand."
                    )
                staged[name] = tmp / name
                actual = _copy_hashing(zf, found[0], staged[name])
                expected = registry.ADULT_FILES[name].sha256
                if actual != expected:
                    raise DataError(
                        f"{name} in the zip downloaded from {url} has sha256 {actual}, but the official "
                        f"{name} has {expected}; it was discarded and nothing was written to {folder}. "
                        f"Fix: try again later; if it persists, the file UCI serves changed - place the "
                        f"official {name} in {folder} by hand, or point RECSYS_COURSE_DATA at a folder "
                        f"whose adult/ holds it."
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise DataError(
            f"The file downloaded from {url} is not a valid zip archive ({err}); it was discarded. "
            f"Fix: try again later; if it persists, place the official {', '.join(names)} in {folder} "
            f"by hand."
        ) from err
    return staged


def _copy_hashing(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> str:
    """Copy one member to ``dest`` in 1 MiB blocks (zipfile checks its CRC) and return its sha256."""
    digest = hashlib.sha256()
    with zf.open(info) as src, open(dest, "wb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()
