"""Tests for recsys_course.models.pairs: shapes, the algebra of each model, id checks, a tiny fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from recsys_course.evaluation import sampled
from recsys_course.models import GMF, MF, MLP, Additive, NeuMF, Popularity, check_ids, mlp_tower
from recsys_course.training import fit

N_USERS, N_ITEMS = 7, 11


def _randomise(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every parameter (biases included, which start at zero) a random value."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return model


def _all_pairs():
    """Every (user, item) pair as two flat LongTensors."""
    users = torch.arange(N_USERS).repeat_interleave(N_ITEMS)
    items = torch.arange(N_ITEMS).repeat(N_USERS)
    return users, items


@pytest.mark.parametrize(
    "make",
    [
        lambda: Additive(N_USERS, N_ITEMS),
        lambda: MF(N_USERS, N_ITEMS, dim=4),
        lambda: MLP(N_USERS, N_ITEMS, dim=4, layers=(8, 4)),
    ],
)
def test_output_shape_is_one_logit_per_pair(make):
    """forward(users, items) returns a float vector with one entry per pair."""
    model = make()
    users, items = _all_pairs()
    out = model(users, items)
    assert out.shape == (N_USERS * N_ITEMS,)
    assert out.dtype == torch.float32
    assert model(torch.tensor([3]), torch.tensor([2])).shape == (1,)


def test_additive_has_no_interaction():
    """For Additive, score(u, i) - score(u, j) does not depend on u."""
    model = _randomise(Additive(N_USERS, N_ITEMS))
    users, items = _all_pairs()
    with torch.no_grad():
        scores = model(users, items).reshape(N_USERS, N_ITEMS)
    diffs = scores - scores[:, :1]  # score(u, i) - score(u, 0) for every u
    torch.testing.assert_close(diffs, diffs[:1].expand_as(diffs), rtol=0, atol=1e-5)


def test_additive_starts_at_zero():
    """Biases are initialised to zero, so a fresh Additive predicts p = 0.5 everywhere."""
    model = Additive(N_USERS, N_ITEMS)
    users, items = _all_pairs()
    assert torch.count_nonzero(model(users, items)) == 0


def test_mf_has_interaction():
    """MF with random factors is not additive (contrast with the test above)."""
    model = _randomise(MF(N_USERS, N_ITEMS, dim=3))
    users, items = _all_pairs()
    with torch.no_grad():
        scores = model(users, items).reshape(N_USERS, N_ITEMS)
    diffs = scores - scores[:, :1]
    assert (diffs - diffs[:1]).abs().max() > 0.1


def test_mf_equals_biases_plus_dot_product():
    """MF's logit is b + b_u + b_i + <p_u, q_i>, computed here by hand."""
    model = _randomise(MF(N_USERS, N_ITEMS, dim=5), seed=3)
    users, items = _all_pairs()
    with torch.no_grad():
        got = model(users, items)
        P, Q = model.user_emb.weight, model.item_emb.weight
        bu, bi = model.user_bias.weight[:, 0], model.item_bias.weight[:, 0]
        full = model.bias + bu[:, None] + bi[None, :] + P @ Q.T  # [users, items]
    torch.testing.assert_close(got, full.reshape(-1), rtol=1e-5, atol=1e-5)


def test_mlp_forward_and_features():
    """features() has the last layer's width; forward is the head applied to it."""
    model = MLP(N_USERS, N_ITEMS, dim=6, layers=(16, 8, 3))
    users, items = _all_pairs()
    with torch.no_grad():
        feats = model.features(users, items)
        out = model(users, items)
    assert feats.shape == (N_USERS * N_ITEMS, 3)
    assert (feats >= 0).all()  # ReLU output
    torch.testing.assert_close(out, model.head(feats).squeeze(-1))


def test_mlp_without_hidden_layers():
    """layers=() leaves the concatenated embeddings as features."""
    model = MLP(N_USERS, N_ITEMS, dim=4, layers=())
    users, items = _all_pairs()
    feats = model.features(users, items)
    assert feats.shape == (N_USERS * N_ITEMS, 8)
    torch.testing.assert_close(feats, torch.cat([model.user_emb(users), model.item_emb(items)], dim=-1))


