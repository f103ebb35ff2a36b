"""Measured effects with intervals: how much better model A is than model B on the same test users.

:func:`paired_bootstrap` measures the difference (or relative gain) of a per-user metric between
two models, over test users and training seeds, with a 95% interval; :func:`mean_interval` gives
one model's mean the same kind of interval, and :func:`contrast_bootstrap` how much a gain differs
between two groups of test cases. The rule that turns an interval into a verdict lives
in :mod:`.claims`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Effect:
    """A measured effect of model A over model B, with its interval.

    ``relative``: the effect is ``A / B - 1`` (shown in %), else ``A - B``.
    ``n_seeds`` runs per model, ``n_users`` test users (or other units).
    """

    metric: str
    estimate: float
    low: float
    high: float
    relative: bool = False
    level: float = 0.95
    n_users: int = 0
    n_seeds: int = 1

    def format(self, value: float | None = None) -> str:
        """A value (default: the estimate) in the effect's unit: '+2.13%' or '+0.0123'."""
        value = self.estimate if value is None else value
        return f"{value:+.2%}" if self.relative else f"{value:+.4f}"

    def __str__(self) -> str:
        return (
            f"{self.format()} [{self.format(self.low)}, {self.format(self.high)}] "
            f"({self.metric}; {self.level:.0%} interval, {self.n_seeds} seed{'s' if self.n_seeds != 1 else ''}"
            f" x {self.n_users:,} users)"
        )


def _as_runs(values, name: str) -> np.ndarray:
    runs = np.asarray(values, dtype=np.float64)
    if runs.ndim == 1:
        runs = runs[None, :]
    if runs.ndim != 2 or runs.shape[1] == 0:
        raise ValueError(
            f"{name} must be per-user values, shape [n_users] or [n_seeds, n_users]; got shape {runs.shape}"
        )
    if not np.isfinite(runs).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return runs


