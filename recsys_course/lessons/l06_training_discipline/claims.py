"""Lesson 06's verdicts, judged from the committed full-size results: the CTR benchmark and the training advice.

The benchmark's claims - the article's caption ("deep models showing 4-13% improvement over MF"),
"every additional source of nonlinearity buys a few AUC points", and the DIN paper's own steps
(attention, Dice) - then one function per piece of advice: samplers, defaults, dropout, patience,
clipping, the metric table, cold start. Each turns a :class:`Results` (or a recorded table) into
:class:`~recsys_course.evidence.Claim` records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...evidence import Claim, Effect, Results, judge, mean_interval, paired_bootstrap, paired_effect
from . import LESSON
from .samplers import SAMPLERS

NUMBER = LESSON[:2]  # the lesson's number, as claim records name it

ARTICLE = "the article's training advice; no source given"
ONE_PERCENT = 0.01  # the rule's threshold for a claim with no size, relative
TENTH_POINT = 0.001  # AUC: the size of the DIN paper's steps between models (0.0004-0.0037), as in lesson 05
HALF_POINT = 0.005  # AUC: "works" = within half of the one point the benchmark calls "a few points"
DIN_TABLE = {
    "LR": 0.7263,
    "BaseModel": 0.7300,
    "Wide & Deep": 0.7304,
    "PNN": 0.7321,
    "DeepFM": 0.7324,
    "DIN": 0.7337,
    "DIN + Dice": 0.7348,
}
DIN_SOURCE = (
    "Zhou et al. (KDD 2018), Table 3, MovieLens-20M (ratings 4-5 positive), user-weighted AUC: LR 0.7263, "
    "BaseModel 0.7300, Wide&Deep 0.7304, PNN 0.7321, DeepFM 0.7324, DIN 0.7337, DIN+Dice 0.7348"
)
BARS_SOURCE = "BARS (Zhu et al., SIGIR 2022), Criteo: LR 0.7886, FM 0.8022, Wide&Deep 0.8139, DeepFM 0.8138"
DEEP_MODELS = ("Wide & Deep", "DeepFM", "DIN")
STEPS = (("FM", "MF"), ("Wide & Deep", "FM"), ("DeepFM", "Wide & Deep"), ("DIN", "DeepFM"))
CAPTION_LOW = 0.04  # "4-13%": the least gain that makes the caption true
# "a few AUC points": we take one point (0.01 AUC) as the least that could be called a few
A_FEW_POINTS = 0.01


def _claim(text, source, measured, evidence, effect, threshold, direction="above", notes=None) -> Claim:
    return judge(
        lesson=NUMBER,
        claim=text,
        source=source,
        measured=measured,
        evidence=evidence,
        effect=effect,
        threshold=threshold,
        direction=direction,
        notes=notes,
    )


def benchmark_claims(results: Results, evidence: str) -> list[Claim]:
    """The caption per deep model, each nonlinearity step, and the DIN paper's attention and Dice steps."""

    def claim(text, source, measured, effect, threshold):
        return _claim(text, source, measured, evidence, effect, threshold)

    claims = [
        claim(
            f"{model} improves AUC over MF by 4-13%",
            f"the article's caption of its chart 1; {BARS_SOURCE}",
            f"relative test AUC of {model} over MF",
            paired_effect(results, "auc", {"model": model}, {"model": "MF"}),
            CAPTION_LOW,
        )
        for model in DEEP_MODELS
    ]
    claims += [
        claim(
            f"Adding a source of nonlinearity buys a few AUC points: {a} over {b}",
            f"the article; {BARS_SOURCE}; {DIN_SOURCE}",
            f"test AUC of {a} minus {b}",
            paired_effect(results, "auc", {"model": a}, {"model": b}, relative=False),
            A_FEW_POINTS,
        )
        for a, b in STEPS
    ]
    for a, b in (("DIN", "BaseModel"), ("DIN + Dice", "DIN")):
        gain = DIN_TABLE[a] - DIN_TABLE[b]
        claims.append(
            claim(
                f"{a} beats {b} in user-weighted AUC",
                DIN_SOURCE,
                f"user-weighted test AUC of {a} minus {b} (the paper: {gain:+.4f}; we ask for half)",
                paired_effect(results, "uauc", {"model": a}, {"model": b}, relative=False),
                gain / 2,
            )
        )
    return claims


