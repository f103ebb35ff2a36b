"""One folder per lesson: its experiments, claims, figures and diagrams, and exercises - together.

======================================  =====================================================
folder                                  what lives there
======================================  =====================================================
``l01_mlp_vs_dot_product``              the toy preference matrices
``l02_embeddings_and_tsne``             the embedding-size sweep and its claim
``l03_neumf_with_pretraining``          NCF's experiments, tuning, claims, figures and diagram
``l04_youtube_two_stage``               candidate towers, the ranker, retrieval scaling, claims, figures
``l05_wide_and_deep``                   Wide & Deep's experiments, claims and diagram
``l06_training_discipline``             the CTR benchmark and the training-advice experiments
======================================  =====================================================

Every folder also holds ``build.py``, the steps the learner writes in the lesson (:func:`builds`), and
``exercises.py``, the end-of-lesson exercises (:func:`exercises`). A lesson folder uses every layer
below it and never imports another lesson: what two lessons share lives in a layer below. Each lesson
package names its notebook (``LESSON``) and its
full-size experiments (``EXPERIMENTS``), which ``python -m recsys_course run --list`` lists.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import ModuleType

PACKAGES = {
    "01": "l01_mlp_vs_dot_product",
    "02": "l02_embeddings_and_tsne",
    "03": "l03_neumf_with_pretraining",
    "04": "l04_youtube_two_stage",
    "05": "l05_wide_and_deep",
    "06": "l06_training_discipline",
}
LESSONS = tuple(PACKAGES)  # "01" to "06"


@dataclass(frozen=True)
class Experiment:
    """A full-size experiment of a lesson, as the command line runs it.

    ``run`` names the function, ``"module:function"`` inside the lesson package; it is called as
    ``run(dataset=..., seeds=..., out=..., **options)`` and returns the paths it wrote. Its signature
    holds every default (the seeds included): ``options`` maps an extra flag (``"--factors"``) to its
    ``argparse`` keywords, without a default. :func:`experiments` fills in ``lesson``.
    """

    name: str
    run: str
    summary: str
    options: dict = field(default_factory=dict)
    launcher: str = ""  # how to start it when plain ``python -m`` is not enough (e.g. torchrun)
    lesson: str = ""  # "01" to "06"

    def function(self) -> Callable:
        """The function that runs it, imported from its lesson's package."""
        module, _, name = self.run.partition(":")
        return getattr(importlib.import_module(f"{package(self.lesson).__name__}.{module}"), name)

    def defaults(self) -> dict:
        """The defaults of the function's parameters, by name: the one place they are written."""
        parameters = inspect.signature(self.function()).parameters.values()
        return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def package(lesson: str) -> ModuleType:
    """The package of lesson ``lesson`` ("01" to "06")."""
    if lesson not in PACKAGES:
        raise KeyError(f"there is no lesson {lesson!r}; the lessons are {', '.join(PACKAGES)}")
    return importlib.import_module(f"{__name__}.{PACKAGES[lesson]}")


def experiments() -> dict[str, Experiment]:
    """Every full-size experiment of the course, keyed ``"<lesson>/<name>"`` (e.g. ``"03/ncf"``)."""
    return {
        f"{lesson}/{e.name}": replace(e, lesson=lesson)
        for lesson in PACKAGES
        for e in package(lesson).EXPERIMENTS
    }


def exercises(lesson: str, data=None):
    """The exercise checker of lesson ``lesson`` ("01" to "06"); ``data`` is the notebook's dataset, if any.

    ``check = exercises("03", ml)`` then ``check(2, answer)`` judges exercise 2 (see :mod:`recsys_course.check`).
    """
    from ..check import Checker

    module = importlib.import_module(f"{package(lesson).__name__}.exercises")
    dataset = getattr(data, "name", data)
    if getattr(data, "is_synthetic", False) and "synthetic" not in str(dataset):  # the twin's name says so
        dataset = f"the synthetic twin of {dataset}"
    checker = Checker(lesson, module.exercises(), dataset)
    _LIVE[(lesson, "exercise")] = checker
    return checker


def builds(lesson: str):
    """The build-it steps of lesson ``lesson``: ``build = builds("01")``, then ``MyMF = build.use("mf", MyMF)``
    judges the learner's code and returns what the rest of the lesson runs on (see :mod:`recsys_course.build`)."""
    builder = importlib.import_module(f"{package(lesson).__name__}.build").builder()
    _LIVE[(lesson, "step")] = builder
    return builder


_LIVE: dict[tuple[str, str], object] = {}  # the checker and builder each lesson made last, for graded()


def graded(lesson: str, kind: str, number: str | int, points: int) -> None:
    """The grader's copy of a graded cell (:mod:`recsys_course.release`): item ``number`` of lesson ``lesson``
    must have passed, as recorded by the checker or builder the lesson made - found here, not by the notebook's
    names, and judged by the course's own ``Checker.grade`` - or the cell raises and nbgrader gives it no points."""
    from ..build import Builder
    from ..check import Checker, NotPassed

    made = _LIVE.get((lesson, kind))
    if made is None or type(made) is not (Builder if kind == "step" else Checker):
        raise NotPassed(f"{kind} {number}: the lesson's own checks never ran - 0 of {points} points.")
    Checker.grade(made, int(number) if kind == "exercise" else number, points, strict=True)
