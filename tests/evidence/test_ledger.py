"""The course-wide claims ledger: built from the records, never stale, and true to the committed notebooks."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest

from recsys_course.evidence import ledger, load_claims, save_claims

ROOT = Path(__file__).resolve().parents[2]


def _outputs(notebook: Path) -> tuple[str, list[str]]:
    """All Markdown and text the committed notebook shows, and the rows of the HTML tables it shows."""
    texts, rows = [], []
    for cell in json.loads(notebook.read_text())["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            texts += ["".join(out.get("text", "")), "".join(data.get("text/markdown", ""))]
            rows += "".join(data.get("text/html", "")).split("<tr>")
    return "\n".join(texts), rows


def test_the_committed_ledger_matches_the_claim_records():
    assert (ROOT / ledger.PAGE).read_text() == ledger.build(ROOT) + "\n", (
        "CLAIMS.md is stale: run `python -m recsys_course ledger`"
    )


@pytest.mark.parametrize("stem", sorted(ledger.lesson_records(ROOT)))
def test_the_records_are_what_the_committed_notebook_shows(stem):
    """Each verdict in claims/<lesson>.json is one the committed notebook shows: in its conclusion or a claims table."""
    text, rows = _outputs(ROOT / "notebooks" / f"{stem}.ipynb")
    for claim in load_claims(ROOT / "claims" / f"{stem}.json"):
        # the written-out conclusion, or its one-line-per-claim form (evidence.conclusion(brief=True))
        in_conclusion = f"**{claim.claim}** - **{claim.verdict}**" in text and claim.effect_text() in text
        cells = [f"<td>{part}</td>" for part in (claim.effect_text(), claim.verdict)]
        in_table = any(
            html.escape(claim.claim, quote=False) in row and all(c in row for c in cells) for row in rows
        )
        assert in_conclusion or in_table, f"{stem}: the notebook does not show {claim.claim!r} as recorded"


def test_every_lesson_with_verdicts_is_in_the_ledger():
    notebooks = sorted(
        p.stem
        for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
        if "evidence.save_claims" in p.read_text()
    )
    assert sorted(ledger.lesson_records(ROOT)) == notebooks


def test_a_changed_record_makes_the_ledger_stale(tmp_path):
    shutil.copytree(ROOT / "claims", tmp_path / "claims", ignore=shutil.ignore_patterns("fast"))
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.py"))
    before = ledger.build(tmp_path)
    path = tmp_path / "claims" / "06_training_discipline.json"
    claims = load_claims(path)
    claims[0].verdict = "supported" if claims[0].verdict != "supported" else "contradicted"
    save_claims(claims, path)
    assert ledger.build(tmp_path) != before


def test_a_learners_rerun_on_other_data_stays_out(tmp_path):
    shutil.copytree(ROOT / "claims", tmp_path / "claims", ignore=shutil.ignore_patterns("fast"))
    shutil.copy(
        tmp_path / "claims" / "05_wide_and_deep.json", tmp_path / "claims" / "05_wide_and_deep@ml-1m.json"
    )
    assert "05_wide_and_deep@ml-1m" not in ledger.lesson_records(tmp_path)


def test_where_points_at_the_section_heading_cell():
    claim = load_claims(ROOT / "claims" / "06_training_discipline.json")[0]
    text = ledger.where(claim, "06_training_discipline", ROOT)
    cell = int(text.rsplit("cell ", 1)[1])
    source = "".join(
        json.loads((ROOT / "notebooks" / "06_training_discipline.ipynb").read_text())["cells"][cell]["source"]
    )
    assert source.startswith("## 1.")
