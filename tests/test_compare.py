"""core.compare (sheets, strips, GIFs) and the compare page's link parsing, on tiny images."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core import compare
from core.compare import PADDING, Cell, band_height, contact_sheet, evolution_gif, evolution_strip
from ui.compare import link as compare_link
from ui.compare.link import Choices


def flat(height, width, value):
    return np.full((height, width, 3), value, np.uint8)


def test_a_sheet_is_columns_cells_wide_and_rows_tiles_tall():
    cells = [Cell(flat(30, 40, 0), f"style {i}") for i in range(5)]
    sheet = contact_sheet(cells, columns=3, cell_width=120)
    box_width = 120 - 2 * PADDING
    box_height = round(box_width * 30 / 40)
    tile_height = PADDING + box_height + band_height(1)
    assert sheet.shape == (2 * tile_height, 3 * 120, 3)
    # the sixth place of the second row stays blank
    assert (sheet[tile_height:, 2 * 120:] == 255).all()


def test_fewer_cells_than_columns_make_a_narrower_sheet():
    sheet = contact_sheet([Cell(flat(20, 20, 0), "a"), Cell(flat(20, 20, 0), "b")], columns=4,
                          cell_width=100)
    assert sheet.shape[1] == 200


def test_captions_are_dark_text_on_a_white_band_under_each_image():
    sheet = contact_sheet([Cell(flat(40, 40, 0), "The Starry Night\nfast · 0.42 s")],
                          columns=1, cell_width=200)
    box = 200 - 2 * PADDING
    image = sheet[PADDING:PADDING + box, PADDING:PADDING + box]
    band = sheet[PADDING + box:, PADDING:PADDING + box]
    assert (image == 0).all()  # the black picture fills its box
    assert band.shape[0] == band_height(2)
    assert (band > 200).mean() > 0.8  # mostly white paper
    assert (band < 100).sum() > 100  # with enough ink for two lines of letters
    assert (band[: band.shape[0] // 2] < 100).any() and (band[band.shape[0] // 2:] < 100).any()


def test_an_image_of_another_shape_is_fitted_on_white_without_stretching():
    sheet = contact_sheet([Cell(flat(20, 40, 0), "wide"), Cell(flat(40, 20, 0), "tall")],
                          columns=2, cell_width=100)
    box = 100 - 2 * PADDING  # the tall one sets the box: 84 x 168
    wide = sheet[PADDING:PADDING + 2 * box, PADDING:PADDING + box]
    assert (wide[:, :, 0] == 0).sum() == pytest.approx(box * box / 2, rel=0.05)


def test_a_long_caption_wraps_and_a_too_long_word_is_cut():
    lines = compare.wrap("a_file_name_far_too_long_for_any_cell_" * 3 + " fast", 120)
    assert len(lines) == 2 and lines[0].endswith("…") and lines[1] == "fast"
    assert all(compare.font().getlength(line) <= 120 for line in lines)


def test_bad_sheet_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="at least one cell"):
        contact_sheet([], columns=2)
    with pytest.raises(ValueError, match="columns >= 1"):
        contact_sheet([Cell(flat(8, 8, 0), "x")], columns=0)


def test_the_gif_has_one_frame_per_snapshot_with_the_chosen_duration():
    frames = [flat(40, 60, value) for value in (0, 120, 250)]
    data = evolution_gif(frames, ["iteration 0", "iteration 10", "iteration 20"], 0.25)
    gif = Image.open(io.BytesIO(data))
    assert gif.format == "GIF" and gif.n_frames == 3 and gif.info["loop"] == 0
    durations = []
    for index in range(gif.n_frames):
        gif.seek(index)
        durations.append(gif.info["duration"])
    assert durations == [250, 250, 250]
    assert gif.size[0] == 60 and gif.size[1] > 40  # the frame plus its caption band


def test_gif_frames_of_growing_size_take_the_last_frames_shape_capped():
    frames = [flat(100, 150, 0), flat(400, 600, 200)]
    gif = Image.open(io.BytesIO(evolution_gif(frames, ["coarse", "fine"], longest=300)))
    assert gif.n_frames == 2 and gif.size[0] == 300


def test_gif_arguments_are_checked():
    with pytest.raises(ValueError, match="2 frames but 1 captions"):
        evolution_gif([flat(8, 8, 0)] * 2, ["x"])
    with pytest.raises(ValueError, match="seconds_per_frame"):
        evolution_gif([flat(8, 8, 0)], ["x"], 0)


def test_the_strip_is_one_row_of_captioned_frames():
    strip = evolution_strip([flat(30, 40, 0)] * 4, [f"iteration {i}" for i in range(4)],
                            cell_width=100)
    assert strip.shape[1] == 400
    assert strip.shape[0] < 150  # one row


def test_a_slider_pair_has_one_shape_no_larger_than_asked():
    before, after = compare.matched_pair(flat(500, 1000, 0), flat(300, 300, 9), longest=200)
    assert before.shape == after.shape == (100, 200, 3)


def test_pixels_round_trip_through_png_and_digest_tells_photos_apart():
    pixels = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    from core.images import encode_png

    assert np.array_equal(compare.decode_png(encode_png(pixels)), pixels)
    assert compare.digest(pixels) == compare.digest(pixels.copy())
    assert compare.digest(pixels) != compare.digest(pixels[::-1])


def test_without_a_system_font_captions_fall_back_to_ascii(monkeypatch):
    monkeypatch.setattr(compare, "system_font", lambda size=16: None)
    assert compare.printable("Wave — Hokusai, 1080 × 720, Éa") == "Wave - Hokusai, 1080 x 720, Ea"


CHOICES = Choices(sections=("grid", "versus"), photos=("castle", "lemurs"),
                  styles=("starry_night", "wave"), paintings=("starry_night", "wave"))


def test_a_good_link_sets_every_widget():
    values, problems = compare_link.parse(
        {"view": "versus", "photo": "lemurs", "styles": "wave,starry_night", "size": "512",
         "strength": "0.8", "colours": "1", "painting": "wave", "embed": "true"}, CHOICES)
    assert problems == []
    assert values == {
        compare_link.SECTION: "versus", compare_link.PHOTO: "lemurs",
        compare_link.STYLES: ["wave", "starry_night"], compare_link.PAINTING: "wave",
        compare_link.SIZE: 512, compare_link.STRENGTH: 0.8, compare_link.COLOURS: True,
    }


@pytest.mark.parametrize(("params", "kept", "problem"), [
    ({"styles": "wave,nope"}, {compare_link.STYLES: ["wave"]}, "no fast style named nope"),
    ({"styles": "nope"}, {}, "no fast style named nope"),
    ({"size": "99999"}, {}, "from 256 to 2048"),
    ({"size": "big"}, {}, "whole number"),
    ({"strength": "nan"}, {}, "from 0 to 1"),
    ({"strength": "-0.5"}, {}, "from 0 to 1"),
    ({"colours": "maybe"}, {}, "1 or 0"),
    ({"view": "<script>"}, {}, "no view of that name"),
    ({"photo": "../../etc/passwd"}, {}, "no example photo"),
])
def test_a_bad_link_value_is_ignored_with_a_note(params, kept, problem):
    values, problems = compare_link.parse(params, CHOICES)
    assert values == kept
    assert len(problems) == 1 and problem in problems[0]


@pytest.mark.parametrize(("name", "raw", "problem"), [
    ("classic", "size:99999", "size must be between"),
    ("classic", "layers:1", "no classic setting called 'layers'"),
    ("classic", "iterations:many", "iterations cannot be 'many'"),
    ("paintings", "wave:2", "the weight of wave must be from 0 to 1"),
    ("paintings", "nope:1", "no bundled painting named nope"),
])
def test_a_bad_classic_recipe_or_painting_mix_in_a_link_is_named(name, raw, problem):
    values, problems = compare_link.parse({name: raw}, CHOICES)
    assert values == {} and len(problems) == 1 and problem in problems[0]


def test_link_numbers_snap_to_the_sliders_steps_and_encode_round_trips():
    values, _ = compare_link.parse({"size": "517", "strength": "0.33", "styles": ""}, CHOICES)
    assert values == {compare_link.SIZE: 520, compare_link.STRENGTH: 0.35,
                      compare_link.STYLES: []}
    state = {compare_link.SECTION: "grid", compare_link.PHOTO: "castle",
             compare_link.STYLES: ["wave"], compare_link.PAINTING: "wave",
             compare_link.SIZE: 512, compare_link.STRENGTH: 1.0, compare_link.COLOURS: False}
    query = compare_link.encode(state)
    # Only what the grid shows: the versus view's painting stays out of a grid's link.
    assert compare_link.query_string(query) == (
        "view=grid&photo=castle&styles=wave&size=512&strength=1&colours=0")
    shown = {key: value for key, value in state.items() if key != compare_link.PAINTING}
    assert compare_link.parse(query, CHOICES) == (shown, [])
    assert "photo" not in compare_link.encode(state, with_photo=False)
