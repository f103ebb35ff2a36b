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

from recsys_course.check import FAILED, NOT_ATTEMPTED, PASSED, Choice, Function, Measured, Number
from recsys_course.data import DataError
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


_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?")


def _numbers_shown(text: str) -> list[float]:
    """Every number a reader sees in ``text``: 1,234 as 1234, and 95.2% both as 95.2 and as 0.952."""
    found = []
    for token in _NUMBER.findall(text):
        percent = token.endswith("%")
        try:
            value = float(token.rstrip("%").replace(",", ""))
        except ValueError:
            continue
        found += [value, value / 100] if percent else [value]
    return found


def _shown_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        for kind in ("text/plain", "text/markdown", "text/html"):
            parts.append("".join(out.get("data", {}).get(kind, "")))
    return "\n".join(parts)


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_exercise_can_be_answered_by_a_number_shown_above_it(lesson):
    """Each exercise answered by a number has a reference that no number in the committed lesson's outputs
    before its check cell matches within the check's tolerance; an exercise answered by a trained model
    (Measured) or a function cannot be copied from the screen at all."""
    cells = json.loads(_notebook("notebooks", lesson).read_text())["cells"]
    for number, exercise in exercises(lesson, "ml-100k").exercises.items():
        if not isinstance(exercise, Number) or isinstance(exercise, Measured):
            continue
        try:
            value, tolerance = exercise.reference()
        except (FileNotFoundError, DataError) as err:
            pytest.skip(f"lesson {lesson} exercise {number}: no reference here ({err})")
        at = next(
            i
            for i, cell in enumerate(cells)
            if cell["cell_type"] == "code" and number in _check_calls("".join(cell["source"]))
        )
        shown = [
            (i, v)
            for i, cell in enumerate(cells[:at])
            if cell["cell_type"] == "code"
            for v in _numbers_shown(_shown_text(cell))
            if abs(v - value) <= tolerance
        ]
        assert not shown, (
            f"lesson {lesson} exercise {number}: its reference {value:.4g} +- {tolerance:.2g} can be copied from "
            f"cells {sorted({i for i, _ in shown})} ({shown[:3]})"
        )


def test_the_number_finder_reads_what_a_reader_reads():
    assert _numbers_shown("AUC 0.7891, 95.2% of 1,682 movies; -3e-2") == pytest.approx(
        [0.7891, 95.2, 0.952, 1682.0, -0.03]
    )
