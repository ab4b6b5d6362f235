"""Image input and output at the edge of the program, free of any UI code.

Everything a person can hand us (an upload, a file path) passes through
`decode_image`, which turns it into one predictable shape: an upright
(H, W, 3) uint8 RGB array. Every problem a person can cause or fix (wrong file
type, damaged file, absurd size) becomes an `ImageError` whose text is a
one-line message that starts with what the image was ("content image: ...").
Pillow's own exceptions and warnings never reach the caller for such cases.

The rest of the module holds the small array helpers the pipeline needs
around decoding: size validation, resizing, PNG encoding, float-to-uint8
conversion and colour preservation.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from core.errors import UserError
from core.validate import MIN_SIDE


class ImageError(UserError):
    """A user-facing problem with an input image.

    str(e) is a one-line message a person can act on, starting with what the
    image was ("style image 2: the file is empty").
    """


MAX_ASPECT_RATIO = 10.0  # longest/shortest side
MAX_INPUT_PIXELS = 50_000_000  # checked from the header BEFORE decoding (decompression bombs)
MAX_FILE_MB = 50  # largest input file read at all; the app's upload limit is lower (20 MB)
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")

# Phone cameras write multi-picture JPEGs, which Pillow reports as "MPO";
# they are ordinary JPEGs to a person, so we treat them as such.
_FORMAT_ALIASES = {"MPO": "JPEG"}
SUPPORTED_LIST = "JPEG, PNG, WebP, BMP, TIFF, GIF"  # how messages and upload hints name them
# File names an upload field offers for SUPPORTED_FORMATS (a GIF gives its first frame).
UPLOAD_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
                b"avif", b"avis")
_EXIF_ORIENTATION = ExifTags.Base.Orientation


@dataclass(frozen=True)
class DecodedImage:
    """A decoded input image plus what we had to change to get it into shape."""

    pixels: np.ndarray  # (H, W, 3) uint8 RGB, upright
    notes: tuple[str, ...] = ()  # human notes, e.g. "transparency flattened onto white"
    source_format: str = ""  # PIL format, e.g. "JPEG" (always one of SUPPORTED_FORMATS)


# --------------------------------------------------------------------------- decoding


def decode_image(data: bytes | str | os.PathLike, *, what: str = "image",
                 max_megabytes: float = MAX_FILE_MB) -> DecodedImage:
    """Decode raw bytes or a file into an upright RGB uint8 array, or raise ImageError."""
    raw = _read_bytes(data, what, max_megabytes)
    _refuse_known_unsupported(raw, what)
    notes: list[str] = []
    # Pillow warns about odd but harmless input (bomb size, corrupt EXIF, ...);
    # those warnings are noise to a user, and every real problem is raised below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _open(raw, what) as img:
            source_format = _check_format(img, what)
            _check_pixel_budget(img.size, what)
            _note_extra_frames(img, notes)
            _load(img, what)
            upright = _apply_exif_orientation(img, notes)
            pixels = _to_rgb_array(upright, what, notes)
    _note_png_16_bit_rgb(raw, upright.mode, notes)
    _check_geometry(pixels, what)
    if not pixels.flags.writeable:  # arrays made from PIL images are read-only views
        pixels = pixels.copy()
    return DecodedImage(pixels=pixels, notes=tuple(notes), source_format=source_format)


def load_image(data: bytes | str | os.PathLike, *, what: str = "image") -> np.ndarray:
    """Like decode_image, for callers that only want the pixels."""
    return decode_image(data, what=what).pixels


def _fail(what: str, message: str) -> ImageError:
    return _one_line(f"{what}: {message}")


def _one_line(message: str) -> ImageError:
    # File names and reprs can contain newlines; the promise is a one-line message.
    return ImageError(" ".join(message.split()))


def check_file_size(size_bytes: int, max_megabytes: float, *, what: str,
                    name: str = "the file") -> None:
    """Refuse a file over ``max_megabytes`` MB (2**20 bytes) before anything decodes it."""
    if size_bytes > max_megabytes * 2**20:
        raise _fail(what, f"{name} is {size_bytes / 2**20:.1f} MB; the limit is "
                          f"{max_megabytes:g} MB")


def _read_bytes(data: bytes | str | os.PathLike, what: str, max_megabytes: float) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        check_file_size(len(data), max_megabytes, what=what)
        raw = bytes(data)
    elif isinstance(data, (str, os.PathLike)):
        path = Path(data)
        try:  # a file too large is refused from its size, before reading it into memory
            check_file_size(path.stat().st_size, max_megabytes, what=what, name=path.name)
        except OSError:
            pass  # a missing or unreadable file gets its own message below
        raw = _read_file(path, what)
    else:
        raise TypeError(f"decode_image expects bytes or a path, not {type(data).__name__}")
    if not raw:
        raise _fail(what, "the file is empty")
    return raw


def _read_file(path: Path, what: str) -> bytes:
    # Only the base name goes into messages: full paths leak server layout.
    name = path.name or str(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise _fail(what, f"file not found: {name}") from None
    except IsADirectoryError:
        raise _fail(what, f"{name} is a folder, not an image file") from None
    except PermissionError:
        raise _fail(what, f"permission denied reading {name}") from None
    except OSError as exc:
        raise _fail(what, f"could not read {name} ({exc.strerror or 'read error'})") from None


def _refuse_known_unsupported(raw: bytes, what: str) -> None:
    """Give a precise answer for popular formats Pillow cannot (or should not) open."""
    head = raw[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg")) or (head.startswith(b"<") and b"<svg" in head):
        raise _fail(what, "SVG is a vector format and is not supported; convert it to PNG first")
    if raw[4:8] == b"ftyp" and raw[8:12] in _HEIF_BRANDS:
        kind = "AVIF" if raw[8:12].startswith(b"avi") else "HEIC/HEIF"
        raise _fail(what, f"{kind} images are not supported; convert it to JPEG or PNG first")


def _open(raw: bytes, what: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(raw))
    except UnidentifiedImageError:
        raise _fail(what, f"not an image file we can read (supported: {SUPPORTED_LIST})") from None
    except Image.DecompressionBombError as exc:
        # Pillow refuses before we get to see the size; its message has the pixel count.
        raise _fail(what, _bomb_message(str(exc))) from None
    except Exception:
        # A plugin recognised the format but choked on the header.
        raise _fail(what, "the file is damaged or truncated") from None


def _bomb_message(pillow_message: str) -> str:
    match = re.search(r"\((\d+) pixels\)", pillow_message)
    limit = f"limit {MAX_INPUT_PIXELS // 1_000_000} megapixels"
    if match is None:
        return f"the image is too large ({limit})"
    megapixels = int(match.group(1)) / 1_000_000
    return f"{megapixels:,.0f} megapixels is too large ({limit})"


def _check_format(img: Image.Image, what: str) -> str:
    fmt = _FORMAT_ALIASES.get(img.format or "", img.format or "")
    if fmt not in SUPPORTED_FORMATS:
        raise _fail(
            what, f"{img.format or 'this'} files are not supported (supported: {SUPPORTED_LIST})"
        )
    return fmt


def _check_pixel_budget(size: tuple[int, int], what: str) -> None:
    # The header size is known before decoding; refusing here keeps a tiny
    # file that claims to be gigapixels from exhausting memory.
    width, height = size
    if width * height > MAX_INPUT_PIXELS:
        raise _fail(
            what,
            f"{width} x {height} pixels is too large "
            f"(limit {MAX_INPUT_PIXELS // 1_000_000} megapixels)",
        )


def _note_extra_frames(img: Image.Image, notes: list[str]) -> None:
    try:
        frames = getattr(img, "n_frames", 1)
    except Exception:
        # Counting frames reads the whole file; a damaged tail must not stop
        # us from using a good first frame.
        frames = 1
    if frames <= 1 or img.format == "MPO":  # MPO extras are previews, not frames
        return
    if img.format == "TIFF":
        notes.append(f"multi-page TIFF: using the first of {frames} pages")
    else:
        name = "WebP" if img.format == "WEBP" else img.format
        notes.append(f"animated {name}: using the first of {frames} frames")


def _load(img: Image.Image, what: str) -> None:
    try:
        img.seek(0)
        img.load()
    except Exception:
        # Decoders raise OSError, SyntaxError, ValueError, EOFError, zlib and
        # struct errors for bad data; to the user they all mean the same.
        raise _fail(what, "the file is damaged or truncated") from None


def _apply_exif_orientation(img: Image.Image, notes: list[str]) -> Image.Image:
    try:
        orientation = img.getexif().get(_EXIF_ORIENTATION, 1)
        if orientation not in (2, 3, 4, 5, 6, 7, 8):
            return img
        upright = ImageOps.exif_transpose(img)
    except Exception:
        # Broken EXIF is common (edited photos); the pixels are still fine.
        notes.append("EXIF orientation unreadable: image used as stored")
        return img
    notes.append("rotated upright from EXIF orientation")
    return upright


# --------------------------------------------------------------------------- colour modes


def _to_rgb_array(img: Image.Image, what: str, notes: list[str]) -> np.ndarray:
    mode = img.mode
    if mode.startswith("I;16") or mode == "I":
        return _grey_to_rgb(_integer_grey_to_uint8(np.asarray(img), notes))
    if mode == "F":
        return _grey_to_rgb(_float_grey_to_uint8(np.asarray(img), notes))
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info:
        return _flatten_onto_white(img.convert("RGBA"), notes)
    if mode == "CMYK":
        notes.append("CMYK converted to RGB")
    try:
        return np.asarray(img.convert("RGB"))
    except (ValueError, OSError):
        raise _fail(what, f"colour mode {mode} is not supported") from None


def _integer_grey_to_uint8(values: np.ndarray, notes: list[str]) -> np.ndarray:
    # float32 halves the memory of float64 and is exact enough for 8-bit output.
    values = np.clip(values.astype(np.float32), 0, None)
    peak = float(values.max(initial=0))
    if peak <= 255:
        # Mode "I" also holds plain 8-bit data; rescaling it would brighten it.
        return values.astype(np.uint8)
    notes.append("16-bit image reduced to 8 bits")
    # 65535 / 255 == 257 maps 16-bit white exactly onto 8-bit white; Pillow's
    # own convert() clips instead, which turns most 16-bit images white.
    scale = 257.0 if peak <= 65535 else peak / 255.0
    return to_uint8(values / scale)


def _float_grey_to_uint8(values: np.ndarray, notes: list[str]) -> np.ndarray:
    values = np.nan_to_num(values.astype(np.float32))
    notes.append("32-bit float image reduced to 8 bits")
    if values.max(initial=0) <= 1.0:  # float images are usually 0..1
        values = values * 255.0
    return to_uint8(values)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[:, :, np.newaxis], 3, axis=2)


def _flatten_onto_white(rgba: Image.Image, notes: list[str]) -> np.ndarray:
    lowest_alpha = rgba.getextrema()[3][0]
    if lowest_alpha < 255:
        notes.append("transparency flattened onto white")
        # Style transfer has no notion of alpha; white matches what viewers show.
        # Pillow's compositing is C code, ~10x faster than numpy float math here.
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgba = Image.alpha_composite(white, rgba)
    return np.asarray(rgba.convert("RGB"))


def _note_png_16_bit_rgb(raw: bytes, mode: str, notes: list[str]) -> None:
    # Pillow silently decodes 16-bit colour PNGs to 8-bit RGB(A); the IHDR
    # chunk (always first) tells us the original depth so the user is told.
    is_png = raw.startswith(b"\x89PNG\r\n\x1a\n") and raw[12:16] == b"IHDR"
    if is_png and len(raw) > 24 and raw[24] == 16 and mode in ("RGB", "RGBA"):
        notes.append("16-bit image reduced to 8 bits")


def _check_geometry(pixels: np.ndarray, what: str) -> None:
    height, width = pixels.shape[:2]
    # Aspect first: for a 20000 x 20 strip the shape, not the size, is the problem.
    ratio = max(width, height) / max(1, min(width, height))
    if ratio > MAX_ASPECT_RATIO:
        shown = f"{ratio:.1f}".removesuffix(".0")
        raise _fail(
            what,
            f"{width} x {height} has an aspect ratio of {shown}:1; "
            f"at most {MAX_ASPECT_RATIO:g}:1 is supported",
        )
    if min(width, height) < MIN_SIDE:
        raise _fail(
            what,
            f"{width} x {height} pixels is too small (each side must be at least {MIN_SIDE} px)",
        )


# --------------------------------------------------------------------------- array helpers


def resize_longest(pixels: np.ndarray, longest: int) -> np.ndarray:
    """Scale so the longer side is `longest` px, keeping the aspect ratio (LANCZOS)."""
    _check_rgb_uint8(pixels)
    if longest < 1:
        raise ValueError(f"longest must be at least 1, got {longest}")
    height, width = pixels.shape[:2]
    scale = longest / max(width, height)
    return resize_exact(pixels, max(1, round(width * scale)), max(1, round(height * scale)))


def shrink_to(pixels: np.ndarray, longest: int) -> np.ndarray:
    """``resize_longest`` for pictures larger than ``longest`` px; smaller ones as they are."""
    return pixels if max(pixels.shape[:2]) <= longest else resize_longest(pixels, longest)


def resize_exact(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to exactly width x height px (LANCZOS); the aspect ratio may change."""
    _check_rgb_uint8(pixels)
    if width < 1 or height < 1:
        raise ValueError(f"width and height must be at least 1, got {width} x {height}")
    if pixels.shape[:2] == (height, width):
        return pixels.copy()  # callers may mutate the result; never hand back the input
    resized = Image.fromarray(pixels).resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(resized).copy()


