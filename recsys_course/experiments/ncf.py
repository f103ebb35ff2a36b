"""Lesson 03's experiments - NCF's models and claims - at any size.

The notebook imports these functions with quick settings; run the module for
the full version (several seeds, the paper's factor sizes), which writes a CSV
and a figure::

    python -m recsys_course.experiments.ncf                       # ML-100K, factors 8 16 32 64, 3 seeds
    python -m recsys_course.experiments.ncf --dataset ml-1m       # when ML-1M is in the cache
    python -m recsys_course.experiments.ncf --tune                # pick epochs on the validation split

Protocol (He et al. 2017): leave-one-out by time; each test user's held-out
item is ranked against 99 fixed sampled negatives; HR@10 and NDCG@10. Models
train on everything but the test item (``LeaveOneOut.merged_for_test``) for
a fixed number of epochs, chosen beforehand on the validation split
(``--tune``), so the test set never steers training.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import config
from ..metrics import evaluate_ranking
from ..models import GMF, MF, MLP, NeuMF, Popularity
from ..splits import LeaveOneOut
from ..train import fit_implicit


@dataclass(frozen=True)
class Settings:
    """Training settings shared by all NCF experiments (defaults: tuned on ML-100K's validation split)."""

    factors: int = 16          # GMF embedding size = last MLP layer ("predictive factors" in the paper)
    n_neg: int = 4             # sampled negatives per positive
    batch_size: int = 2048
    lr: float = 3e-3           # Adam, from scratch and for pretraining
    # epochs per model: the best validation epochs of `--tune` at 16 factors
    mf_epochs: int = 14
    gmf_epochs: int = 12
    mlp_epochs: int = 20
    neumf_epochs: int = 9
    finetune_epochs: int = 4   # pretrained NeuMF
    finetune_lr_sgd: float = 0.05
    finetune_lr_adam: float = 3e-4

    def epochs(self, model: str) -> int:
        return {"MF": self.mf_epochs, "GMF": self.gmf_epochs, "MLP": self.mlp_epochs,
                "NeuMF": self.neumf_epochs}[model]

    def mlp_layers(self) -> tuple[int, ...]:
        """NCF's tower: three layers halving down to `factors`, on embeddings of 2 * factors."""
        f = self.factors
        return (4 * f, 2 * f, f)


def fast_settings() -> Settings:
    """About half the epochs, for RECSYS_COURSE_FAST=1."""
    return Settings(mf_epochs=7, gmf_epochs=6, mlp_epochs=10, neumf_epochs=5, finetune_epochs=2)


# ---------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------

def make_model(name: str, loo: LeaveOneOut, s: Settings) -> torch.nn.Module:
    """A fresh, untrained model by name: 'MF', 'GMF', 'MLP' or 'NeuMF'."""
    n_users, n_items, layers = loo.n_users, loo.n_items, s.mlp_layers()
    builders = {
        "MF": lambda: MF(n_users, n_items, dim=s.factors),
        "GMF": lambda: GMF(n_users, n_items, dim=s.factors),
        "MLP": lambda: MLP(n_users, n_items, dim=layers[0] // 2, layers=layers[1:], init_std=0.01),
        "NeuMF": lambda: NeuMF(n_users, n_items, factors=s.factors, mlp_layers=layers),
    }
    return builders[name]().to(config.get_device())


def train_and_test(model: torch.nn.Module, loo: LeaveOneOut, *, epochs: int, s: Settings, seed: int,
                   optimizer: torch.optim.Optimizer | None = None, n_neg: int | None = None,
                   desc: str = "fit") -> dict:
    """Train on train+valid for ``epochs`` epochs, then rank the test candidates.

    Returns HR@10, NDCG@10, AUC and the mean seconds per epoch.
    """
    final = loo.merged_for_test()
    history = fit_implicit(model, final, validate=False, epochs=epochs, lr=s.lr, optimizer=optimizer,
                           n_neg=s.n_neg if n_neg is None else n_neg, batch_size=s.batch_size,
                           seed=seed, desc=desc)
    metrics = evaluate_ranking(model, loo.test["user"].to_numpy(), loo.test_candidates)
    metrics["s/epoch"] = float(np.mean(history["seconds"])) if len(history) else 0.0
    return metrics


def popularity_row(loo: LeaveOneOut) -> dict:
    final = loo.merged_for_test()
    model = Popularity.from_interactions(final.train, loo.n_users, loo.n_items)
    return evaluate_ranking(model, loo.test["user"].to_numpy(), loo.test_candidates) | {"s/epoch": 0.0}


def compare_models(loo: LeaveOneOut, s: Settings, seed: int = 0) -> pd.DataFrame:
    """Popularity, MF, GMF, MLP, NeuMF from scratch and pretrained (SGD and Adam fine-tuning).

    Returns a DataFrame with one row of test metrics per model.
    """
    rows, models = {"Popularity": popularity_row(loo)}, {}
    for name in ["MF", "GMF", "MLP", "NeuMF"]:
        torch.manual_seed(seed)
        models[name] = make_model(name, loo, s)
        label = "NeuMF (scratch)" if name == "NeuMF" else name
        rows[label] = train_and_test(models[name], loo, epochs=s.epochs(name), s=s, seed=seed,
                                     desc=f"{label} seed {seed}")
    for opt_name in ["SGD", "Adam"]:
        fused = NeuMF.from_pretrained(models["GMF"], models["MLP"], alpha=0.5).to(config.get_device())
        optimizer = (torch.optim.SGD(fused.parameters(), lr=s.finetune_lr_sgd) if opt_name == "SGD"
                     else torch.optim.Adam(fused.parameters(), lr=s.finetune_lr_adam))
        label = f"NeuMF (pretrained, {opt_name})"
        rows[label] = train_and_test(fused, loo, epochs=s.finetune_epochs, s=s, seed=seed,
                                     optimizer=optimizer, desc=f"{label} seed {seed}")
    return pd.DataFrame(rows).T.rename_axis("model")


def relative_gain(with_: pd.Series, without: pd.Series) -> pd.Series:
    """Relative change (with - without) / without, per metric."""
    return (with_ - without) / without


def negative_ratio_sweep(loo: LeaveOneOut, s: Settings, ratios=(1, 2, 4, 8, 16), seed: int = 0,
                         model: str = "GMF") -> pd.DataFrame:
    """Train ``model`` with each number of negatives per positive; metrics and seconds per epoch."""
    rows = []
    for n_neg in ratios:
        torch.manual_seed(seed)
        m = make_model(model, loo, s)
        rows.append({"negatives": n_neg, **train_and_test(m, loo, epochs=s.epochs(model), s=s, seed=seed,
                                                          n_neg=n_neg, desc=f"{model} {n_neg} neg")})
    return pd.DataFrame(rows).set_index("negatives")


def mf_optimizer(model: MF, lr: float, weight_decay: float, decay_biases: bool) -> torch.optim.Optimizer:
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


def bias_decay_experiment(loo: LeaveOneOut, s: Settings, weight_decay: float = 1e-5,
                          seeds=(0, 1, 2)) -> pd.DataFrame:
    """MF trained with weight decay on everything vs. on everything but the biases."""
    rows = []
    for seed in seeds:
        for decay_biases in (True, False):
            torch.manual_seed(seed)
            model = make_model("MF", loo, s)
            opt = mf_optimizer(model, s.lr, weight_decay, decay_biases)
            metrics = train_and_test(model, loo, epochs=s.mf_epochs, s=s, seed=seed, optimizer=opt,
                                     desc=f"MF decay biases={decay_biases}")
            rows.append({"seed": seed, "decay on biases": decay_biases, **metrics})
    return pd.DataFrame(rows)


def tune_mf(loo: LeaveOneOut, s: Settings, dims=(16, 32, 64), decays=(0.0, 1e-6, 1e-5), seed: int = 0):
    """Grid-search MF's size and weight decay on the *validation* split; return (best settings, grid)."""
    rows = []
    for dim in dims:
        for wd in decays:
            torch.manual_seed(seed)
            model = MF(loo.n_users, loo.n_items, dim=dim).to(config.get_device())
            history = fit_implicit(model, loo, epochs=max(s.mf_epochs * 2, 8), n_neg=s.n_neg,
                                   batch_size=s.batch_size, seed=seed, patience=3, lr_patience=None,
                                   optimizer=mf_optimizer(model, s.lr, wd, decay_biases=True),
                                   desc=f"tune MF d={dim} wd={wd:g}")
            rows.append({"dim": dim, "weight_decay": wd, "valid hr@10": history.best_value,
                         "best epoch": history.best_epoch})
    grid = pd.DataFrame(rows)
    best = grid.loc[grid["valid hr@10"].idxmax()]
    return best, grid


def tuned_mf_runs(loo: LeaveOneOut, s: Settings, seeds, dims=(16, 32, 64, 128), decays=(0.0, 1e-6, 1e-5, 1e-4)):
    """Tune MF on validation (:func:`tune_mf`), then train and test the winner once per seed.

    Returns ``(runs, grid)``: one test row per seed, and the validation grid.
    """
    best, grid = tune_mf(loo, s, dims=dims, decays=decays, seed=seeds[0])
    tuned = replace(s, factors=int(best["dim"]), mf_epochs=int(best["best epoch"]))
    rows = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = make_model("MF", loo, tuned)
        opt = mf_optimizer(model, tuned.lr, float(best["weight_decay"]), decay_biases=True)
        metrics = train_and_test(model, loo, epochs=tuned.mf_epochs, s=tuned, seed=seed, optimizer=opt,
                                 desc=f"tuned MF seed {seed}")
        rows.append({"model": f"tuned MF (d={tuned.factors}, wd={float(best['weight_decay']):g})",
                     "seed": seed, **metrics})
    frame = pd.DataFrame(rows)
    frame[["experiment", "factors"]] = "tuned MF", tuned.factors
    return frame, grid


def tune_epochs(loo: LeaveOneOut, s: Settings, max_epochs: int = 30, seed: int = 0) -> pd.DataFrame:
    """Best validation epoch of each model trained from scratch (the script's ``--tune``)."""
    rows = []
    for name in ["MF", "GMF", "MLP", "NeuMF"]:
        torch.manual_seed(seed)
        model = make_model(name, loo, s)
        history = fit_implicit(model, loo, epochs=max_epochs, lr=s.lr, n_neg=s.n_neg, batch_size=s.batch_size,
                               seed=seed, patience=4, lr_patience=None, desc=f"tune {name}")
        rows.append({"model": name, "best epoch": history.best_epoch, "valid hr@10": history.best_value})
    return pd.DataFrame(rows).set_index("model")


# ---------------------------------------------------------------------------------
# The full experiment script
# ---------------------------------------------------------------------------------

def run_all(dataset: str, factors, seeds, out_dir: Path, ratios=(1, 2, 4, 8, 16)) -> pd.DataFrame:
    """Every comparison at every factor size and seed; writes ncf_<dataset>.csv and a figure."""
    from ..data import load_movielens
    from ..splits import prepare_leave_one_out, to_implicit

    data = load_movielens(dataset)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    print(data.summary())
    print(loo.describe())
    frames = []
    for f in factors:
        s = replace(Settings(), factors=f)
        for seed in seeds:
            start = time.perf_counter()
            table = compare_models(loo, s, seed=seed).reset_index()
            table["experiment"] = "models"
            table[["factors", "seed"]] = f, seed
            frames.append(table)
            print(f"factors={f} seed={seed}: {time.perf_counter() - start:.0f} s")
            print(table[["model", "hr@10", "ndcg@10"]].round(4).to_string(index=False))
    s = Settings()
    for seed in seeds:
        sweep = negative_ratio_sweep(loo, s, ratios, seed=seed).reset_index()
        sweep["model"] = "GMF"
        sweep[["experiment", "factors", "seed"]] = "negatives", s.factors, seed
        frames.append(sweep)
    decay = bias_decay_experiment(loo, s, seeds=seeds)
    decay["model"] = np.where(decay["decay on biases"], "MF (decay on biases)", "MF (no decay on biases)")
    decay[["experiment", "factors"]] = "bias decay", s.factors
    frames.append(decay.drop(columns="decay on biases"))
    frames.append(tuned_mf_runs(loo, s, seeds)[0])
    results = pd.concat(frames, ignore_index=True)
    results["dataset"] = data.name
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"ncf_{dataset}.csv"
    results.to_csv(csv, index=False)
    print(f"wrote {csv}")
    _figure(results, dataset, out_dir)
    return results


def _figure(results: pd.DataFrame, dataset: str, out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plots

    plots.use_course_style()
    models = results[results["experiment"] == "models"]
    summary = models.groupby(["model", "factors"])["hr@10"].agg(["mean", "std"]).reset_index()
    fig, ax = plt.subplots(figsize=(7, 4))
    order = list(dict.fromkeys(models["model"]))  # the table's order: Popularity, MF, ..., NeuMF variants
    for name in order:
        group = summary[summary["model"] == name]
        base = name.split(" ")[0]
        style = ":" if "Adam" in name else "--" if "pretrained" in name else "-"
        ax.errorbar(group["factors"], group["mean"], yerr=group["std"].fillna(0), marker="o", capsize=3,
                    ls=style, label=name, color=plots.MODEL_COLORS.get(base))
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(summary["factors"].unique()), [str(f) for f in sorted(summary["factors"].unique())])
    ax.minorticks_off()
    ax.set_xlabel("predictive factors")
    ax.set_ylabel("test HR@10 (mean ± std over seeds)")
    ax.set_title(f"NCF models on {dataset}, leave-one-out with 99 negatives")
    ax.legend(fontsize=7, ncol=2)
    path = out_dir / f"ncf_{dataset}.png"
    fig.savefig(path, metadata={"Software": None})
    print(f"wrote {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run lesson 03's NCF experiments at full size.")
    parser.add_argument("--dataset", default="ml-100k", help="ml-100k (default) or ml-1m")
    parser.add_argument("--factors", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/ncf/)")
    parser.add_argument("--tune", action="store_true",
                        help="only report each model's best epoch on the validation split")
    args = parser.parse_args(argv)
    config.seed_everything(args.seeds[0])
    if args.tune:
        from ..data import load_movielens
        from ..splits import prepare_leave_one_out, to_implicit

        data = load_movielens(args.dataset)
        loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
        for f in args.factors:
            print(f"factors={f}")
            print(tune_epochs(loo, replace(Settings(), factors=f)).to_string())
        return 0
    out = args.out or config.figures_dir() / "ncf"
    start = time.perf_counter()
    run_all(args.dataset, args.factors, args.seeds, out)
    print(f"total: {time.perf_counter() - start:.0f} s; settings: {asdict(Settings())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
