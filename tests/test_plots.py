"""Tests for recsys_course.plots: deterministic figure files and the course's plotting helpers."""

from __future__ import annotations

import struct

import matplotlib as mpl

mpl.use("Agg")  # no display in tests

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from recsys_course import config, plots  # noqa: E402
from recsys_course.training import History  # noqa: E402


@pytest.fixture
def fig_dir(monkeypatch, tmp_path):
    """Send save_fig's output to a temporary folder instead of the repo's figures/."""
    monkeypatch.setattr(config, "figures_dir", lambda: tmp_path)
    return tmp_path


@pytest.fixture
def fig():
    """A small line chart with a title, a legend and text (things that embed fonts and ids)."""
    figure, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [1, 0, 2], label="MF")
    ax.set_title("a title")
    ax.legend()
    yield figure
    plt.close(figure)


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split a PNG file into (chunk type, chunk data) pairs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def test_save_fig_writes_png(fig_dir, fig):
    """save_fig writes <figures>/<name>.png and returns one path per format."""
    saved = plots.save_fig(fig, "demo")
    assert saved == ["demo.png"]  # a folder outside the repo is reported by file name
    assert (fig_dir / "demo.png").is_file()
    assert [p.name for p in fig_dir.iterdir()] == ["demo.png"]


def test_save_fig_same_figure_twice_is_byte_identical(fig_dir, fig):
    """Saving the same figure twice gives exactly the same bytes (PNG and SVG)."""
    plots.save_fig(fig, "first", formats=("png", "svg"))
    plots.save_fig(fig, "second", formats=("png", "svg"))
    assert (fig_dir / "first.png").read_bytes() == (fig_dir / "second.png").read_bytes()
    assert (fig_dir / "first.svg").read_bytes() == (fig_dir / "second.svg").read_bytes()


def test_save_fig_png_has_no_software_or_time(fig_dir, fig):
    """The PNG carries no Software text chunk and no tIME chunk."""
    plots.save_fig(fig, "meta")
    chunks = _png_chunks((fig_dir / "meta.png").read_bytes())
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert b"tIME" not in kinds
    texts = b"".join(body for kind, body in chunks if kind in {b"tEXt", b"iTXt", b"zTXt"})
    assert b"Software" not in texts
    assert b"matplotlib" not in texts.lower()


def test_save_fig_svg_has_no_date(fig_dir, fig):
    """The SVG has no <dc:date> and no creator string naming a version."""
    plots.save_fig(fig, "vector", formats=("svg",))
    text = (fig_dir / "vector.svg").read_text()
    assert text.lstrip().startswith("<?xml")
    assert "<dc:date>" not in text
    assert mpl.__version__ not in text


def test_use_course_style_sets_rcparams():
    """use_course_style applies the shared style (checked inside an rc_context)."""
    with mpl.rc_context():
        plots.use_course_style()
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["svg.hashsalt"] == "recsys-course"
        assert mpl.rcParams["savefig.bbox"] == "tight"


def _history(values, best_epoch):
    """A History with an `auc` column and a best epoch, as fit would return."""
    records = [{"epoch": e + 1, "train_loss": 1.0 / (e + 1), "auc": v} for e, v in enumerate(values)]
    return History(records=records, monitor="auc", best_epoch=best_epoch, best_value=max(values))


def test_plot_history_draws_lines_and_best_markers():
    """One line per run plus a star at its best epoch; a legend with the run names."""
    fig, ax = plt.subplots()
    try:
        histories = {"MF": _history([0.6, 0.8, 0.7], 2), "MLP": _history([0.5, 0.6, 0.65, 0.64], 3)}
        plots.plot_history(histories, "auc", ax)
        assert len(ax.lines) == 4
        mf_line, mf_star = ax.lines[0], ax.lines[1]
        assert list(mf_line.get_xdata()) == [1, 2, 3]
        assert list(mf_line.get_ydata()) == [0.6, 0.8, 0.7]
        assert (list(mf_star.get_xdata()), list(mf_star.get_ydata())) == ([2], [0.8])
        assert mf_star.get_marker() == "*"
        assert mpl.colors.to_hex(mf_line.get_color()) == plots.MODEL_COLORS["MF"]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MF", "MLP"]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "auc"
    finally:
        plt.close(fig)


def test_plot_history_without_best_marker():
    """mark_best=False draws only the lines; ylabel overrides the label."""
    fig, ax = plt.subplots()
    try:
        plots.plot_history({"Some model": _history([0.1, 0.2], 2)}, "auc", ax, mark_best=False, ylabel="AUC")
        assert len(ax.lines) == 1
        assert ax.get_ylabel() == "AUC"
    finally:
        plt.close(fig)


def test_preference_map_shows_the_matrix_on_a_fixed_scale():
    """The map is an image of the users x items matrix, coloured on [0, 1], without ticks."""
    fig, ax = plt.subplots()
    try:
        probs = np.array([[0.0, 1.0, 0.5], [0.25, 0.75, 1.0]])
        image = plots.preference_map(ax, probs, title="MF")
        assert isinstance(image, AxesImage)
        assert list(ax.images) == [image]
        np.testing.assert_array_equal(image.get_array(), probs)
        assert image.get_clim() == (0, 1)  # same colours for every model's panel
        assert ax.get_title() == "MF"
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("items", "users")
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    finally:
        plt.close(fig)


def test_embedding_map_colours_groups_and_annotates():
    """One scatter per present group (grey 'other' first), labels for annotated points."""
    fig, ax = plt.subplots()
    try:
        xy = np.array([[0, 0], [1, 1], [2, 2], [3, 3]], dtype=float)
        groups = np.array(["Drama", "other", "Horror", "Drama"])
        plots.embedding_map(
            ax, xy, groups, order=["Horror", "Drama", "War"], annotate={2: "Scream (1996)"}, title="t-SNE"
        )
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["other (1)", "Horror (1)", "Drama (2)"]  # War absent: no empty entry
        assert [t.get_text() for t in ax.texts] == ["Scream (1996)"]
        assert ax.get_title() == "t-SNE"
    finally:
        plt.close(fig)
