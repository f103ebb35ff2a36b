"""One figure style for the course and a deterministic way to save figures.

``save_fig`` writes ``figures/<name>.png`` (and .svg if asked) with no
timestamp or software version in the file, so regenerating a figure from the
same numbers leaves git with nothing to commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from . import config

# One colour per model family, used by every chart in the course.
MODEL_COLORS = {
    "Popularity": "#9e9e9e",
    "Additive": "#9e9e9e",
    "Logistic": "#9e9e9e",
    "MF": "#1f77b4",
    "GMF": "#17becf",
    "MLP": "#ff7f0e",
    "NeuMF": "#d62728",
    "FM": "#2ca02c",
    "Wide & Deep": "#9467bd",
    "DeepFM": "#8c564b",
    "DIN": "#e377c2",
}


def use_course_style() -> None:
    """Apply the course's matplotlib style (call once at the top of a notebook)."""
    mpl.rcParams.update({
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.frameon": False,
        "font.size": 10,
        "svg.hashsalt": "recsys-course",  # stable element ids in SVG output
        "image.cmap": "viridis",
    })


def save_fig(fig: plt.Figure, name: str, formats: Sequence[str] = ("png",)) -> list[str]:
    """Save ``fig`` under figures/ without timestamps; return the paths relative to the repo."""
    out_dir = config.figures_dir()
    saved = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        metadata = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                    "pdf": {"CreationDate": None, "Producer": None, "Creator": None}}.get(fmt, {})
        # a fixed salt keeps SVG element ids stable even without use_course_style()
        with mpl.rc_context({"svg.hashsalt": mpl.rcParams["svg.hashsalt"] or "recsys-course"}):
            fig.savefig(path, format=fmt, metadata=metadata)
        saved.append(_relative(path))
    return saved


def _relative(path: Path) -> str:
    root = config.repo_root()
    try:
        return str(path.relative_to(root)) if root is not None else path.name
    except ValueError:
        return path.name


def plot_history(histories: dict, metric: str, ax: plt.Axes, *, mark_best: bool = True,
                 ylabel: str | None = None) -> None:
    """Plot ``metric`` per epoch for several :class:`~recsys_course.train.History` objects.

    With ``mark_best``, a star marks each run's best (early-stopping) epoch.
    """
    for name, hist in histories.items():
        frame = hist.frame()
        color = MODEL_COLORS.get(name)
        ax.plot(frame["epoch"], frame[metric], marker="o", ms=3, label=name, color=color)
        if mark_best and hist.best_epoch is not None and metric in frame:
            best = frame.loc[frame["epoch"] == hist.best_epoch, metric].iloc[0]
            ax.plot([hist.best_epoch], [best], marker="*", ms=14, color=color or "black",
                    markeredgecolor="black", zorder=5)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric)
    ax.legend()


def preference_map(ax: plt.Axes, probs, title: str | None = None, xlabel: str = "items",
                   ylabel: str = "users"):
    """Show a users x items matrix of P(like) as an image: a model's decision surface over ids.

    Sort the rows and columns by the hidden traits before calling, so the
    pattern a model learned is visible at a glance. Red = like, blue = dislike.
    """
    image = ax.imshow(np.asarray(probs), vmin=0, vmax=1, cmap="RdBu_r", aspect="auto",
                      interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    if title:
        ax.set_title(title)
    return image


def embedding_map(ax: plt.Axes, xy, groups, *, order: Sequence[str], sizes=None, alphas=None,
                  annotate: dict | None = None, other: str = "other", title: str | None = None) -> None:
    """Scatter a 2-D map of embeddings (e.g. t-SNE), one colour per group in ``order``.

    Points of group ``other`` are drawn first in light grey, so the coloured
    groups stay visible. ``sizes``/``alphas`` are per point (e.g. by
    popularity); ``annotate`` maps a point index to a label written beside it.
    """
    xy = np.asarray(xy)
    groups = np.asarray(groups)
    sizes = np.full(len(xy), 8.0) if sizes is None else np.asarray(sizes)
    alphas = np.full(len(xy), 0.8) if alphas is None else np.asarray(alphas)
    palette = dict(zip(order, mpl.colormaps["tab10"].colors))
    for name in [other, *order]:
        mask = groups == name
        if not mask.any():
            continue
        color = "#c8c8c8" if name == other else palette[name]
        rgba = np.array([mpl.colors.to_rgba(color, a) for a in alphas[mask]])
        ax.scatter(xy[mask, 0], xy[mask, 1], s=sizes[mask], c=rgba, linewidths=0,
                   label=f"{name} ({mask.sum()})")
    offsets = [(6, 6), (6, -14), (-6, 6), (-6, -14)]  # alternate sides so nearby labels do not collide
    for k, (index, text) in enumerate((annotate or {}).items()):
        dx, dy = offsets[k % len(offsets)]
        ax.annotate(text, xy[index], xytext=(dx, dy), textcoords="offset points", fontsize=7,
                    ha="left" if dx > 0 else "right",
                    arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "black"},
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.8, "lw": 0})
        ax.plot(*xy[index], marker="o", ms=4, mfc="none", mec="black", mew=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title)
    legend = ax.legend(loc="best", fontsize=7, markerscale=1.5, handletextpad=0.2)
    for handle in legend.legend_handles:
        handle.set_alpha(1)
        handle.set_sizes([20])
