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


def interval_bars(ax: plt.Axes, labels, means, halves, title: str, color: str = "#9ecae1") -> None:
    """Bars of ``means`` with ``halves`` as error bars, the y-axis zoomed to where the bars differ."""
    means, halves = np.asarray(means, dtype=float), np.nan_to_num(np.asarray(halves, dtype=float))
    x = np.arange(len(means))
    ax.bar(x, means, yerr=halves, capsize=4, color=color, edgecolor="#3b6e8f")
    low, high = (means - halves).min(), (means + halves).max()
    ax.set_ylim(max(0.0, low - 0.4 * (high - low)), high + 0.4 * (high - low))
    ax.set_xticks(x, labels, rotation=25, ha="right")
    ax.set_title(title)


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


# The genres lesson 02 colours its maps by, and scores its one-label neighbour agreement with.
GENRES_SHOWN = ["Children's", "Horror", "Sci-Fi", "Romance", "Action", "Thriller", "Comedy", "Drama"]


def colour_genre(data, shown: Sequence[str] = GENRES_SHOWN) -> np.ndarray:
    """Per movie of ``data`` (a MovieLens): the rarest (most specific) of its genres among ``shown``, else 'other'."""
    columns = [data.genres.index(g) for g in shown]
    by_rarity = np.argsort(data.item_genres[:, columns].sum(axis=0), kind="stable")
    out = np.full(data.n_items, "other", dtype=object)
    for k in by_rarity[::-1]:                      # common first, so rarer genres overwrite them
        out[data.item_genres[:, columns[k]] > 0] = shown[k]
    return out


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
    # tab10 without its grey (index 7), which would be mistaken for the grey of `other`
    colours = [c for k, c in enumerate(mpl.colormaps["tab10"].colors) if k != 7]
    palette = dict(zip(order, colours))
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
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, markerscale=1.5,
                       handletextpad=0.2)  # outside the axes: no point is hidden
    for handle in legend.legend_handles:
        handle.set_alpha(1)
        handle.set_sizes([20])


def architecture_diagram(ax: plt.Axes, boxes: dict, arrows: Sequence[tuple], title: str | None = None) -> None:
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
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.15",
                                    fc=colour, ec="#333333", lw=0.8))
        ax.text(x, y, text, ha="center", va="center", fontsize=8)
    for start, end in arrows:
        x0, y0, _, h0, _, _ = boxes[start]
        x1, y1, _, h1, _, _ = boxes[end]
        ax.add_patch(FancyArrowPatch((x0, y0 + h0 / 2), (x1, y1 - h1 / 2), arrowstyle="-|>",
                                     mutation_scale=9, lw=0.8, color="#333333", shrinkA=1, shrinkB=1))
    if title:
        ax.set_title(title)


