"""Tests for recsys_course.evidence.intervals and .claims: interval coverage, the verdict rule, claim records."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from recsys_course.evidence import (
    RULE,
    Effect,
    claims_table,
    conclusion,
    confounded,
    contrast_bootstrap,
    judge,
    load_claims,
    other_metrics,
    paired_bootstrap,
    save_claims,
    verdict,
)


def _simulated_hits(rng, n_seeds, n_users, mu_a, mu_b, seed_sd, shared=0.7):
    """0/1 hits of two models on the same users: a user's difficulty and part of the per-run noise are shared.

    P(hit) for a fresh user and a fresh training seed is Phi(mu / sqrt(2 + seed_sd^2)), so the true
    difference is known exactly.
    """
    difficulty = rng.normal(size=n_users)
    common = rng.normal(size=(n_seeds, n_users))

    def hits(mu):
        noise = shared * common + np.sqrt(1 - shared**2) * rng.normal(size=(n_seeds, n_users))
        return (difficulty + mu + rng.normal(0, seed_sd, (n_seeds, 1)) + noise > 0).astype(float)

    return hits(mu_a), hits(mu_b)


@pytest.mark.parametrize("n_seeds, seed_sd, relative", [(5, 0.08, False), (5, 0.08, True), (1, 0.0, False)])
def test_95_interval_covers_a_known_difference_in_90_to_99_percent_of_simulations(n_seeds, seed_sd, relative):
    """200 simulated experiments with a known effect: the 95% interval must cover it about 95% of the time."""
    rng = np.random.default_rng(2024)
    mu_a, mu_b = 0.45, 0.35
    scale = np.sqrt(2 + seed_sd**2)
    pa, pb = norm.cdf(mu_a / scale), norm.cdf(mu_b / scale)
    truth = pa / pb - 1 if relative else pa - pb
    covered = 0
    for k in range(200):
        a, b = _simulated_hits(rng, n_seeds, 600, mu_a, mu_b, seed_sd)
        e = paired_bootstrap(a, b, relative=relative, n_boot=400, seed=k)
        covered += e.low <= truth <= e.high
    assert 0.90 <= covered / 200 <= 0.99, covered / 200


def _two_groups(rng, n_users=600, n_seeds=3, gains=(0.03, 0.0)):
    """Per-user gains of A over B in two overlapping groups of users (a user's own effect shows in both), and
    the users' ids; the true contrast is ``gains[0] - gains[1]``."""
    own = rng.normal(0, 0.1, n_users)  # what a user's cases share across the groups
    seed_shift = rng.normal(0, 0.005, (n_seeds, 1))
    groups = []
    for gain, members in zip(
        gains, (np.arange(0, int(0.7 * n_users)), np.arange(int(0.3 * n_users), n_users))
    ):
        b = rng.normal(0.7, 0.1, (n_seeds, len(members)))
        a = b + gain + own[members] + seed_shift + rng.normal(0, 0.05, (n_seeds, len(members)))
        groups.append((a, b, members))
    return groups


def test_contrast_interval_covers_a_known_difference_between_groups():
    """200 simulated experiments with a known contrast between two groups that share users: about 95% coverage."""
    rng = np.random.default_rng(7)
    covered = 0
    for k in range(200):
        first, second = _two_groups(rng)
        e = contrast_bootstrap(first, second, n_boot=400, seed=k)
        covered += e.low <= 0.03 <= e.high
    assert 0.90 <= covered / 200 <= 0.99, covered / 200


def test_contrast_keeps_what_shared_users_have_in_common_and_checks_its_inputs():
    """Users in both groups carry their own effect into both, so the contrast's interval is narrower than two
    independent intervals would give; the same group twice gives exactly zero."""
    first, second = _two_groups(np.random.default_rng(3))
    e = contrast_bootstrap(first, second)
    alone = [paired_bootstrap(a, b) for a, b, _ in (first, second)]
    independent = np.hypot(*[(x.high - x.low) / 2 for x in alone])
    assert (e.high - e.low) / 2 < independent
    assert e.estimate == pytest.approx(alone[0].estimate - alone[1].estimate)
    same = contrast_bootstrap(first, first)
    assert same.estimate == 0 and same.high - same.low == pytest.approx(0)
    with pytest.raises(ValueError, match="same runs and users"):
        contrast_bootstrap(first, (second[0], second[1], second[2][:-1]))
    with pytest.raises(ValueError, match="same seeds"):
        contrast_bootstrap(first, (second[0][:2], second[1][:2], second[2]))


def test_seed_noise_widens_the_interval():
    """Runs that disagree (a seed effect) give a wider interval than runs that agree, at equal user noise."""
    rng = np.random.default_rng(1)
    calm = paired_bootstrap(*_simulated_hits(rng, 5, 800, 0.4, 0.3, seed_sd=0.0))
    rng = np.random.default_rng(1)
    noisy = paired_bootstrap(*_simulated_hits(rng, 5, 800, 0.4, 0.3, seed_sd=0.3))
    assert noisy.high - noisy.low > 1.5 * (calm.high - calm.low)


def test_pairing_removes_what_both_models_share():
    """Two models equal but for +0.05 on every user: the paired interval is tight around 0.05."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 1000))
    e = paired_bootstrap(base + 0.05, base, metric="score")
    assert e.estimate == pytest.approx(0.05)
    assert e.high - e.low < 1e-9
    assert (e.n_seeds, e.n_users, e.metric) == (3, 1000, "score")


def test_relative_effect_transform_and_single_row_baseline():
    """relative=True gives A/B - 1; transform applies to the means (RMSE from squared errors); b may be one row."""
    a = np.full((2, 50), 0.66)
    b = np.full((1, 50), 0.60)
    assert paired_bootstrap(a, b, relative=True).estimate == pytest.approx(0.1)
    squared = paired_bootstrap(np.full(50, 4.0), np.full(50, 1.0), transform=np.sqrt)
    assert squared.estimate == pytest.approx(1.0)


@pytest.mark.parametrize(
    "a, b, match",
    [
        (np.ones((2, 5)), np.ones((2, 4)), "same users"),
        (np.ones((3, 5)), np.ones((2, 5)), "one row or as many"),
        (np.ones((2, 5, 1)), np.ones((2, 5)), "shape"),
        (np.array([1.0, np.nan]), np.ones(2), "NaN"),
        (np.ones(1), np.ones(1), "two users"),
    ],
)
def test_bad_inputs_raise_clear_errors(a, b, match):
    with pytest.raises(ValueError, match=match):
        paired_bootstrap(a, b)


def _effect(low, high, relative=False):
    return Effect(
        metric="hr@10",
        estimate=(low + high) / 2,
        low=low,
        high=high,
        relative=relative,
        n_users=943,
        n_seeds=5,
    )


@pytest.mark.parametrize(
    "low, high, threshold, direction, expected",
    [
        (0.02, 0.05, 0.01, "above", "supported"),  # all of it beyond the threshold
        (-0.03, 0.005, 0.01, "above", "contradicted"),  # all of it short of the threshold
        (-0.04, -0.02, 0.0, "above", "contradicted"),  # the opposite direction
        (0.005, 0.03, 0.01, "above", "inconclusive"),  # straddles the threshold
        (-0.05, -0.02, -0.01, "below", "supported"),  # a claimed decrease of at least 1%
        (-0.005, 0.01, -0.01, "below", "contradicted"),
        (-0.02, 0.01, -0.01, "below", "inconclusive"),
        (0.01, 0.02, 0.01, "above", "inconclusive"),  # touching the threshold is not beyond it
    ],
)
def test_verdict_rule_on_constructed_cases(low, high, threshold, direction, expected):
    word, reason = verdict(_effect(low, high), threshold, direction)
    assert word == expected
    assert ("contains" in reason) == (expected == "inconclusive")


def test_verdict_rejects_an_unknown_direction():
    with pytest.raises(ValueError, match="direction"):
        verdict(_effect(0, 1), 0.0, "up")


def test_rule_text_names_every_verdict():
    for word in ("SUPPORTED", "CONTRADICTED", "INCONCLUSIVE", "CONFOUNDED"):
        assert word in RULE


def test_claim_records_render_and_round_trip(tmp_path):
    """judge() applies the rule; the table and the Markdown come from the records; JSON keeps everything."""
    good = judge(
        lesson="03",
        claim="X beats Y",
        source="paper Z",
        measured="relative HR@10 of X over Y",
        evidence="this run",
        effect=_effect(0.02, 0.06, relative=True),
        threshold=0.01,
    )
    unsure = confounded(
        lesson="03",
        claim="more is better",
        source="none",
        measured="HR@10 by size",
        evidence="this run",
        confound="bigger models also trained longer",
        settle="train every size to its best validation epoch",
    )
    assert good.verdict == "supported" and unsure.verdict == "confounded"
    table = claims_table([good, unsure])
    assert table["verdict"].tolist() == ["supported", "confounded"]
    assert table.loc[0, "effect [95% interval]"] == "+4.00% [+2.00%, +6.00%]"
    assert table.loc[0, "claim holds if"] == "> +1.00%"
    text = conclusion([good, unsure])
    assert "**X beats Y** - **supported**" in text and "What would settle it: train every size" in text
    brief = conclusion([good, unsure], brief=True).splitlines()
    assert brief == [
        "- **X beats Y** - **supported**: +4.00% [+2.00%, +6.00%] (holds if > +1.00%)",
        "- **more is better** - **confounded**",
    ]
    path = save_claims([good, unsure], tmp_path / "claims" / "03.json")
    assert load_claims(path) == [good, unsure]
    with pytest.raises(ValueError, match="settle"):
        confounded(lesson="03", claim="c", source="s", measured="m", evidence="e", confound="x", settle="")


def test_other_metrics_are_shown_and_disagreement_is_named():
    """A claim judged on one metric shows the others beside it, and says which point the other way."""

    def eff(metric, estimate, low, high):
        return Effect(metric=metric, estimate=estimate, low=low, high=high, relative=True, n_users=100)

    primary = eff("recall@50", 0.05, 0.02, 0.08)
    notes = other_metrics(
        primary,
        {"recall@10": eff("recall@10", -0.06, -0.1, -0.02), "ndcg@10": eff("ndcg@10", 0.01, -0.02, 0.04)},
    )
    assert notes["disagree"] == ["recall@10"]
    assert notes["other metrics"]["ndcg@10"] == "+1.00% [-2.00%, +4.00%]"
    claim = judge(
        lesson="04",
        claim="A beats B",
        source="s",
        measured="m",
        evidence="e",
        effect=primary,
        threshold=0.01,
        notes=notes,
    )
    text = conclusion([claim])
    assert "The same comparison on recall@10: -6.00% [-10.00%, -2.00%]; ndcg@10" in text
    assert "recall@10 points the other way." in text
    agree = other_metrics(primary, {"ndcg@10": eff("ndcg@10", 0.01, -0.02, 0.04)})
    assert agree["disagree"] == [] and "the other way" not in conclusion(
        [
            judge(
                lesson="04",
                claim="A",
                source="s",
                measured="m",
                evidence="e",
                effect=primary,
                threshold=0.01,
                notes=agree,
            )
        ]
    )


def test_claims_file_keeps_other_data_apart(monkeypatch, tmp_path):
    from recsys_course import config
    from recsys_course.evidence import claims_file

    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    monkeypatch.delenv("RECSYS_COURSE_FAST", raising=False)
    assert claims_file("03_x") == tmp_path / "claims" / "03_x.json"
    assert (
        claims_file("03_x", "ml-100k (synthetic twin)")
        == tmp_path / "claims" / "03_x@ml-100k__synthetic_twin_.json"
    )


def test_mean_interval_is_the_interval_of_a_level():
    """A model's mean with its interval: the estimate is the plain mean, and the interval holds it."""
    from recsys_course.evidence import mean_interval

    rng = np.random.default_rng(3)
    hits = (rng.random((3, 500)) < 0.6).astype(float)
    e = mean_interval(hits, metric="HR@10")
    assert e.estimate == pytest.approx(hits.mean()) and e.low < e.estimate < e.high and e.n_seeds == 3
    assert mean_interval(np.full(50, 4.0), transform=np.sqrt).estimate == pytest.approx(2.0)
