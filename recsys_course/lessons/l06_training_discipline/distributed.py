"""Lesson 06: one CTR model trained on several processes with DistributedDataParallel, launched by torchrun.

Every process loads the task, takes its own shard of each epoch's shuffled
training rows, and DDP averages the gradients, so ``n`` processes with batches
of ``b / n`` take the same steps, on the same rows, as one process with
batches of ``b``. Run::

    torchrun --standalone --nproc_per_node=2 -m recsys_course run 06/distributed

gloo on CPUs, nccl on GPUs (one per process). Every process trains with
:func:`recsys_course.training.fit` on the DDP-wrapped model; rank 0 scores the
test set and writes examples per second and test metrics to
``results/06_training_discipline/distributed_<dataset>_<processes>.json``. The committed files were
written before DDP training moved into ``fit`` (by a loop of the same steps written out here).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from ... import config
from ...evaluation.inference import predict_logits
from ...evaluation.metrics import ctr_metrics
from ...models import DeepFM
from ...tasks.ctr import CTRTask
from ...training import fit
from . import LESSON


def shard(n_rows: int, rank: int, world: int, seed: int, epoch: int) -> np.ndarray:
    """Rank ``rank``'s rows of one epoch: every ``world``-th row of a permutation all ranks share.

    The permutation is seeded by ``seed`` and ``epoch``; its last ``n_rows %
    world`` rows are left out, so every rank takes the same number of steps.
    Dealt this way, the ranks' k-th batches of ``b / world`` rows together
    are exactly the k-th batch of ``b`` rows that one process would take.
    """
    order = np.random.default_rng([seed, epoch]).permutation(n_rows)
    return order[: n_rows // world * world][rank::world]


def _gather(values: list[float], device: torch.device) -> list[list[float]]:
    """Every rank's ``values``, in rank order (on the process group's device, as nccl requires)."""
    mine = torch.tensor(values, dtype=torch.float64, device=device)
    rows = [torch.zeros_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(rows, mine)
    return [row.cpu().tolist() for row in rows]


def build_model(task: CTRTask, dim: int = 16, hidden=(256, 128, 64)) -> DeepFM:
    return DeepFM(task.deep_fields, dim=dim, n_dense=len(task.dense_names), hidden=hidden)


def train(
    task: CTRTask, *, epochs: int, batch_size: int, lr: float, seed: int, dim: int = 16, hidden=(256, 128, 64)
) -> dict:
    """Train on this process's shards (``batch_size`` is the global batch); returns the run's record on every rank.

    Call inside an initialised process group.
    """
    rank, world = dist.get_rank(), dist.get_world_size()
    if batch_size % world:
        raise ValueError(f"the global batch {batch_size} must split evenly over {world} processes")
    device = (
        torch.device(f"cuda:{rank % torch.cuda.device_count()}")
        if dist.get_backend() == "nccl"
        else torch.device("cpu")
    )
    torch.manual_seed(seed)  # the same starting weights on every rank
    model = build_model(task, dim, hidden).to(device)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=lr)
    *arrays, labels = task.train.tensors(model.inputs)
    local_batch = batch_size // world

    def batches(epoch: int):
        rows = torch.from_numpy(shard(len(labels), rank, world, seed, epoch))
        for begin in range(0, len(rows), local_batch):
            idx = rows[begin : begin + local_batch]
            yield [a[idx] for a in arrays] + [labels[idx]]  # DDP averages the gradients over the ranks

    dist.barrier()
    history = fit(ddp, batches, epochs=epochs, optimizer=optimizer, device=device, progress=False)
    # every rank's share of each epoch
    shares = _gather(
        [v for r in history.records for v in (r["train_loss"] * r["examples"], float(r["examples"]))], device
    )
    losses = [sum(p[2 * e] for p in shares) / sum(p[2 * e + 1] for p in shares) for e in range(len(history))]
    examples, seconds = sum(history["examples"]), history.seconds
    checksum = float(sum(p.detach().double().sum().cpu() for p in model.parameters()))
    gathered = _gather([float(examples), seconds, checksum], device)  # one row per rank
    record = {
        "processes": world,
        "backend": dist.get_backend(),
        "device": str(device),
        "epochs": epochs,
        "global batch": batch_size,
        "lr": lr,
        "seed": seed,
        "examples": int(sum(row[0] for row in gathered)),
        "seconds": float(max(row[1] for row in gathered)),
        "train loss per epoch": losses,
        "weights agree across ranks": len({row[2] for row in gathered}) == 1,
    }
    record["examples per second"] = record["examples"] / record["seconds"]
    if rank == 0:
        logits = predict_logits(model.to("cpu"), task.test)
        record.update(
            {
                f"test {k}": v
                for k, v in ctr_metrics(task.test.user, task.test.label, 1 / (1 + np.exp(-logits))).items()
            }
        )
    return record


def run(
    dataset: str = "ml-100k",
    seeds=(0,),
    out: Path | None = None,
    synthetic: bool = False,
    epochs: int = 3,
    batch_size: int = 1024,
    lr: float = 1e-3,
) -> list:
    """One DDP run of DeepFM in this process group (start it with torchrun); rank 0 writes the record as JSON.

    ``synthetic`` trains on a small synthetic task (for tests); FAST mode trains one epoch.
    """
    from ...data import load_movielens, synthetic_movielens
    from ...tasks import movielens_ctr

    seed = seeds[0]
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    written = []
    try:
        world = dist.get_world_size()
        if backend == "gloo":  # share the CPU cores out between the processes
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
        config.seed_everything(seed)
        ml = (
            synthetic_movielens(seed=1, n_users=120, n_items=150, n_ratings=6000)
            if synthetic
            else load_movielens(dataset, verbose=False)
        )
        task = movielens_ctr(ml)
        record = train(
            task,
            epochs=1 if config.fast_mode() else epochs,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            hidden=(32, 16) if synthetic else (256, 128, 64),
        )
        record["threads per process"] = torch.get_num_threads()
        if dist.get_rank() == 0:
            text = json.dumps(record, indent=1)
            print(text)
            path = (
                Path(out or config.results_dir(LESSON))
                / f"distributed_{'synthetic' if synthetic else dataset}_{world}.json"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n")
            written.append(path)
        # every rank waits for rank 0's test scoring: a rank that tears gloo down while another still
        # works can abort with "terminate called without an active exception"
        dist.barrier()
    finally:
        dist.destroy_process_group()
    return written