def encode_png(pixels: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """Encode an (H, W, 3) uint8 RGB array as PNG bytes (lossless), with ``text`` as iTXt
    chunks (UTF-8; ``core.picture_recipe`` writes the recipe there)."""
    _check_rgb_uint8(pixels)
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_itxt(key, value)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def save_png(pixels: np.ndarray, path: str | os.PathLike) -> None:
    """Write pixels as a PNG file; the parent directory must already exist."""
    write_atomically(path, encode_png(pixels))


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in ``path``'s folder, then rename: never half a file."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Round and clip values on the 0..255 scale to uint8 (no rescaling; NaN -> 0)."""
    values = np.asarray(pixels)
    if values.dtype == np.uint8:
        return values.copy()
    if np.issubdtype(values.dtype, np.integer):
        return np.clip(values.astype(np.int64), 0, 255).astype(np.uint8)
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)
    # Keeps the input's float width (float32 stays float32) and works in place,
    # so large images need one temporary copy; clip already maps +-inf to 255/0.
    values = np.rint(values)
    np.clip(values, 0, 255, out=values)
    if np.isnan(values).any():
        np.nan_to_num(values, copy=False, nan=0.0)
    return values.astype(np.uint8)


def _check_rgb_uint8(pixels: np.ndarray, *, or_float: bool = False) -> None:
    # These are programmer errors, not user errors, hence ValueError.
    floating = or_float and isinstance(pixels, np.ndarray) and pixels.dtype.kind == "f"
    if not isinstance(pixels, np.ndarray) or (pixels.dtype != np.uint8 and not floating):
        raise ValueError(f"expected a uint8 array, got {getattr(pixels, 'dtype', type(pixels))}")
    if pixels.ndim != 3 or pixels.shape[2] != 3 or 0 in pixels.shape:
        raise ValueError(f"expected a non-empty (H, W, 3) RGB array, got shape {pixels.shape}")


