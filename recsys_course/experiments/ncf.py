"""Lesson 03's experiments - NCF's models and claims - at any size.

The notebook imports these functions with quick settings; run the module for
the full version (five seeds, the paper's factor sizes), which writes a CSV,
per-user results and a figure under ``figures/ncf/``::

    python -m recsys_course.experiments.ncf                       # ML-100K, factors 8 16 32 64, 5 seeds
    python -m recsys_course.experiments.ncf --dataset ml-1m       # when ML-1M is in the cache
    python -m recsys_course.experiments.ncf --tune                # only choose the settings on validation

Protocol (He et al. 2017): leave-one-out by time; each test user's held-out
item is ranked against 99 fixed sampled negatives. Every model trains on the
training split and stops early on the validation item, keeping its best
epoch: each model, size and negative ratio gets the number of epochs that
suits it, chosen without looking at the test set. What is not chosen per run
(fine-tuning learning rates, the tuned MF's size and weight decay) is chosen
on the validation split of the dataset the script runs on (:func:`tune`).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace

import pandas as pd
import torch

from .. import config
from ..metrics import evaluate_ranking, ranking_per_user
from ..models import GMF, MF, MLP, NeuMF, Popularity
from ..splits import LeaveOneOut
from ..train import History, fit_implicit
from .results import Results

MODELS = ["MF", "GMF", "MLP", "NeuMF (scratch)", "NeuMF (shared embeddings)", "GMF+MLP (fused, not fine-tuned)",
          "NeuMF (pretrained, SGD)", "NeuMF (pretrained, Adam)"]


@dataclass(frozen=True)
class Settings:
    """Training settings of every NCF experiment. ``tuned_on`` names the dataset they were chosen on."""

    tuned_on: str = "none"
    factors: int = 16             # GMF embedding size = last MLP layer ("predictive factors" in the paper)
    n_neg: int = 4                # sampled negatives per positive
    batch_size: int = 2048
    lr: float = 3e-3              # Adam, from scratch and for pretraining
    max_epochs: int = 80          # early stopping decides; this only caps it
    patience: int = 3             # epochs without a better validation NDCG@10 before stopping
    monitor: str = "ndcg@10"
    finetune_lr_sgd: float = 0.05
    finetune_lr_adam: float = 3e-4
    mf_dim: int = 64              # the tuned MF: size and weight decay
    mf_weight_decay: float = 1e-5

    def mlp_layers(self) -> tuple[int, ...]:
        """NCF's tower: three layers halving down to `factors`, on embeddings of 2 * factors."""
        f = self.factors
        return (4 * f, 2 * f, f)


# Settings chosen on each dataset's validation split by `python -m recsys_course.experiments.ncf --tune`
# (its grid: figures/ncf/ncf_<dataset>_tuning.csv).
TUNED = {
    "ml-100k": Settings(tuned_on="ml-100k", factors=32, finetune_lr_sgd=0.1, finetune_lr_adam=3e-3, mf_dim=64,
                        mf_weight_decay=1e-5),
}


def settings_for(dataset: str) -> Settings:
    """The settings tuned on ``dataset``; another dataset's, with a warning, when it has none."""
    if dataset in TUNED:
        return TUNED[dataset]
    warnings.warn(f"no NCF settings were tuned on {dataset!r}: reusing those tuned on ml-100k. Choose them on "
                  f"{dataset}'s validation split with `python -m recsys_course.experiments.ncf --dataset "
                  f"{dataset} --tune`.", stacklevel=2)
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
        "NeuMF (shared embeddings)": lambda: NeuMF(n_users, n_items, factors=s.factors, mlp_layers=layers,
                                                   shared_embeddings=True),
    }
    return builders[name]().to(config.get_device())


def train(model: torch.nn.Module, loo: LeaveOneOut, s: Settings, *, seed: int, n_neg: int | None = None,
          optimizer: torch.optim.Optimizer | None = None, evaluate_start: bool = False,
          desc: str = "fit") -> History:
    """Train on the training split, stop early on the validation item, keep the best epoch."""
    return fit_implicit(model, loo, n_neg=s.n_neg if n_neg is None else n_neg, batch_size=s.batch_size,
                        seed=seed, monitor=s.monitor, epochs=s.max_epochs, patience=s.patience,
                        lr_patience=None, lr=s.lr, optimizer=optimizer, evaluate_start=evaluate_start, desc=desc)


