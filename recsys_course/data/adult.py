"""UCI Adult (census income), the classic Wide & Deep demo: its columns and a strict reader.

:func:`read_adult` parses the official ``adult.data`` and ``adult.test`` into
tidy frames; the download and hash checks live in :mod:`.adult_download`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import damaged

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORICAL = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]
LABELS = {"<=50K": 0, ">50K": 1}
TEST_COMMENT = "|1x3 Cross validator"  # the first line of the official adult.test


@dataclass
class Adult:
    """UCI Adult as frames: ``train`` (adult.data) and ``test`` (adult.test), one row per person.

    Columns: :data:`NUMERIC` as integers, :data:`CATEGORICAL` as strings
    ("?" where the census left the answer blank - kept as a category of its
    own), and ``label``: 1 when income is above $50K.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    path: str | None = None

    def summary(self) -> str:
        return (
            f"UCI Adult: {len(self.train):,} training and {len(self.test):,} test rows, "
            f"{len(NUMERIC)} numeric and {len(CATEGORICAL)} categorical columns; "
            f"{self.train['label'].mean():.1%} / {self.test['label'].mean():.1%} earn >50K"
        )


def _read_split(path: Path, comment_first: bool) -> pd.DataFrame:
    """One official file: comma-separated, 15 fields, blank lines skipped, labels checked."""
    text = path.read_bytes().decode("latin-1")
    lines = re.split(r"\r\n|\r|\n", text)
    first = 0
    if comment_first:
        if not lines or lines[0].strip() != TEST_COMMENT:
            raise damaged(
                path,
                f"line 1: expected the comment {TEST_COMMENT!r} of the official adult.test, "
                f"got {lines[0][:60] if lines else ''!r}",
            )
        first = 1
    numbers = np.arange(1, len(lines) + 1)[first:]
    body = pd.Series(lines[first:])
    filled = (body.str.strip() != "").to_numpy()
    fields = body.str.count(",").to_numpy() + 1
    bad = np.flatnonzero(filled & (fields != len(COLUMNS)))
    if len(bad):
        k = int(bad[0])
        raise damaged(
            path,
            f"line {numbers[k]}: expected {len(COLUMNS)} comma-separated fields, got {fields[k]}: "
            f"{body.iloc[k][:80]!r}",
        )
    if not filled.any():
        raise damaged(path, "it holds no rows")
    frame = pd.read_csv(
        io.StringIO("\n".join(body[filled])),
        header=None,
        names=COLUMNS,
        dtype=str,
        skipinitialspace=True,
        keep_default_na=False,
    )
    frame.index = numbers[filled]
    income = frame.pop("income").str.rstrip(".")  # adult.test writes '<=50K.' and '>50K.'
    unknown = ~income.isin(list(LABELS))
    if unknown.any():
        line = int(frame.index[unknown.to_numpy()][0])
        raise damaged(path, f"line {line}: income must be '<=50K' or '>50K', got {income[unknown].iloc[0]!r}")
    for column in NUMERIC:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            line = int(frame.index[values.isna().to_numpy()][0])
            raise damaged(path, f"line {line}: {column} must be an integer, got {frame.loc[line, column]!r}")
        frame[column] = values.astype(np.int64)
    frame["label"] = income.map(LABELS).astype(np.int64)
    return frame.reset_index(drop=True)


def read_adult(folder: Path) -> Adult:
    """Parse ``adult.data`` and ``adult.test`` in ``folder``."""
    folder = Path(folder)
    return Adult(
        train=_read_split(folder / "adult.data", comment_first=False),
        test=_read_split(folder / "adult.test", comment_first=True),
        path=str(folder),
    )
