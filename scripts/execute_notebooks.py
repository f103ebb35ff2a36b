"""Execute notebooks in place so they can be committed with clean outputs.

    python scripts/execute_notebooks.py                  # every notebook
    python scripts/execute_notebooks.py notebooks/01_*.ipynb

Runs each notebook top to bottom from the notebooks/ folder (as JupyterLab
does), with progress bars hidden, records no timestamps in cell metadata, and
prints the wall time of each. A notebook that raises is not written.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout: int = 900) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


def main(args: list[str]) -> int:
    os.environ.setdefault("RECSYS_COURSE_QUIET", "1")
    paths = [Path(a).resolve() for a in args] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.relative_to(ROOT)}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
