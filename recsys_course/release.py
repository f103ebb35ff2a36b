"""The student release: a copy of the course to hand out, without solutions, instructor material or answers.

    python -m recsys_course release student OUT/ [--repository OWNER/NAME]

Its lessons carry one graded cell per build-it step and exercise, with nbgrader's metadata, so that
:mod:`recsys_course.grading` can grade what students hand back; the choices' answers are sealed.
"""

from __future__ import annotations

import json
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
HINTS = re.compile(r"\bhints=\{.*?\n\s*\}", re.S)  # a choice's hints: the first dict of them after its answer
HINT_KEY = re.compile(r'(\n\s*)"(\w+)":')


class ReleaseError(Exception):
    """The release cannot be built as asked; the message names the problem and the fix."""


def lessons(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def check_call(kind: str, number: str) -> str:
    """The text of the call that hands a graded item to its check: ``build.use("fm"`` or ``check(2,``."""
    return f'build.use("{number}"' if kind == "step" else f"check({number},"


def copy_course(root: Path, target: Path, names: tuple[str, ...] = KEEP) -> None:
    """Copy ``names`` (files and folders of the course at ``root``) into ``target``, without caches."""
    for name in names:
        if (root / name).is_dir():
            shutil.copytree(root / name, target / name, ignore=SKIP)
        elif (root / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target / name)


def grade_cell(kind: str, number: str, lesson: str, strict: bool = False) -> nbformat.NotebookNode:
    """The locked cell nbgrader scores for one item. The learner's copy reports where the item stands; the
    grader's (``strict``), which nbgrader writes over the learner's, raises unless the item has passed, asking
    :func:`recsys_course.lessons.graded` rather than whatever the notebook's names hold by then."""
    points = POINTS[kind]
    item = f'{kind} "{number}"' if kind == "step" else f"{kind} {number}"
    label = f'"{number}"' if kind == "step" else number
    header = f"# Graded: {item}, {points} point{'s' if points != 1 else ''}. Leave this cell as it is.\n"
    if strict:
        source = header + "from recsys_course.lessons import graded\n"
        source += f'graded("{lesson}", "{kind}", {label}, points={points})'
    else:
        source = header + f"{'build' if kind == 'step' else 'check'}.grade({label}, points={points})"
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
    cell.metadata.update(editable=False, deletable=False, tags=["graded"])  # JupyterLab keeps it as it is
    return cell


def intro_cell() -> nbformat.NotebookNode:
    """What a learner reads before the first check whose item is graded."""
    cell = nbformat.v4.new_markdown_cell(
        "**Graded cells.** From here on, each check is followed by a cell marked *Graded*. Run it, and "
        "leave it as it is: do not edit, delete or copy it. It says what the item will earn when your teacher "
        f"grades the notebook: a build-it step {POINTS['step']} points, an exercise {POINTS['exercise']}."
    )
    cell.id = "graded-cells"
    return cell


def graded_items_of(cell: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """[(kind, number)] of a graded cell, [] of any other."""
    meta = cell.metadata.get("nbgrader", {})
    return [tuple(meta["grade_id"].split("-", 1))] if meta.get("grade") else []


def graded_items(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(kind, number) of every graded cell of a graded lesson, in order."""
    return [item for cell in nb.cells for item in graded_items_of(cell)]


def graded_lesson(path: Path, repository: str = REPOSITORY, strict: bool = False) -> nbformat.NotebookNode:
    """Lesson ``path`` as students get it: a graded cell after each cell that hands an item to its check, no
    pointer to the solutions, no saved output of the course's code, and badges and setup naming ``repository``.
    ``strict`` gives the grader's copy. Fails unless every build-it step and exercise has one graded cell."""
    from .lessons import builds, exercises

    lesson = path.name[:2]
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
        if "build.source(" in cell.source:  # the course's answer to a step: shown once the learner runs it
            cell.outputs, cell.execution_count = [], None
        items = [("step", s) for s in STEP_CALL.findall(cell.source)]
        items += [("exercise", n) for n in EXERCISE_CALL.findall(cell.source)]
        for kind, number in items:
            if not found:
                cells.insert(-1, intro_cell())
            cells.append(grade_cell(kind, number, lesson))
            found.append((kind, number))
    if not already:
        nb.cells = cells
        _name_repository(nb, repository)
    nb.cells = [
        grade_cell(*graded_items_of(cell)[0], lesson, strict=strict) if graded_items_of(cell) else cell
        for cell in nb.cells
    ]
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
    # each choice's answer, then the keys of its hints, whose one missing key would name the answer; a sealed
    # answer no longer matches CHOICE_ANSWER, so each search finds the next choice's
    for choice in choices:
        match = CHOICE_ANSWER.search(text)
        hints = HINTS.search(text, match.end())
        if not hints:
            raise ReleaseError(
                f"lesson {lesson}'s exercises.py: give choice {choice.number} its hints={{...}}."
            )
        keys = HINT_KEY.sub(lambda m: f'{m.group(1)}"{sealed(choice.number, m.group(2))}":', hints.group(0))
        sealed_answer = f'correct="{sealed(choice.number, choice.correct)}"'
        text = (
            text[: match.start()]
            + sealed_answer
            + text[match.end() : hints.start()]
            + keys
            + text[hints.end() :]
        )
    return text


def without_mistakes(text: str) -> str:
    """A module's source with every ``mistakes=(...)`` argument emptied: the instructors' guide lists those
    mistakes, and they point at the answers. The checks' own ``known_mistakes`` stay: they name a mistake."""
    import ast

    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    spans = [
        (
            starts[k.value.lineno - 1] + k.value.col_offset,
            starts[k.value.end_lineno - 1] + k.value.end_col_offset,
        )
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Call)
        for k in node.keywords
        if k.arg == "mistakes"
    ]
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + "()" + text[end:]
    return text


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
        "To install the exact versions the course was tested with instead: "
        "`pip install -r requirements-lock.txt && pip install --no-deps -e .`. "
        "Each lesson's badges open it on Colab or Binder. The datasets download on first use, checked "
        "against pinned hashes; `data/README.md` says where they are cached.",
        "",
        "## How your work is graded",
        "",
        "Each build-it step and each exercise ends with a check that tells you where you stand, with a hint "
        "when something is wrong. After it comes a cell marked *Graded*: leave it as it is (JupyterLab will "
        "not let you edit or delete it). It prints what the item will earn. When you hand in the notebook, "
        "your teacher's grader puts every graded cell back as it was, runs your notebook from the top on "
        "MovieLens 100K at the lesson's settings, and gives a build-it step whose check passes "
        f"{POINTS['step']} points, an exercise {POINTS['exercise']}. Keep `DATASET` and the settings as the "
        "lesson gives them. Handing back the course's own function or model, or a wrapper around it, passes "
        "the check but earns nothing. Do not copy a graded cell. Before you hand in, restart the kernel, "
        "run the whole notebook once, and check what each graded cell says.",
        "",
        "## How to hand in",
        "",
        "Hand in the lesson's notebook file (`.ipynb`) the way your teacher asks, named as your teacher asks "
        "(for example `ada.ipynb`):",
        "",
        "- Colab: File, then Download, then Download .ipynb.",
        "- Binder: right-click the notebook in the file browser, then Download; Binder forgets your work "
        "when the session ends, so download before you close it.",
        "- JupyterLab on your machine or a shared hub: the file is in `notebooks/`; your teacher may "
        "collect it from there.",
        "",
    ]
    return "\n".join(lines)


def provenance(root: Path, repository: str) -> dict:
    """What the release was built from (the course's repository and commit) and where it is published."""
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", *KEEP, "notebooks"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit, changed = None, ""  # a copy without git history
    return {
        "built from": REPOSITORY,
        "commit": commit,
        "uncommitted changes": bool(changed),
        "published to": repository,
        "points": POINTS,
    }


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
        copy_course(root, partial)
        for folder in sorted((partial / "recsys_course" / "lessons").glob("l[0-9][0-9]_*")):
            checks, steps = folder / "exercises.py", folder / "build.py"
            checks.write_text(without_mistakes(sealed_exercises(checks.read_text(), folder.name[1:3])))
            steps.write_text(without_mistakes(steps.read_text()))
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
        (partial / "release.json").write_text(json.dumps(provenance(root, repository), indent=2) + "\n")
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
