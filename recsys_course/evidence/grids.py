"""Grid edges: a setting tuned on a grid and chosen at its lowest or highest value is the grid's choice.

Where validation keeps improving towards an end of the grid, the best value may lie beyond it.
:func:`at_edge` says whether a choice sits at an end; :func:`edge_report` makes the table a
lesson prints beside its tuned settings, so such a value is extended or flagged, never hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def at_edge(grid, chosen) -> str:
    """'lowest' or 'highest' where ``chosen`` is an end of the numeric ``grid``, else ''.

    A grid of one or two values has no inside, so its choice is always flagged.
    """
    values = np.unique(np.asarray(list(grid), dtype=float))
    if not len(values):
        raise ValueError("an empty grid has no edges; pass the values that were tried")
    chosen = float(chosen)
    if not np.isclose(values, chosen).any():
        raise ValueError(f"the chosen value {chosen:g} is not in the grid {values.tolist()}")
    if np.isclose(chosen, values[0]):
        return "lowest"
    if np.isclose(chosen, values[-1]):
        return "highest"
    return ""


def edge_report(choices: dict) -> pd.DataFrame:
    """One row per tuned setting: ``{name: (grid, chosen)}`` -> setting, grid, chosen, at edge.

    ``at edge`` is '' for a value inside its grid; otherwise it names the end,
    so the lesson can widen the grid or say that the value is the grid's choice.
    A third element, the validation score of each grid value, lets it say
    "every value ties" where the grid chose nothing at all.
    """
    rows = []
    for name, (grid, chosen, *scores) in choices.items():
        flat = bool(scores) and len(scores[0]) > 1 and np.ptp(np.asarray(scores[0], dtype=float)) == 0
        rows.append(
            {
                "setting": name,
                "grid": ", ".join(f"{v:g}" for v in sorted({float(v) for v in grid})),
                "chosen": float(chosen),
                "at edge": "every value ties" if flat else at_edge(grid, chosen),
            }
        )
    return pd.DataFrame(rows, columns=["setting", "grid", "chosen", "at edge"]).set_index("setting")


def edge_note(report: pd.DataFrame, brief: bool = False) -> str:
    """A sentence for the lesson: which tuned settings sit at an end of their grid (or that none does);
    ``brief`` counts them instead of naming each."""
    flagged = report[report["at edge"] != ""]
    if flagged.empty:
        return f"Every tuned setting ({len(report)}) lies inside its grid."
    if brief:
        return (
            f"{len(flagged)} of {len(report)} tuned settings sit at an end of their grid: a wider grid might "
            "choose otherwise"
        )
    parts = [
        f"{name} = {row['chosen']:g} (every value of {row['grid']} ties on validation)"
        if row["at edge"] == "every value ties"
        else f"{name} = {row['chosen']:g} (the {row['at edge']} of {row['grid']})"
        for name, row in flagged.iterrows()
    ]
    return (
        f"{len(flagged)} of {len(report)} tuned settings sit at an end of their grid, so a wider grid might "
        f"choose otherwise: " + "; ".join(parts) + "."
    )
