"""Tests for lesson 05's experiments: the Wide & Deep ladder end to end, its claims, FTRL's L1, and the diagram."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from recsys_course.evidence import verdict


def test_experiment_runs_end_to_end_and_judges(ctr_task, small_wide_deep):
    task = ctr_task
    from recsys_course.lessons.l05_wide_and_deep import claims as wide_deep_claims
    from recsys_course.lessons.l05_wide_and_deep import wide_deep
    from recsys_course.training.wide_deep import OPTIMIZERS

    results = wide_deep.run_movielens(task, small_wide_deep, seeds=(0, 1), log=lambda *_: None)
    frame = results["all"].frame()
    assert {"global rate", "item mean", "LR on ids", "wide", "deep", "joint", "ensemble"} <= set(
        frame["model"]
    )
    assert set(frame.loc[frame["model"] == "joint", "optimizer"]) == set(OPTIMIZERS)
    assert frame.loc[frame["model"] == "global rate", "auc"].item() == pytest.approx(0.5)
    assert frame["zero share"].dropna().between(0, 1).all()
    slices = {k: v for k, v in results.items() if k != "all"}
    assert slices and set(slices) <= set(wide_deep.SLICES)
    for part in slices.values():  # every slice records every run, on its own users
        assert len(part.rows) == len(frame) and set(part.users) <= set(results["all"].users)
    claims = wide_deep_claims.movielens_claims(results["all"], slices, "test")
    ends = {list(wide_deep.SLICES)[0], list(wide_deep.SLICES)[-1]}
    assert len(claims) == 5 + (ends <= set(slices))
    judged = [c for c in claims if c.verdict != "confounded"]
    assert all(c.verdict == verdict(c.effect, c.threshold, c.direction)[0] for c in judged)  # by the rule
    # the joint model and the ensemble stop at different points: confounded, with what would settle it
    (ensemble,) = [c for c in claims if "ensemble" in c.claim]
    assert ensemble.verdict == "confounded" and "stopping point per part" in ensemble.settle
    optimizers = [c for c in claims if c.claim.startswith("FTRL with L1")]
    assert len(optimizers) == 2 and all("LogLoss, lower by" in c.notes["other metrics"] for c in optimizers)


def test_memorisation_is_judged_as_the_difference_between_the_frequent_and_the_rare_slice():
    """The claim's effect is the frequent slice's gain minus the rare slice's (shared users kept paired), and
    its notes say how much of the rare slice the cross leaves at exactly zero."""
    import numpy as np
    import pandas as pd

    from recsys_course.evidence import Results, paired_effect
    from recsys_course.lessons.l05_wide_and_deep import claims as wide_deep_claims
    from recsys_course.lessons.l05_wide_and_deep import wide_deep
    from recsys_course.training.wide_deep import PAPER

    rng = np.random.default_rng(0)
    rare, frequent = list(wide_deep.SLICES)[0], list(wide_deep.SLICES)[-1]
    slices = {}
    for name, users, gain in ((rare, np.arange(0, 300), 0.0), (frequent, np.arange(100, 400), 0.02)):
        results = Results()
        for seed in (0, 1, 2):
            base = rng.uniform(0.5, 0.9, len(users))
            for model, optimizer, shift in (("joint", PAPER, gain), ("joint, no liked x movie", PAPER, 0.0)):
                auc = np.clip(base + shift + rng.normal(0, 0.01, len(users)), 0, 1)
                results.add(
                    {"model": model, "optimizer": optimizer, "seed": seed, "cross silent": 1.0},
                    pd.DataFrame({"user": users, "auc": auc}),
                )
        slices[name] = results
    claim = wide_deep_claims.memorisation_claim(slices, "a test")
    joint, without = {"model": "joint", "optimizer": PAPER}, {"model": "joint, no liked x movie"}
    alone = {
        n: paired_effect(slices[n], "auc", joint, without, relative=False).estimate for n in (rare, frequent)
    }
    assert claim.effect.estimate == pytest.approx(alone[frequent] - alone[rare])
    assert 0.01 < claim.effect.estimate < 0.03 and claim.verdict == "supported"
    assert "100.0% of the impressions" in claim.notes["where the rare slice's gain comes from"]
    assert wide_deep_claims.memorisation_claim({frequent: slices[frequent]}, "a test") is None


def test_ftrl_l1_zeroes_more_wide_weights(ctr_task, small_wide_deep):
    from dataclasses import replace

    from recsys_course.lessons.l05_wide_and_deep import wide_deep

    task, s = ctr_task, small_wide_deep["wide"]
    shares = [
        wide_deep.zero_share(wide_deep.train(task, replace(s, ftrl_l1=l1), deep=False)[0], task)
        for l1 in (0.0, 50.0)
    ]
    assert shares[0] < 0.05 < shares[1]


def test_wide_deep_diagram_reads_fields_sizes_and_optimizers_from_the_objects():
    import torch

    from recsys_course.lessons.l05_wide_and_deep import figures as wide_deep_figures
    from recsys_course.models import WideAndDeep
    from recsys_course.training.optim import FTRL, Joint

    model = WideAndDeep(120, {"user": 30, "movie": 40}, dim=5, hidden=(12, 7), n_dense=3, history_items=40)
    optimizer = Joint(
        FTRL(model.wide_parameters(), alpha=0.3, l1=0.02),
        torch.optim.Adagrad(model.deep_parameters(), lr=0.05),
    )
    fig, ax = plt.subplots()
    try:
        wide_deep_figures.wide_deep_diagram(
            model, {"user": 30, "movie": 40, "user x movie": 50}, optimizer, ax
        )
        texts = " | ".join(t.get_text() for t in ax.texts)
        for expected in [
            "user x movie (50)",
            "120 weights",
            "FTRL (alpha 0.3, L1 0.02)",
            "Adagrad (lr 0.05)",
            "user 30, movie 40",
            "liked history (40 items)",
            "2 embeddings x 5 + liked-history mean 5\n+ 3 dense = 18",
            "-> 12",
            "-> 7",
            "sigmoid",
        ]:
            assert expected in texts, (expected, texts)
    finally:
        plt.close(fig)
    deep_only = WideAndDeep(10, {"user": 30}, dim=4, hidden=(8,), wide=False)
    fig, ax = plt.subplots()
    try:
        wide_deep_figures.wide_deep_diagram(
            deep_only, {}, torch.optim.Adam(deep_only.parameters(), lr=0.001), ax
        )
        texts = " | ".join(t.get_text() for t in ax.texts)
        assert "Adam (lr 0.001)" in texts and "EmbeddingBag" not in texts
    finally:
        plt.close(fig)


def test_edges_check_every_tuned_setting_against_its_grid():
    """Each kind's tuned settings are set against the grid `tune` tries; only values at an end are named."""
    from dataclasses import replace

    from recsys_course.lessons.l05_wide_and_deep import tuning
    from recsys_course.training.wide_deep import KINDS, Settings

    inside = replace(
        Settings(),
        ftrl_alpha=0.2,
        ftrl_l1=16.0,
        adagrad_lr=0.03,
        adagrad_weight_decay=1e-5,
        adam_lr=1e-3,
        adam_weight_decay=1e-5,
        split_wide_lr=1e-2,
        split_deep_lr=1e-3,
    )
    tuned = {kind: inside for kind in KINDS}
    tuned["wide"] = replace(inside, ftrl_l1=tuning.GRIDS["ftrl_l1"][-1])
    report = tuning.edges(tuned)
    assert list(report.index[report["at edge"] != ""]) == ["wide: ftrl_l1"]
    assert len(report) == sum(len(names) for kind, names in tuning.TUNED_SETTINGS.items() if kind in tuned)


