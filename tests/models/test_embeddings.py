"""Tests for recsys_course.models.embeddings: IdEmbedding, MultiFieldEmbedding and FeatureSum."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recsys_course.models.embeddings import FeatureSum, IdEmbedding, MultiFieldEmbedding


def test_lookup_equals_one_hot_times_table():
    """table[id] is exactly one_hot(id) @ table."""
    torch.manual_seed(0)
    emb = IdEmbedding(10, 4)
    ids = torch.tensor([3, 0, 9, 3])
    one_hot = F.one_hot(ids, num_classes=10).float()
    torch.testing.assert_close(emb(ids), one_hot @ emb.weight)


def test_xavier_initialisation_bound():
    """Xavier-uniform keeps every weight within sqrt(6 / (fan_in + fan_out))."""
    torch.manual_seed(0)
    emb = IdEmbedding(1000, 16)
    bound = (6 / (1000 + 16)) ** 0.5
    assert emb.weight.abs().max() <= bound
    assert emb.weight.abs().max() > 0.9 * bound  # really uses the range, not a tiny init


def test_padding_row_is_zero_and_gets_no_gradient():
    """The padding id starts at zero and stays zero after an optimisation step."""
    torch.manual_seed(0)
    emb = IdEmbedding(5, 3, padding_idx=0)
    assert torch.count_nonzero(emb.weight[0]) == 0
    opt = torch.optim.SGD(emb.parameters(), lr=1.0)
    emb(torch.tensor([0, 1, 0, 2])).sum().backward()
    assert torch.count_nonzero(emb.weight.grad[0]) == 0
    assert torch.count_nonzero(emb.weight.grad[1]) == 3
    opt.step()
    assert torch.count_nonzero(emb.weight[0]) == 0


def test_out_of_range_ids_raise_a_clear_error():
    emb = IdEmbedding(5, 3)
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        emb(torch.tensor([1, 5]))
    with pytest.raises(ValueError):
        IdEmbedding(0, 3)


def test_multi_field_shape_and_per_field_tables():
    """Output is [batch, fields, dim]; column k is looked up in field k's own table."""
    torch.manual_seed(0)
    fields = {"user": 7, "age": 3, "occupation": 4}
    emb = MultiFieldEmbedding(fields, dim=5)
    ids = torch.tensor([[6, 2, 3], [0, 0, 0]])
    out = emb(ids)
    assert out.shape == (2, 3, 5)
    torch.testing.assert_close(out[0, 1], emb.tables["age"].weight[2])
    torch.testing.assert_close(out[1, 2], emb.tables["occupation"].weight[0])
    assert emb.tables["user"].weight.shape == (7, 5)


def test_multi_field_rejects_wrong_shape_and_range():
    emb = MultiFieldEmbedding({"a": 2, "b": 3}, dim=4)
    with pytest.raises(ValueError, match=r"\[batch, 2\]"):
        emb(torch.tensor([0, 1]))
    with pytest.raises(IndexError):
        emb(torch.tensor([[0, 3]]))  # field b has only 3 values
    with pytest.raises(ValueError):
        MultiFieldEmbedding({}, dim=4)


def test_feature_sum_is_features_times_table():
    """FeatureSum looks up like an embedding: forward(ids) = features[ids] @ table, weight = all items."""
    features = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.float32)
    layer = FeatureSum(features, dim=2, init_std=1.0)
    assert layer.embedding_dim == 2 and layer.num_embeddings == 3 and layer.weight.shape == (3, 2)
    torch.testing.assert_close(
        layer(torch.tensor([0, 2])), torch.stack([layer.table[0] + layer.table[1], torch.zeros(2)])
    )
    layer(torch.tensor([0])).sum().backward()
    assert layer.table.grad[:2].abs().sum() > 0 and layer.table.grad[2].abs().sum() == 0
    with pytest.raises(ValueError, match="2-D"):
        FeatureSum(np.ones(3), dim=2)
