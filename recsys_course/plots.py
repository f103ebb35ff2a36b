"""One figure style for the course, a deterministic way to save figures, and the generic charts.

``save_fig`` writes ``figures/<name>.png`` (and .svg if asked) with no
timestamp or software version in the file, so regenerating a figure from the
same numbers leaves git with nothing to commit. The charts here are the kinds
a lesson and its solutions both draw, or any lesson could (training curves,
interval bars, lesson 01's preference maps, lesson 02's genre-coloured
embedding maps, boxes and arrows); each lesson's own figures and model
diagrams live in its folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    mpl.rcParams.update(
        {
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
        }
    )


def save_fig(fig: plt.Figure, name: str, formats: Sequence[str] = ("png",)) -> list[str]:
    """Save ``fig`` under figures/ without timestamps; return the paths relative to the repo."""
    out_dir = config.figures_dir()
    saved = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        metadata = {
            "png": {"Software": None},
            "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
        }.get(fmt, {})
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


def plot_history(
    histories: dict, metric: str, ax: plt.Axes, *, mark_best: bool = True, ylabel: str | None = None
) -> None:
    """Plot ``metric`` per epoch for several :class:`~recsys_course.training.History` objects.

    With ``mark_best``, a star marks each run's best (early-stopping) epoch.
    """
    for name, hist in histories.items():
        frame = hist.frame()
        color = MODEL_COLORS.get(name)
        ax.plot(frame["epoch"], frame[metric], marker="o", ms=3, label=name, color=color)
        if mark_best and hist.best_epoch is not None and metric in frame:
            best = frame.loc[frame["epoch"] == hist.best_epoch, metric].iloc[0]
            ax.plot(
                [hist.best_epoch],
                [best],
                marker="*",
                ms=14,
                color=color or "black",
                markeredgecolor="black",
                zorder=5,
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric)
    ax.legend()


def interval_bars(ax: plt.Axes, labels, means, halves, title: str, color: str = "#9ecae1") -> None:
    """Bars of ``means`` with ``halves`` as error bars, the y-axis zoomed to where the bars differ."""
    means, halves = np.asarray(means, dtype=float), np.nan_to_num(np.asarray(halves, dtype=float))
    x = np.arange(len(means))
    ax.bar(x, means, yerr=halves, capsize=4, color=color, edgecolor="#3b6e8f")
    low, high = (means - halves).min(), (means + halves).max()
    ax.set_ylim(max(0.0, low - 0.4 * (high - low)), high + 0.4 * (high - low))
    ax.set_xticks(x, labels, rotation=25, ha="right")
    ax.set_title(title)


def preference_map(
    ax: plt.Axes, probs, title: str | None = None, xlabel: str = "items", ylabel: str = "users"
):
    """Show a users x items matrix of P(like) as an image: a model's decision surface over ids.

    Sort the rows and columns by the hidden traits before calling, so the
    pattern a model learned is visible at a glance. Red = like, blue = dislike.
    """
    image = ax.imshow(
        np.asarray(probs), vmin=0, vmax=1, cmap="RdBu_r", aspect="auto", interpolation="nearest"
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)
    if title:
        ax.set_title(title)
    return image


# The genres lesson 02 colours its maps by, and scores its one-label neighbour agreement with.
GENRES_SHOWN = ["Children's", "Horror", "Sci-Fi", "Romance", "Action", "Thriller", "Comedy", "Drama"]


def colour_genre(data, shown: Sequence[str] = GENRES_SHOWN) -> np.ndarray:
    """Per movie of ``data`` (a MovieLens): the rarest (most specific) of its genres among ``shown``, else 'other'."""
    columns = [data.genres.index(g) for g in shown]
    by_rarity = np.argsort(data.item_genres[:, columns].sum(axis=0), kind="stable")
    out = np.full(data.n_items, "other", dtype=object)
    for k in by_rarity[::-1]:  # common first, so rarer genres overwrite them
        out[data.item_genres[:, columns[k]] > 0] = shown[k]
    return out


def embedding_map(
    ax: plt.Axes,
    xy,
    groups,
    *,
    order: Sequence[str],
    sizes=None,
    alphas=None,
    annotate: dict | None = None,
    other: str = "other",
    title: str | None = None,
) -> None:
    """Scatter a 2-D map of embeddings (e.g. t-SNE), one colour per group in ``order``.

    Points of group ``other`` are drawn first in light grey, so the coloured
    groups stay visible. ``sizes``/``alphas`` are per point (e.g. by
    popularity); ``annotate`` maps a point index to a label written beside it.
    """
    xy = np.asarray(xy)
    groups = np.asarray(groups)
    sizes = np.full(len(xy), 8.0) if sizes is None else np.asarray(sizes)
    alphas = np.full(len(xy), 0.8) if alphas is None else np.asarray(alphas)
    # tab10 without its grey (index 7), which would be mistaken for the grey of `other`
    colours = [c for k, c in enumerate(mpl.colormaps["tab10"].colors) if k != 7]
    palette = dict(zip(order, colours))
    for name in [other, *order]:
        mask = groups == name
        if not mask.any():
            continue
        color = "#c8c8c8" if name == other else palette[name]
        rgba = np.array([mpl.colors.to_rgba(color, a) for a in alphas[mask]])
        ax.scatter(
            xy[mask, 0], xy[mask, 1], s=sizes[mask], c=rgba, linewidths=0, label=f"{name} ({mask.sum()})"
        )
    offsets = [(6, 6), (6, -14), (-6, 6), (-6, -14)]  # alternate sides so nearby labels do not collide
    for k, (index, text) in enumerate((annotate or {}).items()):
        dx, dy = offsets[k % len(offsets)]
        ax.annotate(
            text,
            xy[index],
            xytext=(dx, dy),
            textcoords="offset points",
            fontsize=7,
            ha="left" if dx > 0 else "right",
            arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "black"},
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.8, "lw": 0},
        )
        ax.plot(*xy[index], marker="o", ms=4, mfc="none", mec="black", mew=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title)
    # outside the axes: no point is hidden
    legend = ax.legend(
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, markerscale=1.5, handletextpad=0.2
    )
    for handle in legend.legend_handles:
        handle.set_alpha(1)
        handle.set_sizes([20])


def architecture_diagram(
    ax: plt.Axes, boxes: dict, arrows: Sequence[tuple], title: str | None = None
) -> None:
    """Draw labelled boxes joined by arrows - the building block of the course's model diagrams.

    ``boxes`` maps a name to ``(x, y, width, height, text, colour)`` in axes
    units of a 0..10 x 0..10 canvas; ``arrows`` lists ``(from_name, to_name)``
    pairs, drawn from the top edge of one box to the bottom edge of the next.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.axis("off")
    for x, y, w, h, text, colour in boxes.values():
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                fc=colour,
                ec="#333333",
                lw=0.8,
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=8)
    for start, end in arrows:
        x0, y0, _, h0, _, _ = boxes[start]
        x1, y1, _, h1, _, _ = boxes[end]
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0 + h0 / 2),
                (x1, y1 - h1 / 2),
                arrowstyle="-|>",
                mutation_scale=9,
                lw=0.8,
                color="#333333",
                shrinkA=1,
                shrinkB=1,
            )
        )
    if title:
        ax.set_title(title)
