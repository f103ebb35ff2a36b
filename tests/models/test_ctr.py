"""Tests for the CTR models in recsys_course.models: FM against the naive pairwise sum, DeepFM, DIN and Dice."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_course.models import DIN, FM, MF, DeepFM, Dice

FIELDS = {"user": 7, "movie": 9, "age": 4}


def _batch(n=6, n_dense=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    deep = torch.stack([torch.randint(0, size, (n,), generator=g) for size in FIELDS.values()], dim=1)
    dense = torch.rand(n, n_dense, generator=g)
    return deep, dense


def test_fm_matches_the_naive_sum_over_every_pair_of_features():
    torch.manual_seed(0)
    model = FM(FIELDS, dim=5, n_dense=3, init_std=0.3)
    with torch.no_grad():
        model.dense_weights.normal_()
        model.bias.fill_(0.7)
    deep, dense = _batch()
    v = model.vectors(deep, dense)  # [n, 3 fields + 3 dense, 5]
    naive = torch.zeros(len(deep))
    for i in range(v.shape[1]):
        for j in range(i + 1, v.shape[1]):
            naive += (v[:, i] * v[:, j]).sum(-1)
    linear = 0.7 + sum(model.weights.tables[name](deep[:, k]).squeeze(-1) for k, name in enumerate(FIELDS))
    linear = linear + dense @ model.dense_weights
    assert torch.allclose(model.pairwise(v), naive, atol=1e-6)
    assert torch.allclose(model(deep, dense), linear + naive, atol=1e-6)


def test_fm_scales_a_dense_feature_by_its_value():
    model = FM(FIELDS, dim=4, n_dense=3)
    deep, dense = _batch()
    zero = dense.clone()
    zero[:, 1] = 0.0
    v = model.vectors(deep, zero)
    assert torch.count_nonzero(v[:, len(FIELDS) + 1]) == 0  # an absent genre adds no vector
    with pytest.raises(ValueError, match="3 dense inputs"):
        model.vectors(deep, dense[:, :2])


def test_fm_reads_the_liked_history_as_one_pooled_field():
    torch.manual_seed(2)
    n_items = 9
    model = DeepFM(FIELDS, dim=4, n_dense=3, hidden=(8,), history_items=n_items)
    assert model.inputs == ("deep", "dense", "history") and model.n_features == len(FIELDS) + 3 + 1
    deep, dense = _batch(n=3)
    history = torch.tensor([[1, 4, n_items], [n_items, n_items, n_items], [4, 1, n_items]])
    v = model.vectors(deep, dense, history)
    # the history's vector is the mean of the liked items' vectors; padding is left out, none at all gives 0
    mean = (model.history.weight[1] + model.history.weight[4]) / 2
    assert torch.allclose(v[0, -1], mean, atol=1e-6) and torch.count_nonzero(v[1, -1]) == 0
    # ... and its weight the mean of theirs, in the linear part
    base = FM.linear(model, deep, dense, history) - model.history_weights(history).squeeze(-1)
    assert torch.allclose(base, model.bias + model.weights(deep).sum((1, 2)) + dense @ model.dense_weights)
    assert torch.allclose(v[0, -1], v[2, -1])  # the order of the liked items does not matter
    with pytest.raises(ValueError, match="liked history"):
        model(deep, dense)


def test_deepfm_is_its_fm_plus_a_tower_on_the_same_vectors():
    torch.manual_seed(1)
    model = DeepFM(FIELDS, dim=4, n_dense=3, hidden=(8, 4))
    deep, dense = _batch()
    v = model.vectors(deep, dense)
    fm_part = FM.forward(model, deep, dense)
    assert torch.allclose(model(deep, dense), fm_part + model.tower(v.flatten(1)).squeeze(-1), atol=1e-6)
    assert model.tower[0][0].in_features == (len(FIELDS) + 3) * 4
    # the tower's gradient reaches the shared field vectors
    model(deep, dense).sum().backward()
    assert model.fields.tables["user"].weight.grad.abs().sum() > 0


def _din_inputs(n=5, length=4, n_items=11, seed=2):
    deep, dense = _batch(n, 3, seed)
    g = torch.Generator().manual_seed(seed)
    history = torch.randint(0, n_items, (n, length), generator=g)
    history[0, 2:] = n_items  # row 0: two liked items, then padding
    history[1, :] = n_items  # row 1: no liked item yet
    item = torch.randint(0, n_items, (n,), generator=g)
    return deep, dense, history, item


@pytest.mark.parametrize("activation", ["prelu", "dice"])
def test_din_ignores_padding_and_the_order_of_the_history(activation):
    torch.manual_seed(3)
    model = DIN(
        11, FIELDS, dim=6, n_dense=3, attention_hidden=(8,), hidden=(8,), activation=activation
    ).eval()
    deep, dense, history, item = _din_inputs()
    out = model(deep, dense, history, item)
    weights = model.history_weights(history, item)
    assert (weights[0, 2:] == 0).all() and (weights[1] == 0).all()
    shuffled = history[:, torch.tensor([3, 1, 0, 2])]
    assert torch.allclose(model(deep, dense, shuffled, item), out, atol=1e-5)  # a weighted sum: no order
    longer = torch.cat([history, torch.full((5, 3), 11)], dim=1)  # more padding: nothing changes
    assert torch.allclose(model(deep, dense, longer, item), out, atol=1e-5)


def test_din_weights_depend_on_the_candidate_and_base_model_does_not():
    torch.manual_seed(4)
    deep, dense, history, item = _din_inputs()
    din = DIN(11, FIELDS, dim=6, n_dense=3).eval()
    other = (item + 1) % 11
    assert not torch.allclose(din.history_weights(history, item)[2:], din.history_weights(history, other)[2:])
    base = DIN(11, FIELDS, dim=6, n_dense=3, attention=False).eval()
    assert torch.equal(base.history_weights(history, item), (history != 11).float())
    with pytest.raises(ValueError, match="prelu"):
        DIN(11, FIELDS, activation="relu")


def test_dice_is_a_smooth_prelu_centred_on_the_batch_mean():
    dice = Dice(2)
    with torch.no_grad():
        dice.alpha.fill_(0.25)
    s = torch.tensor([[-2.0, 10.0], [0.0, 10.5], [2.0, 11.0]])
    out = dice(s)
    mean, var = s.mean(0), s.var(0, unbiased=False)
    p = torch.sigmoid((s - mean) / torch.sqrt(var + 1e-8))
    assert torch.allclose(out, p * s + (1 - p) * 0.25 * s, atol=1e-6)
    # at the mean the switch is half open, far above it the unit passes s through
    assert out[1, 0] == 0.0 and torch.isclose(out[2, 1], p[2, 1] * 11 + (1 - p[2, 1]) * 0.25 * 11)
    dice.eval()  # evaluation uses the running statistics
    assert dice(s).shape == s.shape


def test_every_ctr_model_trains_on_a_ctr_task():
    from recsys_course.data import synthetic_movielens
    from recsys_course.evaluation.inference import predict_logits
    from recsys_course.tasks.ctr import movielens_ctr
    from recsys_course.training import fit_ctr

    task = movielens_ctr(synthetic_movielens(seed=5, n_users=80, n_items=120, n_ratings=4000), history_len=5)
    n_dense = len(task.dense_names)
    models = {
        "MF": MF(80, 120, dim=8),
        "FM": FM(task.deep_fields, dim=8, n_dense=n_dense),
        "DeepFM": DeepFM(task.deep_fields, dim=8, n_dense=n_dense, hidden=(16,)),
        "DIN": DIN(task.n_items, task.deep_fields, dim=8, n_dense=n_dense, activation="dice"),
    }
    for name, model in models.items():
        torch.manual_seed(0)
        history = fit_ctr(model, task, epochs=2, patience=None, lr=0.01)
        assert len(history) == 2 and np.isfinite(history["train_loss"]).all(), name
        assert history["train_loss"][1] < history["train_loss"][0], name
        assert predict_logits(model, task.test).shape == (len(task.test),)


def test_dcn_cross_layer_is_x0_times_a_linear_map_plus_the_residual():
    from recsys_course.models import DCN, CrossLayer

    torch.manual_seed(3)
    layer = CrossLayer(6)
    x0, x = torch.randn(4, 6), torch.randn(4, 6)
    assert torch.allclose(layer(x0, x), x0 * (x @ layer.linear.weight.T + layer.linear.bias) + x, atol=1e-6)
    # with W = 0 and b = 0 a cross layer passes its input through: the residual path keeps x0 to the output
    with torch.no_grad():
        layer.linear.weight.zero_()
        layer.linear.bias.zero_()
    assert torch.equal(layer(x0, x), x)
    model = DCN(FIELDS, dim=4, n_dense=3, hidden=(8,), cross_layers=2, history_items=9)
    assert not hasattr(model, "weights") and model.inputs == ("deep", "dense", "history")
    deep, dense = _batch(n=5)
    history = torch.full((5, 2), 9)
    out = model(deep, dense, history)
    assert out.shape == (5,)
    out.sum().backward()  # the gradient reaches the field vectors through both the cross network and the tower
    assert model.fields.tables["user"].weight.grad.abs().sum() > 0
