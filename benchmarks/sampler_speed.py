"""How much faster is vectorised negative sampling than a plain Python loop?

Draws ``--neg`` negatives for every positive of MovieLens-100K (implicit
feedback: every rating is an interaction) in two ways:

* ``recsys_course.tasks.negatives.sample_negatives``: NumPy draws all candidates at
  once, rejects the seen ones with a dense boolean-table lookup, redraws only those;
* a straightforward loop: for each positive and each negative, draw
  ``random.randrange(n_items)`` until the (user, item) pair is not in a Python
  set of seen pairs.

Each is timed with ``time.perf_counter`` over ``--repeats`` runs; the best run
counts. ``--check`` makes the script exit with status 1 when the speed-up is
below 50x (for CI); without it the script only reports.

Usage::

    RECSYS_COURSE_DATA=/path/to/datasets python benchmarks/sampler_speed.py [--neg 4] [--repeats 3] [--check]

Without the dataset on disk (and offline) ``load_movielens`` falls back to its
synthetic twin of the same size, which is fine for a timing comparison.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time

import numpy as np

from recsys_course.data import load_movielens
from recsys_course.tasks.negatives import InteractionSet, sample_negatives
from recsys_course.tasks.splits import to_implicit

MIN_SPEEDUP = 50.0


def python_loop(users: list[int], n_items: int, seen_pairs: set, n_neg: int, seed: int) -> list[int]:
    """The obvious version: one rejection loop per negative, in pure Python."""
    rand = random.Random(seed)
    out = []
    for user in users:
        for _ in range(n_neg):
            while True:
                item = rand.randrange(n_items)
                if (user, item) not in seen_pairs:
                    break
            out.append(item)
    return out


def best_time(fn, repeats: int) -> float:
    """Smallest wall-clock time of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--neg", type=int, default=4, help="negatives per positive (default: 4)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each sampler; the best counts")
    parser.add_argument(
        "--check", action="store_true", help=f"exit with status 1 if the speed-up is below {MIN_SPEEDUP:.0f}x"
    )
    args = parser.parse_args(argv)
    if args.neg < 1 or args.repeats < 1:
        parser.error("--neg and --repeats must be at least 1")

    data = load_movielens("ml-100k")
    interactions = to_implicit(data.ratings)
    users = interactions["user"].to_numpy()
    items = interactions["item"].to_numpy()
    n_items = data.n_items
    seen = InteractionSet(users, items, n_items)
    seen_pairs = set(zip(users.tolist(), items.tolist()))
    user_list = users.tolist()
    total = len(users) * args.neg

    print(f"data: {data.summary()}")
    print(
        f"task: {args.neg} negatives for each of {len(users):,} positives = {total:,} negatives; "
        f"best of {args.repeats} runs"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}")

    # Both samplers must produce valid negatives, or the timing means nothing.
    vec = sample_negatives(users, args.neg, seen, np.random.default_rng(0))
    loop = np.array(python_loop(user_list, n_items, seen_pairs, args.neg, seed=0)).reshape(-1, args.neg)
    for name, negs in (("vectorised", vec), ("python loop", loop)):
        if (
            negs.shape != (len(users), args.neg)
            or seen.contains(np.repeat(users, args.neg), negs.ravel()).any()
        ):
            print(f"error: the {name} sampler returned a seen item or a wrong shape", file=sys.stderr)
            return 2

    rng = np.random.default_rng(1)
    t_vec = best_time(lambda: sample_negatives(users, args.neg, seen, rng), args.repeats)
    t_loop = best_time(lambda: python_loop(user_list, n_items, seen_pairs, args.neg, seed=1), args.repeats)
    speedup = t_loop / t_vec

    print(f"{'sampler':<28}{'best time (s)':>14}{'negatives/s':>16}")
    print(f"{'sample_negatives (NumPy)':<28}{t_vec:>14.4f}{total / t_vec:>16,.0f}")
    print(f"{'Python rejection loop':<28}{t_loop:>14.4f}{total / t_loop:>16,.0f}")
    print(f"speed-up: {speedup:.1f}x")

    if args.check and speedup < MIN_SPEEDUP:
        print(f"FAIL: speed-up {speedup:.1f}x is below {MIN_SPEEDUP:.0f}x", file=sys.stderr)
        return 1
    if args.check:
        print(f"OK: speed-up is at least {MIN_SPEEDUP:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
