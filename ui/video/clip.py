"""The clip: its uploader, what the header says about it (or its one-line error), and the
first frame painted as a preview.

The uploader keeps the file's bytes (in this browser session's memory, like every upload);
each probe, preview and run writes them to a temporary file of its own for just as long as
``core.video`` reads it (``ui.video.scratch``). The probe runs once per uploaded file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from core import images
from core.batch import BatchRecipe
from core.batch.painting import paint
from core.errors import UserError
from core.video import VideoInfo, max_video_seconds, max_video_side, probe, read_frames, scratch
from ui import uploads

UPLOAD = "video.clip_upload"
PROBED = "video.probed"  # not a widget: the Clip of the uploader's current file
PREVIEW = "video.preview"  # not a widget: (file id, recipe key, first frame, painted)
TYPES = ["mp4", "mov", "webm", "mkv"]
SHOWN_SIDE = 720  # px: the preview pictures


@dataclass(frozen=True)
class Clip:
    """An uploaded clip: its bytes and its header facts, or why it cannot be painted."""

    file_id: str
    name: str
    data: bytes = field(repr=False)
    info: VideoInfo | None = None
    error: str | None = None


def limits_line() -> str:
    return (f"MP4, MOV, WebM or MKV, up to {uploads.limit_mb()} MB, {max_video_seconds()} s "
            f"and {max_video_side()} px on the longest side.")


def clip_uploader() -> Clip | None:
    """The uploader, and the clip in it probed (once per file); None while it is empty."""
    file = st.file_uploader("Clip", type=TYPES, key=UPLOAD, help=(
        "Kept in this browser session's memory; written to a temporary file only while it "
        "is read, and deleted at once."))
    st.caption(limits_line() + " Painted by the fast methods, frame by frame, with the sound.")
    if file is None:
        st.session_state.pop(PROBED, None)
        return None
    kept = st.session_state.get(PROBED)
    if kept is None or kept.file_id != file.file_id:
        kept = st.session_state[PROBED] = probed(file.file_id, file.name, file.getvalue())
    if kept.error:
        st.error(f"{kept.error.rstrip('.')}. Remove the file above (×) to choose another.")
    else:
        st.caption(facts(kept.info))
    return kept


def probed(file_id: str, name: str, data: bytes) -> Clip:
    try:
        images.check_file_size(len(data), uploads.limit_mb(), what=f"Clip {name}",
                               name="the file")
        with scratch.staged(data, name) as path:
            return Clip(file_id, name, data, probe(path))
    except UserError as error:
        return Clip(file_id, name, data, None, str(error))


def facts(info: VideoInfo) -> str:
    """'64 × 48 px · 12 frames at 24 fps · 0.5 s · h264 · sound (aac)'."""
    sound = f"sound ({info.audio_codec})" if info.has_audio else "no sound"
    fps = f"{info.fps:.2f}".rstrip("0").rstrip(".")
    return (f"{info.width} × {info.height} px · {info.frame_count} frames at {fps} fps"
            f" · {info.duration:.1f} s · {info.codec} · {sound}")


def first_frame(clip: Clip) -> np.ndarray:
    with scratch.staged(clip.data, clip.name) as path:
        return next(iter(read_frames(path, clip.info))).rgb


def preview(clip: Clip, recipe: BatchRecipe | None) -> None:
    """'Preview first frame': the first frame and the same frame painted, side by side."""
    if st.button("Preview first frame", key="video.preview_button", icon=":material/preview:",
                 disabled=recipe is None, help="Paints only the first frame, to check the "
                 "look before painting every frame."):
        with st.spinner("Painting the first frame…"):
            try:
                frame = first_frame(clip)
                painted, _ = paint(recipe, frame)
                st.session_state[PREVIEW] = (clip.file_id, recipe.key(), frame, painted)
            except UserError as error:
                st.error(str(error))
    kept = st.session_state.get(PREVIEW)
    if kept is None or kept[0] != clip.file_id:
        return
    original_col, painted_col = st.columns(2)
    original_col.image(images.shrink_to(kept[2], SHOWN_SIDE), caption="First frame",
                       width="stretch")
    stale = "" if recipe is not None and recipe.key() == kept[1] else " (earlier settings)"
    painted_col.image(images.shrink_to(kept[3], SHOWN_SIDE), width="stretch",
                      caption=f"Painted{stale}")
