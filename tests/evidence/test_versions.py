"""results/<lesson>/versions.json: for each experiment, the versions its committed results came from."""

from __future__ import annotations

import json
from pathlib import Path

from recsys_course import lessons
from recsys_course.evidence import versions

ROOT = Path(__file__).resolve().parents[2]


def test_an_entry_names_python_the_packages_the_platform_the_cpus_and_the_gpu():
    env = versions.environment()
    assert set(env) == {"python", "packages", "platform", "cpus", "gpu"}
    assert list(env["packages"]) == list(versions.PACKAGES) and env["packages"]["torch"]
    json.dumps(env)  # plain JSON values


def test_a_run_replaces_a_verification_and_a_verification_never_a_run(tmp_path):
    assert versions.record(tmp_path, "03/ncf", how="verified") == tmp_path / versions.FILE
    assert versions.load(tmp_path)["03/ncf"]["recorded"] == "verified"
    versions.record(tmp_path, "03/ncf")  # the experiment ran again
    assert versions.record(tmp_path, "03/ncf", how="verified") is None
    versions.record(tmp_path, "03/ncf_sizes", how="verified")
    entries = versions.load(tmp_path)
    assert {key: entry["recorded"] for key, entry in entries.items()} == {
        "03/ncf": "run",
        "03/ncf_sizes": "verified",
    }
    assert json.loads((tmp_path / versions.FILE).read_text())["about"] == versions.ABOUT


def test_every_experiment_with_committed_results_names_their_versions():
    for key, experiment in lessons.experiments().items():
        folder = ROOT / "results" / lessons.package(experiment.lesson).LESSON
        if folder.is_dir():
            entry = versions.load(folder).get(key)
            assert entry, (
                f"{folder.name}/{versions.FILE} lacks {key}: run scripts/lock_versions.py --verified-results"
            )
            assert entry["recorded"] in ("run", "verified") and entry["packages"]["torch"], (key, entry)
