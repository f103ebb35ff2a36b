"""Tests for recsys_course.training.loop: the fit loop, its schedule and early stopping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from recsys_course.models import MF
from recsys_course.tasks import prepare_leave_one_out
from recsys_course.training import History, clip_gradients, fit, fit_implicit, stopping_point
from recsys_course.training.batches import tensor_batches


class Logistic(nn.Module):
    """A one-layer logistic regression on 2-D points: model(x) -> one logit per row."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)


def _separable(n=256, seed=0):
    """Points labelled by the sign of x0 + x1 (linearly separable)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=gen)
    y = (x.sum(dim=1) > 0).float()
    return x, y


def _batches(x, y, batch_size=32):
    """A re-iterable list of (x, y) batches in a fixed order."""
    return [(x[s : s + batch_size], y[s : s + batch_size]) for s in range(0, len(x), batch_size)]


def _scripted(values, snapshots=None):
    """An evaluate callable returning values[epoch - 1]; optionally snapshots the weights it sees."""
    calls = iter(values)

    def evaluate(model):
        if snapshots is not None:
            snapshots.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        return {"score": next(calls)}

    return evaluate


def test_fit_lowers_loss_on_separable_problem():
    """Training a logistic regression on separable data drives the loss down."""
    torch.manual_seed(0)
    x, y = _separable()
    model = Logistic()
    with torch.no_grad():
        before = nn.functional.binary_cross_entropy_with_logits(model(x), y).item()
    history = fit(model, _batches(x, y), epochs=15, lr=0.1, progress=False)
    losses = history["train_loss"]
    assert len(history) == 15
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        after = nn.functional.binary_cross_entropy_with_logits(model(x), y).item()
        accuracy = ((model(x) > 0).float() == y).float().mean().item()
    assert after < 0.3 * before
    assert accuracy > 0.95


def test_early_stopping_stops_and_restores_best_weights():
    """After the metric peaks (epoch 2), fit stops and reloads that epoch's weights.

    ``patience`` is the number of epochs in a row without improvement after
    which training stops: with patience=3, epochs 3, 4 and 5 do not improve,
    so training ends after epoch 5.
    """
    torch.manual_seed(0)
    x, y = _separable()
    snapshots: list[dict] = []
    values = [0.5, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    model = Logistic()
    history = fit(
        model,
        _batches(x, y),
        epochs=10,
        lr=0.05,
        evaluate=_scripted(values, snapshots),
        patience=3,
        lr_patience=None,
        progress=False,
    )
    assert history.stopped_early
    assert history.monitor == "score"
    assert history.best_epoch == 2
    assert history.best_value == pytest.approx(0.7)
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["score"] == values[:5]
    final = model.state_dict()
    for key, value in snapshots[1].items():  # snapshot taken at epoch 2
        torch.testing.assert_close(final[key], value, rtol=0, atol=0)
    # training kept changing the weights after epoch 2, so the restore really happened
    assert not torch.equal(snapshots[-1]["linear.weight"], snapshots[1]["linear.weight"])


def test_early_stopping_mode_min_and_monitor():
    """mode='min' with an explicit monitor key picks the lowest value of that key."""
    x, y = _separable()
    losses = iter([0.9, 0.4, 0.5, 0.3, 0.35, 0.36, 0.37, 0.38])
    other = iter([0.1] * 8)
    history = fit(
        Logistic(),
        _batches(x, y),
        epochs=8,
        lr=0.05,
        patience=2,
        lr_patience=None,
        evaluate=lambda m: {"other": next(other), "val_loss": next(losses)},
        monitor="val_loss",
        mode="min",
        progress=False,
    )
    assert history.monitor == "val_loss"
    assert history.best_epoch == 4
    assert history.best_value == pytest.approx(0.3)
    assert history.stopped_early
    assert len(history) == 6


def test_no_early_stopping_without_patience():
    """patience=None runs every epoch even when the metric never improves."""
    x, y = _separable(64)
    history = fit(
        Logistic(),
        _batches(x, y),
        epochs=6,
        evaluate=_scripted([1.0] + [0.0] * 5),
        patience=None,
        progress=False,
    )
    assert len(history) == 6
    assert not history.stopped_early
    assert history.best_epoch == 1


def test_min_delta_requires_real_improvement():
    """Gains no larger than min_delta do not count as improvements."""
    x, y = _separable(64)
    history = fit(
        Logistic(),
        _batches(x, y),
        epochs=5,
        evaluate=_scripted([0.5, 0.505, 0.509, 0.6, 0.6]),
        min_delta=0.01,
        patience=None,
        progress=False,
    )
    assert history.best_epoch == 4


def test_bad_mode_raises():
    """mode must be 'max' or 'min'."""
    x, y = _separable(8)
    with pytest.raises(ValueError):
        fit(Logistic(), _batches(x, y), epochs=1, mode="maximum", progress=False)


def test_reduce_lr_on_plateau_lowers_lr():
    """A flat metric halves the lr after lr_patience + 1 epochs; the lr column records it."""
    x, y = _separable(64)
    history = fit(
        Logistic(),
        _batches(x, y),
        epochs=6,
        lr=0.01,
        evaluate=_scripted([0.5] * 6),
        patience=None,
        lr_patience=1,
        lr_factor=0.5,
        progress=False,
    )
    lrs = history["lr"]
    assert lrs[:3] == pytest.approx([0.01, 0.01, 0.01])
    assert lrs[3] == pytest.approx(0.005)
    assert lrs[-1] == pytest.approx(0.0025)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_lr_constant_while_improving():
    """While the metric keeps improving the lr stays put."""
    x, y = _separable(64)
    history = fit(
        Logistic(),
        _batches(x, y),
        epochs=5,
        lr=0.01,
        evaluate=_scripted([0.1, 0.2, 0.3, 0.4, 0.5]),
        progress=False,
    )
    assert history["lr"] == pytest.approx([0.01] * 5)


def test_lr_constant_without_evaluate():
    """No evaluate, no schedule."""
    x, y = _separable(64)
    history = fit(Logistic(), _batches(x, y), epochs=4, lr=0.02, progress=False)
    assert history["lr"] == pytest.approx([0.02] * 4)


class NormRecordingSGD(torch.optim.SGD):
    """SGD that records the total gradient norm it sees at every step."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.norms: list[float] = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())
        return super().step(closure)


