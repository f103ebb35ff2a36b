"""Execute notebooks in place so they can be committed with clean outputs.

    python scripts/execute_notebooks.py                  # every notebook
    python scripts/execute_notebooks.py notebooks/01_*.ipynb
    python scripts/execute_notebooks.py --times docs/lesson_times.json   # also record the wall times

Runs each notebook top to bottom from the notebooks/ folder (as JupyterLab
does), with progress bars hidden, records no timestamps in cell metadata, and
prints the wall time of each. A notebook that raises is not written.
``--times FILE`` also keeps each notebook's wall seconds, with the machine's
CPU count and the FAST setting, in a JSON file (entries for other notebooks
already there are kept): the instructors' guide reads its lesson times from it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from recsys_course import config

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout: int = 900) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


def record_time(times: Path, path: Path, seconds: float) -> None:
    """Keep one notebook's wall time in ``times`` (JSON, keyed by the notebook's name)."""
    table = json.loads(times.read_text()) if times.is_file() else {}
    table[path.stem] = {"seconds": round(seconds, 1), "cpus": os.cpu_count(), "fast": config.fast_mode()}
    times.parent.mkdir(parents=True, exist_ok=True)
    times.write_text(json.dumps(dict(sorted(table.items())), indent=2) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Execute notebooks in place, with clean outputs.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument(
        "--times", type=Path, metavar="FILE", help="also record each wall time in this JSON file"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("RECSYS_COURSE_QUIET", "1")
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        seconds = execute(path)
        print(f"{path.relative_to(ROOT)}: {seconds:.1f} s", flush=True)
        if args.times:
            record_time(args.times, path, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
