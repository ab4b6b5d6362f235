"""Pictures made to compare results: captioned contact sheets, evolution strips and GIFs.

Pure functions of pixels: arrays (or our own PNG bytes) in, arrays or file bytes out. The
compare page lays results out with them; they run just as well from a Python shell.

A cell is an image fitted into a fixed box with its caption drawn on a white band below,
so that a sheet still says what is what once it leaves the app (a downloaded PNG has no
page around it).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core import images

CELL_WIDTH = 360  # px, one cell of a sheet, padding included
PADDING = 8  # px around each image and under its caption
FONT_SIZE = 16  # px; readable on a 1080 px wide sheet seen at full size
LINE_GAP = 4  # px between caption lines
MAX_ASPECT = 2.0  # a cell's image box is at most this many times as tall as it is wide
SYSTEM_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "Helvetica.ttc")
_ASCII_COUSINS = str.maketrans({"—": "-", "–": "-", "×": "x", "→": "->"})
_BUNDLED_EXTRAS = "·…’“”"  # drawn by Pillow's bundled font besides ASCII
INK = (30, 30, 30)
PAPER = (255, 255, 255)


@dataclass(frozen=True)
class Cell:
    """One picture of a sheet and what to write under it ("\\n" starts a new line)."""

    image: np.ndarray = field(repr=False)  # (H, W, 3) uint8
    caption: str


def digest(pixels: np.ndarray) -> str:
    """Identifies a picture by its pixels: equal photos match whatever their file names."""
    return hashlib.sha256(pixels.tobytes()).hexdigest() + str(pixels.shape)


def decode_png(png: bytes) -> np.ndarray:
    """Our own PNG bytes back to (H, W, 3) uint8 (uploads go through core.images instead)."""
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB")).copy()


def encode_jpeg(pixels: np.ndarray, quality: int = 90) -> bytes:
    """Smaller than PNG for photos: what the browser gets when bytes matter more than pixels."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


@cache
def system_font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont | None:
    """A common system font with accents and dashes at ``size`` px; None where none is."""
    for name in SYSTEM_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return None


@cache
def font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The system font, else Pillow's bundled one (see ``printable``)."""
    return system_font(size) or ImageFont.load_default(size=size)


def printable(text: str) -> str:
    """``text`` as the font in use can draw it.

    Pillow's bundled font (used where no system font is installed) has no dashes, accents
    or ×: they would be drawn as empty boxes, so they become their plain ASCII cousins.
    """
    if system_font() is not None:
        return text
    text = text.translate(_ASCII_COUSINS)
    plain = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in plain if ch.isascii() or ch in _BUNDLED_EXTRAS)


