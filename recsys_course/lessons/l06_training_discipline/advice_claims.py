"""Lesson 06's verdicts on the article's training advice, judged from the committed full-size results.

One function per piece of advice - samplers, the recipe, dropout, patience, clipping, the metric
table, cold start, the GPU - each turning a :class:`Results` (or a recorded table) into
:class:`~recsys_course.evidence.Claim` records; the benchmark's verdicts are in :mod:`.claims`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...evidence import Claim, Results, paired_bootstrap, paired_effect
from .claims import ARTICLE, HALF_POINT, NUMBER, ONE_PERCENT, TENTH_POINT, _claim
from .samplers import SAMPLERS


def _setting(frame: pd.DataFrame, sampler: str) -> str:
    row = frame[frame["sampler"] == sampler].iloc[0]
    knob = (
        f"weight decay {row['weight_decay']:g}"
        if np.isnan(row["temperature"])
        else f"T {row['temperature']:g}"
    )
    return f"{sampler} at rate {row['lr']:g}, {knob}"


SAMPLER_FIXED = (
    "MF's size (64) and the samplers' own settings stay as lesson 03 and the literature set them: the popularity "
    "sampler's count^0.75, the hard sampler's pool of 20 with 4 kept, and the weight decay 1e-5 of the samplers "
    "that tune a temperature; on MF's unnormalised scores a temperature also rescales the effective rate and decay"
)
SAMPLER_READING = (
    "'no better' holds when the whole interval lies below a 1% gain: it says the sampler does not beat uniform, "
    "not that it is as good"
)
SOFTMAX_LOSS = (
    "the in-batch samplers also change the loss: a softmax over the batch's other targets, against BCE with 4 "
    "sampled negatives for uniform"
)


def _edges_of(edges: pd.DataFrame | None, sampler: str) -> dict:
    """The note naming ``sampler``'s settings chosen at an end of their grid (:func:`.samplers.edges`), if any."""
    if edges is None:
        return {}
    mine = edges[(edges.index.str.rsplit(" ", n=1).str[0] == sampler) & (edges["at edge"] != "")]
    flagged = [
        f"{name.rsplit(' ', 1)[1]} {row['chosen']:g} ({row['at edge']} of {row['grid']})"
        for name, row in mine.iterrows()
    ]
    return {f"{sampler} at a grid edge": "; ".join(flagged)} if flagged else {}


def sampler_claims(results: Results, evidence: str, edges: pd.DataFrame | None = None) -> list[Claim]:
    """Each sampler against uniform on the whole catalogue (the primary protocol), then on lesson 03's 99
    sampled candidates; every sampler was tuned with the same budget (:func:`.samplers.grid`), and ``edges``
    (:func:`.samplers.edges`) lets each record name the settings chosen at an end of their grid."""
    frame = results.frame()
    claims = []
    for metric, protocol in (
        ("catalogue ndcg@10", "the whole catalogue"),
        ("ndcg@10", "99 sampled candidates, lesson 03's protocol"),
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
                    notes={
                        "tuning": (
                            "each sampler chose among 16 settings on validation NDCG@10 against the whole catalogue, "
                            f"on tuning seed 5: {_setting(frame, sampler)}; {_setting(frame, 'uniform')}"
                        ),
                        "kept fixed": SAMPLER_FIXED,
                        "reading": SAMPLER_READING,
                        **({"also changes": SOFTMAX_LOSS} if sampler.startswith("in-batch") else {}),
                        **_edges_of(edges, sampler),
                        **_edges_of(edges, "uniform"),
                    },
                )
            )
    return claims


RECIPE_TEXT = (
    "Adam 1e-3, weight decay 1e-5, ReduceLROnPlateau (factor 0.5, patience 3) on validation loss, clipping at "
    "norm 5.0, dropout 0.2 in DeepFM's tower, early stopping on validation AUC with patience 5"
)
RECIPE_DIFFERENCES = (
    "clipping is on from the first step (the article: when the loss spikes; at norm 5.0 it binds only on a "
    "spike); dropout goes to DeepFM's ReLU tower (DIN's PReLU tower has no dropout layers); patience is the low "
    "end of the article's 5-10; the tuned side's rate and weight decay were chosen at the benchmark's patience 2, "
    "and here stop at patience 5 like the recipe"
)


