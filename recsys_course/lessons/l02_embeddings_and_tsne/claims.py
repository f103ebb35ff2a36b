"""Lesson 02's claim: the "start at d = 32 and double" rule, judged from the embedding-size sweep.

The lesson calls :func:`judge_claims` and saves the record that the course-wide ledger reads: one source.
"""

from __future__ import annotations

from ...evidence import Claim, Results, judge, paired_bootstrap
from . import LESSON
from .dimensions import doubling_rule

NUMBER = LESSON[:2]  # the lesson's number, as claim records name it


def judge_claims(results: Results, evidence: str) -> list[Claim]:
    """The rule's verdict: does the size it picks on validation lose less than 0.5% test AUC to the best size?

    The notes set every other size against the best with its interval, and name the fixed sizes the rule
    could have picked (32 and up) that pass the same test: where one does, the verdict says little about
    the rule itself.
    """
    frame = results.frame()
    valid = frame.groupby("factors")["valid auc"].mean()
    if 32 not in valid.index:
        raise ValueError(f"the rule starts at d = 32, which the sweep lacks (sizes: {list(valid.index)})")
    chosen, steps = doubling_rule(valid)
    best = int(valid.idxmax())
    threshold = -0.005

    def against_best(size):
        return paired_bootstrap(
            results.per_user("auc", factors=size),
            results.per_user("auc", factors=best),
            metric="sampled AUC",
            relative=True,
        )

    effect = against_best(chosen)
    tuned = "weight_decay" in frame and (frame["weight_decay"] > 0).any()
    training = (
        "each size at its own learning rate and weight decay, chosen on validation on one tuning seed"
        if tuned
        else "every size at one learning rate, no weight decay"
    )
    # what any other fixed choice would have given up: a rule is only useful if some sizes lose more than it
    others = {int(d): against_best(d) for d in valid.index if d != best}
    as_good = [d for d, e in others.items() if d >= 32 and d != chosen and e.low > threshold]
    notes = {
        "rule picks": chosen,
        "best on validation": best,
        "the rule's steps": steps,
        "every other size against the best (relative test AUC)": {
            d: f"{e.format()} [{e.format(e.low)}, {e.format(e.high)}]" for d, e in others.items()
        },
        "fixed sizes the rule could pick that pass the same test": as_good,
    }
    if tuned:
        settings = frame.groupby("factors")[["lr", "weight_decay"]].first()
        notes["learning rate and weight decay by size"] = {
            int(d): (float(row.lr), float(row.weight_decay)) for d, row in settings.iterrows()
        }
    return [
        judge(
            lesson=NUMBER,
            claim="Start at d = 32 and double the embedding size until AUC moves by less than 0.5%",
            source="no source given; a rule of thumb",
            measured=f"relative test AUC of the size the rule picks on validation (d = {chosen}) over the size with "
            f"the best validation AUC in the sweep (d = {best}), {training}; the rule stops at the first doubling "
            f"that gains less than 0.5% (a loss included), and the course reads its 0.5% as a bound on what the "
            f"rule may give up against the best size",
            evidence=evidence,
            effect=effect,
            threshold=threshold,
            direction="above",
            notes=notes,
        )
    ]