def test_tuning_in_two_runs_gives_what_one_run_gives_and_the_joint_model_needs_the_halves(ctr_task, tmp_path):
    """The halves, then the joint model from the halves' saved choices, choose exactly what one call choosing
    every kind does; the joint model alone names what it needs; 05/wide_deep names the tuning it reads."""
    from recsys_course.lessons.l05_wide_and_deep import full_size, tuning
    from recsys_course.training.wide_deep import Settings, fast_settings

    s = fast_settings(Settings(dim=4))
    grids = {name: values[1:3] for name, values in tuning.GRIDS.items()}
    quiet = dict(log=lambda *_: None, grids=grids)
    halves = tuning.tune(ctr_task, s, kinds=tuning.HALVES, **quiet)
    assert set(halves) == set(tuning.HALVES)
    both = tuning.tune(ctr_task, s, kinds=("joint",), tuned=halves, **quiet)
    assert both == tuning.tune(ctr_task, s, **quiet)
    with pytest.raises(ValueError, match="tune those first"):
        tuning.tune(ctr_task, s, kinds=("joint",), **quiet)
    with pytest.raises(FileNotFoundError, match="05/wide_deep_tuning"):
        full_size.run("ml-1m", out=tmp_path)


def test_input_scaling_trains_both_sides_on_the_same_seeds_and_tunes_only_the_raw_side(
    small_wide_deep, tmp_path
):
    from recsys_course.data.adult import read_adult
    from recsys_course.lessons.l05_wide_and_deep import wide_deep
    from recsys_course.tasks import adult_ctr

    row = (
        "{age}, Private, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, {gain}, 0, "
        "40, United-States, {income}"
    )
    rows = [
        row.format(age=20 + k, gain=1000 * (k % 3), income=">50K" if k % 2 else "<=50K") for k in range(60)
    ]
    (tmp_path / "adult.data").write_text("\n".join(rows) + "\n")
    (tmp_path / "adult.test").write_text(
        "|1x3 Cross validator\n" + "\n".join(r + "." for r in rows[:20]) + "\n"
    )
    adult = read_adult(tmp_path)
    scaled, raw = adult_ctr(adult), adult_ctr(adult, numbers="raw")
    results, grid = wide_deep.input_scaling(
        scaled, raw, small_wide_deep["joint"], seeds=(0, 1), rates=(0.01, 0.1), log=lambda *_: None
    )
    assert grid["adagrad rate"].tolist() == [0.01, 0.1]
    frame = results.frame()
    assert frame.groupby("numbers")["seed"].apply(list).to_dict() == {
        "log1p, standardised": [0, 1],
        "raw": [0, 1],
    }
    scaled_rate = frame.loc[frame["numbers"] == "log1p, standardised", "adagrad rate"].unique().tolist()
    assert scaled_rate == [small_wide_deep["joint"].adagrad_lr]
    chosen = grid.loc[grid["valid"].idxmax(), "adagrad rate"]
    assert frame.loc[frame["numbers"] == "raw", "adagrad rate"].unique().tolist() == [chosen]
    assert frame["accuracy"].between(0, 1).all()
