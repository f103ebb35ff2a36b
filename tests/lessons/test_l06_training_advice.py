"""Tests for lesson 06's training-advice experiments: hard negatives, in-batch scores, clipping, dropout, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recsys_course.data import synthetic_movielens
from recsys_course.evaluation.metrics import auc, rmse
from recsys_course.lessons.l06_training_discipline import clipping, dropout, metric_choice, samplers
from recsys_course.lessons.l06_training_discipline import ctr_benchmark as ctr
from recsys_course.models import MF
from recsys_course.tasks import prepare_leave_one_out
from recsys_course.tasks.ctr import movielens_ctr
from recsys_course.tasks.splits import to_implicit
from recsys_course.training import clip_gradients

QUIET = dict(log=lambda *_: None)


@pytest.fixture(scope="module")
def ml():
    return synthetic_movielens(seed=8, n_users=80, n_items=150, n_ratings=5000)


@pytest.fixture(scope="module")
def task(ml):
    return movielens_ctr(ml, history_len=5)


def test_in_batch_scores_mask_the_users_other_positives():
    mf = MF(3, 5, dim=2)
    seen = torch.zeros(3, 5, dtype=torch.bool)
    seen[0, [1, 2]] = True  # user 0 trained on items 1 and 2
    scorer = samplers.InBatchMF(mf, seen, temperature=0.5)
    logits = scorer(torch.tensor([0, 1, 2]), torch.tensor([1, 2, 2]))
    assert logits.shape == (3, 3)
    assert torch.isinf(logits[0, 1]) and torch.isfinite(logits[0, 0])  # item 2 is user 0's own positive
    assert torch.isinf(logits[1, 2]) and torch.isinf(logits[2, 1])  # a repeated item is not a negative
    assert torch.isfinite(logits.diagonal()).all()
    expected = (mf.user_emb.weight[1] @ mf.item_emb.weight[1] + mf.item_bias.weight[1, 0]) / 0.5
    assert logits[1, 0].item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.fixture(scope="module")
def loo():
    ml = synthetic_movielens(seed=8, n_users=60, n_items=400, n_ratings=4000)  # room for 99 unseen candidates
    return prepare_leave_one_out(to_implicit(ml.ratings), ml.n_users, ml.n_items, seed=0)


def test_every_sampler_is_tuned_alike_and_scored_on_both_protocols(loo):
    s = samplers.fast_settings(samplers.Settings())
    tuning = samplers.tune(loo, s, **QUIET)
    assert list(tuning["sampler"]) == list(samplers.SAMPLERS)  # one setting each in FAST mode
    assert tuning["valid"].between(0, 1).all() and tuning["valid sampled ndcg@10"].between(0, 1).all()
    settings = samplers.chosen_settings(tuning)
    results = samplers.run_samplers(loo, s, settings, seeds=(0,), **QUIET)
    frame = results.frame()
    assert list(frame["sampler"]) == list(samplers.SAMPLERS)
    for column in ("hr@10", "ndcg@10", "catalogue recall@10", "catalogue ndcg@10"):
        assert frame[column].between(0, 1).all()
    # the whole catalogue is harder than 99 sampled candidates
    assert (frame["catalogue recall@10"] <= frame["hr@10"] + 1e-9).all()
    # early stopping kept the weights of the epoch the tuning reported, so a rerun at seed 5 stops on the same value
    model, history = samplers.train("uniform", loo, s, seed=samplers.TUNING_SEED, **settings["uniform"])
    assert history.best_value == pytest.approx(tuning.loc[tuning["sampler"] == "uniform", "valid"].item())
    assert samplers.catalogue_validation(loo)(model)["catalogue ndcg@10"] == pytest.approx(history.best_value)


def test_every_sampler_gets_the_same_budget():
    s = samplers.Settings()
    sizes = {sampler: len(samplers.grid(sampler, s)) for sampler in samplers.SAMPLERS}
    assert set(sizes.values()) == {16}
    assert all(np.isnan(g["temperature"]) for g in samplers.grid("uniform", s))
    assert {g["temperature"] for g in samplers.grid("hard", s)} == set(s.temperatures)
    assert {g["weight_decay"] for g in samplers.grid("popularity", s)} == set(s.decays)


def test_catalogue_validation_ranks_the_validation_item_among_every_movie_not_rated_before_it(loo):
    torch.manual_seed(0)
    mf = MF(loo.n_users, loo.n_items, dim=4)
    got = samplers.catalogue_validation(loo)(mf)
    with torch.no_grad():
        scores = (mf.user_emb.weight @ mf.item_emb.weight.T + mf.item_bias.weight.T).numpy()
    ranks = []
    for user, item in zip(loo.valid["user"], loo.valid["item"]):
        rated = loo.train_seen.table[
            user
        ].copy()  # rated before the validation item: the test item still competes
        assert not rated[item]
        ranks.append(int((scores[user][~rated] > scores[user, item]).sum()))
    ranks = np.array(ranks)
    assert got["catalogue recall@10"] == pytest.approx(float((ranks < 10).mean()))
    assert got["catalogue ndcg@10"] == pytest.approx(
        float(np.where(ranks < 10, 1 / np.log2(ranks + 2), 0).mean())
    )
    assert {"hr@10", "ndcg@10", "auc"} <= set(got)  # the sampled protocol's numbers ride along


def test_chosen_settings_and_their_edges():
    s = samplers.Settings()
    rows = [
        {"sampler": "hard", **g, "valid": 0.1, "valid sampled ndcg@10": 0.1} for g in samplers.grid("hard", s)
    ]
    tuning = pd.DataFrame(rows)
    best = (tuning["lr"] == 3e-3) & (tuning["temperature"] == 3.0)
    tuning.loc[best, "valid"] = 0.3
    tuning.loc[(tuning["lr"] == 1e-2) & (tuning["temperature"] == 10.0), "valid sampled ndcg@10"] = 0.5
    assert samplers.chosen_settings(tuning) == {
        "hard": {"lr": 3e-3, "weight_decay": 1e-5, "temperature": 3.0}
    }
    assert samplers.chosen_settings(tuning, "valid sampled ndcg@10")["hard"]["temperature"] == 10.0
    table = samplers.choice_table(tuning)
    assert table.loc["hard"].tolist() == ["rate 0.003, T 3", 0.3, 16, "rate 0.01, T 10"]
    assert (
        samplers.describe({"lr": 1e-3, "weight_decay": 0.0, "temperature": np.nan})
        == "rate 0.001, weight decay 0"
    )
    report = samplers.edges(tuning, s)
    assert list(report.index) == ["hard lr", "hard temperature"]
    assert (report["at edge"] == "").all()
    tuning.loc[best, "valid"] = 0.1
    tuning.loc[(tuning["lr"] == 3e-4) & (tuning["temperature"] == 0.3), "valid"] = 0.3
    assert list(samplers.edges(tuning, s)["at edge"]) == ["lowest", "lowest"]
    from recsys_course.lessons.l06_training_discipline.advice_claims import _edges_of

    note = _edges_of(samplers.edges(tuning, s), "hard")["hard at a grid edge"]
    assert note.startswith("lr 0.0003 (lowest of") and "temperature 0.3 (lowest" in note
    assert _edges_of(report, "hard") == {} and _edges_of(None, "hard") == {}


def test_dropout_sweep_reaches_the_model(task):
    s = ctr.fast_settings(ctr.Settings(dim=4))
    setting = {"lr": 3e-3, "weight_decay": 1e-5}
    results = dropout.sweep(task, s, setting, seeds=(0,), rates=(0.0, 0.5), **QUIET)
    assert list(results.frame()["dropout"]) == [0.0, 0.5]
    model, _ = dropout.train(task, s, dropout=0.5, setting=setting)
    rates = [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    assert rates and all(p == 0.5 for p in rates)


def test_largest_rise():
    assert clipping.largest_rise([0.5, 0.4, 0.6, 0.3]) == (pytest.approx(0.2), 3)
    assert clipping.largest_rise([0.5])[0] == 0.0


def test_clipping_runs_each_norm_and_records_the_curve(task, monkeypatch):
    seen = []
    real = clipping.wide_deep.train
    monkeypatch.setattr(
        clipping.wide_deep, "train", lambda *a, **k: seen.append(k["clip_norm"]) or real(*a, **k)
    )
    results = clipping.run_norms(task, seeds=(0,), norms=(None, 0.1), epochs=2, **QUIET)
    assert seen == [None, 0.1]
    assert list(results.frame()["clip"]) == ["none", "0.1"]
    assert len(results.curves) == 2 and len(results.curves[0]) == 2


def test_temperature_scaling_keeps_auc_and_never_worsens_validation_logloss(task):
    s = ctr.fast_settings(ctr.Settings(dim=4))
    setting = {"lr": 3e-2, "weight_decay": 0.0}
    frame = metric_choice.calibration(task, s, setting, seeds=(0,), model="FM", **QUIET).frame()
    assert list(frame["setting"]) == ["recipe", "tuned", "tuned + temperature", "tuned + Platt"]
    tuned, scaled, platt = frame.iloc[1], frame.iloc[2], frame.iloc[3]
    assert scaled["auc"] == pytest.approx(tuned["auc"], abs=1e-12) and platt["auc"] == pytest.approx(
        tuned["auc"]
    )
    assert scaled["temperature"] > 0 and tuned["temperature"] == 1.0 and scaled["intercept"] == 0.0


def test_platt_scaling_recovers_a_known_scale_and_intercept():
    from recsys_course.evaluation.metrics import fit_platt, fit_temperature

    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2, 200_000)
    labels = rng.random(len(logits)) < 1 / (1 + np.exp(-(0.5 * logits - 0.4)))  # the truth: a = 0.5, b = -0.4
    a, b = fit_platt(labels, logits)
    assert a == pytest.approx(0.5, abs=0.02) and b == pytest.approx(-0.4, abs=0.02)
    # temperature scaling is Platt's b = 0: it cannot mend the shift, so its LogLoss is never lower
    from recsys_course.evaluation.metrics import log_loss

    t = fit_temperature(labels, logits)
    platt = log_loss(labels, 1 / (1 + np.exp(-(a * logits + b))))
    assert platt < log_loss(labels, 1 / (1 + np.exp(-logits / t)))


def test_regression_terms_average_to_the_metrics(task):
    rng = np.random.default_rng(0)
    predictions = rng.uniform(1, 5, len(task.test))
    terms = metric_choice.regression_terms(task.test, predictions)
    assert np.sqrt(terms["mse"].mean()) == pytest.approx(rmse(metric_choice.stars(task.test), predictions))
    assert terms["auc"].mean() == pytest.approx(auc(task.test.label, predictions))


def test_selection_chooses_by_each_validation_metric(task):
    results = metric_choice.selection(task, seeds=(0,), dims=(2, 4), decays=(0.0,), **QUIET)
    frame = results.frame()
    chosen = metric_choice.choices(results)
    assert chosen["rmse"] == frame.loc[frame["valid rmse"].idxmin(), "model"]
    assert chosen["auc"] == frame.loc[frame["valid auc"].idxmax(), "model"]


def _fake_results(column: str, values: dict, n_users: int = 40, seeds=(0, 1, 2)):
    """Results whose per-user AUC terms are each setting's value plus shared user noise (a known effect)."""
    from recsys_course.evidence import Results

    rng = np.random.default_rng(0)
    user_noise = rng.normal(0, 0.05, n_users)
    results = Results()
    for seed in seeds:
        for value, level in values.items():
            terms = pd.DataFrame(
                {"user": np.arange(n_users), "auc": level + user_noise + rng.normal(0, 1e-4, n_users)}
            )
            results.add({column: value, "seed": seed, "model": "m", "auc": float(terms["auc"].mean())}, terms)
    return results


