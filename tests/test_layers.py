"""The package's layout, checked by parsing its imports: shared layers beneath one folder per lesson.

Imports point down the layers below - data knows no tasks, tasks no models, models no training loop -
lesson folders use everything beneath them and never import each other, and no module imports
itself back through another (no import circle, top-level or inside a function).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "recsys_course"

# The layers, lowest first: a module may import its own unit and any unit of a lower layer.
LAYERS = [
    {"colab"},  # the Colab setup: standard library only, run before the course's dependencies are installed
    {"__init__", "config"},
    {"data"},
    {"tasks"},
    {"models"},
    {"evaluation"},
    {"training"},
    {"serving"},
    {"evidence"},
    {"plots", "check"},
    {"build"},  # the build-it steps' checks, on top of the exercises' (check)
    {"lessons"},
    {"release"},  # the student release: the lessons with graded cells, the choices' answers sealed
    {"grading"},  # nbgrader grading of the release's lessons
    {"cli"},
    {"__main__"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every recsys_course module ``path`` imports, at the top or inside a function, as absolute names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "recsys_course"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "recsys_course":
                continue
            for alias in node.names:  # `from pkg import module` names a module; keep the deepest that exists
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    return found


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def unit(module: str) -> str:
    """The top-level piece of the package a module belongs to ("data", "lessons", "plots", ...)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def lesson(module: str) -> str | None:
    """The lesson folder of a module (``l03_neumf_with_pretraining``), or None outside one."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "lessons" else None


GRAPH = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_is_in_a_layer():
    assert {unit(m) for m in GRAPH} <= set(RANK), sorted({unit(m) for m in GRAPH} - set(RANK))


def violations(module: str, targets) -> list[str]:
    """What is wrong with ``module`` importing ``targets``: an import up or across the layers, or another lesson."""
    found = []
    for target in sorted(targets):
        if unit(target) != unit(module) and RANK[unit(target)] >= RANK[unit(module)]:
            found.append(f"{module} imports {target}, a layer above or beside it")
        mine, theirs = lesson(module), lesson(target)
        if theirs is not None and mine != theirs:
            found.append(f"{module} (lesson {mine}) imports another lesson's {target}")
    return found


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_and_lessons_stay_apart(module):
    assert violations(module, GRAPH[module]) == []


def test_there_is_no_import_circle():
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH.get(module, ())):
            if target not in GRAPH or target == module:
                continue
            if state.get(target) == "open":
                circle = path[path.index(target) :] + [target] if target in path else [module, target]
                pytest.fail("import circle: " + " -> ".join(circle))
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


def test_the_checks_catch_what_they_are_for(tmp_path, monkeypatch):
    """A made-up upward import and a made-up lesson-to-lesson import are found by the parser and the check."""
    upward = tmp_path / "recsys_course" / "data" / "bad.py"
    upward.parent.mkdir(parents=True)
    upward.write_text(
        "from ..training import fit\nfrom recsys_course.lessons.l01_mlp_vs_dot_product import x\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "recsys_course")
    found = imports(upward)
    assert "recsys_course.training" in found
    problems = violations("recsys_course.data.bad", found)
    assert any("a layer above" in p for p in problems)  # data may not import training, nor lessons
    crossing = violations(
        "recsys_course.lessons.l02_embeddings_and_tsne.x", ["recsys_course.lessons.l01_mlp_vs_dot_product"]
    )
    assert crossing and "another lesson" in crossing[0]
    assert (
        violations("recsys_course.lessons.l02_embeddings_and_tsne.x", ["recsys_course.training.loop"]) == []
    )
