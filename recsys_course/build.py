"""Build-it steps: a model, a loss or a training loop the learner writes, run beside the course's own.

A :class:`Step` runs the learner's code and the course's reference on cases the notebook does not show
and compares what comes out; where they differ, it runs known mistakes the same way, and a match names
the mistake. :func:`module_step`, :func:`function_step`, :func:`loss_step`, :func:`update_step` and
:func:`loop_step` make the usual kinds; :class:`Builder` holds a lesson's steps and hands the notebook the
learner's code once it passes, or the course's to go on with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .check import FAILED, NOT_ATTEMPTED, PASSED, Checker, Exercise, Outcome, unattempted

Case = tuple[str, dict]  # (what the learner may be told about it, what the runner needs)


class NotBuilt(Exception):
    """The learner's code is still the scaffold: no layers yet, or a body that still raises NotImplementedError."""


class NoResult(Exception):
    """The learner's code runs but returns None: most often a forgotten ``return``."""


class Mismatch(Exception):
    """The learner's code runs but cannot be compared (its parameters differ in name or shape)."""


@dataclass
class Step(Exercise):
    """One build-it step. ``run(candidate, case)`` returns what is compared (tensors, or a list of them);
    ``known_mistakes`` are (hint, wrong implementation) pairs run the same way. ``number`` is a short name."""

    reference: Any = None
    cases: Callable[[], list[Case]] = None
    run: Callable[[Any, dict], Any] = None
    known_mistakes: tuple[tuple[str, Any], ...] = ()
    rtol: float = 1e-4
    atol: float = 1e-5
    takes_code = True

    def _outcome(self, status: str, message: str = "") -> Outcome:
        return Outcome(self.number, status, message, kind="Step")

    def judge(self, answer: Any, **context) -> Outcome:
        # the cases build models from PyTorch's global generator: leave it as it was, so that what the lesson
        # computes after a check does not depend on how many cases the learner's code got through
        with torch.random.fork_rng(devices=[]):
            return self._judge(answer)

    def _judge(self, answer: Any) -> Outcome:
        if not callable(answer):
            return self._outcome(
                FAILED, f"Pass your {self.title} itself (its name), not a {type(answer).__name__}."
            )
        failed = []
        for description, case in self.cases():
            expected = self.run(self.reference, case)
            try:
                got = self.run(answer, case)
            except (NotBuilt, NotImplementedError):
                return self._outcome(
                    NOT_ATTEMPTED,
                    "Fill in the scaffold (every `...` and `raise NotImplementedError`) and run the cell again.",
                )
            except NoResult:
                return self._outcome(FAILED, "Hint: your code returns None - did it forget its `return`?")
            except Mismatch as err:
                return self._outcome(FAILED, f"Hint: {err}")
            except Exception as err:  # the learner's code: report the error, never crash the cell
                raised = _signature(err)
                named = self._named(case, lambda wrong: _raises(self.run, wrong, case) == raised)
                if named:
                    return named
                failed.append(f"{description} (it raised {type(err).__name__}: {err})")
                continue
            if not self.same(got, expected):
                named = self._named(case, lambda wrong: self.same(got, self.run(wrong, case)))
                if named:
                    return named
                failed.append(description + _shapes(got, expected))
        if not failed:
            return self._outcome(PASSED, f"Your {self.title} matches the course's on every hidden case.")
        return self._outcome(FAILED, "Hint: it differs from the course's on " + "; ".join(failed[:3]) + ".")

    def _named(self, case: dict, matches: Callable[[Any], bool]) -> Outcome | None:
        """The outcome naming the first known mistake that ``matches`` on ``case``, if any."""
        for hint, wrong in self.known_mistakes:
            try:
                if matches(wrong):
                    return self._outcome(FAILED, f"Hint: {hint}")
            except Exception:  # noqa: BLE001 - a mistake that cannot run on this case is not this one
                continue
        return None

    def same(self, got, expected) -> bool:
        got = got if isinstance(got, (list, tuple)) else [got]
        expected = expected if isinstance(expected, (list, tuple)) else [expected]
        if len(got) != len(expected):
            return False
        for g, e in zip(got, expected):
            if not isinstance(g, torch.Tensor):
                try:
                    g = torch.as_tensor(np.asarray(g, dtype=np.float64))
                except (TypeError, ValueError):
                    return False
            e = torch.as_tensor(e).detach().double()
            if g.shape != e.shape or not torch.allclose(
                g.detach().double(), e, rtol=self.rtol, atol=self.atol, equal_nan=True
            ):
                return False
        return True


def _shapes(got, expected) -> str:
    """' (yours has shape [2, 1] where the course's has [2])' when the first differing result differs in shape."""
    got = got if isinstance(got, (list, tuple)) else [got]
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    if len(got) != len(expected):
        return f" (yours returns {len(got)} results where the course's returns {len(expected)})"
    for g, e in zip(got, expected):
        g_shape, e_shape = list(np.shape(g)), list(np.shape(e))
        if g_shape != e_shape:
            return f" (yours has shape {g_shape} where the course's has {e_shape})"
    return ""


