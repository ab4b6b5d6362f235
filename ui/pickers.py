"""Choosing the photo and the paintings: bundled pictures or uploads, decoded in memory.

Uploads go through ``core.images.decode_image`` and nowhere else: every problem with a
file becomes its one-line ``ImageError`` text in the page, and nothing is written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from core import images
from ui import catalog

UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"]
# The classic page's keys; other pages' pickers swap "classic" for their own prefix.
STYLE_UPLOAD = "classic.style_upload"
STYLES = "classic.styles"  # multiselect of bundled painting stems
BLEND_PREFIX = "classic.blend."  # + painting stem or upload index: a slider
GRID_COLUMNS = 4
THUMBNAIL_SIDE = 240
PREVIEW_SIDE = 720


@dataclass(frozen=True)
class Chosen:
    """A decoded picture and how to name it in captions and in a run's settings."""

    pixels: np.ndarray  # (H, W, 3) uint8
    preview: np.ndarray  # the same, at most PREVIEW_SIDE px, for display
    name: str  # "styles/starry_night.jpg" or "upload: photo.png"
    label: str  # "The Starry Night — Van Gogh, 1889"
    notes: tuple[str, ...] = ()

    @property
    def uploaded(self) -> bool:
        """An upload (it cannot travel in a link), not a bundled picture."""
        return self.name.startswith("upload: ")


def _shrink(pixels: np.ndarray, side: int) -> np.ndarray:
    return pixels if max(pixels.shape[:2]) <= side else images.resize_longest(pixels, side)


@st.cache_data(max_entries=16, show_spinner=False)
def _decode_upload(data: bytes, what: str) -> tuple[images.DecodedImage, np.ndarray]:
    decoded = images.decode_image(data, what=what, max_megabytes=upload_limit_mb())
    return decoded, _shrink(decoded.pixels, PREVIEW_SIDE)


@st.cache_data(show_spinner=False)
def _decode_bundled(path: str) -> tuple[np.ndarray, np.ndarray]:
    pixels = images.load_image(path, what=path)
    return pixels, _shrink(pixels, PREVIEW_SIDE)


@st.cache_data(show_spinner=False)
def thumbnail(path: str, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """A square, centre-cropped thumbnail, so that grids line up."""
    pixels = images.load_image(path, what=path)
    height, width = pixels.shape[:2]
    edge = min(height, width)
    top, left = (height - edge) // 2, (width - edge) // 2
    return images.resize_exact(pixels[top:top + edge, left:left + edge], side, side)


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def _from_upload(upload, what: str) -> Chosen | None:
    """Decode an uploaded file, or show why it cannot be used and return None."""
    data = upload.getvalue()
    try:
        # The browser checks the limit too; this covers other clients.
        images.check_file_size(len(data), upload_limit_mb(), what=what, name=upload.name)
        decoded, preview = _decode_upload(data, what)
    except images.ImageError as error:
        st.error(str(error))
        return None
    for note in decoded.notes:
        st.info(f"{what}: {note}")
    return Chosen(decoded.pixels, preview, f"upload: {upload.name}", upload.name, decoded.notes)


def from_bundled(picture: catalog.Picture) -> Chosen:
    pixels, preview = _decode_bundled(str(picture.path))
    name = f"{picture.path.parent.name}/{picture.path.name}"
    return Chosen(pixels, preview, name, picture.label)


def content_picker(page: str = "classic") -> Chosen | None:
    """An example photo, or the person's own; None (with a message shown) if unusable.

    ``page`` prefixes the widget keys, so that each page keeps its own choice.
    """
    photos = {picture.stem: picture for picture in catalog.photos()}
    stem = st.selectbox("Example photo", list(photos), key=f"{page}.example",
                        format_func=lambda s: photos[s].title, persist_state="session")
    upload = st.file_uploader(
        "…or upload your own photo", type=UPLOAD_TYPES, key=f"{page}.content_upload",
        help=f"JPEG, PNG, WebP, BMP or TIFF, up to {upload_limit_mb()} MB. "
             "It stays in memory and is never saved on the server.",
    )
    chosen = _from_upload(upload, "content image") if upload is not None else (
        from_bundled(photos[stem]))
    if chosen is not None:
        height, width = chosen.pixels.shape[:2]
        st.image(chosen.preview, caption=f"{chosen.label} · {width} × {height} px",
                 width="stretch")
    return chosen


def style_picker(page: str = "classic") -> tuple[list[Chosen], list[float]] | None:
    """Chosen paintings (bundled and uploaded) with blend weights; None if none usable.

    ``page`` prefixes the widget keys, so that each page keeps its own choice.
    """
    styles_key, upload_key = _page_key(STYLES, page), _page_key(STYLE_UPLOAD, page)
    paintings = {picture.stem: picture for picture in catalog.paintings()}
    if styles_key not in st.session_state:
        st.session_state[styles_key] = [catalog.DEFAULT_STYLE]
    picked = st.multiselect(
        "Paintings", list(paintings), key=styles_key, persist_state="session",
        format_func=lambda stem: paintings[stem].label, placeholder="Choose paintings",
        help="Choose several to blend their styles.",
    )
    _thumbnail_grid(list(paintings.values()), set(picked))
    uploads = st.file_uploader(
        "…or upload paintings", type=UPLOAD_TYPES, accept_multiple_files=True, key=upload_key,
        help="Several paintings are blended; set their weights below.",
    )
    chosen = [(stem, from_bundled(paintings[stem])) for stem in picked if stem in paintings]
    for index, upload in enumerate(uploads or [], 1):
        what = "style image" if len(uploads) == 1 else f"style image {index}"
        from_upload = _from_upload(upload, what)
        if from_upload is None:
            return None
        chosen.append((f"upload{index}", from_upload))
    if not chosen:
        st.warning("Choose at least one painting, or upload one.")
        return None
    weights = blend_sliders([(slot, picked.label) for slot, picked in chosen],
                            _page_key(BLEND_PREFIX, page))
    if weights is None:
        return None
    return [picture for _, picture in chosen], weights


def _thumbnail_grid(paintings: list[catalog.Picture], picked: set[str]) -> None:
    """Every bundled painting, the chosen ones ticked."""
    for start in range(0, len(paintings), GRID_COLUMNS):
        row = st.columns(GRID_COLUMNS, gap="small")
        for column, picture in zip(row, paintings[start:start + GRID_COLUMNS], strict=False):
            tick = "✓ " if picture.stem in picked else ""
            column.image(thumbnail(str(picture.path)), caption=f"{tick}{picture.label}",
                         width="stretch")


def _page_key(classic_key: str, page: str) -> str:
    return page + classic_key.removeprefix("classic")


def blend_sliders(items: list[tuple[str, str]], prefix: str,
                  what: str = "painting") -> list[float] | None:
    """One weight slider per (slot, label), keyed ``prefix + slot``, when there are several;
    the weights, or None (with an error shown) when all are zero."""
    if len(items) == 1:
        return [1.0]
    st.markdown(f"**Blend**: how much each {what} counts")
    weights = []
    for slot, label in items:
        key = prefix + slot
        if key not in st.session_state:
            st.session_state[key] = 1.0
        weights.append(st.slider(label, 0.0, 1.0, step=0.05, key=key, persist_state="session"))
    if sum(weights) <= 0:
        st.error(f"Give at least one {what} a weight above zero.")
        return None
    return weights
