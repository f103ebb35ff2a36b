"""Lesson 03's NCF experiments at any size: the settings, a model factory, training, and the four comparisons.

Protocol (He et al. 2017): leave-one-out by time, each held-out item ranked against 99 fixed sampled
negatives; every run stops early on the validation item, so each model, size and negative ratio gets
the epochs that suit it. The notebook calls these with quick settings; :mod:`.full_size` runs them all.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace

import pandas as pd
import torch

from ... import config
from ...evaluation import sampled
from ...evidence import Results
from ...models import EASE, GMF, MF, MLP, NeuMF, Popularity
from ...tasks import LeaveOneOut
from ...training import History, fit_implicit
from ...training.optim import adam_with_weight_decay

MODELS = [
    "MF",
    "GMF",
    "MLP",
    "NeuMF (scratch)",
    "NeuMF (shared embeddings)",
    "GMF+MLP (fused, not fine-tuned)",
    "NeuMF (pretrained, SGD)",
    "NeuMF (pretrained, Adam)",
]


@dataclass(frozen=True)
class Settings:
    """Training settings of every NCF experiment. ``tuned_on`` names the dataset they were chosen on."""

    tuned_on: str = "none"
    factors: int = 16  # GMF embedding size = last MLP layer ("predictive factors" in the paper)
    n_neg: int = 4  # sampled negatives per positive
    batch_size: int = 2048
    lr: float = 3e-3  # Adam, from scratch and for pretraining
    max_epochs: int = 80  # early stopping decides; this only caps it
    patience: int = 3  # epochs without a better validation NDCG@10 before stopping
    monitor: str = "ndcg@10"
    finetune_lr_sgd: float = 0.05
    finetune_lr_adam: float = 3e-4
    mf_dim: int = 64  # the tuned MF: size and weight decay
    mf_weight_decay: float = 1e-5
    neumf_factors: int = 32  # the tuned NeuMF: size and weight decay, on the same grid as MF's
    neumf_weight_decay: float = 0.0

    def mlp_layers(self) -> tuple[int, ...]:
        """NCF's tower: three layers halving down to `factors`, on embeddings of 2 * factors."""
        f = self.factors
        return (4 * f, 2 * f, f)


PAPER_FACTORS = (8, 16, 32, 64)  # the predictive factors He et al. (2017) compare (their Table 2)

# Settings chosen on each dataset's validation split by `python -m recsys_course run 03/ncf --tune`
# (its grid: results/03_neumf_with_pretraining/ncf_<dataset>_tuning.csv).
TUNED = {
    "ml-100k": Settings(
        tuned_on="ml-100k",
        factors=32,
        finetune_lr_sgd=1e-3,
        finetune_lr_adam=3e-4,
        mf_dim=64,
        mf_weight_decay=1e-5,
        neumf_factors=32,
        neumf_weight_decay=1e-4,
    ),
}


def settings_for(dataset: str) -> Settings:
    """The settings tuned on ``dataset``; another dataset's, with a warning, when it has none."""
    if dataset in TUNED:
        return TUNED[dataset]
    warnings.warn(
        f"no NCF settings were tuned on {dataset!r}: reusing those tuned on ml-100k. Choose them on "
        f"{dataset}'s validation split with `python -m recsys_course run 03/ncf --dataset "
        f"{dataset} --tune`.",
        stacklevel=2,
    )
    return TUNED["ml-100k"]


def fast_settings(s: Settings) -> Settings:
    """Fewer epochs at most, for RECSYS_COURSE_FAST=1."""
    return replace(s, max_epochs=8, patience=2)


# ---------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------


