"""Video page: a clip painted frame by frame by one of the fast methods, kept steady along the
optical flow (``core.video``), with its sound.

The clip comes from ``ui.video.clip`` (probed at once: its facts or its one-line error, and a
painted first frame as a preview), the method's pickers and settings from
``ui.batch.choices`` (the batch page's, fast methods only), and ``ui.video.run`` paints it on
a thread of its own that outlives reruns and page switches; ``ui.video.panel`` follows it.
"""

import streamlit as st

from core.batch import Uploads
from ui import frame, shelf
from ui.batch import choices
from ui.video import clip as video_clip
from ui.video import panel

frame.require_frame()  # a deep link on a fresh server runs this file alone

st.title("Video")
st.caption(
    "A short clip painted frame by frame by a fast method, with its sound. Consistency keeps "
    "the painting from flickering between frames. Preview the first frame, then paint the "
    "video and download the MP4."
)

method = choices.method_picker(choices.FAST_METHODS, key=panel.MODE)
models = choices.trained_models() if method == "trained" else []
unusable = choices.networks_problem(method)

clip_col, painting_col = st.columns(2, gap="large")
with clip_col:
    st.subheader("1 · Clip")
    clip = video_clip.clip_uploader()
with painting_col:
    st.subheader("2 · Painting")
    choice = choices.painting_picker(method, models)
if method == "multistyle" and unusable is None:
    choice = choices.styles_gallery(Uploads())  # shown on an example photo
st.subheader("3 · Settings")
config = panel.fit_to_clip(choices.settings_panel(method), clip)
consistency, beside = panel.options()

recipe, problem = choices.chosen_recipe(method, choice, config)
if unusable is not None:
    problem = "This method cannot be used on this server."
if recipe is not None and clip is not None and not clip.error:
    video_clip.preview(clip, recipe if problem is None else None)
label, stem = ("", "")
if recipe is not None:
    label = choices.describe(method, choice, config)[0]
    stem = shelf.download_stem(clip.name.rsplit(".", 1)[0] if clip else "video",
                               choice.names, method)
panel.controls(clip, recipe, problem, consistency, beside, label, stem)
panel.run_panel()
