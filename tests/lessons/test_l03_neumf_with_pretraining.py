"""Tests for lesson 03's experiments (ncf, tuning, full_size, claims) and the results store, on a tiny planted
log (seconds, not minutes), and the NeuMF diagram drawn from a model."""

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from recsys_course.evidence import Results, verdict
from recsys_course.lessons.l03_neumf_with_pretraining import claims as ncf_claims
from recsys_course.lessons.l03_neumf_with_pretraining import full_size, ncf, tuning
from recsys_course.models import MF

TINY = replace(ncf.Settings(), factors=4, batch_size=256, max_epochs=3, patience=1, mf_dim=4, neumf_factors=4)


@pytest.fixture(scope="module")
def compared(loo):
    results = Results()
    ncf.popularity(loo, results)
    table, models = ncf.compare_models(loo, TINY, seed=0, results=results)
    return results, table, models


def test_compare_models_rows_metrics_and_trained_models(compared):
    """Every model of the lesson gets a row with bounded metrics; the trained models come back too."""
    results, table, models = compared
    assert list(table.index) == ncf.MODELS
    assert (
        table[["hr@10", "ndcg@10", "auc", "valid"]].apply(lambda c: c.astype(float).between(0, 1)).all().all()
    )
    assert (table["ndcg@10"] <= table["hr@10"] + 1e-12).all()  # NDCG never exceeds HR
    assert set(models) == set(ncf.MODELS) and isinstance(models["MF"], MF)
    assert len(results.rows) == 1 + len(ncf.MODELS)


def test_fused_model_before_fine_tuning_is_the_pretrained_start(compared):
    """The fused row scores GMF+MLP as fused; a fine-tuned run that never beat it (best epoch 0) equals it."""
    results, table, _ = compared
    fused = results.per_user("auc", model="GMF+MLP (fused, not fine-tuned)")
    for name in ("NeuMF (pretrained, SGD)", "NeuMF (pretrained, Adam)"):
        if table.loc[name, "best epoch"] == 0:
            np.testing.assert_allclose(results.per_user("auc", model=name), fused)


def test_compare_models_is_seeded(loo):
    """Same seed, same numbers."""
    a, _ = ncf.compare_models(loo, TINY, seed=1)
    b, _ = ncf.compare_models(loo, TINY, seed=1)
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))


def test_results_per_user_and_round_trip(compared, tmp_path):
    """per_user gives [runs, users] in seed order for any metric; save/load keeps every number."""
    results, table, _ = compared
    hits = results.per_user("hr@10", model="MF")
    assert hits.shape == (1, len(results.users)) and set(np.unique(hits)) <= {0.0, 1.0}
    assert hits.mean() == pytest.approx(table.loc["MF", "hr@10"])
    assert results.per_user("ndcg@10", model="MF").mean() == pytest.approx(table.loc["MF", "ndcg@10"])
    results.save(tmp_path, "tiny")
    again = Results.load(tmp_path, "tiny")
    for metric in ("hr@10", "ndcg@10", "auc"):
        np.testing.assert_allclose(again.per_user(metric, model="GMF"), results.per_user(metric, model="GMF"))
    with pytest.raises(KeyError, match="no run matches"):
        results.per_user("hr@10", model="nope")
    with pytest.raises(ValueError, match="unknown metric"):
        results.per_user("rmse", model="MF")


def test_results_refuse_runs_on_other_users(compared):
    results, _, _ = compared
    other = pd.DataFrame({"user": [0, 1], "rank": [0, 1], "auc": [1.0, 0.9]})
    with pytest.raises(ValueError, match="same test users"):
        results.add({"model": "x", "seed": 0}, other)


def test_negative_ratio_sweep_records_compute_and_curves(loo):
    results = Results()
    sweep = ncf.negative_ratio_sweep(loo, TINY, ratios=(1, 4), seeds=(0,), results=results)
    assert sweep["negatives"].tolist() == [1, 4]
    assert (sweep["examples to best"] > 0).all()
    curves = pd.concat(results.curves)
    assert set(curves["negatives"]) == {1, 4}
    # cumulative examples: each epoch adds the same number, (1 + negatives) per training interaction
    per_epoch = curves.groupby(["negatives", "seed"])["examples"].agg(
        lambda e: set(e.diff().fillna(e.iloc[0]))
    )
    assert all(len(steps) == 1 for steps in per_epoch)
    first = curves[curves["epoch"] == 1].set_index("negatives")["examples"]
    assert first[4] / first[1] == pytest.approx(5 / 2)


