"""The compare page's styles grid (every method, any painting first) and its sweep: core.sweep,
the labelled sheet, real networks at tiny sizes, the link through AppTest, a tiny classic
sweep run as engine jobs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import compare, images
from core import sweep as core_sweep
from core.errors import SettingsError
from tests.apptest_helpers import ROOT, open_app, texts, wait_until
from tests.test_app import captions_of, open_compare, open_page, shelved_classic_run, tiny_models
from ui import catalog, pickers
from ui.compare import link as compare_link
from ui.compare import sweep as compare_sweep
from ui.compare.link import Choices
from ui.fast import magenta
from ui.fast import results as fast_results

__all__ = ["tiny_models"]  # a fixture of test_app, used here by name


@pytest.fixture
def app() -> AppTest:
    return open_app()


def photo() -> pickers.Chosen:
    return pickers.from_bundled(catalog.photos()[0])  # castle


def painting(stem: str = "wave") -> pickers.Chosen:
    return pickers.from_bundled(catalog.painting(stem))


# --------------------------------------------------------------------------- core


def test_a_sweeps_axes_are_checked_and_its_cells_follow_from_it():
    plan = core_sweep.Sweep.default(core_sweep.FAST)
    assert plan.shape == (4, 3) and plan.cells()[0] == (0.25, 384)
    assert plan.fast_config(0.5, 512).strength == 0.5 and plan.fast_config(0.5, 512).size == 512
    rows, columns = core_sweep.AXES[core_sweep.CLASSIC]
    assert core_sweep.parse_values("10, 100 100 1e3", rows) == (10.0, 100.0, 1000.0)
    classic = core_sweep.Sweep(core_sweep.CLASSIC, (10.0,), (0.5, 2.0), seed=3, size=64,
                               iterations=2)
    config = classic.classic_config(10.0, 2.0)
    assert (config.style_weight, config.style_scale, config.seed, config.size,
            config.iterations, config.base_size) == (10.0, 2.0, 0, 64, 2, None)
    for text, problem in (("0.5, x", "'x' is not a number"), ("", "give 1 to 6 values"),
                          ("1, 2, 3, 4, 5, 6, 7", "give 1 to 6 values"),
                          ("9", "from 0.1 to 4")):
        with pytest.raises(SettingsError, match=problem):
            core_sweep.parse_values(text, columns)
    with pytest.raises(SettingsError, match="whole number"):
        core_sweep.parse_values("384.5", core_sweep.AXES[core_sweep.FAST][1])
    with pytest.raises(SettingsError, match="method must be one of fast, classic"):
        core_sweep.Sweep("slow")


def test_the_sweep_sheet_labels_both_axes_and_places_every_cell():
    colours = [[(200, 0, 0), (0, 200, 0), (0, 0, 200)], [(90, 90, 0), None, (0, 90, 90)]]
    grid = [[None if c is None else np.full((30, 40, 3), c, np.uint8) for c in row]
            for row in colours]
    rows, columns = ["strength 0.5", "strength 1"], ["384 px", "512 px", "768 px"]
    sheet = compare.sweep_sheet(grid, "Strength", rows, "Size (px)", columns, "castle × wave",
                                cell_width=120)
    label_width, header, box_width, box_height, _ = compare.sweep_layout(
        [cell for row in grid for cell in row if cell is not None], "Strength", rows,
        "castle × wave", 3, 120)
    assert box_height == round(box_width * 30 / 40)
    assert sheet.shape == (header + 2 * (box_height + 2 * compare.PADDING),
                           label_width + 3 * 120, 3)
    for r, row in enumerate(colours):
        for c, colour in enumerate(row):
            top = header + r * (box_height + 2 * compare.PADDING) + compare.PADDING
            left = label_width + c * 120 + compare.PADDING
            box = sheet[top:top + box_height, left:left + box_width]
            expected = colour if colour is not None else (225, 225, 225)
            assert (np.abs(box.astype(int) - expected) <= 2).all(), (r, c)
    ink = sheet.min(axis=2) < 100
    assert ink[:header].sum() > 300  # the title, the axes' names, three column labels
    for c in range(3):  # a label over each column
        assert ink[header // 2:header, label_width + c * 120:label_width + (c + 1) * 120].any()
    for r in range(2):  # and left of each row
        top = header + r * (box_height + 2 * compare.PADDING)
        assert ink[top:top + box_height, :label_width].any()
    with pytest.raises(ValueError, match="grid of 2 x 3"):
        compare.sweep_sheet(grid[:1], "Strength", rows, "Size (px)", columns)


def test_the_seed_reaches_only_cells_it_can_change():
    """Recorded always; in a cell (and so its cache key) only from a noise start."""
    from core.classic import ClassicConfig

    one, two = (core_sweep.Sweep(core_sweep.CLASSIC, (10.0,), (1.0,), seed=seed, size=64,
                                 iterations=2) for seed in (1, 2))
    assert core_sweep.seed_matters() is False  # the sweep's classic cells start "fast"
    assert one.classic_config(10.0, 1.0) == two.classic_config(10.0, 1.0)
    assert one.classic_config(10.0, 1.0).seed == 0
    keys = {compare_sweep.cell_key(photo(), painting(), plan.classic_config(10.0, 1.0))
            for plan in (one, two)}
    assert len(keys) == 1  # another seed reruns nothing
    noise = ClassicConfig(init="noise")
    assert core_sweep.seed_matters(noise) and core_sweep.seed_matters(
        ClassicConfig(init="report-noise"))
    assert one.classic_config(10.0, 1.0, noise).seed == 1
    assert two.classic_config(10.0, 1.0, noise).seed == 2
    fast_one, fast_two = (core_sweep.Sweep(core_sweep.FAST, (0.5,), (384,), seed=seed)
                          for seed in (1, 2))
    assert fast_one.fast_config(0.5, 384) == fast_two.fast_config(0.5, 384)
    assert compare_sweep.sheet_title(photo(), painting(), two).endswith("seed 2")
    assert "starts from noise" in compare_sweep.SEED_HELP


def test_a_sweeps_iterations_have_one_limit():
    limit = core_sweep.MAX_SWEEP_ITERATIONS
    classic = core_sweep.Sweep.default(core_sweep.CLASSIC)
    assert dataclasses.replace(classic, iterations=limit).iterations == limit
    with pytest.raises(SettingsError, match="iterations"):
        dataclasses.replace(classic, iterations=limit + 1)
    choices = Choices(sections=("grid", "sweep"), photos=("castle",), styles=(),
                      paintings=("wave",))
    values, problems = compare_link.parse({"iterations": str(limit)}, choices)
    assert values == {compare_link.ITERATIONS: limit} and problems == []
    values, problems = compare_link.parse({"iterations": str(limit + 1)}, choices)
    assert values == {} and problems == [
        f"iterations='{limit + 1}': iterations must be a whole number from 1 to {limit}"]
    at = open_app("pages/compare.py", query={"view": "sweep", "sweep": "classic",
                                             "iterations": str(limit + 1)})
    assert "iterations must be a whole number from 1 to 500" in texts(at.warning)
    widget = at.number_input(key="compare.sweep_iterations")
    assert widget.value == core_sweep.CLASSIC_ITERATIONS and widget.max == limit


def test_axis_values_keep_their_own_text():
    rows, _ = core_sweep.AXES[core_sweep.FAST]
    assert core_sweep.format_values((0.25, 1.0, 0.1234567)) == "0.25, 1, 0.1234567"
    assert core_sweep.parse_values(core_sweep.format_values((0.1234567,)), rows) == (0.1234567,)
    choices = Choices(sections=("grid", "sweep"), photos=("castle",), styles=(),
                      paintings=("wave",))
    link = {"view": "sweep", "photo": "castle", "sweep": "fast", "rows": "0.1234567,1",
            "cols": "384,5.12e2"}
    values, problems = compare_link.parse(link, choices)
    assert problems == [] and values[compare_link.ROWS] == "0.1234567, 1"
    assert core_sweep.parse_values(values[compare_link.ROWS], rows) == (0.1234567, 1.0)
    state = {compare_link.SIZE: 512, compare_link.STRENGTH: 1.0, compare_link.COLOURS: False,
             compare_link.STYLES: [], compare_link.PAINTING: "wave", **values}
    encoded = compare_link.encode(state)
    assert (encoded["rows"], encoded["cols"]) == ("0.1234567,1", "384,5.12e2")


def test_the_grid_methods_are_listed_once():
    from ui.compare import grid

    assert grid.METHODS is compare_link.GRID_METHODS
    assert list(compare_link.GRID_METHODS)[0] == "any"


def test_an_old_grid_link_with_styles_opens_the_trained_networks():
    choices = Choices(sections=("grid", "sweep", "slider"), photos=("castle",),
                      styles=("tiny",), paintings=("wave",))
    parse = compare_link.read
    assert parse({"styles": "tiny"}, choices)[0][compare_link.GRID_METHOD] == "trained"
    assert parse({"view": "grid", "styles": ""}, choices)[0][compare_link.GRID_METHOD] == \
        "trained"
    assert parse({"view": "grid", "styles": "tiny", "method": "multi"},
                 choices)[0][compare_link.GRID_METHOD] == "multi"
    assert compare_link.GRID_METHOD not in parse({"view": "slider", "styles": "tiny"},
                                                 choices)[0]
    assert compare_link.GRID_METHOD not in parse({"view": "grid"}, choices)[0]
    assert compare_link.GRID_METHOD not in compare_link.parse({"styles": "tiny"}, choices)[0]


# --------------------------------------------------------------------------- fast sweep


def distance(png: bytes, to: np.ndarray) -> float:
    picture = compare.decode_png(png).astype(np.float32)
    height, width = picture.shape[:2]
    return float(np.abs(picture - images.resize_exact(to, width, height)).mean())


def test_a_fast_sweep_varies_strength_down_and_size_across_and_is_cached(monkeypatch):
    calls = []
    paint = fast_results._paint
    monkeypatch.setattr(fast_results, "_paint",
                        lambda *args: calls.append(args) or paint(*args))
    plan = core_sweep.Sweep(core_sweep.FAST, (0.0, 1.0), (64, 96), seed=5)
    grid = compare_sweep.fast_grid(photo(), painting(), plan)
    assert [[made.size for made in row] for row in grid] == [[(64, 43), (96, 64)]] * 2
    for column in range(2):  # strength 1 is further from the photo than strength 0
        assert distance(grid[1][column].png, photo().pixels) > \
            distance(grid[0][column].png, photo().pixels) + 5
    painted = len(calls)
    again = compare_sweep.fast_grid(photo(), painting(), plan)
    assert len(calls) == painted  # every cell from the cache
    assert [[m.png for m in row] for row in again] == [[m.png for m in row] for row in grid]
    # the cells are the fast page's any-painting pictures
    same = magenta.any_result(photo(), [painting()], [1.0], plan.fast_config(1.0, 96))
    assert same.png == grid[1][1].png

    sheet = compare.decode_png(compare_sweep.sheet_png(photo(), painting(), plan, grid))
    label_width, header, _, box_height, _ = compare.sweep_layout(
        [compare.decode_png(m.png) for row in grid for m in row], "Strength",
        ["strength 0", "strength 1"], compare_sweep.sheet_title(photo(), painting(), plan), 2,
        compare_sweep.SHEET_CELL_WIDTH)
    assert sheet.shape == (header + 2 * (box_height + 2 * compare.PADDING),
                           label_width + 2 * compare_sweep.SHEET_CELL_WIDTH, 3)
    assert (sheet[:header].min(axis=2) < 100).sum() > 300  # title and labels


# --------------------------------------------------------------------------- styles grid


def test_the_grid_opens_on_any_painting_with_the_fast_pages_pictures(app, monkeypatch):
    open_compare(app)
    assert app.segmented_control(key="compare.grid_method").value == "any"
    stems = [picture.stem for picture in catalog.paintings()]
    assert app.pills(key="compare.art").value == stems
    made = [c for c in captions_of(app) if " · any-painting · " in c]
    assert len(made) == len(stems) and made[0].startswith("The Starry Night — ")
    assert app.query_params["method"] == "any" and "styles" not in app.query_params
    assert [b.proto.label for b in app.get("download_button")] == [
        "Download the comparison (PNG sheet)"]

    calls = []
    paint = fast_results._paint
    monkeypatch.setattr(fast_results, "_paint", lambda *a: calls.append(a) or paint(*a))
    app.session_state["fast.size"] = 256
    open_page(app, "pages/fast.py")  # Any painting, The Starry Night, 256 px
    assert calls == []  # the grid's picture, from the cache
    fast_page = app.session_state["studio.shelf"][0]
    from core.fast.arbitrary import ArbitraryConfig

    grid_cell = magenta.any_result(photo(), [painting("starry_night")], [1.0],
                                   ArbitraryConfig(size=256))
    assert fast_page.png == grid_cell.png and fast_page.size == (256, 171)


def test_each_grid_method_lists_what_it_should(app, tiny_models):
    app.session_state["studio.shelf"] = [shelved_classic_run()]
    open_compare(app, method="trained")
    assert sum(" · fast · " in c for c in captions_of(app)) == 2  # both networks
    assert app.query_params["styles"] == "other,tiny"
    app.segmented_control(key="compare.grid_method").set_value("classic").run()
    assert [c for c in captions_of(app) if " · classic · " in c] == [
        "The Great Wave off Kanagawa · classic · 1 min 04 s"]
    app.selectbox(key="compare.photo").set_value("lemurs").run()  # no run of this photo
    assert "No classic run of this photo has finished" in texts(app.info)
    app.segmented_control(key="compare.grid_method").set_value("multi").run()
    assert not app.exception
    made = [c for c in captions_of(app) if " · 26-style · " in c]
    assert [c.split(" · ")[0] for c in made] == [
        f"26-style network, styles {index}:1" for index in range(26)]


# --------------------------------------------------------------------------- the link


SWEEP_LINK = {"view": "sweep", "photo": "lemurs", "sweep": "fast", "sweep_art": "wave",
              "rows": "0,1", "cols": "64,96", "seed": "7"}


def test_a_sweep_link_reopens_the_same_sweep():
    at = open_app("pages/compare.py", query=SWEEP_LINK)
    assert not at.warning and not at.error, texts(at.warning)
    assert at.segmented_control(key="compare.section").value == "sweep"
    assert at.segmented_control(key="compare.sweep_method").value == "fast"
    assert at.selectbox(key="compare.sweep_painting").value == "wave"
    assert at.selectbox(key="compare.photo").value == "lemurs"
    assert at.text_input(key="compare.sweep_rows").value == "0, 1"
    assert at.text_input(key="compare.sweep_columns").value == "64, 96"
    assert at.number_input(key="compare.sweep_seed").value == 7
    assert sum(" px" in c and c[0].isdigit() for c in captions_of(at)) == 4
    assert "4 cells · seed 7" in texts(at.caption)
    assert {k: at.query_params[k] for k in SWEEP_LINK} == SWEEP_LINK  # written back as read
    assert "size" not in at.query_params  # the grid's settings stay out of a sweep's link
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download the sweep (PNG sheet)"]

    at.segmented_control(key="compare.sweep_method").set_value("classic").run()
    assert at.text_input(key="compare.sweep_rows").value == "10, 100, 1000"  # its defaults
    assert at.query_params["cols"] == "0.5,1,2" and at.query_params["sweep_size"] == "256"


def test_sweep_link_values_parse_and_encode_round_trips():
    choices = Choices(sections=("grid", "sweep"), photos=("castle",), styles=("wave",),
                      paintings=("wave", "udnie"))
    values, problems = compare_link.parse({**SWEEP_LINK, "photo": "castle"}, choices)
    assert problems == []
    state = {compare_link.SIZE: 512, compare_link.STRENGTH: 1.0, compare_link.COLOURS: False,
             compare_link.STYLES: [], compare_link.PAINTING: "wave", **values}
    assert compare_link.encode(state) == {**SWEEP_LINK, "photo": "castle"}
    _, problems = compare_link.parse({"rows": "a,b", "seed": "-1", "sweep": "slow",
                                      "sweep_art": "nope", "art": "wave,nope"}, choices)
    assert len(problems) == 5 and "no bundled painting named nope" in problems[-1]


# --------------------------------------------------------------------------- classic sweep


def test_a_classic_sweep_runs_one_job_a_cell_and_keeps_them():
    at = open_app("pages/compare.py", query={
        "view": "sweep", "sweep": "classic", "rows": "1,10000", "cols": "1",
        "sweep_size": "64", "iterations": "3", "seed": "1"})
    assert "0 of 2 cells made" in texts(at.caption)
    at.button(key="compare.sweep_run").click().run()
    assert not at.exception
    jobs = dict(at.session_state["compare.sweep_jobs"])
    assert len(jobs) == 2
    from ui import common

    # cells finish in any order with two or more slots: each is found by its key's settings
    weights = {key: common.engine().get(job_id).task.config.style_weight
               for key, job_id in jobs.items()}
    assert sorted(weights.values()) == [1.0, 10000.0]
    wait_until(at, lambda a: len(a.session_state["compare.sweep_made"]) == 2)
    assert not at.error, texts(at.error)
    by_weight = {weights[key]: m for key, m in at.session_state["compare.sweep_made"].items()}
    made = [by_weight[1.0], by_weight[10000.0]]
    assert [m.size for m in made] == [(64, 43), (64, 43)]
    weak, strong = (compare.decode_png(m.png) for m in made)
    castle = images.load_image(ROOT / "examples" / "castle.jpg")
    assert distance(made[1].png, castle) > distance(made[0].png, castle)  # more style
    assert not np.array_equal(weak, strong)
    assert "2 of 2 cells made" in texts(at.caption)
    assert not [b for b in at.button if b.key == "compare.sweep_run"]  # nothing left to run
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download the sweep (PNG sheet)"]


def test_a_classic_sweep_can_be_cancelled_and_run_again():
    at = open_app("pages/compare.py", query={
        "view": "sweep", "sweep": "classic", "rows": "100", "cols": "0.5,2",
        "sweep_size": "64", "iterations": "500"})
    at.button(key="compare.sweep_run").click().run()
    jobs = dict(at.session_state["compare.sweep_jobs"])
    assert len(jobs) == 2
    at.button(key="compare.sweep_cancel").click().run()
    assert not at.exception
    assert at.session_state["compare.sweep_jobs"] == {}
    from ui import common

    for job_id in jobs.values():
        job = common.engine().get(job_id)
        assert job is None or job.view().cancel_requested or not job.active
    assert "0 of 2 cells made" in texts(at.caption)
    assert at.button(key="compare.sweep_run").label == "Run 2 cells"  # offered again
