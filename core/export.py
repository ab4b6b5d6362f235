"""Pictures as files for print: PNG or TIFF, 8 or 16 bits per channel, from the float pixels
the optimiser and the fast networks paint (``StylizeResult.float_pixels``,
``FastResult.float_pixels``) or from a finished 8-bit picture.

An 8-bit file rounds the pixels to 256 levels a channel, which a large print's smooth
gradients show as bands (jcjohnson/neural-style#480); a 16-bit file keeps the levels in
between. The scale stays 0..255: a value v becomes round(v * 257), so every 8-bit level lands
exactly on a 16-bit one (255 -> 65535) and an 8-bit picture goes through unchanged.

OpenCV (already a dependency: the video tools use it) writes both formats; Pillow writes no
16-bit RGB. A PNG carries ``text`` (the recipe, ``core.picture_recipe``) as iTXt chunks, at
either depth; a TIFF carries none, as OpenCV writes no text tags.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

from core import images
from core.errors import SettingsError

FORMATS = ("png", "tiff")
BIT_DEPTHS = (8, 16)
SUFFIXES = {".png": "png", ".tif": "tiff", ".tiff": "tiff"}
MIME_TYPES = {"png": "image/png", "tiff": "image/tiff"}
LEVEL_STEP = 257  # 65535 / 255: 8-bit level v is 16-bit level v * 257
STRIP_VALUES = 2**22  # values converted at a time (32 MB of float64)


def to_uint16(pixels: np.ndarray) -> np.ndarray:
    """Pixels on the 0..255 scale (float, or uint8) -> uint16 on 0..65535: round(v * 257),
    clipped; NaN -> 0. uint8 maps exactly (v * 257)."""
    values = np.asarray(pixels)
    if values.dtype == np.uint8:
        return values.astype(np.uint16) * np.uint16(LEVEL_STEP)
    if not np.issubdtype(values.dtype, np.floating):
        raise ValueError(f"expected float pixels on the 0..255 scale or uint8, "
                         f"got {values.dtype}")
    # In float64, where v * 257 is exact (float32 rounds the product, and a level ending in
    # .5 would go either way), a strip of rows at a time: a 6000 x 4000 picture's whole
    # float64 copy would be 576 MB.
    levels = np.empty(values.shape, np.uint16)
    rows = max(1, STRIP_VALUES // max(1, values[0].size))
    for top in range(0, len(values), rows):
        strip = values[top:top + rows].astype(np.float64) * LEVEL_STEP
        np.rint(strip, out=strip)
        np.clip(strip, 0, 65535, out=strip)
        levels[top:top + rows] = np.nan_to_num(strip, copy=False, nan=0.0)
    return levels


def encode_picture(pixels: np.ndarray, fmt: str = "png", bits: int = 8,
                   text: dict[str, str] | None = None) -> bytes:
    """(H, W, 3) RGB pixels (float on 0..255, or uint8) as a ``fmt`` file ("png" or "tiff")
    of ``bits`` (8 or 16) per channel; a PNG carries ``text`` as iTXt chunks."""
    fmt, bits = check_format(fmt, bits)
    values = np.asarray(pixels)
    if values.ndim != 3 or values.shape[2] != 3 or 0 in values.shape:
        raise ValueError(f"expected a non-empty (H, W, 3) RGB array, got shape {values.shape}")
    if fmt == "png" and bits == 8:
        return images.encode_png(images.to_uint8(values), text)  # Pillow, as every 8-bit PNG
    levels = to_uint16(values) if bits == 16 else images.to_uint8(values)
    data = _opencv_encode(levels, fmt)
    return _with_text(data, text) if fmt == "png" and text else data


def check_format(fmt: str, bits: int) -> tuple[str, int]:
    fmt = str(fmt).lower().removeprefix(".")
    fmt = SUFFIXES.get(f".{fmt}", fmt)  # "tif" -> "tiff"
    if fmt not in FORMATS:
        raise SettingsError(f"picture format must be PNG or TIFF (got {fmt!r})")
    if isinstance(bits, bool) or bits not in BIT_DEPTHS:
        raise SettingsError(f"bit depth must be 8 or 16 (got {bits!r})")
    return fmt, int(bits)


def format_of(path: str | os.PathLike, bits: int = 8, what: str = "the output") -> str:
    """The format a path's suffix names ("png" or "tiff"); a one-line SettingsError for any
    other (a JPEG holds 8 bits a channel, and loses detail besides)."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    depth = " for 16 bits per channel" if bits == 16 else ""
    raise SettingsError(f"{what} must name a .png, .tif or .tiff file{depth} (got {path})")


def decode_picture(data: bytes) -> np.ndarray:
    """A PNG or TIFF's (H, W, 3) RGB pixels as stored: uint8 or uint16 (tests, scripts)."""
    import cv2  # loaded only where files are read or written: a fifth of a second

    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None or decoded.ndim != 3 or decoded.shape[2] not in (3, 4):
        raise SettingsError("not an RGB PNG or TIFF")
    return cv2.cvtColor(decoded, cv2.COLOR_BGRA2RGB if decoded.shape[2] == 4
                        else cv2.COLOR_BGR2RGB)


def _opencv_encode(levels: np.ndarray, fmt: str) -> bytes:
    import cv2

    ok, encoded = cv2.imencode(f".{fmt}", cv2.cvtColor(levels, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"OpenCV could not encode a {levels.dtype} {fmt.upper()}")
    return encoded.tobytes()


def _with_text(png: bytes, text: dict[str, str]) -> bytes:
    """``png`` with uncompressed iTXt chunks (UTF-8, as Pillow writes them) before IEND."""
    chunks = b""
    for key, value in text.items():
        body = key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8")
        chunks += (struct.pack(">I", len(body)) + b"iTXt" + body
                   + struct.pack(">I", zlib.crc32(b"iTXt" + body)))
    end = png.rindex(b"IEND") - 4  # the IEND chunk starts with its 4-byte length
    return png[:end] + chunks + png[end:]
