"""Write the versions CI passes with into requirements-lock.txt, and Binder's environment.yml from that lock.

    python scripts/lock_versions.py                      # write both from this environment
    python scripts/lock_versions.py --check              # exit 1, and show what differs, when either is stale
    python scripts/lock_versions.py --verified-results   # also record this environment in every committed
                                                         # results/<lesson>/versions.json entry no run wrote

Run it in the environment CI installs (README's test command, the CPU build of PyTorch first) once the
tests pass there. The lock holds pyproject.toml's dependencies and its test and course extras with all
that they pull in, each as ``name==version`` - the version installed here, read with importlib.metadata.
environment.yml pins the course's runtime packages - the dependencies and the course extra, no test
tool - at the lock's versions, so that Binder runs what CI tested.
"""

from __future__ import annotations

import argparse
import difflib
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10, the course's floor, has no tomllib
    sys.exit("scripts/lock_versions.py reads pyproject.toml with tomllib: run it with Python 3.11 or newer")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOCK, ENVIRONMENT = "requirements-lock.txt", "environment.yml"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # where the CPU builds of PyTorch (+cpu) live


def requirements(*extras: str) -> list[Requirement]:
    """pyproject.toml's dependencies, then those of each of ``extras``, each named once."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + [r for e in extras for r in project["optional-dependencies"][e]]
    unique = {}
    for text in listed:
        requirement = Requirement(text)
        unique.setdefault(canonicalize_name(requirement.name), requirement)
    return list(unique.values())


def installed(roots: list[Requirement]) -> dict[str, str]:
    """The installed version of every distribution ``roots`` pull in, transitively, by canonical name."""
    versions, missing, done = {}, set(), set()
    todo = [(root, "") for root in roots]  # (a requirement, the extra of the distribution that asks for it)
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue  # for another platform or Python, or for an extra nobody asked for
        name = canonicalize_name(requirement.name)
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.add(name)
            continue
        for wanted in ("", *requirement.extras):  # its own requirements, and those of each extra asked for
            if (name, wanted) not in done:
                done.add((name, wanted))
                todo += [(Requirement(text), wanted) for text in metadata.requires(name) or []]
    if missing:
        sys.exit(f'not installed here: {", ".join(sorted(missing))}; run pip install -e ".[test]" first')
    return dict(sorted(versions.items()))


def lock_text(versions: dict[str, str]) -> str:
    """requirements-lock.txt: a header that names this Python and platform, then one ``name==version`` a line."""
    where = f"Python {platform.python_version()} on {platform.system()} {platform.machine()}"
    lines = [
        "# The exact versions CI passed with: pyproject.toml's dependencies, its test and course extras and",
        "# all that they pull in. Written by `python scripts/lock_versions.py` from CI's environment; do not",
        f"# edit by hand. {where}: on another Python or platform pip may need other versions.",
        "# Install: pip install -r requirements-lock.txt && pip install --no-deps -e .",
    ]
    if any(Version(v).local == "cpu" for v in versions.values()):
        lines.append(f"--extra-index-url {CPU_INDEX}")
    return "\n".join(lines + [f"{name}=={version}" for name, version in versions.items()]) + "\n"


def parse_lock(text: str) -> tuple[str, dict[str, str]]:
    """The Python a lock was written with ("3.11") and its pins, canonical name -> version."""
    python = re.search(r"Python (\d+\.\d+)\.\d+ on ", text).group(1)
    pins = [line.split("==") for line in text.splitlines() if line and not line.startswith(("#", "-"))]
    return python, {canonicalize_name(name): version for name, version in pins}


def environment_text(lock: str) -> str:
    """environment.yml, from the lock: conda-forge's Python and pip, then the runtime packages at its versions.

    A pin names the public version (torch==2.13.0, not 2.13.0+cpu): with PyTorch's CPU index beside PyPI,
    pip picks the CPU build on Linux, where Binder runs, and on a Mac the only build there is.
    """
    python, pins = parse_lock(lock)
    runtime = [canonicalize_name(r.name) for r in requirements("course")]
    if missing := [name for name in runtime if name not in pins]:
        raise ValueError(f"{LOCK} lacks {missing}: run python scripts/lock_versions.py")
    lines = [
        "# Binder's environment (and a local conda user's): Python and pip from conda-forge, then the course's",
        "# runtime packages - pyproject.toml's dependencies and its course extra, no test tool - at the",
        "# versions of requirements-lock.txt, PyTorch's CPU build. Written by `python scripts/lock_versions.py`;",
        "# do not edit by hand. Binder builds it, then runs postBuild, which installs the course package.",
        "name: recsys-course",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={python}",
        "  - pip",
        "  - pip:",
        f"      - --extra-index-url {CPU_INDEX}",
        *[f"      - {name}=={Version(pins[name]).public}" for name in runtime],
    ]
    return "\n".join(lines) + "\n"


def record_verified_results() -> None:
    """This environment as the "verified" entry of every experiment whose committed results no run recorded."""
    from recsys_course import lessons
    from recsys_course.evidence import versions

    for key, experiment in lessons.experiments().items():
        folder = ROOT / "results" / lessons.package(experiment.lesson).LESSON
        if folder.is_dir() and versions.record(folder, key, how="verified"):
            print(f"recorded {key} in {folder.relative_to(ROOT)}/{versions.FILE}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a written file would change")
    parser.add_argument("--verified-results", action="store_true", help="record this environment in results/")
    args = parser.parse_args(argv)
    lock = lock_text(installed(requirements("test", "course")))
    stale = []
    for name, text in ((LOCK, lock), (ENVIRONMENT, environment_text(lock))):
        path = ROOT / name
        old = path.read_text() if path.is_file() else ""
        if old == text:
            continue
        stale.append(name)
        if args.check:
            sys.stdout.writelines(
                difflib.unified_diff(old.splitlines(True), text.splitlines(True), name, "now")
            )
        else:
            path.write_text(text)
            print(f"wrote {name}")
    if args.verified_results:
        record_verified_results()
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
