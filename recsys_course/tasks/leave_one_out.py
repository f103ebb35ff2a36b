"""The leave-one-out task of lessons 02-04 and 06 (He et al. 2017): who held out what, ranked against which negatives.

:func:`prepare_leave_one_out` splits interactions by time - each user's latest one is the test
item, the one before it the validation item - and draws each held-out item's fixed sampled
negatives once, so every model is ranked against the same candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .negatives import InteractionSet, evaluation_candidates
from .splits import leave_one_out


@dataclass
class LeaveOneOut:
    """Everything the leave-one-out protocol needs, prepared once per notebook.

    ``train``/``valid``/``test`` frames of (user, item, timestamp); ``seen``
    holds *all* interactions (so no evaluation negative is a hidden positive),
    ``train_seen`` only the training ones (training negatives are drawn
    against it, so a held-out item is never ruled out as a negative - the
    model must not be told what the test answer is);
    ``valid_candidates``/``test_candidates`` are [n_users_held_out, 1 + n_neg]
    with the held-out item in column 0 and fixed sampled negatives after it.
    """

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    seen: InteractionSet
    train_seen: InteractionSet
    valid_candidates: np.ndarray
    test_candidates: np.ndarray
    n_users: int
    n_items: int

    def merged_for_test(self) -> LeaveOneOut:
        """Validation rows folded back into training, for the final fit before testing.

        NCF trains on everything but each user's test item. Once settings are
        chosen on the validation split, retrain here (with a fixed number of
        epochs - there is no validation set left to stop on) and evaluate
        on ``test_candidates``.
        """
        train = pd.concat([self.train, self.valid], ignore_index=True)
        empty = self.valid.iloc[:0]
        return LeaveOneOut(
            train,
            empty,
            self.test,
            self.seen,
            InteractionSet.from_frame(train, self.n_items, self.n_users),
            self.valid_candidates[:0],
            self.test_candidates,
            self.n_users,
            self.n_items,
        )

    def describe(self) -> str:
        return (
            f"leave-one-out: {len(self.train):,} train interactions; {len(self.valid):,} validation "
            f"and {len(self.test):,} test users, each ranked against "
            f"{self.test_candidates.shape[1] - 1} sampled negatives"
        )


def prepare_leave_one_out(
    interactions: pd.DataFrame, n_users: int, n_items: int, n_neg: int = 99, seed: int = 0
) -> LeaveOneOut:
    """Split by time (latest = test, second latest = validation) and draw fixed candidates."""
    train, valid, test = leave_one_out(interactions, validation=True)
    seen = InteractionSet.from_frame(interactions, n_items, n_users)
    rng = np.random.default_rng(seed)
    valid_c = evaluation_candidates(valid["user"].to_numpy(), valid["item"].to_numpy(), seen, rng, n_neg)
    test_c = evaluation_candidates(test["user"].to_numpy(), test["item"].to_numpy(), seen, rng, n_neg)
    train_seen = InteractionSet.from_frame(train, n_items, n_users)
    return LeaveOneOut(train, valid, test, seen, train_seen, valid_c, test_c, n_users, n_items)