def test(model: torch.nn.Module, loo: LeaveOneOut, history: History | None = None,
         monitor: str = "ndcg@10") -> tuple[dict, pd.DataFrame]:
    """Rank every test user's candidates: ``(row of means and training facts, per-user frame)``.

    The row also holds the validation value of ``monitor`` (``valid``), the
    number a choice between runs may use without touching the test set.
    """
    per_user = ranking_per_user(model, loo.test["user"].to_numpy(), loo.test_candidates)
    row = per_user[["hr@10", "ndcg@10", "auc"]].mean().to_dict()
    if history is not None and history.best_value is not None:
        row["valid"] = history.best_value
    elif len(loo.valid):
        row["valid"] = evaluate_ranking(model, loo.valid["user"].to_numpy(), loo.valid_candidates)[monitor]
    if history is not None and len(history):
        frame = history.frame()
        trained = frame[frame["epoch"] >= 1]
        row.update({"best epoch": history.best_epoch, "epochs run": int(trained["epoch"].max()) if len(trained) else 0,
                    "examples to best": int(trained.loc[trained["epoch"] <= history.best_epoch, "examples"].sum()),
                    "seconds": float(trained["seconds"].sum())})
    return row, per_user


def _optimizer(name: str, model: torch.nn.Module, s: Settings) -> torch.optim.Optimizer:
    if name == "SGD":
        return torch.optim.SGD(model.parameters(), lr=s.finetune_lr_sgd)
    return torch.optim.Adam(model.parameters(), lr=s.finetune_lr_adam)


# ---------------------------------------------------------------------------------
# The experiments
# ---------------------------------------------------------------------------------

def popularity(loo: LeaveOneOut, results: Results | None = None) -> dict:
    """The popularity baseline (training counts), scored like every model."""
    row, per_user = test(Popularity.from_interactions(loo.train, loo.n_users, loo.n_items), loo, None)
    row = {"experiment": "models", "model": "Popularity", "factors": 0, "seed": 0, **row}
    return results.add(row, per_user) if results is not None else row


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
        row, per_user = test(model, loo, history, s.monitor)
        rows[name] = results.add({"experiment": "models", "model": name, "factors": s.factors, "seed": seed,
                                  **row}, per_user)
        models[name] = model

    for name in MODELS[:5]:
        torch.manual_seed(seed)
        model = make_model(name, loo, s)
        record(name, model, train(model, loo, s, seed=seed, desc=f"{name} f={s.factors} seed {seed}"))
    fused = NeuMF.from_pretrained(models["GMF"], models["MLP"], alpha=0.5).to(config.get_device())
    record(MODELS[5], fused, None)
    for opt in ["SGD", "Adam"]:
        model = NeuMF.from_pretrained(models["GMF"], models["MLP"], alpha=0.5).to(config.get_device())
        history = train(model, loo, s, seed=seed, optimizer=_optimizer(opt, model, s), evaluate_start=True,
                        desc=f"pretrained {opt} f={s.factors} seed {seed}")
        record(f"NeuMF (pretrained, {opt})", model, history)
    table = pd.DataFrame(rows).T.set_index("model")[["hr@10", "ndcg@10", "auc", "valid", "best epoch", "seconds"]]
    return table, models


def negative_ratio_sweep(loo: LeaveOneOut, s: Settings, ratios=(1, 2, 4, 8, 16), seeds=(0,),
                         model: str = "GMF", results: Results | None = None) -> pd.DataFrame:
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
            row, per_user = test(m, loo, history, s.monitor)
            rows.append(results.add({"experiment": "negatives", "model": model, "factors": s.factors,
                                     "seed": seed, "negatives": n_neg, **row}, per_user))
            curve = history.frame()[["epoch", "examples", s.monitor]].assign(negatives=n_neg, seed=seed)
            results.curves.append(curve.assign(examples=curve["examples"].cumsum()))
    return pd.DataFrame(rows)


