"""Tests for recsys_course.experiments.ncf on a tiny planted log (seconds, not minutes)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from recsys_course.experiments import ncf
from recsys_course.models import MF
from recsys_course.splits import prepare_leave_one_out

TINY = replace(ncf.Settings(), factors=4, batch_size=256, mf_epochs=2, gmf_epochs=2, mlp_epochs=2,
               neumf_epochs=2, finetune_epochs=1)


@pytest.fixture(scope="module")
def loo():
    """40 users in 4 taste groups, each clicking 10 of its group's 15 items, in time order."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(40):
        group = user % 4
        for t, item in enumerate(rng.choice(np.arange(15) + 15 * group, size=10, replace=False)):
            rows.append((user, int(item), t))
    log = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    return prepare_leave_one_out(log, n_users=40, n_items=60, n_neg=20, seed=0)


def test_compare_models_rows_and_metrics(loo):
    """Every model of the lesson gets a row with bounded metrics and a timing."""
    table = ncf.compare_models(loo, TINY, seed=0)
    assert list(table.index) == ["Popularity", "MF", "GMF", "MLP", "NeuMF (scratch)",
                                 "NeuMF (pretrained, SGD)", "NeuMF (pretrained, Adam)"]
    assert table[["hr@10", "ndcg@10", "auc"]].apply(lambda c: c.between(0, 1)).all().all()
    assert (table["ndcg@10"] <= table["hr@10"] + 1e-12).all()  # NDCG never exceeds HR
    assert (table.drop(index="Popularity")["s/epoch"] > 0).all()


def test_compare_models_is_seeded(loo):
    """Same seed, same numbers."""
    a = ncf.compare_models(loo, TINY, seed=1)
    b = ncf.compare_models(loo, TINY, seed=1)
    pd.testing.assert_frame_equal(a.drop(columns="s/epoch"), b.drop(columns="s/epoch"))


def test_mf_optimizer_parameter_groups():
    """Biases sit in their own group, with weight decay only when asked for."""
    model = MF(5, 6, dim=3)
    for decay_biases, expected in ((True, 1e-4), (False, 0.0)):
        opt = ncf.mf_optimizer(model, lr=1e-3, weight_decay=1e-4, decay_biases=decay_biases)
        embeddings, biases = opt.param_groups
        assert embeddings["weight_decay"] == 1e-4 and biases["weight_decay"] == expected
        assert {id(p) for p in biases["params"]} == {id(model.user_bias.weight), id(model.item_bias.weight),
                                                     id(model.bias)}
        assert len(embeddings["params"]) == 2


def test_relative_gain():
    gain = ncf.relative_gain(pd.Series({"hr@10": 0.66}), pd.Series({"hr@10": 0.60}))
    assert gain["hr@10"] == pytest.approx(0.1)


def test_negative_ratio_sweep_costs_more_per_epoch_with_more_negatives(loo):
    sweep = ncf.negative_ratio_sweep(loo, TINY, ratios=(1, 8), seed=0)
    assert list(sweep.index) == [1, 8]
    assert {"hr@10", "ndcg@10", "s/epoch"} <= set(sweep.columns)


def test_tuned_mf_runs_picks_from_the_validation_grid(loo):
    runs, grid = ncf.tuned_mf_runs(loo, TINY, seeds=[0, 1], dims=(4, 8), decays=(0.0, 1e-5))
    assert len(grid) == 4 and grid["valid hr@10"].between(0, 1).all()
    best = grid.loc[grid["valid hr@10"].idxmax()]
    assert runs["factors"].unique().tolist() == [int(best["dim"])]
    assert list(runs["seed"]) == [0, 1]


def test_script_writes_csv_and_figure(tmp_path, monkeypatch, loo):
    """run_all on the tiny log (patched in as the dataset) writes both outputs."""
    from recsys_course import data as data_module

    monkeypatch.setattr(data_module, "load_movielens",
                        lambda name: data_module.synthetic_movielens(n_users=40, n_items=200, n_ratings=1200))
    monkeypatch.setattr(ncf, "Settings", lambda **kw: replace(TINY, **kw))
    results = ncf.run_all("ml-100k", factors=[4], seeds=[0], out_dir=tmp_path, ratios=(1, 2))
    assert (tmp_path / "ncf_ml-100k.csv").is_file() and (tmp_path / "ncf_ml-100k.png").is_file()
    assert set(results["experiment"]) == {"models", "negatives", "bias decay", "tuned MF"}
    saved = pd.read_csv(tmp_path / "ncf_ml-100k.csv")
    assert len(saved) == len(results)
