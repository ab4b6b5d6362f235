"""The session's uploads: every photo and painting a person uploaded, on any page, kept until
they remove it or the session ends.

Streamlit forgets a file uploader's file when its page is left (an uploader cannot keep its
state across pages), so each upload is copied here the moment it arrives (the uploader's
``on_change``), decoded once, and offered from then on by every page's picker. The bytes stay
in this browser session's memory; nothing is written to disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from core import images

PHOTO, PAINTING = "photo", "painting"
_LIBRARY = {PHOTO: "studio.uploads.photos", PAINTING: "studio.uploads.paintings"}  # not widgets
_PROBLEM = "studio.uploads.problem."  # + uploader key: what went wrong with its last file
PREVIEW_SIDE = 720
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in images.UPLOAD_SUFFIXES]


@dataclass(frozen=True)
class Upload:
    """One uploaded picture, decoded."""

    id: str  # "upload-<first 12 hex digits of its sha256>": a widget-key-safe name
    file_name: str
    kind: str  # PHOTO or PAINTING
    pixels: np.ndarray = field(repr=False)
    preview: np.ndarray = field(repr=False)  # at most PREVIEW_SIDE px, for display
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


def remove(kind: str, upload_id: str) -> None:
    st.session_state.get(_LIBRARY[kind], {}).pop(upload_id, None)


@st.cache_data(max_entries=16, show_spinner=False)
def _decode(data: bytes, label: str, max_megabytes: int) -> tuple[images.DecodedImage, np.ndarray]:
    decoded = images.decode_image(data, what=label, max_megabytes=max_megabytes)
    preview = decoded.pixels
    if max(preview.shape[:2]) > PREVIEW_SIDE:
        preview = images.resize_longest(preview, PREVIEW_SIDE)
    return decoded, preview


def add(kind: str, file_name: str, data: bytes) -> Upload:
    """Decode and keep one uploaded file; raises ``images.ImageError`` (one line) if unusable.

    The same bytes uploaded twice are kept once (the newer name wins).
    """
    label = what(kind, file_name)
    # The browser checks the limit too; this covers other clients.
    images.check_file_size(len(data), limit_mb(), what=label, name="the file")
    decoded, preview = _decode(data, label, limit_mb())
    upload_id = "upload-" + hashlib.sha256(data).hexdigest()[:12]
    upload = Upload(upload_id, file_name, kind, decoded.pixels, preview, decoded.notes)
    kept = st.session_state.setdefault(_LIBRARY[kind], {})
    kept.pop(upload_id, None)  # re-inserted: it becomes the newest
    kept[upload_id] = upload
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
        st.error(problem)
    return bool(problems)
