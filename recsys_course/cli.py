"""The course's command line: run a lesson's full-size experiment, write the claims ledger, release, grade.

    python -m recsys_course run --list                         # every full-size experiment, by lesson
    python -m recsys_course run 03/ncf [--dataset ml-100k] [--seeds 0 1 2] [--fast] [--out DIR] [options]
    python -m recsys_course ledger [--check]                   # CLAIMS.md from the lessons' claim records
    python -m recsys_course release student OUT/ [--repository OWNER/NAME]   # the copy students get
    python -m recsys_course grade 06 SUBMISSIONS/ [--out grades.csv]       # grade their lessons (nbgrader)

Every experiment takes the same four flags; ``--fast`` (or ``RECSYS_COURSE_FAST=1``) shrinks models and
epochs and writes under ``results/fast/`` and ``figures/fast/``, so a quick run never overwrites the
committed results. ``run <experiment> --help`` lists an experiment's own options. A run records the
versions it ran with beside its results, in ``versions.json`` (:mod:`recsys_course.evidence.versions`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import lessons


def _list() -> str:
    lines = []
    for key, experiment in lessons.experiments().items():
        seeds = " ".join(map(str, experiment.defaults()["seeds"]))
        lines.append(f"{key:<22} {experiment.summary} (seeds {seeds})")
        if experiment.launcher:
            lines.append(f"{'':<22} launch: {experiment.launcher}")
    return "\n".join(lines)


def _experiment_parser(key: str, experiment: lessons.Experiment) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m recsys_course run {key}", description=experiment.summary
    )
    defaults = experiment.defaults()
    parser.add_argument(
        "--dataset", default="ml-100k", help="ml-100k (default) or ml-1m (downloaded once into the cache)"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=list(defaults["seeds"]),
        help=f"training seeds (default: {' '.join(map(str, defaults['seeds']))})",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="smaller models and fewer epochs, written under results/fast/ (a quick check)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output folder (default: results/{lessons.package(experiment.lesson).LESSON}/)",
    )
    for flag, kwargs in experiment.options.items():
        default = defaults.get(flag.lstrip("-").replace("-", "_"))
        if (
            kwargs.get("action") != "store_true"
        ):  # a value option: the run function's default, shown in --help
            shown = " ".join(map(str, default)) if isinstance(default, (list, tuple)) else default
            kwargs = {**kwargs, "default": default, "help": f"{kwargs['help']} (default: {shown})"}
        parser.add_argument(flag, **kwargs)
    return parser


def run(argv: list[str]) -> int:
    """``run --list`` or ``run <lesson>/<experiment> [flags]``: the experiment's paths written, one per line."""
    if not argv or argv[0] in ("-h", "--help"):
        print(
            "usage: python -m recsys_course run --list | run <lesson>/<experiment> [--dataset D] [--seeds S ...] "
            "[--fast] [--out DIR] [options]\n\n" + _list()
        )
        return 0
    if argv[0] == "--list":
        print(_list())
        return 0
    key, rest = argv[0], argv[1:]
    known = lessons.experiments()
    if key not in known:
        print(f"no experiment {key!r}. The experiments are:\n{_list()}", file=sys.stderr)
        return 2
    experiment = known[key]
    args = vars(_experiment_parser(key, experiment).parse_args(rest))
    if args.pop("fast"):
        os.environ["RECSYS_COURSE_FAST"] = "1"
    import matplotlib

    matplotlib.use("Agg")  # figures are written to files, never shown
    from . import config
    from .evidence import versions

    config.seed_everything(args["seeds"][0])
    args["seeds"] = tuple(args["seeds"])
    start = time.perf_counter()
    written = list(experiment.function()(**args))
    folder = Path(args["out"] or config.results_dir(lessons.package(experiment.lesson).LESSON))
    # the versions beside the results it wrote (a redraw of figures, or torchrun's other ranks, wrote none)
    if any(Path(path).parent.resolve() == folder.resolve() for path in written):
        written.append(versions.record(folder, key))
    for path in written:
        print(f"wrote {path}")
    print(f"{key}: {time.perf_counter() - start:.0f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "run":
        return run(argv[1:])
    if argv and argv[0] == "ledger":
        from .evidence import ledger

        return ledger.main(argv[1:])
    if argv and argv[0] == "release":
        from . import release

        return release.main(argv[1:])
    if argv and argv[0] == "grade":
        from . import grading

        return grading.main(argv[1:])
    print(__doc__.strip().split("\n\n")[1])  # the usage lines
    return 0 if not argv or argv[0] in ("-h", "--help") else 2