def test_tune_picks_from_its_validation_grid(loo):
    tuned, grid = tuning.tune(
        loo,
        TINY,
        "tiny",
        dims=(4, 8),
        decays=(0.0, 1e-5),
        factors=(2, 4),
        sgd_lrs=(0.1,),
        adam_lrs=(1e-3, 1e-2),
    )
    mf = grid[grid["what"] == "MF"]
    best = mf.loc[mf["valid"].idxmax()]
    assert (tuned.mf_dim, tuned.mf_weight_decay, tuned.tuned_on) == (
        int(best["dim"]),
        best["weight_decay"],
        "tiny",
    )
    neumf = grid[grid["what"] == "NeuMF"]
    plain = neumf[
        neumf["weight_decay"] == 0
    ]  # the lesson's size: best without weight decay, as every model trains
    assert tuned.factors == plain.loc[plain["valid"].idxmax(), "factors"]
    best_neumf = neumf.loc[neumf["valid"].idxmax()]  # the tuned NeuMF: MF's grid of decays, at every size
    assert (tuned.neumf_factors, tuned.neumf_weight_decay) == (
        best_neumf["factors"],
        best_neumf["weight_decay"],
    )
    adam = grid[grid["what"] == "fine-tune Adam"]
    assert tuned.finetune_lr_adam == adam.loc[adam["valid"].idxmax(), "lr"]
    assert len(grid) == 4 + 4 + 1 + 2


def test_settings_for_an_untuned_dataset_warn_and_fall_back():
    assert ncf.settings_for("ml-100k").tuned_on == "ml-100k"
    with pytest.warns(UserWarning, match="no NCF settings were tuned on 'ml-1m'"):
        assert ncf.settings_for("ml-1m").tuned_on == "ml-100k"


def test_claims_are_judged_from_results(loo):
    """judge_claims turns a results set into records with verdicts from the rule."""
    results = Results()
    ncf.popularity(loo, results)
    for seed in (0, 1):
        ncf.compare_models(loo, TINY, seed=seed, results=results)
    ncf.negative_ratio_sweep(loo, TINY, ratios=(1, 4, 8), seeds=(0, 1), results=results)
    ncf.tuned_mf_runs(loo, TINY, seeds=(0, 1), decay_biases=(True, False), results=results)
    ncf.ease(loo, TINY, l2s=(1.0, 10.0, 100.0), results=results)
    untuned = ncf_claims.judge_claims(results, evidence="tiny test run")
    # without a NeuMF tuned like MF, the three comparisons with the tuned baselines are confounded
    baselines = ("NeuMF beats matrix", "MF with proper regularisation", "NeuMF beats a tuned non-neural")
    against_baselines = [c for c in untuned if c.claim.startswith(baselines)]
    assert len(against_baselines) == 3 and all(c.verdict == "confounded" for c in against_baselines)
    ncf.tuned_neumf_runs(
        loo, replace(TINY, neumf_factors=4, neumf_weight_decay=1e-5), seeds=(0, 1), results=results
    )
    claims = ncf_claims.judge_claims(results, evidence="tiny test run")
    assert len(claims) == 10
    assert "NeuMF with its size (4 factors)" in claims[-1].measured
    gain = [c for c in claims if c.verdict == "confounded"]
    # the two claims on the size of the pretraining gain are confounded by unequal tuning; the rest are judged
    assert [c.claim.split(" by")[0] for c in gain] == [
        "Pretraining GMF and MLP before fusing them into NeuMF gives about 2% AUC",
        "Pretraining raises NeuMF's HR@10",
    ]
    # a fine-tuning rate the grid did not choose (every rate tied, or one at an end) confounds the fine-tuning claim
    recipe = ncf_claims.pretrained_choice(results).split(", ")[1].rstrip(")")
    edges = pd.DataFrame(
        {"grid": ["0.001, 0.01"], "chosen": [0.001], "at edge": ["every value ties"]},
        index=[f"fine-tune {recipe} rate"],
    )
    finetune = ncf_claims.judge_claims(results, "tiny test run", edges)[2]
    assert finetune.claim.startswith("Pretraining works by fine-tuning") and finetune.verdict == "confounded"
    assert "every rate tied" in finetune.reason
    assert all(c.settle and c.effect is not None for c in gain)
    judged = [c for c in claims if c not in gain]
    assert all(c.verdict == verdict(c.effect, c.threshold, c.direction)[0] for c in judged)  # by the rule
    assert all(c.effect.n_seeds >= 1 and c.effect.low <= c.effect.estimate <= c.effect.high for c in claims)
    # every record names its metric and shows the other two beside it
    assert all(len(c.notes["other metrics"]) == 2 for c in claims)
    assert claims[0].effect.metric == "auc" and set(claims[0].notes["other metrics"]) == {"hr@10", "ndcg@10"}


