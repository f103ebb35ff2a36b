"""Build the course's static site, the six lessons as committed, with their outputs and figures.

    pip install -e ".[site]"           # Jupyter Book 1.x, once
    python scripts/build_site.py       # -> site/_build/html/index.html

The site is a Jupyter Book (site/_config.yml, site/_toc.yml) whose root is the repository's root, so that
the lessons' relative links (``../CLAIMS.md``, ``01_mlp_vs_dot_product.ipynb#How-...``) work on it as they
do in JupyterLab. Nothing is executed: the pages show the outputs committed with the notebooks. The build
starts from an empty site/_build, turns every Sphinx warning (a link that does not resolve, say) into a
failure, then checks the HTML itself: every relative link and image of every page leads to a file that
exists, with the anchor it names, and every lesson page shows its figures. It prints how long it took.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
HTML = SITE / "_build" / "html"
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REFERENCE = re.compile(r'<(?:a|img|link|script)\b[^>]*?\b(?:href|src)="([^"]+)"')


def broken_links(html: Path = HTML) -> list[str]:
    """Every relative link or image of the built pages that leads nowhere: 'page: target'."""
    broken = []
    for page in sorted(html.rglob("*.html")):
        if page.relative_to(html).parts[0] == "_static":
            continue  # the theme's template fragments, not pages
        text = page.read_text()
        for target in REFERENCE.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:, data:
            path, _, anchor = target.partition("#")
            file = (page.parent / path.partition("?")[0]).resolve() if path else page
            if not file.is_file() or (
                anchor and file.suffix == ".html" and f'id="{anchor}"' not in file.read_text()
            ):
                broken.append(f"{page.relative_to(html)}: {target}")
    return broken


def missing_figures(html: Path = HTML) -> list[str]:
    """Lessons whose page shows fewer images than the committed notebook has PNG outputs."""
    import json

    missing = []
    for lesson in LESSONS:
        cells = json.loads(lesson.read_text())["cells"]
        expected = sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
        page = html / "notebooks" / f"{lesson.stem}.html"
        shown = len(re.findall(r'<img\b[^>]*src="[^"]*\.png"', page.read_text())) if page.is_file() else 0
        if shown < expected:
            missing.append(f"{lesson.name}: {shown} of {expected} figures on its page")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    if importlib.util.find_spec("jupyter_book") is None:
        sys.exit(
            "scripts/build_site.py needs Jupyter Book 1.x, which is not installed in this environment: "
            'pip install -e ".[site]"  (or pip install "jupyter-book>=1,<2")'
        )
    start = time.perf_counter()
    shutil.rmtree(SITE / "_build", ignore_errors=True)
    command = [
        sys.executable,
        "-c",
        "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build",
        str(ROOT),
        "--config",
        str(SITE / "_config.yml"),
        "--toc",
        str(SITE / "_toc.yml"),
        "--path-output",
        str(SITE),
        "--warningiserror",
        "--keep-going",
        "--quiet",
    ]
    if subprocess.run(command, cwd=ROOT).returncode != 0:
        print("scripts/build_site.py: the site did not build (see Sphinx's warnings above)", file=sys.stderr)
        return 1
    problems = broken_links() + missing_figures()
    for problem in problems:
        print(f"broken: {problem}", file=sys.stderr)
    seconds = time.perf_counter() - start
    if problems:
        print(
            f"scripts/build_site.py: {len(problems)} broken links or figures ({seconds:.0f} s)",
            file=sys.stderr,
        )
        return 1
    print(f"built the site in {seconds:.0f} s: {(HTML / 'index.html').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
