"""Choosing the photo and the paintings: bundled pictures or the session's uploads.

Uploads go through ``ui.uploads`` (and so through ``core.images.decode_image``) and nowhere
else: every problem with a file becomes its one-line ``ImageError`` text in the page, nothing
is written to disk, and an upload stays on offer on every page until the session ends.
Paintings are picked by the tick box under each thumbnail; a page's choices are its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from core import images
from ui import catalog, gallery, uploads

# The classic page's keys; other pages' pickers swap "classic" for their own prefix.
PHOTO = "classic.photo"  # selectbox: an uploaded photo's id or an example photo's stem
CONTENT_UPLOAD = "classic.content_upload"
STYLE_UPLOAD = "classic.style_upload"
PICK_PREFIX = "classic.pick."  # + painting stem or upload id: a tick box
PICKS_TOUCHED = "classic.picks_touched"  # not a widget: the person has ticked or unticked
BLEND_PREFIX = "classic.blend."  # + painting stem or upload id: a slider
GRID_COLUMNS = 4
PREVIEW_SIDE = uploads.PREVIEW_SIDE


@dataclass(frozen=True)
class Chosen:
    """A decoded picture and how to name it in captions and in a run's settings."""

    pixels: np.ndarray  # (H, W, 3) uint8
    preview: np.ndarray  # the same, at most PREVIEW_SIDE px, for display
    name: str  # "styles/starry_night.jpg" or "upload: photo.png"
    label: str  # "The Starry Night — Vincent van Gogh, 1889"
    notes: tuple[str, ...] = ()

    @property
    def uploaded(self) -> bool:
        """An upload (it cannot travel in a link), not a bundled picture."""
        return self.name.startswith("upload: ")


@st.cache_data(show_spinner=False)
def _decode_bundled(path: str) -> tuple[np.ndarray, np.ndarray]:
    pixels = images.load_image(path, what=path)
    return pixels, images.shrink_to(pixels, PREVIEW_SIDE)


@st.cache_data(show_spinner=False)
def thumbnail(path: str, side: int = gallery.THUMBNAIL_SIDE) -> np.ndarray:
    return gallery.square(images.load_image(path, what=path), side)


def upload_help(what: str) -> str:
    return (f"{images.SUPPORTED_LIST}, up to {uploads.limit_mb()} MB. {what} stays in this "
            "browser session's memory, on every page, and is never saved on the server.")


def from_bundled(picture: catalog.Picture) -> Chosen:
    pixels, preview = _decode_bundled(str(picture.path))
    name = f"{picture.path.parent.name}/{picture.path.name}"
    return Chosen(pixels, preview, name, picture.label)


def from_upload(upload: uploads.Upload) -> Chosen:
    return Chosen(upload.pixels, upload.preview, upload.name, upload.label, upload.notes)


def page_key(classic_key: str, page: str) -> str:
    return page + classic_key.removeprefix("classic")


PHOTO_PAGES = ("classic", "fast", "compare")  # the pages with a photo picker


def _take_photo(page: str) -> None:
    """The uploader's on_change: keep the new photo and make it the photo of every page (a
    person who uploads a photo means to work on it, wherever they go next)."""
    added = uploads.absorb(page_key(CONTENT_UPLOAD, page), uploads.PHOTO)
    if added:
        for other in {page, *PHOTO_PAGES}:
            st.session_state[page_key(PHOTO, other)] = added[-1].id


def photo_by_id(option: str | None) -> Chosen | None:
    """An example photo (by stem) or an upload (by id), without drawing anything."""
    upload = uploads.find(uploads.PHOTO, option) if option else None
    if upload is not None:
        return from_upload(upload)
    picture = next((p for p in catalog.photos() if p.stem == option), None)
    return None if picture is None else from_bundled(picture)


