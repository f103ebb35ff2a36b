"""Lesson 06: one CTR model trained on several processes with DistributedDataParallel, launched by torchrun.

Every process loads the task, takes its own shard of each epoch's shuffled
training rows, and DDP averages the gradients, so ``n`` processes with batches
of ``b / n`` take the same steps, on the same rows, as one process with
batches of ``b``. Run::

    torchrun --standalone --nproc_per_node=2 -m recsys_course.experiments.distributed --out run.json

gloo on CPUs, nccl on GPUs (one per process). Rank 0 scores the test set and
writes examples per second and test metrics to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from .. import config
from ..ctr_task import CTRTask
from ..models import DeepFM
from ..train import predict_logits


def shard(n_rows: int, rank: int, world: int, seed: int, epoch: int) -> np.ndarray:
    """Rank ``rank``'s rows of one epoch: every ``world``-th row of a permutation all ranks share.

    The permutation is seeded by ``seed`` and ``epoch``; its last ``n_rows %
    world`` rows are left out, so every rank takes the same number of steps.
    Dealt this way, the ranks' k-th batches of ``b / world`` rows together
    are exactly the k-th batch of ``b`` rows that one process would take.
    """
    order = np.random.default_rng([seed, epoch]).permutation(n_rows)
    return order[:n_rows // world * world][rank::world]


def _gather(values: list[float], device: torch.device) -> list[list[float]]:
    """Every rank's ``values``, in rank order (on the process group's device, as nccl requires)."""
    mine = torch.tensor(values, dtype=torch.float64, device=device)
    rows = [torch.zeros_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(rows, mine)
    return [row.cpu().tolist() for row in rows]


def build_model(task: CTRTask, dim: int = 16, hidden=(256, 128, 64)) -> DeepFM:
    return DeepFM(task.deep_fields, dim=dim, n_dense=len(task.dense_names), hidden=hidden)


def train(task: CTRTask, *, epochs: int, batch_size: int, lr: float, seed: int, dim: int = 16,
          hidden=(256, 128, 64)) -> dict:
    """Train on this process's shards (``batch_size`` is the global batch); returns the run's record on every rank.

    Call inside an initialised process group.
    """
    rank, world = dist.get_rank(), dist.get_world_size()
    if batch_size % world:
        raise ValueError(f"the global batch {batch_size} must split evenly over {world} processes")
    device = torch.device(f"cuda:{rank % torch.cuda.device_count()}") if dist.get_backend() == "nccl" \
        else torch.device("cpu")
    torch.manual_seed(seed)                               # the same starting weights on every rank
    model = build_model(task, dim, hidden).to(device)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=lr)
    names = model.inputs
    *arrays, labels = task.train.tensors(names)
    local_batch, examples, losses = batch_size // world, 0, []
    dist.barrier()
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        ddp.train()
        rows = torch.from_numpy(shard(len(labels), rank, world, seed, epoch))
        total = 0.0
        for begin in range(0, len(rows), local_batch):
            idx = rows[begin:begin + local_batch]
            inputs = [a[idx].to(device) for a in arrays]
            target = labels[idx].to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(ddp(*inputs), target)
            loss.backward()                               # DDP averages the gradients over the ranks here
            optimizer.step()
            total += loss.item() * len(idx)
            examples += len(idx)
        parts = _gather([total, float(len(rows))], device)         # every rank's share of the epoch
        losses.append(sum(p[0] for p in parts) / sum(p[1] for p in parts))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    checksum = float(sum(p.detach().double().sum().cpu() for p in model.parameters()))
    gathered = _gather([float(examples), seconds, checksum], device)    # one row per rank
    record = {"processes": world, "backend": dist.get_backend(), "device": str(device), "epochs": epochs,
              "global batch": batch_size, "lr": lr, "seed": seed,
              "examples": int(sum(row[0] for row in gathered)),
              "seconds": float(max(row[1] for row in gathered)),
              "train loss per epoch": losses,
              "weights agree across ranks": len({row[2] for row in gathered}) == 1}
    record["examples per second"] = record["examples"] / record["seconds"]
    if rank == 0:
        from ..metrics import ctr_metrics

        logits = predict_logits(model.to("cpu"), task.test)
        record.update({f"test {k}": v for k, v in
                       ctr_metrics(task.test.user, task.test.label, 1 / (1 + np.exp(-logits))).items()})
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Train a CTR model (DeepFM) with DDP; launch with torchrun.")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--synthetic", action="store_true", help="a small synthetic task (for tests)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1024, help="the global batch, over all processes")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="rank 0 writes its record here (JSON)")
    args = parser.parse_args(argv)

    from ..ctr_task import movielens_ctr
    from ..data import load_movielens
    from ..synthetic import synthetic_movielens

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    try:
        world = dist.get_world_size()
        if backend == "gloo":     # share the CPU cores out between the processes
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
        config.seed_everything(args.seed)
        ml = synthetic_movielens(seed=1, n_users=120, n_items=150, n_ratings=6000) if args.synthetic \
            else load_movielens(args.dataset, verbose=False)
        task = movielens_ctr(ml)
        record = train(task, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                       hidden=(32, 16) if args.synthetic else (256, 128, 64))
        record["threads per process"] = torch.get_num_threads()
        if dist.get_rank() == 0:
            text = json.dumps(record, indent=1)
            print(text)
            if args.out is not None:
                args.out.write_text(text + "\n")
        # every rank waits for rank 0's test scoring: a rank that tears gloo down while another still
        # works can abort with "terminate called without an active exception"
        dist.barrier()
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
