"""Lesson 03's claims judged from NCF results: the article's words, what the sources say, the verdict.

Each claim compares two selections of runs of a :class:`Results` on the same
test users, measures the effect with :func:`~recsys_course.evidence.paired_bootstrap`
and judges it with :func:`~recsys_course.evidence.judge`. The lesson calls :func:`judge_claims` and saves
the records the course-wide ledger reads, so a verdict has one source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...evidence import Claim, Effect, Results, confounded, judge, other_metrics
from ...evidence import paired_effect as effect
from . import LESSON

NUMBER = LESSON[:2]  # the lesson's number, as claim records name it

SCRATCH = "NeuMF (scratch)"
FUSED = "GMF+MLP (fused, not fine-tuned)"

DACREMA_2019 = (
    "Ferrari Dacrema et al. (RecSys 2019): of 7 reproducible neural top-n methods, NCF among them, 6 could often "
    "be beaten by simple nearest-neighbour or graph methods; the 7th (Mult-VAE) beat those but not consistently "
    "a well-tuned linear model (SLIM). EASE (Steck, WWW 2019) is a closed-form linear model of the same family"
)

# He et al. (2017), Table 2: NeuMF HR@10 on ML-1M by predictive factors, with and without pretraining
NCF_TABLE_2 = {8: (0.684, 0.688), 16: (0.707, 0.696), 32: (0.726, 0.701), 64: (0.730, 0.705)}


def ncf_gain(factors) -> float:
    """The paper's mean relative HR@10 gain from pretraining at the given sizes (Table 2)."""
    return float(sum(NCF_TABLE_2[f][0] / NCF_TABLE_2[f][1] - 1 for f in factors) / len(factors))


def factor_sizes(results: Results, wanted=None) -> list[int]:
    """The factor sizes the model comparison ran at (only those in ``wanted``, if any of them ran)."""
    frame = results.frame()
    sizes = sorted(int(f) for f in frame.loc[frame["model"] == SCRATCH, "factors"].unique())
    chosen = [f for f in sizes if wanted is None or f in wanted]
    return chosen or sizes


def pooled(results: Results, metric: str, a: str, b: str, sizes) -> Effect:
    """``a`` over ``b`` with the runs at every size in ``sizes`` pooled (each (size, seed) pair one run)."""
    return effect(results, metric, {"model": a, "factors": list(sizes)}, {"model": b, "factors": list(sizes)})


def pretrained_choice(results: Results) -> str:
    """The fine-tuned NeuMF (SGD, the paper's optimizer, or Adam) with the better mean *validation* score."""
    frame = results.frame()
    tuned = frame[frame["model"].isin(["NeuMF (pretrained, SGD)", "NeuMF (pretrained, Adam)"])]
    return str(tuned.groupby("model")["valid"].mean().idxmax())


def best_neumf_size(results: Results) -> int:
    """The factor size whose NeuMF (from scratch) has the best mean *validation* score."""
    frame = results.frame()
    scratch = frame[frame["model"] == SCRATCH]
    return int(scratch.groupby("factors")["valid"].mean().idxmax())


def _sizes_text(sizes) -> str:
    return f"{', '.join(map(str, sizes))} factors" + (" pooled" if len(sizes) > 1 else "")


METRICS = ("hr@10", "ndcg@10", "auc")  # each claim names one as its own; the others are shown beside it
UNEQUAL_TUNING = (
    "the pretrained arm is the better on validation of SGD and Adam fine-tuning at rates chosen on a validation "
    "grid, started from "
    "a fused model that averages two trained models, while NeuMF from scratch trains at one untuned rate "
    "with no weight decay - so tuning budget and model averaging change together with pretraining"
)
NEUMF_UNTUNED = (
    "the tuned MF had its size and weight decay chosen on a validation grid, while NeuMF trains with no weight "
    "decay at the size best without it"
)
SETTLE_NEUMF = "choose NeuMF's size and weight decay on the same validation grid as MF's, and compare again"
SETTLE_FINETUNE = (
    "extend the fine-tuning rates beyond the end the choice sits at (or below the tied ones), choose the rate on "
    "more than one seed, and compare again"
)
SETTLE_PRETRAINING = (
    "tune NeuMF from scratch on the same budget (learning rate and weight decay on validation), widen the "
    "fine-tuning grids until the chosen rates lie inside them, and set pretrained NeuMF against an average of "
    "two NeuMFs trained from scratch"
)