def test_patience_claim_pairs_the_same_runs_and_reads_a_known_effect():
    from recsys_course.evidence import Results
    from recsys_course.lessons.l06_training_discipline import advice_claims

    rng = np.random.default_rng(1)
    user_noise = rng.normal(0, 0.05, 50)
    results = Results()
    for seed in (0, 1, 2):
        for model in ("MF", "FM"):
            for patience, level, stop, kept in ((1, 0.70, 4, 3), (5, 0.72, 9, 5)):
                terms = pd.DataFrame(
                    {"user": np.arange(50), "auc": level + user_noise + rng.normal(0, 1e-3, 50)}
                )
                row = {"model": model, "setting": "recipe", "patience": patience, "seed": seed}
                results.add({**row, "epochs trained": stop, "best epoch": kept}, terms)
    claim = advice_claims.patience_claim(results, evidence="test")
    assert claim.effect.estimate == pytest.approx(0.02, abs=2e-3) and claim.effect.n_seeds == 6
    assert claim.verdict == "supported" and claim.notes["extra epochs"] == 5.0
    assert claim.notes["runs whose kept epoch moves"] == "6 of 6"


def test_dropout_claims_read_a_known_effect():
    from recsys_course.lessons.l06_training_discipline import advice_claims

    results = _fake_results("dropout", {0.0: 0.70, 0.2: 0.72, 0.3: 0.72, 0.5: 0.69})
    claims = advice_claims.dropout_claims(results, "test")
    assert [c.verdict for c in claims] == ["supported", "supported", "supported"]
    assert claims[0].effect.estimate == pytest.approx(0.02, abs=1e-3)


