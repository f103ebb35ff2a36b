"""Fixtures shared by the lessons' tests: a tiny planted leave-one-out task (lessons 02-03)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_course.tasks import prepare_leave_one_out


@pytest.fixture(scope="module")
def loo():
    """40 users in 4 taste groups, each clicking 10 of its group's 15 items, in time order."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(40):
        group = user % 4
        for t, item in enumerate(rng.choice(np.arange(15) + 15 * group, size=10, replace=False)):
            rows.append((user, int(item), t))
    log = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    return prepare_leave_one_out(log, n_users=40, n_items=60, n_neg=20, seed=0)
