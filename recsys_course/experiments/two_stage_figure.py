"""Lesson 04's figures from measured results: tower variants, recall against latency, and the crossover.

Each function draws on given axes from the frames the experiments write, so
the notebook and ``python -m recsys_course.experiments.two_stage`` draw the
same pictures from the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import plots
from ..stats import mean_interval
from .results import Results

TOWER_COLOUR = "#e07b7b"
INDEX_STYLES = {"exact": ("#333333", "s"), "flat": ("#9e9e9e", "D"), "hnsw": ("#d62728", "o"),
                "ivf": ("#1f77b4", "^")}


def model_bars(results: Results, groups, ax: plt.Axes, metric: str = "recall@50") -> None:
    """Mean ``metric`` per model with 95% intervals over test users and seeds, as horizontal bars.

    ``groups`` is a list of lists of model names; a gap separates the groups.
    Each bar's interval is that model's own - a difference between two models
    has a narrower, paired interval (:func:`~recsys_course.experiments.results.paired_effect`).
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


def recall_latency(sweep: pd.DataFrame, axes) -> None:
    """One panel per catalogue size: recall@10 against exact search vs milliseconds per query (batch 1)."""
    for ax, (n, group) in zip(np.ravel(axes), sweep.groupby("items")):
        for kind, rows in group.groupby("index", sort=False):
            colour, marker = INDEX_STYLES[kind]
            rows = rows.sort_values("value")
            ax.plot(rows["ms/query, batch 1"], rows["recall@10"], marker=marker, color=colour, label=kind,
                    ms=5, lw=1.2)
            if isinstance(rows["parameter"].iloc[0], str) and rows["parameter"].iloc[0]:
                for _, row in rows.iloc[[0, -1]].iterrows():
                    ax.annotate(f"{row['parameter']}={int(row['value'])}", (row["ms/query, batch 1"], row["recall@10"]),
                                fontsize=7, xytext=(-6, 6) if kind == "hnsw" else (4, -10),
                                textcoords="offset points", color=colour, ha="right" if kind == "hnsw" else "left")
        ax.set_xscale("log")
        ax.set_title(f"N = {int(n):,} items")
        ax.set_xlabel("ms per query (batch 1)")
        ax.set_ylabel("recall@10 against exact search")
        ax.set_ylim(0, 1.05)
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.text(ax.get_xlim()[0], 0.955, " 0.95", fontsize=7, color="#777777", va="bottom")
    np.ravel(axes)[0].legend(loc="lower right")


def crossover_panel(ranking: pd.DataFrame, cross: pd.DataFrame, ax: plt.Axes, budget_ms: float) -> None:
    """Latency of ranking the whole catalogue vs retrieving 100 with HNSW and ranking those, by catalogue size."""
    ax.plot(ranking["candidates"], ranking["ms"], marker="o", color="#9467bd", label="rank every item")
    ax.plot(cross["items"], cross["retrieve + rank ms"], marker="s", color="#d62728",
            label="HNSW top 100, then rank them")
    ax.axhline(budget_ms, color="#999999", ls="--", lw=1)
    ax.text(ranking["candidates"].max(), budget_ms * 0.7, f"latency budget {budget_ms:g} ms", fontsize=8,
            ha="right", va="top", color="#555555")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("catalogue size (items)")
    ax.set_ylabel("ms per request (one user)")
    ax.set_title("rank everything, or retrieve then rank?")
    ax.legend(loc="upper left", fontsize=8)


def scaling_figure(sweep: pd.DataFrame, ranking: pd.DataFrame | None = None, cross: pd.DataFrame | None = None,
                   budget_ms: float = 50.0) -> plt.Figure:
    """Recall vs latency, one panel per catalogue size, and (given the ranker's timings) the crossover."""
    sizes = sweep["items"].nunique()
    panels = sizes + (ranking is not None)
    rows = (panels + 1) // 2
    fig, axes = plt.subplots(rows, 2 if panels > 1 else 1, figsize=(10 if panels > 1 else 5.2, 3.8 * rows),
                             squeeze=False)
    axes = axes.ravel()
    recall_latency(sweep, axes[:sizes])
    if ranking is not None:
        crossover_panel(ranking, cross, axes[sizes], budget_ms)
    for ax in axes[panels:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def draw(sweep: pd.DataFrame, ranking: pd.DataFrame, cross: pd.DataFrame, budget_ms: float, out_dir) -> Path:
    """The full-size retrieval figure, saved as ``retrieval_scaling.png`` in ``out_dir``."""
    plots.use_course_style()
    fig = scaling_figure(sweep, ranking, cross, budget_ms)
    path = Path(out_dir) / "retrieval_scaling.png"
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
