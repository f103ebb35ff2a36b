"""Run results that keep their per-user numbers, so that any two runs can be compared with intervals.

A :class:`Results` collects one row per trained model (settings, epochs,
mean test metrics) together with that model's per-user numbers on the test
users - ranks and AUCs for a ranking task, per-user terms of AUC, LogLoss and
user-weighted AUC for a CTR task. It saves both (a CSV anyone can read and a
small .npz) and :meth:`Results.per_user` hands them to
:func:`~.intervals.paired_bootstrap`.

Every full-size experiment writes into ``results/<lesson>/`` with one naming
scheme, ``<name>_<dataset>``, where the name is the experiment's or, for an
experiment that measures several things, the part's (``towers``, ``rankers``,
``calibration``): ``.csv`` (its table: one row per run for trained models),
``_users.npz`` (per-user numbers), ``_curves.csv`` (per-epoch curves) and
``_<part>.csv`` or ``.json`` for what else it keeps.
:func:`committed_file` finds a file the course committed there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..evaluation.metrics import hits_at_k, ndcg_gains_at_k
from .intervals import Effect, paired_bootstrap


class Results:
    """Rows of runs plus, per run, each per-user column of every test user (in a fixed user order)."""

    def __init__(self, users=None):
        self.users = None if users is None else np.asarray(users)
        self.rows: list[dict] = []
        self._columns: dict[str, list[np.ndarray]] = {}
        self.curves: list[pd.DataFrame] = []  # per-epoch validation curves, where an experiment keeps them

    def add(self, row: dict, per_user: pd.DataFrame) -> dict:
        """Record one run: ``row`` (settings and means) and its per-user frame.

        The frame has a ``user`` column and one column per per-user number:
        :func:`recsys_course.evaluation.sampled.per_user`'s rank and auc, or
        :func:`recsys_course.evaluation.ctr.per_user`'s terms. Every run
        records the same columns.
        """
        users = per_user["user"].to_numpy()
        if self.users is None:
            self.users = users
        elif not np.array_equal(users, self.users):
            raise ValueError("every run must be evaluated on the same test users, in the same order")
        names = [
            c
            for c in per_user.columns
            if c != "user"
            and not (  # what the ranks give is not stored twice
                "rank" in per_user and c.partition("@")[0] in ("hr", "recall", "ndcg")
            )
        ]
        if self.rows and sorted(names) != sorted(self._columns):
            raise ValueError(
                f"per-user columns {names} differ from the earlier runs' {sorted(self._columns)}"
            )
        row = {"run": len(self.rows), **row}
        self.rows.append(row)
        for name in names:
            dtype = np.int32 if name == "rank" else np.float64
            self._columns.setdefault(name, []).append(per_user[name].to_numpy(dtype))
        return row

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def runs(self, **where) -> pd.DataFrame:
        """The rows of the runs matching ``where``: a column mapped to a value, or to a list of values.

        They come ordered by seed (then factors and negatives), so the k-th run
        of two selections made the same way has the same seed. An empty
        selection is an error that lists the models there are.
        """
        frame = self.frame()
        mask = np.ones(len(frame), dtype=bool)
        for column, value in where.items():
            mask &= frame[column].isin(value if isinstance(value, (list, tuple)) else [value]).to_numpy()
        if not mask.any():
            raise KeyError(f"no run matches {where}; models: {sorted(frame['model'].unique())}")
        return frame[mask].sort_values(
            [c for c in ("seed", "factors", "negatives") if c in frame], kind="stable"
        )

    def per_user(self, metric: str, **where) -> np.ndarray:
        """``[n_runs, n_users]`` values of ``metric`` for the runs matching ``where``.

        ``metric`` is a recorded column ('auc', 'logloss', ...) or, from the
        ranks, 'hr@K', 'recall@K' or 'ndcg@K'. Runs are selected and ordered
        by :meth:`runs`.
        """
        chosen = self.runs(**where)["run"].to_numpy()
        if metric in self._columns:
            return np.stack([self._columns[metric][r] for r in chosen]).astype(np.float64)
        name, _, k = metric.partition("@")
        if name in ("hr", "recall", "ndcg") and k.isdigit() and "rank" in self._columns:
            ranks = np.stack([self._columns["rank"][r] for r in chosen])
            # one held-out item per user: Recall@k is the hit rate
            return hits_at_k(ranks, int(k)) if name != "ndcg" else ndcg_gains_at_k(ranks, int(k))
        known = sorted(self._columns) + (["hr@K", "recall@K", "ndcg@K"] if "rank" in self._columns else [])
        raise ValueError(f"unknown metric {metric!r}: use one of {known}")

    def subset(self, **where) -> Results:
        """A new Results with only the runs matching ``where`` (see :meth:`runs`), numbered afresh, on the same
        users: a baseline run of one experiment joined to another's (:meth:`joined`)."""
        part = type(self)(self.users)
        for r in self.runs(**where)["run"]:
            row = {k: v for k, v in self.rows[r].items() if k != "run"}
            part.add(row, pd.DataFrame({"user": self.users, **{k: v[r] for k, v in self._columns.items()}}))
        return part

    def save(self, folder: str | Path, name: str) -> list[Path]:
        """Write ``<name>.csv`` (runs), ``<name>_users.npz`` (per-user numbers) and ``<name>_curves.csv``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"{name}.csv", folder / f"{name}_users.npz"]
        self.frame().to_csv(paths[0], index=False)
        np.savez_compressed(paths[1], users=self.users, **{k: np.stack(v) for k, v in self._columns.items()})
        if self.curves:
            paths.append(folder / f"{name}_curves.csv")
            pd.concat(self.curves, ignore_index=True).to_csv(paths[2], index=False)
        return paths

    @classmethod
    def joined(cls, *parts: Results) -> Results:
        """The runs of ``parts`` (each scored on the same test users) as one, numbered in order.

        For an experiment split into several runs of the command line (lesson 03's
        ``03/ncf`` and ``03/ncf_sizes``) whose claims read them together.
        """
        if not parts:
            raise ValueError("joined() needs at least one Results")
        whole = cls(parts[0].users)
        for part in parts:
            if not np.array_equal(part.users, whole.users):
                raise ValueError("the parts were scored on different test users: rerun them on one split")
            if part.rows and whole.rows and sorted(part._columns) != sorted(whole._columns):
                raise ValueError(
                    f"the parts keep different per-user columns: {sorted(part._columns)} and "
                    f"{sorted(whole._columns)}"
                )
            for row in part.rows:
                whole.rows.append({**row, "run": len(whole.rows)})
            for name, columns in part._columns.items():
                whole._columns.setdefault(name, []).extend(columns)
            whole.curves.extend(part.curves)
        return whole

    @classmethod
    def committed(cls, lesson: str, name: str) -> Results | None:
        """The full-size results committed under ``results/<lesson>/<name>``, or None if there are none."""
        folder = config.committed_results_dir(lesson)
        if folder is None or not (folder / f"{name}.csv").is_file():
            return None
        return cls.load(folder, name)

    @classmethod
    def required(cls, lesson: str, name: str, experiment: str) -> Results:
        """Like :meth:`committed`, but a missing file is an error that names the experiment writing it."""
        committed_file(lesson, f"{name}.csv", experiment)
        return cls.committed(lesson, name)

    @classmethod
    def load(cls, folder: str | Path, name: str) -> Results:
        """Read what :meth:`save` wrote."""
        folder = Path(folder)
        frame = pd.read_csv(folder / f"{name}.csv")
        with np.load(folder / f"{name}_users.npz") as saved:
            results = cls(saved["users"])
            results._columns = {k: list(saved[k]) for k in saved.files if k != "users"}
        results.rows = frame.to_dict("records")
        curves = folder / f"{name}_curves.csv"
        if curves.is_file():
            results.curves = [pd.read_csv(curves)]
        counts = {len(v) for v in results._columns.values()}
        if counts != {len(results.rows)}:
            raise ValueError(
                f"{folder / name}: {len(results.rows)} runs in the CSV but "
                f"{sorted(counts)} in the per-user file; rerun its experiment (`python -m recsys_course run --list`)"
            )
        return results


def paired_effect(
    results: Results,
    metric: str,
    a: dict,
    b: dict,
    relative: bool = True,
    baseline: bool = False,
    transform=None,
) -> Effect:
    """The effect of the runs selected by ``a`` over those selected by ``b``, on the seeds both have.

    With ``baseline=True``, ``b`` selects one run of a model that has no
    training seed (popularity, say), and it is paired with every run of ``a``.
    ``transform`` goes to :func:`~.intervals.paired_bootstrap` (``lambda auc: auc - 0.5`` with ``relative``
    gives the DIN paper's RelaImpr, say).
    """
    if baseline:
        if len(results.runs(**b)) != 1:
            raise ValueError(f"baseline=True needs {b} to select exactly one run")
    else:
        common = sorted(set(results.runs(**a)["seed"]) & set(results.runs(**b)["seed"]))
        if not common:
            raise ValueError(f"{a} and {b} share no seed, so they cannot be paired")
        a, b = {**a, "seed": common}, {**b, "seed": common}
    return paired_bootstrap(
        results.per_user(metric, **a),
        results.per_user(metric, **b),
        metric=metric,
        relative=relative,
        transform=transform,
    )


def seed_summary(results: Results, by: str, metrics) -> pd.DataFrame:
    """Per value of ``by`` (in first-seen order): each metric's mean over seeds and its 95% t half-width.

    The spread a learner sees when rerunning with another seed - for charts;
    verdicts use :func:`paired_effect`'s intervals instead.
    """
    from scipy.stats import t as student_t

    rows = []
    for value, runs in results.frame().groupby(by, sort=False):
        row = {by: value, "seeds": len(runs)}
        for metric in metrics:
            values = runs[metric].to_numpy(dtype=float)
            row[metric] = values.mean()
            row[f"{metric} ±"] = (
                student_t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
                if len(values) > 1
                else np.nan
            )
        rows.append(row)
    return pd.DataFrame(rows)


def committed_file(lesson: str, name: str, experiment: str) -> Path:
    """The path of a file a full-size experiment committed under ``results/<lesson>/``.

    A missing file is an error that names the experiment (``"06/ctr_benchmark"``) that writes it.
    """
    folder = config.committed_results_dir(lesson)
    path = None if folder is None else folder / name
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"results/{lesson}/{name} is missing. It comes with the course repository; a pip-installed package "
            f"has no copy. Clone the repository, or write it with `python -m recsys_course run {experiment}`."
        )
    return path