def make_model(name: str, loo: LeaveOneOut, s: Settings) -> torch.nn.Module:
    """A fresh, untrained model by name: 'MF', 'GMF', 'MLP', 'NeuMF (scratch)' or 'NeuMF (shared embeddings)'."""
    n_users, n_items, layers = loo.n_users, loo.n_items, s.mlp_layers()
    builders = {
        "MF": lambda: MF(n_users, n_items, dim=s.factors),
        "GMF": lambda: GMF(n_users, n_items, dim=s.factors),
        "MLP": lambda: MLP(n_users, n_items, dim=layers[0] // 2, layers=layers[1:], init_std=0.01),
        "NeuMF (scratch)": lambda: NeuMF(n_users, n_items, factors=s.factors, mlp_layers=layers),
        "NeuMF (shared embeddings)": lambda: NeuMF(
            n_users, n_items, factors=s.factors, mlp_layers=layers, shared_embeddings=True
        ),
    }
    return builders[name]().to(config.get_device())


def train(
    model: torch.nn.Module,
    loo: LeaveOneOut,
    s: Settings,
    *,
    seed: int,
    n_neg: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    evaluate_start: bool = False,
    desc: str = "fit",
) -> History:
    """Train on the training split, stop early on the validation item, keep the best epoch."""
    return fit_implicit(
        model,
        loo,
        n_neg=s.n_neg if n_neg is None else n_neg,
        batch_size=s.batch_size,
        seed=seed,
        monitor=s.monitor,
        epochs=s.max_epochs,
        patience=s.patience,
        lr_patience=None,
        lr=s.lr,
        optimizer=optimizer,
        evaluate_start=evaluate_start,
        desc=desc,
    )


def finetune_optimizer(name: str, model: torch.nn.Module, s: Settings) -> torch.optim.Optimizer:
    """The fine-tuning optimizer of pretrained NeuMF: SGD (the paper's) or Adam, at the tuned rates."""
    if name == "SGD":
        return torch.optim.SGD(model.parameters(), lr=s.finetune_lr_sgd)
    return torch.optim.Adam(model.parameters(), lr=s.finetune_lr_adam)


# ---------------------------------------------------------------------------------
# The experiments
# ---------------------------------------------------------------------------------


def popularity(loo: LeaveOneOut, results: Results | None = None) -> dict:
    """The popularity baseline (training counts), scored like every model."""
    row, per_user = sampled.report(
        Popularity.from_interactions(loo.train, loo.n_users, loo.n_items), loo, None
    )
    row = {"experiment": "models", "model": "Popularity", "factors": 0, "seed": 0, **row}
    return results.add(row, per_user) if results is not None else row


# EASE's ridge penalty: the values tried on validation (Steck 2019 used 200-1000 on far larger data)
EASE_L2 = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)


def ease(
    loo: LeaveOneOut, s: Settings, l2s=EASE_L2, results: Results | None = None
) -> tuple[dict, pd.DataFrame]:
    """EASE, the strong non-neural baseline: ``(test row, validation grid)``.

    Fitted on the training rows for every ridge penalty in ``l2s``, the one with
    the best validation ``s.monitor`` kept and scored on the test users like
    every model. It has no seed: the fit is closed-form.
    """
    valid_users = loo.valid["user"].to_numpy()
    tried = []
    for l2 in l2s:
        model = EASE.fit(loo.train_seen.table, l2)
        tried.append({"l2": l2, "valid": sampled.means(model, valid_users, loo.valid_candidates)[s.monitor]})
    grid = pd.DataFrame(tried)
    best = float(grid.loc[grid["valid"].idxmax(), "l2"])
    model = EASE.fit(loo.train_seen.table, best)
    row, per_user = sampled.report(model, loo, None, s.monitor)
    row = {"experiment": "models", "model": "EASE", "factors": 0, "seed": 0, "l2": best, **row}
    return (results.add(row, per_user) if results is not None else row), grid


def compare_models(loo: LeaveOneOut, s: Settings, seed: int = 0, results: Results | None = None):
    """Every NCF model at ``s.factors`` for one seed: ``(table of test metrics, trained models)``.

    MF, GMF, MLP and NeuMF from scratch, NeuMF with shared embeddings, then
    the pretrained route: GMF and MLP fused with alpha = 0.5 and scored as
    they are (an ensemble of the two), then fine-tuned with SGD and with Adam
    - the fine-tuning epochs chosen on validation, starting from the fused
    model itself (epoch 0).
    """
    results = results if results is not None else Results()
    models, rows = {}, {}

    def record(name, model, history):
        row, per_user = sampled.report(model, loo, history, s.monitor)
        rows[name] = results.add(
            {"experiment": "models", "model": name, "factors": s.factors, "seed": seed, **row}, per_user
        )
        models[name] = model

    for name in MODELS[:5]:
        torch.manual_seed(seed)
        model = make_model(name, loo, s)
        record(name, model, train(model, loo, s, seed=seed, desc=f"{name} f={s.factors} seed {seed}"))
    fused = NeuMF.from_pretrained(models["GMF"], models["MLP"], alpha=0.5).to(config.get_device())
    record(MODELS[5], fused, None)
    for opt in ["SGD", "Adam"]:
        model = NeuMF.from_pretrained(models["GMF"], models["MLP"], alpha=0.5).to(config.get_device())
        history = train(
            model,
            loo,
            s,
            seed=seed,
            optimizer=finetune_optimizer(opt, model, s),
            evaluate_start=True,
            desc=f"pretrained {opt} f={s.factors} seed {seed}",
        )
        record(f"NeuMF (pretrained, {opt})", model, history)
    table = pd.DataFrame(rows).T.set_index("model")[
        ["hr@10", "ndcg@10", "auc", "valid", "best epoch", "seconds"]
    ]
    return table, models


