"""Grading (recsys_course.grading): what it refuses before nbgrader runs, and how it writes its table.

nbgrader itself runs in CI, after the test suite: scripts/check_grading.py grades three submissions of the
student release's lesson 06 and fails unless each earns exactly the points it should.
"""

from __future__ import annotations

import sys

import nbformat
import pandas as pd
import pytest

from recsys_course import config, grading
from recsys_course.cli import main


def notebook(path):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)


def test_each_notebook_is_a_student_by_its_file_name(tmp_path):
    notebook(tmp_path / "ada.ipynb")
    notebook(tmp_path / "grace_h.ipynb")
    (tmp_path / "notes.txt").write_text("not a submission")
    assert list(grading.submissions_in(tmp_path)) == ["ada", "grace_h"]


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: None, "holds no .ipynb file"),
        (lambda d: notebook(d / "ada lovelace.ipynb"), "cannot use \\['ada lovelace'\\] as student ids"),
        (lambda d: (d / "ada.ipynb").write_text('{"cells": [tr'), "ada.ipynb is not a readable notebook"),
    ],
)
def test_a_folder_that_cannot_be_graded_is_refused_with_the_fix(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(grading.GradingError, match=message):
        grading.submissions_in(tmp_path)


def test_a_missing_folder_or_lesson_is_refused(tmp_path):
    with pytest.raises(grading.GradingError, match="is not a folder"):
        grading.submissions_in(tmp_path / "nowhere")
    with pytest.raises(grading.GradingError, match="there is no lesson '09'"):
        grading.lesson_notebook("09")


def test_without_nbgrader_it_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    notebook(tmp_path / "ada.ipynb")
    monkeypatch.setitem(sys.modules, "nbgrader", None)  # as if not installed: importing it raises ImportError
    assert main(["grade", "06", str(tmp_path)]) == 2
    assert 'grading needs nbgrader: pip install -e ".[grade]"' in capsys.readouterr().err


def test_the_table_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    out = tmp_path / "grades.csv"
    table = pd.DataFrame({"exercise-1": [1.0, 0.0], "total": [1.0, 0.0]}, index=[grading.OUT_OF, "ada"])
    grading.write_table(table, out)
    before = out.read_text()
    assert before.splitlines()[1].startswith("(out of),1.0")

    def broken(self, path, *args, **kwargs):
        path.write_text("exercise-1,to")  # half a file, then the disk fills
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        grading.write_table(table, out)
    assert out.read_text() == before and [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_while_graded_a_lesson_writes_into_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECSYS_COURSE_FAST", raising=False)
    monkeypatch.setenv("RECSYS_COURSE_GRADING", "1")
    assert config.figures_dir() == tmp_path / "figures" and config.claims_dir() == tmp_path / "claims"
    monkeypatch.delenv("RECSYS_COURSE_GRADING")
    assert config.figures_dir() == config.repo_root() / "figures"


def test_a_deleted_graded_cell_is_put_back_after_its_check_and_noted():
    from recsys_course.release import graded_items, graded_lesson, lessons

    source = graded_lesson(lessons(config.repo_root())[-1], strict=True)
    submission = nbformat.from_dict(source)
    gone = [
        c
        for c in submission.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") in ("exercise-4", "step-fm")
    ]
    submission.cells = [c for c in submission.cells if c not in gone]
    put_back = grading.restored(submission, source)
    assert sorted(put_back) == ["exercise-4", "step-fm"]
    assert graded_items(submission) == graded_items(source)
    assert [c.source for c in submission.cells] == [c.source for c in source.cells]  # each where it was
    assert grading.notes_on(submission, put_back) == "graded cells missing, put back: step-fm, exercise-4"


def test_code_that_reaches_into_the_checks_is_noted_for_a_human():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("model = train()\ncheck(1, model)"),
            nbformat.v4.new_code_cell("check.outcomes[2] = check.outcomes[1]"),
            nbformat.v4.new_code_cell('import os; os.environ["RECSYS_COURSE_GRADING"] = "0"'),
        ]
    )
    assert (
        grading.notes_on(nb, [])
        == "its code reaches into the checks (.outcomes, RECSYS_COURSE_GRADING): read it"
    )
    assert grading.notes_on(nbformat.v4.new_notebook(cells=nb.cells[:1]), []) == ""


