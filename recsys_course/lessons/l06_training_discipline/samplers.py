"""Lesson 06: which negatives should a retrieval model learn from? Five samplers on lesson 03's protocol.

MF, a dot-product retrieval model, learns the same positives against uniform,
popularity-weighted, in-batch (with and without the logQ correction) and hard
negatives mined from the current model; each run is scored on lesson 03's 99
sampled candidates and on the whole catalogue. ``python -m recsys_course run
06/samplers`` runs it at full size into ``results/06_training_discipline/samplers_*``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ... import config
from ...evaluation import catalogue, sampled
from ...evaluation.inference import score_pairs
from ...evidence import Results
from ...models import MF
from ...tasks import LeaveOneOut
from ...tasks.negatives import pick_hard, popularity_probs, sample_negatives
from ...training import History, fit, fit_implicit
from ...training.optim import adam_with_weight_decay
from . import LESSON

SAMPLERS = ("uniform", "popularity", "in-batch", "in-batch + logQ", "hard")
WITH_TEMPERATURE = ("in-batch", "in-batch + logQ", "hard")
CATALOGUE = (
    "catalogue recall@10",
    "catalogue ndcg@10",
    "top-10 count",
)  # per-user columns beside lesson 03's


@dataclass(frozen=True)
class Settings:
    """Lesson 03's tuned MF and training protocol; the temperature is the one knob chosen per sampler."""

    dim: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-5
    batch_size: int = 1024  # also the in-batch softmax's size: 1023 negatives per positive
    n_neg: int = 4  # sampled negatives per positive (uniform, popularity, hard)
    alpha: float = 0.75  # popularity sampler: count ** alpha, word2vec's smoothing
    pool: int = 20  # hard: uniform candidates scored per positive, n_neg kept
    max_epochs: int = 60
    patience: int = 3
    monitor: str = "ndcg@10"
    temperatures: tuple = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def fast_settings(s: Settings) -> Settings:
    return replace(s, dim=16, max_epochs=3, patience=1, temperatures=(1.0,))


class InBatchMF(nn.Module):
    """MF scored against every positive in its batch: a [B, B] logit matrix, each row's own item on the diagonal.

    The logit of user ``i`` for item ``j`` is ``(p_i . q_j + b_j) / temperature``
    (the user and global biases cancel in a softmax over items). With
    ``log_q``, each column loses ``log q_j``, the log share of training
    positives that item ``j`` holds: in-batch negatives are drawn in proportion
    to popularity, and this correction (Yi et al., RecSys 2019) undoes it.
    A column the row's user has among its training positives - another
    positive, not a negative - is masked out, as is a repeat of the row's item.
    """

    def __init__(self, mf: MF, seen: torch.Tensor, temperature: float, log_q: torch.Tensor | None = None):
        super().__init__()
        self.mf, self.temperature = mf, float(temperature)
        self.register_buffer("seen", seen, persistent=False)  # [users, items] training positives
        self.register_buffer("log_q", log_q, persistent=False)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        mf = self.mf
        logits = (mf.user_emb(users) @ mf.item_emb(items).T + mf.item_bias(items).T) / self.temperature
        if self.log_q is not None:
            logits = logits - self.log_q[items][None, :]
        known = self.seen[users][:, items] | (items[:, None] == items[None, :])
        known.fill_diagonal_(False)
        return logits.masked_fill(known, -torch.inf)


def item_counts(loo: LeaveOneOut) -> np.ndarray:
    return np.bincount(loo.train["item"].to_numpy(), minlength=loo.n_items)


def hard_batches(model: MF, loo: LeaveOneOut, s: Settings, temperature: float, rng: np.random.Generator):
    """A ``batches(epoch)`` function whose negatives the current model chooses, batch by batch.

    For each positive, ``s.pool`` unseen items are drawn uniformly and scored
    by the model as it is at that step; ``s.n_neg`` of them are kept with
    probability softmax(score / temperature) (:func:`~recsys_course.tasks.negatives.pick_hard`).
    """
    users, items = loo.train["user"].to_numpy(), loo.train["item"].to_numpy()

    def batches(epoch: int):
        order = rng.permutation(len(users))
        for start in range(0, len(order), s.batch_size):
            u, i = users[order[start : start + s.batch_size]], items[order[start : start + s.batch_size]]
            pool = sample_negatives(u, s.pool, loo.train_seen, rng)
            scores = score_pairs(model, np.repeat(u, s.pool), pool.ravel()).reshape(pool.shape)
            negatives = np.take_along_axis(pool, pick_hard(scores, s.n_neg, temperature, rng), axis=1)
            all_u = torch.as_tensor(np.concatenate([u, np.repeat(u, s.n_neg)]))
            all_i = torch.as_tensor(np.concatenate([i, negatives.ravel()]))
            labels = torch.cat([torch.ones(len(u)), torch.zeros(negatives.size)])
            yield all_u, all_i, labels

    return batches


