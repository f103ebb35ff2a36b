"""Lesson 05's claims judged from the Wide & Deep results: the article's words, the sources, the verdict.

Each compares two kinds of run of a :class:`Results` on the same test users
(or, for UCI Adult, the same test rows) with
:func:`~recsys_course.evidence.paired_effect` and
:func:`~recsys_course.evidence.judge`. Thresholds are half the gain the source reports.
"""

from __future__ import annotations

import pandas as pd

from ...evidence import Claim, Results, confounded, contrast_bootstrap, judge, other_metrics, paired_effect
from ...training.wide_deep import PAPER
from . import LESSON
from .tuning import BUDGET
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
PAPER_SCALE = (
    "the paper's gaps were measured on Google Play, a model trained on over 500 billion examples (Cheng et al., "
    "section 4); here about 80 thousand training impressions leave the wide part far fewer repeated crosses to "
    "memorise, so the sizes of the gaps need not carry over"
)
SETTLE_STOPPING = (
    "give the joint model a stopping point per part - e.g. keep training the wide part, the deep part frozen at "
    "its best epoch, while validation AUC improves - and compare with the ensemble again"
)


def contrast(slices: dict[str, Results], a: dict, b: dict, first: str, second: str, metric: str = "auc"):
    """How much more ``a`` gains over ``b`` on slice ``first`` than on slice ``second`` (the same seeds),
    with an interval that keeps the users the two slices share (:func:`~recsys_course.evidence.contrast_bootstrap`)."""
    groups = []
    for name in (first, second):
        results = slices[name]
        seeds = sorted(set(results.runs(**a)["seed"]) & set(results.runs(**b)["seed"]))
        groups.append(
            (
                results.per_user(metric, **a, seed=seeds),
                results.per_user(metric, **b, seed=seeds),
                results.users,
            )
        )
    return contrast_bootstrap(*groups, metric=f"{metric.upper()} gain, {first} minus {second}")


def half_paper_gain(a: str, b: str) -> float:
    """Half the offline AUC gain of ``a`` over ``b`` in Cheng et al.'s Table 1: the threshold of a claim 'a beats b'."""
    return (PAPER_AUC[a] - PAPER_AUC[b]) / 2


def movielens_claims(everything: Results, slices: dict[str, Results], evidence: str) -> list[Claim]:
    """Joint against each half and the ensemble; the memorisation slices; the optimizer claim (test AUC)."""
    joint = {"model": "joint", "optimizer": PAPER}

    def auc_gain(a: dict, b: dict, results: Results = everything):
        return paired_effect(results, "auc", a, b, relative=False)

    def logloss_cut(a: dict, b: dict) -> dict:
        """LogLoss beside AUC: how much lower ``a``'s is than ``b``'s (positive: ``a`` is better)."""
        return {"LogLoss, lower by": paired_effect(everything, "logloss", b, a, relative=False)}

    def claim(text, source, measured, effect, threshold, notes=None):
        return judge(
            lesson=NUMBER,
            claim=text,
            source=source,
            measured=measured,
            evidence=evidence,
            effect=effect,
            threshold=threshold,
            notes=notes,
        )

    frame = everything.frame()
    epochs = frame.groupby(["model", "optimizer"])["best epoch"].mean()
    joint_epoch, wide_epoch = epochs.get(("joint", PAPER)), epochs.get(("wide", "FTRL+L1"))
    zero = frame.groupby(["model", "optimizer"])["zero share"].mean()
    joint_zero, wide_zero = zero.get(("joint", PAPER)), zero.get(("wide", "FTRL+L1"))
    switched_off = {}
    if joint_zero is not None and joint_zero > 0.999:
        switched_off["the joint model's wide part"] = (
            f"the FTRL settings chosen on validation leave {joint_zero:.3%} of the wide weights training uses at "
            "exactly zero, so the joint model is in effect its deep part alone, and a gain over the deep model is "
            "the difference between two random starts"
        )
    budget = f"each optimizer's two settings chosen on validation from one grid of {BUDGET}"
    unlike = (
        {
            "what else differs": "FTRL's L1 switched the joint model's wide part off, and neither Adam has a "
            "regulariser on the wide table: the comparison sets the deep part alone against an unregularised wide "
            "part plus the deep part"
        }
        if switched_off
        else {}
    )
    claims = [
        claim(
            "Joint Wide & Deep beats the wide model alone",
            CHENG_TABLE_1,
            "test AUC of the joint model minus the wide-only model (both with FTRL on the wide part)",
            auc_gain(joint, {"model": "wide"}),
            half_paper_gain("joint", "wide"),
            {"scale": PAPER_SCALE, **switched_off},
        ),
        claim(
            "Joint Wide & Deep beats the deep model alone",
            CHENG_TABLE_1,
            "test AUC of the joint model minus the deep-only model (both with AdaGrad on the deep part)",
            auc_gain(joint, {"model": "deep"}),
            half_paper_gain("joint", "deep"),
            {"scale": PAPER_SCALE, **switched_off},
        ),
        confounded(
            lesson=NUMBER,
            claim="Joint training is not an ensemble: it does better than averaging separately trained parts",
            source="Cheng et al. (2016), section 3.3: an ensemble trains its parts apart, so each must be large "
            "enough to work alone, while joint training lets a small wide part mend the deep part's "
            "weaknesses - an argument about model size; the paper reports no ensemble's accuracy",
            measured="test AUC of the joint model minus the average of the wide-only and deep-only models' logits",
            evidence=evidence,
            effect=auc_gain(joint, {"model": "ensemble"}),
            threshold=SMALLEST_GAIN,
            confound=(
                "the joint model's two parts share one early-stopping point (they keep the weights of epoch "
                f"{joint_epoch:.1f} on average) while the ensemble's wide part stops on its own (epoch "
                f"{wide_epoch:.1f}): joint training changes together with when each part stops"
                + (
                    f"; and the ensemble's wide part is in use ({1 - wide_zero:.1%} of its weights away from zero) "
                    "while the joint model's is switched off"
                    if switched_off and wide_zero is not None
                    else ""
                )
            ),
            settle=SETTLE_STOPPING,
        ),
        claim(
            "FTRL with L1 on the wide part and AdaGrad on the deep part beats one Adam for both",
            "Cheng et al. (2016), section 3.3 (FTRL with L1 for the wide part, AdaGrad for the deep); "
            "never ablated there, and BARS trains Wide & Deep with a single Adam",
            "test AUC of the joint model with FTRL+L1 / AdaGrad minus the same model with one Adam (lazy on the "
            f"sparse wide table, as TensorFlow's LazyAdam; its rate and weight decay tuned), {budget}",
            auc_gain(joint, {"model": "joint", "optimizer": "one Adam"}),
            SMALLEST_GAIN,
            {
                **other_metrics(
                    auc_gain(joint, {"model": "joint", "optimizer": "one Adam"}),
                    logloss_cut(joint, {"model": "joint", "optimizer": "one Adam"}),
                ),
                **unlike,
            },
        ),
        claim(
            "FTRL with L1 on the wide part and AdaGrad on the deep part beats Adam with a rate per part",
            "as above: the split into two optimisers is the paper's production choice",
            "test AUC of the joint model with FTRL+L1 / AdaGrad minus Adam with its own rate for each part "
            f"(lazy on the wide table; its two rates tuned, no weight decay), {budget}",
            auc_gain(joint, {"model": "joint", "optimizer": "Adam split"}),
            SMALLEST_GAIN,
            {
                **other_metrics(
                    auc_gain(joint, {"model": "joint", "optimizer": "Adam split"}),
                    logloss_cut(joint, {"model": "joint", "optimizer": "Adam split"}),
                ),
                **unlike,
            },
        ),
    ]
    memorises = memorisation_claim(slices, evidence)
    if memorises is not None:
        claims.insert(3, memorises)
    return claims