def _signature(err: BaseException) -> tuple[type, str]:
    return type(err), str(err)


def _raises(run: Callable, candidate, case: dict) -> tuple[type, str] | None:
    """The error ``run(candidate, case)`` raises, as (type, message), or None when it runs."""
    try:
        run(candidate, case)
    except Exception as err:  # noqa: BLE001 - the point is to see which error a known mistake gives
        return _signature(err)
    return None


def randomised(model: nn.Module, seed: int, scale: float = 0.5) -> nn.Module:
    """Every parameter redrawn N(0, scale^2), seeded: a bias left at zero by an init cannot hide its absence."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * scale)
    return model


def copied_into(cls, reference: nn.Module, args: tuple) -> nn.Module:
    """``cls(*args)`` holding ``reference``'s weights; :class:`NotBuilt` for a scaffold, :class:`Mismatch` when
    the parameters differ (the message lists the ones expected).

    Parameters are matched by name, or else by position when every shape agrees in the order the layers were
    made: a learner's ``nn.Sequential`` numbers its layers its own way, and that is no mistake."""
    model = cls(*args)
    if not isinstance(model, nn.Module):
        raise Mismatch(f"{cls.__name__}(...) should make an nn.Module; it made a {type(model).__name__}.")
    theirs = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    if not theirs:
        raise NotBuilt
    mine = {name: tuple(p.shape) for name, p in reference.state_dict().items()}
    trained = {name for name, _ in model.named_parameters()}
    frozen = [name for name in mine if name in theirs and name not in trained]
    if frozen or (len(trained) < len(list(reference.parameters())) and len(theirs) == len(mine)):
        names = ", ".join(frozen) or "a tensor of your model"
        raise Mismatch(
            f"{names} must be learned: make it an nn.Parameter (or part of a layer such as "
            "nn.Embedding or nn.Linear), not a plain tensor or a buffer, so that training moves it."
        )
    if theirs == mine:
        model.load_state_dict(reference.state_dict())
    elif list(theirs.values()) == list(mine.values()):
        model.load_state_dict(dict(zip(theirs, reference.state_dict().values())))
    else:
        missing = [f"{name} {list(shape)}" for name, shape in mine.items() if theirs.get(name) != shape]
        extra = [name for name in theirs if name not in mine]
        raise Mismatch(
            "the check copies the course's weights into your model, so it needs these parameters, named and "
            f"sized as the scaffold says: {', '.join(missing) or 'none missing'}"
            + (f"; it does not expect {', '.join(extra)}" if extra else "")
            + "."
        )
    return model


def _weights_after(model: nn.Module, before: list, what: str, checked: bool) -> list:
    """The model's weights after a learner's training code ran; :class:`Mismatch` when ``checked`` and none moved."""
    after = [p.detach().clone() for p in model.parameters()]
    if checked and all(torch.equal(a, b) for a, b in zip(after, before)):
        raise Mismatch(
            f"the weights did not move: does your {what} call optimizer.step() after loss.backward()?"
        )
    return after


def _step(number, title, reference, cases, run, known_mistakes, mistakes) -> Step:
    return Step(
        number,
        title,
        tuple(mistakes),
        reference=reference,
        cases=cases,
        run=run,
        known_mistakes=known_mistakes,
    )


def module_step(
    number: str,
    title: str,
    reference: type,
    cases: Callable[[], list[Case]],
    known_mistakes=(),
    mistakes=(),
    call: Callable[[nn.Module, tuple], Any] | None = None,
) -> Step:
    """A step whose answer is an ``nn.Module`` class: built with each case's ``args``, given the reference's
    weights (randomised with the case's ``seed``), and called on the case's ``inputs`` - or, with ``call``,
    ``call(model, inputs)`` returns what is compared (the model's output and its item vectors, say)."""

    def run(cls, case: dict):
        ref = randomised(reference(*case["args"]), case.get("seed", 0))
        model = copied_into(cls, ref, case["args"])
        with torch.no_grad():
            out = model(*case["inputs"]) if call is None else call(model, case["inputs"])
        if out is None or (isinstance(out, (list, tuple)) and any(o is None for o in out)):
            raise NoResult
        return out

    return _step(number, title, reference, cases, run, known_mistakes, mistakes)


def update_step(
    number: str,
    title: str,
    reference: Callable,
    cases: Callable[[], list[Case]],
    known_mistakes=(),
    mistakes=(),
) -> Step:
    """A step whose answer is one training update ``update(model, *optimizers, *batch)`` that returns the batch's
    loss: each case's ``model()`` makes a fresh model and ``optimizers(model)`` its optimizers, the answer runs
    on each of the case's ``batches`` in turn, and the losses it returns and the weights it ends with are
    compared - so a step that forgets to zero the gradients shows from the second batch on."""

    def run(update, case: dict):
        model = case["model"]()
        optimizers = case["optimizers"](model)
        before = [p.detach().clone() for p in model.parameters()]
        losses = []
        for batch in case["batches"]:
            loss = update(model, *optimizers, *batch)
            if loss is None:
                raise NoResult
            if isinstance(loss, torch.Tensor) and loss.requires_grad:
                raise Mismatch(
                    "return the loss as a number, loss.item(): a tensor that still holds its graph keeps every "
                    "batch's graph in memory for as long as the list of losses lives."
                )
            losses.append(float(loss))
        after = _weights_after(model, before, what="step", checked=update is not reference)
        return [torch.tensor(losses, dtype=torch.float64), *after]

    return _step(number, title, reference, cases, run, known_mistakes, mistakes)