def mf_optimizer(model: MF, lr: float, weight_decay: float, decay_biases: bool = True) -> torch.optim.Optimizer:
    """Adam with L2 weight decay on the embeddings, and on the biases only if ``decay_biases``.

    Parameter groups let one optimizer treat parameters differently: here the
    bias terms go into a group with ``weight_decay=0``.
    """
    biases = [p for n, p in model.named_parameters() if "bias" in n]
    others = [p for n, p in model.named_parameters() if "bias" not in n]
    return torch.optim.Adam([
        {"params": others, "weight_decay": weight_decay},
        {"params": biases, "weight_decay": weight_decay if decay_biases else 0.0},
    ], lr=lr)


def tuned_mf_runs(loo: LeaveOneOut, s: Settings, seeds=(0,), decay_biases=(True,),
                  results: Results | None = None) -> pd.DataFrame:
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
            history = train(model, loo, s, seed=seed, optimizer=mf_optimizer(model, s.lr, s.mf_weight_decay, flag),
                            desc=f"{name} seed {seed}")
            row, per_user = test(model, loo, history, s.monitor)
            rows.append(results.add({"experiment": "tuned MF", "model": name, "factors": s.mf_dim, "seed": seed,
                                     **row}, per_user))
    return pd.DataFrame(rows)


def tune(loo: LeaveOneOut, s: Settings, dataset: str, dims=(16, 32, 64, 128), decays=(0.0, 1e-6, 1e-5, 1e-4),
         factors=(8, 16, 32, 64), sgd_lrs=(0.1, 1.0, 10.0), adam_lrs=(3e-4, 1e-3, 3e-3, 1e-2),
         seed: int = 0) -> tuple[Settings, pd.DataFrame]:
    """Choose, on the validation split only, what early stopping does not: ``(settings, grid)``.

    MF's size and weight decay (a grid); NeuMF's number of predictive factors
    (the lesson's default size); and, at that size, the fine-tuning learning
    rates of pretrained NeuMF for SGD and for Adam. The grid holds the best
    validation score (``s.monitor``) of every candidate.
    """
    rows = []

    def trial(what, model, optimizer=None, evaluate_start=False, **row):
        history = train(model, loo, s, seed=seed, optimizer=optimizer, evaluate_start=evaluate_start,
                        desc=f"tune {what} {row}")
        rows.append({"what": what, **row, "valid": history.best_value, "best epoch": history.best_epoch})

    for dim in dims:
        for wd in decays:
            torch.manual_seed(seed)
            model = MF(loo.n_users, loo.n_items, dim=dim).to(config.get_device())
            trial("MF", model, mf_optimizer(model, s.lr, wd), dim=dim, weight_decay=wd)
    for f in factors:
        torch.manual_seed(seed)
        trial("NeuMF", make_model("NeuMF (scratch)", loo, replace(s, factors=f)), factors=f)
    neumf = pd.DataFrame([r for r in rows if r["what"] == "NeuMF"])
    size = replace(s, factors=int(neumf.loc[neumf["valid"].idxmax(), "factors"]))
    pretrained = {}
    for name in ("GMF", "MLP"):
        torch.manual_seed(seed)
        pretrained[name] = make_model(name, loo, size)
        train(pretrained[name], loo, size, seed=seed, desc=f"tune: pretrain {name}")
    for opt, lrs in (("SGD", sgd_lrs), ("Adam", adam_lrs)):
        for lr in lrs:
            model = NeuMF.from_pretrained(pretrained["GMF"], pretrained["MLP"]).to(config.get_device())
            trial(f"fine-tune {opt}", model, _optimizer(opt, model, replace(s, finetune_lr_sgd=lr, finetune_lr_adam=lr)),
                  evaluate_start=True, factors=size.factors, lr=lr)
    grid = pd.DataFrame(rows)

    def best(what):
        part = grid[grid["what"] == what]
        return part.loc[part["valid"].idxmax()]

    tuned = replace(size, tuned_on=dataset, mf_dim=int(best("MF")["dim"]),
                    mf_weight_decay=float(best("MF")["weight_decay"]),
                    finetune_lr_sgd=float(best("fine-tune SGD")["lr"]), finetune_lr_adam=float(best("fine-tune Adam")["lr"]))
    return tuned, grid


