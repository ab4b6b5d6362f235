"""Large pictures painted in tiles (core.fast.tiling): with the whole picture's moments in
every instance normalisation the tiles join into the untiled picture, with no seam."""

import functools
from pathlib import Path

import numpy as np
import pytest

from core import images
from core.errors import SettingsError
from core.fast import arbitrary, tiling
from core.fast.apply import MAX_FAST_SIDE, FastConfig, compiled, paint
from core.fast.registry import find_model, load_transformer

ROOT = Path(__file__).resolve().parents[1]

TILE = 128  # px: small tiles, so that a 400 px photo has a dozen and joins to look at


@functools.cache
def castle(width=400, height=264) -> np.ndarray:
    return images.resize_exact(images.load_image(ROOT / "examples" / "castle.jpg"), width, height)


@functools.cache
def trained(precision="float32"):
    return compiled(load_transformer(find_model("starry_night"), precision))


@functools.cache
def any_painting():
    """The any-painting network and The Starry Night's style vector."""
    vector = arbitrary.style_vector(arbitrary.load_style_predictor(),
                                    images.load_image(ROOT / "styles" / "starry_night.jpg"))
    return compiled(arbitrary.load_arbitrary_transformer("float32")), vector[None]


def network_and_inputs(kind: str):
    """(network, a function giving fresh inputs of the castle, output -> 0..255 levels)."""
    pixels = castle()[None].astype(np.float32)
    if kind == "trained":
        return trained(), lambda: pixels.copy(), lambda out: out
    network, vector = any_painting()
    return network, lambda: [pixels / 255.0, vector], lambda out: out * 255.0


def levels(pixels: np.ndarray) -> np.ndarray:
    return images.to_uint8(np.asarray(pixels)[0]).astype(np.float32)


@pytest.mark.parametrize("kind", ["trained", "arbitrary"])
def test_tiles_with_the_pictures_moments_are_the_untiled_picture(kind):
    network, inputs, to_levels = network_and_inputs(kind)
    untiled = levels(to_levels(np.asarray(network(inputs()))))
    tiled = levels(to_levels(tiling.paint_tiled(network, inputs(), tile=TILE,
                                                statistics_side=None)))
    own = levels(to_levels(tiling.paint_tiled(network, inputs(), tile=TILE, moments="tile")))
    difference, own_difference = np.abs(tiled - untiled), np.abs(own - untiled)
    assert difference.max() <= 1 and difference.mean() < 0.05
    # Each tile's own moments shift its colours (measured: mean 16 levels, max 148 for the
    # trained network; 10 and 117 for the any-painting one): what the test would see if the
    # moments were not the picture's. With them: max 0 and 1, mean 0.00.
    assert own_difference.mean() > 4 and own_difference.max() > 40


def seams(picture: np.ndarray, cuts: list[int], near: int = 8) -> list[bool]:
    """Whether each join between columns ``cut - 1`` and ``cut`` shows: a larger mean
    absolute step than any column pair within ``near`` px of it, or a larger mean signed
    step (one side brighter or in other colours) than 19 in 20 column pairs elsewhere."""
    step = np.diff(picture, axis=1)
    absolute, signed = np.abs(step).mean(axis=(0, 2)), np.abs(step.mean(axis=0)).max(axis=-1)
    usual_offset = np.percentile(np.delete(signed, [cut - 1 for cut in cuts]), 95)
    found = []
    for join in (cut - 1 for cut in cuts):
        around = np.r_[absolute[join - near:join], absolute[join + 1:join + near + 1]]
        found.append(absolute[join] > around.max() or signed[join] > usual_offset)
    return found


def test_no_seam_where_tiles_join():
    network = trained("bfloat16")  # as the app paints: its rounding is what the feather hides
    photo = castle()[None].astype(np.float32)
    cuts = [span.keep_start + tiling.FEATHER // 2
            for span in tiling.spans(photo.shape[2], TILE, tiling.FEATHER,
                                     tiling.tiled_network(network).reach, 4)[1:]]
    assert cuts == [100, 200, 300]
    tiled = levels(tiling.paint_tiled(network, photo.copy(), tile=TILE))
    assert not any(seams(tiled, cuts))
    # The same check sees a tile whose colours are 10 levels off (tiles with their own
    # moments and no feather were 9-15 off with Johnson et al.'s design; this design
    # normalises fewer layers, and its own-moment tiles, off by 11 on average, join where
    # the painting's busy strokes step as much)
    shifted = tiled.copy()
    shifted[:, 200:300] = np.clip(shifted[:, 200:300] + 10, 0, 255)
    assert seams(shifted, cuts) == [False, True, True]


