"""The exercise checks' machinery: each kind judges right, wrong and missing answers without raising."""

import numpy as np
import pytest
import torch

from recsys_course.check import (
    CANNOT_CHECK,
    FAILED,
    NOT_ATTEMPTED,
    PASSED,
    Checker,
    Choice,
    Function,
    Measured,
    NotPassed,
    Number,
    sealed,
)


def _number(**kw):
    return Number(
        1,
        "a share",
        reference=lambda: (0.6, 0.02),
        hints=((lambda answer, value: answer > 1, "a share lies between 0 and 1"),),
        **kw,
    )


def _function():
    return Function(
        2,
        "double",
        reference=lambda x: 2 * np.asarray(x, dtype=float),
        cases=lambda: [("a short array", (np.arange(3),)), ("an empty array", (np.array([]),))],
    )


def _choice():
    return Choice(
        3,
        "pick",
        options={"a": "the dot product", "b": "the MLP"},
        correct="b",
        hints={"a": "look at the fit column, not the held-out one"},
    )


@pytest.mark.parametrize("answer", [0.6, 0.615, np.float32(0.59), torch.tensor(0.6), 1 - 0.4])
def test_number_passes_within_its_tolerance(answer):
    assert _number().judge(answer).status == PASSED


@pytest.mark.parametrize("answer", [0.5, 0.7, 60.0, float("nan"), "0.6", True, np.array([0.6, 0.6])])
def test_number_fails_with_a_hint_that_hides_the_value(answer):
    outcome = _number().judge(answer)
    assert outcome.status == FAILED
    assert "0.6" not in outcome.message and "0.62" not in outcome.message and "0.58" not in outcome.message


def test_number_shows_the_mistake_specific_hint_first():
    assert "between 0 and 1" in _number().judge(60.0).message
    assert "above" in _number().judge(0.9).message and "below" in _number().judge(0.1).message


def test_function_passes_the_right_function_and_names_only_the_failing_case():
    assert _function().judge(lambda x: np.asarray(x) * 2).status == PASSED
    wrong = _function().judge(lambda x: x[-1] * np.ones(len(x)))  # wrong on [0, 1, 2], crashes on []
    assert wrong.status == FAILED and "a short array" in wrong.message
    assert "an empty array" in wrong.message and "IndexError" in wrong.message
    assert "[0" not in wrong.message  # no hidden arguments shown


def test_function_stub_is_not_attempted():
    def stub(x): ...

    def raises(x):
        raise NotImplementedError

    assert _function().judge(stub).status == NOT_ATTEMPTED
    assert _function().judge(raises).status == NOT_ATTEMPTED
    assert _function().judge(3).status == FAILED


def test_choice_accepts_any_case_and_hints_per_wrong_option():
    assert _choice().judge(" B ").status == PASSED
    wrong = _choice().judge("a")
    assert wrong.status == FAILED and "fit column" in wrong.message and "MLP" not in wrong.message
    assert _choice().judge("c").status == FAILED


def test_checker_never_raises_on_placeholders_and_records_the_latest_outcome():
    checker = Checker("xx", [_number(), _function(), _choice()])
    for number in (1, 2, 3):
        assert checker(number, None).status == NOT_ATTEMPTED
        assert checker(number, ...).status == NOT_ATTEMPTED
    assert "not attempted yet" in repr(checker(1, None))
    with pytest.raises(AssertionError, match=r"\[1, 2, 3\]"):
        checker.assert_all_passed()
    checker(1, 0.6), checker(2, lambda x: 2 * np.asarray(x)), checker(3, "b")
    checker.assert_all_passed()
    assert checker.summary().count(PASSED) == 3
    with pytest.raises(KeyError, match="has no exercise 9"):
        checker(9, 1)


def test_a_reference_for_other_data_is_not_judged():
    checker = Checker("xx", [_number(dataset="ml-100k")], dataset="the synthetic twin of ml-100k")
    outcome = checker(1, 0.6)
    assert outcome.status == CANNOT_CHECK and "ml-100k" in outcome.message
    assert Checker("xx", [_number(dataset="ml-100k")], dataset="ml-100k")(1, 0.6).status == PASSED


def test_exercises_names_the_synthetic_twin(monkeypatch):
    import sys
    import types

    from recsys_course import lessons

    package = types.ModuleType("recsys_course.lessons.l99_made_up")
    module = types.ModuleType("recsys_course.lessons.l99_made_up.exercises")
    module.exercises = lambda: [_number(dataset="ml-100k")]
    monkeypatch.setitem(lessons.PACKAGES, "99", "l99_made_up")
    monkeypatch.setitem(sys.modules, package.__name__, package)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    data = types.SimpleNamespace(name="ml-100k", is_synthetic=True)
    assert lessons.exercises("99", data)(1, 0.6).status == CANNOT_CHECK
    data.is_synthetic = False
    assert lessons.exercises("99", data)(1, 0.6).status == PASSED


def test_offline_a_check_that_cannot_judge_is_excused_unless_data_is_strict(monkeypatch):
    checker = Checker("xx", [_number(dataset="ml-100k")], dataset="the synthetic twin of ml-100k")
    checker(1, 0.6)
    monkeypatch.setenv("RECSYS_COURSE_STRICT_DATA", "0")
    checker.assert_all_passed()
    monkeypatch.setenv("RECSYS_COURSE_STRICT_DATA", "1")
    with pytest.raises(AssertionError, match="cannot check here"):
        checker.assert_all_passed()


