"""Lesson 06's multi-process training: DDP over two CPU processes (gloo), launched as torchrun launches it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from recsys_course.lessons.l06_training_discipline.distributed import shard


def test_shards_cover_an_epoch_once_and_change_with_the_epoch():
    parts = [shard(103, rank, 4, seed=0, epoch=1) for rank in range(4)]
    together = np.concatenate(parts)
    assert all(len(p) == 25 for p in parts) and len(np.unique(together)) == 100  # 3 rows left out
    whole = shard(103, 0, 1, seed=0, epoch=1)  # one process's epoch
    batch = np.sort(np.concatenate([p[5:10] for p in parts]))  # the ranks' 2nd batches of 5
    assert np.array_equal(batch, np.sort(whole[20:40]))  # = its 2nd batch of 20
    assert not np.array_equal(shard(103, 0, 4, 0, 1), shard(103, 0, 4, 0, 2))
    assert np.array_equal(shard(103, 2, 4, 0, 1), parts[2])  # every rank agrees


def _launch(tmp_path, processes: int) -> dict:
    """The course's command line under torchrun, as the README launches it."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RECSYS_COURSE_QUIET": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={processes}",
        "-m",
        "recsys_course",
        "run",
        "06/distributed",
        "--synthetic",
        "--epochs",
        "2",
        "--batch-size",
        "256",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((tmp_path / f"distributed_synthetic_{processes}.json").read_text())


def test_two_cpu_processes_train_the_same_model_as_one(tmp_path):
    one, two = _launch(tmp_path, 1), _launch(tmp_path, 2)
    assert (one["processes"], two["processes"]) == (1, 2) and two["backend"] == "gloo"
    assert two["weights agree across ranks"]
    assert two["examples"] == one["examples"]  # the same rows per epoch, split over the ranks
    # the same global batches, the gradients averaged: one process's training, up to rounding
    assert np.allclose(one["train loss per epoch"], two["train loss per epoch"], atol=1e-4)
    assert abs(one["test auc"] - two["test auc"]) < 1e-3
    assert two["examples per second"] > 0