def defaults_claims(results: Results, evidence: str, patience: int = 5, cap: int = 40) -> list[Claim]:
    """Per model: the recipe's test AUC minus the tuned setting's, which must lose less than half a point; the
    notes count the runs that reached the ``cap`` on epochs (where more epochs might have helped)."""
    claims = []
    recipe = {"setting": "recipe", "patience": patience}
    frame = results.frame()
    for model in frame["model"].unique():
        capped = {
            label: f"{int((rows['epochs trained'] >= cap).sum())} of {len(rows)}"
            for label, rows in (
                (
                    "recipe",
                    frame[
                        (frame["model"] == model)
                        & (frame["setting"] == "recipe")
                        & (frame["patience"] == patience)
                    ],
                ),
                ("tuned", frame[(frame["model"] == model) & (frame["setting"] == "tuned")]),
            )
        }
        claims.append(
            _claim(
                f"The article's recipe (Adam 1e-3 + weight decay 1e-5 + ReduceLROnPlateau) works for {model}",
                ARTICLE + " (it says: for >90% of models)",
                f"test AUC of {model} trained with the recipe ({RECIPE_TEXT}) minus with its validation-tuned "
                f"rate and weight decay (constant rate, same patience); 'works' = loses less than {HALF_POINT} AUC",
                evidence,
                paired_effect(
                    results,
                    "auc",
                    {"model": model, **recipe},
                    {"model": model, "setting": "tuned"},
                    relative=False,
                ),
                -HALF_POINT,
                notes={
                    "deliberate differences from the article": RECIPE_DIFFERENCES,
                    f"runs that reached the {cap}-epoch cap": capped,
                },
            )
        )
    return claims


def dropout_claims(results: Results, evidence: str) -> list[Claim]:
    """Dropout 0.2 and 0.3 against none, and 0.5 against 0.3 (DeepFM's test AUC)."""

    def gain(a, b):
        return paired_effect(results, "auc", {"dropout": a}, {"dropout": b}, relative=False)

    notes = {
        "setting": "every rate trains at the Adam rate and weight decay the benchmark chose without dropout, and "
        "stops with patience 5; a rate and decay chosen per dropout level could favour dropout more"
    }
    claims = [
        _claim(
            f"Dropout {rate:g} helps: it beats no dropout",
            ARTICLE + " (it says: dropout 0.2-0.3)",
            f"test AUC of DeepFM with dropout {rate:g} minus without",
            evidence,
            gain(rate, 0.0),
            TENTH_POINT,
            notes=notes,
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
            notes=notes,
        )
    )
    return claims


def patience_claim(results: Results, evidence: str, short: int = 1, long: int = 5) -> Claim:
    """Patience ``long`` against ``short`` on the recipe's runs (rate 1e-3 with the schedule): the test AUC of the
    weights each keeps, every model and seed a paired run, the same test users in every run."""
    frame = results.runs(setting="recipe")
    models = list(frame["model"].unique())
    a = {"setting": "recipe", "patience": long, "model": models}
    b = {"setting": "recipe", "patience": short, "model": models}
    runs_a, runs_b = results.runs(**a), results.runs(**b)
    if list(zip(runs_a["model"], runs_a["seed"])) != list(zip(runs_b["model"], runs_b["seed"])):
        raise ValueError("the two patiences must come from the same runs, in the same order")
    effect = paired_bootstrap(results.per_user("auc", **a), results.per_user("auc", **b), metric="auc")
    extra = float((runs_a["epochs trained"].to_numpy() - runs_b["epochs trained"].to_numpy()).mean())
    moved = int((runs_a["best epoch"].to_numpy() != runs_b["best epoch"].to_numpy()).sum())
    return _claim(
        f"Early stopping needs patience 5-10: patience {long} keeps a better model than patience {short}",
        ARTICLE + " (it says: early stopping on validation AUC, patience 5-10)",
        f"test AUC of the weights kept at patience {long} minus at patience {short}, over {len(runs_a)} runs "
        f"({', '.join(models)} x {frame['seed'].nunique()} seeds, each trained with the article's recipe: Adam "
        "1e-3 with ReduceLROnPlateau on validation loss), the stops replayed exactly on each run",
        evidence,
        effect,
        TENTH_POINT,
        notes={
            "extra epochs": round(extra, 2),
            "runs whose kept epoch moves": f"{moved} of {len(runs_a)}",
            "interval": "paired bootstrap over test users, with the runs (model x seed) in the place of seeds",
        },
    )


