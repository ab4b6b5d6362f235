"""Batch page: many photos painted the same way (one method, one painting, one set of
settings), each photo a job on the server's engine.

Photos come from ``ui.batch.inputs`` (image files and ZIPs, read in memory), the method's
pickers and settings from ``ui.batch.choices`` (the fast and classic pages' own widgets);
Run makes one ``core.batch.PaintTask`` per photo, and ``ui.batch.panel`` follows them
(``ui.batch.run`` keeps the batch in Session State, so it outlives reruns and page switches,
and submits its photos a window at a time).
"""

import streamlit as st

from core.classic import ClassicConfig
from ui import common, frame
from ui.batch import choices, inputs, panel

frame.require_frame()  # a deep link on a fresh server runs this file alone

st.title("Batch")
st.caption(
    "Many photos painted the same way: one method, one painting, the same settings. Upload "
    "photos or ZIPs of them, press Run, and the pictures appear as they are painted; "
    "download them all as one ZIP."
)
engine = common.engine_or_stop()

method = choices.method_picker()
models = choices.trained_models() if method == "trained" else []
unusable = choices.networks_problem(method)

photo_col, painting_col = st.columns(2, gap="large")
with photo_col:
    st.subheader("1 · Photos")
    photos = inputs.photos_uploader()
with painting_col:
    st.subheader("2 · Painting")
    choice = choices.painting_picker(method, models)
if method == "multistyle" and unusable is None:
    choice = choices.styles_gallery(photos)
st.subheader("3 · Settings")
config = choices.settings_panel(method)

recipe, problem = choices.recipe(method, photos, choice, config)
if unusable is not None:
    problem = "This method cannot be used on this server."
label, stem = choices.describe(method, choice, config) if recipe else ("", "")
estimate = (panel.classic_estimate(engine, config, len(photos.photos))
            if recipe and isinstance(config, ClassicConfig) else None)
panel.controls(engine, photos, recipe, problem, label, stem, estimate)
panel.batch_panel(engine)