def settings_columns(s: Settings) -> dict:
    """The settings as CSV columns (prefixed 'setting: '), so a results file says how it was made."""
    return {f"setting: {k}": v for k, v in asdict(s).items() if k != "factors"}


# ---------------------------------------------------------------------------------
# The full experiment script
# ---------------------------------------------------------------------------------

def run_all(dataset: str, factors=(8, 16, 32, 64), seeds=(0, 1, 2, 3, 4), ratios=(1, 2, 4, 8, 16),
            out_dir=None, retune: bool = False) -> Results:
    """Every comparison at every factor size and seed; writes ncf_<dataset>.csv, per-user results and a figure."""
    import time

    from ..data import load_movielens
    from ..splits import prepare_leave_one_out, to_implicit
    from . import ncf_figure

    data = load_movielens(dataset)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    print(data.summary())
    print(loo.describe())
    out_dir = out_dir or config.figures_dir() / "ncf"
    if retune or dataset not in TUNED:
        print(f"choosing settings on {dataset}'s validation split ...")
        start = time.perf_counter()
        s = tune_and_save(loo, dataset, out_dir)
        print(f"tuning: {time.perf_counter() - start:.0f} s")
    else:
        s = TUNED[dataset]
    start = time.perf_counter()
    results = Results()
    popularity(loo, results)
    for f in factors:
        for seed in seeds:
            table, _ = compare_models(loo, replace(s, factors=f), seed=seed, results=results)
            print(f"factors={f} seed={seed} ({time.perf_counter() - start:.0f} s)")
            print(table[["hr@10", "ndcg@10", "best epoch"]].round(4).to_string())
    negative_ratio_sweep(loo, s, ratios, seeds, results=results)
    tuned_mf_runs(loo, s, seeds, decay_biases=(True, False), results=results)
    print(f"all runs: {time.perf_counter() - start:.0f} s")
    frame = results.frame()
    for column, value in settings_columns(s).items():
        frame[column] = value
    frame["dataset"] = data.name
    results.rows = frame.to_dict("records")
    for path in results.save(out_dir, f"ncf_{dataset}") + [ncf_figure.draw(results, dataset, out_dir)]:
        print(f"wrote {path}")
    return results


def tune_and_save(loo: LeaveOneOut, dataset: str, out_dir) -> Settings:
    """:func:`tune` on ``dataset``; write its grid to ``ncf_<dataset>_tuning.csv`` and print the settings."""
    from pathlib import Path

    tuned, grid = tune(loo, TUNED.get(dataset, Settings()), dataset)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    grid.to_csv(Path(out_dir) / f"ncf_{dataset}_tuning.csv", index=False)
    print(grid.round(4).to_string(index=False))
    print(f"tuned settings (for TUNED in {__name__}): {tuned!r}")
    return tuned


def load_results(dataset: str) -> Results | None:
    """The committed full-size results for ``dataset`` (``figures/ncf/``), or None when there are none."""
    return Results.committed("ncf", f"ncf_{dataset}")


def main(argv=None) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Run lesson 03's NCF experiments at full size.")
    parser.add_argument("--dataset", default="ml-100k", help="ml-100k (default) or ml-1m")
    parser.add_argument("--factors", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/ncf/)")
    parser.add_argument("--tune", action="store_true",
                        help="only choose the settings on the validation split, and print them")
    parser.add_argument("--retune", action="store_true",
                        help="choose the settings again even if the dataset has tuned ones, then run")
    args = parser.parse_args(argv)
    config.seed_everything(args.seeds[0])
    if args.tune:
        from ..data import load_movielens
        from ..splits import prepare_leave_one_out, to_implicit

        data = load_movielens(args.dataset)
        loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
        tune_and_save(loo, args.dataset, args.out or config.figures_dir() / "ncf")
        return 0
    run_all(args.dataset, args.factors, args.seeds, out_dir=args.out, retune=args.retune)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
