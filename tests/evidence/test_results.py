"""Tests for the results store: where committed results are looked up, and what a missing one says."""

from __future__ import annotations

import pytest


def test_a_missing_committed_result_names_its_experiment():
    from recsys_course.evidence import Results

    with pytest.raises(FileNotFoundError, match="python -m recsys_course run 99/nothing"):
        Results.required("99_nothing", "nothing_ml-100k", "99/nothing")
