"""The instructors' guide (docs/instructors.md): generated, never stale, and complete for all six lessons."""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from recsys_course import lessons
from recsys_course.lessons import LESSONS

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("instructors_guide", ROOT / "scripts" / "instructors_guide.py")
guide = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guide)


def _copy(tmp_path: Path) -> Path:
    """What the guide reads, copied: notebooks, claims, results, docs and solutions."""
    for folder in ("notebooks", "claims", "results", "docs", "solutions"):
        if (ROOT / folder).is_dir():
            shutil.copytree(
                ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.py", "*.png", "fast", ".*")
            )
    return tmp_path


def test_the_committed_guide_is_up_to_date():
    assert (ROOT / guide.PAGE).read_text() == guide.build(ROOT), (
        "docs/instructors.md is stale: run `python scripts/instructors_guide.py`"
    )


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_has_its_exercise_checks_with_mistakes(lesson):
    module = importlib.import_module(f"{lessons.package(lesson).__name__}.exercises")
    exercises = module.exercises()
    assert exercises, f"lesson {lesson} has no exercises"
    assert all(e.mistakes for e in exercises), f"lesson {lesson}: an exercise lists no mistake for the guide"


def test_every_lesson_has_a_measured_time_at_default_settings():
    times = json.loads((ROOT / guide.TIMES).read_text())
    for lesson in LESSONS:
        stem = guide.notebook(ROOT, lesson).stem
        assert stem in times, f"{guide.TIMES} has no time for {stem}"
        assert not times[stem]["fast"] and times[stem]["seconds"] > 0 and times[stem]["cpus"] >= 1


def test_the_page_holds_each_lessons_goals_and_sections():
    page = (ROOT / guide.PAGE).read_text()
    for lesson in LESSONS:
        path = guide.notebook(ROOT, lesson)
        assert f"## {guide.title(path)}" in page
        assert all(f"- {goal}" in page for goal in guide.goals(path))
        assert "not measured" not in page and "not written yet" not in page


def test_a_range_is_the_spread_of_the_committed_csv():
    frame = pd.read_csv(ROOT / "results" / "06_training_discipline" / "ctr_benchmark_ml-100k.csv")
    auc = frame.loc[frame["model"] == "DeepFM", "auc"]
    row = f"| DeepFM | {len(auc)} | {auc.mean():.3f} ({auc.min():.3f} - {auc.max():.3f}) |"
    assert row in guide.build(ROOT)


def test_a_renamed_section_breaks_the_build(tmp_path):
    root = _copy(tmp_path)
    source = root / guide.SOURCE
    source.write_text(source.read_text().replace("discuss: 2. The candidate tower", "discuss: 2. The tower"))
    with pytest.raises(SystemExit, match="no section '## 2. The tower'"):
        guide.build(root)


def test_a_changed_result_makes_the_page_stale(tmp_path):
    root = _copy(tmp_path)
    before = guide.build(root)
    path = root / "results" / "06_training_discipline" / "dropout_ml-100k.csv"
    frame = pd.read_csv(path)
    frame.loc[0, "auc"] += 0.01
    frame.to_csv(path, index=False)
    assert guide.build(root) != before


def test_check_says_what_differs(tmp_path, monkeypatch, capsys):
    root = _copy(tmp_path)
    (root / guide.PAGE).write_text(
        guide.build(root).replace("## Running the course for a class", "## Running")
    )
    monkeypatch.setattr(guide, "ROOT", root)
    assert guide.main(["--check"]) == 1
    assert "+## Running the course for a class" in capsys.readouterr().out
    assert guide.main([]) == 0 and guide.main(["--check"]) == 0