def neumf_diagram(model, ax: plt.Axes) -> None:
    """NeuMF's architecture read off a :class:`~recsys_course.models.NeuMF` object.

    Embedding sizes, tower widths and the head come from the model's own
    layers, and a model with shared embeddings is drawn with one table per
    side, so the picture always matches the code that was trained.
    """
    from torch import nn

    gmf_dim = model.gmf.user_emb.embedding_dim
    mlp_dim = model.mlp.user_emb.embedding_dim
    widths = [m.out_features for m in model.mlp.tower if isinstance(m, nn.Linear)]
    n_users, n_items = model.n_users, model.n_items
    green, orange, grey, red = "#d9f0d3", "#fde0c5", "#eeeeee", "#f8d0d0"
    boxes = {
        "u": (3.0, 0.5, 2.4, 0.6, f"user id (of {n_users:,})", grey),
        "i": (7.0, 0.5, 2.4, 0.6, f"item id (of {n_items:,})", grey),
        "prod": (2.0, 3.6, 2.4, 0.7, f"element-wise product\n{gmf_dim}", green),
        "cat": (8.0, 3.4, 2.4, 0.6, f"concatenate {2 * mlp_dim}", orange),
    }
    if getattr(model, "shared_embeddings", False):  # one table per side, read by both paths
        boxes["su"] = (3.0, 2.0, 2.2, 0.7, f"user embedding {mlp_dim}\n(shared)", "#e8e0f0")
        boxes["si"] = (7.0, 2.0, 2.2, 0.7, f"item embedding {mlp_dim}\n(shared)", "#e8e0f0")
        arrows = [("u", "su"), ("i", "si"), ("su", "prod"), ("si", "prod"), ("su", "cat"), ("si", "cat")]
    else:
        boxes["gu"] = (1.0, 2.0, 1.8, 0.7, f"GMF user\nembedding {gmf_dim}", green)
        boxes["gi"] = (3.0, 2.0, 1.8, 0.7, f"GMF item\nembedding {gmf_dim}", green)
        boxes["mu"] = (7.0, 2.0, 1.8, 0.7, f"MLP user\nembedding {mlp_dim}", orange)
        boxes["mi"] = (9.0, 2.0, 1.8, 0.7, f"MLP item\nembedding {mlp_dim}", orange)
        arrows = [("u", "gu"), ("i", "gi"), ("u", "mu"), ("i", "mi"),
                  ("gu", "prod"), ("gi", "prod"), ("mu", "cat"), ("mi", "cat")]
    previous = "cat"
    top = 3.4
    step = min(1.0, 4.0 / max(len(widths), 1))
    for k, width in enumerate(widths):
        name = f"layer{k}"
        top = 3.4 + step * (k + 1)
        boxes[name] = (8.0, top, 2.4, 0.55, f"Linear + ReLU -> {width}", orange)
        arrows.append((previous, name))
        previous = name
    joint = gmf_dim + (widths[-1] if widths else 2 * mlp_dim)
    boxes["neumf"] = (5.0, top + 1.3, 3.2, 0.7, f"concatenate {joint} -> Linear -> 1", red)
    boxes["out"] = (5.0, top + 2.5, 2.6, 0.6, "sigmoid: P(interaction)", red)
    arrows += [("prod", "neumf"), (previous, "neumf"), ("neumf", "out")]
    ax.text(2.0, 4.4, "GMF path", ha="center", fontsize=9, color="#2e7d32", weight="bold")
    ax.text(9.6, 3.4, "MLP\npath", ha="center", fontsize=9, color="#e65100", weight="bold")
    architecture_diagram(ax, boxes, arrows)


