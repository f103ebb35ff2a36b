"""Grade three submissions of one lesson of a student release, and fail unless each earns exactly what it should.

    python scripts/check_grading.py RELEASE/ [--lesson 06]

RELEASE is a folder `python -m recsys_course release student RELEASE/` wrote. The three submissions are the
release's lesson with the solutions' answers in place (full marks), the lesson as handed out (no points), and
the solutions' answers with three items spoilt: one build-it step left as its scaffold, one function with a
known mistake, one wrong choice (exactly those items' points lost); that notebook also switches grading off in
its first cell and deletes a graded cell, and the grader must ignore the one and put back the other. The grader
is the release's own `python -m recsys_course grade`, with nbgrader, run as a teacher runs it; CI runs this after
the test suite.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from execute_with_answers import answers, put_in  # noqa: E402

from recsys_course.release import EXERCISE_CALL, graded_items_of  # noqa: E402

# lesson 06's spoilt items: the scaffold kept for one step, a mistake its check names, a wrong choice
SPOILT = {
    "06": {
        "step-loop": ("scaffold", "my_fit"),
        "exercise-2": ("replace", "if value > best:", "if value >= best:"),  # equal counted as better
        "exercise-4": ("replace", 'check(4, "a")', 'check(4, "b")'),
    }
}
# and what the partly wrong notebook tries besides: switching the graded cells off, and deleting one of them
# (exercise 5's, an item it answers right), which the grader puts back
SWITCH_OFF = 'import os\nos.environ["RECSYS_COURSE_GRADING"] = "0"\n'
DELETED = "exercise-5"


def exercise_answers(solution: nbformat.NotebookNode) -> tuple[str, dict[int, str]]:
    """The solution's setup cell, and each exercise's worked code (its code cells, up to the next heading)."""
    setup = next(cell.source for cell in solution.cells if cell.cell_type == "code")
    code, current = {}, None
    for cell in solution.cells:
        if cell.cell_type == "markdown":
            heading = re.match(r"## Exercise (\d+)", cell.source)
            if heading or cell.source.startswith("## "):
                current = int(heading.group(1)) if heading else None
        elif current is not None and not re.search(r"assert_all_passed|check\.summary\(\)", cell.source):
            code[current] = (code.get(current, "") + "\n\n" + cell.source).strip()
    return setup, code


def answered(lesson: nbformat.NotebookNode, solution_path: Path, spoilt: dict) -> nbformat.NotebookNode:
    """The lesson with the solution's build-it answers and worked exercises in place of its scaffolds, except the
    items ``spoilt`` names."""
    nb = nbformat.from_dict(lesson)
    defs, imports = answers(solution_path)
    kept = {name for how, name, *_ in spoilt.values() if how == "scaffold"}
    defs = {name: source for name, source in defs.items() if name not in kept}
    setup, worked = exercise_answers(nbformat.read(solution_path, as_version=4))
    replacements = [rest for how, *rest in spoilt.values() if how == "replace"]
    first_exercise = True
    for cell in nb.cells:
        if cell.cell_type != "code" or graded_items_of(cell):
            continue
        if "build.use(" in cell.source:
            cell.source = put_in(cell.source, defs, imports)
        exercise = EXERCISE_CALL.search(cell.source)
        if exercise:
            cell.source = worked[int(exercise.group(1))]
            if first_exercise:  # the names the solutions' cells rely on
                cell.source, first_exercise = setup + "\n\n" + cell.source, False
        for old, new in replacements:
            cell.source = cell.source.replace(old, new)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--lesson", default="06", choices=sorted(SPOILT))
    args = parser.parse_args(argv)
    release = args.release.resolve()
    [lesson_path] = sorted((release / "notebooks").glob(f"{args.lesson}_*.ipynb"))
    [solution_path] = sorted((ROOT / "solutions").glob(f"{args.lesson}_*_solutions.ipynb"))
    lesson = nbformat.read(lesson_path, as_version=4)
    spoilt = SPOILT[args.lesson]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        nbformat.write(answered(lesson, solution_path, {}), folder / "full.ipynb")
        nbformat.write(lesson, folder / "untouched.ipynb")
        partly = answered(lesson, solution_path, spoilt)
        partly.cells = [c for c in partly.cells if ["-".join(i) for i in graded_items_of(c)] != [DELETED]]
        first_code = next(c for c in partly.cells if c.cell_type == "code")
        first_code.source = SWITCH_OFF + first_code.source
        nbformat.write(partly, folder / "partly_wrong.ipynb")
        start = time.perf_counter()
        env = dict(os.environ, PYTHONPATH=str(release))  # the release's package, as its teacher uses it
        command = ["-m", "recsys_course", "grade", args.lesson, str(folder), "--out", str(folder / "g.csv")]
        run = subprocess.run(
            [sys.executable, *command],
            cwd=release,
            env=env,
            capture_output=True,
            text=True,
        )
        print(run.stdout, run.stderr[-3000:] if run.returncode else "", sep="")
        if run.returncode:
            return 1
        table = pd.read_csv(folder / "g.csv", index_col="student")
    print(f"graded 3 submissions of lesson {args.lesson} in {time.perf_counter() - start:.0f} s")
    notes = table.pop("notes").fillna("")
    expected_notes = {
        "full": "",
        "untouched": "",
        "partly_wrong": f"graded cells missing, put back: {DELETED}; its code reaches into the checks "
        "(RECSYS_COURSE_GRADING): read it",
    }
    if notes.drop("(out of)").to_dict() != expected_notes:
        print(f"the notes differ from what each submission should get: {notes.to_dict()}")
        return 1
    points = table.loc["(out of)"]
    expected = pd.DataFrame(
        {
            "full": points,
            "untouched": points * 0,
            "partly_wrong": points.where(~points.index.isin([*spoilt, "total"]), 0.0),
        }
    ).T
    expected["total"] = expected.drop(columns="total").sum(axis=1)
    got = table.drop(index="(out of)").loc[expected.index]
    if not got.equals(expected.astype(got.dtypes.to_dict())):
        buffer = io.StringIO()
        pd.concat({"expected": expected, "graded": got}).to_string(buf=buffer)
        print(f"the grades differ from what each submission should earn:\n{buffer.getvalue()}")
        return 1
    print(
        f"as expected: full {got.loc['full', 'total']:g}, untouched {got.loc['untouched', 'total']:g}, "
        f"partly wrong {got.loc['partly_wrong', 'total']:g} of {points['total']:g} points"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