def stronger_mf_claim(benchmark: Results, defaults: Results, evidence: str) -> Claim:
    """FM of the benchmark against MF trained with the defaults (weight decay 1e-5), a stronger MF on the same users."""
    seeds = sorted(set(benchmark.runs(model="FM")["seed"]) & set(defaults.runs(model="MF")["seed"]))
    effect = paired_bootstrap(
        benchmark.per_user("auc", model="FM", seed=seeds),
        defaults.per_user("auc", model="MF", setting="defaults", seed=seeds),
        metric="auc",
    )
    return _claim(
        "Adding a source of nonlinearity buys a few AUC points: FM over MF trained with the defaults",
        "the article; BARS (Zhu et al., SIGIR 2022), Criteo: LR 0.7886, FM 0.8022",
        "test AUC of FM minus MF with Adam 1e-3, weight decay 1e-5 and ReduceLROnPlateau (section 4), "
        "a stronger MF than the benchmark's",
        evidence,
        effect,
        A_FEW_POINTS,
    )


def sampler_claims(results: Results, evidence: str) -> list[Claim]:
    """Each sampler against uniform, on lesson 03's 99 sampled candidates and on the whole catalogue."""
    claims = []
    for metric, protocol in (
        ("ndcg@10", "99 sampled candidates, lesson 03's protocol"),
        ("catalogue ndcg@10", "the whole catalogue"),
    ):
        for sampler in SAMPLERS[1:]:
            claims.append(
                _claim(
                    f"Uniform negatives are hard to beat: {sampler} negatives do no better ({protocol})",
                    "the article; no source given",
                    f"relative test NDCG@10 of MF trained with {sampler} negatives over uniform ones, ranked against "
                    f"{protocol}",
                    evidence,
                    paired_effect(results, metric, {"sampler": sampler}, {"sampler": "uniform"}),
                    ONE_PERCENT,
                    "below",
                )
            )
    return claims


def defaults_claims(results: Results, evidence: str) -> list[Claim]:
    """Per model: the defaults' test AUC minus the tuned rate's, which must lose less than half a point."""
    claims = []
    for model in results.frame()["model"].unique():
        claims.append(
            _claim(
                f"Adam 1e-3 + weight decay 1e-5 + ReduceLROnPlateau works for {model}",
                ARTICLE + " (it says: for >90% of models)",
                f"test AUC of {model} with the defaults minus with its validation-tuned rate; 'works' = loses "
                f"less than {HALF_POINT} AUC",
                evidence,
                paired_effect(
                    results,
                    "auc",
                    {"model": model, "setting": "defaults"},
                    {"model": model, "setting": "tuned"},
                    relative=False,
                ),
                -HALF_POINT,
            )
        )
    return claims


def dropout_claims(results: Results, evidence: str) -> list[Claim]:
    """Dropout 0.2 and 0.3 against none, and 0.5 against 0.3 (DeepFM's test AUC)."""

    def gain(a, b):
        return paired_effect(results, "auc", {"dropout": a}, {"dropout": b}, relative=False)

    claims = [
        _claim(
            f"Dropout {rate:g} helps: it beats no dropout",
            ARTICLE + " (it says: dropout 0.2-0.3)",
            f"test AUC of DeepFM with dropout {rate:g} minus without",
            evidence,
            gain(rate, 0.0),
            TENTH_POINT,
        )
        for rate in (0.2, 0.3)
    ]
    claims.append(
        _claim(
            "Higher dropout hurts: 0.5 does worse than 0.3",
            ARTICLE + " (it says: higher hurts)",
            "test AUC of DeepFM with dropout 0.5 minus with 0.3",
            evidence,
            gain(0.5, 0.3),
            -TENTH_POINT,
            "below",
        )
    )
    return claims


def patience_claim(table: pd.DataFrame, n_users: int, evidence: str, short: int = 1, long: int = 5) -> Claim:
    """Patience ``long`` against ``short``, replayed on recorded curves: the test AUC of the weights each keeps.

    Where every run keeps the same epoch at both patiences, the two keep the
    same weights, so every user's score is the same and the effect is exactly
    zero; otherwise the interval treats the runs as the units.
    """
    pick = lambda p: table[table["patience"].astype(str) == str(p)].set_index(["model", "seed"])  # noqa: E731
    a, b = pick(long), pick(short)
    runs = len(a)
    if (a["keeps epoch"] == b["keeps epoch"]).all():
        effect = Effect("test AUC", 0.0, 0.0, 0.0, n_users=n_users, n_seeds=table["seed"].nunique())
    else:
        effect = mean_interval(
            (a["test AUC"] - b.loc[a.index, "test AUC"]).to_numpy()[None, :], metric="test AUC"
        )
    extra = float((a["epochs trained"] - b.loc[a.index, "epochs trained"]).mean())
    return _claim(
        f"Early stopping needs patience 5-10: patience {long} keeps a better model than patience {short}",
        ARTICLE + " (it says: early stopping on validation AUC, patience 5-10)",
        f"test AUC of the weights kept at patience {long} minus at patience {short}, over {runs} runs "
        f"(MF, NeuMF, Wide & Deep x seeds, each at a constant rate); patience {long} trains {extra:.1f} "
        f"more epochs on average",
        evidence,
        effect,
        TENTH_POINT,
        notes={"extra epochs": extra},
    )


