"""Where each dataset comes from and how it is checked: the registry of official archives and their sha256.

:data:`REGISTRY` lists the MovieLens archives (URL, pinned sha256, the members the parser reads and,
for ML-100K, each member's own sha256); :data:`ADULT_FILES` UCI Adult's two files and
:data:`ADULT_ZIP_URL` the zip that also holds them; :func:`get_spec` looks a dataset up by name.
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
    # (member, sha256) for each member the parser reads, where the official members' hashes are known.
    # Empty for ML-1M, whose zip alone is pinned: see recsys_course/data/checks.py for what that means.
    member_sha256: tuple[tuple[str, str], ...] = ()

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
        member_sha256=(  # ../shared/datasets/SOURCES.md lists the same
            ("u.data", "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"),
            ("u.item", "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"),
            ("u.user", "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"),
        ),
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
# UCI Adult's two files, each pinned by its own sha256 (../shared/datasets/SOURCES.md lists the same),
# fetched from the legacy address above first.
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
# UCI's current address for the same set: a zip whose members include adult.data and adult.test. Its own
# hash is not pinned (UCI may repack it), so the two members are checked against ADULT_FILES instead.
ADULT_ZIP_URL = "https://archive.ics.uci.edu/static/public/2/adult.zip"


def get_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; an unknown name lists the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise DataError(f"Unknown dataset {name!r}. Known datasets: {known}.") from None
