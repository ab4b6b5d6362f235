"""The session's uploads: the photos and paintings a person uploaded, on any page, kept until
they forget them, the session ends, or MAX_KEPT newer ones of the same kind arrive.

Streamlit forgets a file uploader's file when its page is left (an uploader cannot keep its
state across pages), so each upload is copied here the moment it arrives (the uploader's
``on_change``), decoded once, and offered from then on by every page's picker. The decoded
pixels stay in this browser session's memory (a 50-megapixel photo takes 150 MB: hence the
cap); nothing is written to disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from core import images
from ui import gallery

PHOTO, PAINTING = "photo", "painting"
_LIBRARY = {PHOTO: "studio.uploads.photos", PAINTING: "studio.uploads.paintings"}  # not widgets
_PROBLEM = "studio.uploads.problem."  # + uploader key: what went wrong with its last file
PREVIEW_SIDE = 720
MAX_KEPT = 6  # per kind; the oldest goes first
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in images.UPLOAD_SUFFIXES]


@dataclass(frozen=True)
class Upload:
    """One uploaded picture, decoded."""

    id: str  # "upload-<first 12 hex digits of its sha256>": a widget-key-safe name
    file_name: str
    kind: str  # PHOTO or PAINTING
    pixels: np.ndarray = field(repr=False)
    preview: np.ndarray = field(repr=False)  # at most PREVIEW_SIDE px, for display
    thumbnail: np.ndarray = field(repr=False)  # a pick grid's square, made once, here
    notes: tuple[str, ...] = ()  # what decoding changed (EXIF rotation, transparency, ...)

    @property
    def name(self) -> str:
        """How a run's settings name it: 'upload: me.png'."""
        return f"upload: {self.file_name}"

    @property
    def label(self) -> str:
        return self.file_name


def what(kind: str, file_name: str) -> str:
    """The start of every message about an upload: 'Photo me.png', 'Painting art.webp'."""
    return f"{kind.capitalize()} {file_name}"


def limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def library(kind: str) -> list[Upload]:
    """This session's uploads of one kind, newest first."""
    return list(st.session_state.get(_LIBRARY[kind], {}).values())[::-1]


def find(kind: str, upload_id: str) -> Upload | None:
    return st.session_state.get(_LIBRARY[kind], {}).get(upload_id)


def forget_button(kind: str, upload_ids: list[str], label: str, key: str) -> None:
    """A small button that drops uploads from the session (every page stops offering them)."""
    def forget() -> None:
        kept = st.session_state.get(_LIBRARY[kind], {})
        for upload_id in upload_ids:
            kept.pop(upload_id, None)

    st.button(label, key=key, icon=":material/delete:", type="tertiary", on_click=forget,
              help=f"Removes the uploaded {kind}s from this session, on every page.")


@st.cache_data(max_entries=16, show_spinner=False)
def _decode(data: bytes, label: str, max_megabytes: int) -> tuple[images.DecodedImage, np.ndarray]:
    decoded = images.decode_image(data, what=label, max_megabytes=max_megabytes)
    return decoded, images.shrink_to(decoded.pixels, PREVIEW_SIDE)


def add(kind: str, file_name: str, data: bytes) -> Upload:
    """Decode and keep one uploaded file; raises ``images.ImageError`` (one line) if unusable.

    The same bytes uploaded twice are kept once (the newer name wins).
    """
    label = what(kind, file_name)
    # The browser checks the limit too; this covers other clients.
    images.check_file_size(len(data), limit_mb(), what=label, name="the file")
    decoded, preview = _decode(data, label, limit_mb())
    upload_id = "upload-" + hashlib.sha256(data).hexdigest()[:12]
    upload = Upload(upload_id, file_name, kind, decoded.pixels, preview,
                    gallery.square(preview), decoded.notes)
    kept = st.session_state.setdefault(_LIBRARY[kind], {})
    kept.pop(upload_id, None)  # re-inserted: it becomes the newest
    kept[upload_id] = upload
    while len(kept) > MAX_KEPT:
        kept.pop(next(iter(kept)))
    return upload


def absorb(uploader_key: str, kind: str) -> list[Upload]:
    """Copy the files now in an uploader into the library (call it from ``on_change``);
    returns those that could be used. What went wrong is kept for ``show_problems``."""
    value = st.session_state.get(uploader_key)
    files = value if isinstance(value, list) else [value] if value is not None else []
    added, problems = [], []
    for file in files:
        try:
            added.append(add(kind, file.name, file.getvalue()))
        except images.ImageError as error:
            problems.append(str(error))
    st.session_state[_PROBLEM + uploader_key] = problems
    return added


def show_problems(uploader_key: str) -> bool:
    """Show why the files now in an uploader cannot be used; True if any cannot.

    Once the uploader is empty again (cleared, or its page left) nothing is shown.
    """
    if not st.session_state.get(uploader_key):
        st.session_state.pop(_PROBLEM + uploader_key, None)
    problems = st.session_state.get(_PROBLEM + uploader_key, [])
    for problem in problems:
        st.error(f"{problem.rstrip('.')}. Remove the file above (×) to choose another.")
    return bool(problems)
