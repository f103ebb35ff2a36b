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


def judged_by_measurement(checker, number, answer, measured, monkeypatch, **context):
    """A :class:`~recsys_course.check.Measured` check on ``answer``: it passes with a reference at what the check
    should measure (``measured``), and fails with a hint against a reference far from it."""
    exercise = checker.exercises[number]
    monkeypatch.setattr(exercise, "reference", lambda: (measured, 1e-6))
    outcome = checker(number, answer, **context)
    assert outcome.passed, outcome
    monkeypatch.setattr(exercise, "reference", lambda: (measured + 10.0, 1e-6))
    fails_with_hint(checker(number, answer, **context))


def refuses_a_number(checker, number, value):
    """A number - even the reference itself - is no answer to a Measured check."""
    outcome = checker(number, value)
    assert outcome.status == check.FAILED and "not a number" in outcome.message, outcome
