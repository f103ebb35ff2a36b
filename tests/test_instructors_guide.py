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


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_has_a_session_plan_and_every_prompt_an_answer(lesson):
    path = guide.notebook(ROOT, lesson)
    prose = guide.lesson_prose(guide.source_blocks(ROOT)[f"lesson {lesson}"], lesson, guide.headings(path))
    assert prose["discuss"], f"lesson {lesson} has no discussion prompt"
    for heading, prompt, answer in prose["discuss"]:
        assert prompt and len(answer.split()) >= 30, (
            f"lesson {lesson}: the prompt on '{heading}' has no real answer"
        )
    rows = guide.plan_rows(lesson, path, prose["plan"], {"run": "RUN"})
    activities = {activity for _, activity, _, _ in rows}
    assert {"framing", "read", "build", "discuss", "exercises"} <= activities, (
        f"lesson {lesson}: {activities}"
    )
    assert sum(minutes for minutes, *_ in rows) <= guide.SESSION
    assert prose["homework"], f"lesson {lesson} has no homework"
    page = (ROOT / guide.PAGE).read_text()
    section = page.split(f"## {guide.title(path)}\n", 1)[1].split("\n## ", 1)[0]
    assert "**Session plan" in section and "**Homework.**" in section
    assert all(answer in section for _, _, answer in prose["discuss"])


def test_reading_rows_count_the_same_words_as_the_lesson_table():
    for lesson in LESSONS:
        path = guide.notebook(ROOT, lesson)
        assert sum(guide.section_words(path).values()) == guide.words(path) + guide.output_words(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.replace("\nanswer: ", "\nnotes2: ", 1), "unknown paragraph key"),
        (lambda s: s.replace("\n\nanswer: ", "\n\nprerequisites: ", 1), "has no answer"),
        (lambda s: s.replace("plan:\n", "notes:\n", 1), "no session plan"),
        (lambda s: s.replace("- build | 20 |", "- build | 80 |", 1), "more than 90"),
        (lambda s: s.replace("- read | 2 |", "- read | 42 |", 1), "which is no section"),
        (lambda s: s.replace("`additive`", "`additve`", 1), "build-it step"),
        (lambda s: s.replace("run 02/dimensions", "run 02/dimension", 1), "no experiment 02/dimension"),
    ],
)
def test_an_incomplete_session_plan_breaks_the_build(tmp_path, change, message):
    root = _copy(tmp_path)
    source = root / guide.SOURCE
    changed = change(source.read_text())
    assert changed != source.read_text()
    source.write_text(changed)
    with pytest.raises(SystemExit, match=message):
        guide.build(root)
