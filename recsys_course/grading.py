"""Grade a folder of students' lessons with nbgrader: one row per student, one column per graded item.

    python -m recsys_course grade 06 SUBMISSIONS/ [--out grades.csv] [--keep GRADED/]

SUBMISSIONS holds one notebook per student, named after the student (``ada.ipynb``): lesson 06 as the student
release wrote it (:mod:`recsys_course.release`). nbgrader writes the grader's copy over each graded cell, runs
the notebook from the top, and gives a graded cell whose item has not passed no points.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pandas as pd

from . import config
from .release import POINTS, check_call, copy_course, graded_items, graded_items_of, graded_lesson, lessons

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


# code in a submission that reaches into the checks instead of answering: the table notes it for a person to read
TAMPERING = re.compile(
    r"\.outcomes\b|\.borrowed\b|RECSYS_COURSE_GRADING|\bsealed\(|\.grade\s*=|\bOutcome\b|\bPASSED\b|\bsetattr\("
    r"|\.exercises\[|\.cases\b|\.reference\b|\b_LIVE\b|\bgraded\(|recsys_course\.check\b"
    r"|^[ \t]*(?:check|build)[ \t]*=(?!=)(?![ \t]*(?:exercises|builds)\()",
    re.M,
)
# the data a lesson loads, where it is not MovieLens 100K alone
DATASETS = {"01": (), "05": ("ml-100k", "adult")}
TIMED_OUT = "CellTimeoutError"  # the error nbgrader puts in a cell that ran past --timeout
LATE = "a cell ran past the timeout"  # the note on such a notebook


def one_per_item(nb: nbformat.NotebookNode, source: nbformat.NotebookNode) -> list[str]:
    """Keep one graded cell per item - the first after the cell that hands the item to its check - and make
    every copy an ordinary cell (nbgrader stops grading everyone at a repeated grade id); the copies' ids."""
    items = set(graded_items(source))
    calls = {item: _call_cell(nb, item) for item in items}
    keep = {}
    for i, cell in enumerate(nb.cells):
        for item in graded_items_of(cell):
            if item in items and (item not in keep or keep[item] < calls[item] < i):
                keep[item] = i
    copies = []
    for i, cell in enumerate(nb.cells):
        if "nbgrader" in cell.metadata and not any(keep.get(item) == i for item in graded_items_of(cell)):
            copies += ["-".join(item) for item in graded_items_of(cell)] or [f"cell {i}"]
            del cell.metadata["nbgrader"]
    return copies


def _call_cell(nb: nbformat.NotebookNode, item: tuple[str, str]) -> int:
    """The index of the code cell that hands ``item`` to its check, or -1."""
    call = check_call(*item)
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and call in c.source), -1)


def _after_timeout(nb: nbformat.NotebookNode) -> list[str]:
    """The graded items after the first cell that ran past nbgrader's timeout, in a notebook as it ran."""
    stopped = next(
        (i for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if o.get("ename") == TIMED_OUT), None
    )
    if stopped is None:
        return []
    return ["-".join(item) for cell in nb.cells[stopped:] for item in graded_items_of(cell)]


def restored(nb: nbformat.NotebookNode, source: nbformat.NotebookNode) -> list[str]:
    """Put back each graded cell the student deleted, after the cell that hands its item to the check (else at
    the end, where it scores nothing); the ids of the cells put back."""
    present = {item for item in graded_items(nb)}
    put_back = []
    for cell in source.cells:
        [item] = graded_items_of(cell) or [None]
        if item is None or item in present:
            continue
        at = _call_cell(nb, item)
        nb.cells.insert(at + 1 if at >= 0 else len(nb.cells), cell)
        put_back.append("-".join(item))
    return put_back


def notes_on(nb: nbformat.NotebookNode, put_back: list[str], copies: list[str] = ()) -> str:
    """What a teacher should look at in a submission: graded cells it lacked or copied, code that reaches into
    the checks."""
    notes = [f"graded cells missing, put back: {', '.join(put_back)}"] if put_back else []
    if copies:
        notes.append(f"copies of graded cells made ordinary: {', '.join(copies)}")
    reaching = sorted(
        {
            m.group(0).strip()
            for cell in nb.cells
            if cell.cell_type == "code" and not graded_items_of(cell)
            for m in TAMPERING.finditer(cell.source)
        }
    )
    if reaching:
        notes.append("its code reaches into the checks (" + ", ".join(reaching) + "): read it")
    return "; ".join(notes)