def judge_claims(results: Results, evidence: str, edges: pd.DataFrame | None = None) -> list[Claim]:
    """Every claim lesson 03 tests, judged from ``results`` (``evidence`` says which run made them).

    Each claim is measured on its own metric (one of :data:`METRICS`) and shows
    the other two beside it, saying when they point the other way. ``edges``
    (:func:`.tuning.edges` of the settings' grid) tells whether the data chose the
    fine-tuning rate the fine-tuning claim depends on.
    """
    sizes = factor_sizes(results)
    large = factor_sizes(results, wanted=(32, 64))
    frame = results.frame()
    pretrained = pretrained_choice(results)
    recipe = pretrained.split(", ")[1].rstrip(")")
    # a pooled record's runs are (size, seed) pairs, not seeds
    pooled_note = {
        "runs pooled": f"{frame['seed'].nunique()} seeds at each of the sizes named, each pair one run"
    }
    claims = []

    def add(
        claim,
        source,
        measured,
        compare,
        metric="hr@10",
        threshold=0.01,
        direction="above",
        confound=None,
        settle=None,
        notes=None,
    ):
        """``compare(metric)`` measures the effect on any metric; ``confound`` makes the record confounded;
        ``notes`` go after the other metrics."""
        primary = compare(metric)
        record = dict(
            lesson=NUMBER,
            claim=claim,
            source=source,
            measured=measured,
            evidence=evidence,
            effect=primary,
            threshold=threshold,
            direction=direction,
            notes={
                **other_metrics(primary, {m: compare(m) for m in METRICS if m != metric}),
                **(notes or {}),
            },
        )
        claims.append(
            confounded(**record, confound=confound, settle=settle or SETTLE_PRETRAINING)
            if confound
            else judge(**record)
        )

    paper = {f: ncf_gain([f]) for f in NCF_TABLE_2}
    add(
        "Pretraining GMF and MLP before fusing them into NeuMF gives about 2% AUC",
        f"NCF (He et al. 2017) reports no AUC. Its Table 2 (ML-1M) gives the HR@10 gain of pretraining as "
        f"{paper[8]:+.1%}, {paper[16]:+.1%}, {paper[32]:+.1%} and {paper[64]:+.1%} (relative) at 8, 16, 32 and 64 "
        f"factors; several re-implementations see no gain",
        f"relative gain in sampled AUC of pretrained NeuMF ({recipe} fine-tuning, the better on validation) over "
        f"NeuMF from scratch, {_sizes_text(sizes)}",
        lambda m: pooled(results, m, pretrained, SCRATCH, sizes),
        notes=pooled_note,
        metric="auc",
        confound=UNEQUAL_TUNING,
    )
    paper_large = ncf_gain((32, 64))
    add(
        f"Pretraining raises NeuMF's HR@10 by about {paper_large:.1%} at 32-64 factors, as NCF measured it",
        "NCF Table 2 (ML-1M): NeuMF HR@10 .726/.730 with pretraining vs .701/.705 without, at 32/64 factors",
        f"relative HR@10 gain of pretrained NeuMF ({recipe}) over NeuMF from scratch, {_sizes_text(large)} "
        f"(the claim read as: at least half the paper's gain)",
        lambda m: pooled(results, m, pretrained, SCRATCH, large),
        notes=pooled_note,
        threshold=round(paper_large / 2, 4),
        confound=UNEQUAL_TUNING,
    )
    add(
        "Pretraining works by fine-tuning the fused model, not just by averaging GMF and MLP",
        "NCF section 3.4.1 fine-tunes the fused model with SGD; the paper never scores the fused model before "
        "fine-tuning",
        f"relative HR@10 gain of pretrained NeuMF ({recipe}) over the same GMF+MLP fusion before fine-tuning, "
        f"{_sizes_text(sizes)} (a run whose fine-tuning never beat the fused start on validation keeps it, "
        f"and adds an effect of zero)",
        lambda m: pooled(results, m, pretrained, FUSED, sizes),
        notes=pooled_note,
        confound=finetune_confound(edges, recipe),
        settle=SETTLE_FINETUNE,
    )
    add(
        "NeuMF needs separate embeddings for its GMF and MLP paths",
        "NCF section 3.4 argues that shared embeddings may limit the fused model; it reports no shared run",
        f"relative HR@10 gain of NeuMF with separate embeddings over NeuMF with shared ones, {_sizes_text(sizes)} "
        f"(sharing also changes the size: its GMF product takes the MLP's embedding width, 2x the factors, "
        f"and each id has 2x instead of 3x the factors in embeddings)",
        lambda m: pooled(results, m, SCRATCH, "NeuMF (shared embeddings)", sizes),
        notes=pooled_note,
    )

    if "negatives" in frame and (frame["experiment"] == "negatives").any():
        sweep = frame[frame["experiment"] == "negatives"]
        compute = sweep.groupby("negatives")["examples to best"].mean()

        def ratio(a, b):
            return lambda m: effect(
                results,
                m,
                {"experiment": "negatives", "negatives": a},
                {"experiment": "negatives", "negatives": b},
            )

        add(
            "4 negatives per positive is canonical: 1:1 underfits",
            "NCF Fig. 7: the best results lie around 3-6 sampled negatives per positive",
            "relative HR@10 gain of GMF with 4 negatives over 1, each trained to its best validation epoch",
            ratio(4, 1),
        )
        claims[-1].notes["compute 4 vs 1"] = float(compute.loc[4] / compute.loc[1])
        if results.curves:
            claims[-1].notes["at 1:1's compute (validation NDCG@10, mean over seeds)"] = at_equal_compute(
                results, 4, 1
            )
        add(
            "... and 1:10 wastes compute",
            "NCF Fig. 7: no gain beyond about 6 negatives; Rendle et al. (2020) used 8 for their best MF on ML-1M",
            f"relative HR@10 gain of GMF with 8 negatives over 4 (8 is the swept ratio nearest 10), which cost "
            f"{compute.loc[8] / compute.loc[4]:.1f}x the training examples to reach its best epoch",
            ratio(8, 4),
            direction="below",
        )
        claims[-1].notes["compute 8 vs 4"] = float(compute.loc[8] / compute.loc[4])

    mf = frame[frame["experiment"] == "tuned MF"]
    if len(mf):
        tuned = (
            f"tuned MF (d={int(mf['factors'].iloc[0])}, weight decay {mf['setting: mf_weight_decay'].iloc[0]:g})"
            if "setting: mf_weight_decay" in mf
            else "tuned MF"
        )
        add(
            "Weight decay on biases hurts",
            "no source found; Rendle et al. (2020) regularise MF's biases like every other parameter",
            f"relative HR@10 change of {tuned} with weight decay on its biases over the same without (both at the "
            f"weight decay tuned with decay on every parameter; L2 added to the gradient inside Adam, not AdamW's "
            f"decoupled decay)",
            lambda m: effect(results, m, {"model": "tuned MF"}, {"model": "tuned MF, no decay on biases"}),
            threshold=-0.01,
            direction="below",
        )
    neumf, neumf_text, neumf_confound = tuned_neumf(results)
    plain = {"model": SCRATCH, "factors": best_neumf_size(results)}

    def untuned(baseline: dict, one_run: bool = False) -> dict:
        """Beside a tuned NeuMF's record: the lesson's NeuMF (no weight decay, the lesson's size) instead."""
        if neumf_confound is not None:
            return {}
        gap = effect(results, "hr@10", plain, baseline, baseline=one_run)
        return {f"NeuMF from scratch ({plain['factors']} factors, no weight decay) instead": str(gap)}

    if len(mf):
        add(
            "NeuMF beats matrix factorisation",
            "Rendle et al. (RecSys 2020): a tuned dot-product MF reaches HR@10 .7294 / NDCG@10 .4523 on ML-1M, "
            "NeuMF .7093 / .4349",
            f"relative HR@10 gain of {neumf_text} over {tuned}",
            lambda m: effect(results, m, neumf, {"model": "tuned MF"}),
            confound=neumf_confound,
            settle=SETTLE_NEUMF,
            notes=untuned({"model": "tuned MF"}),
        )
        add(
            "MF with proper regularisation often beats NeuMF below about 1M interactions",
            "the article's own FAQ; Rendle et al. (2020) show it on ML-1M (1M interactions), ML-100K has 100K",
            f"relative HR@10 gain of {tuned} over {neumf_text}",
            lambda m: effect(results, m, {"model": "tuned MF"}, neumf),
            confound=neumf_confound,
            settle=SETTLE_NEUMF,
        )
    ease = frame[frame["model"] == "EASE"]
    if len(ease):
        add(
            "NeuMF beats a tuned non-neural baseline",
            DACREMA_2019,
            f"relative HR@10 gain of {neumf_text} over EASE (ridge penalty {ease['l2'].iloc[0]:g}, chosen on "
            f"validation), both fitted on the training rows only",
            lambda m: effect(results, m, neumf, {"model": "EASE"}, baseline=True),
            confound=neumf_confound,
            settle=SETTLE_NEUMF,
            notes=untuned({"model": "EASE"}, one_run=True),
        )
    return claims


