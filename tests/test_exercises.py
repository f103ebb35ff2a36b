"""Every lesson's exercises as shipped: 3-5 checks, a check cell per exercise, a solution notebook that passes.

The per-lesson files (tests/exercises/test_lessonNN.py) prove that a wrong answer fails each check;
this file holds the course-wide rules, reads the committed notebooks and reruns those files with a recorder
to see each exercise judged both ways.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from recsys_course.check import FAILED, NOT_ATTEMPTED, PASSED, Choice, Function, Number
from recsys_course.lessons import LESSONS, exercises

ROOT = Path(__file__).resolve().parents[1]


def _notebook(folder: str, lesson: str, suffix: str = "") -> Path:
    found = sorted((ROOT / folder).glob(f"{lesson}_*{suffix}.ipynb"))
    assert len(found) == 1, f"{folder}/ should hold one notebook for lesson {lesson}{suffix}, found {found}"
    return found[0]


def _code_cells(path: Path) -> list[tuple[str, str]]:
    """(source, text of its outputs) for each code cell."""
    cells = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            text = "".join(
                "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
                for out in cell["outputs"]
            )
            cells.append(("".join(cell["source"]), text))
    return cells


def _check_calls(source: str) -> list[int]:
    """The exercise numbers a cell's `check(N, ...)` calls name."""
    return [int(m) for m in re.findall(r"^\s*check\((\d+),", source, re.M)]


def test_every_lesson_has_an_exercise_module():
    assert LESSONS == tuple(p.name[:2] for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))


@pytest.mark.parametrize("lesson", LESSONS)
def test_three_to_five_exercises_numbered_in_order_with_their_mistakes(lesson):
    found = exercises(lesson).exercises
    assert 3 <= len(found) <= 5 and list(found) == list(range(1, len(found) + 1)), sorted(found)
    for exercise in found.values():
        assert isinstance(exercise, (Number, Function, Choice))
        assert exercise.title and exercise.mistakes, f"lesson {lesson} exercise {exercise.number}"
        if isinstance(exercise, Choice):
            right = exercise.answer()
            assert right in exercise.options and set(exercise.hints) >= set(exercise.options) - {right}, (
                f"lesson {lesson} exercise {exercise.number}: a hint for every wrong option"
            )


@pytest.mark.parametrize("lesson", LESSONS)
def test_an_unanswered_exercise_says_so_without_raising(lesson):
    checker = exercises(lesson)
    for number in checker.exercises:
        assert checker(number, None).status == NOT_ATTEMPTED


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lesson_ships_one_unanswered_check_cell_per_exercise(lesson):
    path = _notebook("notebooks", lesson)
    cells = _code_cells(path)
    assert any(f'exercises("{lesson}"' in source for source, _ in cells), f"{path.name}: no checker"
    numbers = list(exercises(lesson).exercises)
    called = [n for source, _ in cells for n in _check_calls(source)]
    assert called == numbers, f"{path.name} calls check for exercises {called}, expected {numbers}"
    for source, output in cells:
        for number in _check_calls(source):
            assert f"Exercise {number}: {NOT_ATTEMPTED}" in output, (
                f"{path.name}: exercise {number} ships answered"
            )


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_solution_notebook_passes_every_check(lesson):
    """The committed solution shows every check passed and ends by asserting it (CI re-executes it)."""
    path = _notebook("solutions", lesson, "_solutions")
    cells = _code_cells(path)
    numbers = list(exercises(lesson).exercises)
    assert [n for source, _ in cells for n in _check_calls(source)] == numbers, path.name
    for source, output in cells:
        for number in _check_calls(source):
            assert f"Exercise {number}: {PASSED}" in output, f"{path.name}: exercise {number} does not pass"
    assert re.search(r"^check\.assert_all_passed\(\)$", cells[-1][0], re.M), (
        f"{path.name} must end with the assertion"
    )


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lessons_tests_fail_a_wrong_answer_and_pass_a_right_one_for_each_exercise(lesson, tmp_path):
    """Runs tests/exercises/test_lessonNN.py with a recorder: each exercise must have been judged both ways."""
    path = ROOT / "tests" / "exercises" / f"test_lesson{lesson}.py"
    assert path.is_file(), f"{path.name} is missing"
    record = tmp_path / "record.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "exercise_recorder", str(path)],
        cwd=ROOT,
        env={**os.environ, "EXERCISE_RECORD": str(record), "PYTHONPATH": str(ROOT / "tests")},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    seen = json.loads(record.read_text())
    for number in exercises(lesson).exercises:
        statuses = seen.get(f"{lesson}:{number}", [])
        assert FAILED in statuses, f"{path.name} never shows exercise {number} a wrong answer"
        assert PASSED in statuses, f"{path.name} never shows exercise {number} a right answer"
