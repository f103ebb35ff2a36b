"""Where each dataset comes from and how it is checked: the registry of official archives and their sha256.

:data:`REGISTRY` lists the MovieLens archives (URL, pinned sha256, the members the parser needs),
:data:`ADULT_FILES` UCI Adult's two files; :func:`get_spec` looks a dataset up by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DataError

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"


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
    name: DatasetSpec(
        name=f"adult/{name}",
        url=UCI_ADULT + name,
        sha256=sha256,
        folder="adult",
        files=(name,),
        parser="adult",
    )
    for name, sha256 in (
        ("adult.data", "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"),
        ("adult.test", "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05"),
    )
}


def get_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; an unknown name lists the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise DataError(f"Unknown dataset {name!r}. Known datasets: {known}.") from None
