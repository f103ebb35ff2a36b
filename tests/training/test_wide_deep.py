"""Tests for recsys_course.training.wide_deep: the settings it saves and loads per kind of model."""

from __future__ import annotations


def test_settings_round_trip_per_kind(tmp_path):
    from dataclasses import replace

    from recsys_course.training import wide_deep

    tuned = {
        "wide": replace(wide_deep.Settings(), ftrl_l1=16.0),
        "deep": wide_deep.Settings(hidden=(8, 4)),
        "joint": wide_deep.Settings(adam_lr=3e-3),
    }
    path = wide_deep.save_settings(tuned, tmp_path / "s.json")
    assert wide_deep.load_settings(path) == tuned  # tuples come back as tuples
    assert wide_deep.load_settings(tmp_path / "absent.json") == {
        k: wide_deep.Settings() for k in wide_deep.KINDS
    }


def test_both_adams_are_lazy_on_the_wide_table_and_adam_on_the_rest():
    """One Adam and Adam split move only the wide rows a batch used - also on the step after, where dense Adam's
    momentum would move them again - and train every other parameter, each at its part's rate."""
    import torch

    from recsys_course.models import WideAndDeep
    from recsys_course.training import wide_deep

    s = wide_deep.Settings(adam_lr=0.1, split_wide_lr=0.1, split_deep_lr=0.01, adam_weight_decay=1e-4)
    for name in ("one Adam", "Adam split"):
        torch.manual_seed(0)
        model = WideAndDeep(50, {"user": 7}, dim=4, hidden=(8,), sparse_wide=True)
        optimizer = wide_deep.make_optimizer(model, name, s)
        rates = {g["lr"] for o in optimizer.optimizers for g in o.param_groups}
        assert rates == ({0.1, 0.01} if name == "Adam split" else {0.1})
        deep_before = [p.detach().clone() for p in model.deep_parameters()]

        def step(wide_ids):
            optimizer.zero_grad()
            logits = model(torch.tensor(wide_ids), torch.tensor([[1], [2]]))
            torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor([1.0, 0.0])).backward()
            optimizer.step()

        before = model.wide.weight.detach().clone()
        step([[3, 4], [5, 50]])  # 50 is the padding row
        moved = (model.wide.weight.detach() != before).squeeze(1)
        assert moved.nonzero().flatten().tolist() == [3, 4, 5]
        after_first = model.wide.weight.detach().clone()
        step([[6, 50], [7, 50]])
        unchanged = model.wide.weight.detach()[[3, 4, 5]] == after_first[[3, 4, 5]]
        assert unchanged.all(), name  # lazy: rows a batch did not use keep their values
        assert all((p.detach() != q).any() for p, q in zip(model.deep_parameters(), deep_before))