def test_copies_of_a_graded_cell_become_ordinary_and_the_one_after_its_check_stays():
    from recsys_course.release import graded_items, graded_lesson, lessons

    source = graded_lesson(lessons(config.repo_root())[-1], strict=True)
    submission = nbformat.from_dict(source)

    def at(nb):
        return [
            i
            for i, c in enumerate(nb.cells)
            if c.metadata.get("nbgrader", {}).get("grade_id") == "exercise-4"
        ]

    copy = nbformat.from_dict(submission.cells[at(submission)[0]])
    submission.cells.insert(3, copy)  # pasted near the top, before exercise 4's check
    submission.cells.append(nbformat.from_dict(copy))  # and once more at the end
    assert grading.one_per_item(submission, source) == ["exercise-4", "exercise-4"]
    assert graded_items(submission) == graded_items(source)
    assert "check(4," in submission.cells[at(submission)[0] - 1].source


def test_items_after_a_cell_that_timed_out_are_unscored():
    from recsys_course.release import grade_cell

    nb = nbformat.v4.new_notebook(
        cells=[
            grade_cell("exercise", "1", "06"),
            nbformat.v4.new_code_cell("train()"),
            grade_cell("exercise", "2", "06"),
            grade_cell("step", "fm", "06"),
        ]
    )
    assert grading._after_timeout(nb) == []
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename=grading.TIMED_OUT, evalue="", traceback=[])]
    assert grading._after_timeout(nb) == ["exercise-2", "step-fm"]


def test_the_graded_notebooks_run_on_a_read_only_copy_of_the_course(tmp_path):
    with grading.read_only_copy(tmp_path) as course:
        assert (course / "recsys_course" / "check.py").read_text() == (
            config.PACKAGE_DIR / "check.py"
        ).read_text()
        assert (course / "pyproject.toml").is_file() and (course / "notebooks").is_dir()
        assert (course / "recsys_course" / "check.py").stat().st_mode & 0o222 == 0
    assert (course / "recsys_course" / "check.py").stat().st_mode & 0o200  # writable again, for the clean-up


def test_lesson_01_needs_no_data_to_be_graded(monkeypatch):
    def no_run(*args, **kwargs):
        raise AssertionError("lesson 01 loads no dataset: nothing to check")

    monkeypatch.setattr(grading.subprocess, "run", no_run)
    grading._data_ready("01", {})


@pytest.mark.parametrize(
    "code",
    [
        'check = type("C", (), {"grade": lambda *a, **k: None})()',
        "setattr(check, 'grade', print)",
        "check.exercises[2].cases = lambda: []",
        "build.exercises['fm'].reference = my_fm_pairs",
        "from recsys_course.check import Outcome",
        "import recsys_course.check as c",
    ],
)
def test_each_known_way_of_reaching_into_the_checks_is_noted(code):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    assert "reaches into the checks" in grading.notes_on(nb, [])


def test_the_grader_asks_the_checker_the_lesson_made_last():
    from recsys_course.check import NotPassed
    from recsys_course.lessons import exercises, graded

    check = exercises("06")
    with pytest.raises(NotPassed, match="not attempted yet"):
        graded("06", "exercise", 4, points=1)
    check(4, "a")
    graded("06", "exercise", 4, points=1)  # passes: the checker the lesson made recorded a pass
    exercises("06")  # a new checker, as a rerun of the lesson's setup makes: nothing recorded yet
    with pytest.raises(NotPassed):
        graded("06", "exercise", 4, points=1)
