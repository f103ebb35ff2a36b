"""Lesson 06's figures for the training advice, each drawn on given axes from a :class:`Results` or arrays.

Means over seeds carry a 95% t-interval over seeds (the spread a learner sees
when rerunning), as in chart 1; the verdicts use the paired intervals of
:mod:`.advice_claims` instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plots
from .results import Results, seed_summary


def sampler_chart(results: Results, axes) -> pd.DataFrame:
    """Three panels: NDCG@10 on 99 sampled candidates, on the whole catalogue, and the top 10's popularity."""
    metrics = {"ndcg@10": "NDCG@10, 99 sampled candidates", "catalogue ndcg@10": "NDCG@10, whole catalogue",
               "top-10 count": "mean training count of the top 10"}
    summary = seed_summary(results, "sampler", metrics)
    for ax, (metric, title) in zip(axes, metrics.items()):
        plots.interval_bars(ax, summary["sampler"], summary[metric], summary[f"{metric} ±"], title)
    axes[0].set_ylabel(f"mean over {int(summary['seeds'].min())} seeds (95% interval)")
    return summary


def dropout_chart(results: Results, axes) -> pd.DataFrame:
    """Two panels: test AUC and user-weighted AUC against the dropout rate, with seed intervals."""
    summary = seed_summary(results, "dropout", ("auc", "uauc"))
    for ax, (metric, label) in zip(axes, (("auc", "test AUC"), ("uauc", "user-weighted test AUC"))):
        ax.axvspan(0.2, 0.3, color="0.9", zorder=0, label="the article's 0.2-0.3")
        ax.errorbar(summary["dropout"], summary[metric], yerr=summary[f"{metric} ±"], color="C0", marker="o",
                    capsize=3, label=f"mean over {int(summary['seeds'].min())} seeds (95% interval)")
        ax.set(xlabel="dropout after each hidden layer", ylabel=label, title=f"DeepFM: {label} against dropout")
        ax.legend(loc="lower left", fontsize=8)
    return summary


def clipping_chart(results: Results, ax, seed: int = 0) -> None:
    """Training BCE per epoch (log scale) for each clipping norm on one seed."""
    curves = results.curves[0]
    for k, (clip, part) in enumerate(curves[curves["seed"] == seed].groupby("clip", sort=False)):
        label = "no clipping" if clip == "none" else f"clipped at norm {clip}"
        ax.plot(part["epoch"], part["train_loss"], color=f"C{k}", label=label)
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="training BCE (log scale)", title=f"Wide & Deep for 50 epochs, seed {seed}")
    ax.legend(fontsize=8)


def reliability_chart(labels, probabilities: dict, ax, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed click rate, per decile of each model's predictions."""
    labels = np.asarray(labels, dtype=float)
    rows = []
    for k, (name, p) in enumerate(probabilities.items()):
        p = np.asarray(p, dtype=float)
        edges = np.quantile(p, np.linspace(0, 1, bins + 1))
        which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
        table = pd.DataFrame({"bin": which, "p": p, "y": labels}).groupby("bin").mean()
        ax.plot(table["p"], table["y"], marker="o", color=f"C{k}", label=name)
        rows.append(table.assign(model=name))
    ax.plot([0, 1], [0, 1], color="0.5", ls="--", lw=1, label="perfect calibration")
    ax.set(xlabel="mean predicted click probability (decile)", ylabel="observed click rate",
           title="reliability on the test impressions")
    ax.legend(fontsize=8)
    return pd.concat(rows)
