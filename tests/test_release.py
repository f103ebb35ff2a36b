"""The student release (recsys_course.release): what it holds and leaves out, its graded cells, and its refusals.

CI also runs the release's lessons offline and grades three submissions of one of them (.ci/run).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from recsys_course import release
from recsys_course.check import Choice
from recsys_course.colab import REPOSITORY
from recsys_course.lessons import builds, exercises

ROOT = Path(__file__).resolve().parents[1]
TEACHER = "a-teacher/recsys-class"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.fixture(scope="module")
def student(tmp_path_factory) -> Path:
    return release.build_student_release(tmp_path_factory.mktemp("release") / "student", TEACHER)


def texts(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".md", ".ipynb", ".py", ".toml", ".yml", ".txt", ".json"}:
            yield path, path.read_text(errors="replace")


def test_it_leaves_out_the_solutions_the_instructor_material_and_the_tests(student):
    for gone in ("solutions", "tests", "scripts", "site", "docs/instructors.md", "docs/instructors.in.md"):
        assert not (student / gone).exists(), gone
    for kept in (
        "recsys_course/check.py",
        "results",
        "CLAIMS.md",
        "pyproject.toml",
        "LICENSE",
        "data/README.md",
    ):
        assert (student / kept).exists(), kept
    assert sorted(p.name for p in (student / "notebooks").iterdir()) == [
        p.name for p in release.lessons(ROOT)
    ]
    assert not list(student.rglob("__pycache__")) and not list(student.rglob("fast"))
    for path, text in texts(student):
        if path != student / "recsys_course" / "release.py":  # which names what the release leaves out
            assert "solutions/" not in text and "instructors.md" not in text, path


def test_no_choice_answer_is_readable_and_each_sealed_choice_still_judges(student):
    for path in sorted((student / "recsys_course" / "lessons").glob("l*/exercises.py")):
        text = path.read_text()
        assert not release.CHOICE_ANSWER.search(text.replace('correct="sha256:', "")), path
        lesson = path.parent.name[1:3]
        spec = importlib.util.spec_from_file_location(
            f"recsys_course.lessons.{path.parent.name}.sealed", path
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # its relative imports resolve in this package: the same checks
        ours = {e.number: e for e in exercises(lesson).exercises.values() if isinstance(e, Choice)}
        for choice in (e for e in module.exercises() if isinstance(e, Choice)):
            right = ours[choice.number].answer()
            # the one option without a hint would name the answer: keys sealed, or a hint for every option
            assert all(k.startswith("sha256:") for k in choice.hints) or set(choice.hints) == set(
                choice.options
            )
            for key in choice.options:
                outcome, plain = choice.judge(key), ours[choice.number].judge(key)
                assert outcome.passed == (key == right) and outcome.message == plain.message, (lesson, key)
        assert all(e.mistakes == () for e in module.exercises()), (
            f"{path}: the guide's mistakes point at answers"
        )


def test_each_lesson_has_one_graded_cell_per_step_and_exercise_after_its_check(student):
    for path in release.lessons(ROOT):
        nb = nbformat.read(student / "notebooks" / path.name, as_version=4)
        lesson = path.name[:2]
        items = release.graded_items(nb)
        steps = [("step", s) for s in builds(lesson).exercises]
        assert sorted(items) == sorted(steps + [("exercise", str(n)) for n in exercises(lesson).exercises])
        before = None  # the last cell that is not a graded one
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if not meta:
                before = cell
                continue
            kind, number = meta["grade_id"].split("-", 1)
            assert meta["points"] == release.POINTS[kind] and meta["locked"] and not meta["solution"]
            assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
            assert "strict" not in cell.source  # the learner's copy reports; the grader's raises
            call = f'build.use("{number}"' if kind == "step" else f"check({number},"
            assert call in before.source, (
                f"{path.name}: {meta['grade_id']}'s cell follows the cell of its check"
            )
        nbformat.validate(nb)


def test_a_lesson_that_drops_a_check_is_refused(tmp_path):
    lesson = release.lessons(ROOT)[-1]
    nb = nbformat.read(lesson, as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("check(4, answer_4)", "print(answer_4)")
    nbformat.write(nb, tmp_path / lesson.name)
    with pytest.raises(release.ReleaseError, match="each exercise one `check\\(N, ...\\)` line"):
        release.graded_lesson(tmp_path / lesson.name)


def test_badges_setup_and_colab_name_the_teachers_repository(student):
    for path in release.lessons(ROOT):
        text = (student / "notebooks" / path.name).read_text()
        assert REPOSITORY not in text and f"colab.research.google.com/github/{TEACHER}/blob/main/" in text
        assert f"mybinder.org/v2/gh/{TEACHER}/" in text and f"https://github.com/{TEACHER}" in text
    assert f'REPOSITORY = "{TEACHER}"' in (student / "recsys_course" / "colab.py").read_text()


def test_every_relative_link_leads_to_a_file_of_the_release(student):
    for path in [
        student / "README.md",
        student / "CLAIMS.md",
        *sorted((student / "notebooks").glob("*.ipynb")),
    ]:
        text = path.read_text()
        for target in LINK.findall(text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (path.parent / target).resolve().exists(), f"{path.name} links to {target}"


def test_it_refuses_an_existing_folder_and_a_bad_repository_writing_nothing(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(release.ReleaseError, match="already exists: name a new folder"):
        release.build_student_release(tmp_path / "taken")
    with pytest.raises(release.ReleaseError, match="is not OWNER/NAME"):
        release.build_student_release(tmp_path / "new", "no-slash")
    with pytest.raises(release.ReleaseError, match="inside the course repository"):
        release.build_student_release(ROOT / "student-copy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_failure_half_way_leaves_no_folder_behind(tmp_path, monkeypatch):
    def broken(path, repository):
        raise RuntimeError("disk full")

    monkeypatch.setattr(release, "graded_lesson", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        release.build_student_release(tmp_path / "student")
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_builds_the_same_release_again_and_explains_a_refusal(student, tmp_path, capsys):
    from recsys_course.cli import main

    assert main(["release", "student", str(tmp_path / "again"), "--repository", TEACHER]) == 0
    assert "6 lessons" in capsys.readouterr().out
    for path in sorted((student / "notebooks").glob("*.ipynb")) + [student / "README.md"]:
        assert (tmp_path / "again" / path.relative_to(student)).read_bytes() == path.read_bytes(), path.name
    assert main(["release", "student", str(tmp_path / "again")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_the_graders_copy_differs_only_in_its_graded_cells_which_ask_the_lesson_itself(student):
    lesson = release.lessons(ROOT)[-1]
    learners = nbformat.read(student / "notebooks" / lesson.name, as_version=4)
    graders = release.graded_lesson(student / "notebooks" / lesson.name, strict=True)
    assert len(graders.cells) == len(learners.cells)
    for mine, theirs in zip(learners.cells, graders.cells):
        if release.graded_items_of(mine):
            kind, number = release.graded_items_of(mine)[0]
            label = f'"{number}"' if kind == "step" else number
            assert theirs.source.splitlines()[1:] == [
                "from recsys_course.lessons import graded",
                f'graded("06", "{kind}", {label}, points={release.POINTS[kind]})',
            ]
        else:
            assert theirs.source == mine.source


def test_a_learner_reads_what_graded_cells_are_before_the_first_one(student):
    nb = nbformat.read(student / "notebooks" / release.lessons(ROOT)[0].name, as_version=4)
    first = next(i for i, cell in enumerate(nb.cells) if release.graded_items_of(cell))
    intro = [i for i, cell in enumerate(nb.cells) if cell.get("id") == "graded-cells"]
    assert intro == [first - 2] and "do not edit, delete or copy it" in nb.cells[first - 2].source


def test_no_saved_output_shows_the_courses_answer_to_a_step(student):
    shown = 0
    for path in release.lessons(ROOT):
        for cell in nbformat.read(student / "notebooks" / path.name, as_version=4).cells:
            if cell.cell_type == "code" and "build.source(" in cell.source:
                shown += 1
                assert cell.outputs == [], f"{path.name}: the course's code for a step is in a saved output"
    assert shown >= 6  # every lesson shows the course's code for at least one step, once the learner runs it


def test_it_records_what_it_was_built_from(student):
    import json
    import subprocess

    record = json.loads((student / "release.json").read_text())
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert (
        record["built from"] == REPOSITORY and record["commit"] == head and record["published to"] == TEACHER
    )
    assert record["points"] == release.POINTS and isinstance(record["uncommitted changes"], bool)


def test_the_readme_and_the_guide_state_the_points_the_graded_cells_carry():
    readme = (ROOT / "README.md").read_text()
    step, exercise = release.POINTS["step"], release.POINTS["exercise"]
    assert f"every build-it step ({step} points) and every exercise\n({exercise} point" in readme
    guide = (ROOT / "docs" / "instructors.md").read_text()
    assert f"a build-it step\n{step} points, an exercise {exercise}." in guide
