"""Tests for lesson 02's embedding-size sweep and the doubling rule's verdict, on a tiny planted log."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys_course.evidence import verdict


def test_dimension_sweep_and_the_doubling_rule(loo):
    """The sweep keeps validation and test numbers per (size, seed); the rule's verdict comes from them."""
    from recsys_course.lessons.l02_embeddings_and_tsne import claims as dimension_claims
    from recsys_course.lessons.l02_embeddings_and_tsne import dimensions

    results = dimensions.sweep(loo, dims=(4, 8, 16), seeds=(0, 1), epochs=2)
    frame = results.frame()
    assert sorted(frame["factors"].unique()) == [4, 8, 16] and len(frame) == 6
    assert frame[["valid auc", "auc"]].apply(lambda c: c.between(0, 1)).all().all()
    curve = pd.Series({16: 0.80, 32: 0.81, 64: 0.83, 128: 0.832})
    assert dimensions.doubling_rule(curve) == (64, ["32 -> 64: +2.47%", "64 -> 128: +0.24%"])
    assert dimensions.doubling_rule(pd.Series({8: 0.9, 16: 0.91}))[0] == 32  # nothing above 32 to try
    # the claim's notes come from the sweep's validation curve, and its verdict from the rule
    results32 = dimensions.sweep(loo, dims=(16, 32, 64), seeds=(0, 1), epochs=2)
    (claim,) = dimension_claims.judge_claims(results32, evidence="tiny")
    valid = results32.frame().groupby("factors")["valid auc"].mean()
    assert claim.notes["rule picks"] == dimensions.doubling_rule(valid)[0]
    assert claim.notes["best on validation"] == valid.idxmax()
    assert claim.verdict == verdict(claim.effect, claim.threshold, claim.direction)[0]


def test_doubling_rule_verdict_needs_the_starting_size(loo):
    from recsys_course.lessons.l02_embeddings_and_tsne import claims as dimension_claims
    from recsys_course.lessons.l02_embeddings_and_tsne import dimensions

    with pytest.raises(ValueError, match="d = 32"):
        dimension_claims.judge_claims(
            dimensions.sweep(loo, dims=(4, 8), seeds=(0,), epochs=1), evidence="tiny"
        )


def test_each_size_gets_its_own_settings_and_the_claim_says_what_other_sizes_give_up(loo):
    """The grid keeps every (size, rate, decay); the sweep trains each size at its chosen pair, and the claim's
    notes set every other size against the best with an interval, and name fixed sizes that pass as well."""
    from recsys_course.lessons.l02_embeddings_and_tsne import claims as dimension_claims
    from recsys_course.lessons.l02_embeddings_and_tsne import dimensions

    grid = dimensions.tune(loo, dims=(16, 32, 64), lrs=(5e-3,), decays=(0.0, 1e-3), epochs=2)
    assert len(grid) == 6 and set(grid["weight_decay"]) == {0.0, 1e-3}
    chosen = dimensions.chosen(grid)
    for dim, (lr, decay) in chosen.items():
        part = grid[grid["factors"] == dim]
        assert part.loc[part["weight_decay"] == decay, "valid auc"].item() == part["valid auc"].max()
    assert len(dimensions.edges(grid)) == 6  # a rate and a decay per size
    results = dimensions.sweep(loo, dims=(16, 32, 64), seeds=(0,), epochs=2, settings=chosen)
    frame = results.frame()
    assert {
        int(d): (lr, w) for d, lr, w in zip(frame["factors"], frame["lr"], frame["weight_decay"])
    } == chosen
    (claim,) = dimension_claims.judge_claims(results, evidence="tiny")
    others = claim.notes["every other size against the best (relative test AUC)"]
    assert len(others) == 2 and all("[" in text for text in others.values())  # with intervals
    assert set(claim.notes["fixed sizes the rule could pick that pass the same test"]) <= {32, 64}
    assert claim.notes["the rule's steps"] and claim.notes["learning rate and weight decay by size"]
