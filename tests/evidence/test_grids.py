"""Tests for recsys_course.evidence.grids: a tuned value at an end of its grid is flagged."""

from __future__ import annotations

import pytest

from recsys_course.evidence import at_edge, edge_note, edge_report


def test_at_edge_names_the_end_and_leaves_the_inside_alone():
    assert at_edge([0.1, 1.0, 10.0], 0.1) == "lowest"
    assert at_edge([10.0, 0.1, 1.0], 10) == "highest"  # order of the grid does not matter
    assert at_edge([0.1, 1.0, 10.0], 1.0) == ""
    assert at_edge([0.0, 1e-6, 1e-5], 1e-6) == ""  # zero is a value like any other
    assert at_edge([4.0], 4.0) == "lowest"  # a grid of one value has no inside


def test_at_edge_refuses_a_value_that_was_not_tried():
    with pytest.raises(ValueError, match="not in the grid"):
        at_edge([0.1, 1.0], 0.5)
    with pytest.raises(ValueError, match="empty grid"):
        at_edge([], 0.5)


def test_edge_report_and_note():
    report = edge_report({"rate": ([1e-3, 1e-2, 0.1], 0.1), "size": ([16, 32, 64], 32)})
    assert report.loc["rate", "at edge"] == "highest" and report.loc["size", "at edge"] == ""
    assert report.loc["rate", "grid"] == "0.001, 0.01, 0.1"
    note = edge_note(report)
    assert note.startswith("1 of 2 tuned settings") and "rate = 0.1 (the highest of 0.001, 0.01, 0.1)" in note
    assert edge_note(report.drop(index="rate")) == "Every tuned setting (1) lies inside its grid."
    brief = edge_note(report, brief=True)
    assert brief == "1 of 2 tuned settings sit at an end of their grid: a wider grid might choose otherwise"
    assert edge_note(report.drop(index="rate"), brief=True) == "Every tuned setting (1) lies inside its grid."


def test_a_grid_where_every_value_ties_is_said_to_have_chosen_nothing():
    report = edge_report({"rate": ([1e-3, 1e-2, 0.1], 1e-3, [0.43, 0.43, 0.43])})
    assert report.loc["rate", "at edge"] == "every value ties"
    assert "rate = 0.001 (every value of 0.001, 0.01, 0.1 ties on validation)" in edge_note(report)
    moved = edge_report({"rate": ([1e-3, 1e-2, 0.1], 1e-2, [0.43, 0.44, 0.43])})
    assert moved.loc["rate", "at edge"] == ""
