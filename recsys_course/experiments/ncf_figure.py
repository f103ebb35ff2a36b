"""The full-size NCF figure: test HR@10 by predictive factors, and the negative-ratio sweep in two views.

Drawn from a :class:`~recsys_course.experiments.results.Results` of
:func:`recsys_course.experiments.ncf.run_all`; error bars are 95% intervals
over test users and seeds (:func:`recsys_course.stats.paired_bootstrap`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np

from .. import plots
from ..stats import mean_interval
from .results import Results


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


def negatives_panels(ax_ratio, ax_compute, results: Results, label: str | None = None, color: str | None = None,
                     marker: str = "o", dodge: float = 1.0) -> None:
    """Test HR@10 of the negative-ratio sweep (95% intervals) against the ratio, and against the compute used.

    ``dodge`` shifts the points of the ratio panel (a log axis of categories) by that factor, so two sweeps
    drawn on one axis do not hide each other; the compute panel keeps the measured values.
    """
    sweep = results.frame().query("experiment == 'negatives'")
    ratios = sorted(sweep["negatives"].unique())
    stats = np.array([mean_with_interval(results, "hr@10", experiment="negatives", negatives=r) for r in ratios])
    compute = sweep.groupby("negatives")["examples to best"].mean().loc[ratios] / 1e6
    color = color or plots.MODEL_COLORS["GMF"]
    for ax, x in ((ax_ratio, np.array(ratios) * dodge), (ax_compute, compute.to_numpy())):
        ax.errorbar(x, stats[:, 0], yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]], marker=marker,
                    capsize=3, color=color, label=label)
        if ax is ax_compute:
            for xi, yi, r in zip(x, stats[:, 0], ratios):
                ax.annotate(f"{int(r)}:1", (xi, yi), xytext=(4, -12), textcoords="offset points", fontsize=8,
                            color=color)
        ax.set_ylabel("test HR@10 (95% interval of the mean)")
    ax_ratio.set_xscale("log", base=2)
    ax_ratio.set_xticks(ratios, [str(int(r)) for r in ratios])
    ax_ratio.minorticks_off()
    ax_ratio.set_xlabel("sampled negatives per positive")
    ax_compute.set_xscale("log")
    ax_compute.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax_compute.xaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}" if v in (3, 5, 20) else ""))
    ax_compute.set_xlabel("training examples up to the best epoch (millions)")


def draw(results: Results, dataset: str, out_dir: Path) -> Path:
    """Save ``ncf_<dataset>.png`` in ``out_dir`` and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots.use_course_style()
    frame = results.frame()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    models = frame[frame["experiment"] == "models"]
    factors = sorted(f for f in models["factors"].unique() if f > 0)
    names = [m for m in dict.fromkeys(models["model"]) if m != "Popularity"]
    means = []
    for k, name in enumerate(names):
        stats = np.array([mean_with_interval(results, "hr@10", model=name, factors=f) for f in factors])
        means.extend(stats[:, 0])
        color, style = LINE_STYLES.get(name, (None, "-"))
        x = np.array(factors) * 2 ** (0.05 * (k - (len(names) - 1) / 2))   # dodge, so the bars do not overlap
        axes[0].errorbar(x, stats[:, 0], yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]],
                         marker="o", ms=4, capsize=2, lw=1.2, elinewidth=0.8, ls=style, label=name, color=color)
    axes[0].set_xscale("log", base=2)
    axes[0].set_xticks(factors, [str(f) for f in factors])
    axes[0].minorticks_off()
    axes[0].set_xlabel("predictive factors")
    axes[0].set_ylabel("test HR@10 (95% interval of the mean)")
    axes[0].set_title(f"NCF models on {dataset}")
    axes[0].set_ylim(bottom=max(axes[0].get_ylim()[0], min(means) - 0.03))  # one wide interval must not flatten the rest
    axes[0].legend(fontsize=7, ncol=2, loc="lower right")

    negatives_panels(axes[1], axes[2], results)
    axes[1].set_title("GMF: negatives per positive")
    axes[2].set_title("... against the compute each run used")
    path = Path(out_dir) / f"ncf_{dataset}.png"
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
