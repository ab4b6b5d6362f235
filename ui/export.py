"""The 16-bit downloads beside a result's PNG: "PNG, 16-bit" and "TIFF, 16-bit"
(``core.export``), for prints, where 8-bit levels show as bands in smooth gradients.

Made only when clicked: ``st.download_button`` takes a callable for its data and runs it then,
on a thread of its own, so a rerun of the page encodes nothing (a 2048 px 16-bit PNG takes
most of a second, and holds 17 MB). The pixels come from a callable too: the classic page
hands over the current result's float pixels, the fast page (whose cache keeps only the
8-bit PNG) paints the same picture again, unrounded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core import export
from core.picture_recipe import PictureRecipe

FORMATS = (("png", "PNG, 16-bit", "png"), ("tiff", "TIFF, 16-bit", "tif"))  # format, label, suffix
HELP = "16 bits per channel: the levels between the PNG's 256 kept, for print"


@dataclass(frozen=True)
class Source:
    """Where a result's 16-bit files come from: ``pixels()``, its float pixels (0..255) when
    a button is clicked, and ``made``, the recipe a PNG carries."""

    pixels: Callable[[], np.ndarray]
    made: PictureRecipe | None = None


def buttons(columns, source: Source, stem: str, key: str, **style) -> None:
    """The two 16-bit downloads, one in each of ``columns``."""
    for column, (fmt, label, suffix) in zip(columns, FORMATS, strict=True):
        column.download_button(
            label, functools.partial(_encoded, source, fmt),
            file_name=f"{stem}-16bit.{suffix}", mime=export.MIME_TYPES[fmt],
            key=f"{key}.{fmt}16", on_click="ignore", icon=":material/download:", help=HELP,
            **style)


def _encoded(source: Source, fmt: str) -> bytes:
    if source.made is None:
        return export.encode_picture(source.pixels(), fmt, 16)
    return source.made.encoded(source.pixels(), fmt, 16)
