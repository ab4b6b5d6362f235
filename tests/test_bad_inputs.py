"""The bad-input suite: every odd file or setting a stranger can send, through the core API
and through the app, answered by a clear message (never a traceback), the app still serving.

Each image case runs twice: ``core.images.decode_image`` (what the CLI and every page call)
and an upload on the classic page under AppTest, followed by a good upload that must work.
Settings cases run through the core config, the CLI and the compare page's link; model cases
through the registry and the fast page. RELIABILITY.md lists the cases.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core import images
from core.classic import ClassicConfig
from core.fast import registry
from tests.apptest_helpers import ROOT, open_app, texts

# --------------------------------------------------------------------------- the files


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient(width=64, height=48) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    return Image.fromarray(np.stack([x * 4, y * 5, np.full_like(x, 120)], -1).astype(np.uint8))


def png_claiming(width: int, height: int) -> bytes:
    """A 60-byte PNG whose header claims width x height (a decompression bomb's opening)."""
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


def sixteen_bit_png() -> bytes:
    ramp = np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 21
    return encode(Image.fromarray(ramp), "PNG")  # mode I;16


def palette_png_with_transparency() -> bytes:
    img = Image.new("P", (64, 48), 0)
    img.putpalette([200, 30, 30, 0, 0, 255] + [0] * 762)
    img.paste(1, (32, 0, 64, 48))
    return encode(img, "PNG", transparency=1)


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "green", "blue")]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def exif_rotated_jpeg() -> bytes:
    img = gradient(64, 40)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    return encode(img, "JPEG", quality=95, exif=exif)


def heic() -> bytes:
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)


@dataclass(frozen=True)
class ImageCase:
    name: str
    make: Callable[[], bytes]
    says: str  # in the error (refused) or the note (accepted)
    accepted: bool = False
    shape: tuple[int, int, int] | None = None  # of the decoded pixels, when accepted