def negative_ratio_sweep(
    loo: LeaveOneOut,
    s: Settings,
    ratios=(1, 2, 4, 8, 16),
    seeds=(0,),
    model: str = "GMF",
    results: Results | None = None,
) -> pd.DataFrame:
    """Train ``model`` with each number of negatives per positive; one row per (ratio, seed).

    Each run stops early on validation, so a ratio that needs more epochs
    gets them. The rows record the epochs and training examples (positives +
    negatives) each run used up to its best epoch - the compute it cost - and
    the validation curves go into ``results.curves`` for the equal-compute view.
    """
    results = results if results is not None else Results()
    rows = []
    for seed in seeds:
        for n_neg in ratios:
            torch.manual_seed(seed)
            m = make_model(model, loo, s)
            history = train(m, loo, s, seed=seed, n_neg=n_neg, desc=f"{model} {n_neg} neg seed {seed}")
            row, per_user = sampled.report(m, loo, history, s.monitor)
            rows.append(
                results.add(
                    {
                        "experiment": "negatives",
                        "model": model,
                        "factors": s.factors,
                        "seed": seed,
                        "negatives": n_neg,
                        **row,
                    },
                    per_user,
                )
            )
            curve = history.frame()[["epoch", "examples", s.monitor]].assign(negatives=n_neg, seed=seed)
            results.curves.append(curve.assign(examples=curve["examples"].cumsum()))
    return pd.DataFrame(rows)


def tuned_mf_runs(
    loo: LeaveOneOut, s: Settings, seeds=(0,), decay_biases=(True,), results: Results | None = None
) -> pd.DataFrame:
    """MF at the tuned size and weight decay (``s.mf_dim``, ``s.mf_weight_decay``), one row per seed.

    With ``decay_biases=(True, False)`` it also trains the variant whose
    biases get no weight decay (the bias-decay experiment).
    """
    results = results if results is not None else Results()
    rows = []
    for seed in seeds:
        for flag in decay_biases:
            torch.manual_seed(seed)
            model = MF(loo.n_users, loo.n_items, dim=s.mf_dim).to(config.get_device())
            name = "tuned MF" if flag else "tuned MF, no decay on biases"
            history = train(
                model,
                loo,
                s,
                seed=seed,
                optimizer=adam_with_weight_decay(model, s.lr, s.mf_weight_decay, flag),
                desc=f"{name} seed {seed}",
            )
            row, per_user = sampled.report(model, loo, history, s.monitor)
            rows.append(
                results.add(
                    {"experiment": "tuned MF", "model": name, "factors": s.mf_dim, "seed": seed, **row},
                    per_user,
                )
            )
    return pd.DataFrame(rows)


def tuned_neumf_runs(
    loo: LeaveOneOut, s: Settings, seeds=(0,), results: Results | None = None
) -> pd.DataFrame:
    """NeuMF from scratch at the size and weight decay tuned on MF's grid (``s.neumf_factors``,
    ``s.neumf_weight_decay``), one row per seed: the NeuMF set against the tuned MF."""
    results = results if results is not None else Results()
    rows = []
    tuned = replace(s, factors=s.neumf_factors)
    for seed in seeds:
        torch.manual_seed(seed)
        model = make_model("NeuMF (scratch)", loo, tuned)
        optimizer = (
            adam_with_weight_decay(model, s.lr, s.neumf_weight_decay) if s.neumf_weight_decay else None
        )
        history = train(model, loo, tuned, seed=seed, optimizer=optimizer, desc=f"tuned NeuMF seed {seed}")
        row, per_user = sampled.report(model, loo, history, s.monitor)
        rows.append(
            results.add(
                {
                    "experiment": "tuned NeuMF",
                    "model": "tuned NeuMF",
                    "factors": tuned.factors,
                    "seed": seed,
                    **row,
                },
                per_user,
            )
        )
    return pd.DataFrame(rows)


def settings_columns(s: Settings) -> dict:
    """The settings as CSV columns (prefixed 'setting: '), so a results file says how it was made."""
    return {f"setting: {k}": v for k, v in asdict(s).items() if k != "factors"}
