"""The Colab setup, run again and again in a simulated Colab: recsys_course/colab.py and the lessons' cell.

A stand-in ``google.colab`` module makes this kernel look like Colab's, a local git repository plays the
course on GitHub, the clone goes under tmp_path, and only the pip install is stood in for (recorded, not run).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from recsys_course import colab

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "01_mlp_vs_dot_product.ipynb"
GIT = ["git", "-c", "user.name=Course", "-c", "user.email=course@example.org", "-c", "commit.gpgsign=false"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def publish(origin: Path, version: int) -> None:
    """A new commit of the course, as a maintainer's push to GitHub."""
    (origin / "tinycourse" / "__init__.py").write_text(f"VERSION = {version}\n")
    git(origin, "commit", "-q", "-am", f"version {version}")


def version(folder: str) -> str:
    return (Path(folder) / "tinycourse" / "__init__.py").read_text().strip()


@pytest.fixture
def origin(tmp_path) -> Path:
    """The course "on GitHub": the setup helper with the package's __init__, and a one-module package."""
    repo = tmp_path / "origin"
    (repo / "recsys_course").mkdir(parents=True)
    for name in ("__init__.py", "colab.py"):
        shutil.copy(ROOT / "recsys_course" / name, repo / "recsys_course" / name)
    (repo / "tinycourse").mkdir()
    (repo / "tinycourse" / "__init__.py").write_text("VERSION = 1\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the course")
    return repo


class Runtime:
    """One Colab runtime: where the clone goes, the course's address, and the installs asked for."""

    def __init__(self, tmp_path: Path, origin: Path):
        self.folder = str(tmp_path / "content" / "recsys-course")
        self.url = origin.as_uri()
        self.installs: list[str] = []

    def install(self, folder: str) -> None:
        self.installs.append(folder)

    def setup(self) -> None:
        colab.setup(self.folder, self.url, package="tinycourse", install=self.install)


@pytest.fixture
def runtime(tmp_path, origin, monkeypatch) -> Runtime:
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(sys, "path", list(sys.path))  # setup() puts the clone on it; the test's is restored
    return Runtime(tmp_path, origin)


def test_outside_colab_nothing_happens(runtime, monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "google.colab")
    path = list(sys.path)
    runtime.setup()
    assert not Path(runtime.folder).exists() and runtime.installs == [] and sys.path == path
    assert capsys.readouterr() == ("", "")


def test_a_first_run_clones_and_installs_once(runtime, capsys):
    runtime.setup()
    assert Path(runtime.folder, ".git").is_dir()
    assert runtime.installs == [runtime.folder]
    assert sys.path[0] == runtime.folder
    assert importlib.util.find_spec("tinycourse").origin.startswith(runtime.folder)
    assert capsys.readouterr().out == ""


def test_running_again_reuses_the_clone_and_does_not_reinstall(runtime, capsys):
    runtime.setup()
    kept = Path(runtime.folder, "learner_notes.txt")
    kept.write_text("still here")  # a second clone would have failed, or replaced the folder
    runtime.setup()
    runtime.setup()
    assert kept.read_text() == "still here"
    assert runtime.installs == [runtime.folder]  # the package imports from the clone on sys.path
    assert sys.path.count(runtime.folder) == 1
    assert capsys.readouterr().out == ""


def test_after_a_restart_an_installed_package_is_not_installed_again(runtime, tmp_path):
    """A restarted kernel imports the package through its install and has lost the clone from sys.path."""
    site = tmp_path / "site-packages"
    (site / "tinycourse").mkdir(parents=True)
    (site / "tinycourse" / "__init__.py").write_text("VERSION = 1\n")
    sys.path.append(str(site))
    runtime.setup()
    sys.path.remove(runtime.folder)  # the restart
    runtime.setup()
    assert runtime.installs == []
    assert sys.path.count(runtime.folder) == 1


