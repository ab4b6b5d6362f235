"""The batch's photo uploader: image files and ZIPs of them, in one multi-file uploader.

The files are read (``core.batch.read_uploads``) once per set of uploaded files, not on
every rerun: the result is kept in Session State under the uploader's file ids. Like every
uploader, it is empty again once its page is left; a batch already running keeps its own
copy of each photo (in its job, or in the batch until its job is submitted) and goes on.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import streamlit as st

from core import images
from core.batch import MAX_TOTAL_MB, Uploads, max_photos, read_uploads
from ui import gallery, uploads
from ui.text import plural

UPLOAD = "batch.photos_upload"
READ = "batch.photos_read"  # not a widget: (the uploader's file ids, the Uploads read)
LISTED = 50  # names listed under the uploader
THUMBNAILS = 8  # photos shown as thumbnails (each decoded once, on the script thread)
THUMBNAIL_COLUMNS = 4
THUMBNAIL_SIDE = 160


def photos_uploader() -> Uploads:
    """The uploader, what it holds and every reason it cannot be run as it is."""
    limit = max_photos()
    files = st.file_uploader(
        "Photos, or ZIPs of photos", type=[*uploads.UPLOAD_TYPES, "zip"],
        accept_multiple_files=True, key=UPLOAD,
        help=(f"{images.SUPPORTED_LIST} files, or ZIP files of them (folders inside are fine), "
              f"up to {uploads.limit_mb()} MB a file. They stay in this browser session's "
              "memory and are never saved on the server."))
    files = list(files or [])
    ids = tuple(file.file_id for file in files)
    kept = st.session_state.get(READ)
    if kept is None or kept[0] != ids:
        photos = read_uploads(((file.name, file.getvalue()) for file in files),
                              file_limit_mb=uploads.limit_mb(), limit=limit)
        st.session_state[READ] = kept = (ids, photos)
    photos = kept[1]
    st.caption(f"A batch takes up to {limit} photos ({MAX_TOTAL_MB} MB in all).")
    for problem in photos.problems:
        st.error(problem)
    if photos.skipped:
        shown = ", ".join(photos.skipped[:5]) + (", …" if len(photos.skipped) > 5 else "")
        st.caption(f"Left out, not photos: {shown}")
    if photos.photos:
        _contents(photos)
    return photos


def _contents(photos: Uploads) -> None:
    """The first photos as thumbnails, every name in an expander."""
    shown = [(photo.name, thumbnail) for photo in photos.photos[:THUMBNAILS]
             if (thumbnail := _thumbnail(photo.data)) is not None]
    for column, (name, thumbnail) in gallery.rows(shown, THUMBNAIL_COLUMNS):
        column.image(thumbnail, caption=PurePosixPath(name).name, width="stretch")
    names = [photo.name for photo in photos.photos]
    more = len(names) - LISTED
    with st.expander(f"{plural(len(names), 'photo')} · {photos.megabytes:.1f} MB"):
        st.text("\n".join(names[:LISTED]) + (f"\n… and {more} more" if more > 0 else ""))


@st.cache_data(show_spinner=False, max_entries=4 * THUMBNAILS)
def _thumbnail(data: bytes) -> np.ndarray | None:
    """A small square of a photo; None for a file that does not decode (its job will say
    why, with the rest of the batch)."""
    try:
        return gallery.square(images.decode_image(data).pixels, THUMBNAIL_SIDE)
    except images.ImageError:
        return None
