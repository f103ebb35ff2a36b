"""The one error type of the data layer, and how a damaged file is reported.

Every problem with a dataset file - a wrong hash, a corrupt archive, a
missing member, a malformed line - is a :class:`DataError` whose message
names the file and the fix; :class:`DownloadError` is the offline case.
"""

from __future__ import annotations

from pathlib import Path


class DataError(RuntimeError):
    """A dataset file is missing, corrupt or malformed. The message says how to fix it."""


class DownloadError(DataError):
    """The archive could not be fetched (no connection, server error)."""


def damaged(path: Path, problem: str) -> DataError:
    """The error for a malformed file: where, what, and how to get a good copy."""
    return DataError(
        f"{path}, {problem}. Fix: the file is damaged - delete the folder {path.parent} and run "
        f"again to re-extract or re-download it."
    )