def test_a_failed_install_is_tried_again(runtime):
    def broken(folder):
        runtime.installs.append(folder)
        raise subprocess.CalledProcessError(1, ["pip", "install"])

    with pytest.raises(subprocess.CalledProcessError):
        colab.setup(runtime.folder, runtime.url, package="tinycourse", install=broken)
    assert runtime.folder not in sys.path
    runtime.setup()
    assert runtime.installs == [runtime.folder, runtime.folder]
    assert sys.path.count(runtime.folder) == 1


def test_an_update_of_the_course_is_pulled_on_the_next_run(runtime, origin, monkeypatch, capsys):
    runtime.setup()
    publish(origin, 2)
    runtime.setup()
    assert version(runtime.folder) == "VERSION = 2"
    assert capsys.readouterr().out == ""  # nothing was imported yet: the lesson goes on with the new version
    monkeypatch.setitem(sys.modules, "tinycourse", types.ModuleType("tinycourse"))  # the lesson imported it
    publish(origin, 3)
    runtime.setup()
    assert version(runtime.folder) == "VERSION = 3"
    assert "restart the session" in capsys.readouterr().out
    assert runtime.installs == [runtime.folder]


def test_without_network_the_clone_it_has_is_used(runtime, origin, capsys):
    runtime.setup()
    origin.rename(origin.with_name("unreachable"))
    runtime.setup()  # no exception
    out = capsys.readouterr().out
    assert f"Could not update the course in {runtime.folder}" in out and "the copy it has" in out
    assert version(runtime.folder) == "VERSION = 1"
    assert sys.path.count(runtime.folder) == 1 and runtime.installs == [runtime.folder]


def first_cell() -> str:
    cells = json.loads(LESSON.read_text())["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_the_lesson_cell_does_nothing_off_colab(capsys):
    namespace: dict = {}
    path = list(sys.path)
    exec(compile(first_cell(), "setup-cell", "exec"), namespace)
    assert set(namespace) == {"__builtins__", "sys"} and sys.path == path
    assert capsys.readouterr() == ("", "")


RUN_CELL = """
import json, subprocess, sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")
installs, real_run = [], subprocess.run

def run(cmd, *args, **kwargs):  # stand in for pip only; git runs
    if list(cmd[1:4]) == ["-m", "pip", "install"]:
        installs.append(list(cmd))
        return subprocess.CompletedProcess(cmd, 0)
    return real_run(cmd, *args, **kwargs)

subprocess.run = run
cell, folder = open(sys.argv[1]).read(), sys.argv[2]
namespace = {}
for _ in range(2):  # "Run all", twice, in one kernel
    exec(compile(cell, "setup-cell", "exec"), namespace)
import recsys_course
on_path = sys.path.count(folder)
print(json.dumps({"installs": installs, "on_path": on_path, "package": recsys_course.__file__}))
"""


def test_the_lesson_cell_and_the_helper_fit(tmp_path, origin):
    """The first cell of a lesson, as committed, with only the folder and the address changed, run by a
    Python without site-packages: a fresh runtime, where nothing but the standard library can be imported.
    Then once more in a new process: the restarted runtime reuses its clone."""
    cell = first_cell()
    assert colab.URL in cell and colab.FOLDER in cell
    folder = str(tmp_path / "content" / "recsys-course")
    (tmp_path / "cell.py").write_text(cell.replace(colab.URL, origin.as_uri()).replace(colab.FOLDER, folder))
    (tmp_path / "run_cell.py").write_text(RUN_CELL)
    command = [sys.executable, "-I", "-S", str(tmp_path / "run_cell.py"), str(tmp_path / "cell.py"), folder]

    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # the cell printed nothing else
    assert report["installs"] == [[sys.executable, "-m", "pip", "install", "-q", "-e", folder]]
    assert report["on_path"] == 1
    assert report["package"] == str(Path(folder, "recsys_course", "__init__.py"))

    Path(folder, "learner_notes.txt").write_text("still here")
    publish(origin, 2)
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["on_path"] == 1
    assert Path(folder, "learner_notes.txt").read_text() == "still here"
    assert version(folder) == "VERSION = 2"
