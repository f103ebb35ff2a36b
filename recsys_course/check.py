"""Checks for the lessons' exercises: a learner's answer goes in, a verdict with a hint comes out.

Three kinds of check: a number within a tolerance, a function run on cases the learner does not see,
and a short choice. A check never raises and never prints its answer; each lesson's exercises live in its folder
(``recsys_course/lessons/lNN_*/exercises.py``), and :func:`recsys_course.lessons.exercises` hands a
notebook its checker.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import config

PASSED, FAILED, NOT_ATTEMPTED, CANNOT_CHECK = "passed", "not yet", "not attempted yet", "cannot check here"


@dataclass(frozen=True)
class Outcome:
    """What one check says: the exercise, its status and a message for the learner."""

    exercise: int | str
    status: str
    message: str
    kind: str = "Exercise"  # or "Step", a build-it step (recsys_course.build)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __repr__(self) -> str:
        return f"{self.kind} {self.exercise}: {self.status}. {self.message}".rstrip()


def course_code(answer: Any) -> str:
    """The module of the course ``answer`` was defined in ("recsys_course.models.ctr"), or "" for the learner's."""
    module = getattr(answer, "__module__", None) or ""
    return module if module == "recsys_course" or module.startswith("recsys_course.") else ""


def borrowed_from(answer: Any, reference: Any = None) -> str:
    """Where ``answer`` hands over the course's code instead of the learner's ("" when it is the learner's own):
    a course object itself, a class built on a course class, a partial of one, or a function whose code reaches
    the exercise's own ``reference`` (a wrapper around the answer)."""
    import functools

    if isinstance(answer, functools.partial):
        return borrowed_from(answer.func, reference)
    if course_code(answer):
        return f"{course_code(answer)}.{getattr(answer, '__qualname__', type(answer).__name__)}"
    if isinstance(answer, type):
        return next((f"{course_code(b)}.{b.__name__}" for b in answer.__mro__[1:] if course_code(b)), "")
    code = getattr(answer, "__code__", None)
    if reference is None or code is None:
        return ""
    reached = [cell.cell_contents for cell in getattr(answer, "__closure__", None) or () if _filled(cell)]
    names, codes = set(), [code]
    while codes:  # the names the function and the functions inside it use
        current = codes.pop()
        names |= set(current.co_names) | set(current.co_freevars)
        codes += [c for c in current.co_consts if hasattr(c, "co_names")]
    found = [answer.__globals__[n] for n in names if n in getattr(answer, "__globals__", {})]
    reached += found + [
        getattr(obj, n) for obj in found for n in names if isinstance(obj, type) and hasattr(obj, n)
    ]
    if any(obj is reference for obj in reached):
        return f"{course_code(reference) or 'the course'}.{getattr(reference, '__qualname__', '')}"
    return ""


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # a closure cell not yet filled
        return False
    return True


def unattempted(answer: Any) -> bool:
    """The scaffold's placeholders - None or ... - mean the learner has not answered yet."""
    return answer is None or answer is Ellipsis


@dataclass
class Exercise:
    """One exercise's check. ``mistakes`` names the common mistakes it catches (for the instructors' guide)."""

    number: int
    title: str
    mistakes: tuple[str, ...] = ()
    dataset: str | None = None  # the data the reference belongs to; None when any data will do
    full_size: bool = False  # the reference was trained at the lesson's default settings, which FAST shrinks
    # the answer is code the learner writes (a function, a model class), which must not be the course's own
    takes_code = False

    def judge(self, answer: Any, **context) -> Outcome:
        raise NotImplementedError

    def _outcome(self, status: str, message: str = "") -> Outcome:
        return Outcome(self.number, status, message)

    def _no_reference(self, err: FileNotFoundError) -> Outcome:
        return self._outcome(
            CANNOT_CHECK,
            f"The reference is read from the course repository's committed "
            f"results, which this install lacks ({err}).",
        )


@dataclass
class Number(Exercise):
    """A measured number, right when it lies within ``reference()``'s (value, tolerance).

    ``hints`` are (test, hint) pairs tried in order on (answer, value); the first whose test holds
    is shown. They describe a mistake ("you reported an error rate, not an accuracy"), never the value.
    """

    reference: Callable[..., tuple[float, float]] = None
    hints: tuple[tuple[Callable[[float, float], bool], str], ...] = ()
    exact: bool = False  # a quantity computed exactly (no runs, no seeds behind it)

    def judge(self, answer: Any, **context) -> Outcome:
        try:
            if isinstance(answer, (bool, str)):
                raise TypeError
            answer = float(answer)  # a Python or NumPy number, or a 0-d array or tensor
        except (TypeError, ValueError):
            return self._outcome(FAILED, f"Give a single number, not a {type(answer).__name__}.")
        if not math.isfinite(answer):
            return self._outcome(FAILED, "Your answer is not a finite number: did the training diverge?")
        try:
            value, tolerance = self.reference(**context)
        except FileNotFoundError as err:  # a pip install has no committed results to read the reference from
            return self._no_reference(err)
        if abs(answer - value) <= tolerance:
            return self._outcome(PASSED, "Matches the reference within its tolerance.")
        for test, hint in self.hints:
            if test(answer, value):
                return self._outcome(FAILED, f"Hint: {hint}")
        side = "above" if answer > value else "below"
        if self.exact:
            return self._outcome(
                FAILED,
                f"Hint: your number lies {side} the exact value; recheck each step of "
                f"your computation against the exercise's definition.",
            )
        return self._outcome(
            FAILED,
            f"Hint: your number lies {side} the range the reference runs reach; "
            f"check the setting the exercise asks for and which split you scored.",
        )