def test_script_writes_results_and_figure(tmp_path, monkeypatch):
    """The full-size run on a tiny synthetic log writes the runs CSV (with its settings), per-user numbers and curves
    under the results folder, and its figure under figures/."""
    from recsys_course import config, data

    tiny = data.synthetic_movielens(n_users=40, n_items=200, n_ratings=1200)
    monkeypatch.setattr(full_size, "load_movielens", lambda name: tiny)
    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    monkeypatch.delenv("RECSYS_COURSE_FAST", raising=False)
    monkeypatch.setitem(ncf.TUNED, "ml-100k", replace(TINY, tuned_on="ml-100k"))
    written = full_size.run("ml-100k", factors=[4], seeds=[0, 1], ratios=(1, 4, 8), out=tmp_path / "out")
    for name in (
        "ncf_ml-100k.csv",
        "ncf_ml-100k_users.npz",
        "ncf_ml-100k_curves.csv",
        "ncf_ml-100k_ease.csv",
    ):
        assert (tmp_path / "out" / name).is_file(), name
    assert (tmp_path / "figures" / "03_ncf_ml-100k.png").is_file() and len(written) == 5
    saved = pd.read_csv(tmp_path / "out" / "ncf_ml-100k.csv")
    # popularity and EASE; per seed 8 models, 3 ratios, 2 MFs and the tuned NeuMF
    assert len(saved) == 2 + 2 * (len(ncf.MODELS) + 3 + 2 + 1)
    grid = pd.read_csv(tmp_path / "out" / "ncf_ml-100k_ease.csv")
    assert list(grid["l2"]) == list(ncf.EASE_L2)
    assert saved.loc[saved["model"] == "EASE", "l2"].item() == grid.loc[grid["valid"].idxmax(), "l2"]
    assert set(saved["experiment"]) == {"models", "negatives", "tuned MF", "tuned NeuMF"}
    assert (saved["setting: tuned_on"] == "ml-100k").all() and "setting: mf_weight_decay" in saved
    assert (saved["dataset"] == tiny.name).all()  # it ran on the tiny log

    # the other sizes: their own files, joined with the first run's for the claims and the figure
    figure = tmp_path / "figures" / "03_ncf_ml-100k.png"
    first_picture = figure.read_bytes()
    written = full_size.run_sizes("ml-100k", factors=[2], seeds=[0, 1], out=tmp_path / "out")
    sizes = pd.read_csv(tmp_path / "out" / "ncf_sizes_ml-100k.csv")
    assert len(sizes) == 2 * len(ncf.MODELS) and set(sizes["factors"]) == {2}
    assert (
        "figures/03_ncf_ml-100k.png" in written and figure.read_bytes() != first_picture
    )  # redrawn, size 2 in it
    joined = full_size._load(tmp_path / "out", "ml-100k")
    assert ncf_claims.factor_sizes(joined) == [2, 4] and len(joined.rows) == len(saved) + len(sizes)


def test_the_sizes_run_needs_settings_tuned_on_its_dataset(tmp_path):
    """With no tuned settings and no saved tuning grid, 03/ncf_sizes stops, before loading data, and says how."""
    with pytest.raises(FileNotFoundError, match="run 03/ncf --dataset ml-1m --tune"):
        full_size.run_sizes("ml-1m", out=tmp_path)


def test_a_saved_tuning_grid_gives_the_tuned_settings_back():
    """The committed grid chooses exactly the settings in ncf.TUNED (so neither can drift from the other)."""
    from recsys_course import config

    grid = pd.read_csv(tuning.grid_path(config.committed_results_dir(full_size.LESSON), "ml-100k"))
    assert tuning.chosen(grid, ncf.Settings(), "ml-100k") == ncf.TUNED["ml-100k"]


