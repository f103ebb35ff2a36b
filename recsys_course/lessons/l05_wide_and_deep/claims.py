"""Lesson 05's claims judged from the Wide & Deep results: the article's words, the sources, the verdict.

Each compares two kinds of run of a :class:`Results` on the same test users
(or, for UCI Adult, the same test rows) with
:func:`~recsys_course.evidence.paired_effect` and
:func:`~recsys_course.evidence.judge`. Thresholds are half the gain the source reports.
"""

from __future__ import annotations

import pandas as pd

from ...evidence import Claim, Results, judge, paired_effect
from ...training.wide_deep import PAPER
from . import LESSON
from .wide_deep import LIKED_CROSS, SLICES

NUMBER = LESSON[:2]  # the lesson's number, as claim records name it

# Cheng et al. (DLRS 2016), Table 1: offline AUC on Google Play; online acquisition gain.
PAPER_AUC = {"wide": 0.726, "deep": 0.722, "joint": 0.728}
CHENG_TABLE_1 = (
    "Cheng et al. (DLRS 2016), Table 1: offline AUC wide 0.726, deep 0.722, joint 0.728; online "
    "app acquisitions +3.9% for joint over wide, +1% over deep"
)
# TensorFlow 1.x's census tutorial (wide_n_deep_tutorial.py, UCI Adult), test accuracy.
TF_CENSUS = {"linear": 0.8356, "wide & deep": 0.8443}
# AUC: a tenth of a point, the scale of the paper's own offline differences (0.002-0.006)
SMALLEST_GAIN = 0.001


def half_paper_gain(a: str, b: str) -> float:
    """Half the offline AUC gain of ``a`` over ``b`` in Cheng et al.'s Table 1: the threshold of a claim 'a beats b'."""
    return (PAPER_AUC[a] - PAPER_AUC[b]) / 2


def movielens_claims(everything: Results, slices: dict[str, Results], evidence: str) -> list[Claim]:
    """Joint against each half and the ensemble; the memorisation slices; the optimizer claim (test AUC)."""
    joint = {"model": "joint", "optimizer": PAPER}

    def auc_gain(a: dict, b: dict, results: Results = everything):
        return paired_effect(results, "auc", a, b, relative=False)

    def claim(text, source, measured, effect, threshold):
        return judge(
            lesson=NUMBER,
            claim=text,
            source=source,
            measured=measured,
            evidence=evidence,
            effect=effect,
            threshold=threshold,
        )

    frequent = list(SLICES)[-1]
    claims = [
        claim(
            "Joint Wide & Deep beats the wide model alone",
            CHENG_TABLE_1,
            "test AUC of the joint model minus the wide-only model (both with FTRL on the wide part)",
            auc_gain(joint, {"model": "wide"}),
            half_paper_gain("joint", "wide"),
        ),
        claim(
            "Joint Wide & Deep beats the deep model alone",
            CHENG_TABLE_1,
            "test AUC of the joint model minus the deep-only model (both with AdaGrad on the deep part)",
            auc_gain(joint, {"model": "deep"}),
            half_paper_gain("joint", "deep"),
        ),
        claim(
            "Joint training is not an ensemble: it does better than averaging separately trained parts",
            "Cheng et al. (2016), section 3.3: an ensemble trains its parts apart, so each must be large "
            "enough to work alone, while joint training lets a small wide part mend the deep part's "
            "weaknesses - an argument about model size; the paper reports no ensemble's accuracy",
            "test AUC of the joint model minus the average of the wide-only and deep-only models' logits",
            auc_gain(joint, {"model": "ensemble"}),
            SMALLEST_GAIN,
        ),
        claim(
            "FTRL with L1 on the wide part and AdaGrad on the deep part beats one Adam for both",
            "Cheng et al. (2016), section 3.3 (FTRL with L1 for the wide part, AdaGrad for the deep); "
            "never ablated there, and BARS trains Wide & Deep with a single Adam",
            "test AUC of the joint model with FTRL+L1 / AdaGrad minus the same model with one Adam",
            auc_gain(joint, {"model": "joint", "optimizer": "one Adam"}),
            SMALLEST_GAIN,
        ),
        claim(
            "FTRL with L1 on the wide part and AdaGrad on the deep part beats Adam with a rate per part",
            "as above: the split into two optimisers is the paper's production choice",
            "test AUC of the joint model with FTRL+L1 / AdaGrad minus Adam with its own rate for each part",
            auc_gain(joint, {"model": "joint", "optimizer": "Adam split"}),
            SMALLEST_GAIN,
        ),
    ]
    if frequent in slices:  # a small or synthetic test set may have no impression seen that often
        claims.insert(
            3,
            claim(
                "The wide part memorises: the liked-movie x movie cross pays where its pairs were seen often",
                "Cheng et al. (2016), section 1: cross-product features give 'memorization' of frequent "
                "co-occurrences, e.g. AND(installed_app=netflix, impression_app=pandora)",
                f"test AUC of the joint model with the {LIKED_CROSS} cross minus without it, on the test "
                f"impressions with a (liked movie, movie) pair seen {SLICES[frequent][0]} times or more in training",
                auc_gain(joint, {"model": "joint, no liked x movie"}, slices[frequent]),
                SMALLEST_GAIN,
            ),
        )
    return claims


def adult_claim(adult: Results, evidence: str) -> Claim:
    """Wide & Deep against the linear model on UCI Adult's test rows (accuracy), beside TensorFlow's tutorial."""
    effect = paired_effect(adult, "accuracy", {"model": "wide & deep"}, {"model": "linear"}, relative=False)
    return judge(
        lesson=NUMBER,
        claim="On the census data, Wide & Deep is more accurate than the linear model",
        source=(
            f"TensorFlow 1.x's census tutorial (UCI Adult): linear {TF_CENSUS['linear']}, wide & deep "
            f"{TF_CENSUS['wide & deep']} test accuracy"
        ),
        measured="test accuracy of Wide & Deep minus the linear (wide-only) model, per test row",
        evidence=evidence,
        effect=effect,
        threshold=(TF_CENSUS["wide & deep"] - TF_CENSUS["linear"]) / 2,
    )


def slice_effects(slices: dict[str, Results]) -> pd.DataFrame:
    """Per memorisation slice, the test-AUC gain of the liked-movie x movie cross and of the wide part."""
    joint = {"model": "joint", "optimizer": PAPER}
    comparisons = {
        "joint with the cross - joint without it": {"model": "joint, no liked x movie"},
        "joint - deep only": {"model": "deep"},
    }
    rows = []
    for name, results in slices.items():
        for label, other in comparisons.items():
            e = paired_effect(results, "auc", joint, other, relative=False)
            rows.append(
                {
                    "slice": name,
                    "comparison": label,
                    "gain": e.estimate,
                    "low": e.low,
                    "high": e.high,
                    "users": e.n_users,
                    "seeds": e.n_seeds,
                }
            )
    return pd.DataFrame(rows)