def content_picker(page: str = "classic") -> Chosen | None:
    """An example photo or one of the session's uploads; None (with a message) if unusable.

    ``page`` prefixes the widget keys, so that each page keeps its own choice; uploads made
    on any page are offered on all of them, and a new upload becomes every page's photo.
    """
    examples = {picture.stem: picture for picture in catalog.photos()}
    uploaded = {upload.id: upload for upload in uploads.library(uploads.PHOTO)}
    options = [*uploaded, *examples]
    key = page_key(PHOTO, page)
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]  # the newest upload, else the default example

    def label(option: str) -> str:
        if option in uploaded:
            return f"Your photo: {uploaded[option].file_name}"
        return examples[option].title

    choice = st.selectbox("Photo", options, key=key, format_func=label,
                          persist_state="session")
    upload_key = page_key(CONTENT_UPLOAD, page)
    st.file_uploader("…or upload your own photo", type=uploads.UPLOAD_TYPES, key=upload_key,
                     on_change=_take_photo, args=(page,), help=upload_help("It"))
    if uploads.show_problems(upload_key):
        return None  # the person meant this file: no silent fall-back to another photo
    chosen = from_upload(uploaded[choice]) if choice in uploaded else (
        from_bundled(examples[choice]))
    for note in chosen.notes:
        st.info(f"{uploads.what(uploads.PHOTO, chosen.label)}: {note}")
    height, width = chosen.pixels.shape[:2]
    st.image(chosen.preview, caption=f"{chosen.label} · {width} × {height} px",
             width="stretch")
    if choice in uploaded:
        uploads.forget_button(uploads.PHOTO, [choice], "Forget this photo",
                              key=f"{page}.forget_photo")
    return chosen


def _take_paintings(page: str) -> None:
    """The uploader's on_change: keep the new paintings and tick them on this page. An upload
    replaces the default painting, unless the person has picked paintings themselves."""
    added = uploads.absorb(page_key(STYLE_UPLOAD, page), uploads.PAINTING)
    if not added:
        return
    prefix = page_key(PICK_PREFIX, page)
    if not st.session_state.get(page_key(PICKS_TOUCHED, page)):
        st.session_state[gallery.pick_key(prefix, catalog.DEFAULT_STYLE)] = False
    for upload in added:
        st.session_state[gallery.pick_key(prefix, upload.id)] = True


def _touched(page: str) -> None:
    st.session_state[page_key(PICKS_TOUCHED, page)] = True


def painting_items() -> list[gallery.Item]:
    """The session's uploaded paintings (newest first), then the bundled ones."""
    items = [gallery.Item(upload.id, upload.thumbnail, upload.file_name, "your upload")
             for upload in uploads.library(uploads.PAINTING)]
    items += [gallery.Item(picture.stem, thumbnail(str(picture.path)), picture.title,
                           picture.byline) for picture in catalog.paintings()]
    return items


def chosen_painting(item_id: str) -> Chosen | None:
    upload = uploads.find(uploads.PAINTING, item_id)
    if upload is not None:
        return from_upload(upload)
    picture = catalog.painting(item_id)
    return None if picture is None else from_bundled(picture)


def style_picker(page: str = "classic", columns: int = GRID_COLUMNS
                 ) -> tuple[list[Chosen], list[float]] | None:
    """Ticked paintings (bundled and uploaded) with blend weights; None if none usable.

    ``page`` prefixes the widget keys, so that each page keeps its own choice.
    """
    upload_key = page_key(STYLE_UPLOAD, page)
    st.file_uploader(
        "Upload paintings", type=uploads.UPLOAD_TYPES, accept_multiple_files=True,
        key=upload_key, on_change=_take_paintings, args=(page,),
        help=upload_help("Each painting") + " Several ticked paintings are blended.",
    )
    refused = uploads.show_problems(upload_key)
    st.caption("Tick a painting to use it; tick several to blend them.")
    picked = gallery.pick_grid(painting_items(), page_key(PICK_PREFIX, page),
                               columns=columns, default=[catalog.DEFAULT_STYLE],
                               on_pick=_touched, on_pick_args=(page,))
    uploaded = [upload.id for upload in uploads.library(uploads.PAINTING)]
    if uploaded:
        uploads.forget_button(uploads.PAINTING, uploaded, "Forget the uploaded paintings",
                              key=f"{page}.forget_paintings")
    chosen = [(item_id, painting) for item_id in picked
              if (painting := chosen_painting(item_id)) is not None]
    if refused:
        return None  # the person meant this file: no silent fall-back to the others
    if not chosen:
        st.warning("Tick at least one painting, or upload one.")
        return None
    for _, painting in chosen:
        for note in painting.notes:
            st.info(f"{uploads.what(uploads.PAINTING, painting.label)}: {note}")
    weights = blend_sliders([(slot, painting.label) for slot, painting in chosen],
                            page_key(BLEND_PREFIX, page))
    if weights is None:
        return None
    return [painting for _, painting in chosen], weights


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