def two_stage_diagram(tower, index, ranker, n_candidates: int, ax: plt.Axes) -> None:
    """YouTube DNN's two stages read off the objects: a candidate tower, its index and a ranking tower.

    Embedding sizes, layer widths, the index type and size and the number of
    candidates all come from the objects passed in, so the picture always
    matches what was trained and served.
    """
    from torch import nn

    blue, green, grey, red = "#dbe8f5", "#d9f0d3", "#eeeeee", "#f8d0d0"
    fields = tower.fields.field_names
    field_dim = tower.fields.dim
    widths = [m.out_features for m in tower.tower if isinstance(m, nn.Linear)]
    pooled = {"mean": "masked mean of", "last": "latest of", "none": "user-id vector, no"}[tower.pool]
    boxes = {
        "hist": (1.6, 0.4, 2.6, 0.6, "watch history\n(latest items, padded)", grey),
        "demo": (4.1, 0.4, 2.0, 0.6, ", ".join(fields), grey),
        "pool": (1.6, 1.4, 2.6, 0.6, f"{pooled} item\nembeddings ({tower.dim})", blue),
        "emb": (4.1, 1.4, 2.0, 0.6, f"{len(fields)} embeddings x {field_dim}", blue),
        "cat": (2.8, 2.3, 2.6, 0.45, f"concatenate {tower.dim + len(fields) * field_dim}", blue),
    }
    arrows, previous = [("hist", "pool"), ("demo", "emb"), ("pool", "cat"), ("emb", "cat")], "cat"
    step = min(0.75, 3.6 / max(len(widths), 1))
    for k, width in enumerate(widths):
        last = k == len(widths) - 1
        text = f"Linear -> {width}, L2-normalise:\nuser vector" if last else f"Linear + ReLU -> {width}"
        boxes[f"c{k}"] = (2.8, 2.3 + step * (k + 1), 2.8, 0.6 if last else 0.45, text, blue)
        arrows.append((previous, f"c{k}"))
        previous = f"c{k}"
    top = 2.3 + step * len(widths)
    boxes["ann"] = (2.8, top + 1.2, 4.4, 0.8, f"{index.describe()}\nover the unit item vectors: top "
                    f"{n_candidates} by inner product (= cosine)", green)
    arrows.append((previous, "ann"))
    r_fields = ranker.fields.field_names
    r_widths = [m.out_features for m in ranker.tower if isinstance(m, nn.Linear)]
    item_dim, r_dim = ranker.items.embedding_dim, ranker.fields.dim
    boxes["cand"] = (7.6, 0.4, 3.6, 0.6, f"{n_candidates} candidates x (item id, {len(r_fields)} user fields,\n"
                     f"{ranker.n_dense} dense features incl. candidate score)", grey)
    boxes["rcat"] = (7.6, 1.4, 3.6, 0.6, f"concatenate: item {item_dim} + {len(r_fields)} x {r_dim} + "
                     f"{ranker.n_dense} dense = {item_dim + len(r_fields) * r_dim + ranker.n_dense}", red)
    arrows.append(("cand", "rcat"))
    previous = "rcat"
    r_step = min(0.75, 4.2 / max(len(r_widths), 1))
    for k, width in enumerate(r_widths):
        last = k == len(r_widths) - 1
        text = "Linear -> 1, + w x candidate logit" if last else f"Linear + ReLU -> {width}"
        boxes[f"r{k}"] = (7.6, 1.4 + r_step * (k + 1), 3.2, 0.45, text, red)
        arrows.append((previous, f"r{k}"))
        previous = f"r{k}"
    r_top = 1.4 + r_step * len(r_widths)
    boxes["wlr"] = (7.6, r_top + 1.0, 3.6, 0.7, "logit (trained by weighted LR:\nodds ~ expected engagement)", red)
    boxes["out"] = (7.6, r_top + 2.0, 2.6, 0.5, "sort: top k for the user", grey)
    arrows += [(previous, "wlr"), ("wlr", "out")]
    architecture_diagram(ax, boxes, arrows)
    # the hand-over from retrieval to ranking: out of the index's right side, down the gap, into the candidates
    from matplotlib.patches import FancyArrowPatch

    ann_x, ann_y, ann_w = boxes["ann"][0], boxes["ann"][1], boxes["ann"][2]
    cand_x, cand_y, cand_w = boxes["cand"][0], boxes["cand"][1], boxes["cand"][2]
    gap_x = (ann_x + ann_w / 2 + cand_x - cand_w / 2) / 2
    ax.plot([ann_x + ann_w / 2, gap_x, gap_x], [ann_y, ann_y, cand_y], color="#333333", lw=0.8)
    ax.add_patch(FancyArrowPatch((gap_x, cand_y), (cand_x - cand_w / 2, cand_y), arrowstyle="-|>",
                                 mutation_scale=9, lw=0.8, color="#333333"))
    height = max(y + h / 2 for _, y, _, h, _, _ in boxes.values()) + 0.7
    ax.text(2.8, height - 0.3, "candidate generation", ha="center", fontsize=10, weight="bold", color="#1f4e79")
    ax.text(7.6, height - 0.3, "ranking", ha="center", fontsize=10, weight="bold", color="#8b1a1a")
    ax.set_ylim(0, height)


def _wrap(words: Sequence[str], per_line: int) -> str:
    """Comma-separated ``words``, ``per_line`` to a line."""
    return ",\n".join(", ".join(words[i:i + per_line]) for i in range(0, len(words), per_line))


def _optimiser_text(parameters, optimiser) -> str:
    """Which optimiser (with its main settings) updates ``parameters``: read off the optimiser object."""
    wanted = {id(p) for p in parameters}
    for part in getattr(optimiser, "optimizers", [optimiser]):
        for group in part.param_groups:
            if wanted & {id(p) for p in group["params"]}:
                name = type(part).__name__
                if name == "FTRL":
                    return f"FTRL (alpha {group['alpha']:g}, L1 {group['l1']:.2g})"
                return f"{name} (lr {group['lr']:g})"
    return "not trained"