def memorisation_claim(slices: dict[str, Results], evidence: str) -> Claim | None:
    """The cross's gain on the frequent slice minus its gain on the rare slice: memorisation is a contrast.
    None where a small or synthetic test set has no frequent or no rare slice."""
    rare, frequent = list(SLICES)[0], list(SLICES)[-1]
    if not {rare, frequent} <= set(slices):
        return None
    joint, without = {"model": "joint", "optimizer": PAPER}, {"model": "joint, no liked x movie"}
    effect = contrast(slices, joint, without, frequent, rare)
    gains = {
        name: paired_effect(slices[name], "auc", joint, without, relative=False) for name in (frequent, rare)
    }
    notes = {f"gain on the {name} slice": str(e) for name, e in gains.items()}
    silent = {name: slices[name].runs(**joint).get("cross silent") for name in (frequent, rare)}
    if all(v is not None and v.notna().all() for v in silent.values()):
        notes["share of impressions the cross adds exactly nothing to"] = {
            name: f"{v.mean():.1%}" for name, v in silent.items()
        }
        notes["where the rare slice's gain comes from"] = (
            f"on the rare slice the cross adds exactly nothing to {silent[rare].mean():.1%} of the impressions (a "
            "pair training never showed keeps its zero weight, and FTRL's L1 holds rarely seen pairs at zero); on "
            "those the gain can only come from the rest of the model and from training noise (a model with "
            "another wide table also starts its deep part from other random weights)"
        )
        if silent[frequent].mean() == 1.0:
            notes["what this run can show"] = (
                "the joint model keeps every weight of the cross at zero even where pairs were seen often - the L1 "
                "chosen on validation zeroes its wide part - so this run cannot show memorisation either way"
            )
    return judge(
        lesson=NUMBER,
        claim="The wide part memorises: the liked-movie x movie cross pays where its pairs were seen often, "
        "more than where they were rare",
        source="Cheng et al. (2016), section 1: cross-product features give 'memorization' of frequent "
        "co-occurrences, e.g. AND(installed_app=netflix, impression_app=pandora)",
        measured=f"test AUC gain of the joint model with the {LIKED_CROSS} cross over without it on the impressions "
        f"whose (liked movie, movie) pair was seen {SLICES[frequent][0]} times or more in training, minus the same "
        f"gain on those seen {SLICES[rare][1]} times or fewer (users in both slices kept paired)",
        evidence=evidence,
        effect=effect,
        threshold=SMALLEST_GAIN,
        notes=notes,
    )


def adult_claim(adult: Results, evidence: str) -> Claim:
    """Wide & Deep against the linear model on UCI Adult's test rows (accuracy), beside TensorFlow's tutorial."""
    effect = paired_effect(adult, "accuracy", {"model": "wide & deep"}, {"model": "linear"}, relative=False)
    return judge(
        lesson=NUMBER,
        claim="On the census data, Wide & Deep is more accurate than the linear model",
        source=(
            f"TensorFlow 1.x's census tutorials (UCI Adult): wide & deep {TF_CENSUS['wide & deep']} test accuracy; "
            f"linear {TF_CENSUS['linear']}, from the companion linear-model tutorial on somewhat different columns"
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
