"""Tests for lesson 06's speed measurements: every CPU setting is timed and named; the loaders agree."""

from __future__ import annotations

import pytest
import torch

from recsys_course.data import synthetic_movielens
from recsys_course.lessons.l06_training_discipline import speed
from recsys_course.tasks.ctr import movielens_ctr


@pytest.fixture(scope="module")
def task():
    return movielens_ctr(synthetic_movielens(seed=2, n_users=80, n_items=150, n_ratings=6000), history_len=5)


def test_the_cpu_plan_is_measured_and_every_row_names_its_device(task):
    frame = speed.measure(task, torch.device("cpu"), steps=3, repeats=2, fast=True, log=lambda *_: None)
    assert len(frame) == len(speed.plan(torch.device("cpu"), fast=True))
    assert set(frame["loader"]) == {"tensors", "dataloader"} and set(frame["batch"]) >= {256, 1024, 4096}
    assert (frame["examples per second"] > 0).all() and (frame["low"] <= frame["high"]).all()
    assert frame["device name"].nunique() == 1 and frame["device name"].str.contains("logical cores").all()
    assert (frame["device"] == "cpu").all()
    assert torch.get_num_threads() == frame["threads"].max()  # the thread count is restored


@pytest.mark.parametrize("name", speed.MODELS)
def test_every_model_trains_through_both_loaders(task, name):
    for loader in ("tensors", "dataloader"):
        rates = speed.throughput(
            speed.build(name, task, dim=4),
            task.train,
            batch_size=64,
            steps=2,
            device=torch.device("cpu"),
            loader=loader,
            repeats=1,
        )
        assert len(rates) == 1 and rates[0] > 0
    with pytest.raises(ValueError, match="loader"):
        speed.throughput(
            speed.build(name, task, dim=4),
            task.train,
            batch_size=64,
            steps=1,
            device=torch.device("cpu"),
            loader="files",
        )
    with pytest.raises(ValueError, match="larger than"):
        speed.throughput(
            speed.build(name, task, dim=4), task.train, batch_size=10**6, steps=1, device=torch.device("cpu")
        )
