"""Write docs/instructors.md, the instructors' guide, from its editorial source and what the course measured.

    python scripts/instructors_guide.py           # write the page
    python scripts/instructors_guide.py --check   # exit 1, and show what differs, when the page is stale

The prose (prerequisites, sections to discuss, advice) is in docs/instructors.in.md. Everything else is
read: the run times from docs/lesson_times.json (written by `scripts/execute_notebooks.py --times`), the
learning goals, section headings and word counts from the committed notebooks, the expected numbers from
the full-size results under results/ (lesson 01 has none: its claim records), the common mistakes from
the exercise checks (each lesson folder's exercises.py), the links from recsys_course.config.REPOSITORY.
Each lesson's 90-minute session plan takes its rows from the source; a reading row's minutes are counted from
the words of the notebook sections it names, every other row's minutes are the source's planning estimates.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recsys_course import lessons  # noqa: E402
from recsys_course.config import REPOSITORY  # noqa: E402
from recsys_course.evidence import load_claims  # noqa: E402
from recsys_course.lessons import LESSONS, builds, exercises  # noqa: E402
from recsys_course.release import POINTS  # noqa: E402

PAGE, SOURCE, TIMES = "docs/instructors.md", "docs/instructors.in.md", "docs/lesson_times.json"
WORDS_PER_MINUTE = 150  # a careful reading speed for technical prose
READ_AND_RUN_BUDGET = 40  # minutes a lesson may take to read, with its outputs, and to run
DATASET = "ml-100k"  # the dataset of the committed full-size results
SESSION = 90  # minutes of one class session; each lesson's plan must fit in it
ACTIVITIES = ("framing", "read", "build", "discuss", "exercises", "wrap-up")  # the kinds of a plan's rows


class Table(NamedTuple):
    """Expected numbers: runs of ``results/<lesson>/<name>.csv``, grouped by ``by``, ``metrics`` over seeds."""

    name: str
    by: list
    metrics: list
    caption: str
    keep: Callable | None = None  # frame -> the rows to show


def _ncf_rows(experiment: str) -> Callable:
    def keep(frame):
        rows = frame[frame["experiment"] == experiment]
        if experiment == "models":  # the size the notebook trains
            from recsys_course.lessons.l03_neumf_with_pretraining.ncf import settings_for

            rows = rows[rows["factors"].isin([0, settings_for(DATASET).factors])]
        return rows

    return keep


TABLES = {
    "02": [
        Table(
            f"dimensions_{DATASET}",
            ["factors"],
            ["hr@10", "ndcg@10", "auc"],
            "MF item embeddings by size (section 5; `auc` is the sampled AUC)",
        )
    ],
    "03": [
        Table(
            f"ncf_{DATASET}",
            ["model", "factors"],
            ["hr@10", "ndcg@10"],
            "the models at the notebook's size (sections 3-4)",
            _ncf_rows("models"),
        ),
        Table(
            f"ncf_{DATASET}",
            ["negatives"],
            ["hr@10", "ndcg@10"],
            "GMF by negatives per positive (section 5)",
            _ncf_rows("negatives"),
        ),
        Table(
            f"ncf_{DATASET}",
            ["model"],
            ["hr@10", "ndcg@10"],
            "the tuned MF (section 6)",
            _ncf_rows("tuned MF"),
        ),
    ],
    "04": [
        Table(
            f"towers_{DATASET}",
            ["model"],
            ["recall@10", "recall@100", "ndcg@10"],
            "candidate towers ranked against the whole catalogue (section 2)",
        ),
        Table(
            f"rankers_{DATASET}",
            ["model"],
            ["hr@10", "engagement ndcg@10"],
            "rankers over the retrieved candidates (section 4)",
        ),
    ],
    "05": [
        Table(
            f"wide_deep_{DATASET}",
            ["model", "optimizer"],
            ["auc", "uauc", "logloss"],
            "the CTR task (sections 4-6)",
        ),
        Table("wide_deep_adult", ["model"], ["accuracy", "auc"], "UCI Adult (section 7)"),
    ],
    "06": [
        Table(
            f"ctr_benchmark_{DATASET}", ["model"], ["auc", "uauc", "logloss"], "the CTR benchmark (section 1)"
        ),
        Table(
            f"samplers_{DATASET}",
            ["sampler"],
            ["catalogue ndcg@10", "catalogue recall@10", "ndcg@10"],
            "negative samplers (section 3; the whole catalogue first, then 99 sampled candidates)",
        ),
        Table(
            f"defaults_{DATASET}",
            ["model", "setting"],
            ["auc"],
            "the article's recipe against each model's tuned setting, at patience 5 (section 4)",
            keep=lambda frame: frame[frame["patience"] == 5],
        ),
        Table(f"dropout_{DATASET}", ["dropout"], ["auc"], "DeepFM by dropout rate (section 5)"),
        Table(f"cold_start_{DATASET}", ["model"], ["auc"], "new movies' starting vectors (section 8)"),
    ],
}


def notebook(root: Path, lesson: str) -> Path:
    found = sorted((root / "notebooks").glob(f"{lesson}_*.ipynb"))
    if len(found) != 1:
        raise SystemExit(f"notebooks/ should hold one notebook for lesson {lesson}, found {len(found)}")
    return found[0]


def markdown_cells(path: Path) -> list:
    return [
        "".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"
    ]


def title(path: Path) -> str:
    return markdown_cells(path)[0].splitlines()[0].lstrip("# ").strip()


def goals(path: Path) -> list:
    """The bullets under the notebook's "You will learn to"."""
    for cell in markdown_cells(path):
        if "**You will learn to**" in cell:
            bullets = []
            for line in cell.split("**You will learn to**", 1)[1].strip().splitlines():
                if not line.startswith("- "):
                    break
                bullets.append(line[2:])
            if bullets:
                return bullets
    raise SystemExit(f"{path.name}: no 'You will learn to' bullets")


