"""MovieLens and UCI Adult: registry, verified download and cache, with a synthetic MovieLens offline.

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

import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from . import config
from .movielens import (ML1M_GENRES, ML1M_OCCUPATIONS, ML100K_GENRES, DataError, MovieLens,  # noqa: F401
                        read_ml1m, read_ml100k, tidy)
from .adult import Adult, read_adult
from .synthetic import synthetic_movielens

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
DOWNLOAD_TIMEOUT_S = 10  # connect/read timeout: an offline machine fails fast


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



UCI_ADULT = "https://archive.ics.uci.edu/ml/machine-learning-databases/adult/"
# UCI Adult's two files, each pinned by its own sha256 (../shared/datasets/SOURCES.md lists the same).
ADULT_FILES: dict[str, DatasetSpec] = {
    name: DatasetSpec(name=f"adult/{name}", url=UCI_ADULT + name, sha256=sha256, folder="adult", files=(name,),
                      parser="adult")
    for name, sha256 in (("adult.data", "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"),
                         ("adult.test", "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05"))
}


# ----------------------------------------------------------------------------------
# Public entry points
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


def load_adult(cache_dir: str | os.PathLike | None = None, *, verbose: bool = True) -> Adult:
    """Load UCI Adult from ``<cache>/adult/`` (downloading the two official files once if needed).

    Files found in the cache are checked against their pinned sha256 (they
    are small), downloaded ones by pooch before they are kept. There is no
    synthetic twin: offline and without the files, this is a clear error.
    """
    cache = Path(cache_dir) if cache_dir is not None else config.data_dir()
    folder = cache / "adult"
    for name, spec in ADULT_FILES.items():
        path = folder / name
        if path.is_file():
            _check_hash(path, spec)
            continue
        try:
            _download(spec, folder, verbose=verbose)
        except DownloadError as err:
            raise DownloadError(
                f"{err}\nFix: connect to the internet, or place the official {name} (sha256 {spec.sha256}) "
                f"in {folder}, or point RECSYS_COURSE_DATA at a folder whose adult/ holds it.") from err
    return read_adult(folder)


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


def parse(spec: DatasetSpec, folder: Path) -> MovieLens:
    """Parse an extracted archive into a :class:`MovieLens`."""
    readers = {"ml-100k": read_ml100k, "ml-1m": read_ml1m}
    ratings, users, movies, genres, item_genres = readers[spec.parser](folder)
    return tidy(spec.name, ratings, users, movies, genres, item_genres, folder)
