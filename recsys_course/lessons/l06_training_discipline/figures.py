"""Lesson 06's figures - chart 1 (the CTR benchmark), chart 6 (training dynamics) and the training advice -
each drawn on given axes from a :class:`~recsys_course.evidence.Results` or a recorded table.

Means over seeds carry a 95% t-interval over seeds (the spread a learner sees
when rerunning); the verdicts use the paired intervals of :mod:`.claims` instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import plots
from ...evidence import Results, seed_summary
from ...training import stopping_point

BENCHMARK_METRICS = {"auc": "test AUC", "uauc": "user-weighted AUC", "logloss": "LogLoss (lower is better)"}


def benchmark_chart(results: Results, models, axes, trend=None) -> pd.DataFrame:
    """The article's chart 1 in three panels on ``axes``: AUC bars with a least-squares trend line over the
    models' order (over ``trend`` only, a subset of ``models``: the article's five above the LR floor, say),
    then user-weighted AUC and LogLoss.

    Returns the table drawn: per model, each metric's mean over seeds and its half-width.
    """
    models = list(models)
    trend = list(trend or models)
    table = seed_summary(results, "model", BENCHMARK_METRICS).set_index("model").loc[models]
    for ax, (metric, label) in zip(axes, BENCHMARK_METRICS.items()):
        plots.interval_bars(ax, models, table[metric], table[f"{metric} ±"], label)
        if metric == "auc":
            x = np.array([models.index(m) for m in trend])
            slope, intercept = np.polyfit(x, table.loc[trend, metric], 1)
            ax.plot(x, intercept + slope * x, color="#d62728", lw=1.5, label=f"trend: {slope:+.4f} per step")
            ax.legend(loc="upper left", fontsize=8)
    axes[0].set_ylabel(f"mean over {int(table['seeds'].min())} seeds (95% interval)")
    return table


def dynamics_chart(frame: pd.DataFrame, axes, patience: int = 5) -> pd.DataFrame:
    """The article's chart 6 on two axes: training BCE per epoch, and validation AUC with each model's
    early-stopping point.

    Returns the stopping points: per model, the epoch early stopping with
    ``patience`` stops at, the epoch it keeps, and the best epoch of the whole run.
    """
    rows = []
    for k, (name, part) in enumerate(frame.groupby("model", sort=False)):
        colour = f"C{k}"
        part = part.sort_values("epoch")
        axes[0].plot(part["epoch"], part["train_loss"], color=colour, label=name)
        axes[1].plot(part["epoch"], part["auc"], color=colour, label=name)
        stop, kept = stopping_point(part["auc"].to_numpy(), patience)
        kept_auc = part.loc[part["epoch"] == kept, "auc"].item()
        axes[1].plot([kept], [kept_auc], marker="*", markersize=13, color=colour, markeredgecolor="black")
        axes[1].axvline(stop, color=colour, lw=0.8, ls=":")
        rows.append(
            {
                "model": name,
                "stops at": stop,
                "keeps epoch": kept,
                "validation AUC kept": kept_auc,
                "best epoch of the run": int(part.loc[part["auc"].idxmax(), "epoch"]),
                "best validation AUC": float(part["auc"].max()),
            }
        )
    axes[0].set(xlabel="epoch", ylabel="training BCE", title="training loss")
    axes[1].set(
        xlabel="epoch",
        ylabel="validation AUC",
        title=f"validation AUC; star: weights kept, dotted: stop (patience {patience})",
    )
    for ax in axes:
        ax.legend(fontsize=8)
    return pd.DataFrame(rows)


def sampler_chart(results: Results, axes) -> pd.DataFrame:
    """Three panels: NDCG@10 on the whole catalogue, on 99 sampled candidates, and the top 10's popularity."""
    metrics = {
        "catalogue ndcg@10": "NDCG@10, whole catalogue",
        "ndcg@10": "NDCG@10, 99 sampled candidates",
        "top-10 count": "mean training count of the top 10",
    }
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
        ax.errorbar(
            summary["dropout"],
            summary[metric],
            yerr=summary[f"{metric} ±"],
            color="C0",
            marker="o",
            capsize=3,
            label=f"mean over {int(summary['seeds'].min())} seeds (95% interval)",
        )
        ax.set(
            xlabel="dropout after each hidden layer", ylabel=label, title=f"DeepFM: {label} against dropout"
        )
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
    ax.set(
        xlabel="mean predicted click probability (decile)",
        ylabel="observed click rate",
        title="reliability on the test impressions",
    )
    ax.legend(fontsize=8)
    return pd.concat(rows)