IMAGE_CASES = [
    ImageCase("empty file", lambda: b"", "the file is empty"),
    ImageCase("text renamed .jpg", lambda: b"Dear diary, today I painted.\n" * 20,
              "not an image file we can read (supported: JPEG, PNG"),
    ImageCase("truncated JPEG", lambda: encode(gradient(), "JPEG")[:300],
              "the file is damaged or truncated"),
    ImageCase("PNG claiming 100000 x 100000 (bomb)", lambda: png_claiming(100_000, 100_000),
              "10,000 megapixels is too large (limit 50 megapixels)"),
    ImageCase("PNG claiming 10000 x 6000", lambda: png_claiming(10_000, 6_000),
              "10000 x 6000 pixels is too large (limit 50 megapixels)"),
    ImageCase("1x1 image", lambda: encode(Image.new("RGB", (1, 1)), "PNG"),
              "1 x 1 pixels is too small (each side must be at least 32 px)"),
    ImageCase("20000x20 image", lambda: encode(Image.new("RGB", (20_000, 20)), "PNG"),
              "20000 x 20 has an aspect ratio of 1000:1; at most 10:1 is supported"),
    ImageCase("SVG", lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
              "SVG is a vector format and is not supported; convert it to PNG first"),
    ImageCase("HEIC", heic, "HEIC/HEIF images are not supported; convert it to JPEG or PNG"),
    ImageCase("ICO (a format Pillow reads, we do not)",
              lambda: encode(Image.new("RGB", (48, 48)), "ICO"), "ICO files are not supported"),
    ImageCase("16-bit PNG", sixteen_bit_png, "16-bit image reduced to 8 bits", True, (48, 64, 3)),
    ImageCase("CMYK JPEG", lambda: encode(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG"),
              "CMYK converted to RGB", True, (48, 64, 3)),
    ImageCase("palette PNG with transparency", palette_png_with_transparency,
              "transparency flattened onto white", True, (48, 64, 3)),
    ImageCase("animated GIF", animated_gif, "animated GIF: using the first of 3 frames", True,
              (48, 64, 3)),
    ImageCase("EXIF-rotated JPEG", exif_rotated_jpeg, "rotated upright from EXIF orientation",
              True, (64, 40, 3)),
    ImageCase("greyscale JPEG", lambda: encode(gradient().convert("L"), "JPEG"), "", True,
              (48, 64, 3)),
]


def over_the_limit() -> bytes:
    return encode(gradient(), "PNG") + bytes(21 * 2**20)


# --------------------------------------------------------------------------- core


@pytest.mark.parametrize("case", IMAGE_CASES, ids=lambda case: case.name)
def test_core_answers_each_file_with_a_message_or_a_note(case):
    if not case.accepted:
        with pytest.raises(images.ImageError) as caught:
            images.decode_image(case.make(), what="content image")
        message = str(caught.value)
        assert message.startswith("content image: ") and "\n" not in message
        assert case.says in message
        return
    decoded = images.decode_image(case.make(), what="content image")
    assert decoded.pixels.shape == case.shape and decoded.pixels.dtype == np.uint8
    if case.says:
        assert case.says in decoded.notes
    else:  # greyscale: three equal channels, nothing to tell
        assert decoded.notes == ()
        assert np.array_equal(decoded.pixels[..., 0], decoded.pixels[..., 2])


def test_core_refuses_a_file_over_the_limit_before_reading_it(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(over_the_limit())
    with pytest.raises(images.ImageError, match=r"^photo: huge.png is 21.0 MB; the limit is 20 MB"):
        images.decode_image(path, what="photo", max_megabytes=20)
    with pytest.raises(images.ImageError, match=r"^photo: the file is 21.0 MB; the limit is 20 MB"):
        images.decode_image(path.read_bytes(), what="photo", max_megabytes=20)


def test_the_exif_rotated_photo_is_upright():
    pixels = images.decode_image(exif_rotated_jpeg()).pixels
    stored = np.asarray(gradient(64, 40))
    # Rotated 90 degrees clockwise: the stored left column becomes the top row.
    np.testing.assert_allclose(pixels[0, ::-1, :].astype(int), stored[:, 0, :].astype(int),
                               atol=12)


# --------------------------------------------------------------------------- the app


@pytest.fixture(scope="module")
def classic_page() -> AppTest:
    return open_app("pages/classic.py")


def upload(at: AppTest, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    at.file_uploader(key="classic.content_upload").set_value((name, data, mime)).run()
    return at


@pytest.mark.parametrize("case", IMAGE_CASES, ids=lambda case: case.name)
def test_the_app_answers_each_file_and_keeps_serving(classic_page, case):
    at = upload(classic_page, "upload.jpg", case.make())
    assert not at.exception, at.exception
    if case.accepted:
        assert not at.error, texts(at.error)
        assert not at.button(key="classic.run").disabled
        if case.says:
            assert f"Photo upload.jpg: {case.says}" in texts(at.info)
    else:
        assert f"Photo upload.jpg: {case.says}" in texts(at.error)
        assert at.button(key="classic.run").disabled
    # Still serving: the next, good photo is accepted as if nothing had happened.
    upload(at, "good.png", encode(gradient(), "PNG"))
    assert not at.exception and not at.error
    assert not at.button(key="classic.run").disabled


def test_the_app_refuses_a_file_over_the_upload_limit(classic_page):
    at = upload(classic_page, "huge.png", over_the_limit())
    assert not at.exception
    assert "Photo huge.png: the file is 21.0 MB; the limit is 20 MB" in texts(at.error)
    assert at.button(key="classic.run").disabled


# --------------------------------------------------------------------------- settings

BAD_SETTINGS = [  # each message ends with its own value: no case passes on another's
    ({"style_weight": float("nan")}, "style_weight must be a finite number, zero or more "
                                     "(got nan)"),
    ({"content_weight": -1.0}, "content_weight must be a finite number, zero or more (got -1.0)"),
    ({"content_weight": 0.0, "style_weight": 0.0},
     "content_weight and style_weight cannot both be zero"),
    ({"iterations": 0}, "iterations must be a whole number from 1 to 100000 (got 0)"),
    ({"iterations": 10**9}, "iterations must be a whole number from 1 to 100000 "
                            "(got 1000000000)"),
    ({"size": 10}, "size must be between 32 and 8192 px (got 10)"),
    ({"size": 100_000}, "size must be between 32 and 8192 px (got 100000)"),
]


@pytest.mark.parametrize("changes, says", BAD_SETTINGS, ids=lambda v: str(v)[:40])
def test_core_refuses_bad_settings_by_name(changes, says):
    with pytest.raises(ValueError) as caught:
        ClassicConfig(**changes)
    assert says in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("changes, says", BAD_SETTINGS, ids=lambda v: str(v)[:40])
def test_a_settings_file_with_bad_values_is_explained_in_the_app(classic_page, changes, says):
    classic_page.file_uploader(key="classic.settings_upload").set_value(None).run()
    assert says not in texts(classic_page.error)  # nothing left from an earlier case
    record = json.dumps({"config": changes}, allow_nan=True).encode()
    classic_page.file_uploader(key="classic.settings_upload").set_value(
        ("settings.json", record, "application/json")).run()
    assert not classic_page.exception
    assert says in texts(classic_page.error)


# --------------------------------------------------------------------------- style networks


def test_a_tampered_or_missing_network_is_refused_and_the_others_still_paint(
        make_bundle, tmp_path, monkeypatch):
    make_bundle(tmp_path)
    manifest = json.loads((tmp_path / "tiny.json").read_text())
    for name in ("tampered", "missing"):
        (tmp_path / f"{name}.json").write_text(json.dumps({**manifest, "display_name": name}))
    weights = (tmp_path / "tiny.weights.h5").read_bytes()
    (tmp_path / "tampered.weights.h5").write_bytes(weights[:-64] + bytes(64))

    with pytest.raises(registry.ModelError, match="damaged or was replaced"):
        registry.verify(registry.find_model("tampered", tmp_path))
    with pytest.raises(registry.ModelError, match="missing"):
        registry.verify(registry.find_model("missing", tmp_path))

    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path))
    at = open_app("pages/fast.py", state={"fast.mode": "trained"})  # not Any painting
    for name in ("tampered", "missing", "tiny"):
        at.checkbox(key=f"fast.pick.{name}").check()
    at.run()
    assert not at.exception, at.exception
    errors = texts(at.error)
    assert "style network tampered: tampered.weights.h5 is damaged or was replaced" in errors
    assert "style network missing: weights file missing.weights.h5 is missing" in errors
    painted = [c for image in at.get("image") for c in image.captions if "painted in" in c]
    assert len(painted) == 1  # the good network still paints


# --------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("case", [c for c in IMAGE_CASES if not c.accepted],
                         ids=lambda case: case.name)