def test_mlp_tower_structure():
    """mlp_tower stacks Linear -> ReLU (-> Dropout) for each consecutive size pair."""
    tower = mlp_tower([10, 6, 2], dropout=0.2)
    kinds = [type(layer) for layer in tower]
    assert kinds == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout]
    assert (tower[0].in_features, tower[0].out_features) == (10, 6)
    assert [type(layer) for layer in mlp_tower([4, 2])] == [nn.Linear, nn.ReLU]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Additive(N_USERS, N_ITEMS),
        lambda: MF(N_USERS, N_ITEMS, dim=4),
        lambda: MLP(N_USERS, N_ITEMS, dim=4, layers=(8,)),
    ],
)
@pytest.mark.parametrize(
    "users, items, what, bound",
    [
        ([0, N_USERS], [0, 1], "user", N_USERS),
        ([0, 1], [N_ITEMS + 3, 0], "item", N_ITEMS),
        ([-1, 0], [0, 1], "user", N_USERS),
        ([0, 1], [0, -2], "item", N_ITEMS),
    ],
)
def test_out_of_range_ids_raise_clear_index_error(make, users, items, what, bound):
    """Ids outside [0, n) raise IndexError naming the id kind and the valid range."""
    model = make()
    with pytest.raises(IndexError, match=rf"{what} ids must lie in \[0, {bound}\)"):
        model(torch.tensor(users), torch.tensor(items))


def test_check_ids_accepts_valid_and_empty():
    """check_ids is silent for in-range and empty id tensors."""
    check_ids(torch.tensor([0, 4]), 5, "user")
    check_ids(torch.tensor([], dtype=torch.long), 5, "user")


