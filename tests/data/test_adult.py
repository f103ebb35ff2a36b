"""Tests for UCI Adult: the official files read and verified, and every kind of bad file named."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from recsys_course.data import DataError, DownloadError, load_adult, registry
from recsys_course.data.adult import CATEGORICAL, COLUMNS, NUMERIC, TEST_COMMENT, read_adult

from .real_data import ADULT, needs_real_adult

ROWS = [
    "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, "
    "40, United-States, <=50K",
    "52, ?, 209642, HS-grad, 9, Married-civ-spouse, ?, Husband, White, Male, 0, 0, 45, United-States, >50K",
]


def _write(folder: Path, train_rows=ROWS, test_rows=None, comment=TEST_COMMENT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adult.data").write_text("\n".join(train_rows) + "\n\n")
    test_rows = test_rows if test_rows is not None else [r + "." for r in ROWS]
    (folder / "adult.test").write_text("\n".join([comment, *test_rows]) + "\n\n")
    return folder


@needs_real_adult
def test_official_files_load_with_their_published_counts():
    adult = load_adult(ADULT.parent, verbose=False)
    assert (len(adult.train), len(adult.test)) == (32_561, 16_281)
    assert (int(adult.train["label"].sum()), int(adult.test["label"].sum())) == (7_841, 3_846)
    assert list(adult.train.columns) == [c for c in COLUMNS if c != "income"] + ["label"]
    assert set(NUMERIC + CATEGORICAL + ["label"]) == set(adult.train.columns)
    assert (adult.train["workclass"] == "?").sum() > 0  # blank census answers stay a category
    assert "UCI Adult: 32,561 training" in adult.summary()


def test_reader_strips_the_test_labels_dots_and_reads_types(tmp_path):
    adult = read_adult(_write(tmp_path))
    assert adult.train["label"].tolist() == [0, 1] == adult.test["label"].tolist()
    assert adult.train["age"].dtype.kind == "i" and adult.train.loc[1, "workclass"] == "?"
    assert adult.train.loc[0, "native_country"] == "United-States"  # no leading space left


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(comment="39, oops"), "line 1: expected the comment"),
        (
            dict(train_rows=[ROWS[0], "52, Private, 1, HS-grad"]),
            r"adult.data, line 2: expected 15 comma-separated",
        ),
        (dict(train_rows=[ROWS[0].replace("<=50K", "maybe")]), "income must be"),
        (dict(train_rows=[ROWS[0].replace("39,", "3.9x,")]), "age must be an integer"),
        (dict(train_rows=[]), "holds no rows"),
    ],
)
def test_bad_files_are_named_with_line_and_fix(tmp_path, change, message):
    with pytest.raises(DataError, match=message) as caught:
        read_adult(_write(tmp_path, **change))
    assert "Fix:" in str(caught.value)


def test_a_cached_file_with_the_wrong_hash_is_an_error_and_is_kept(tmp_path):
    folder = _write(tmp_path / "adult")
    with pytest.raises(DataError, match="adult.data has sha256 .* Fix: delete"):
        load_adult(tmp_path, verbose=False)
    assert (folder / "adult.data").is_file()  # nothing deleted behind the learner's back


def test_offline_without_the_files_says_where_to_put_them(tmp_path, monkeypatch):
    unreachable = {
        name: replace(spec, url=f"http://127.0.0.1:9/{name}") for name, spec in registry.ADULT_FILES.items()
    }
    monkeypatch.setattr(registry, "ADULT_FILES", unreachable)
    monkeypatch.setattr(registry, "ADULT_ZIP_URL", "http://127.0.0.1:9/adult.zip")  # the fallback fails too
    with pytest.raises(DownloadError, match="place the official adult.data"):
        load_adult(tmp_path, verbose=False)
    leftovers = list((tmp_path / "adult").glob("*")) if (tmp_path / "adult").exists() else []
    assert leftovers == []  # no half-written file left in the cache


def test_the_census_task_scales_its_numbers_or_feeds_them_raw(tmp_path):
    import numpy as np

    from recsys_course.tasks import adult_ctr

    adult = read_adult(_write(tmp_path, train_rows=ROWS * 10))
    scaled, raw = adult_ctr(adult), adult_ctr(adult, numbers="raw")
    spread = [0, 1, 2, 4]  # age, education years, capital gain, hours (capital loss is 0 in both rows)
    np.testing.assert_allclose(
        scaled.train.dense[:, spread].mean(0), 0, atol=1e-5
    )  # standardised on training rows
    assert raw.test.dense[0].tolist() == [39, 13, 2174, 0, 40]  # the tutorial's raw numbers
    np.testing.assert_array_equal(raw.train.wide, scaled.train.wide)  # only the deep part's numbers differ
    with pytest.raises(ValueError, match="numbers must be one of"):
        adult_ctr(adult, numbers="scaled")
