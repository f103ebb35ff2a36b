"""The course's command line: every full-size experiment is listed, and each one runs from it (FAST, tiny data)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from recsys_course import cli, config, data, lessons
from recsys_course.evidence import versions

# the order a fresh clone would run them in: the benchmark's tuning first, as five others reuse its settings
ORDER = [
    "02/dimensions",
    "03/ncf",
    "03/ncf_sizes",
    "04/towers",
    "04/tower_tuning",
    "04/tuned_towers",
    "04/mf_tuning",
    "04/rankers",
    "04/serving",
    "05/wide_deep_tuning",
    "05/wide_deep",
    "05/input_scaling",
    "06/ctr_tuning",
    "06/ctr_benchmark",
    "06/dynamics",
    "06/samplers",
    "06/defaults",
    "06/dropout",
    "06/clipping",
    "06/metric_choice",
    "06/cold_start",
    "06/speed",
]
# needs a process group: tests/lessons/test_l06_distributed.py launches it
UNDER_TORCHRUN = {"06/distributed"}


def test_list_names_every_experiment_of_every_lesson():
    listed = subprocess.run(
        [sys.executable, "-m", "recsys_course", "run", "--list"], capture_output=True, text=True, check=True
    ).stdout
    experiments = lessons.experiments()
    assert sorted(experiments) == sorted(ORDER + list(UNDER_TORCHRUN))
    for key, experiment in experiments.items():
        assert key in listed and experiment.summary[:40] in listed
    assert "torchrun" in listed


@pytest.mark.parametrize("key", sorted(lessons.experiments()))
def test_each_experiment_takes_the_shared_flags_and_its_options(key):
    experiment = lessons.experiments()[key]
    parameters = inspect.signature(experiment.function()).parameters
    assert {"dataset", "seeds", "out"} <= set(parameters), key
    for flag, kwargs in experiment.options.items():
        assert flag.lstrip("-").replace("-", "_") in parameters, (key, flag)
        assert "default" not in kwargs, f"{key} {flag}: the run function's signature holds the default"


def test_an_unknown_experiment_lists_the_known_ones(capsys):
    assert cli.main(["run", "07/nothing"]) == 2
    assert "03/ncf" in capsys.readouterr().err


@pytest.fixture
def tiny_course(tmp_path, monkeypatch):
    """A repository of our own (results/ and figures/ under tmp_path), FAST mode, and a tiny synthetic MovieLens.

    UCI Adult (05/wide_deep's census part) is read from the real cache, which must hold it.
    """
    cache = config.data_dir()
    if not (cache / "adult" / "adult.data").is_file():
        pytest.skip(
            f"UCI Adult is not in the cache {cache}: point RECSYS_COURSE_DATA at a folder that holds it"
        )
    monkeypatch.setenv("RECSYS_COURSE_DATA", str(cache))
    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    monkeypatch.setenv("RECSYS_COURSE_FAST", "1")
    monkeypatch.setenv("RECSYS_COURSE_QUIET", "1")
    tiny = data.synthetic_movielens(seed=3, n_users=120, n_items=300, n_ratings=6000)
    monkeypatch.setattr(data, "load_movielens", lambda *args, **kwargs: tiny)
    for key, experiment in lessons.experiments().items():
        module = sys.modules[experiment.function().__module__]
        if hasattr(module, "load_movielens"):
            monkeypatch.setattr(module, "load_movielens", lambda *args, **kwargs: tiny)
    return tmp_path


def test_every_experiment_runs_from_the_command_line(tiny_course, capsys):
    """Each experiment, in FAST mode on tiny data, writes its results under results/fast/<lesson>/."""
    for key in ORDER:
        extra = {
            "04/serving": ["--sizes", "2000"],
            "03/ncf": ["--factors", "4"],
            "03/ncf_sizes": ["--factors", "2"],
            "05/wide_deep_tuning": ["--kinds", "ids", "wide", "deep", "joint"],
        }.get(key, [])
        assert cli.main(["run", key, "--seeds", "0", *extra]) == 0, key
        written = [
            line.split(" ", 1)[1]
            for line in capsys.readouterr().out.splitlines()
            if line.startswith("wrote ")
        ]
        lesson = lessons.package(key[:2]).LESSON
        assert written and any(f"fast/{lesson}" in path for path in written), (key, written)
    assert (
        tiny_course / "results" / "fast" / "06_training_discipline" / "ctr_benchmark_ml-100k_settings.json"
    ).is_file()
    assert not (tiny_course / "results" / "06_training_discipline").exists()  # FAST never touches these


def test_a_run_records_its_versions_beside_the_results_it_wrote(tmp_path, monkeypatch):
    """versions.json joins the folder the experiment wrote its results in; a run that wrote only a figure adds none."""

    def stand_in(dataset="ml-100k", seeds=(0,), out=None, figure_only=False):
        path = tmp_path / "figure.png" if figure_only else out / f"x_{dataset}.csv"
        path.write_text("x\n")
        return [path]

    flag = {"--figure-only": {"action": "store_true", "help": "write only a figure"}}
    monkeypatch.setattr(lessons.Experiment, "function", lambda self: stand_in)
    stand_ins = {"03/x": lessons.Experiment("x", "", "a stand-in", flag, lesson="03")}
    monkeypatch.setattr(lessons, "experiments", lambda: stand_ins)
    for folder, extra in ((tmp_path / "figure", ["--figure-only"]), (tmp_path / "results", [])):
        folder.mkdir()
        assert cli.main(["run", "03/x", "--out", str(folder), *extra]) == 0
    assert not (tmp_path / "figure" / versions.FILE).exists()
    assert versions.load(tmp_path / "results")["03/x"]["recorded"] == "run"
