"""Lesson 02's claim: the "start at d = 32 and double" rule, judged from the embedding-size sweep.

The lesson calls :func:`judge_claims` and saves the record that the course-wide ledger reads: one source.
"""

from __future__ import annotations

from ...evidence import Claim, Results, judge, paired_bootstrap
from . import LESSON
from .dimensions import doubling_rule

NUMBER = LESSON[:2]  # the lesson's number, as claim records name it


def judge_claims(results: Results, evidence: str) -> list[Claim]:
    """The rule's verdict: does the size it picks on validation lose less than 0.5% test AUC to the best size?"""
    frame = results.frame()
    valid = frame.groupby("factors")["valid auc"].mean()
    if 32 not in valid.index:
        raise ValueError(f"the rule starts at d = 32, which the sweep lacks (sizes: {list(valid.index)})")
    chosen, _ = doubling_rule(valid)
    best = int(valid.idxmax())
    effect = paired_bootstrap(
        results.per_user("auc", factors=chosen),
        results.per_user("auc", factors=best),
        metric="sampled AUC",
        relative=True,
    )
    return [
        judge(
            lesson=NUMBER,
            claim="Start at d = 32 and double the embedding size until AUC moves by less than 0.5%",
            source="no source given; a rule of thumb",
            measured=f"relative test AUC of the size the rule picks on validation (d = {chosen}) over the size with "
            f"the best validation AUC in the sweep (d = {best}), read as: the rule gives up less than its own 0.5%",
            evidence=evidence,
            effect=effect,
            threshold=-0.005,
            direction="above",
            notes={"rule picks": chosen, "best on validation": best},
        )
    ]