def clipping_claim(results: Results, evidence: str, clip: str = "1") -> Claim:
    """Clipping at ``clip`` against none: the test AUC of the weights early stopping would keep, with how often
    clipping made the largest rise of the training loss bigger."""
    frame = results.frame()
    rises = frame.pivot(index="seed", columns="clip", values="largest rise")
    worse = int((rises[clip] > rises["none"]).sum())
    article = " (the article's norm)" if clip == "5" else ""
    same = ["largest rise", "lowest loss", "best epoch", "final test auc", "auc"]
    runs = {label: frame[frame["clip"] == label].set_index("seed")[same] for label in (clip, "none")}
    never_bound = bool(runs[clip].equals(runs["none"].loc[runs[clip].index]))
    return _claim(
        f"Gradient clipping at norm {clip}{article} costs the kept model nothing",
        "the article's training advice (clip gradients at norm 5.0 when the loss spikes); Pascanu et al. "
        "(ICML 2013) introduced norm clipping against exploding gradients",
        f"test AUC of the best-validation weights of Wide & Deep clipped at norm {clip} minus unclipped",
        evidence,
        paired_effect(results, "auc", {"clip": clip}, {"clip": "none"}, relative=False),
        -TENTH_POINT,
        notes={
            "largest rise of the training loss": f"bigger than unclipped in {worse} of {len(rises)} seeds",
            **(
                {
                    "the clip never bound": "every seed's run equals the unclipped one: no step's norm reached it"
                }
                if never_bound
                else {}
            ),
        },
    )


def _platt_note(results: Results, diff) -> dict:
    """How much Platt scaling's intercept adds to temperature scaling (LogLoss), where the results have it."""
    if "tuned + Platt" not in set(results.frame()["setting"]):
        return {}
    extra = diff("logloss", "tuned + Platt", "tuned + temperature")
    return {
        "Platt scaling (a scale and an intercept) minus temperature scaling, test LogLoss": f"{extra.format()} "
        f"[{extra.format(extra.low)}, {extra.format(extra.high)}]"
    }


