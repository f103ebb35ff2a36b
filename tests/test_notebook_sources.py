"""The committed notebooks as a reader meets them: twins in sync, clean outputs, verdicts never typed by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))
# A verdict about a measured result is rendered from claim records (recsys_course.evidence), never typed.
VERDICT_WORDS = re.compile(
    r"\b(supported|contradicted|inconclusive|confounded|refuted|not reproduced|"
    r"does not survive|is false)\b",
    re.I,
)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.name)
def test_py_twin_has_the_same_cells(path):
    """Each notebook's percent-format .py twin (the diff a reviewer reads) holds exactly its cells."""
    twin = path.with_suffix(".py")
    assert twin.is_file(), f"{twin.name} is missing: run `jupytext --sync {path.name}` in {path.parent.name}/"
    ipynb = [(c.cell_type, c.source) for c in jupytext.read(path).cells]
    py = [(c.cell_type, c.source) for c in jupytext.read(twin).cells]
    assert ipynb == py, (
        f"{path.name} and {twin.name} differ: run `jupytext --sync {path.parent.name}/{path.name}`"
    )


RULE_HEADING = "### How the course reaches a verdict"  # lesson 01's plain-words explanation of the rule


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_verdict_word_in_typed_markdown(path):
    hits = [
        i
        for i, c in enumerate(_cells(path))
        if c["cell_type"] == "markdown" and VERDICT_WORDS.search("".join(c["source"]))
    ]
    assert not hits, f"{path.name}: markdown cells {hits} type a verdict; render it from claim records"


def test_the_verdict_rule_is_explained_once_in_lesson_01_and_linked_after():
    """The rule in plain words before its first use, in lesson 01 only, printed there once with the verdicts'
    names; later lessons point back to it."""
    sources = {p.name[:2]: ["".join(c["source"]) for c in _cells(p)] for p in NOTEBOOKS}
    explained = [n for n, cells in sources.items() for text in cells if text.startswith(RULE_HEADING)]
    assert explained == ["01"], explained
    first_verdict = next(i for i, t in enumerate(sources["01"]) if "evidence.judge(" in t)
    assert any(t.startswith(RULE_HEADING) for t in sources["01"][:first_verdict])
    printed = [n for n, cells in sources.items() for t in cells if "print(evidence.RULE)" in t]
    assert printed == ["01"], f"the rule is printed in lessons {printed}; lessons after 01 link to it"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.name)
def test_outputs_are_clean(path):
    """Committed with outputs, none of them an error, a timing or a path of the machine that ran it."""
    cells = [c for c in _cells(path) if c["cell_type"] == "code"]
    assert all(c.get("outputs") is not None for c in cells)
    assert any(c["outputs"] for c in cells), f"{path.name} is committed without outputs"
    for c in cells:
        assert "execution" not in c.get("metadata", {}), f"{path.name}: timing metadata in a cell"
        for out in c["outputs"]:
            assert out["output_type"] != "error", f"{path.name} holds an error output"
            text = json.dumps(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"/(root|work|tmp|home)/", text), (
                f"{path.name}: an absolute path in an output"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_shape(path):
    """Badges, learning goals, a Colab-only setup cell, what to remember, exercises."""
    text = "\n".join("".join(c["source"]) for c in _cells(path))
    for needed in (
        "colab-badge.svg",
        "mybinder.org/badge_logo.svg",
        "You will learn",
        "google.colab",
        "## What to remember",
        "## Exercises",
    ):
        assert needed in text, f"{path.name} lacks {needed!r}"