def paired_bootstrap(
    a,
    b,
    *,
    metric: str = "metric",
    relative: bool = False,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Effect:
    """The effect of model A over model B on the same test users, with an interval.

    ``a`` and ``b`` hold a per-user metric (a 0/1 hit for HR@10, a user's
    NDCG@10 gain, a user's AUC, ...), shape ``[n_seeds, n_users]``: row ``s``
    is the run with seed ``s``, column ``u`` the same test user (and the same
    candidates) in every row of both arrays. ``b`` may have a single row (a
    deterministic baseline such as popularity). The effect is
    ``f(mean A) - f(mean B)``, or ``f(mean A) / f(mean B) - 1`` with
    ``relative=True``, where the means run over seeds and users and ``f`` is
    ``transform`` (default: identity; e.g. ``np.sqrt`` of per-user squared
    errors for an RMSE).

    Method. The effect is uncertain for two reasons, measured separately and
    added as variances:

    1. *Which users are in the test set.* ``n_boot`` times, draw ``n_users``
       users with replacement - the same users for both models and all seeds,
       which keeps the comparison paired, so that what both models share (a
       hard user is hard for both) cancels - and recompute the effect. The
       variance of these replicates is ``var_users``.
    2. *Which seed trained the model.* A seed moves every user's score of one
       run together, so resampling users cannot see it. The sample variance
       of the per-seed effects, divided by the number of seeds, is
       ``var_seeds``. The per-seed effects also carry user noise, which 1
       already counts, so the sum errs on the wide side (safe when seeds are
       few: it never pretends the runs agree better than they do).

    The interval is ``estimate +- t * sqrt(var_users + var_seeds)``, with
    Student's t on Satterthwaite's degrees of freedom, so that a few seeds
    with a large spread give a wide interval. With one seed, only 1 is
    measured and the interval says nothing about training noise (the record
    shows ``n_seeds``). ``tests/evidence/test_intervals.py`` checks the coverage on
    simulated data with a known effect.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    a_runs, b_runs = _as_runs(a, "a"), _as_runs(b, "b")
    n_seeds, n_users = a_runs.shape
    if n_users < 2:
        raise ValueError("an interval over users needs at least two users")
    if b_runs.shape[1] != n_users:
        raise ValueError(f"a and b must score the same users: {n_users} vs {b_runs.shape[1]} columns")
    if b_runs.shape[0] not in (1, n_seeds):
        raise ValueError(f"b must have one row or as many as a ({n_seeds}); got {b_runs.shape[0]}")
    b_runs = np.broadcast_to(b_runs, a_runs.shape)
    f = transform or (lambda x: x)

    def effect(mean_a, mean_b):
        return f(mean_a) / f(mean_b) - 1 if relative else f(mean_a) - f(mean_b)

    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_users, np.full(n_users, 1 / n_users), size=n_boot).T / n_users  # [users, boot]
    boot_a, boot_b = (a_runs @ counts).mean(0), (b_runs @ counts).mean(0)  # [boot]: means over drawn users
    var_users = float(np.var(effect(boot_a, boot_b), ddof=1))
    estimate = float(effect(a_runs.mean(), b_runs.mean()))
    per_seed = effect(a_runs.mean(1), b_runs.mean(1))  # one effect per seed, over all users
    return _interval(estimate, var_users, per_seed, n_users, level, metric=metric, relative=relative)


def _interval(estimate: float, var_users: float, per_seed: np.ndarray, n_users: int, level: float, **fields):
    """The :class:`Effect` around ``estimate``: Student's t on Satterthwaite's degrees of freedom times the root
    of the users' bootstrap variance plus the seeds' variance of the mean (see :func:`paired_bootstrap`)."""
    from scipy.stats import t as student_t

    n_seeds = len(per_seed)
    var_seeds, df = 0.0, np.inf
    if n_seeds > 1:
        var_seeds = float(np.var(per_seed, ddof=1)) / n_seeds
        total = var_users + var_seeds
        if total > 0:
            df = total**2 / (var_users**2 / (n_users - 1) + var_seeds**2 / (n_seeds - 1))
    half = float(student_t.ppf(0.5 + level / 2, df)) * np.sqrt(var_users + var_seeds)
    return Effect(
        estimate=estimate,
        low=estimate - half,
        high=estimate + half,
        level=level,
        n_users=n_users,
        n_seeds=n_seeds,
        **fields,
    )


def contrast_bootstrap(
    first: tuple,
    second: tuple,
    *,
    metric: str = "metric",
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Effect:
    """How much more model A gains over model B on one group of test cases than on another, with an interval:
    ``(mean A - mean B) on first - (mean A - mean B) on second``.

    ``first`` and ``second`` are ``(a, b, users)``: each model's per-user metric on that group, shape
    ``[n_seeds, n_users]`` (the same seeds in both groups), and the users' ids. A user may be in both groups
    (their frequent and their rare impressions, say), so the groups are not independent: each bootstrap
    replicate draws users with replacement from the union once and weights every group's users by how often
    they were drawn, which keeps what a user shares across the groups. Seeds count as in
    :func:`paired_bootstrap`, from the per-seed contrasts.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    parts = []
    for name, (a, b, users) in (("first", first), ("second", second)):
        a_runs, b_runs = _as_runs(a, f"{name}'s a"), _as_runs(b, f"{name}'s b")
        if a_runs.shape != b_runs.shape or a_runs.shape[1] != len(users):
            raise ValueError(
                f"{name}: a {a_runs.shape}, b {b_runs.shape} and {len(users)} users must describe the same runs "
                "and users"
            )
        parts.append((a_runs - b_runs, np.asarray(users)))
    (gain_1, users_1), (gain_2, users_2) = parts
    if gain_1.shape[0] != gain_2.shape[0]:
        raise ValueError(f"both groups need the same seeds: {gain_1.shape[0]} and {gain_2.shape[0]} runs")
    union = np.union1d(users_1, users_2)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(union), np.full(len(union), 1 / len(union)), size=n_boot).T  # [union, boot]
    boot = []
    for gain, users in ((gain_1, users_1), (gain_2, users_2)):
        weights = counts[np.searchsorted(union, users)].astype(float)  # [users, boot]
        weights[:, weights.sum(0) == 0] = 1.0  # a replicate that drew none of the group: its plain mean
        boot.append(gain.mean(0) @ weights / weights.sum(0))
    estimate = float(gain_1.mean() - gain_2.mean())
    per_seed = gain_1.mean(1) - gain_2.mean(1)
    return _interval(
        estimate, float(np.var(boot[0] - boot[1], ddof=1)), per_seed, len(union), level, metric=metric
    )


def mean_interval(values, *, metric: str = "metric", transform=None, level: float = 0.95) -> Effect:
    """One model's mean of a per-user metric, ``[n_seeds, n_users]``, with the same kind of interval.

    It is :func:`paired_bootstrap` against a baseline of zeros: the interval of
    a level, which includes how hard the test users happen to be - wider than
    the paired interval of a difference between two models on the same users.
    """
    runs = _as_runs(values, "values")
    return paired_bootstrap(
        runs, np.zeros((1, runs.shape[1])), metric=metric, transform=transform, level=level
    )