def loop_step(
    number: str,
    title: str,
    reference: Callable,
    cases: Callable[[], list[Case]],
    known_mistakes=(),
    mistakes=(),
    returns: bool = False,
) -> Step:
    """A step whose answer is a training function ``train(model, *data, **settings)``: each case's ``model()``
    makes a fresh model, the function trains it on the case's ``data`` with its ``settings``, and the weights
    it ends with are compared - and, with ``returns``, the number it returns (a best epoch, say). A case may
    hold a ``trace`` list that its data's callbacks fill as training goes (the weights at each validation,
    say): it is emptied before each run and compared too, so a path that ends in the same place still counts."""

    def run(train, case: dict):
        trace = case.get("trace")
        if trace is not None:
            trace.clear()
        model = case["model"]()
        before = [p.detach().clone() for p in model.parameters()]
        out = train(model, *case["data"], **case.get("settings", {}))
        after = _weights_after(model, before, what="loop", checked=train is not reference)
        extra = [] if trace is None else [torch.tensor(trace, dtype=torch.float64)]
        if not returns:
            return [*after, *extra]
        if out is None:
            raise NoResult
        return [torch.tensor(float(out)), *after, *extra]

    return _step(number, title, reference, cases, run, known_mistakes, mistakes)


def function_step(
    number: str,
    title: str,
    reference: Callable,
    cases: Callable[[], list[Case]],
    known_mistakes=(),
    mistakes=(),
) -> Step:
    """A step whose answer is a function, called on each case's ``args`` (fresh copies of any tensors, so an
    answer that writes into its inputs cannot change the next run); what it returns is compared."""

    def run(fn, case: dict):
        args = [a.clone() if isinstance(a, torch.Tensor) else a for a in case["args"]]
        out = fn(*args)
        if out is None:
            raise NoResult
        return out

    return _step(number, title, reference, cases, run, known_mistakes, mistakes)


def loss_step(
    number: str,
    title: str,
    reference: Callable,
    cases: Callable[[], list[Case]],
    known_mistakes=(),
    mistakes=(),
) -> Step:
    """A step whose answer is a loss ``loss(model, *args)``: each case's ``model()`` makes a fresh model, and the
    loss and the gradient it leaves on every parameter are compared."""

    def run(fn, case: dict):
        model = case["model"]()
        loss = fn(model, *case["args"])
        if loss is None:
            raise NoResult
        loss.backward()
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in model.parameters()]
        return [loss.detach(), *grads]

    return _step(number, title, reference, cases, run, known_mistakes, mistakes)


def source(*objects) -> Any:
    """The course's code for ``objects`` (classes, functions, methods) as a Markdown block for a notebook,
    read from the package itself so that the lesson and the code can never drift apart."""
    import inspect
    import textwrap

    from IPython.display import Markdown

    blocks = [textwrap.dedent(inspect.getsource(obj)).rstrip() for obj in objects]
    return Markdown("```python\n" + "\n\n".join(blocks) + "\n```")


class Builder(Checker):
    """A lesson's build-it steps: ``build("mf", MyMF)`` judges a step; ``build.use("mf", MyMF)`` also returns
    what the rest of the lesson runs on - the learner's code once it passes, else the course's own."""

    noun = "Step"

    @staticmethod
    def source(*objects) -> Any:
        """:func:`source`, for a notebook that holds only its builder: ``build.source(MF.forward)``."""
        return source(*objects)

    @staticmethod
    def with_weights(cls, reference: nn.Module, *args) -> nn.Module:
        """``cls(*args)`` holding ``reference``'s weights, matched as the module steps match them (by name, else
        by position): ``build.with_weights(MyTower, tower, ...)`` runs the learner's model on the course's."""
        return copied_into(cls, reference, args)

    def use(self, number: str, answer: Any):
        outcome = self(number, answer)
        print(outcome)
        if outcome.passed:
            return answer
        step = self.exercises[number]
        print(f"  (the rest of the lesson goes on with the course's {step.reference.__name__})")
        return step.reference

    def __call__(self, number, answer, **context) -> Outcome:
        if number in self.exercises and unattempted(answer):
            outcome = self.exercises[number]._outcome(NOT_ATTEMPTED, "Write it in place of the placeholder.")
            self.outcomes[number], self.borrowed[number] = outcome, ""
            return outcome
        return super().__call__(number, answer, **context)
