"""scripts/compare_outputs.py tells a moved number from a reworded text, and maps the renamed paths."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("compare_outputs", ROOT / "scripts" / "compare_outputs.py")
compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare)


def record(**changes):
    base = {
        "verdict": "supported",
        "effect": {"estimate": 0.0123, "low": 0.01},
        "evidence": "lesson 03",
    }
    return {**base, **changes}


def test_a_moved_number_or_verdict_is_a_problem_and_a_renamed_path_is_not():
    old, new = (
        record(evidence="figures/ncf/ncf_x.csv"),
        record(evidence="results/03_neumf_with_pretraining/ncf_x.csv"),
    )
    assert compare.compare_records(old, new) == ([], [])
    moved, texts = compare.compare_records(record(), record(effect={"estimate": 0.0124, "low": 0.01}))
    assert moved == [".effect.estimate: 0.0123 vs 0.0124"] and texts == []
    moved, _ = compare.compare_records(record(), record(verdict="inconclusive"))
    assert moved == [".verdict: 'supported' vs 'inconclusive'"]
    assert (
        compare.compare_records(record(), record(effect={"estimate": 0.0123 + 1e-13, "low": 0.01}))[0] == []
    )


def test_a_reworded_text_is_listed_apart():
    moved, texts = compare.compare_records(record(), record(evidence="another source"))
    assert moved == [] and len(texts) == 1 and texts[0].startswith(".evidence:")


def test_timings_are_masked():
    assert compare.normalised("took 12.5 ms", False) == compare.normalised("took 3 ms", False)