# --------------------------------------------------------------------------- colour


# ITU-R BT.601 full-range ("JPEG") YCbCr; rows give Y, Cb, Cr from R, G, B.
# float32 throughout: a 4096 x 4096 result would need 400 MB per float64 copy.
_RGB_TO_YCBCR = np.array(
    [
        [0.299, 0.587, 0.114],
        [-0.168735892, -0.331264108, 0.5],
        [0.5, -0.418687589, -0.081312411],
    ]
)
_YCBCR_TO_RGB = np.linalg.inv(_RGB_TO_YCBCR).astype(np.float32)
_RGB_TO_YCBCR = _RGB_TO_YCBCR.astype(np.float32)
LUMA = _RGB_TO_YCBCR[0].copy()  # luminance (Y) from R, G, B
_CHROMA_OFFSET = np.array([0.0, 128.0, 128.0], np.float32)


def preserve_colors(content: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """Recolour `stylized` with the colours of `content`, keeping its luminance.

    Luminance-only transfer, post-hoc variant (Gatys et al. 2016, "Preserving
    Color in Neural Artistic Style Transfer"; jcjohnson/neural-style
    -original_colors): Y from the stylized image, Cb and Cr from the content.
    Out-of-gamut results are clipped, so extremes match only approximately. A float
    ``stylized`` (0..255) gives float pixels, clipped but not rounded (16-bit export).
    """
    _check_rgb_uint8(content)
    _check_rgb_uint8(stylized, or_float=True)
    height, width = stylized.shape[:2]
    if content.shape != stylized.shape:
        content = resize_exact(content, width, height)
    ycbcr = _rgb_to_ycbcr(content)
    ycbcr[:, :, 0] = _rgb_to_ycbcr(stylized)[:, :, 0]
    recoloured = _ycbcr_to_rgb(ycbcr)
    if stylized.dtype.kind == "f":
        return np.clip(recoloured, 0, 255, out=recoloured)
    return to_uint8(recoloured)


def _rgb_to_ycbcr(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) @ _RGB_TO_YCBCR.T + _CHROMA_OFFSET


def _ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    return (ycbcr - _CHROMA_OFFSET) @ _YCBCR_TO_RGB.T