def train(
    sampler: str, loo: LeaveOneOut, s: Settings, *, seed: int = 0, temperature: float = 1.0
) -> tuple[MF, History]:
    """Train MF with one sampler, stopping early on validation NDCG@10; returns ``(model, history)``."""
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose from {SAMPLERS}")
    torch.manual_seed(seed)
    model = MF(loo.n_users, loo.n_items, dim=s.dim)
    optimizer = adam_with_weight_decay(model, s.lr, s.weight_decay)
    common = dict(
        epochs=s.max_epochs, patience=s.patience, lr_patience=None, optimizer=optimizer, desc=sampler
    )
    if sampler in ("uniform", "popularity"):
        probs = popularity_probs(item_counts(loo), s.alpha) if sampler == "popularity" else None
        history = fit_implicit(
            model,
            loo,
            n_neg=s.n_neg,
            batch_size=s.batch_size,
            seed=seed,
            probs=probs,
            monitor=s.monitor,
            **common,
        )
        return model, history
    validate = sampled.validation(loo)

    def evaluate(_: nn.Module) -> dict:  # the MF inside, whatever wrapper fit trains
        return validate(model)

    rng = np.random.default_rng(seed)
    if sampler == "hard":
        history = fit(
            model,
            hard_batches(model, loo, s, temperature, rng),
            evaluate=evaluate,
            monitor=s.monitor,
            **common,
        )
        return model, history
    share = item_counts(loo) / len(loo.train)
    log_q = (
        torch.log(torch.as_tensor(share, dtype=torch.float32).clamp(min=1e-12)) if "logQ" in sampler else None
    )
    scorer = InBatchMF(model, torch.as_tensor(loo.train_seen.table), temperature, log_q)
    users, items = loo.train["user"].to_numpy(), loo.train["item"].to_numpy()
    generator = torch.Generator().manual_seed(seed)

    def batches(epoch: int):
        order = torch.randperm(len(users), generator=generator).numpy()
        for start in range(0, len(order), s.batch_size):
            rows = order[start : start + s.batch_size]
            yield torch.as_tensor(users[rows]), torch.as_tensor(items[rows]), torch.arange(len(rows))

    history = fit(scorer, batches, loss_fn=F.cross_entropy, evaluate=evaluate, monitor=s.monitor, **common)
    return model, history


@torch.no_grad()
def catalogue_per_user(model: MF, loo: LeaveOneOut) -> pd.DataFrame:
    """Each test user's held-out item ranked among every item the user has not seen: Recall@10, NDCG@10,
    and how popular the top 10 are (mean training count of the ten items)."""
    users = loo.test["user"].to_numpy()
    u = torch.tensor(users)
    scores = (model.user_emb(u) @ model.item_emb.weight.T + model.item_bias.weight.T).numpy()
    ranked = catalogue.per_user(scores, users, loo.test["item"].to_numpy(), loo.seen.table[users], ks=(10,))
    frame = ranked[["recall@10", "ndcg@10"]].add_prefix("catalogue ")
    scores[loo.seen.table[users]] = -np.inf
    top = np.argpartition(-scores, 10, axis=1)[:, :10]
    frame["top-10 count"] = item_counts(loo)[top].mean(axis=1)
    return frame


def tune(loo: LeaveOneOut, s: Settings, samplers=WITH_TEMPERATURE, seed: int = 0, log=print) -> pd.DataFrame:
    """Validation NDCG@10 of each sampler that has a temperature, at each of ``s.temperatures``."""
    rows = []
    for sampler in samplers:
        for t in s.temperatures:
            _, history = train(sampler, loo, s, seed=seed, temperature=t)
            rows.append(
                {
                    "sampler": sampler,
                    "temperature": t,
                    "valid": history.best_value,
                    "best epoch": history.best_epoch,
                    "seconds": history.seconds,
                }
            )
            log(f"  {sampler} T={t:g}: validation NDCG@10 {history.best_value:.4f}")
    return pd.DataFrame(rows)


def chosen_temperatures(tuning: pd.DataFrame) -> dict[str, float]:
    best = tuning.loc[tuning.groupby("sampler")["valid"].idxmax()]
    return dict(zip(best["sampler"], best["temperature"].astype(float)))


def run_samplers(
    loo: LeaveOneOut, s: Settings, temperatures: dict[str, float], seeds=(0,), samplers=SAMPLERS, log=print
) -> Results:
    """Every sampler on every seed, scored per test user on the sampled and the full-catalogue protocol."""
    results = Results()
    for seed in seeds:
        for sampler in samplers:
            t = temperatures.get(sampler, float("nan"))
            model, history = train(sampler, loo, s, seed=seed, temperature=t)
            row, on_candidates = sampled.report(model, loo, history, s.monitor)
            terms = pd.concat([on_candidates.reset_index(drop=True), catalogue_per_user(model, loo)], axis=1)
            row = {
                "sampler": sampler,
                "temperature": t,
                "seed": seed,
                **row,
                "seconds": history.seconds,
                **{m: float(terms[m].mean()) for m in CATALOGUE},
            }
            results.add(row, terms)
            log(
                f"{sampler:>16} | seed {seed} | HR@10 {row['hr@10']:.4f} | NDCG@10 {row['ndcg@10']:.4f} | "
                f"catalogue Recall@10 {row['catalogue recall@10']:.4f}"
            )
    return results


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list:
    """Choose each temperature on validation (seed 0), then train MF with every sampler on every seed; writes the
    tuning grid and the results (FAST: a smaller MF, fewer epochs, one temperature)."""
    from ...data import load_movielens
    from ...tasks import prepare_leave_one_out, to_implicit

    data = load_movielens(dataset, verbose=False)
    loo = prepare_leave_one_out(to_implicit(data.ratings), data.n_users, data.n_items, seed=0)
    out = Path(out or config.results_dir(LESSON))
    s = fast_settings(Settings()) if config.fast_mode() else Settings()
    print("choosing each temperature on validation (seed 0)")
    tuning = tune(loo, s)
    out.mkdir(parents=True, exist_ok=True)
    tuning.to_csv(out / f"samplers_{dataset}_tuning.csv", index=False)
    results = run_samplers(loo, s, chosen_temperatures(tuning), tuple(seeds))
    return [out / f"samplers_{dataset}_tuning.csv", *results.save(out, f"samplers_{dataset}")]