def _huge_targets():
    """A regression problem with targets so large that raw gradient norms are huge."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(64, 2, generator=gen)
    y = 1000.0 * torch.randn(64, generator=gen)
    return x, y


@pytest.mark.parametrize("clip", [None, 0.5])
def test_gradient_clipping_limits_grad_norm(clip):
    """With clip_norm every step sees a gradient norm <= clip_norm; without it they are large."""
    x, y = _huge_targets()
    model = Logistic()
    opt = NormRecordingSGD(model.parameters(), lr=1e-6)
    fit(
        model,
        _batches(x, y, 16),
        epochs=3,
        optimizer=opt,
        loss_fn=nn.functional.mse_loss,
        clip_norm=clip,
        progress=False,
    )
    assert len(opt.norms) == 3 * 4
    if clip is None:
        assert min(opt.norms) > 10.0
    else:
        assert max(opt.norms) <= clip * (1 + 1e-5)
        assert max(opt.norms) == pytest.approx(clip, rel=1e-4)  # clipping, not vanishing


def test_batches_callable_gets_epoch_numbers():
    """A callable `batches` is called once per epoch with 1, 2, ..., epochs."""
    x, y = _separable(32)
    calls = []

    def batches(epoch):
        calls.append(epoch)
        return _batches(x, y)

    fit(Logistic(), batches, epochs=4, progress=False)
    assert calls == [1, 2, 3, 4]


def test_batches_can_be_a_reiterable():
    """A list of batches is reused every epoch (each epoch trains on all rows)."""
    x, y = _separable(40)
    seen_rows = []

    class Counting(Logistic):
        def forward(self, inputs):
            seen_rows.append(len(inputs))
            return super().forward(inputs)

    fit(Counting(), _batches(x, y, 16), epochs=3, progress=False)
    assert seen_rows == [16, 16, 8] * 3


def test_history_frame_columns():
    """frame() has one row per epoch: epoch, train_loss, examples, lr, seconds plus the metrics."""
    x, y = _separable(32)
    history = fit(
        Logistic(), _batches(x, y), epochs=3, progress=False, evaluate=lambda m: {"auc": 0.5, "hr@10": 0.1}
    )
    frame = history.frame()
    assert list(frame.columns) == ["epoch", "train_loss", "examples", "lr", "seconds", "auc", "hr@10"]
    assert frame["epoch"].tolist() == [1, 2, 3]
    assert (frame["seconds"] >= 0).all()
    assert list(fit(Logistic(), _batches(x, y), epochs=2, progress=False).frame().columns) == [
        "epoch",
        "train_loss",
        "examples",
        "lr",
        "seconds",
    ]


def test_history_defaults():
    """An empty History has no rows and no best epoch; missing keys read as None."""
    history = History(records=[{"epoch": 1, "a": 2}, {"epoch": 2}])
    assert len(History()) == 0
    assert History().best_epoch is None
    assert history["a"] == [2, None]


def test_progress_false_prints_nothing(capsys):
    """progress=False keeps stdout and stderr empty."""
    x, y = _separable(32)
    fit(Logistic(), _batches(x, y), epochs=3, evaluate=lambda m: {"auc": 0.5}, progress=False)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_progress_true_shows_a_bar(capsys):
    """progress=True draws the epoch bar on stderr (so the previous test can fail)."""
    x, y = _separable(32)
    fit(Logistic(), _batches(x, y), epochs=2, progress=True, desc="demo")
    assert "demo" in capsys.readouterr().err


def test_quiet_env_hides_progress(monkeypatch, capsys):
    """With progress=None, RECSYS_COURSE_QUIET=1 hides the bar."""
    monkeypatch.setenv("RECSYS_COURSE_QUIET", "1")
    x, y = _separable(32)
    fit(Logistic(), _batches(x, y), epochs=2)
    assert capsys.readouterr().err == ""


def test_fit_with_tensor_batches_callable():
    """fit and tensor_batches work together, re-shuffling each epoch."""
    torch.manual_seed(0)
    x, y = _separable(200)
    gen = torch.Generator().manual_seed(0)
    history = fit(
        Logistic(),
        lambda epoch: tensor_batches(x, y, batch_size=25, generator=gen),
        epochs=5,
        lr=0.1,
        progress=False,
    )
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_fit_implicit_learns_planted_preferences():
    """On a log where each user group clicks its own item block, MF beats popularity on validation."""
    from recsys_course.evaluation import sampled
    from recsys_course.models import Popularity

    rng = np.random.default_rng(0)
    rows = []
    for user in range(60):
        block = user % 3  # users 0,3,6,... like items 0-19; 1,4,... items 20-39; ...
        for t, item in enumerate(rng.choice(np.arange(20) + 20 * block, size=12, replace=False)):
            rows.append((user, int(item), t))
    log = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    loo = prepare_leave_one_out(log, n_users=60, n_items=60, n_neg=20, seed=0)
    torch.manual_seed(0)
    model = MF(60, 60, dim=8)
    history = fit_implicit(model, loo, n_neg=4, batch_size=128, epochs=30, lr=0.05, progress=False)
    assert {"hr@10", "ndcg@10", "auc"} <= set(history.frame().columns)
    assert history.monitor == "hr@10"
    test_users = loo.test["user"].to_numpy()
    mf = sampled.means(model, test_users, loo.test_candidates)
    pop = sampled.means(Popularity.from_interactions(loo.train, 60, 60), test_users, loo.test_candidates)
    assert mf["auc"] > 0.9 and mf["auc"] > pop["auc"] + 0.2


def test_fit_implicit_fixed_epochs_without_validation():
    """validate=False trains a fixed number of epochs with no metrics; validating with no users is an error."""

    rng = np.random.default_rng(1)
    log = pd.DataFrame(
        {
            "user": np.repeat(np.arange(20), 6),
            "item": rng.integers(0, 30, 120),
            "timestamp": np.tile(np.arange(6), 20),
        }
    ).drop_duplicates(["user", "item"])
    final = prepare_leave_one_out(log, n_users=20, n_items=30, n_neg=10).merged_for_test()
    model = MF(20, 30, dim=4)
    history = fit_implicit(model, final, validate=False, epochs=3, batch_size=64, progress=False)
    assert len(history) == 3 and history.best_epoch is None
    assert "hr@10" not in history.frame().columns
    with pytest.raises(ValueError, match="validate=False"):
        fit_implicit(model, final, epochs=1, progress=False)


def test_evaluate_start_keeps_the_starting_weights_when_training_never_beats_them():
    """Epoch 0 is the untrained model; if it stays the best, its weights come back."""
    torch.manual_seed(0)
    x, y = _separable(64)
    model = Logistic()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    history = fit(
        model,
        _batches(x, y),
        epochs=5,
        lr=0.1,
        evaluate=_scripted([0.9, 0.5, 0.6, 0.7, 0.8, 0.85]),
        patience=10,
        evaluate_start=True,
        progress=False,
    )
    assert history.best_epoch == 0 and history["epoch"] == [0, 1, 2, 3, 4, 5]
    assert np.isnan(history["train_loss"][0]) and history["examples"][0] == 0
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(tensor, start[name])


def test_history_counts_examples_per_epoch():
    """Each epoch records how many training examples it processed (the compute it spent)."""
    x, y = _separable(100)
    history = fit(Logistic(), _batches(x, y, batch_size=30), epochs=3, progress=False)
    assert history["examples"] == [100, 100, 100]


@pytest.mark.parametrize(
    "values, patience",
    [([0.5, 0.7, 0.6, 0.6, 0.6, 0.6], 3), ([0.5, 0.6, 0.7, 0.8], 2), ([0.9, 0.8, 0.7, 0.95, 0.6], 2)],
)
def test_stopping_point_replays_what_fit_does(values, patience):
    """One early-stopping rule: replayed on a recorded curve, it stops where fit stops and keeps the same epoch."""
    x, y = _separable()
    history = fit(
        Logistic(),
        _batches(x, y),
        epochs=len(values),
        evaluate=_scripted(values),
        patience=patience,
        lr_patience=None,
        progress=False,
    )
    assert stopping_point(values, patience) == (len(history), history.best_epoch)


def test_an_optimizer_that_needs_a_closure_gets_one():
    """L-BFGS re-evaluates the loss itself: fit hands it a closure, and one step of full batch converges."""
    x, y = _separable(n=64)
    y = (torch.rand(64, generator=torch.Generator().manual_seed(1)) < torch.sigmoid(x.sum(1))).float()
    model = Logistic()
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=200, line_search_fn="strong_wolfe")
    fit(model, [(x, y)], epochs=1, optimizer=optimizer, progress=False)
    logits = model(x)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, y)
    (grad,) = torch.autograd.grad(loss, [model.linear.weight])
    assert grad.abs().max() < 1e-4  # a minimum of the convex loss, not one small step


def test_mixed_precision_trains_on_the_cpu_and_the_history_times_the_fit():
    """amp=True runs the forward pass under bfloat16 autocast on the CPU; the loss still falls."""
    torch.manual_seed(0)
    x, y = _separable()
    history = fit(Logistic(), _batches(x, y), epochs=10, lr=0.1, amp=True, progress=False)
    assert history["train_loss"][-1] < 0.6 * history["train_loss"][0]
    assert history.seconds >= sum(history["seconds"]) > 0


def test_the_loss_summed_on_the_device_is_the_mean_a_python_float_sum_gives():
    """Summing each batch's loss times its size as a float64 tensor gives the epoch's mean to the last bit."""
    torch.manual_seed(0)
    x, y = _separable(n=100)
    batches = _batches(x, y, batch_size=32)  # 32, 32, 32 and 4 rows
    model = Logistic()
    torch.manual_seed(0)
    expected_model = Logistic()
    expected_model.load_state_dict(model.state_dict())
    optimizer = torch.optim.SGD(expected_model.parameters(), lr=0.1)
    total = 0.0
    for xb, yb in batches:
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(expected_model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
    history = fit(
        model, batches, epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), progress=False
    )
    assert history["train_loss"][0] == total / 100


def test_clip_gradients_takes_sparse_gradients_too():
    table = torch.nn.Embedding(10, 3, sparse=True)
    dense = torch.nn.Linear(3, 1)
    (dense(table(torch.tensor([1, 1, 4]))).sum() * 100).backward()
    params = list(table.parameters()) + list(dense.parameters())
    before = clip_gradients(params, 1.0)
    assert before > 1.0
    after = torch.sqrt(
        sum((p.grad.coalesce().values() if p.grad.is_sparse else p.grad).pow(2).sum() for p in params)
    )
    assert float(after) == pytest.approx(1.0, rel=1e-4)
    assert clip_gradients(params, 10.0) == pytest.approx(1.0, rel=1e-4)  # under the limit: left as it is


def test_stopping_point_by_hand():
    curve = [0.60, 0.70, 0.72, 0.71, 0.73, 0.72, 0.71, 0.70]
    assert stopping_point(curve, patience=1) == (4, 3)  # 0.71 < 0.72: stop at once
    assert stopping_point(curve, patience=2) == (7, 5)  # 0.73 at epoch 5, then two worse
    assert stopping_point(curve, patience=10) == (8, 5)  # never stalls long enough
    assert stopping_point([0.5, 0.4, 0.3], patience=1, mode="min") == (3, 3)
