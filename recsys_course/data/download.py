"""Verified download and cache: fetch an official archive once, check its sha256, extract it atomically.

A cache folder that already holds the extracted archive is used once each member the parser reads
passes its sha256 check (:mod:`.checks`); otherwise the zip is downloaded with pooch (a 10-second
timeout), checked, and extracted under a temporary name that is moved into place only when complete -
so a failure never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

from .checks import check_members, sha256_of, write_manifest
from .errors import DataError, DownloadError
from .registry import DatasetSpec

DOWNLOAD_TIMEOUT_S = 10  # connect/read timeout: an offline machine fails fast


def fetch(spec: DatasetSpec, cache: Path, *, verbose: bool = True) -> Path:
    """Return the folder holding the extracted archive, downloading it if needed.

    A folder already in the cache has its members hashed (:func:`.checks.check_members`); one
    extracted here comes from a zip whose own sha256 was just checked, so it is not hashed again.
    """
    folder = cache / spec.folder
    if folder.is_dir():
        missing = [f for f in spec.files if not (folder / f).is_file()]
        if missing:
            raise DataError(
                f"The cache folder {folder} exists but lacks {', '.join(missing)}. "
                f"Fix: delete the folder {folder} so that it is extracted again from "
                f"{spec.archive}, or restore the missing file(s)."
            )
        check_members(spec, folder)
        return folder
    archive = cache / spec.archive
    if archive.is_file():
        check_hash(archive, spec)
    else:
        retrieve(spec, cache, verbose=verbose)
    _extract(archive, spec, cache)
    return folder


def check_hash(archive: Path, spec: DatasetSpec) -> None:
    actual = sha256_of(archive)
    if actual != spec.sha256:
        raise DataError(
            f"{archive} has sha256 {actual}, but the official {spec.archive} has "
            f"{spec.sha256}. The file is corrupt, truncated or not the official archive. "
            f"Fix: delete {archive} and run again to download it afresh."
        )


def retrieve(spec: DatasetSpec, cache: Path, *, verbose: bool) -> Path:
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
        raise _failed(spec.url, err) from err
    except ValueError as err:  # pooch's hash mismatch; it has already deleted the download
        raise DataError(
            f"The file downloaded from {spec.url} does not match the pinned sha256 "
            f"{spec.sha256} and was discarded ({err}). Fix: try again later; if it persists, "
            f"the server's file changed - download {spec.archive} by hand, check it, and place "
            f"the extracted folder in {cache}."
        ) from err
    return Path(path)


def download_file(url: str, dest: Path, *, verbose: bool) -> None:
    """Download ``url`` to ``dest`` with pooch's downloader, unchecked: for a file whose own hash is not
    known (the caller checks what it holds); ``dest`` should be a temporary name the caller cleans up."""
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=verbose, timeout=DOWNLOAD_TIMEOUT_S)
    try:
        downloader(url, str(dest), None)
    except (requests.exceptions.RequestException, OSError) as err:
        raise _failed(url, err) from err


def _failed(url: str, err: Exception) -> DownloadError:
    return DownloadError(f"Could not download {url}: {type(err).__name__}: {err}")


def _extract(archive: Path, spec: DatasetSpec, cache: Path) -> None:
    """Extract the archive's folder atomically (temp folder, then rename).

    Where the registry pins no member hashes (ML-1M), the members' sha256 are recorded in the temporary
    folder first (:func:`.checks.write_manifest`), so later loads can check them.
    """
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
                if not spec.member_sha256:
                    write_manifest(spec, tmp / spec.folder)
                os.replace(tmp / spec.folder, cache / spec.folder)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise DataError(
            f"{archive} is not a valid zip archive ({err}): it is truncated or corrupt. "
            f"Fix: delete {archive} and run again to download it afresh."
        ) from err
