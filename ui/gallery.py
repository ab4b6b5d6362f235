"""Grids of pictures: a plain captioned grid, and a grid where each picture is picked by the
tick box under it (paintings, trained networks, the 26 styles all pick this way)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from core import images

THUMBNAIL_SIDE = 240  # px: the squares of every pick grid


@dataclass(frozen=True)
class Item:
    id: str  # stable and widget-key-safe: a painting's stem, "upload-…", "3"
    image: Any  # what st.image takes: pixels, PNG/JPEG bytes or a path
    title: str  # the tick box's label
    caption: str = ""  # a second line under it (artist and year, a time)


def square(pixels: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """A centre-cropped square, so that grids line up."""
    height, width = pixels.shape[:2]
    edge = min(height, width)
    top, left = (height - edge) // 2, (width - edge) // 2
    return images.resize_exact(pixels[top:top + edge, left:left + edge], side, side)


def rows(items: Sequence, columns: int, gap: str = "small") -> Iterable[tuple[Any, Any]]:
    """(column, item) for each item, ``columns`` to a row: the one place grids are laid out."""
    for row in chunks(items, columns):
        yield from zip(st.columns(columns, gap=gap), row, strict=False)


def chunks(items: Sequence, columns: int) -> Iterable[Sequence]:
    """The items a row at a time (for grids that draw each row in two passes)."""
    for start in range(0, len(items), columns):
        yield items[start:start + columns]


def pick_key(prefix: str, item_id: str) -> str:
    return f"{prefix}{item_id}"


def pick_grid(items: Sequence[Item], prefix: str, *, columns: int, default: Sequence[str] = (),
              on_pick: Callable[..., None] | None = None,
              on_pick_args: tuple = ()) -> list[str]:
    """Each picture with a tick box and its title under it (keyed ``prefix + id``); the
    ticked ids in order.

    ``default`` is ticked the first time a picture is shown in this session. Ticks are kept
    across pages; ``on_pick`` runs whenever a person ticks or unticks one.
    """
    for item in items:
        key = pick_key(prefix, item.id)
        if key not in st.session_state:
            st.session_state[key] = item.id in default
    for column, item in rows(items, columns):
        with column:
            st.image(item.image, width="stretch")
            # The tick box's own label is one line, cut short in a narrow column: the title
            # is written out below it instead, where it wraps (and stays the box's name).
            st.checkbox(item.title, key=pick_key(prefix, item.id), persist_state="session",
                        label_visibility="collapsed", on_change=on_pick, args=on_pick_args)
            byline = f" · {item.caption}" if item.caption else ""
            st.caption(f"**{item.title}**{byline}")
    return picked(items, prefix)


def picked(items: Sequence[Item], prefix: str) -> list[str]:
    return [item.id for item in items if st.session_state.get(pick_key(prefix, item.id))]
