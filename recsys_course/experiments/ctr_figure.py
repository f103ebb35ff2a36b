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

from .. import plots
from .results import Results, seed_summary

METRICS = {"auc": "test AUC", "uauc": "user-weighted AUC", "logloss": "LogLoss (lower is better)"}


def chart(results: Results, models, axes) -> pd.DataFrame:
    """Three panels on ``axes``: AUC bars with a least-squares trend line over the models' order, then the others.

    Returns the table drawn: per model, each metric's mean over seeds and its half-width.
    """
    table = seed_summary(results, "model", METRICS).set_index("model").loc[list(models)]
    for ax, (metric, label) in zip(axes, METRICS.items()):
        plots.interval_bars(ax, models, table[metric], table[f"{metric} ±"], label)
        if metric == "auc":
            x = np.arange(len(models))
            slope, intercept = np.polyfit(x, table[metric], 1)
            ax.plot(x, intercept + slope * x, color="#d62728", lw=1.5, label=f"trend: {slope:+.4f} per step")
            ax.legend(loc="upper left", fontsize=8)
    axes[0].set_ylabel(f"mean over {int(table['seeds'].min())} seeds (95% interval)")
    return table


def draw(results: Results, path: str | Path, models) -> Path:
    """The full-size chart 1 for ``models`` (in the order the trend line follows), saved at ``path``."""
    plots.use_course_style()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    chart(results, list(models), axes)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return Path(path)