def test_the_cli_refuses_each_bad_file_in_one_line(case, tmp_path, capsys):
    from core import cli

    bad = tmp_path / "photo.jpg"
    bad.write_bytes(case.make())
    code = cli.main(["classic", "--content", str(bad), "--style", str(ROOT / "styles/wave.jpg"),
                     "--out", str(tmp_path / "out.png"), "--iterations", "1", "--size", "40"])
    error = capsys.readouterr().err.strip()
    assert code == 2 and error.startswith("error: ") and "\n" not in error
    assert case.says in error and not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("flags, says", [
    (["--style-weight", "nan"], "style_weight must be a finite number"),
    (["--content-weight", "-1"], "content_weight must be a finite number, zero or more"),
    (["--content-weight", "0", "--style-weight", "0"], "cannot both be zero"),
    (["--iterations", "0"], "iterations must be a whole number from 1 to 100000"),
    (["--iterations", "1000000000"], "iterations must be a whole number from 1 to 100000"),
    (["--size", "0"], "size must be between 32 and 8192 px"),
    (["--size", "99999"], "size must be between 32 and 8192 px"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_the_cli_refuses_bad_settings_in_one_line(flags, says, tmp_path, capsys):
    from core import cli

    code = cli.main(["classic", "--content", str(ROOT / "examples/castle.jpg"),
                     "--style", str(ROOT / "styles/wave.jpg"), "--out", str(tmp_path / "o.png"),
                     "--iterations", "1", "--size", "40", *flags])
    error = capsys.readouterr().err.strip()
    assert code == 2 and error.startswith("error: ") and "\n" not in error
    assert says in error


def test_settings_in_a_link_are_checked_and_bad_ones_named(make_bundle, tmp_path, monkeypatch):
    make_bundle(tmp_path)
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path))
    at = open_app("pages/compare.py", query={"styles": "tiny", "size": "-5",
                                             "strength": "-0.5", "photo": "../../etc/passwd"})
    warning = texts(at.warning)
    assert "size=" in warning and "strength=" in warning and "photo=" in warning
    assert at.slider(key="compare.size").value == 1080
    assert at.slider(key="compare.strength").value == 1.0


@pytest.fixture(scope="module")
def any_painting_page() -> AppTest:
    at = open_app("pages/fast.py")  # opens on Any painting
    at.slider(key="fast.size").set_value(256).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("case", [c for c in IMAGE_CASES if not c.accepted],
                         ids=lambda case: case.name)
def test_a_bad_painting_is_refused_like_a_bad_photo(any_painting_page, case):
    at = any_painting_page
    at.file_uploader(key="fast.any.style_upload").set_value(
        [("painting.jpg", case.make(), "image/jpeg")]).run()
    assert not at.exception, at.exception
    assert f"Painting painting.jpg: {case.says}" in texts(at.error)
    at.file_uploader(key="fast.any.style_upload").set_value([]).run()  # still serving
    assert not at.exception and not at.error