def clipping_claim(results: Results, evidence: str, clip: str = "1") -> Claim:
    """Clipping at ``clip`` against none: the test AUC of the weights early stopping would keep."""
    return _claim(
        f"Gradient clipping at norm {clip} costs the kept model nothing",
        "the article's training advice (clip gradients); Pascanu et al. (ICML 2013) introduced norm "
        "clipping against exploding gradients",
        f"test AUC of the best-validation weights of Wide & Deep clipped at norm {clip} minus unclipped",
        evidence,
        paired_effect(results, "auc", {"clip": clip}, {"clip": "none"}, relative=False),
        -TENTH_POINT,
    )


def calibration_claims(results: Results, evidence: str) -> list[Claim]:
    """Tuned against defaults in AUC and LogLoss, and what temperature scaling does to the tuned model's LogLoss."""
    model = results.frame()["model"].iloc[0]

    def diff(metric, a, b):
        return paired_effect(results, metric, {"setting": a}, {"setting": b}, relative=False)

    source = (
        "the article's metric table: AUC for ranking, LogLoss for calibrated probabilities; temperature "
        "scaling: Guo et al. (ICML 2017)"
    )
    return [
        _claim(
            f"{model} at its tuned rate ranks better than with the defaults",
            source,
            f"test AUC of {model} tuned minus defaults",
            evidence,
            diff("auc", "tuned", "defaults"),
            0.0,
        ),
        _claim(
            f"{model} at its tuned rate gives worse probabilities than with the defaults",
            source,
            f"test LogLoss of {model} tuned minus defaults (above zero: worse)",
            evidence,
            diff("logloss", "tuned", "defaults"),
            0.0,
        ),
        _claim(
            "Temperature scaling mends the LogLoss",
            source,
            f"test LogLoss of {model} tuned, divided by a temperature fitted on validation, minus undivided",
            evidence,
            diff("logloss", "tuned + temperature", "tuned"),
            0.0,
            "below",
        ),
    ]


def selection_claims(results: Results, chosen: dict[str, str], evidence: str) -> list[Claim]:
    """The regressor validation AUC chose against the one validation RMSE chose, in test AUC and test RMSE."""
    by_auc, by_rmse = {"model": chosen["auc"]}, {"model": chosen["rmse"]}
    source = "the article's metric table: RMSE for rating prediction, AUC for ranking"
    rmse_effect = paired_bootstrap(
        results.per_user("mse", **by_auc),
        results.per_user("mse", **by_rmse),
        metric="test RMSE",
        transform=np.sqrt,
    )
    return [
        _claim(
            "Choosing by RMSE gives up ranking: the AUC-chosen model ranks better",
            source,
            f"test AUC of the model validation AUC chose ({chosen['auc']}) minus the one validation RMSE chose "
            f"({chosen['rmse']})",
            evidence,
            paired_effect(results, "auc", by_auc, by_rmse, relative=False),
            TENTH_POINT,
        ),
        _claim(
            "Choosing by AUC gives up rating accuracy: the RMSE-chosen model predicts stars better",
            source,
            "test RMSE of the AUC-chosen model minus the RMSE-chosen one (above zero: worse)",
            evidence,
            rmse_effect,
            0.0,
        ),
    ]


def cold_start_claims(results: Results, evidence: str) -> list[Claim]:
    """Genre-mean start against random (the FAQ's comparison), and against the mean of all movies (the genres'
    share)."""
    source = "the article's FAQ on cold start; no source given"
    genre = {"model": "genre-mean start"}
    return [
        _claim(
            "New items start better at their genre's mean embedding than at random",
            source,
            "relative test AUC on the held-out movies' impressions, genre-mean start over random start",
            evidence,
            paired_effect(results, "auc", genre, {"model": "random start"}),
            ONE_PERCENT,
        ),
        _claim(
            "The genre is what helps: a genre-mean start beats the mean of all movies",
            source,
            "relative test AUC on the held-out movies' impressions, genre-mean start over all-movies mean start",
            evidence,
            paired_effect(results, "auc", genre, {"model": "all-movies mean start"}),
            ONE_PERCENT,
        ),
    ]