def test_reliability_chart_bins_by_decile_and_reads_the_click_rate():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recsys_course.lessons.l06_training_discipline import figures as advice_figures

    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20_000)
    labels = rng.uniform(0, 1, p.size) < p  # perfectly calibrated by construction
    fig, ax = plt.subplots()
    table = advice_figures.reliability_chart(labels, {"calibrated": p, "overconfident": p**3}, ax)
    plt.close(fig)
    calibrated = table[table["model"] == "calibrated"]
    assert len(calibrated) == 10
    assert np.abs(calibrated["p"] - calibrated["y"]).max() < 0.03
    overconfident = table[table["model"] == "overconfident"]
    assert (overconfident["y"] - overconfident["p"]).max() > 0.1  # p**3 under-predicts the clicks


def test_seed_summary_gives_means_and_intervals_in_order():
    from recsys_course.evidence import seed_summary

    results = _fake_results("dropout", {0.3: 0.72, 0.0: 0.70})
    summary = seed_summary(results, "dropout", ["auc"])
    assert list(summary["dropout"]) == [0.3, 0.0]
    assert summary["auc"].to_numpy() == pytest.approx([0.72, 0.70], abs=0.02)
    assert (summary["auc ±"] > 0).all() and (summary["seeds"] == 3).all()


def test_gradient_norms_are_measured_by_fit_and_nothing_is_clipped(task, small_wide_deep):
    from recsys_course.training import wide_deep
    from recsys_course.training.batches import ctr_batches

    small = small_wide_deep
    norms = clipping.gradient_norms(task, settings=small)
    steps = -(-len(task.train) // small["joint"].batch_size)  # one epoch of batches
    assert len(norms) == steps and (norms > 0).all()
    # the first step's norm, computed by hand on the same first batch of the same model
    s = small["joint"]
    model = wide_deep.make_model(task, s, seed=0)
    *inputs, target = next(
        iter(ctr_batches(task.train, model.inputs, s.batch_size, torch.Generator().manual_seed(0)))
    )
    torch.nn.functional.binary_cross_entropy_with_logits(model(*inputs), target).backward()
    assert norms[0] == pytest.approx(clip_gradients(model.parameters(), float("inf")), rel=1e-5)


def test_gpu_claims_say_not_measured_without_gpu_rows_and_are_judged_with_them():
    from recsys_course.lessons.l06_training_discipline import advice_claims

    rows = []
    for model in ("FM", "DeepFM"):
        for batch in (1024, 4096):
            common = {"model": model, "batch": batch, "loader": "tensors"}
            rows.append({**common, "device": "cpu", "threads": 2, "amp": False, "examples per second": 1e5})
            rows.append({**common, "device": "cpu", "threads": 1, "amp": False, "examples per second": 6e4})
    cpu_only = pd.DataFrame(rows)
    claims = advice_claims.speed_claims(cpu_only, "test")
    assert [c.verdict for c in claims] == ["not measured", "not measured"]
    assert all(advice_claims.GPU_COMMAND in c.settle and c.effect is None for c in claims)
    gpu = []
    for k, row in enumerate(r for r in rows if r["threads"] == 2):
        base = {**row, "device": "cuda", "threads": 0}
        gpu.append({**base, "amp": False, "examples per second": 1e5 * (20 + k)})  # 20-23x the CPU
        gpu.append({**base, "amp": True, "examples per second": 1e5 * (20 + k) * 1.1})  # 1.1x fp32
    claims = advice_claims.speed_claims(pd.concat([cpu_only, pd.DataFrame(gpu)]), "test")
    assert claims[0].effect.estimate == pytest.approx(21.5) and claims[0].verdict == "supported"
    assert claims[1].effect.estimate == pytest.approx(1.1) and claims[1].verdict == "contradicted"
