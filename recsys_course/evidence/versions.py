"""Which versions a lesson's committed results came from: ``results/<lesson>/versions.json``.

``python -m recsys_course run <lesson>/<experiment>`` calls :func:`record` once the experiment has written
its results, so that the file names, for every experiment, the Python, the packages that compute the
numbers, the platform, the CPU count and the GPU (if any) of the run that wrote them (``"recorded":
"run"``). Results written before this record existed carry the versions CI re-executed the lessons
against them with instead (``"recorded": "verified"``, written by ``python scripts/lock_versions.py
--verified-results``); a later run of the experiment replaces that entry, a verification never replaces a
run's.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from importlib import metadata
from pathlib import Path

FILE = "versions.json"
PACKAGES = ("torch", "numpy", "pandas", "scikit-learn", "faiss-cpu")  # what computes the numbers
ABOUT = (
    "The versions each experiment's results in this folder came from, keyed by experiment. "
    '"recorded": "run" - the run of `python -m recsys_course run <experiment>` that wrote them; '
    '"verified" - results written before versions were recorded, which CI re-executed the lesson against '
    "with these versions."
)


def environment() -> dict:
    """This process's Python, key packages, platform, CPU count and GPU, as plain JSON values."""
    import torch

    return {
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def load(folder: str | Path) -> dict:
    """The experiments' entries in ``folder``'s record (empty when it has none)."""
    path = Path(folder) / FILE
    return json.loads(path.read_text())["experiments"] if path.is_file() else {}


def record(folder: str | Path, experiment: str, how: str = "run") -> Path | None:
    """Write this process's :func:`environment` as ``experiment``'s entry in ``folder/versions.json``.

    ``how`` is ``"run"`` (the experiment just wrote its results) or ``"verified"``; a verification leaves
    a run's entry as it is and returns None.
    """
    if how not in ("run", "verified"):
        raise ValueError(f"how is 'run' or 'verified', not {how!r}")
    entries = load(folder)
    if how == "verified" and entries.get(experiment, {}).get("recorded") == "run":
        return None
    today = datetime.date.today().isoformat()
    entries[experiment] = {"recorded": how, "date": today, **environment()}
    path = Path(folder) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"about": ABOUT, "experiments": dict(sorted(entries.items()))}, indent=1)
    path.write_text(text + "\n")
    return path
