"""The assertion every per-lesson exercise test shares: a wrong answer fails with a hint that keeps the answer."""

from recsys_course import check


def fails_with_hint(outcome, hidden=None):
    """A failure with a hint; ``hidden`` (a text, or a number at 2-4 decimals) must not appear in it."""
    assert outcome.status == check.FAILED, outcome
    assert "Hint" in outcome.message, outcome
    texts = (
        [f"{hidden:.{d}f}" for d in (2, 3, 4)] if isinstance(hidden, float) else [hidden] if hidden else []
    )
    for text in texts:
        assert text not in outcome.message, outcome
