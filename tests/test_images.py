"""Tests for core.images: every fixture is generated here, in memory or in tmp_path."""

from __future__ import annotations

import io
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, features

from core.errors import SettingsError
from core.images import (
    SUPPORTED_FORMATS,
    DecodedImage,
    ImageError,
    decode_image,
    encode_png,
    load_image,
    preserve_colors,
    resize_exact,
    resize_longest,
    save_png,
    to_uint8,
)
from core.validate import MAX_OUTPUT_SIDE, MIN_SIDE, validate_size

WHAT = "content image"
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


# --------------------------------------------------------------------------- helpers


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def solid(color, size=(64, 48), mode="RGB") -> Image.Image:
    return Image.new(mode, size, color)


def noise(height=64, width=64, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def handmade_png(width, height, bit_depth, color_type, rows: bytes = b"") -> bytes:
    """A PNG built chunk by chunk, so headers can say things Pillow would never write."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def png_rows(samples: np.ndarray) -> bytes:
    """Scanlines with filter type 0 for a big-endian (H, W[, C]) sample array."""
    return b"".join(b"\x00" + row.tobytes() for row in samples)


def expect_error(data, *key_words, what=WHAT) -> str:
    """Decode `data`, insist on a one-line ImageError naming `what`, return the message."""
    with pytest.raises(ImageError) as caught:
        decode_image(data, what=what)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"{what}: ")
    for word in key_words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    return message


def near(pixel, expected, tolerance=3) -> bool:
    return bool(np.all(np.abs(np.asarray(pixel, int) - np.asarray(expected, int)) <= tolerance))


def bt601_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """Reference BT.601 full-range conversion, written out independently of core.images."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return np.stack([y, cb, cr], axis=-1)


# --------------------------------------------------------------------------- refusals


def test_empty_bytes():
    expect_error(b"", "the file is empty")


def test_text_named_jpg_is_not_an_image(tmp_path):
    path = tmp_path / "holiday.jpg"
    path.write_bytes(b"hello")
    message = expect_error(path, "not an image file we can read", "JPEG, PNG, WebP")
    assert message.endswith("(supported: JPEG, PNG, WebP, BMP, TIFF, GIF)")
    expect_error(b"hello", "not an image file")


def test_truncated_jpeg_is_damaged():
    data = encode(Image.fromarray(noise(200, 200)), "JPEG", quality=95)
    expect_error(data[: len(data) // 2], "damaged or truncated")


def test_truncated_png_is_damaged():
    data = encode(Image.fromarray(noise(200, 200)), "PNG")
    expect_error(data[: len(data) // 2], "damaged or truncated")


def test_svg_is_refused_with_advice():
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    expect_error(svg, "SVG", "vector format", "not supported", "PNG")
    expect_error(b"  <svg width='10'/>", "SVG")


@pytest.mark.parametrize("brand, name", [(b"heic", "HEIC"), (b"mif1", "HEIC"), (b"avif", "AVIF")])
def test_heif_family_is_refused_with_advice(brand, name):
    data = b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 64
    expect_error(data, name, "not supported", "JPEG or PNG")


def test_format_pillow_reads_but_we_do_not_is_named():
    data = encode(solid(RED), "PPM")
    expect_error(data, "PPM", "not supported", "JPEG, PNG")


def test_missing_file_names_only_the_base_name(tmp_path):
    message = expect_error(tmp_path / "nope.jpg", "file not found: nope.jpg")
    assert str(tmp_path) not in message
    expect_error(str(tmp_path / "odd\nname.png"), "file not found")


def test_folder_instead_of_file(tmp_path):
    expect_error(tmp_path, "folder")


def test_bad_argument_type_is_a_programmer_error():
    with pytest.raises(TypeError):
        decode_image(12345)


# --------------------------------------------------------------------------- sizes from the header


def test_enormous_png_header_is_refused_fast():
    data = handmade_png(100_000, 100_000, 8, 2)
    start = time.perf_counter()
    message = expect_error(data, "too large", "limit 50 megapixels")
    assert time.perf_counter() - start < 1.0
    assert "10,000 megapixels" in message


@pytest.mark.parametrize("width, height", [(10_000, 6_000), (10_000, 10_000)])
def test_oversized_header_reports_dimensions_without_warnings(width, height):
    # 60 MP is under Pillow's own limit; 100 MP is where Pillow only warns.
    data = handmade_png(width, height, 8, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any leaked warning fails the test
        start = time.perf_counter()
        expect_error(data, f"{width} x {height} pixels is too large", "50 megapixels")
        assert time.perf_counter() - start < 1.0


def test_one_pixel_image_is_too_small():
    expect_error(encode(solid(RED, (1, 1)), "PNG"), "1 x 1 pixels is too small", "at least 32 px")


def test_extreme_aspect_ratio():
    data = encode(solid(RED, (20_000, 20)), "PNG")
    expect_error(data, "20000 x 20 has an aspect ratio of 1000:1", "at most 10:1")
    expect_error(encode(solid(RED, (32, 337)), "PNG"), "aspect ratio of 10.5:1")


def test_small_side_within_ratio_is_too_small():
    expect_error(encode(solid(RED, (200, 31)), "PNG"), "200 x 31 pixels is too small")


def test_smallest_accepted_image_and_limit_ratio():
    assert decode_image(encode(solid(RED, (MIN_SIDE, MIN_SIDE)), "PNG")).pixels.shape == (32, 32, 3)
    assert decode_image(encode(solid(RED, (320, 32)), "PNG")).pixels.shape == (32, 320, 3)


# --------------------------------------------------------------------------- formats and modes


def test_encode_png_decode_roundtrip_is_exact():
    pixels = noise(40, 70)
    decoded = decode_image(encode_png(pixels))
    assert isinstance(decoded, DecodedImage)
    assert decoded.source_format == "PNG"
    assert decoded.notes == ()
    assert decoded.pixels.dtype == np.uint8
    np.testing.assert_array_equal(decoded.pixels, pixels)
    decoded.pixels[0, 0] = 0  # callers get an array they may modify


def test_load_image_and_path_inputs(tmp_path):
    pixels = noise(40, 50)
    path = tmp_path / "out.png"
    save_png(pixels, path)
    np.testing.assert_array_equal(load_image(path), pixels)
    np.testing.assert_array_equal(load_image(str(path)), pixels)
    np.testing.assert_array_equal(load_image(bytearray(path.read_bytes())), pixels)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temporary file left


def test_save_png_needs_existing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        save_png(noise(), tmp_path / "missing" / "out.png")


@pytest.mark.parametrize(
    "fmt, options",
    [
        ("BMP", {}),
        ("TIFF", {}),
        ("GIF", {}),
        pytest.param(
            "WEBP",
            {"lossless": True},
            marks=pytest.mark.skipif(
                not features.check("webp"), reason="Pillow built without WebP"
            ),
        ),
    ],
)
def test_lossless_roundtrips(fmt, options):
    # Few colours, so the GIF palette holds them all exactly.
    pixels = np.zeros((48, 64, 3), np.uint8)
    pixels[:, :32] = RED
    pixels[::2, 32:] = (10, 200, 30)
    decoded = decode_image(encode(Image.fromarray(pixels), fmt, **options))
    assert decoded.source_format == fmt
    assert fmt in SUPPORTED_FORMATS
    np.testing.assert_array_equal(decoded.pixels, pixels)


def test_jpeg_roundtrip_is_close():
    decoded = decode_image(encode(solid((200, 100, 50)), "JPEG", quality=95))
    assert decoded.source_format == "JPEG"
    assert near(decoded.pixels.mean(axis=(0, 1)), (200, 100, 50))


def test_multi_picture_jpeg_counts_as_jpeg():
    frames = [solid(RED), solid(BLUE)]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    decoded = decode_image(data)
    assert decoded.source_format == "JPEG"
    assert decoded.notes == ()
    assert near(decoded.pixels[10, 10], RED, 8)


def test_16_bit_greyscale_png_is_scaled_not_clipped():
    gradient = np.tile(np.linspace(0, 65535, 256).round().astype(np.uint16), (64, 1))
    img = Image.fromarray(gradient)
    assert img.mode == "I;16"
    decoded = decode_image(encode(img, "PNG"))
    assert decoded.pixels.shape == (64, 256, 3)
    assert abs(decoded.pixels.mean() - 127.5) < 1.0  # Pillow's convert() gives ~254
    np.testing.assert_allclose(decoded.pixels[0, :, 0], gradient[0] / 257, atol=1)
    assert "16-bit image reduced to 8 bits" in decoded.notes


def test_16_bit_greyscale_tiff():
    data = encode(Image.fromarray(np.full((40, 40), 32896, np.uint16)), "TIFF")
    decoded = decode_image(data)
    assert np.all(decoded.pixels == 128)
    assert "16-bit image reduced to 8 bits" in decoded.notes


def test_16_bit_big_endian_greyscale_handmade_png():
    samples = np.full((40, 40), 0xC000, dtype=">u2")
    decoded = decode_image(handmade_png(40, 40, 16, 0, png_rows(samples)))
    assert np.all(decoded.pixels == round(0xC000 / 257))


def test_16_bit_rgb_png():
    # Pillow cannot write 16-bit colour PNGs, so build one by hand.
    samples = np.empty((40, 40, 3), dtype=">u2")
    samples[...] = (0xFFFF, 0x8080, 0x0101)
    decoded = decode_image(handmade_png(40, 40, 16, 2, png_rows(samples)))
    assert near(decoded.pixels[5, 5], (255, 128, 1), 1)
    assert "16-bit image reduced to 8 bits" in decoded.notes


def test_32_bit_integer_tiff_with_8_bit_values_is_kept():
    data = encode(Image.fromarray(np.full((40, 40), 200, np.int32)), "TIFF")
    assert np.all(decode_image(data).pixels == 200)


def test_float_tiff_in_unit_range_is_scaled():
    data = encode(Image.fromarray(np.full((40, 40), 0.5, np.float32)), "TIFF")
    assert np.all(decode_image(data).pixels == 128)


def test_cmyk_jpeg_comes_back_red():
    decoded = decode_image(encode(solid((0, 255, 255, 0), mode="CMYK"), "JPEG", quality=95))
    red, green, blue = decoded.pixels.mean(axis=(0, 1))
    assert red > 200 and green < 60 and blue < 60
    assert "CMYK converted to RGB" in decoded.notes


def test_palette_png_transparency_becomes_white():
    img = Image.new("P", (64, 64), 0)
    img.putpalette(list(RED) + list(BLUE) + [0] * 762)
    img.paste(1, (32, 0, 64, 64))  # right half uses the transparent blue entry
    decoded = decode_image(encode(img, "PNG", transparency=1))
    assert tuple(decoded.pixels[10, 5]) == RED
    assert tuple(decoded.pixels[10, 50]) == WHITE
    assert "transparency flattened onto white" in decoded.notes


def test_rgba_is_composited_onto_white():
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[:, :32] = (0, 0, 0, 128)
    rgba[:, 32:] = (0, 255, 0, 255)
    decoded = decode_image(encode(Image.fromarray(rgba), "PNG"))
    assert near(decoded.pixels[0, 0], (127, 127, 127), 1)
    assert tuple(decoded.pixels[0, 40]) == GREEN
    assert "transparency flattened onto white" in decoded.notes


def test_opaque_rgba_has_no_transparency_note():
    decoded = decode_image(encode(solid((1, 2, 3, 255), mode="RGBA"), "PNG"))
    assert decoded.notes == ()
    assert tuple(decoded.pixels[0, 0]) == (1, 2, 3)


def test_la_is_composited_onto_white():
    la = np.zeros((48, 64, 2), np.uint8)
    la[:, 32:] = (100, 255)
    decoded = decode_image(encode(Image.fromarray(la, mode="LA"), "PNG"))
    assert tuple(decoded.pixels[0, 0]) == WHITE
    assert tuple(decoded.pixels[0, 40]) == (100, 100, 100)
    assert "transparency flattened onto white" in decoded.notes


def test_animated_gif_uses_first_frame():
    frames = [solid(c) for c in (RED, GREEN, BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    decoded = decode_image(data)
    assert tuple(decoded.pixels[20, 20]) == RED
    assert "animated GIF: using the first of 3 frames" in decoded.notes


@pytest.mark.parametrize(
    "fmt, name",
    [
        ("PNG", "PNG"),
        pytest.param(
            "WEBP",
            "WebP",
            marks=pytest.mark.skipif(
                not features.check("webp"), reason="Pillow built without WebP"
            ),
        ),
    ],
)
def test_other_animations_use_first_frame(fmt, name):
    frames = [solid(c) for c in (BLUE, RED)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True)
    decoded = decode_image(data)
    assert tuple(decoded.pixels[20, 20]) == BLUE
    assert f"animated {name}: using the first of 2 frames" in decoded.notes


def test_multi_page_tiff_uses_first_page():
    pages = [solid(c) for c in (GREEN, BLUE)]
    decoded = decode_image(encode(pages[0], "TIFF", save_all=True, append_images=pages[1:]))
    assert tuple(decoded.pixels[0, 0]) == GREEN
    assert "multi-page TIFF: using the first of 2 pages" in decoded.notes


def test_exif_orientation_is_applied():
    stored = np.zeros((32, 64, 3), np.uint8)  # 64 wide, 32 high, as stored
    stored[:, :32] = RED
    stored[:, 32:] = BLUE
    img = Image.fromarray(stored)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    decoded = decode_image(encode(img, "JPEG", quality=95, exif=exif))
    assert decoded.pixels.shape == (64, 32, 3)
    assert near(decoded.pixels[5, 16], RED, 10)  # the left half is now on top
    assert near(decoded.pixels[60, 16], BLUE, 10)
    assert "rotated upright from EXIF orientation" in decoded.notes


TIFF_HEAD = b"Exif\x00\x00II*\x00\x08\x00\x00\x00"


@pytest.mark.parametrize(
    "exif",
    [
        b"Exif\x00\x00II*\x00\xff\xff\xff\x7fgarbage",  # IFD offset far past the end
        TIFF_HEAD + b"\x05\x00\x12\x01",  # IFD cut off mid-entry; Pillow warns
        TIFF_HEAD + b"\x01\x00\x12\x01\x03\x00\xff\xff\xff\x0f" + b"\x00" * 8,  # absurd count
        TIFF_HEAD + b"\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x63" + b"\x00" * 7,  # orientation 99
    ],
)
def test_broken_exif_does_not_stop_decoding(exif):
    data = encode(solid(RED), "JPEG", exif=exif)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's "Corrupt EXIF data" warnings must not leak
        decoded = decode_image(data)
    assert decoded.pixels.shape == (48, 64, 3)
    assert decoded.notes == ()


def test_orientation_failure_keeps_image_as_stored(monkeypatch):
    def explode(image, **kwargs):
        raise SyntaxError("bad EXIF")

    monkeypatch.setattr("PIL.ImageOps.exif_transpose", explode)
    img = solid(RED)
    exif = img.getexif()
    exif[0x0112] = 6
    decoded = decode_image(encode(img, "PNG", exif=exif))
    assert decoded.pixels.shape == (48, 64, 3)
    assert decoded.notes == ("EXIF orientation unreadable: image used as stored",)


def test_greyscale_jpeg_has_three_equal_channels():
    grey = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (48, 1))
    decoded = decode_image(encode(Image.fromarray(grey), "JPEG", quality=95))
    assert decoded.pixels.shape == (48, 64, 3)
    assert np.array_equal(decoded.pixels[..., 0], decoded.pixels[..., 1])
    assert np.array_equal(decoded.pixels[..., 0], decoded.pixels[..., 2])


def test_one_bit_image():
    decoded = decode_image(encode(Image.new("1", (40, 40), 1), "PNG"))
    assert np.all(decoded.pixels == 255)


# --------------------------------------------------------------------------- validate_size


@pytest.mark.parametrize("size", [512, 512.0, np.int64(512), "512", MIN_SIDE, MAX_OUTPUT_SIDE])
def test_validate_size_accepts_whole_numbers(size):
    result = validate_size(size)
    assert result == int(float(size))
    assert type(result) is int


@pytest.mark.parametrize("size", [31, 8193, 0, -512])
def test_validate_size_range(size):
    with pytest.raises(SettingsError, match=r"^size must be between 32 and 8192 px") as caught:
        validate_size(size)
    assert f"(got {size})" in str(caught.value)


@pytest.mark.parametrize("size", [512.5, "abc", float("nan"), float("inf"), True, None])
def test_validate_size_rejects_non_whole_numbers(size):
    with pytest.raises(SettingsError) as caught:
        validate_size(size, what="output size")
    message = str(caught.value)
    assert message.startswith("output size must be a whole number of pixels (got ")
    assert "\n" not in message


def test_validate_size_custom_limit():
    assert validate_size(1000, max_side=1000) == 1000
    with pytest.raises(SettingsError, match="between 32 and 1000 px"):
        validate_size(1001, max_side=1000)


# --------------------------------------------------------------------------- array helpers


def test_resize_longest_keeps_aspect():
    resized = resize_longest(noise(200, 300), 150)
    assert resized.shape == (100, 150, 3)
    assert resized.dtype == np.uint8
    assert resize_longest(noise(300, 200), 600).shape == (600, 400, 3)  # upscaling too


def test_resize_longest_keeps_every_side_at_least_one_pixel():
    assert resize_longest(noise(10, 1000), 50).shape == (1, 50, 3)


def test_resize_of_solid_colour_keeps_colour():
    pixels = np.full((90, 120, 3), (10, 120, 240), np.uint8)
    assert np.all(resize_longest(pixels, 37) == (10, 120, 240))


def test_resize_exact_and_same_size_copy():
    pixels = noise(40, 60)
    assert resize_exact(pixels, 25, 70).shape == (70, 25, 3)
    same = resize_exact(pixels, 60, 40)
    np.testing.assert_array_equal(same, pixels)
    assert same is not pixels and not np.shares_memory(same, pixels)


def test_helpers_reject_wrong_arrays():
    with pytest.raises(ValueError, match="uint8"):
        resize_longest(noise().astype(np.float32), 10)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        encode_png(np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError):
        resize_longest(noise(), 0)


def test_to_uint8_rounds_and_clips():
    values = np.array([-5.0, 0.4, 0.6, 127.49, 127.51, 254.6, 300.0, np.nan, np.inf, -np.inf])
    expected = [0, 0, 1, 127, 128, 255, 255, 0, 255, 0]
    result = to_uint8(values)
    assert result.dtype == np.uint8
    assert result.tolist() == expected
    assert to_uint8(np.array([[-3, 70, 999]], np.int32)).tolist() == [[0, 70, 255]]


# --------------------------------------------------------------------------- preserve_colors


def in_gamut_pair(seed=1):
    """Low-saturation content and mid-tone stylized images, so no channel clips."""
    rng = np.random.default_rng(seed)
    content = rng.integers(100, 156, (48, 64, 3), dtype=np.uint8)
    stylized = rng.integers(70, 186, (48, 64, 3), dtype=np.uint8)
    return content, stylized


def test_preserve_colors_takes_luminance_from_stylized_and_chroma_from_content():
    content, stylized = in_gamut_pair()
    result = preserve_colors(content, stylized)
    assert result.shape == stylized.shape and result.dtype == np.uint8
    result_ycc, content_ycc, stylized_ycc = map(bt601_ycbcr, (result, content, stylized))
    assert np.abs(result_ycc[..., 0] - stylized_ycc[..., 0]).max() <= 2
    assert np.abs(result_ycc[..., 1:] - content_ycc[..., 1:]).max() <= 2


def test_preserve_colors_of_an_image_with_itself_is_identity():
    pixels = noise(40, 40, seed=3)
    assert np.abs(preserve_colors(pixels, pixels).astype(int) - pixels).max() <= 1


def test_preserve_colors_resizes_content_to_stylized():
    content = np.full((100, 150, 3), (200, 60, 60), np.uint8)  # reddish
    stylized = np.full((40, 50, 3), 120, np.uint8)  # neutral grey
    result = preserve_colors(content, stylized)
    assert result.shape == (40, 50, 3)
    red, green, blue = result.mean(axis=(0, 1))
    assert red > green + 50 and red > blue + 50
    assert abs(bt601_ycbcr(result)[..., 0].mean() - 120) <= 2


def test_preserve_colors_clips_out_of_gamut_instead_of_wrapping():
    content = np.full((32, 32, 3), RED, np.uint8)
    stylized = np.full((32, 32, 3), 250, np.uint8)
    result = preserve_colors(content, stylized)
    assert np.all(result[..., 0] == 255)  # a bright red, not a dark wrapped value