class NotMeasurable(Exception):
    """What the learner handed over cannot be measured as the exercise asks; the message says why."""


@dataclass
class Measured(Number):
    """What the learner built or trained - most often a model - measured by the check itself.

    ``measure(answer, **context)`` gives the number that :class:`Number`'s rule then judges against the
    reference. The answer is the object, never a number, so no number on the screen can stand in for the work.
    """

    measure: Callable[..., float] = None
    handed: str = "trained model"

    def judge(self, answer: Any, **context) -> Outcome:
        if isinstance(answer, tuple):
            return self._outcome(
                FAILED,
                f"Hint: you handed over a tuple; training functions return (model, history) - hand over the "
                f"{self.handed} alone.",
            )
        if isinstance(answer, (bool, str, int, float, np.number)) or (
            hasattr(answer, "item") and hasattr(answer, "shape") and tuple(answer.shape) == ()
        ):
            return self._outcome(
                FAILED, f"Hand over your {self.handed} itself, not a number: the check measures it for you."
            )
        try:
            value = float(self.measure(answer, **context))
        except NotMeasurable as err:
            return self._outcome(FAILED, f"Hint: {err}")
        except Exception as err:  # the learner's object: report the error, never crash the cell
            return self._outcome(
                FAILED, f"The check could not measure your {self.handed} ({type(err).__name__}: {err})."
            )
        try:
            reference, tolerance = self.reference()
        except FileNotFoundError as err:
            return self._no_reference(err)
        measured = f" The check measured {value:.4f}."
        if abs(value - reference) <= tolerance:
            return self._outcome(PASSED, "Within the range the reference runs reach." + measured)
        for test, hint in self.hints:
            if test(value, reference):
                return self._outcome(FAILED, f"Hint: {hint}" + measured)
        side = "above" if value > reference else "below"
        return self._outcome(
            FAILED,
            f"Hint: your {self.handed} lies {side} the range the reference runs reach; check the settings, "
            "the seed and the data the exercise names." + measured,
        )


@dataclass
class Function(Exercise):
    """A function the learner writes, run on ``cases()`` against ``reference``; the cases stay hidden.

    Each case is (description, args): a failure shows the description ("a user with no positives"),
    never the arguments or the expected result.
    """

    reference: Callable = None
    cases: Callable[[], list[tuple[str, tuple]]] = None
    same: Callable[[Any, Any], bool] = None
    takes_code = True

    def judge(self, answer: Any, **context) -> Outcome:
        if not callable(answer):
            return self._outcome(
                FAILED, f"Pass your function itself (its name, no brackets), not a {type(answer).__name__}."
            )
        failed = []
        for description, args in self.cases():
            try:
                got = answer(*args)
            except NotImplementedError:
                return self._outcome(NOT_ATTEMPTED, "Your function still raises NotImplementedError.")
            except Exception as err:  # the learner's code: report any error as a hint, never crash the cell
                failed.append(f"{description} (it raised {type(err).__name__}: {err})")
                continue
            if got is None:
                return self._outcome(
                    NOT_ATTEMPTED, "Your function returns None: write its body and return the result."
                )
            if not (self.same or _close)(got, self.reference(*args)):
                failed.append(description)
        if not failed:
            return self._outcome(PASSED, "Right on every hidden case.")
        return self._outcome(FAILED, "Hint: wrong on " + "; ".join(failed[:3]) + ".")


def sealed(number: int, key: str) -> str:
    """The right key of choice ``number`` as the student release carries it (:mod:`recsys_course.release`): a
    digest, so that reading the check's file does not show the answer."""
    return "sha256:" + hashlib.sha256(f"exercise {number}: {key}".encode()).hexdigest()


