"""A local Sphinx extension of the course's site (site/_config.yml loads it).

- jupyterlab_slug: MyST's heading slugs made the same as JupyterLab's anchors, so that a lesson's link
  such as ``01_mlp_vs_dot_product.ipynb#How-the-course-reaches-a-verdict`` resolves on the site.
- A Markdown page's relative link to a file or folder of the repository that is not a page of the site
  (README.md, the package's code, the instructors' guide) becomes a link to that path on GitHub.
- The repository is the one ``recsys_course/colab.py`` names (REPOSITORY), as for every badge: a fork
  that changes it there gets a site that links to the fork.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)")


def repository_url() -> str:
    """https://github.com/<REPOSITORY>, read from recsys_course/colab.py (standard library only) without
    importing the package, which the site's build does not need installed."""
    spec = importlib.util.spec_from_file_location("_course_colab", ROOT / "recsys_course" / "colab.py")
    colab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(colab)
    return colab.URL


def jupyterlab_slug(text: str) -> str:
    """A heading's anchor as JupyterLab writes it: the heading's text with its spaces as hyphens."""
    return text.strip().replace(" ", "-")


def _repository_button(app, config) -> None:
    config.html_theme_options = {**config.html_theme_options, "repository_url": repository_url()}


def _to_github(app, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".md":
        return  # the notebooks link only to pages of the site
    root, blob = Path(app.srcdir).resolve(), f"{repository_url()}/blob/main"

    def replace(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        resolved = (path.parent / target).resolve()
        if not resolved.exists() or not resolved.is_relative_to(root):
            return match.group(0)
        relative = resolved.relative_to(root).as_posix()
        if resolved.is_file() and str(Path(relative).with_suffix("")) in app.env.found_docs:
            return match.group(0)  # a page of the site: MyST links it
        return f"]({blob}/{relative}{'/' if resolved.is_dir() else ''}{anchor})"

    source[0] = LINK.sub(replace, source[0])


def setup(app):
    app.connect("config-inited", _repository_button)
    app.connect("source-read", _to_github)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
