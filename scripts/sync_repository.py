"""Write the course's repository (``recsys_course.config.REPOSITORY``) into every badge and Colab setup cell.

    python scripts/sync_repository.py          # rewrite README.md and notebooks/*.py and *.ipynb
    python scripts/sync_repository.py --check  # exit 1 if any of them names another repository

Change ``REPOSITORY`` in ``recsys_course/config.py``, then run this: the
notebooks' text twins and their committed ``.ipynb`` files change the same way.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recsys_course.config import REPOSITORY  # noqa: E402

NAME = r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+"
# every place a link or a setup cell names the repository; group 1 keeps what comes before the name
PATTERNS = [re.compile(p) for p in (
    rf"(colab\.research\.google\.com/github/)({NAME})(?=/blob/)",
    rf"(mybinder\.org/v2/gh/)({NAME})(?=/)",
    rf"(https://github\.com/)({NAME})(?=\\?[\"'])",      # a setup cell's URL: a string in code, then a quote
)]


def files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")),
            *sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def named(text: str) -> set[str]:
    """Every repository the text's badges, links and setup cells name."""
    return {m.group(2) for pattern in PATTERNS for m in pattern.finditer(text)}


def synced(text: str, repository: str = REPOSITORY) -> str:
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
            print(f"{path} names another repository than {REPOSITORY}")
        return 1 if stale else 0
    for path in stale:
        print("rewrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
