"""The tasks a model is trained and judged on: splits, negatives, and the course's three kinds of task.

- :mod:`.splits` - implicit feedback, leave-one-out by time, global and per-user time splits;
- :mod:`.negatives` - vectorised negative sampling and the fixed evaluation candidates;
- :mod:`.leave_one_out` - lessons 02-03's task (and 04's sampled scores, 06's samplers): each user's
  latest item held out, ranked against 99 sampled negatives;
- :mod:`.next_watch` - lesson 04's task: next-watch examples (padded history, demographics, target);
- :mod:`.ranker_impressions` - lesson 04's ranker: what retrieval showed each user, and the ranker's features;
- :mod:`.ctr` and :mod:`.features` - lessons 05-06's click-through-rate tasks and their features.

Tasks read the data layer and know no models, training or evaluation.
"""

from .ctr import CTRSplit, CTRTask, adult_ctr, movielens_ctr
from .leave_one_out import LeaveOneOut, prepare_leave_one_out
from .next_watch import Examples, NextWatch, prepare_next_watch
from .splits import to_implicit

__all__ = [
    "CTRSplit",
    "CTRTask",
    "Examples",
    "LeaveOneOut",
    "NextWatch",
    "adult_ctr",
    "movielens_ctr",
    "prepare_leave_one_out",
    "prepare_next_watch",
    "to_implicit",
]
