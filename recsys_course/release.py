"""The student release: a copy of the course to hand out, without solutions, instructor material or answers.

    python -m recsys_course release student OUT/ [--repository OWNER/NAME]

Its lessons carry one graded cell per build-it step and exercise, with nbgrader's metadata, so that
:mod:`recsys_course.grading` can grade what students hand back; the choices' answers are sealed.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

from . import config
from .check import Choice, sealed
from .colab import REPOSITORY

POINTS = {"step": 2, "exercise": 1}  # writing a model, a loss or a loop; an exercise
# what a student release holds, beside its lessons (notebooks/) and a README of its own
KEEP = (
    "LICENSE",
    "CLAIMS.md",
    "pyproject.toml",
    "environment.yml",
    "requirements-lock.txt",
    "postBuild",
    "jupytext.toml",
    ".gitignore",
    "recsys_course",
    "results",
    "figures",
    "claims",
    "data/README.md",
    "docs/methods.md",
)
LEFT_OUT = ("solutions/", "docs/instructors.md", "tests/", "scripts/", "site/", "benchmarks/")
SKIP = shutil.ignore_patterns("__pycache__", "*.egg-info", "fast", ".ipynb_checkpoints")
# the lines of a lesson that hand a graded item to its check: `check(2, ...)` and `MyMF = build.use("mf", ...)`
EXERCISE_CALL = re.compile(r"^check\((\d+),", re.M)
STEP_CALL = re.compile(r'\bbuild\.use\("(\w+)"')
SOLUTIONS_SENTENCE = re.compile(r"The worked\s+solutions are in\s+`solutions/[^`]+`\.")
CHOICE_ANSWER = re.compile(r'\bcorrect="(\w+)"')


class ReleaseError(Exception):
    """The release cannot be built as asked; the message names the problem and the fix."""


def lessons(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def grade_cell(kind: str, number: str) -> nbformat.NotebookNode:
    """The locked cell nbgrader scores for one item: it reports where the item stands, and raises while graded."""
    points = POINTS[kind]
    checker = "build" if kind == "step" else "check"
    item = f'{kind} "{number}"' if kind == "step" else f"{kind} {number}"
    label = f'"{number}"' if kind == "step" else number
    source = (
        f"# Graded: {item}, {points} point{'s' if points != 1 else ''}. Leave this cell as it is.\n"
        f"{checker}.grade({label}, points={points})"
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.id = f"graded-{kind}-{number}".replace("_", "-")  # the same in every release, unlike a random one
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": f"{kind}-{number}",
        "locked": True,
        "points": points,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    cell.metadata["tags"] = ["graded"]
    return cell


def graded_items(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(kind, number) of every graded cell of a graded lesson, in order."""
    return [
        tuple(cell.metadata["nbgrader"]["grade_id"].split("-", 1))
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    ]


def graded_lesson(path: Path, repository: str = REPOSITORY) -> nbformat.NotebookNode:
    """Lesson ``path`` as students get it: a graded cell after each cell that hands an item to its check, no
    pointer to the solutions, and badges and setup naming ``repository``. Fails unless every build-it step and
    exercise of the lesson has exactly one graded cell."""
    from .lessons import builds, exercises

    nb = nbformat.read(path, as_version=4)
    already = graded_items(nb)  # a lesson of a student release: graded already, and checked all the same
    cells, found = [], list(already)
    for cell in nb.cells if not already else ():
        cells.append(cell)
        if cell.cell_type == "markdown":
            cell.source = SOLUTIONS_SENTENCE.sub(
                "Your teacher has the worked solutions. Each cell marked *Graded* scores one item when your "
                f"notebook is graded: a build-it step is worth {POINTS['step']} points, an exercise "
                f"{POINTS['exercise']}.",
                cell.source,
            )
        if cell.cell_type != "code":
            continue
        items = [("step", s) for s in STEP_CALL.findall(cell.source)]
        items += [("exercise", n) for n in EXERCISE_CALL.findall(cell.source)]
        for kind, number in items:
            cells.append(grade_cell(kind, number))
            found.append((kind, number))
    if not already:
        nb.cells = cells
        _name_repository(nb, repository)
    lesson = path.name[:2]
    expected = [("step", s) for s in builds(lesson).exercises] + [
        ("exercise", str(n)) for n in exercises(lesson).exercises
    ]
    if sorted(found) != sorted(expected) or len(set(found)) != len(found):
        raise ReleaseError(
            f"{path.name}: its graded cells {found} do not match the lesson's checks {expected}; each build-it "
            "step needs one `build.use(...)` line and each exercise one `check(N, ...)` line."
        )
    return nb


def _name_repository(nb: nbformat.NotebookNode, repository: str) -> None:
    """Badges and the Colab setup cell point at the repository the release is published to."""
    for cell in nb.cells:
        cell.source = cell.source.replace(f"/{REPOSITORY}", f"/{repository}")


