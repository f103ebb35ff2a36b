"""Every lesson's build-it steps as shipped: each step is used in its notebook, names at least two known
mistakes, and is passed by the solution notebook (tests/builds/test_lessonNN.py prove each mistake is named)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recsys_course.build import Builder
from recsys_course.lessons import LESSONS, builds

ROOT = Path(__file__).resolve().parents[1]


def _source(folder: str, lesson: str, suffix: str = "") -> str:
    (path,) = sorted((ROOT / folder).glob(f"{lesson}_*{suffix}.py"))
    return path.read_text()


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_step_is_built_in_the_lesson_and_solved_in_the_solutions(lesson):
    builder = builds(lesson)
    assert isinstance(builder, Builder) and len(builder.exercises) >= 2
    lesson_text, solution_text = _source("notebooks", lesson), _source("solutions", lesson, "_solutions")
    for name, step in builder.exercises.items():
        assert len(step.known_mistakes) >= 2 and step.mistakes, (
            f"lesson {lesson}, step {name}: name its mistakes"
        )
        assert re.search(rf'build\.use\("{name}", (my_|My)\w+\)', lesson_text), (
            f"lesson {lesson} never builds {name}"
        )
        assert re.search(rf'"{name}"', solution_text), f"the solutions of lesson {lesson} never solve {name}"
    assert "build.assert_all_passed()" in solution_text
    # the shipped lesson is a scaffold: the learner writes the code
    assert lesson_text.count("raise NotImplementedError") >= len(builder.exercises) - 1