def _rank_one_signs(n_users=6, n_items=6):
    """A rank-1 +-1 matrix R[u, i] = a[u] * b[i] with balanced signs, as (users, items, labels)."""
    a = torch.tensor([1.0, -1.0] * (n_users // 2))
    b = torch.tensor([1.0, 1.0, -1.0] * (n_items // 3))
    R = a[:, None] * b[None, :]
    users = torch.arange(n_users).repeat_interleave(n_items)
    items = torch.arange(n_items).repeat(n_users)
    return users, items, (R.reshape(-1) > 0).float()


def _train_and_score(model, users, items, labels, epochs=300):
    """Full-batch training with fit; returns the training accuracy."""
    fit(model, [(users, items, labels)], epochs=epochs, lr=0.05, progress=False)
    with torch.no_grad():
        return ((model(users, items) > 0).float() == labels).float().mean().item()


def test_mf_fits_rank_one_sign_matrix():
    """MF reproduces every sign of a rank-1 +-1 matrix."""
    torch.manual_seed(0)
    users, items, labels = _rank_one_signs()
    model = MF(6, 6, dim=2)
    assert _train_and_score(model, users, items, labels) == 1.0
    with torch.no_grad():
        loss = nn.functional.binary_cross_entropy_with_logits(model(users, items), labels).item()
    assert loss < 0.1


def test_additive_cannot_fit_rank_one_sign_matrix():
    """The additive model lacks the interaction, so it gets some signs wrong."""
    torch.manual_seed(0)
    users, items, labels = _rank_one_signs()
    assert _train_and_score(Additive(6, 6), users, items, labels) < 1.0


def test_popularity_scores_items_by_training_count_for_everyone():
    """Popularity ranks items by how often they were seen, identically for every user."""
    frame = pd.DataFrame({"user": [0, 1, 2, 0, 1, 2], "item": [3, 3, 3, 1, 1, 0]})
    model = Popularity.from_interactions(frame, n_users=3, n_items=5)
    items = torch.tensor([0, 1, 2, 3, 4])
    for user in range(3):
        scores = model(torch.full((5,), user), items)
        assert scores.argsort(descending=True)[:3].tolist() == [3, 1, 0]
        assert scores[2] == scores[4] == 0  # never seen
    with pytest.raises(IndexError):
        model(torch.tensor([0]), torch.tensor([5]))
    sampled.means(model, [0], np.array([[3, 0, 1]]))  # works without parameters


def test_gmf_is_a_weighted_dot_product():
    """GMF's logit is h . (p_u * q_i) + b; with h = 1 and b = 0 it is the plain dot product."""
    torch.manual_seed(0)
    model = GMF(5, 7, dim=4)
    users, items = torch.tensor([0, 4, 2]), torch.tensor([6, 0, 3])
    p, q = model.user_emb(users), model.item_emb(items)
    torch.testing.assert_close(model(users, items), (p * q) @ model.head.weight[0] + model.head.bias)
    with torch.no_grad():
        model.head.weight.fill_(1.0)
        model.head.bias.zero_()
    torch.testing.assert_close(model(users, items), (p * q).sum(-1))


def test_neumf_has_separate_embeddings_per_path():
    """The GMF and MLP paths own different tables, with the sizes the constructor implies."""
    model = NeuMF(10, 20, factors=8, mlp_layers=(32, 16, 8))
    assert model.gmf.user_emb.weight.shape == (10, 8)
    assert model.mlp.user_emb.weight.shape == (10, 16)
    assert model.gmf.user_emb.weight.data_ptr() != model.mlp.user_emb.weight.data_ptr()
    assert model.head.in_features == 8 + 8
    assert model(torch.tensor([0, 9]), torch.tensor([19, 0])).shape == (2,)
    with pytest.raises(ValueError):
        NeuMF(10, 20, factors=8, mlp_layers=(31, 8))
    with pytest.raises(IndexError, match=r"\[0, 20\)"):
        model(torch.tensor([0]), torch.tensor([20]))


def test_neumf_from_pretrained_starts_at_the_weighted_sum_of_both_models():
    """At initialisation, NeuMF's logit = alpha * GMF logit + (1 - alpha) * MLP logit."""
    torch.manual_seed(0)
    gmf = GMF(12, 30, dim=6)
    mlp = MLP(12, 30, dim=10, layers=(12, 6), init_std=0.1)
    for alpha in (0.5, 0.2):
        fused = NeuMF.from_pretrained(gmf, mlp, alpha=alpha)
        users, items = torch.randint(0, 12, (50,)), torch.randint(0, 30, (50,))
        with torch.no_grad():
            torch.testing.assert_close(
                fused(users, items), alpha * gmf(users, items) + (1 - alpha) * mlp(users, items)
            )
    # the copies are independent: training the fused model leaves the pretrained ones untouched
    before = gmf.user_emb.weight.clone()
    with torch.no_grad():
        fused.gmf.user_emb.weight.add_(1.0)
    torch.testing.assert_close(gmf.user_emb.weight, before)
    with pytest.raises(ValueError):
        NeuMF.from_pretrained(gmf, MLP(13, 30, dim=10, layers=(12, 6)))


def test_neumf_with_shared_embeddings_reads_one_table_per_side():
    """shared_embeddings=True: both paths use the MLP's tables; a gradient reaches them from both."""
    model = NeuMF(10, 20, factors=8, mlp_layers=(32, 16, 8), shared_embeddings=True)
    assert model.gmf.user_emb is model.mlp.user_emb and model.gmf.item_emb is model.mlp.item_emb
    assert model.gmf.user_emb.weight.shape == (10, 16)
    assert model.head.in_features == 16 + 8
    separate = NeuMF(10, 20, factors=16, mlp_layers=(32, 16, 8))
    shared_count = sum(p.numel() for p in model.parameters())
    separate_count = sum(p.numel() for p in separate.parameters())
    assert separate_count - shared_count == (10 + 20) * 16  # exactly one pair of tables fewer
    model(torch.tensor([1]), torch.tensor([2])).sum().backward()
    grad = model.mlp.user_emb.weight.grad[1]
    # zero out the GMF path's contribution: the remaining gradient differs, so GMF did contribute
    model.zero_grad()
    with torch.no_grad():
        model.head.weight[:, :16] = 0
    model(torch.tensor([1]), torch.tensor([2])).sum().backward()
    assert not torch.allclose(grad, model.mlp.user_emb.weight.grad[1])


def test_item_features_make_an_item_the_sum_of_its_features():
    """With item_features, MF's item vector is features @ table and its bias the sum of feature biases."""
    features = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=np.float32)
    model = _randomise(MF(3, 5, dim=4, item_features=features))
    table = model.item_emb.table.detach()
    torch.testing.assert_close(model.item_emb.weight.detach(), torch.from_numpy(features) @ table)
    users = torch.tensor([0, 1, 2, 0])
    same = model(users, torch.tensor([2, 2, 2, 3])), model(users, torch.tensor([3, 3, 3, 2]))
    torch.testing.assert_close(*same)  # items 2 and 3 share their features: no model can tell them apart
    expected = (
        model.bias
        + model.user_bias(users).squeeze(-1)
        + (torch.from_numpy(features[[2, 2, 2, 3]]) @ model.item_bias.table).squeeze(-1)
        + (model.user_emb(users) * (torch.from_numpy(features[[2, 2, 2, 3]]) @ table)).sum(-1)
    )
    torch.testing.assert_close(same[0], expected)
    with pytest.raises(ValueError, match="rows for 6 items"):
        MF(3, 6, item_features=features)


def test_dot_product_cannot_fit_xor_of_two_item_features_but_an_mlp_can():
    """Items with features A, B (four kinds); every user likes A xor B. MF over feature sums cannot
    express it (its score is additive in A and B for a fixed user); an MLP over the same inputs can."""
    kinds = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
    features = np.repeat(kinds, 5, axis=0)  # 20 items, 5 of each kind
    users = torch.arange(6).repeat_interleave(20)
    items = torch.arange(20).repeat(6)
    labels = torch.from_numpy((features[:, 0] != features[:, 1]).astype(np.float32)).repeat(6)
    accuracy = {}
    for name, model in {
        "MF": MF(6, 20, dim=4, item_features=features),
        "MLP": MLP(6, 20, dim=4, layers=(16,), item_features=features),
    }.items():
        torch.manual_seed(0)
        fit(model, [(users, items, labels)], epochs=400, lr=0.05, progress=False)
        with torch.no_grad():
            accuracy[name] = float(((model(users, items) > 0).float() == labels).float().mean())
    assert accuracy["MF"] <= 0.75 and accuracy["MLP"] == 1.0, accuracy