def wrap(text: str, width: int, size: int = FONT_SIZE) -> list[str]:
    """Lines of ``text`` that fit in ``width`` px; a word too long for a line is cut."""
    lines = []
    for paragraph in printable(text).split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font(size).getlength(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = _cut(word, width, size)
        lines.append(line)
    return lines


def _cut(word: str, width: int, size: int) -> str:
    while len(word) > 1 and font(size).getlength(word) > width:
        word = word[:-2] + "…"
    return word


def band_height(lines: int, size: int = FONT_SIZE) -> int:
    """Height of a caption band of ``lines`` lines, padding included."""
    return lines * (size + LINE_GAP) + PADDING


def fit(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """``pixels`` scaled to fit inside width x height and centred on white."""
    box = np.full((height, width, 3), PAPER, np.uint8)
    image_height, image_width = pixels.shape[:2]
    scale = min(width / image_width, height / image_height)
    new_width = max(1, round(image_width * scale))
    new_height = max(1, round(image_height * scale))
    scaled = images.resize_exact(pixels, new_width, new_height)
    top, left = (height - new_height) // 2, (width - new_width) // 2
    box[top:top + new_height, left:left + new_width] = scaled
    return box


def captioned(image: np.ndarray, lines: Sequence[str], band: int,
              size: int = FONT_SIZE) -> np.ndarray:
    """``image`` with a white band of ``band`` px below it and ``lines`` written on it."""
    height, width = image.shape[:2]
    canvas = Image.new("RGB", (width, height + band), PAPER)
    canvas.paste(Image.fromarray(image), (0, 0))
    draw = ImageDraw.Draw(canvas)
    for number, line in enumerate(lines):
        draw.text((0, height + PADDING // 2 + number * (size + LINE_GAP)), line,
                  fill=INK, font=font(size))
    return np.asarray(canvas)


def contact_sheet(cells: Sequence[Cell], columns: int, *, cell_width: int = CELL_WIDTH,
                  font_size: int = FONT_SIZE) -> np.ndarray:
    """The cells in rows of ``columns``, each ``cell_width`` px wide, captions below.

    Every image box has the height of the tallest image (at most ``MAX_ASPECT`` times the
    width) and every band the height of the longest caption, so that rows line up. With
    fewer cells than columns the sheet is only as wide as the cells.
    """
    if not cells:
        raise ValueError("a contact sheet needs at least one cell")
    if columns < 1 or cell_width <= 2 * PADDING:
        raise ValueError(f"need columns >= 1 and cell_width > {2 * PADDING} px "
                         f"(got {columns} and {cell_width})")
    columns = min(columns, len(cells))
    box_width = cell_width - 2 * PADDING
    aspect = min(MAX_ASPECT, max(c.image.shape[0] / c.image.shape[1] for c in cells))
    box_height = max(1, round(box_width * aspect))
    captions = [wrap(cell.caption, box_width, font_size) for cell in cells]
    band = band_height(max(len(lines) for lines in captions), font_size)
    tile_height = PADDING + box_height + band
    rows = -(-len(cells) // columns)
    sheet = np.full((rows * tile_height, columns * cell_width, 3), PAPER, np.uint8)
    for index, (cell, lines) in enumerate(zip(cells, captions, strict=True)):
        tile = captioned(fit(cell.image, box_width, box_height), lines, band, font_size)
        top = (index // columns) * tile_height + PADDING
        left = (index % columns) * cell_width + PADDING
        sheet[top:top + tile.shape[0], left:left + box_width] = tile
    return sheet


def evolution_strip(frames: Sequence[np.ndarray], captions: Sequence[str], *,
                    cell_width: int = 240) -> np.ndarray:
    """The frames of a run side by side in one row, each captioned (iteration, time)."""
    _check_frames(frames, captions)
    cells = [Cell(frame, caption) for frame, caption in zip(frames, captions, strict=True)]
    return contact_sheet(cells, columns=len(cells), cell_width=cell_width,
                         font_size=max(11, cell_width // 18))


def evolution_gif(frames: Sequence[np.ndarray], captions: Sequence[str],
                  seconds_per_frame: float = 0.5, *, longest: int = 480) -> bytes:
    """An animated GIF (looping) of the frames at the last frame's shape, captioned.

    Frames may differ in size (a coarse-to-fine run grows): each is fitted into the last
    one's shape, scaled so that its longer side is at most ``longest`` px.
    """
    _check_frames(frames, captions)
    if not 0.02 <= seconds_per_frame <= 60:
        raise ValueError(f"seconds_per_frame must be from 0.02 to 60 (got {seconds_per_frame})")
    height, width = frames[-1].shape[:2]
    scale = min(1.0, longest / max(height, width))
    width, height = max(1, round(width * scale)), max(1, round(height * scale))
    size = max(11, width // 24)
    lines = [wrap(caption, width, size) for caption in captions]
    band = band_height(max(len(caption_lines) for caption_lines in lines), size)
    pictures = [Image.fromarray(captioned(fit(frame, width, height), frame_lines, band, size))
                for frame, frame_lines in zip(frames, lines, strict=True)]
    buffer = io.BytesIO()
    # GIF durations are in hundredths of a second; Pillow takes milliseconds.
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=round(seconds_per_frame * 1000), loop=0, disposal=1)
    return buffer.getvalue()


def matched_pair(before: np.ndarray, after: np.ndarray, longest: int = 960
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Two pictures at one size (``before``'s shape, at most ``longest`` px), for a slider."""
    height, width = before.shape[:2]
    scale = min(1.0, longest / max(height, width))
    width, height = max(1, round(width * scale)), max(1, round(height * scale))
    return images.resize_exact(before, width, height), images.resize_exact(after, width, height)


def _check_frames(frames: Sequence[np.ndarray], captions: Sequence[str]) -> None:
    if not frames:
        raise ValueError("need at least one frame")
    if len(frames) != len(captions):
        raise ValueError(f"{len(frames)} frames but {len(captions)} captions")


def sweep_sheet(grid: Sequence[Sequence[np.ndarray | None]], row_title: str,
                row_labels: Sequence[str], column_title: str, column_labels: Sequence[str],
                title: str = "", *, cell_width: int = 240,
                font_size: int = FONT_SIZE) -> np.ndarray:
    """A sweep's pictures as a table: ``title`` on top, then ``column_title`` and a label over
    each column, ``row_title`` and a label left of each row; a cell without a picture (not
    made, failed) is a grey box. ``grid[row][column]``; the layout is ``sweep_layout``'s."""
    rows, columns = len(row_labels), len(column_labels)
    if rows < 1 or columns < 1 or len(grid) != rows or any(len(r) != columns for r in grid):
        raise ValueError(f"a sweep sheet needs a grid of {rows} x {columns} cells, at least "
                         "1 x 1, one label per row and column")
    pictures = [cell for row in grid for cell in row if cell is not None]
    layout = sweep_layout(pictures, row_title, row_labels, title, columns, cell_width,
                          font_size)
    label_width, header, box_width, box_height, line = layout
    canvas = Image.new("RGB", (label_width + columns * cell_width,
                               header + rows * (box_height + 2 * PADDING)), PAPER)
    draw = ImageDraw.Draw(canvas)
    text_font = font(font_size)
    top = PADDING
    for text in wrap(title, canvas.width - 2 * PADDING, font_size) if title else ():
        draw.text((PADDING, top), text, fill=INK, font=text_font)
        top += line
    draw.text((PADDING, top), printable(f"rows: {row_title} · columns: {column_title}"), fill=INK,
              font=text_font)
    for index, label in enumerate(column_labels):
        draw.text((label_width + index * cell_width + PADDING, header - line),
                  printable(label), fill=INK, font=text_font)
    for row, label in enumerate(row_labels):
        cell_top = header + row * (box_height + 2 * PADDING) + PADDING
        draw.text((PADDING, cell_top + box_height // 2 - font_size // 2), printable(label),
                  fill=INK, font=text_font)
        for column, picture in enumerate(grid[row]):
            left = label_width + column * cell_width + PADDING
            box = fit(picture, box_width, box_height) if picture is not None else np.full(
                (box_height, box_width, 3), 225, np.uint8)
            canvas.paste(Image.fromarray(box), (left, cell_top))
    return np.asarray(canvas)


def sweep_layout(pictures: Sequence[np.ndarray], row_title: str, row_labels: Sequence[str],
                 title: str, columns: int, cell_width: int, font_size: int = FONT_SIZE
                 ) -> tuple[int, int, int, int, int]:
    """(label column width, header height, image box width and height, line height) of a
    sweep sheet: every box as tall as the tallest picture's shape (at most ``MAX_ASPECT``),
    the header as tall as the title's lines plus the axes' line and the column labels'."""
    box_width = cell_width - 2 * PADDING
    aspect = min(MAX_ASPECT, max((p.shape[0] / p.shape[1] for p in pictures), default=0.75))
    box_height = max(1, round(box_width * aspect))
    text_font = font(font_size)
    longest = max(text_font.getlength(printable(label)) for label in row_labels)
    label_width = round(max(longest, text_font.getlength(printable(row_title)) / 2)) + \
        3 * PADDING
    line = font_size + LINE_GAP
    total_width = label_width + columns * cell_width
    title_lines = len(wrap(title, total_width - 2 * PADDING, font_size)) if title else 0
    header = PADDING + (title_lines + 2) * line + PADDING
    return label_width, header, box_width, box_height, line
