"""16-bit PNG and TIFF files (``core.export``): exact levels, the float pixels classic and fast
results keep for them, the CLI's ``--bit-depth`` and the pages' 16-bit downloads' encoder."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import cli, export, images, picture_recipe
from core.errors import SettingsError
from core.fast import registry
from core.fast.apply import FastConfig, paint
from core.fast.arbitrary import ArbitraryConfig, paint_with_vector
from core.fast.network import build_transformer
from tests.conftest import TINY, photo
from tests.test_classic import CONTENT, STYLE

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(16)


def fine_gradient(height=128, width=1024) -> np.ndarray:
    """Float pixels that step a quarter of an 8-bit level at a time: what 8 bits lose."""
    ramp = np.linspace(0, 255, width, dtype=np.float32)
    return np.stack([np.broadcast_to(ramp, (height, width)),
                     np.broadcast_to(ramp[::-1], (height, width)),
                     np.full((height, width), 127.3, np.float32)], -1)


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_a_16_bit_file_gives_back_the_exact_levels(fmt):
    pixels = RNG.uniform(-20, 275, (13, 17, 3)).astype(np.float32)
    pixels[0, 0] = (np.nan, np.inf, -np.inf)
    decoded = export.decode_picture(export.encode_picture(pixels, fmt, 16))
    assert decoded.dtype == np.uint16 and decoded.shape == (13, 17, 3)
    expected = np.nan_to_num(np.clip(np.rint(pixels.astype(np.float64) * 257), 0, 65535))
    np.testing.assert_array_equal(decoded, expected.astype(np.uint16))
    assert tuple(decoded[0, 0]) == (0, 65535, 0)  # NaN -> 0, as to_uint8 does


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_8_bit_levels_land_exactly_on_16_bit_ones(fmt):
    levels = np.arange(256, dtype=np.uint8).repeat(3).reshape(16, 16, 3)
    for pixels in (levels, levels.astype(np.float32)):
        decoded = export.decode_picture(export.encode_picture(pixels, fmt, 16))
        np.testing.assert_array_equal(decoded, levels.astype(np.uint16) * 257)
    eight = export.decode_picture(export.encode_picture(levels.astype(np.float32), fmt, 8))
    assert eight.dtype == np.uint8
    np.testing.assert_array_equal(eight, levels)


def test_sub_level_detail_survives_in_16_bits_only():
    pixels = fine_gradient()
    for fmt in export.FORMATS:
        sixteen = export.decode_picture(export.encode_picture(pixels, fmt, 16))
        eight = export.decode_picture(export.encode_picture(pixels, fmt, 8))
        for channel in (0, 1):
            assert len(np.unique(sixteen[..., channel])) > 256
            assert len(np.unique(eight[..., channel])) <= 256
        assert set(np.unique(sixteen[..., 2])) == {round(127.3 * 257)}  # not 127 * 257


def test_a_16_bit_png_carries_the_recipe_and_the_studio_reads_it_back(tmp_path):
    made = picture_recipe.PictureRecipe.of("trained", FastConfig(size=64), style="wave")
    out = tmp_path / "painted.png"
    made.save(fine_gradient(), out, 16)
    assert picture_recipe.read(out).style == "wave"
    assert export.decode_picture(out.read_bytes()).dtype == np.uint16
    assert images.load_image(out).shape == (128, 1024, 3)  # and opens as a photo, in 8 bits
    made.save(fine_gradient(), tmp_path / "painted.tif", 16)  # a TIFF: no recipe, all levels
    assert export.decode_picture((tmp_path / "painted.tif").read_bytes()).dtype == np.uint16


def test_bad_formats_and_depths_are_settings_errors():
    pixels = fine_gradient()
    with pytest.raises(SettingsError, match="PNG or TIFF"):
        export.encode_picture(pixels, "jpeg", 16)
    with pytest.raises(SettingsError, match="8 or 16"):
        export.encode_picture(pixels, "png", 12)
    assert [export.format_of(name) for name in ("a.png", "b.TIF", "c.tiff")] == [
        "png", "tiff", "tiff"]
    with pytest.raises(SettingsError, match=r"\.png, \.tif or \.tiff file for 16 bits"):
        export.format_of("a.jpg", 16)


def test_colours_kept_on_float_pixels_round_like_the_8_bit_way():
    content = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    stylised = RNG.uniform(0, 255, (9, 11, 3)).astype(np.float32)
    kept = images.preserve_colors(content, stylised)
    assert kept.dtype == np.float32 and kept.min() >= 0 and kept.max() <= 255
    rounded_first = images.preserve_colors(content, images.to_uint8(stylised))
    assert np.abs(images.to_uint8(kept).astype(int) - rounded_first).max() <= 1


def test_a_tiny_classic_run_keeps_its_float_pixels():
    from core.classic import ClassicConfig, stylize

    config = ClassicConfig(size=48, iterations=2, snapshot_every=0, backbone="vgg16-hed",
                           preserve_colors=True)
    result = stylize(CONTENT, [STYLE], config)
    pixels = result.float_pixels
    assert pixels.dtype == np.float32 and pixels.shape == result.image.shape
    np.testing.assert_array_equal(images.to_uint8(pixels), result.image)
    assert np.any(pixels != np.rint(pixels))  # levels between the 8-bit ones


@pytest.mark.parametrize("changes", [{}, {"strength": 0.6, "preserve_colors": True}])
def test_a_tiny_fast_paint_keeps_its_float_pixels(changes):
    network = build_transformer(TINY)
    result = paint(network, photo(30, 44), FastConfig(size=None, **changes))
    pixels = result.float_pixels
    assert pixels.dtype == np.float32 and pixels.shape == result.image.shape == (30, 44, 3)
    np.testing.assert_array_equal(images.to_uint8(pixels), result.image)
    assert np.any(pixels != np.rint(pixels))


def test_any_painting_keeps_its_float_pixels():
    def transformer(inputs):  # stands in for Magenta's: any 0..1 picture with fine levels
        return inputs[0] * 0.93 + 0.011

    config = ArbitraryConfig(size=None, preserve_colors=True, dither=0)
    result = paint_with_vector(None, transformer, photo(30, 44), np.zeros(100, np.float32),
                               config)
    np.testing.assert_array_equal(images.to_uint8(result.float_pixels), result.image)
    assert np.any(result.float_pixels != np.rint(result.float_pixels))


def test_the_classic_cli_writes_a_16_bit_tiff(tmp_path):
    source, out = tmp_path / "photo.png", tmp_path / "painted.tif"
    images.save_png(photo(36, 48), source)
    completed = subprocess.run(
        [sys.executable, "-m", "core", "classic", "--content", str(source),
         "--style", str(ROOT / "styles" / "starry_night.jpg"), "--size", "48",
         "--iterations", "2", "--backbone", "vgg16-hed", "--bit-depth", "16",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["bit_depth"] == 16 and summary["output"] == str(out)
    pixels = export.decode_picture(out.read_bytes())
    assert pixels.dtype == np.uint16 and pixels.shape == (36, 48, 3)
    assert np.any(pixels % 257 != 0)  # levels an 8-bit picture has not


def test_the_fast_cli_writes_a_16_bit_png_with_its_recipe(tmp_path, capsys, monkeypatch,
                                                          make_bundle):
    make_bundle(tmp_path)
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path))
    source, out = tmp_path / "photo.png", tmp_path / "painted.png"
    images.save_png(photo(40, 60), source)
    args = ["fast", "--content", str(source), "--style", "tiny", "--size", "60",
            "--precision", "float32", "--out", str(out)]
    assert cli.main([*args, "--bit-depth", "16"]) == 0
    capsys.readouterr()
    sixteen = export.decode_picture(out.read_bytes())
    assert sixteen.dtype == np.uint16 and sixteen.shape == (40, 60, 3)
    assert picture_recipe.read(out).style == "tiny"
    assert cli.main(args) == 0  # 8 bits, as before: the same picture, rounded
    eight = export.decode_picture(out.read_bytes())
    assert eight.dtype == np.uint8
    assert np.abs(sixteen / 257 - eight).max() <= 0.51  # 0.5 from 8 bits, 0.5/257 from 16


@pytest.mark.parametrize("command", ["classic", "fast"])
def test_a_jpeg_with_16_bits_is_refused_in_one_line(command, tmp_path, capsys):
    source = tmp_path / "photo.png"
    images.save_png(photo(40, 60), source)
    style = ["--style", str(ROOT / "styles" / "wave.jpg")] if command == "classic" else [
        "--style", "wave"]
    out = tmp_path / "painted.jpg"
    code = cli.main([command, "--content", str(source), *style, "--size", "40",
                     "--bit-depth", "16", "--out", str(out)])
    error = capsys.readouterr().err.strip()
    assert code == cli.USER_ERROR and "\n" not in error
    assert error == (f"error: --out must name a .png, .tif or .tiff file for 16 bits per "
                     f"channel (got {out})")


def test_the_pages_16_bit_downloads_encode_what_they_are_given():
    from ui import export as export_ui

    pixels = fine_gradient()
    made = picture_recipe.PictureRecipe.of("trained", FastConfig(size=64), style="wave")
    calls = []
    source = export_ui.Source(lambda: calls.append(1) or pixels, made)
    assert calls == []  # nothing is painted or encoded until a button is clicked
    png = export_ui._encoded(source, "png")
    np.testing.assert_array_equal(export.decode_picture(png), export.to_uint16(pixels))
    assert picture_recipe.read(png).style == "wave"
    tiff = export_ui._encoded(dataclasses.replace(source, made=None), "tiff")
    np.testing.assert_array_equal(export.decode_picture(tiff), export.to_uint16(pixels))
    assert calls == [1, 1]
