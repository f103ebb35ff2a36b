"""Chart 1 of the article, measured: CTR models' test AUC as bars with a trend line, beside their other metrics.

:func:`chart` draws from a :class:`Results` of :mod:`.ctr` on given axes, so
the notebook and ``python -m recsys_course.experiments.ctr`` draw the same
picture from the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from .. import plots
from .results import Results

METRICS = {"auc": "test AUC", "uauc": "user-weighted AUC", "logloss": "LogLoss (lower is better)"}


def seed_means(results: Results, models) -> pd.DataFrame:
    """Per model and metric: the mean over seeds and the half-width of its 95% t-interval over seeds."""
    frame = results.frame()
    rows = []
    for model in models:
        runs = frame[frame["model"] == model]
        for metric in METRICS:
            values = runs[metric].to_numpy(dtype=float)
            half = (student_t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
                    if len(values) > 1 else np.nan)
            rows.append({"model": model, "metric": metric, "mean": values.mean(), "half": half,
                         "seeds": len(values)})
    return pd.DataFrame(rows)


def chart(results: Results, models, axes) -> None:
    """Three panels on ``axes``: AUC bars with a least-squares trend line over the models' order, then the others."""
    table = seed_means(results, models)
    x = np.arange(len(models))
    for ax, (metric, label) in zip(axes, METRICS.items()):
        part = table[table["metric"] == metric].set_index("model").loc[list(models)]
        ax.bar(x, part["mean"], yerr=part["half"], capsize=4, color="#9ecae1", edgecolor="#3b6e8f")
        if metric == "auc":
            slope, intercept = np.polyfit(x, part["mean"], 1)
            ax.plot(x, intercept + slope * x, color="#d62728", lw=1.5, label=f"trend: {slope:+.4f} per step")
            ax.legend(loc="upper left", fontsize=8)
        low = (part["mean"] - part["half"].fillna(0)).min()
        high = (part["mean"] + part["half"].fillna(0)).max()
        ax.set_ylim(low - 0.4 * (high - low), high + 0.4 * (high - low))
        ax.set_xticks(x, models, rotation=30, ha="right")
        ax.set_title(label)
    n_seeds = int(table["seeds"].min())
    axes[0].set_ylabel(f"mean over {n_seeds} seeds (95% interval)")


def draw(results: Results, path: str | Path, models) -> Path:
    """The full-size chart 1 for ``models`` (in the order the trend line follows), saved at ``path``."""
    plots.use_course_style()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    chart(results, list(models), axes)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return Path(path)