def test_the_receptive_field_bounds_what_one_pixel_changes():
    network = trained()
    tiled = tiling.tiled_network(network)
    radius, alignment = tiling.receptive_field(tiled.network.network)
    assert (radius, alignment) == (54, 4)  # 9x9 edges, two stride-2 3x3, 5 residual blocks
    assert tiled.reach >= radius
    photo = castle()[None].astype(np.float32)
    tiled.set_moments(tiled.measure(photo, [], None))
    poked = photo.copy()
    poked[0, 130, 200] = 255 - poked[0, 130, 200]
    changed = np.abs(np.asarray(tiled.network(poked)) - np.asarray(tiled.network(photo)))
    rows, columns = np.nonzero(changed[0].max(axis=-1) > 1e-3)
    reach = max(np.abs(rows - 130).max(), np.abs(columns - 200).max())
    assert radius - alignment <= reach <= radius + alignment


def test_tiles_cover_the_picture_once_with_weights_adding_up_to_one():
    length, reach = 1000, 58
    found = tiling.spans(length, 256, 32, reach, 4)
    total = np.zeros(length)
    for span in found:
        total[span.keep_start:span.keep_stop] += span.weights
        assert span.read_start % 4 == 0
        assert span.read_start <= max(0, span.keep_start - reach)
        assert span.read_stop >= min(length, span.keep_stop + reach)
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    assert len(found) == 4 and len(tiling.spans(200, 256, 32, reach, 4)) == 1


def test_painting_into_the_input_array_gives_the_same_picture():
    network, inputs, _ = network_and_inputs("trained")
    fresh = tiling.paint_tiled(network, inputs(), tile=64, feather=16)
    given = inputs()
    reused = tiling.paint_tiled(network, given, tile=64, feather=16, reuse_input=True)
    assert reused is given
    np.testing.assert_allclose(reused, fresh, atol=1e-3)


def test_one_pass_up_to_the_threshold_tiles_above_it():
    assert not tiling.needs_tiles(2048, 2048) and not tiling.needs_tiles(1365, 2048)
    assert tiling.needs_tiles(2048, 2049) and tiling.needs_tiles(5120, 7680)
    network = trained()
    assert tiling.network_for(network, (2048, 1365, 3)) is network
    assert tiling.network_for(network, (5120, 7680, 3)).func is tiling.paint_tiled
    assert FastConfig(size=MAX_FAST_SIDE).size == 8192
    assert arbitrary.ArbitraryConfig(size=8192).size == 8192
    with pytest.raises(SettingsError):
        FastConfig(size=8193)


def test_every_fast_painter_tiles_above_the_threshold(monkeypatch):
    """paint, paint_with_vector and paint_with_styles go through the tiles, and paint the
    picture they paint in one pass (the statistics side is larger than the photo)."""
    network, vector = any_painting()
    multistyle = compiled(arbitrary.load_multistyle_transformer("float32"))
    weights = arbitrary.multistyle_weights({3: 1.0})
    config = arbitrary.ArbitraryConfig(size=None, precision="float32")
    painters = [
        lambda: paint(trained(), castle(), FastConfig(size=None, precision="float32")).image,
        lambda: arbitrary.paint_with_vector(None, network, castle(), vector[0], config).image,
        lambda: arbitrary.paint_multistyle(multistyle, castle(), weights, config)]
    one_pass = [painter() for painter in painters]
    calls, tiled = [], tiling.paint_tiled

    def counted(*args, **options):
        calls.append(options)
        return tiled(*args, tile=TILE, **options)

    monkeypatch.setattr(tiling, "UNTILED_MAX_PIXELS", 200 * 200)
    monkeypatch.setattr(tiling, "paint_tiled", counted)
    for painter, expected in zip(painters, one_pass, strict=True):
        difference = np.abs(painter().astype(np.float32) - expected)
        assert difference.max() <= 1 and difference.mean() < 0.05
    assert len(calls) == 3


def test_the_tiled_copy_is_built_once_per_network_and_traced_once():
    network = trained()
    tiled = tiling.tiled_network(network)
    assert tiling.tiled_network(network.network) is tiled
    for width in (300, 400):
        tiling.paint_tiled(network, castle(width)[None].astype(np.float32), tile=TILE)
    assert tiling.tiled_network(network) is tiled
    assert tiled.network.tracing_count == 1 and tiled.statistics.tracing_count == 1