def sealed_exercises(text: str, lesson: str) -> str:
    """Lesson ``lesson``'s exercises.py with each choice's answer replaced by its digest (:func:`check.sealed`)."""
    import importlib

    from .lessons import package

    module = importlib.import_module(f"{package(lesson).__name__}.exercises")
    choices = [e for e in module.exercises() if isinstance(e, Choice) and isinstance(e.correct, str)]
    written = CHOICE_ANSWER.findall(text)
    if written != [c.correct for c in choices]:
        raise ReleaseError(
            f"lesson {lesson}'s exercises.py writes the answers {written}, but its choices have "
            f'{[c.correct for c in choices]}: write each choice\'s answer once, as correct="key".'
        )
    answers = iter(choices)

    def seal(match: re.Match) -> str:
        choice = next(answers)
        return f'correct="{sealed(choice.number, choice.correct)}"'

    return CHOICE_ANSWER.sub(seal, text)


def readme(root: Path, repository: str) -> str:
    """The release's README: the lessons, how to set up and open them, and how the work is graded."""
    lines = [
        "# recsys-course: student release",
        "",
        "The deep-learning foundations of recommender systems, in six lessons to run and build in. "
        f"This copy is the one your teacher hands out (from `{repository}`): it has the lessons, the course's "
        "package and the committed results the lessons read, and no solutions.",
        "",
        "## The lessons",
        "",
    ]
    for path in lessons(root):
        title = next(
            line.lstrip("# ").strip()
            for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "markdown"
            for line in cell.source.splitlines()
            if line.startswith("# ")
        )
        lines.append(f"- [{title}](notebooks/{path.name})")
    lines += [
        "",
        "## Set up and open the course",
        "",
        "```bash",
        'python -m venv .venv && . .venv/bin/activate && pip install -e ".[course]"',
        "jupyter lab notebooks/",
        "```",
        "",
        "Each lesson's badges open it on Colab or Binder. The datasets download on first use, checked "
        "against pinned hashes; `data/README.md` says where they are cached.",
        "",
        "## How your work is graded",
        "",
        "Each build-it step and each exercise ends with a check that tells you where you stand, with a hint "
        "when something is wrong. After it comes a cell marked *Graded*: leave it as it is. When you hand in "
        f"the notebook, your teacher's grader runs it from the top; a build-it step whose check passes earns "
        f"{POINTS['step']} points, an exercise {POINTS['exercise']}. Run the whole notebook once before you "
        "hand it in, and check that every graded cell says what you expect.",
        "",
    ]
    return "\n".join(lines)


def build_student_release(out: Path, repository: str = REPOSITORY) -> Path:
    """Write the student release into the new folder ``out`` (it must not exist); nothing is left half-written."""
    root = config.repo_root()
    if root is None:
        raise ReleaseError(
            "the release is built from the course repository (a clone), not from a pip-installed package: "
            "run this command inside a clone of the course."
        )
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+", repository):
        raise ReleaseError(f"--repository {repository!r} is not OWNER/NAME, as in github.com/OWNER/NAME.")
    out = Path(out).resolve()
    if out.exists():
        raise ReleaseError(f"{out} already exists: name a new folder, or delete this one first.")
    if out == root or root in out.parents:
        raise ReleaseError(f"{out} lies inside the course repository: name a folder outside it.")
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        partial.mkdir(parents=True)
        for name in KEEP:
            source, target = root / name, partial / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=SKIP)
            elif source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        for exercises_file in sorted(
            (partial / "recsys_course" / "lessons").glob("l[0-9][0-9]_*/exercises.py")
        ):
            lesson = exercises_file.parent.name[1:3]
            exercises_file.write_text(sealed_exercises(exercises_file.read_text(), lesson))
        colab = partial / "recsys_course" / "colab.py"
        colab.write_text(
            colab.read_text().replace(f'REPOSITORY = "{REPOSITORY}"', f'REPOSITORY = "{repository}"')
        )
        pyproject = partial / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace('["tests", "notebooks", "solutions"]', '["notebooks"]')
        )
        (partial / "notebooks").mkdir()
        for path in lessons(root):
            nbformat.write(graded_lesson(path, repository), partial / "notebooks" / path.name)
        (partial / "README.md").write_text(readme(root, repository))
        os.replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m recsys_course release", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("kind", choices=["student"], help="the release to build (the student one)")
    parser.add_argument("out", type=Path, help="a new folder to write it into")
    parser.add_argument(
        "--repository", default=REPOSITORY, help=f"OWNER/NAME its badges open (default {REPOSITORY})"
    )
    args = parser.parse_args(argv)
    try:
        out = build_student_release(args.out, args.repository)
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 2
    print(f"wrote the student release to {out}: {len(lessons(out))} lessons; left out {', '.join(LEFT_OUT)}")
    return 0
