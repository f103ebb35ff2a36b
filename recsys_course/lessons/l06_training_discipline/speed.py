"""Lesson 06's speed measurements: training throughput of the CTR models by threads, batch, loader and device.

``python -m recsys_course run 06/speed`` times training steps of :func:`recsys_course.training.fit`
(examples per second, the median of several repeats) of FM, DeepFM, Wide & Deep and DIN on
lesson 05's task: on the CPU with 1..all threads, batch sizes, tensors kept in
memory against a ``DataLoader`` with workers, and - where CUDA is present -
fp32 against automatic mixed precision. It keeps one set of rows per device in one CSV.

The committed CPU rows were timed before the timing moved into ``fit`` (by a loop of the same steps written
out here); rerun ``06/speed`` alone to measure them through ``fit``.
"""

from __future__ import annotations

import itertools
import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, TensorDataset

from ... import config
from ...models import DIN, FM, DeepFM, WideAndDeep
from ...tasks.ctr import CTRSplit, CTRTask
from ...training import fit
from . import LESSON

MODELS = ("FM", "DeepFM", "Wide & Deep", "DIN")


def build(name: str, task: CTRTask, dim: int = 16) -> torch.nn.Module:
    n_dense = len(task.dense_names)
    if name == "FM":
        return FM(task.deep_fields, dim=dim, n_dense=n_dense)
    if name == "DeepFM":
        return DeepFM(task.deep_fields, dim=dim, n_dense=n_dense)
    if name == "Wide & Deep":  # one Adam over both parts: a dense wide gradient, the costly case
        return WideAndDeep(
            task.wide_size,
            task.deep_fields,
            dim=dim,
            n_dense=n_dense,
            history_items=task.n_items,
            sparse_wide=False,
        )
    if name == "DIN":
        return DIN(task.n_items, task.deep_fields, dim=dim, n_dense=n_dense)
    raise ValueError(f"unknown model {name!r}; choose from {MODELS}")


