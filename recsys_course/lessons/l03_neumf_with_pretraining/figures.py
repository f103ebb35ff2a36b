"""Lesson 03's figures: NeuMF's architecture drawn from a model, and the full-size NCF results.

:func:`neumf_diagram` reads a :class:`~recsys_course.models.NeuMF` object's own layers;
:func:`full_size_figure` draws test HR@10 by predictive factors and the negative-ratio sweep in
two views from a :class:`~recsys_course.evidence.Results` of :func:`.full_size.run`; error bars are 95%
intervals over test users and seeds (:func:`recsys_course.evidence.mean_interval`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from torch import nn

from ... import plots
from ...evidence import Results, mean_interval

# colour and line style of each model in the figure: one family colour, the variants told apart by style
LINE_STYLES = {
    "MF": (plots.MODEL_COLORS["MF"], "-"),
    "GMF": (plots.MODEL_COLORS["GMF"], "-"),
    "MLP": (plots.MODEL_COLORS["MLP"], "-"),
    "NeuMF (scratch)": (plots.MODEL_COLORS["NeuMF"], "-"),
    "NeuMF (shared embeddings)": ("#f4a6a6", "-"),
    "GMF+MLP (fused, not fine-tuned)": ("#555555", "--"),
    "NeuMF (pretrained, SGD)": (plots.MODEL_COLORS["NeuMF"], "--"),
    "NeuMF (pretrained, Adam)": (plots.MODEL_COLORS["NeuMF"], ":"),
}


def mean_with_interval(results: Results, metric: str, **where) -> tuple[float, float, float]:
    """A model's mean ``metric`` with its 95% interval over users and seeds: ``(mean, low, high)``."""
    effect = mean_interval(results.per_user(metric, **where), metric=metric)
    return effect.estimate, effect.low, effect.high


def negatives_panels(
    ax_ratio,
    ax_compute,
    results: Results,
    label: str | None = None,
    color: str | None = None,
    marker: str = "o",
    dodge: float = 1.0,
) -> None:
    """Test HR@10 of the negative-ratio sweep (95% intervals) against the ratio, and against the compute used.

    ``dodge`` shifts the points of the ratio panel (a log axis of categories) by that factor, so two sweeps
    drawn on one axis do not hide each other; the compute panel keeps the measured values.
    """
    sweep = results.frame().query("experiment == 'negatives'")
    ratios = sorted(sweep["negatives"].unique())
    stats = np.array(
        [mean_with_interval(results, "hr@10", experiment="negatives", negatives=r) for r in ratios]
    )
    compute = sweep.groupby("negatives")["examples to best"].mean().loc[ratios] / 1e6
    color = color or plots.MODEL_COLORS["GMF"]
    for ax, x in ((ax_ratio, np.array(ratios) * dodge), (ax_compute, compute.to_numpy())):
        ax.errorbar(
            x,
            stats[:, 0],
            yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]],
            marker=marker,
            capsize=3,
            color=color,
            label=label,
        )
        if ax is ax_compute:
            for xi, yi, r in zip(x, stats[:, 0], ratios):
                ax.annotate(
                    f"{int(r)}:1",
                    (xi, yi),
                    xytext=(4, -12),
                    textcoords="offset points",
                    fontsize=8,
                    color=color,
                )
        ax.set_ylabel("test HR@10 (95% interval of the mean)")
    ax_ratio.set_xscale("log", base=2)
    ax_ratio.set_xticks(ratios, [str(int(r)) for r in ratios])
    ax_ratio.minorticks_off()
    ax_ratio.set_xlabel("sampled negatives per positive")
    ax_compute.set_xscale("log")
    ax_compute.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax_compute.xaxis.set_minor_formatter(
        matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}" if v in (3, 5, 20) else "")
    )
    ax_compute.set_xlabel("training examples up to the best epoch (millions)")


def full_size_figure(results: Results, dataset: str) -> plt.Figure:
    """The full-size run in three panels: HR@10 by predictive factors, and GMF's negatives by ratio and by compute."""
    plots.use_course_style()
    frame = results.frame()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    models = frame[frame["experiment"] == "models"]
    factors = sorted(f for f in models["factors"].unique() if f > 0)
    names = [m for m in dict.fromkeys(models["model"]) if m not in ("Popularity", "EASE")]
    means = []
    for k, name in enumerate(names):
        stats = np.array([mean_with_interval(results, "hr@10", model=name, factors=f) for f in factors])
        means.extend(stats[:, 0])
        color, style = LINE_STYLES.get(name, (None, "-"))
        x = np.array(factors) * 2 ** (0.05 * (k - (len(names) - 1) / 2))  # dodge, so the bars do not overlap
        axes[0].errorbar(
            x,
            stats[:, 0],
            yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]],
            marker="o",
            ms=4,
            capsize=2,
            lw=1.2,
            elinewidth=0.8,
            ls=style,
            label=name,
            color=color,
        )
    ease = models[models["model"] == "EASE"]
    if len(ease):  # one closed-form fit, no factors: a reference line across the sizes
        axes[0].axhline(float(ease["hr@10"].iloc[0]), color="black", lw=1, ls=":", label="EASE (no factors)")
    axes[0].set_xscale("log", base=2)
    axes[0].set_xticks(factors, [str(f) for f in factors])
    axes[0].minorticks_off()
    axes[0].set_xlabel("predictive factors")
    axes[0].set_ylabel("test HR@10 (95% interval of the mean)")
    axes[0].set_title(f"NCF models on {dataset}")
    # one wide interval must not flatten the rest
    axes[0].set_ylim(bottom=max(axes[0].get_ylim()[0], min(means) - 0.03))
    axes[0].legend(fontsize=7, ncol=2, loc="lower right")

    negatives_panels(axes[1], axes[2], results)
    axes[1].set_title("GMF: negatives per positive")
    axes[2].set_title("... against the compute each run used")
    return fig


def neumf_diagram(model, ax: plt.Axes) -> None:
    """NeuMF's architecture read off a :class:`~recsys_course.models.NeuMF` object (the article's chart 3).

    Embedding sizes, tower widths and the head come from the model's own
    layers, and a model with shared embeddings is drawn with one table per
    side, so the picture always matches the code that was trained.
    """
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
        arrows = [
            ("u", "gu"),
            ("i", "gi"),
            ("u", "mu"),
            ("i", "mi"),
            ("gu", "prod"),
            ("gi", "prod"),
            ("mu", "cat"),
            ("mi", "cat"),
        ]
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
    plots.architecture_diagram(ax, boxes, arrows)
