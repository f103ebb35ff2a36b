"""Every file checked: each member a MovieLens parser reads is hashed before it is parsed.

ML-100K's members have pinned sha256 (:mod:`.registry`). For ML-1M only the zip is pinned, so extracting
a verified zip records its members' sha256 in ``<folder>/SHA256SUMS``, checked at every later load; an
ML-1M folder placed by hand without that file is read unchecked (the parser's own checks still apply).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .errors import DataError, damaged
from .registry import DatasetSpec

MANIFEST = "SHA256SUMS"  # in sha256sum's format, so `sha256sum -c SHA256SUMS` checks it by hand too
_LINE = re.compile(r"([0-9a-f]{64})  (\S+)")


def sha256_of(path: Path) -> str:
    """The file's sha256 as hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_members(spec: DatasetSpec, folder: Path) -> None:
    """Hash each member the parser reads and refuse the folder if one differs from what is expected.

    A damaged file can still parse (a duplicated row, a changed timestamp), so this runs before the
    parser. It reads the files and writes nothing.
    """
    if spec.member_sha256:
        expected, origin = dict(spec.member_sha256), "pinned in recsys_course/data/registry.py"
    elif (folder / MANIFEST).is_file():
        expected = read_manifest(folder / MANIFEST, spec)
        origin = f"recorded in {folder / MANIFEST} when the course extracted the verified {spec.archive}"
    else:
        return  # a folder placed by hand, with no hash known for its members: see the module docstring
    for name, sha256 in expected.items():
        path = folder / name
        actual = sha256_of(path)
        if actual != sha256:
            raise DataError(
                f"{path} has sha256 {actual}, but the official {spec.folder}/{name} has {sha256} "
                f"({origin}). The file is damaged or not the official one; it may still parse, so it is "
                f"refused before it is read. Fix: delete the folder {folder} and run again to re-extract "
                f"or re-download it, or point RECSYS_COURSE_DATA at a folder holding an official copy "
                f"of {spec.folder}/."
            )


def read_manifest(path: Path, spec: DatasetSpec) -> dict[str, str]:
    """The sha256 a manifest records for each member the parser reads; a malformed manifest is an error."""
    recorded = {}
    for number, line in enumerate(path.read_text(encoding="latin-1").splitlines(), start=1):
        match = _LINE.fullmatch(line)
        if match is None:
            raise damaged(path, f"line {number}: expected '<sha256>  <file name>', got {line[:80]!r}")
        recorded[match.group(2)] = match.group(1)
    missing = [name for name in spec.files if name not in recorded]
    if missing:
        raise damaged(path, f"it records no sha256 for {', '.join(missing)}")
    return {name: recorded[name] for name in spec.files}


def write_manifest(spec: DatasetSpec, folder: Path) -> None:
    """Record the sha256 of the parser's members in ``folder``, which must be the temporary extraction
    folder: it is moved into place whole, so the manifest appears atomically with the files it describes."""
    lines = [f"{sha256_of(folder / name)}  {name}\n" for name in spec.files]
    (folder / MANIFEST).write_text("".join(lines), encoding="ascii")
