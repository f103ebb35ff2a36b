"""Lesson 04's figures: the two-stage pipeline drawn from its objects, tower variants, recall against latency,
and the crossover.

Each function draws on given axes from the objects or frames the experiments make, so the notebook
and ``python -m recsys_course run 04/serving`` draw the same pictures from the same numbers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import NullFormatter
from torch import nn

from ... import plots
from ...evidence import Results, mean_interval

TOWER_COLOUR = "#e07b7b"
INDEX_STYLES = {
    "exact": ("#333333", "s"),
    "flat": ("#9e9e9e", "D"),
    "hnsw": ("#d62728", "o"),
    "ivf": ("#1f77b4", "^"),
}


def model_bars(results: Results, groups, ax: plt.Axes, metric: str = "recall@50") -> None:
    """Mean ``metric`` per model with 95% intervals over test users and seeds, as horizontal bars.

    ``groups`` is a list of lists of model names; a gap separates the groups.
    Each bar's interval is that model's own - a difference between two models
    has a narrower, paired interval (:func:`~recsys_course.evidence.paired_effect`).
    """
    rows, y, position = [], [], 0.0
    for group in groups:
        for model in group:
            effect = mean_interval(results.per_user(metric, model=model), metric=metric)
            rows.append((model, effect.estimate, effect.low, effect.high))
            y.append(-position)
            position += 1
        position += 0.6
    names, means, lows, highs = zip(*rows)
    baselines = {"popularity": plots.MODEL_COLORS["Popularity"], "MF": plots.MODEL_COLORS["MF"]}
    colours = [baselines.get(name, TOWER_COLOUR) for name in names]
    ax.barh(y, means, color=colours, xerr=[np.subtract(means, lows), np.subtract(highs, means)], capsize=3)
    ax.set_yticks(y, names)
    for name, colour in baselines.items():
        if name in names:
            ax.axvline(means[names.index(name)], color=colour, lw=0.8, ls=":")
    ax.set_xlabel(f"test {metric} (whole catalogue; 95% interval)")


def _index_lines(group: pd.DataFrame):
    """(label, colour, marker, rows) per line of a recall-latency panel: one per index, one per HNSW build."""
    for kind, rows in group.groupby("index", sort=False):
        colour, marker = INDEX_STYLES[kind]
        if kind != "hnsw" or "M" not in rows:
            yield kind, colour, marker, rows
            continue
        builds = list(rows.groupby(["M", "efConstruction"], sort=True))
        for shade, ((m, ef), build) in zip(np.linspace(0.45, 1.0, len(builds)), builds):
            yield f"hnsw M={int(m)}, efC={int(ef)}", plt.cm.Reds(shade), marker, build


def recall_latency(sweep: pd.DataFrame, axes) -> None:
    """One panel per catalogue size: recall@10 against exact search vs milliseconds per query (batch 1) on
    the test queries; a star marks the HNSW setting chosen on validation queries."""
    for ax, (n, group) in zip(np.ravel(axes), sweep.groupby("items")):
        for label, colour, marker, rows in _index_lines(group):
            rows = rows.sort_values("value")
            ax.plot(
                rows["ms/query, batch 1"],
                rows["recall@10"],
                marker=marker,
                color=colour,
                label=label,
                ms=4,
                lw=1.1,
            )
            if label == "ivf" or label.startswith("hnsw M=32, efC=64"):
                for _, row in rows.iloc[[0, -1]].iterrows():
                    ax.annotate(
                        f"{row['parameter']}={int(row['value'])}",
                        (row["ms/query, batch 1"], row["recall@10"]),
                        fontsize=7,
                        xytext=(-6, 6) if label != "ivf" else (4, -10),
                        textcoords="offset points",
                        color=colour,
                        ha="right" if label != "ivf" else "left",
                    )
        chosen = group[group["chosen"].astype(bool)] if "chosen" in group else group.iloc[:0]
        for _, row in chosen.iterrows():
            ax.plot(
                row["ms/query, batch 1"],
                row["recall@10"],
                marker="*",
                ms=13,
                color="#ffbf00",
                markeredgecolor="#333333",
                ls="none",
                label="chosen on validation",
                zorder=5,
            )
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # a narrow log range would label every minor tick
        ax.set_title(f"N = {int(n):,} items")
        ax.set_xlabel("ms per query (batch 1)")
        ax.set_ylabel("recall@10 against exact search")
        ax.set_ylim(0, 1.05)
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.text(ax.get_xlim()[0], 0.955, " 0.95", fontsize=7, color="#777777", va="bottom")
    np.ravel(axes)[0].legend(loc="lower right", fontsize=7)


def crossover_panel(ranking: pd.DataFrame, cross: pd.DataFrame, ax: plt.Axes, budgets_ms) -> None:
    """Milliseconds of a whole request - ranking every item vs retrieving 100 with HNSW and ranking
    those - by catalogue size, with the latency budgets as lines (the first one is the sourced budget)."""
    ax.fill_between(ranking["items"], ranking["ms low"], ranking["ms high"], color="#9467bd", alpha=0.2, lw=0)
    ax.plot(ranking["items"], ranking["ms"], marker="o", ms=4, color="#9467bd", label="rank every item")
    if cross is not None and len(cross):
        ax.plot(
            cross["items"],
            cross["two stages ms"],
            marker="s",
            color="#d62728",
            label="HNSW top 100, then rank them",
        )
    for budget, style in zip(budgets_ms, ("-", "--", ":")):
        ax.axhline(budget, color="#777777", ls=style, lw=1)
        ax.text(
            ranking["items"].min(), budget * 1.08, f"{budget:g} ms", fontsize=7, va="bottom", color="#555555"
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("catalogue size (items)")
    ax.set_ylabel("ms per whole request (one user)")
    ax.set_title("rank everything, or retrieve then rank?")
    ax.legend(loc="upper left", fontsize=8)


def scaling_figure(
    sweep: pd.DataFrame,
    ranking: pd.DataFrame | None = None,
    cross: pd.DataFrame | None = None,
    budgets_ms=(10.0, 50.0, 100.0),
) -> plt.Figure:
    """Recall vs latency, one panel per catalogue size, and (given the ranker's timings) the crossover."""
    sizes = sweep["items"].nunique()
    panels = sizes + (ranking is not None)
    rows = (panels + 1) // 2
    fig, axes = plt.subplots(
        rows, 2 if panels > 1 else 1, figsize=(10 if panels > 1 else 5.2, 3.8 * rows), squeeze=False
    )
    axes = axes.ravel()
    recall_latency(sweep, axes[:sizes])
    if ranking is not None:
        crossover_panel(ranking, cross, axes[sizes], budgets_ms)
    for ax in axes[panels:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def two_stage_diagram(tower, index, ranker, n_candidates: int, ax: plt.Axes) -> None:
    """YouTube DNN's two stages read off the objects (the article's chart 4): a candidate tower, its index and a
    ranking tower.

    Embedding sizes, layer widths, the index type and size and the number of
    candidates all come from the objects passed in, so the picture always
    matches what was trained and served.
    """
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
    boxes["ann"] = (
        2.8,
        top + 1.2,
        4.4,
        0.8,
        f"{index.describe()}\nover the unit item vectors: top {n_candidates} by inner product (= cosine)",
        green,
    )
    arrows.append((previous, "ann"))
    r_fields = ranker.fields.field_names
    r_widths = [m.out_features for m in ranker.tower if isinstance(m, nn.Linear)]
    item_dim, r_dim = ranker.items.embedding_dim, ranker.fields.dim
    boxes["cand"] = (
        7.6,
        0.4,
        3.6,
        0.6,
        f"{n_candidates} candidates x (item id, {len(r_fields)} user fields,\n"
        f"{ranker.n_dense} dense features incl. candidate score)",
        grey,
    )
    boxes["rcat"] = (
        7.6,
        1.4,
        3.6,
        0.6,
        f"concatenate: item {item_dim} + {len(r_fields)} x {r_dim} + "
        f"{ranker.n_dense} dense = {item_dim + len(r_fields) * r_dim + ranker.n_dense}",
        red,
    )
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
    boxes["wlr"] = (
        7.6,
        r_top + 1.0,
        3.6,
        0.7,
        "logit (trained by weighted LR:\nodds ~ expected engagement)",
        red,
    )
    boxes["out"] = (7.6, r_top + 2.0, 2.6, 0.5, "sort: top k for the user", grey)
    arrows += [(previous, "wlr"), ("wlr", "out")]
    plots.architecture_diagram(ax, boxes, arrows)
    # the hand-over from retrieval to ranking: out of the index's right side, down the gap, into the candidates
    ann_x, ann_y, ann_w = boxes["ann"][0], boxes["ann"][1], boxes["ann"][2]
    cand_x, cand_y, cand_w = boxes["cand"][0], boxes["cand"][1], boxes["cand"][2]
    gap_x = (ann_x + ann_w / 2 + cand_x - cand_w / 2) / 2
    ax.plot([ann_x + ann_w / 2, gap_x, gap_x], [ann_y, ann_y, cand_y], color="#333333", lw=0.8)
    ax.add_patch(
        FancyArrowPatch(
            (gap_x, cand_y),
            (cand_x - cand_w / 2, cand_y),
            arrowstyle="-|>",
            mutation_scale=9,
            lw=0.8,
            color="#333333",
        )
    )
    height = max(y + h / 2 for _, y, _, h, _, _ in boxes.values()) + 0.7
    ax.text(
        2.8, height - 0.3, "candidate generation", ha="center", fontsize=10, weight="bold", color="#1f4e79"
    )
    ax.text(7.6, height - 0.3, "ranking", ha="center", fontsize=10, weight="bold", color="#8b1a1a")
    ax.set_ylim(0, height)
