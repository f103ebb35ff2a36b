"""Did a change move a number? The claim records and notebook outputs of this tree against those of a revision.

    python scripts/compare_outputs.py 0784141       # after re-executing the notebooks (scripts/execute_notebooks.py)

Claim records (``claims/*.json``): every number (effects, intervals, thresholds, notes) must agree to 1e-9 and
every verdict exactly; a difference is a problem and makes the exit status 1. Texts (sources, evidence, the
wording of what was measured) are listed apart. Notebook and solution outputs: every output that differs
once timings are masked and renamed paths mapped is printed, for a reader to judge (latency tables differ
from run to run); images are compared byte for byte and named when they differ.

``RENAMES`` maps the paths and commands that the one-home-per-lesson layout renamed, so that a revision
before it compares with one after; later renames belong there too.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RENAMES = [
    (r"figures/ncf/ncf_", "results/03_neumf_with_pretraining/ncf_"),
    (r"figures/dimensions/dimensions_", "results/02_embeddings_and_tsne/dimensions_"),
    (
        r"figures/two_stage/retrieval_scaling\.csv",
        "results/04_youtube_two_stage/retrieval_scaling_ml-100k.csv",
    ),
    (r"figures/two_stage/", "results/04_youtube_two_stage/"),
    (r"figures/wide_deep/", "results/05_wide_and_deep/"),
    (r"figures/speed/speed\.csv", "results/06_training_discipline/speed_ml-100k.csv"),
    (r"\(figures/ctr/, figures/defaults/\)", "(results/06_training_discipline/)"),
    (
        r"figures/(ctr|samplers|defaults|dropout|clipping|metric_choice|cold_start|dynamics)/",
        "results/06_training_discipline/",
    ),
    (r"python -m recsys_course\.experiments\.(dimensions)", r"python -m recsys_course run 02/\1"),
    (r"python -m recsys_course\.experiments\.(ncf)", r"python -m recsys_course run 03/\1"),
    (r"python -m recsys_course\.experiments\.(two_stage)", r"python -m recsys_course run 04/\1"),
    (r"python -m recsys_course\.experiments\.(wide_deep)", r"python -m recsys_course run 05/\1"),
    (r"python -m recsys_course\.experiments\.ctr", "python -m recsys_course run 06/ctr_benchmark"),
    (r"python -m recsys_course\.experiments\.(\w+)", r"python -m recsys_course run 06/\1"),
    (r"full-size scripts?", "full-size run"),
    (r"full-size runs", "full-size run"),
    (r"\boptimiser\b", "optimizer"),
]
# what changes from run to run without changing a result: object ids, pandas Styler ids, timings
MASKS = [
    (r"T_[0-9a-f]{5}", "T_"),
    (r"at 0x[0-9a-f]+", "at 0x"),
    (r"\d+(\.\d+)? s of training per run", "N s of training per run"),
    (r"\d+(\.\d+)? s;", "N s;"),
    (r"\d+(\.\d+)? ms", "N ms"),
    (r"\d[\d,]* ex/s", "N ex/s"),
]


def at_revision(revision: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:{path}"], capture_output=True, text=True
    ).stdout


def normalised(text: str, renamed: bool) -> str:
    for old, new in (RENAMES if renamed else []) + MASKS:
        text = re.sub(old, new, text)
    return text


def outputs(notebook: str) -> list[list[tuple[str, str]]]:
    """Each code cell's outputs as (kind, text) pairs; streams joined, images as their hash."""
    cells = []
    for cell in json.loads(notebook)["cells"] if notebook else []:
        if cell["cell_type"] != "code":
            continue
        found = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                text = "".join(out["text"])
                if found and found[-1][0] == "stream":
                    found[-1] = ("stream", found[-1][1] + text)
                else:
                    found.append(("stream", text))
            elif "data" in out:
                for kind in sorted(out["data"]):
                    value = out["data"][kind]
                    value = "".join(value) if isinstance(value, list) else value
                    found.append(
                        (
                            kind,
                            hashlib.md5(value.encode()).hexdigest() if kind.startswith("image/") else value,
                        )
                    )
            elif out["output_type"] == "error":
                found.append(("error", out["ename"]))
        cells.append(found)
    return cells


def compare_notebook(revision: str, path: Path) -> int:
    """Print the outputs that differ; return how many."""
    rel = path.relative_to(ROOT).as_posix()
    before, after = outputs(at_revision(revision, rel)), outputs(path.read_text())
    if len(before) != len(after):
        print(f"{rel}: {len(before)} code cells at {revision}, {len(after)} now")
        return 1
    differing = 0
    for i, (a, b) in enumerate(zip(before, after)):
        if len(a) != len(b):
            print(f"{rel} cell {i}: {len(a)} outputs at {revision}, {len(b)} now")
            differing += 1
        for (kind, old), (_, new) in zip(a, b):
            if kind.startswith("image/"):
                if old != new:
                    print(f"{rel} cell {i}: the image differs")
                    differing += 1
            elif normalised(old, True) != normalised(new, False):
                differing += 1
                print(f"{rel} cell {i} ({kind}):")
                lines = difflib.unified_diff(
                    normalised(old, True).splitlines(), normalised(new, False).splitlines(), lineterm="", n=0
                )
                for line in lines:
                    if not line.startswith(("---", "+++", "@@")):
                        print("    " + line[:240])
    return differing


def compare_records(old, new, where: str = "") -> tuple[list[str], list[str]]:
    """``(number or verdict differences, text differences)`` between two claim records, recursively."""
    if isinstance(old, dict) and isinstance(new, dict):
        if set(old) != set(new):
            return [f"{where}: keys {sorted(set(old) ^ set(new))}"], []
        parts = [compare_records(old[k], new[k], f"{where}.{k}") for k in old]
        return [n for p in parts for n in p[0]], [t for p in parts for t in p[1]]
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where}: {len(old)} vs {len(new)} entries"], []
        parts = [compare_records(a, b, f"{where}[{i}]") for i, (a, b) in enumerate(zip(old, new))]
        return [n for p in parts for n in p[0]], [t for p in parts for t in p[1]]
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        close = abs(old - new) <= 1e-9 * max(1.0, abs(old), abs(new))
        return ([] if close else [f"{where}: {old} vs {new}"]), []
    if isinstance(old, str) and isinstance(new, str) and not where.endswith(".verdict"):
        same = normalised(old, True) == normalised(new, False)
        return [], ([] if same else [f"{where}: {old[:120]!r} -> {new[:120]!r}"])
    return ([] if old == new else [f"{where}: {old!r} vs {new!r}"]), []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="the git revision to compare with (a commit, a tag, HEAD~3)")
    args = parser.parse_args(argv)
    numbers = 0
    for path in sorted(ROOT.glob("claims/*.json")):
        rel = path.relative_to(ROOT).as_posix()
        before = at_revision(args.revision, rel)
        if not before:
            print(f"{rel}: new since {args.revision}")
            continue
        moved, texts = compare_records(json.loads(before), json.loads(path.read_text()))
        for line in moved:
            print(f"NUMBER {rel}{line}")
        for line in texts:
            print(f"text   {rel}{line}")
        numbers += len(moved)
    differing = sum(
        compare_notebook(args.revision, path)
        for path in sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))
    )
    print(
        f"claim records: {numbers} numbers or verdicts moved; notebooks: {differing} outputs differ (read them)"
    )
    return 1 if numbers else 0


if __name__ == "__main__":
    sys.exit(main())
