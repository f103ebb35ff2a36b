"""Lesson 04's serving claims, judged from the retrieval and whole-request timings of ``04/serving``.

What approximate search buys over exact search at nearly equal recall, and the catalogue size up to which
one ranking stage fits a latency budget; each gets :func:`~recsys_course.evidence.judge`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...evidence import Claim, Effect, edge_note, edge_report, judge
from . import LESSON
from .scaling import HNSW_BUILDS, MIN_RECALL, SOURCED_BUDGET_MS, SWEEPS, budget_table, chosen_rows, exact_rows

NUMBER = LESSON[:2]  # the lesson's number, as claim records name it


def serving_claims(sweep: pd.DataFrame, ranking: pd.DataFrame, evidence: str) -> list[Claim]:
    """The serving claims: what approximate search buys over exact search at nearly equal recall, and where
    one ranking stage stops fitting a latency budget.

    The first is judged at the largest catalogue measured, with the HNSW setting
    chosen on validation queries (recall@10 >= :data:`.scaling.MIN_RECALL`);
    where none reaches it, it is not judged. The second is judged at the
    sourced budget (:data:`.scaling.SOURCED_BUDGET_MS`), the others beside it.
    """
    largest = sweep["items"].max()
    chosen = chosen_rows(sweep)
    claims = []
    if largest in chosen.index:
        row, exact = chosen.loc[largest], exact_rows(sweep).loc[largest]
        claims.append(
            judge(
                lesson=NUMBER,
                claim="An ANN index answers far faster than exact search at nearly the same recall "
                "(the article: single-digit milliseconds for billions of items; we count a 10x speed-up "
                f"at recall@10 >= {MIN_RECALL} as holding)",
                source="faiss wiki, SIFT1M, 20 threads, queries in a batch: HNSW efSearch 16-256 gives 1-R@1 "
                "0.874-0.992 at 0.011-0.104 ms per query",
                measured=f"mean ms per query of exact search over that of HNSW (M={int(row['M'])}, "
                f"efConstruction={int(row['efConstruction'])}, efSearch {int(row['value'])}, chosen on validation "
                f"queries; recall@10 {row['recall@10']:.3f} on the test queries) at {int(largest):,} items, "
                f"batch 1, {int(row['threads'])} CPU threads, on a synthetic catalogue made from the learned item "
                f"vectors (spread {row['spread']:g}) - a million, not billions; the interval covers the timed "
                f"queries, not rebuilds of the index or of the catalogue",
                evidence=f"{evidence}: the retrieval sweep",
                effect=Effect(
                    metric="speed-up over exact search (x)",
                    estimate=float(row["speed-up"]),
                    low=float(row["speed-up low"]),
                    high=float(row["speed-up high"]),
                    n_users=0,
                ),
                threshold=10.0,
                notes={
                    "HNSW ms per query": float(row["ms/query, batch 1"]),
                    "exact ms per query": float(exact["ms/query, batch 1"]),
                    "exact ms per query on the validation queries (the same work: the drift is the machine's)": (
                        float(exact["valid ms/query"]) if "valid ms/query" in exact else float("nan")
                    ),
                    "threads": f"HNSW searches one query on one thread; exact search's matrix product uses all "
                    f"{int(row['threads'])}, so per thread the speed-up would be about {int(row['threads'])}x "
                    f"larger",
                    "test recall@10": float(row["recall@10"]),
                    "speed-up at each catalogue size (chosen setting)": {
                        f"{int(n):,}": round(float(c["speed-up"]), 2) for n, c in chosen.iterrows()
                    },
                    "chosen settings at an end of their grid": edge_note(
                        edge_report(
                            {
                                "efConstruction": (
                                    [e for m, e in HNSW_BUILDS if m == row["M"]],
                                    row["efConstruction"],
                                ),
                                "efSearch": (SWEEPS["hnsw"], row["value"]),
                            }
                        )
                    ),
                },
            )
        )
    table = budget_table(ranking)
    sourced = table[table["budget ms"] == SOURCED_BUDGET_MS].iloc[0]
    estimate, low, high = (sourced[c] / 100_000 - 1 for c in ("rank all fits up to", "low", "high"))
    if np.isfinite([estimate, low, high]).all():
        claims.append(
            judge(
                lesson=NUMBER,
                claim="Two stages are overkill below about 100K items",
                source="the article; no primary source found. The budget: Cheng et al. (2016), section 4.3, "
                "serve each request on the order of 10 ms",
                measured=f"the catalogue size at which a whole one-stage request (user vector, every item's "
                f"features, the ranker; one user, {int(ranking['threads'].iloc[0])} CPU threads) takes "
                f"{SOURCED_BUDGET_MS:g} ms, relative to 100K items; the interval spans the repeated requests' "
                f"2.5th-97.5th percentiles, and the crossing lies between the measured "
                f"{sourced['largest measured within']:,.0f} and {sourced['smallest measured beyond']:,.0f} items. "
                f"Cheng et al.'s budget is for scoring the candidates their retrieval returned, on many threads; "
                f"the size one stage fits depends on this machine as much as on the method",
                evidence=f"{evidence}: the whole-request timings",
                effect=Effect(
                    metric="crossover size / 100K - 1",
                    estimate=estimate,
                    low=low,
                    high=high,
                    relative=True,
                    n_users=0,
                ),
                threshold=-0.5,
                notes={
                    **{
                        f"one stage fits {b['budget ms']:g} ms up to (items)": round(
                            float(b["rank all fits up to"])
                        )
                        for _, b in table.iterrows()
                        if np.isfinite(b["rank all fits up to"])
                    },
                    "items ranked per ms per thread, at the largest size": round(
                        float(
                            ranking["items"].iloc[-1] / ranking["ms"].iloc[-1] / ranking["threads"].iloc[-1]
                        ),
                        1,
                    ),
                },
            )
        )
    return claims
