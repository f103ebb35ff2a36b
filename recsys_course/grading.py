"""Grade a folder of students' lessons with nbgrader: one row per student, one column per graded item.

    python -m recsys_course grade 06 SUBMISSIONS/ [--out grades.csv] [--keep GRADED/]

SUBMISSIONS holds one notebook per student, named after the student (``ada.ipynb``): lesson 06 as the student
release wrote it (:mod:`recsys_course.release`). nbgrader puts each graded cell back as the release wrote it, runs
the notebook from the top, and scores a graded cell whose item has not passed with no points.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pandas as pd

from . import config
from .release import graded_items, graded_lesson, lessons

STUDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
OUT_OF = "(out of)"  # the first row of the table: what each item is worth


class GradingError(Exception):
    """The submissions cannot be graded as asked; the message names the problem and the fix."""


def lesson_notebook(lesson: str) -> Path:
    root = config.repo_root()
    if root is None:
        raise GradingError(
            "grading needs the course repository (a clone or a student release), not a pip install."
        )
    found = [path for path in lessons(root) if path.name.startswith(f"{lesson}_")]
    if not found:
        raise GradingError(f"there is no lesson {lesson!r}: name one of 01 to 06.")
    return found[0]


def submissions_in(folder: Path) -> dict[str, Path]:
    """Each student's notebook in ``folder``, by student id (the file's name without .ipynb)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"{folder} is not a folder: put each student's notebook in one, as STUDENT.ipynb.")
    found = {path.stem: path for path in sorted(folder.glob("*.ipynb"))}
    if not found:
        raise GradingError(
            f"{folder} holds no .ipynb file: put each student's notebook there, as STUDENT.ipynb."
        )
    odd = [name for name in found if not STUDENT.fullmatch(name)]
    if odd:
        raise GradingError(
            f"cannot use {odd} as student ids: name each file with letters, digits, '.', '_' or '-' only."
        )
    for student, path in found.items():
        try:
            nbformat.read(path, as_version=4)
        except Exception as err:  # a damaged or truncated upload: say which, grade nothing
            raise GradingError(
                f"{path.name} is not a readable notebook ({err}): ask {student} to hand it in again."
            )
    return found


def _nbgrader(*args: str, course: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )


def grade(lesson: str, submissions: Path, *, timeout: int = 900, keep: Path | None = None) -> pd.DataFrame:
    """The points each student's notebook earns per graded item, with a ``total`` column and an ``(out of)`` row.

    Each notebook runs from the top, as nbgrader runs it, with ``RECSYS_COURSE_GRADING=1`` (an item that has not
    passed raises) and strict data (no synthetic stand-in); ``timeout`` bounds each cell, in seconds. ``keep``, a
    new folder, keeps nbgrader's course folder: the graded notebooks with their outputs, and the gradebook."""
    if keep is not None and Path(keep).exists():
        raise GradingError(f"{keep} already exists: name a new folder for --keep, or delete this one first.")
    try:
        import nbgrader  # noqa: F401
    except ImportError as err:
        raise GradingError('grading needs nbgrader: pip install -e ".[grade]"') from err
    path = lesson_notebook(lesson)
    students = submissions_in(submissions)
    assignment = path.stem
    source = graded_lesson(path)
    items = [f"{kind}-{number}" for kind, number in graded_items(source)]
    env = {k: v for k, v in os.environ.items() if k != "RECSYS_COURSE_FAST"}
    env.update(RECSYS_COURSE_GRADING="1", RECSYS_COURSE_STRICT_DATA="1")
    # nbgrader runs the `alembic` command of its environment, which need not be on PATH (a venv not activated)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with tempfile.TemporaryDirectory(prefix="recsys-grading-") as tmp:
        course = Path(tmp) if keep is None else Path(keep).resolve()
        course.mkdir(parents=True, exist_ok=True)
        (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.Execute.timeout = {int(timeout)}\n")
        (course / "source" / assignment).mkdir(parents=True)
        nbformat.write(source, course / "source" / assignment / path.name)
        made = _nbgrader("generate_assignment", assignment, "--create", "--force", course=course, env=env)
        if made.returncode:
            raise GradingError(f"nbgrader could not take in lesson {lesson}:\n{made.stdout}{made.stderr}")
        for student, notebook in students.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            shutil.copy2(notebook, folder / path.name)
        graded = _nbgrader("autograde", assignment, "--create", "--force", course=course, env=env)
        scores, points = _scores(course, assignment, path.stem, students)
    missing = [student for student in students if student not in scores]
    if missing:
        raise GradingError(f"nbgrader graded no notebook of {missing}:\n{graded.stdout}{graded.stderr}")
    table = pd.DataFrame([points] + [scores[s] for s in students], index=[OUT_OF, *students])[items]
    table["total"] = table.sum(axis=1)
    table.index.name = "student"
    return table


def _scores(course: Path, assignment: str, notebook: str, students: dict) -> tuple[dict, dict]:
    """Each student's points per graded item, read from nbgrader's gradebook, and what each item is worth."""
    from nbgrader.api import Gradebook, MissingEntry

    scores, points = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            try:
                submitted = gradebook.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                continue
            scores[student] = {grade.name: float(grade.score) for grade in submitted.grades}
            points.update({grade.name: float(grade.max_score) for grade in submitted.grades})
    return scores, points


def write_table(table: pd.DataFrame, out: Path) -> None:
    """The table as CSV, written whole or not at all."""
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        table.to_csv(partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m recsys_course grade", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("lesson", help="the lesson the notebooks are (01 to 06)")
    parser.add_argument("submissions", type=Path, help="a folder of STUDENT.ipynb files")
    parser.add_argument("--out", type=Path, help="also write the table to this CSV file")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may run (default 900)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="a new folder to keep nbgrader's course folder in (graded notebooks, gradebook)",
    )
    args = parser.parse_args(argv)
    try:
        table = grade(args.lesson, args.submissions, timeout=args.timeout, keep=args.keep)
    except GradingError as err:
        print(f"grade: {err}", file=sys.stderr)
        return 2
    print(table.to_string())
    if args.out:
        write_table(table, args.out)
        print(f"wrote {args.out}")
    return 0