def device_name(device: torch.device) -> str:
    """What was measured: the GPU's name, or the CPU's model and its logical cores (threads are a column apart)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name} ({os.cpu_count()} logical cores)"


def throughput(
    model: torch.nn.Module,
    split: CTRSplit,
    *,
    batch_size: int,
    steps: int,
    device: torch.device,
    amp: bool = False,
    loader: str = "tensors",
    workers: int = 0,
    repeats: int = 3,
    seed: int = 0,
) -> list[float]:
    """Examples per second of ``steps`` training steps of :func:`~recsys_course.training.fit`, once per repeat.

    Each repeat is one epoch of ``steps`` batches, after a first, warm-up epoch
    of 10; fit's epoch time waits for the device to finish. ``loader="tensors"``
    slices batches out of tensors already on ``device``; ``"dataloader"`` draws
    them through a ``DataLoader`` (``workers`` processes) and copies each to the
    device, as a training loop over files would.
    """
    torch.manual_seed(seed)
    data = split.tensors(model.inputs)
    n = len(data[0])
    if batch_size > n:
        raise ValueError(f"a batch of {batch_size} rows is larger than the {n} rows to time it on")
    if loader == "tensors":
        on_device = [t.to(device) for t in data]

        def batches():
            while True:
                order = torch.randperm(n, device=device)
                for begin in range(0, n - batch_size + 1, batch_size):
                    idx = order[begin : begin + batch_size]
                    yield [t[idx] for t in on_device]
    elif loader == "dataloader":
        source = DataLoader(
            TensorDataset(*data),
            batch_size=batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=device.type == "cuda",
        )

        def batches():
            while True:
                for batch in source:
                    yield [t.to(device, non_blocking=True) for t in batch]
    else:
        raise ValueError(f"loader must be 'tensors' or 'dataloader', got {loader!r}")
    stream = batches()
    warm_up = min(10, steps)
    history = fit(
        model,
        lambda epoch: itertools.islice(stream, warm_up if epoch == 1 else steps),
        epochs=1 + repeats,
        lr=1e-3,
        amp=amp,
        device=device,
        progress=False,
    )
    return [record["examples"] / record["seconds"] for record in history.records[1:]]  # epoch 1 warmed up


def plan(device: torch.device, fast: bool = False) -> list[dict]:
    """The measurements for one device: each a dict of settings (model, threads, batch, loader, workers, amp)."""
    models = MODELS[:2] if fast else MODELS
    rows = []
    if device.type == "cpu":
        cores = torch.get_num_threads()
        threads = sorted({1, cores})
        for model in models:
            for t in threads:
                rows.append(dict(model=model, threads=t, batch=1024, loader="tensors", workers=0, amp=False))
        for batch in (256, 4096):
            rows.append(
                dict(model="DeepFM", threads=cores, batch=batch, loader="tensors", workers=0, amp=False)
            )
        for workers in (0, 2):
            rows.append(
                dict(
                    model="DeepFM", threads=cores, batch=1024, loader="dataloader", workers=workers, amp=False
                )
            )
    else:
        for model in models:
            for batch in (1024, 8192):
                for amp in (False, True):
                    rows.append(
                        dict(
                            model=model,
                            threads=torch.get_num_threads(),
                            batch=batch,
                            loader="tensors",
                            workers=0,
                            amp=amp,
                        )
                    )
        rows.append(
            dict(
                model="DeepFM",
                threads=torch.get_num_threads(),
                batch=1024,
                loader="dataloader",
                workers=2,
                amp=False,
            )
        )
    return rows


def measure(
    task: CTRTask,
    device: torch.device,
    *,
    steps: int = 100,
    repeats: int = 3,
    fast: bool = False,
    seed: int = 0,
    log=print,
) -> pd.DataFrame:
    """Run :func:`plan` on ``device``: one row per measurement, with the median and range of the repeats."""
    rows = []
    default_threads = torch.get_num_threads()
    try:
        for settings in plan(device, fast):
            torch.set_num_threads(settings["threads"])
            model = build(settings["model"], task)
            rates = throughput(
                model,
                task.train,
                batch_size=settings["batch"],
                steps=steps,
                device=device,
                amp=settings["amp"],
                loader=settings["loader"],
                workers=settings["workers"],
                repeats=repeats,
                seed=seed,
            )
            row = {
                "device": device.type,
                "device name": device_name(device),
                **settings,
                "examples per second": float(np.median(rates)),
                "low": min(rates),
                "high": max(rates),
                "repeats": repeats,
                "steps": steps,
                "torch": torch.__version__,
            }
            rows.append(row)
            log(
                f"{row['device']:>4} | {row['model']:>11} | threads {row['threads']} | batch {row['batch']:>5} | "
                f"{row['loader']}/{row['workers']} | amp {row['amp']} | {row['examples per second']:,.0f} ex/s"
            )
    finally:
        torch.set_num_threads(default_threads)
    return pd.DataFrame(rows)


def run(
    dataset: str = "ml-100k", seeds=(0,), out: Path | None = None, steps: int = 100, repeats: int = 3
) -> list:
    """Time the plan on the CPU, and on CUDA where present, with the first of ``seeds``; keeps other devices' rows in
    ``speed_<dataset>.csv``.

    FAST mode times a few steps of two models once. Time it alone, not beside another job.
    """
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    out = Path(out or config.results_dir(LESSON)) / f"speed_{dataset}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    fast = config.fast_mode()
    steps, repeats = (10, 1) if fast else (steps, repeats)
    task = movielens_ctr(load_movielens(dataset, verbose=False))
    timing = {"steps": steps, "repeats": repeats, "fast": fast, "seed": seeds[0]}
    frames = [measure(task, torch.device("cpu"), **timing)]
    if torch.cuda.is_available():
        frames.append(measure(task, torch.device("cuda"), **timing))
    else:
        print("no CUDA device here: only CPU rows are measured")
    new = pd.concat(frames, ignore_index=True)
    if out.is_file():  # keep other devices' rows; replace this device's
        old = pd.read_csv(out)
        new = pd.concat([old[~old["device name"].isin(new["device name"])], new], ignore_index=True)
    tmp = out.with_name(out.name + ".tmp")
    new.to_csv(tmp, index=False)
    tmp.replace(out)
    return [out]
