"""The Colab setup every lesson's first code cell runs: fetch the course, keep it current, make it importable.

A fresh Colab runtime has nothing of the course, so the cell clones the repository itself when the folder is
missing, then runs this file from the clone and calls :func:`setup`::

    runpy.run_path(REPO + "/recsys_course/colab.py")["setup"](REPO)

The file is run, not imported (``from recsys_course.colab import setup``): an import needs the clone on
``sys.path`` first, and then "is the package importable yet?" would always be answered yes by the clone, so
its dependencies would never be installed. For the same reason this module uses the standard library only,
and nothing else from the package.

:func:`setup` may run any number of times - a second "Run all", or the cell after "Restart session": it
reuses the clone, updates it when the network allows, installs the package only while it is not importable,
and puts the clone on ``sys.path`` once. Locally and on Binder it does nothing and prints nothing.

:data:`REPOSITORY` is set here, once: ``recsys_course.config`` re-exports it, and
``python scripts/sync_repository.py`` writes it into every badge and setup cell.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable

# The course's GitHub repository, "owner/name".
REPOSITORY = "recsys-course/recsys-course"
URL = f"https://github.com/{REPOSITORY}"
FOLDER = "/content/recsys-course"  # Colab's working folder is /content
PACKAGE = "recsys_course"
TIMEOUT = 120  # seconds: a network that hangs counts as no network


def on_colab() -> bool:
    """Whether this kernel is Colab's, which imports ``google.colab`` when it starts."""
    return "google.colab" in sys.modules


def pip_install(folder: str) -> None:
    """Install the clone in editable mode, with the dependencies it declares (Colab keeps its PyTorch)."""
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", folder], check=True)


def _git(*args: str, cwd: str | None = None, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # a moved or private repository fails instead of asking
    return subprocess.run(["git", *args], cwd=cwd, env=env, **kwargs)


def _head(folder: str) -> str:
    return _git("rev-parse", "HEAD", cwd=folder, capture_output=True, text=True).stdout.strip()


def update(folder: str) -> bool:
    """Fast-forward the clone to its remote; True when new commits arrived.

    Without network, or when the remote cannot be fast-forwarded to, it says so and keeps the copy it has.
    """
    before = _head(folder)
    try:
        pulled = _git("pull", "-q", "--ff-only", cwd=folder, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        reason = f"no answer within {TIMEOUT} s"
    else:
        if pulled.returncode == 0:
            return _head(folder) != before
        reason = next((line for line in pulled.stderr.splitlines() if line.strip()), "git pull failed")
    print(f"Could not update the course in {folder} ({reason.strip()}): the lesson uses the copy it has.")
    return False


def _importable(package: str) -> bool:
    return package in sys.modules or importlib.util.find_spec(package) is not None


def setup(
    folder: str = FOLDER,
    url: str = URL,
    *,
    package: str = PACKAGE,
    install: Callable[[str], None] = pip_install,
) -> None:
    """On Colab, make ``package`` importable from a current clone of ``url`` in ``folder``; else nothing.

    Clones ``url`` when ``folder`` holds no clone, else pulls it (see :func:`update`). Calls
    ``install(folder)`` while ``package`` is not importable: on a first run, or after an install that failed.
    Puts ``folder`` first on ``sys.path`` unless it is there, so that the package imports in this kernel (a
    restarted one finds the editable install).
    """
    if not on_colab():
        return
    if not os.path.isdir(os.path.join(folder, ".git")):
        _git("clone", "-q", "--depth", "1", url, folder, check=True)
    elif update(folder) and package in sys.modules:
        print(
            "The course was updated, but this session imported the old version: restart the session "
            "(Runtime > Restart session) and run the lesson again."
        )
    if not _importable(package):
        install(folder)
        importlib.invalidate_caches()  # so that this kernel finds the packages pip has just added
    if folder not in sys.path:
        sys.path.insert(0, folder)
