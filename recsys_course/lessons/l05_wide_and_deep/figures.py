"""Lesson 05's figure: Wide & Deep's architecture, drawn from a model, its task's wide fields and its optimizer."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from torch import nn

from ... import plots


def _wrap(words: Sequence[str], per_line: int) -> str:
    """Comma-separated ``words``, ``per_line`` to a line."""
    return ",\n".join(", ".join(words[i : i + per_line]) for i in range(0, len(words), per_line))


def _optimizer_text(parameters, optimizer) -> str:
    """Which optimizer (with its main settings) updates ``parameters``: read off the optimizer object."""
    wanted = {id(p) for p in parameters}
    for part in getattr(optimizer, "optimizers", [optimizer]):
        for group in part.param_groups:
            if wanted & {id(p) for p in group["params"]}:
                name = type(part).__name__
                if name == "FTRL":
                    return f"FTRL (alpha {group['alpha']:g}, L1 {group['l1']:.2g})"
                return f"{name} (lr {group['lr']:g})"
    return "not trained"


def wide_deep_diagram(model, wide_fields: dict, optimizer, ax: plt.Axes) -> None:
    """Wide & Deep read off a :class:`~recsys_course.models.WideAndDeep`, its task's wide fields and its optimizer
    (the article's chart 5).

    ``wide_fields`` maps each wide field or cross to the ids it owns (a
    task's ``wide_fields``); table sizes, embedding sizes, layer widths and
    each part's optimizer come from the objects, so the picture matches
    what was trained.
    """
    yellow, blue, grey, red = "#fff2c6", "#dbe8f5", "#eeeeee", "#f8d0d0"
    crosses = {k: v for k, v in wide_fields.items() if " x " in k}
    plain = [k for k in wide_fields if k not in crosses]
    boxes, arrows = {}, []
    if model.wide is not None:
        boxes["wf"] = (1.2, 1.1, 2.2, 1.7, "one-hot ids:\n" + _wrap(plain, 2), grey)
        boxes["wc"] = (
            3.6,
            1.1,
            2.4,
            1.7,
            "hashed crosses\n(buckets):\n" + "\n".join(f"{k} ({v:,})" for k, v in crosses.items()),
            grey,
        )
        boxes["wide"] = (
            2.4,
            3.6,
            4.4,
            1.0,
            f"one weight per id, summed\n(EmbeddingBag of width 1, "
            f"{model.wide_size:,} weights)\n{_optimizer_text(model.wide_parameters(), optimizer)}",
            yellow,
        )
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
        boxes["emb"] = (
            7.5,
            1.7,
            4.6,
            0.6,
            f"{len(fields)} embeddings x {model.fields.dim}{history}\n+ {model.n_dense} dense = {width}",
            blue,
        )
        boxes["df"] = (7.5, 0.6, 4.6, 0.9, "fields (ids):\n" + _wrap(listed.split(", "), 4), grey)
        arrows.append(("df", "emb"))
        previous = "emb"
        widths = [m.out_features for m in model.deep.modules() if isinstance(m, nn.Linear)]
        for k, w in enumerate(widths):
            last = k == len(widths) - 1
            text = (
                f"Linear -> 1: deep logit\n{_optimizer_text(model.deep_parameters(), optimizer)}"
                if last
                else f"Linear + ReLU -> {w}"
            )
            boxes[f"d{k}"] = (
                7.5,
                2.5 + 0.75 * k + (0.1 if last else 0),
                3.2,
                0.65 if last else 0.45,
                text,
                blue,
            )
            arrows.append((previous, f"d{k}"))
            previous = f"d{k}"
    head_y = max(y + h / 2 for _, y, _, h, _, _ in boxes.values()) + 1.6
    boxes["sum"] = (5.0, head_y, 4.2, 0.6, "wide logit + deep logit + bias", red)
    boxes["out"] = (5.0, head_y + 1.1, 3.0, 0.6, "sigmoid: P(click)", red)
    arrows += [
        (name, "sum")
        for name in (["wide"] if model.wide is not None else [])
        + ([previous] if model.deep is not None else [])
    ]
    arrows.append(("sum", "out"))
    plots.architecture_diagram(ax, boxes, arrows)
    for x, text, colour in ((2.4, "wide: memorisation", "#7a5c00"), (7.5, "deep: generalisation", "#1f4e79")):
        ax.text(x, -0.25, text, ha="center", va="top", fontsize=10, weight="bold", color=colour)
    ax.set_ylim(-0.8, head_y + 1.8)
