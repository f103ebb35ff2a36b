"""The package's layout, checked by parsing its imports: shared layers beneath one folder per lesson.

Imports point down the layers below - data knows no tasks, tasks no models, models no training loop -
lesson folders use everything beneath them and never import each other, and no module imports
itself back through another (no import circle, top-level or inside a function).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "recsys_course"

# The layers, lowest first: a module may import its own unit and any unit of a lower layer.
LAYERS = [
    {"__init__", "config"},
    {"data"},
    {"tasks"},
    {"models"},
    {"evaluation"},
    {"training"},
    {"serving"},
    {"evidence"},
    {"plots", "check"},
    {"lessons"},
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


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_and_lessons_stay_apart(module):
    for target in sorted(GRAPH[module]):
        if unit(target) != unit(module):
            assert RANK[unit(target)] < RANK[unit(module)], (
                f"{module} imports {target}, a layer above or beside it"
            )
        mine, theirs = lesson(module), lesson(target)
        assert theirs is None or mine == theirs, f"{module} (lesson {mine}) imports another lesson's {target}"


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


def test_the_checks_catch_what_they_are_for(tmp_path):
    """A made-up upward import and a made-up lesson-to-lesson import are found by the parser."""
    upward = tmp_path / "recsys_course" / "data" / "bad.py"
    upward.parent.mkdir(parents=True)
    upward.write_text(
        "from ..training import fit\nfrom recsys_course.lessons.l01_mlp_vs_dot_product import x\n"
    )
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "recsys_course"
    try:
        found = imports(upward)
    finally:
        PACKAGE = saved
    assert "recsys_course.training" in found and any(lesson(t) == "l01_mlp_vs_dot_product" for t in found)
    assert RANK[unit("recsys_course.training")] > RANK[unit("recsys_course.data.bad")]
