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

    def against_best(size):
        return paired_bootstrap(
            results.per_user("auc", factors=size),
            results.per_user("auc", factors=best),
            metric="sampled AUC",
            relative=True,
        )

    effect = against_best(chosen)
    decays = frame.groupby("factors")["weight_decay"].first() if "weight_decay" in frame else None
    training = (
        "each size at its own weight decay chosen on validation"
        if decays is not None and (decays > 0).any()
        else "every size at one learning rate, no weight decay"
    )
    # what any other fixed choice would have given up: a rule is only useful if some sizes lose more than it
    others = {int(d): float(against_best(d).estimate) for d in valid.index if d != best}
    return [
        judge(
            lesson=NUMBER,
            claim="Start at d = 32 and double the embedding size until AUC moves by less than 0.5%",
            source="no source given; a rule of thumb",
            measured=f"relative test AUC of the size the rule picks on validation (d = {chosen}) over the size with "
            f"the best validation AUC in the sweep (d = {best}), {training}; read as: the rule, which stops at the "
            f"first doubling that gains less than 0.5% (a loss included), gives up less than its own 0.5%",
            evidence=evidence,
            effect=effect,
            threshold=-0.005,
            direction="above",
            notes={
                "rule picks": chosen,
                "best on validation": best,
                "every other size against the best (relative test AUC)": others,
                **(
                    {"weight decay by size": {int(d): float(v) for d, v in decays.items()}}
                    if decays is not None
                    else {}
                ),
            },
        )
    ]