def headings(path: Path) -> list:
    return [
        line[3:].strip()
        for cell in markdown_cells(path)
        for line in cell.splitlines()
        if line.startswith("## ")
    ]


def words(path: Path) -> int:
    """Words of the notebook's Markdown text, links and formulas left out."""
    text = re.sub(r"\]\([^)]*\)|\$[^$]*\$", " ", "\n".join(markdown_cells(path)))
    return len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))


def output_words(path: Path) -> int:
    """Words and numbers a reader meets in the committed outputs: printed lines, tables (as text) and Markdown
    generated by the code; figures are not counted."""
    count = 0
    for cell in json.loads(path.read_text())["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = out.get("text") or data.get("text/markdown") or data.get("text/plain") or ""
            count += len(re.findall(r"[A-Za-z][A-Za-z'-]*|\d[\d.,%]*", "".join(text)))
    return count


def reading_minutes(path: Path) -> int:
    """Minutes to read the text and the outputs at :data:`WORDS_PER_MINUTE`."""
    return round((words(path) + output_words(path)) / WORDS_PER_MINUTE)


def total_minutes(times: dict, path: Path) -> float | None:
    """Reading plus run time, in minutes; None when the run time was not measured."""
    entry = times.get(path.stem)
    return None if entry is None else reading_minutes(path) + entry["seconds"] / 60


def source_blocks(root: Path) -> dict:
    """The editorial source's blocks by name ("intro", "running", "lesson 01", ...), comments dropped."""
    text = re.sub(r"<!--.*?-->", "", (root / SOURCE).read_text(), flags=re.S)
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {name.strip(): body.strip() for name, body in zip(parts[1::2], parts[2::2])}


class Row(NamedTuple):
    """One row of a session plan, as the source writes it."""

    activity: str
    minutes: str  # a whole number of minutes, or for a reading row the sections it covers
    what: str


def lesson_prose(body: str, lesson: str, known: list) -> dict:
    """A lesson block's paragraphs by key; each heading a ``discuss:`` names must exist in the notebook, and
    each ``discuss:`` must be followed by its ``answer:``."""
    prose = {"prerequisites": "", "discuss": [], "notes": "", "plan": [], "homework": "", "prepare": ""}
    for paragraph in re.split(r"\n\s*\n", body):
        key, _, rest = paragraph.partition(":")
        if key == "discuss":
            heading, _, why = rest.strip().partition("\n")
            if heading.strip() not in known:
                raise SystemExit(
                    f"{SOURCE}, lesson {lesson}: the notebook has no section '## {heading.strip()}'"
                )
            prose["discuss"].append([heading.strip(), " ".join(why.split()), ""])
        elif key == "answer":
            if not prose["discuss"] or prose["discuss"][-1][2]:
                raise SystemExit(f"{SOURCE}, lesson {lesson}: an answer follows no discussion prompt")
            prose["discuss"][-1][2] = " ".join(rest.split())
        elif key == "plan":
            for line in rest.strip().splitlines():
                fields = [f.strip() for f in line.lstrip("- ").split("|")]
                if len(fields) != 3 or fields[0] not in ACTIVITIES:
                    raise SystemExit(
                        f"{SOURCE}, lesson {lesson}: a plan row is '- activity | minutes | what', with an "
                        f"activity of {', '.join(ACTIVITIES)}; not {line.strip()!r}"
                    )
                prose["plan"].append(Row(*fields))
        elif key in ("prerequisites", "notes", "homework", "prepare"):
            prose[key] = " ".join(rest.split())
        else:
            raise SystemExit(f"{SOURCE}, lesson {lesson}: unknown paragraph key {key!r}")
    for heading, _, answer in prose["discuss"]:
        if not answer:
            raise SystemExit(
                f"{SOURCE}, lesson {lesson}: the prompt on '{heading}' has no answer (an answer: paragraph after it)"
            )
    if not prose["plan"]:
        raise SystemExit(f"{SOURCE}, lesson {lesson}: no session plan (a plan: paragraph)")
    return prose


OPENING = "opening"  # a plan's name for the text before a notebook's first section


def section_words(path: Path) -> dict:
    """Per section of the notebook (its "## " heading; OPENING before the first), the words a reader meets:
    its heading and text, links and formulas left out as in :func:`words`, and its outputs, counted as in
    :func:`output_words`. They add up to the lesson's own counts."""
    counts, current = {OPENING: 0}, OPENING
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for part in re.split(r"^(## .+)$", "".join(cell["source"]), flags=re.M):
                if part.startswith("## "):
                    current = part[3:].strip()
                    counts.setdefault(current, 0)
                text = re.sub(r"\]\([^)]*\)|\$[^$]*\$", " ", part)
                counts[current] += len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = out.get("text") or data.get("text/markdown") or data.get("text/plain") or ""
            counts[current] += len(re.findall(r"[A-Za-z][A-Za-z'-]*|\d[\d.,%]*", "".join(text)))
    return counts


def named_sections(spec: str, counts: dict, lesson: str) -> list:
    """The sections a reading row names: OPENING, a section's number ("2" for "## 2. ..."), or a heading."""
    found = []
    for name in (n.strip() for n in spec.split(",")):
        match = [h for h in counts if h == name or (name.isdigit() and h.startswith(f"{name}. "))]
        if len(match) != 1:
            raise SystemExit(f"{SOURCE}, lesson {lesson}: a reading row names '{name}', which is no section")
        found.append(match[0])
    return found


def plan_rows(lesson: str, path: Path, rows: list, fields: dict) -> list:
    """(minutes, activity, what, where the minutes come from) per row; reading rows counted from the words."""
    counts, steps = section_words(path), builds(lesson).exercises
    out = []
    for row in rows:
        what = Template(row.what).substitute(fields)
        if row.activity == "read":
            sections = named_sections(row.minutes, counts, lesson)
            minutes = max(1, int(sum(counts[h] for h in sections) / WORDS_PER_MINUTE + 0.5))
            names = ", ".join("the opening" if h == OPENING else f"*{h}*" for h in sections)
            out.append((minutes, "read", f"Read {names}" + (f". {what}" if what else ""), "word count"))
            continue
        if not row.minutes.isdigit():
            raise SystemExit(
                f"{SOURCE}, lesson {lesson}: a {row.activity} row needs whole minutes, not {row.minutes!r}"
            )
        for name in re.findall(r"`([a-z_]+)`", what) if row.activity == "build" else []:
            if name not in steps:
                raise SystemExit(
                    f"{SOURCE}, lesson {lesson}: the plan names a build-it step `{name}` it lacks"
                )
        out.append((int(row.minutes), row.activity, what, "estimate"))
    total = sum(r[0] for r in out)
    if total > SESSION:
        raise SystemExit(
            f"{SOURCE}, lesson {lesson}: the session plan takes {total} min, more than {SESSION}: shorten it"
        )
    return out


def _clock(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"


def session_plan(lesson: str, path: Path, prose: dict, fields: dict) -> list:
    """The lesson's session plan, homework, preparation and model answers, in Markdown."""
    rows, start = plan_rows(lesson, path, prose["plan"], fields), 0
    lines = [
        f"**Session plan ({SESSION} minutes).** A reading row's minutes are counted from the words of the "
        f"sections it names (text and outputs, at {WORDS_PER_MINUTE} words a minute); every other row's "
        "minutes are a planning estimate, not timed with a class.",
        "",
        "| clock | min | activity | what | minutes from |",
        "| --- | --- | --- | --- | --- |",
    ]
    for minutes, activity, what, source in rows:
        lines.append(
            f"| {_clock(start)}-{_clock(start + minutes)} | {minutes} | {activity} | {_text(what)} | {source} |"
        )
        start += minutes
    if start < SESSION:
        lines.append(
            f"| {_clock(start)}-{_clock(SESSION)} | {SESSION - start} | spare | questions, or a step that "
            "takes longer than planned | what is left |"
        )
    homework = Template(prose["homework"]).substitute(fields)
    commands = re.findall(r"run (\d\d/[a-z_]+)", homework)
    unknown = [c for c in commands if c not in lessons.experiments()]
    if unknown:
        raise SystemExit(f"{SOURCE}, lesson {lesson}: the homework names no experiment {', '.join(unknown)}")
    planned = " ".join(r[2] for r in rows if r[1] == "build") + " " + homework
    skipped = [name for name in builds(lesson).exercises if f"`{name}`" not in planned]
    if skipped:
        raise SystemExit(
            f"{SOURCE}, lesson {lesson}: build-it step(s) {', '.join(skipped)} in neither the plan nor the homework"
        )
    lines += ["", f"**Homework.** {homework}", ""]
    if prose["prepare"]:
        lines += [f"**To prepare.** {Template(prose['prepare']).substitute(fields)}", ""]
    lines += [
        "**Answers to the discussion prompts.** Short model answers; each number is from the section named.",
        "",
    ]
    lines += [f"- *{heading}*: {answer}" for heading, _, answer in prose["discuss"]]
    return lines + [""]


def links(stem: str) -> tuple:
    return (
        f"https://mybinder.org/v2/gh/{REPOSITORY}/HEAD?labpath=notebooks%2F{stem}.ipynb",
        f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/notebooks/{stem}.ipynb",
    )


def run_time(times: dict, stem: str) -> str:
    entry = times.get(stem)
    if entry is None:
        return "not measured"
    fast = ", FAST mode" if entry["fast"] else ""
    return f"{entry['seconds'] / 60:.1f} min on {entry['cpus']} CPUs{fast}"


def _text(value) -> str:
    """A value made safe for one Markdown table cell; whole floats shown as integers."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()).replace("|", "\\|")


def _cell(values) -> str:
    if len(values) == 1:
        return f"{values.iloc[0]:.3f} (one run)"
    return f"{values.mean():.3f} ({values.min():.3f} - {values.max():.3f})"


def expected(root: Path, lesson: str, stem: str) -> list:
    """The expected-numbers tables of a lesson, in Markdown."""
    if lesson not in TABLES:
        lines = [
            f"This lesson has no full-size results file; its numbers are computed in the notebook. "
            f"Below: the effects its committed claim records hold ([`claims/{stem}.json`](../claims/{stem}.json)), "
            f"with their 95% intervals over test users and seeds.",
            "",
            "| claim | measured | effect [95% interval] | verdict |",
            "| --- | --- | --- | --- |",
        ]
        return (
            lines
            + [
                "| " + " | ".join(map(_text, (c.claim, c.measured, c.effect_text(), c.verdict))) + " |"
                for c in load_claims(root / "claims" / f"{stem}.json")
            ]
            + [""]
        )
    from recsys_course.evidence import Results

    lines = [
        "Each cell: the mean over seeds (lowest - highest), from the committed full-size results on "
        f"{DATASET}. A learner's run with the default settings should land near these ranges; one seed can "
        "fall outside them.",
        "",
    ]
    folder = f"results/{lessons.package(lesson).LESSON}"
    for t in TABLES[lesson]:
        frame = Results.load(root / folder, t.name).frame()
        frame = t.keep(frame) if t.keep else frame
        lines += [
            f"*{t.caption}*, from [`{folder}/{t.name}.csv`](../{folder}/{t.name}.csv):",
            "",
            "| " + " | ".join(t.by + ["seeds"] + t.metrics) + " |",
            "|" + " --- |" * (len(t.by) + 1 + len(t.metrics)),
        ]
        for key, runs in frame.groupby(t.by, sort=False, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            lines.append(
                "| "
                + " | ".join([*map(_text, key), str(len(runs))] + [_cell(runs[m]) for m in t.metrics])
                + " |"
            )
        lines.append("")
    return lines


def build_steps(lesson: str) -> list:
    """Per build-it step of the lesson, what the learner writes and the mistakes its check names."""
    lines = []
    for step in builds(lesson).exercises.values():
        lines.append(f"- Step `{step.number}`, the {step.title}: {'; '.join(step.mistakes)}")
    return lines + [""]


KINDS = {  # what the learner hands to each kind of check
    "Function": "build it: a function, run on hidden cases",
    "Measured": "predict, then measure: a trained model, which the check scores itself",
    "Number": "compute it: a number no output above the exercise shows",
    "Choice": "predict or read, then choose: one of the options",
}


def mistakes(lesson: str) -> list:
    """Per exercise of the lesson, the common mistakes its check catches."""
    lines = []
    for exercise in exercises(lesson).exercises.values():
        lines.append(f"- Exercise {exercise.number}, {exercise.title} ({KINDS[type(exercise).__name__]}):")
        lines += [f"  - {m}" for m in exercise.mistakes] or ["  - (no mistake listed)"]
    return lines + [""]


def build(root: Path, notes: list | None = None) -> str:
    notes = [] if notes is None else notes
    blocks = source_blocks(root)
    times = json.loads((root / TIMES).read_text()) if (root / TIMES).is_file() else {}
    paths = {lesson: notebook(root, lesson) for lesson in LESSONS}
    missing = [p.stem for p in paths.values() if p.stem not in times]
    if missing:
        notes.append(f"{TIMES} has no time for {', '.join(missing)}")
    fields = {
        "repository": REPOSITORY,
        "binder_course": f"https://mybinder.org/v2/gh/{REPOSITORY}/HEAD?labpath=notebooks",
        "step_points": POINTS["step"],  # what the student release's graded cells are worth
        "exercise_points": POINTS["exercise"],
    }
    lines = [
        "# Instructors' guide",
        "",
        f"<!-- Generated by `python scripts/instructors_guide.py` from `{SOURCE}` and the course's measured "
        "results. Do not edit by hand. -->",
        "",
        Template(blocks["intro"]).substitute(fields),
        "",
        "## The lessons at a glance",
        "",
        f"Run time: the notebook executed top to bottom with the default settings "
        f"(`python scripts/execute_notebooks.py --times {TIMES}`), on the number of CPUs shown; the first "
        "run on a new machine also downloads the data. Reading time: the words of the notebook's text and of "
        f"its outputs (printed lines and tables, as the committed notebook shows them) at {WORDS_PER_MINUTE} "
        f"words a minute; writing the build-it steps, reading the code and discussing it take longer. The "
        f"course's budget for reading plus running is {READ_AND_RUN_BUDGET} minutes a lesson.",
        "",
        "| lesson | run | read (text + outputs) | read + run | open |",
        "| --- | --- | --- | --- | --- |",
    ]
    for lesson, path in paths.items():
        binder, colab = links(path.stem)
        total = total_minutes(times, path)
        over = "" if total is None or total <= READ_AND_RUN_BUDGET else " (over budget)"
        lines.append(
            f"| [{lesson} {title(path).partition(' - ')[2]}](../notebooks/{path.name}) | "
            f"{run_time(times, path.stem)} | about {reading_minutes(path)} min "
            f"({words(path):,} + {output_words(path):,} words) | "
            + ("not measured" if total is None else f"about {total:.0f} min{over}")
            + f" | [Binder]({binder}), [Colab]({colab}) |"
        )
    lines += ["", "## Running the course for a class", "", Template(blocks["running"]).substitute(fields), ""]
    proses = {
        lesson: lesson_prose(blocks[f"lesson {lesson}"], lesson, headings(path))
        for lesson, path in paths.items()
    }
    lines += [f"## Six {SESSION}-minute sessions", "", Template(blocks["sessions"]).substitute(fields), ""]
    lines += [
        "| lesson | " + " | ".join(ACTIVITIES) + " | spare |",
        "| --- |" + " --- |" * (len(ACTIVITIES) + 1),
    ]
    for lesson, path in paths.items():
        rows = plan_rows(lesson, path, proses[lesson]["plan"], {**fields, "run": run_time(times, path.stem)})
        used = {a: sum(r[0] for r in rows if r[1] == a) for a in ACTIVITIES}
        lines.append(
            f"| {lesson} | "
            + " | ".join(str(used[a]) for a in ACTIVITIES)
            + f" | {SESSION - sum(used.values())} |"
        )
    lines.append("")
    for lesson, path in paths.items():
        prose = proses[lesson]
        binder, colab = links(path.stem)
        solution = sorted((root / "solutions").glob(f"{lesson}_*_solutions.ipynb"))
        lines += [
            f"## {title(path)}",
            "",
            f"[Notebook](../notebooks/{path.name}) | [Binder]({binder}) | [Colab]({colab})"
            + "".join(f" | [Solutions](../solutions/{s.name})" for s in solution),
            "",
            f"**Time.** Run: {run_time(times, path.stem)}. Reading the text and the outputs: about "
            f"{reading_minutes(path)} min.",
            "",
            f"**Prerequisites.** {prose['prerequisites']}",
            "",
            "**Learning goals.** The notebook's own list: you will learn to",
            "",
        ]
        lines += [f"- {g}" for g in goals(path)]
        lines += ["", "**Sections worth discussing in class.**", ""]
        lines += [f"- [{h}](../notebooks/{path.name}): {why}" for h, why, _ in prose["discuss"]]
        lines += ["", "**Expected numbers.**", ""] + expected(root, lesson, path.stem)
        lines += [
            "**What the learner builds.** Each step is checked against the course's own code on hidden cases; "
            "the check names these mistakes when it sees them:",
            "",
        ] + build_steps(lesson)
        lines += ["**Common mistakes the checks catch.**", ""] + mistakes(lesson)
        if prose["notes"]:
            lines += [f"**In class.** {prose['notes']}", ""]
        lines += session_plan(lesson, path, prose, {**fields, "run": run_time(times, path.stem)})
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/instructors.md, the instructors' guide.")
    parser.add_argument("--check", action="store_true", help=f"only compare; exit 1 if {PAGE} is stale")
    args = parser.parse_args(argv)
    notes: list = []
    page, path = build(ROOT, notes), ROOT / PAGE
    for note in notes:
        print("note:", note, file=sys.stderr)
    if args.check:
        old = path.read_text() if path.is_file() else ""
        if old == page:
            print(f"{PAGE} is up to date")
            return 0
        diff = list(
            difflib.unified_diff(old.splitlines(), page.splitlines(), PAGE, "regenerated", lineterm="", n=0)
        )
        print(f"{PAGE} is stale: run `python scripts/instructors_guide.py`. What differs:")
        print("\n".join(diff[:40] + ([f"... and {len(diff) - 40} more lines"] if len(diff) > 40 else [])))
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    print("wrote", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