def finetune_confound(edges: pd.DataFrame | None, recipe: str) -> str | None:
    """Why the fine-tuning claim cannot be judged, if its rate sits at an end of its grid or every rate tied."""
    row = f"fine-tune {recipe} rate"
    if edges is None or row not in edges.index or not edges.loc[row, "at edge"]:
        return None
    where = edges.loc[row, "at edge"]
    how = (
        "where every rate tied on validation (none improved on the fused start)"
        if where == "every value ties"
        else f"at the {where} end of its grid {{{edges.loc[row, 'grid']}}}"
    )
    return (
        f"the {recipe} fine-tuning rate ({edges.loc[row, 'chosen']:g}) was chosen {how}, so the data did not "
        f"choose the rate this comparison depends on"
    )


def at_equal_compute(results: Results, more: int, fewer: int, monitor: str = "ndcg@10") -> dict:
    """Each ratio's best validation ``monitor`` within the training examples the ``fewer`` run used to reach
    its best epoch, seed by seed, averaged: whether ``more`` negatives help when both get the same compute."""
    curves = pd.concat(results.curves, ignore_index=True)
    best = {more: [], fewer: []}
    for _, runs in curves.groupby("seed"):
        low = runs[runs["negatives"] == fewer]
        budget = low.loc[low[monitor].idxmax(), "examples"]
        for n in (more, fewer):
            within = runs[(runs["negatives"] == n) & (runs["examples"] <= budget)]
            best[n].append(float(within[monitor].max()) if len(within) else float("nan"))
    return {f"{n} negatives": float(np.nanmean(v)) for n, v in best.items()}


def tuned_neumf(results: Results) -> tuple[dict, str, str | None]:
    """The NeuMF set against the tuned baselines: ``(selection, words, confound)``. The tuned NeuMF (size and
    weight decay on MF's grid) where the results hold it; else NeuMF from scratch at the size best on
    validation, with no weight decay - a confound, as MF had both tuned."""
    frame = results.frame()
    runs = frame[frame["model"] == "tuned NeuMF"]
    if len(runs):
        decay = runs["setting: neumf_weight_decay"].iloc[0] if "setting: neumf_weight_decay" in runs else 0.0
        words = (
            f"NeuMF with its size ({int(runs['factors'].iloc[0])} factors) and weight decay ({decay:g}) chosen on "
            f"the same validation grid as MF's"
        )
        return {"model": "tuned NeuMF"}, words, None
    size = best_neumf_size(results)
    words = f"NeuMF ({size} factors, the size best on validation; no weight decay)"
    return {"model": SCRATCH, "factors": size}, words, NEUMF_UNTUNED
