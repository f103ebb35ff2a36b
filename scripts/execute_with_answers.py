"""Run lessons with the learner's code switched on: the solutions' build-it answers in place of the scaffolds.

    python scripts/execute_with_answers.py                         # every lesson
    python scripts/execute_with_answers.py notebooks/04_*.ipynb    # one

A lesson ships scaffolds, so `build.use` hands the rest of it the course's code. This script checks the other
way: it copies the repository to a temporary folder (so that no committed figure or claim record is touched),
puts each `my_*` function and `My*` class that the lesson's solution notebook writes in the build-it section in
place of the scaffold of the same name, executes the lesson there from its notebooks/ folder, and fails unless
every cell ran and every build-it step said "passed". It prints each lesson's wall time.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "data", "__pycache__", ".ipynb_checkpoints", "site", "*.egg-info"
)


def answers(solution: Path) -> tuple[dict[str, str], list[str]]:
    """The solution's build-it answers by name (``my_*`` functions, ``My*`` classes) and the imports they need."""
    nb = nbformat.read(solution, as_version=4)
    defs, imports = {}, []
    for cell in nb.cells:
        if cell.cell_type != "code" or "builds(" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and re.match(r"my_|My", node.name):
                defs[node.name] = ast.get_source_segment(cell.source, node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(ast.get_source_segment(cell.source, node))
    return defs, imports


def switched_off(lesson: Path, solution: Path) -> tuple[nbformat.NotebookNode, int]:
    """The lesson with the solution's answers in its scaffold cells, and how many steps it hands to build.use."""
    nb = nbformat.read(lesson, as_version=4)
    defs, imports = answers(solution)
    steps = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "build.use(" not in cell.source:
            continue
        steps += cell.source.count("build.use(")
        cell.source = put_in(cell.source, defs, imports)
    return nb, steps


def put_in(source: str, defs: dict[str, str], imports: list[str]) -> str:
    """A scaffold cell's ``source``: each definition ``defs`` names in place of the scaffold's, after ``imports``."""
    lines = source.splitlines()
    for node in sorted(ast.parse(source).body, key=lambda n: n.lineno, reverse=True):  # from the bottom up
        name = getattr(node, "name", None)
        if name in defs:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
            lines[start : node.end_lineno] = defs[name].splitlines()
    return "\n".join(imports + lines)


def run(lesson: Path, copy: Path) -> float:
    solution = next((copy / "solutions").glob(f"{lesson.name[:2]}_*_solutions.ipynb"))
    nb, steps = switched_off(copy / "notebooks" / lesson.name, solution)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(copy / "notebooks")}}
    ).execute()
    seconds = time.perf_counter() - start
    printed = "\n".join(
        "".join(out.get("text", "")) for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
    )
    passed = len(re.findall(r"^Step \w+: passed", printed, re.M))
    fallbacks = printed.count("the rest of the lesson goes on with the course's")
    if passed != steps or fallbacks:
        raise SystemExit(
            f"{lesson.name}: {passed} of {steps} steps passed, {fallbacks} fell back to the course's code"
        )
    return seconds


def main(argv: list[str]) -> int:
    lessons = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=SKIP)
        os.environ["PYTHONPATH"] = os.pathsep.join([str(copy), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        for lesson in lessons:
            seconds = run(lesson, copy)
            print(
                f"{lesson.name}: every step passed with the learner's code; ran in {seconds:.0f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