def wide_deep_diagram(model, wide_fields: dict, optimiser, ax: plt.Axes) -> None:
    """Wide & Deep read off a :class:`~recsys_course.models.WideAndDeep`, its task's wide fields and its optimiser.

    ``wide_fields`` maps each wide field or cross to the ids it owns (a
    task's ``wide_fields``); table sizes, embedding sizes, layer widths and
    each part's optimiser come from the objects, so the picture matches
    what was trained.
    """
    from torch import nn

    yellow, blue, grey, red = "#fff2c6", "#dbe8f5", "#eeeeee", "#f8d0d0"
    crosses = {k: v for k, v in wide_fields.items() if " x " in k}
    plain = [k for k in wide_fields if k not in crosses]
    boxes, arrows = {}, []
    if model.wide is not None:
        boxes["wf"] = (1.2, 1.1, 2.2, 1.7, "one-hot ids:\n" + _wrap(plain, 2), grey)
        boxes["wc"] = (3.6, 1.1, 2.4, 1.7, "hashed crosses\n(buckets):\n" + "\n".join(
            f"{k} ({v:,})" for k, v in crosses.items()), grey)
        boxes["wide"] = (2.4, 3.6, 4.4, 1.0, f"one weight per id, summed\n(EmbeddingBag of width 1, "
                         f"{model.wide_size:,} weights)\n{_optimiser_text(model.wide_parameters(), optimiser)}",
                         yellow)
        arrows += [("wf", "wide"), ("wc", "wide")]
    if model.deep is not None:
        fields = model.fields.field_names
        listed = ", ".join(f"{n} {model.fields.tables[n].weight.shape[0]:,}" for n in fields)
        width = len(fields) * model.fields.dim + model.n_dense
        history = ""
        if model.history is not None:
            history = f" + liked-history mean {model.history.embedding_dim}"
            width += model.history.embedding_dim
            listed += f", liked history ({model.history.num_embeddings - 1:,} items)"
        boxes["emb"] = (7.5, 1.7, 4.6, 0.6, f"{len(fields)} embeddings x {model.fields.dim}{history}\n"
                        f"+ {model.n_dense} dense = {width}", blue)
        boxes["df"] = (7.5, 0.6, 4.6, 0.9, "fields (ids):\n" + _wrap(listed.split(", "), 4), grey)
        arrows.append(("df", "emb"))
        previous = "emb"
        widths = [m.out_features for m in model.deep.modules() if isinstance(m, nn.Linear)]
        for k, w in enumerate(widths):
            last = k == len(widths) - 1
            text = f"Linear -> 1: deep logit\n{_optimiser_text(model.deep_parameters(), optimiser)}" if last \
                else f"Linear + ReLU -> {w}"
            boxes[f"d{k}"] = (7.5, 2.5 + 0.75 * k + (0.1 if last else 0), 3.2, 0.65 if last else 0.45, text, blue)
            arrows.append((previous, f"d{k}"))
            previous = f"d{k}"
    head_y = max(y + h / 2 for _, y, _, h, _, _ in boxes.values()) + 1.6
    boxes["sum"] = (5.0, head_y, 4.2, 0.6, "wide logit + deep logit + bias", red)
    boxes["out"] = (5.0, head_y + 1.1, 3.0, 0.6, "sigmoid: P(click)", red)
    arrows += [(name, "sum") for name in (["wide"] if model.wide is not None else []) +
               ([previous] if model.deep is not None else [])]
    arrows.append(("sum", "out"))
    architecture_diagram(ax, boxes, arrows)
    for x, text, colour in ((2.4, "wide: memorisation", "#7a5c00"), (7.5, "deep: generalisation", "#1f4e79")):
        ax.text(x, -0.25, text, ha="center", va="top", fontsize=10, weight="bold", color=colour)
    ax.set_ylim(-0.8, head_y + 1.8)