def _nbgrader(*args: str, course: Path, env: dict[str, str], echo: bool = False) -> tuple[int, str]:
    """Run one nbgrader command in ``course``; its log, with each notebook it starts echoed to stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"],
        cwd=course,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = []
    for line in process.stdout:
        log.append(line)
        if echo and ("Autograding" in line or "ERROR" in line):
            print(line.rstrip(), file=sys.stderr, flush=True)
    return process.wait(), "".join(log)


def _data_ready(lesson: str, env: dict[str, str]) -> None:
    """Fail before grading when the data the lesson loads is missing: strict data would score every notebook 0."""
    loads = {"ml-100k": "load_movielens('ml-100k')", "adult": "load_adult()"}
    needed = DATASETS.get(lesson, ("ml-100k",))
    if not needed:
        return
    code = "from recsys_course.data import load_adult, load_movielens; " + "; ".join(loads[n] for n in needed)
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if run.returncode:
        raise GradingError(
            "the lesson's data is not there to grade with (strict data, no synthetic stand-in): set "
            f"RECSYS_COURSE_DATA to the folder that holds it, or let it download once.\n{run.stderr[-2000:]}"
        )


def grade(lesson: str, submissions: Path, *, timeout: int = 900, keep: Path | None = None) -> pd.DataFrame:
    """The points each student's notebook earns per graded item, with a ``total`` and a ``notes`` column and an
    ``(out of)`` row; an item nbgrader could not score (the notebook failed, or a cell ran past ``timeout``
    seconds) is NaN.

    Each notebook keeps one graded cell per item (deleted ones put back, copies made ordinary); nbgrader writes
    the grader's graded cells over the student's and runs the notebook from the top, with strict data, without
    FAST mode, on a read-only copy of the course. ``keep``, a new folder, keeps nbgrader's course folder: the
    notebooks as they ran, and the gradebook."""
    if keep is not None and Path(keep).exists():
        raise GradingError(f"{keep} already exists: name a new folder for --keep, or delete this one first.")
    try:
        import nbgrader  # noqa: F401
    except ImportError as err:
        raise GradingError('grading needs nbgrader: pip install -e ".[grade]"') from err
    path = lesson_notebook(lesson)
    students = submissions_in(submissions)
    source = graded_lesson(path, strict=True)
    env = {k: v for k, v in os.environ.items() if k != "RECSYS_COURSE_FAST"}
    env.update(RECSYS_COURSE_GRADING="1", RECSYS_COURSE_STRICT_DATA="1")
    env.setdefault("RECSYS_COURSE_DATA", str(config.data_dir()))
    # nbgrader runs the `alembic` command of its environment, which need not be on PATH (a venv not activated)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with tempfile.TemporaryDirectory(prefix="recsys-course-") as copy, read_only_copy(Path(copy)) as course:
        # every kernel imports this copy, which no graded notebook can change for the ones after it
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(course), env.get("PYTHONPATH")]))
        _data_ready(lesson, env)
        scores, notes, log = _autograded(path, source, students, env, timeout, keep)
    items = ["-".join(item) for item in graded_items(source)]
    points = {f"{kind}-{number}": float(POINTS[kind]) for kind, number in graded_items(source)}
    table = pd.DataFrame([points] + [scores.get(s, {}) for s in students], index=[OUT_OF, *students])
    table = table.reindex(columns=items).astype(float)
    table["total"] = table.sum(axis=1, min_count=len(items))  # NaN when any item went unscored
    table["notes"] = [""] + [notes[s] for s in students]
    for student in students:
        if table.loc[student, items].isna().any() and LATE not in notes[student]:
            table.loc[student, "notes"] = "; ".join(
                filter(None, ["did not run to the end: see nbgrader's log", notes[student]])
            )
    table.index.name = "student"
    table.attrs["log"] = log
    return table


@contextlib.contextmanager
def read_only_copy(folder: Path):
    """The course this package belongs to, copied into ``folder`` with its files made read-only while in use."""
    from .release import KEEP

    target = folder / "course"
    copy_course(config.repo_root(), target, (*KEEP, "notebooks"))
    paths = sorted(target.rglob("*"), reverse=True) + [target]
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield target
    finally:
        for path in reversed(paths):
            path.chmod(0o755 if path.is_dir() else 0o644)


def _autograded(path: Path, source, students: dict, env: dict, timeout: int, keep: Path | None):
    """nbgrader's part of :func:`grade`, in a course folder of its own: (scores, notes, nbgrader's log)."""
    assignment, notes = path.stem, {}
    with tempfile.TemporaryDirectory(prefix="recsys-grading-") as tmp:
        course = Path(tmp) if keep is None else Path(keep).resolve()
        course.mkdir(parents=True, exist_ok=True)
        (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.Execute.timeout = {int(timeout)}\n")
        (course / "source" / assignment).mkdir(parents=True)
        nbformat.write(source, course / "source" / assignment / path.name)
        code, log = _nbgrader(
            "generate_assignment", assignment, "--create", "--force", course=course, env=env
        )
        if code:
            raise GradingError(f"nbgrader could not take in {path.name}:\n{log}")
        for student, notebook in students.items():
            folder = course / "submitted" / student / assignment
            folder.mkdir(parents=True)
            nb = nbformat.read(notebook, as_version=4)
            copies = one_per_item(nb, source)
            notes[student] = notes_on(nb, restored(nb, source), copies)
            nbformat.write(nb, folder / path.name)
        code, log = _nbgrader(
            "autograde", assignment, "--create", "--force", course=course, env=env, echo=True
        )
        scores = _scores(course, assignment, path.stem, students)
        for student in students:
            ran = course / "autograded" / student / assignment / path.name
            late = _after_timeout(nbformat.read(ran, as_version=4)) if ran.exists() else []
            for item in late:
                scores.get(student, {}).pop(item, None)
            if late:
                notes[student] = "; ".join(
                    filter(
                        None,
                        [f"{LATE} ({timeout} s): later items unscored", notes[student]],
                    )
                )
    return scores, notes, log


def _scores(course: Path, assignment: str, notebook: str, students: dict) -> dict[str, dict[str, float]]:
    """Each student's points per graded item, read from nbgrader's gradebook: an item nbgrader never scored (its
    notebook failed to run) is left out, so that it shows as missing rather than as 0."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            try:
                submitted = gradebook.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                continue
            scores[student] = {
                grade.name: float(grade.score)
                for grade in submitted.grades
                if grade.auto_score is not None or grade.manual_score is not None
            }
    return scores


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
    failed = [s for s in table.index[1:] if pd.isna(table.loc[s, "total"])]
    if failed:
        print(
            f"grade: nbgrader could not run the notebooks of {failed} to the end; its log:\n"
            + table.attrs["log"][-4000:],
            file=sys.stderr,
        )
        return 1
    return 0