def test_claims_pair_runs_on_the_seeds_both_sides_have(loo):
    """Two seeds of NeuMF against one seed of tuned MF: the comparison uses the shared seed only."""
    results = Results()
    for seed in (0, 1):
        ncf.compare_models(loo, TINY, seed=seed, results=results)
    ncf.tuned_mf_runs(loo, TINY, seeds=(0,), decay_biases=(True, False), results=results)
    e = ncf_claims.effect(results, "hr@10", {"model": "tuned MF"}, {"model": "NeuMF (scratch)", "factors": 4})
    assert e.n_seeds == 1
    with pytest.raises(ValueError, match="share no seed"):
        ncf_claims.effect(results, "hr@10", {"model": "tuned MF"}, {"model": "MF", "seed": 1})


def test_neumf_diagram_reads_sizes_from_the_model():
    """The diagram's labels carry the model's own embedding sizes and tower widths."""
    from recsys_course.lessons.l03_neumf_with_pretraining import figures as ncf_figures
    from recsys_course.models import NeuMF

    model = NeuMF(50, 70, factors=6, mlp_layers=(24, 12, 5))
    fig, ax = plt.subplots()
    try:
        ncf_figures.neumf_diagram(model, ax)
        texts = " | ".join(t.get_text() for t in ax.texts)
        for expected in [
            "embedding 6",
            "embedding 12",
            "concatenate 24",
            "-> 12",
            "-> 5",
            "concatenate 11 -> Linear -> 1",
            "of 50",
            "of 70",
        ]:
            assert expected in texts, (expected, texts)
        assert len(ax.patches) >= 2 * 10  # boxes and arrows
    finally:
        plt.close(fig)


def test_neumf_diagram_draws_shared_tables_once():
    """A NeuMF with shared embeddings is drawn with one table per side, feeding both paths."""
    from recsys_course.lessons.l03_neumf_with_pretraining import figures as ncf_figures
    from recsys_course.models import NeuMF

    model = NeuMF(50, 70, factors=6, mlp_layers=(24, 12, 5), shared_embeddings=True)
    fig, ax = plt.subplots()
    try:
        ncf_figures.neumf_diagram(model, ax)
        texts = " | ".join(t.get_text() for t in ax.texts)
        assert texts.count("(shared)") == 2 and "GMF user" not in texts
        assert "element-wise product\n12" in texts and "concatenate 17 -> Linear -> 1" in texts
    finally:
        plt.close(fig)


def test_tuning_edges_flag_a_choice_at_an_end_of_its_grid():
    """The lesson's tuned settings are checked against the grid they came from: an end is named."""
    grid = pd.DataFrame(
        [
            {"what": "MF", "dim": d, "weight_decay": w, "valid": 0.4}
            for d in (16, 32, 64)
            for w in (0.0, 1e-5, 1e-4)
        ]
        + [
            {"what": "NeuMF", "factors": f, "weight_decay": w, "valid": 0.4}
            for f in (8, 16, 32)
            for w in (0.0, 1e-5, 1e-4)
        ]
        + [{"what": "fine-tune SGD", "lr": lr, "valid": 0.4 + lr} for lr in (1e-3, 1e-2, 0.1)]
        + [{"what": "fine-tune Adam", "lr": lr, "valid": 0.4} for lr in (3e-4, 1e-3, 3e-3)]
    )
    s = replace(
        TINY,
        mf_dim=32,
        mf_weight_decay=1e-5,
        factors=32,
        neumf_factors=16,
        neumf_weight_decay=1e-4,
        finetune_lr_sgd=1e-3,
        finetune_lr_adam=1e-3,
    )
    report = tuning.edges(grid, s)
    assert report["at edge"].to_dict() == {
        "MF size": "",
        "MF weight decay": "",
        "NeuMF factors": "highest",
        "tuned NeuMF size": "",
        "tuned NeuMF weight decay": "highest",
        "fine-tune SGD rate": "lowest",
        "fine-tune Adam rate": "every value ties",
    }


def test_a_dataset_tuned_earlier_reads_its_settings_from_the_saved_grid(tmp_path):
    """`03/ncf --tune` saves the grid; the runs after it (03/ncf, 03/ncf_sizes) choose from it without tuning."""
    from recsys_course import config

    committed = tuning.grid_path(config.committed_results_dir(full_size.LESSON), "ml-100k")
    tuning.grid_path(tmp_path, "ml-1m").write_bytes(committed.read_bytes())
    s = full_size._settings(None, "ml-1m", tmp_path, retune=False, may_tune=False)
    assert s == replace(ncf.TUNED["ml-100k"], tuned_on="ml-1m")