def calibration_claims(results: Results, evidence: str) -> list[Claim]:
    """Tuned against the recipe in AUC and LogLoss, and what temperature scaling does to the tuned model's LogLoss."""
    model = results.frame()["model"].iloc[0]

    def diff(metric, a, b):
        return paired_effect(results, metric, {"setting": a}, {"setting": b}, relative=False)

    source = (
        "the article's metric table: AUC for ranking, LogLoss for calibrated probabilities; temperature "
        "scaling: Guo et al. (ICML 2017)"
    )
    return [
        _claim(
            f"{model} at its tuned setting ranks better than with the article's recipe",
            source,
            f"test AUC of {model} tuned minus trained with the recipe",
            evidence,
            diff("auc", "tuned", "recipe"),
            0.0,
        ),
        _claim(
            f"{model} at its tuned setting gives worse probabilities than with the article's recipe",
            source,
            f"test LogLoss of {model} tuned minus trained with the recipe (above zero: worse)",
            evidence,
            diff("logloss", "tuned", "recipe"),
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
            notes=_platt_note(results, diff),
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


def cold_start_claims(results: Results, per_item: Results, evidence: str) -> list[Claim]:
    """Genre-mean start against random (the FAQ's comparison), and against the mean of all movies (the genres'
    share). The treatment acts on movies, so the verdict reads the interval that resamples the held-out movies
    (``per_item``); the one over test users is in the notes."""
    source = "the article's FAQ on cold start; no source given"
    genre = {"model": "genre-mean start"}
    claims = []
    for text, other, measured in (
        (
            "New items start better at their genre's mean embedding than at random",
            "random start",
            "relative test AUC on the held-out movies' impressions, genre-mean start over random start (a random "
            "vector with the trained movies' mean bias)",
        ),
        (
            "The genre is what helps: a genre-mean start beats the mean of all movies",
            "all-movies mean start",
            "relative test AUC on the held-out movies' impressions, genre-mean start over all-movies mean start",
        ),
    ):
        users = paired_effect(results, "auc", genre, {"model": other})
        claims.append(
            _claim(
                text,
                source,
                measured + "; the interval resamples the held-out movies",
                evidence,
                paired_effect(per_item, "auc", genre, {"model": other}),
                ONE_PERCENT,
                notes={
                    "interval over test users": f"{users.format()} [{users.format(users.low)}, "
                    f"{users.format(users.high)}]",
                    "held-out movies": int(per_item.frame()["cold items"].iloc[0]),
                },
            )
        )
    return claims


GPU_COMMAND = "python -m recsys_course run 06/speed"  # on a machine with CUDA: appends the GPU rows
GPU_CLAIMS = (
    # (claim, what is measured, the least speed-up that makes it true)
    (
        "GPU first: a GPU trains 10-100x faster than the CPU",
        "fp32 on the GPU over the CPU with every thread",
        10.0,
    ),
    (
        "Mixed precision trains about 2x faster on a GPU",
        "mixed precision over fp32 on the GPU ('about 2x' read as: at least half the gain, 1.5x)",
        1.5,
    ),
)


def speed_claims(speed: pd.DataFrame, evidence: str) -> list[Claim]:
    """The article's GPU advice, from the speed table: where it holds GPU rows, the mean speed-up over the timed
    (model, batch) settings with a t-interval over them; where it holds none, records that say so."""
    from ...evidence import mean_interval, not_measured

    source = (
        "the article's training advice: GPU first (10-100x), then bigger batches, then mixed precision (~2x)"
    )
    gpu = speed[speed["device"] == "cuda"]
    if gpu.empty:
        return [
            not_measured(
                lesson=NUMBER,
                claim=text,
                source=source,
                measured=f"examples per second, {measured}",
                evidence=evidence,
                needs="the committed speed table holds CPU rows only (no CUDA GPU was at hand)",
                command=GPU_COMMAND,
            )
            for text, measured, _ in GPU_CLAIMS
        ]
    cpu = speed[speed["device"] == "cpu"]
    cpu = cpu[cpu["threads"] == cpu["threads"].max()]
    keys = ["model", "batch", "loader"]
    fp32 = gpu[~gpu["amp"].astype(bool)]
    over_cpu = fp32.merge(cpu[~cpu["amp"].astype(bool)], on=keys, suffixes=(" gpu", " cpu"))
    over_fp32 = gpu[gpu["amp"].astype(bool)].merge(fp32, on=keys, suffixes=(" gpu", " cpu"))
    claims = []
    for (text, measured, least), pairs in zip(GPU_CLAIMS, (over_cpu, over_fp32)):
        ratios = (pairs["examples per second gpu"] / pairs["examples per second cpu"]).to_numpy()
        effect = mean_interval(ratios[None, :], metric="speed-up (x)")
        claims.append(
            _claim(
                text,
                source,
                f"mean speed-up in examples per second, {measured}, over {len(ratios)} timed settings (model x "
                f"batch x loader); the interval runs over the settings",
                evidence,
                effect,
                least,
            )
        )
    return claims