def test_a_reference_that_cannot_be_read_is_not_judged():
    def missing():
        raise FileNotFoundError("results/03_neumf_with_pretraining/ncf_ml-100k.csv")

    outcome = Number(1, "a share", reference=missing).judge(0.6)
    assert outcome.status == CANNOT_CHECK and "results/03_neumf_with_pretraining" in outcome.message


def test_fast_mode_is_not_judged_against_full_size_runs(monkeypatch):
    checker = Checker(
        "xx", [_number(full_size=True), Number(2, "exact", reference=lambda: (4.0, 0.0), exact=True)]
    )
    monkeypatch.setenv("RECSYS_COURSE_FAST", "1")
    assert checker(1, 0.6).status == CANNOT_CHECK and "FAST" in checker(1, 0.6).message
    assert checker(2, 4).status == PASSED  # an exact quantity does not depend on FAST
    monkeypatch.setenv("RECSYS_COURSE_FAST", "0")
    assert checker(1, 0.6).status == PASSED


def test_an_exact_reference_has_its_own_fallback_hint():
    exact = Number(2, "exact", reference=lambda: (4.0, 0.0), exact=True)
    assert "exact value" in exact.judge(5).message and "runs" not in exact.judge(5).message
    assert "runs" in _number().judge(0.9).message


def test_a_measured_check_takes_the_object_and_never_raises_on_a_slip():

    exercise = Measured(
        1, "a model's mean weight", ("a number",), reference=lambda: (0.5, 0.01), measure=lambda m, **_: 0.5
    )
    checker = Checker("00", [exercise])
    assert checker(1, torch.nn.Linear(2, 1)).passed
    for number in (0.5, torch.tensor(0.5), np.float64(0.5)):
        assert "not a number" in checker(1, number).message
    pair = checker(1, (torch.nn.Linear(2, 1), {"history": []}))
    assert pair.status == FAILED and "(model, history)" in pair.message


def test_a_sealed_choice_judges_as_the_plain_one():
    """The student release writes each choice's answer as a digest: the same outcomes, no readable answer."""
    plain = _choice()
    sealed_choice = Choice(
        plain.number, plain.title, options=plain.options, correct=sealed(plain.number, "b")
    )
    assert sealed(plain.number, "b") != sealed(plain.number, "a") != sealed(plain.number + 1, "a")
    for key in ("a", "B", "c", "z"):
        assert sealed_choice.judge(key).status == plain.judge(key).status


def test_a_graded_cell_reports_the_item_and_raises_only_in_the_graders_copy(monkeypatch, capsys):
    check = Checker("99", [_number(), _function()])
    check(1, 0.6)
    check(2, lambda x: x)
    monkeypatch.setenv(
        "RECSYS_COURSE_GRADING", "0"
    )  # what a learner might try: the grader's copy does not read it
    check.grade(1, points=1)
    check.grade(2, points=2)
    assert capsys.readouterr().out.splitlines() == [
        "Exercise 1 (a share): passed - 1 of 1 point when graded.",
        "Exercise 2 (double): not yet - 0 of 2 points when graded.",
    ]
    check.grade(1, points=1, strict=True)  # passed: no error, nbgrader gives the points
    with pytest.raises(NotPassed, match="Exercise 2 \\(double\\): not yet - 0 of 2 points"):
        check.grade(2, points=2, strict=True)
    fresh = Checker("99", [_number()])
    with pytest.raises(NotPassed, match="not attempted yet"):
        fresh.grade(1, points=1, strict=True)  # its check never ran
    with pytest.raises(KeyError, match="no exercise 3"):
        fresh.grade(3, points=1)


def test_the_courses_own_code_earns_no_points(capsys):
    """A reference handed back passes its check (the course's tests rely on that), but the grader gives it nothing."""
    from recsys_course.training import stopping_point

    curve = ("a curve", ([0.70, 0.74, 0.73, 0.72], 2))
    check = Checker("99", [Function(2, "stop", reference=stopping_point, cases=lambda: [curve])])
    assert check(2, stopping_point).passed
    check.grade(2, points=1)
    assert "passed, but with the course's own code (recsys_course.training" in capsys.readouterr().out
    with pytest.raises(NotPassed, match="0 of 1 point"):
        check.grade(2, points=1, strict=True)
    check(2, lambda *args: stopping_point(*args))  # a wrapper around the reference is the course's code too
    with pytest.raises(NotPassed, match="with the course's own code"):
        check.grade(2, points=1, strict=True)


def test_a_wrapper_a_partial_or_a_subclass_of_the_courses_code_is_borrowed():
    import functools

    from torch import nn

    from recsys_course.check import borrowed_from
    from recsys_course.models import MF
    from recsys_course.training import stopping_point

    assert borrowed_from(stopping_point, stopping_point).startswith("recsys_course.training")
    assert borrowed_from(lambda *a: stopping_point(*a), stopping_point)
    assert borrowed_from(functools.partial(stopping_point), stopping_point)

    class Mine(MF):
        pass

    class Own(nn.Module):
        def forward(self, x):
            return MF.forward(self, x)  # calls a course method that is not this exercise's reference

    assert borrowed_from(Mine, MF) == "recsys_course.models.pairs.MF"
    assert borrowed_from(Own, stopping_point) == ""

    def own(values, patience):
        best = max(values)
        return len(values), values.index(best) + 1

    assert borrowed_from(own, stopping_point) == ""
