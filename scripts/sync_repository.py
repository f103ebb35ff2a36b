"""Write the course's repository (``recsys_course.colab.REPOSITORY``) into every badge, and the one Colab
setup cell into every lesson.

    python scripts/sync_repository.py          # rewrite README.md and notebooks/*.py and *.ipynb
    python scripts/sync_repository.py --check  # exit 1 if any of them names another repository or setup

Change ``REPOSITORY`` in ``recsys_course/colab.py`` (or :data:`SETUP` here), then run this: the
notebooks' text twins and their committed ``.ipynb`` files change the same way.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recsys_course.colab import REPOSITORY  # noqa: E402

NAME = r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+"
# every place a link or a setup cell names the repository; group 1 keeps what comes before the name
PATTERNS = [
    re.compile(p)
    for p in (
        rf"(colab\.research\.google\.com/github/)({NAME})(?=/blob/)",
        rf"(mybinder\.org/v2/gh/)({NAME})(?=/)",
        rf"(https://github\.com/)({NAME})(?=\\?[\"'])",  # a setup cell's URL: a string in code, then a quote
    )
]


# The first code cell of every lesson: the one Colab setup. A fresh runtime has nothing of the course, so the
# cell clones it when the folder is missing; then it runs recsys_course/colab.py from the clone, whose setup()
# updates the clone when it can, installs the package while it is not importable and puts the clone on
# sys.path - safe to run again, or after a restart. Elsewhere it does nothing and prints nothing.
SETUP = f"""# Setup: on Colab, fetch and install the course: its package and the committed results the lessons read.
# Run it again, or after a restart: it reuses the copy and updates it. Locally and on Binder it does nothing.
import sys
if "google.colab" in sys.modules:
    import os, runpy, subprocess
    REPO, URL = "/content/recsys-course", "https://github.com/{REPOSITORY}"
    if not os.path.isdir(REPO + "/.git"):  # a fresh runtime: clone first, the setup is part of the course
        subprocess.run(["git", "clone", "-q", "--depth", "1", URL, REPO], check=True)
    runpy.run_path(REPO + "/recsys_course/colab.py")["setup"](REPO, URL)  # see recsys_course/colab.py"""

SETUP_MARK = "# Setup: on Colab"


def setup_cell(text: str, setup: str = SETUP) -> str:
    """A lesson's text (a percent-format twin or an .ipynb) with its setup cell replaced by ``setup``."""
    if text.lstrip().startswith("{"):
        notebook = json.loads(text)
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code" and "".join(cell["source"]).startswith(SETUP_MARK):
                cell["source"] = setup.splitlines(keepends=True)
        return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    return re.sub(rf"(?ms)^{re.escape(SETUP_MARK)}.*?(?=\n\n# %%)", lambda m: setup, text, count=1)


def setup_of(text: str) -> str | None:
    """The setup cell's source in a lesson's text, or None."""
    if text.lstrip().startswith("{"):
        found = [
            c
            for c in json.loads(text)["cells"]
            if c["cell_type"] == "code" and "".join(c["source"]).startswith(SETUP_MARK)
        ]
        return "".join(found[0]["source"]) if found else None
    found = re.search(rf"(?ms)^{re.escape(SETUP_MARK)}.*?(?=\n\n# %%)", text)
    return found.group(0) if found else None


def files() -> list[Path]:
    return [
        ROOT / "README.md",
        *sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")),
        *sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
    ]


def named(text: str) -> set[str]:
    """Every repository the text's badges, links and setup cells name."""
    return {m.group(2) for pattern in PATTERNS for m in pattern.finditer(text)}


def synced(text: str, repository: str = REPOSITORY) -> str:
    if setup_of(text) is not None:
        text = setup_cell(text, SETUP.replace(REPOSITORY, repository))
    for pattern in PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + repository, text)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for path in files():
        text = path.read_text()
        new = synced(text)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new)
    if args.check:
        for path in stale:
            print(f"{path} names another repository than {REPOSITORY}, or its setup cell is not the course's")
        return 1 if stale else 0
    for path in stale:
        print("rewrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