@dataclass
class Choice(Exercise):
    """A short choice: one of ``options``' keys. ``hints`` gives, per wrong option, why it is wrong.

    ``correct`` is the right key, its :func:`sealed` digest, or a function that reads it off the committed results.
    """

    options: dict[str, str] = field(default_factory=dict)
    correct: str | Callable[[], str] = ""
    hints: dict[str, str] = field(default_factory=dict)

    def answer(self) -> str:
        return self.correct() if callable(self.correct) else self.correct

    def judge(self, answer: Any, **context) -> Outcome:
        key = str(answer).strip().lower()
        if key not in self.options:
            return self._outcome(FAILED, f"Answer with one of {', '.join(map(repr, self.options))}.")
        try:
            correct = self.answer()
        except FileNotFoundError as err:
            return self._no_reference(err)
        if key == correct or sealed(self.number, key) == correct:
            return self._outcome(PASSED, "Right.")
        # the student release seals the hints' keys too
        hint = self.hints.get(key) or self.hints.get(sealed(self.number, key))
        return self._outcome(FAILED, "Hint: " + (hint or "reread the section the exercise names."))


def _close(got, expected, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Equal numbers or arrays, to rounding."""
    try:
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    )


class NotPassed(AssertionError):
    """A graded item that has not passed, while a submission is graded: the cell's error costs its points."""


class Checker:
    """A lesson's exercises, as a notebook holds them: ``check(2, answer)`` judges exercise 2.

    ``dataset`` is the name of the data the notebook runs on; a check whose reference belongs to
    other data says so instead of judging.
    """

    noun = "Exercise"

    def __init__(self, lesson: str, exercises: list[Exercise], dataset: str | None = None):
        self.lesson = lesson
        self.exercises = {exercise.number: exercise for exercise in exercises}
        self.dataset = dataset
        self.outcomes: dict[int, Outcome] = {}
        self.borrowed: dict[int, str] = {}  # the course module whose code the learner handed over, if any

    def __call__(self, number: int, answer: Any, **context) -> Outcome:
        if number not in self.exercises:
            raise KeyError(
                f"Lesson {self.lesson} has no {self.noun.lower()} {number!r}; it has {sorted(self.exercises)}."
            )
        exercise = self.exercises[number]
        if unattempted(answer):
            outcome = exercise._outcome(
                NOT_ATTEMPTED, "Replace the placeholder with your answer and run the cell again."
            )
        elif exercise.dataset is not None and self.dataset != exercise.dataset:
            outcome = exercise._outcome(
                CANNOT_CHECK,
                f"This check knows the answer on {exercise.dataset}; this notebook runs on {self.dataset}.",
            )
        elif exercise.full_size and config.fast_mode():
            outcome = exercise._outcome(
                CANNOT_CHECK,
                "FAST mode (RECSYS_COURSE_FAST=1) shrinks the lesson's "
                "settings, and this check's reference was trained at the "
                "default ones: rerun the notebook without FAST mode.",
            )
        else:
            outcome = exercise.judge(answer, **context)
        self.outcomes[number] = outcome
        self.borrowed[number] = borrowed_from(answer, exercise.reference) if exercise.takes_code else ""
        return outcome

    def summary(self) -> str:
        """One line per exercise: where the learner stands."""
        lines = []
        for number, exercise in sorted(self.exercises.items()):
            outcome = self.outcomes.get(number)
            lines.append(
                f"{self.noun} {number} ({exercise.title}): {outcome.status if outcome else NOT_ATTEMPTED}"
            )
        return "\n".join(lines)

    def grade(self, number: int | str, points: int, strict: bool = False) -> None:
        """A graded cell of the student release (:mod:`recsys_course.release`): where item ``number`` stands.

        The learner's copy prints one line. The grader's copy says ``strict=True``, and nbgrader writes it over the
        learner's before it runs a notebook: there an item that has not passed raises :class:`NotPassed`, and
        nbgrader gives the cell no points.
        """
        if number not in self.exercises:
            raise KeyError(f"Lesson {self.lesson} has no {self.noun.lower()} {number!r}.")
        outcome = self.outcomes.get(number)
        borrowed = self.borrowed.get(number, "")
        passed = outcome is not None and outcome.passed and not borrowed
        status = outcome.status if outcome else NOT_ATTEMPTED
        if borrowed:
            status += f", but with the course's own code ({borrowed}), not yours"
        unit = "point" if points == 1 else "points"
        earns = f"{points if passed else 0} of {points} {unit} when graded"
        if status == CANNOT_CHECK:
            earns = f"? of {points} {unit}: decided when graded, on ML-100K at the lesson's settings"
        line = f"{self.noun} {number} ({self.exercises[number].title}): {status} - {earns}."
        if strict and not passed:
            raise NotPassed(line)
        print(line)

    def assert_all_passed(self) -> None:
        """For the solution notebooks: fail loudly unless every exercise's check has passed.

        Offline, on the synthetic twin, a check that knows only ML-100K's answer cannot pass; that
        is allowed unless strict data mode (RECSYS_COURSE_STRICT_DATA=1, as in CI) is on.
        """
        excused = () if config.strict_data() else (CANNOT_CHECK,)
        missing = [
            n
            for n in self.exercises
            if not (n in self.outcomes and (self.outcomes[n].passed or self.outcomes[n].status in excused))
        ]
        if missing:
            raise AssertionError(
                f"Lesson {self.lesson}: {self.noun.lower()}s {missing} did not pass.\n{self.summary()}"
            )
