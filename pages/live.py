"""Live page: the camera painted as it films, in the browser, by any fast method.

``ui.live.stream`` wires streamlit-webrtc's player to the session's ``core.live.LivePainter``;
the pickers and settings are the batch page's (``ui.batch.choices``, fast methods, no size:
the painter sizes frames to hold its frame rate). A change of painting, strength or colours
reruns this script, which hands the painter the new recipe: the stream goes on.
``ui.live.panel`` shows the frame rate, the size, problems and snapshots.
"""

import streamlit as st

from core.batch import Uploads
from ui import frame, shelf
from ui.batch import choices
from ui.live import panel
from ui.live import stream as live_stream

frame.require_frame()  # a deep link on a fresh server runs this file alone

MODE = "live.mode"
SIDE_BY_SIDE = "live.side_by_side"
# the painting column is two fifths of the page: four pictures a row broke "Composition"
NARROW_GRID_COLUMNS = 3

st.title("Live")
st.caption(
    "Your camera, painted as it films. Press **START** and allow the camera; change the "
    "painting, strength or colours while it runs. The picture is painted small to keep it "
    "moving; **Snapshot** paints the current frame at full size."
)

method = choices.method_picker(choices.FAST_METHODS, key=MODE)
models = choices.trained_models() if method == "trained" else []
unusable = choices.networks_problem(method)

stream_col, painting_col = st.columns([3, 2], gap="large")
player = stream_col.container()  # filled last: it needs the recipe the widgets below make
with stream_col:
    config = choices.settings_panel(method, sized=False)
    side_by_side = st.toggle("Camera beside painting", key=SIDE_BY_SIDE,
                             persist_state="session",
                             help="Shows the camera's picture left of the painting.")
with painting_col:
    st.subheader("Painting")
    choice = choices.painting_picker(method, models, columns=NARROW_GRID_COLUMNS)
if method == "multistyle" and unusable is None:
    choice = choices.styles_gallery(Uploads())  # shown on an example photo

recipe, problem = choices.chosen_recipe(method, choice, config)
if unusable is not None:
    recipe, problem = None, "This method cannot be used on this server."
painter = live_stream.painter()
painter.recipe = recipe
painter.side_by_side = side_by_side
stem = shelf.download_stem("live", choice.names if choice else (), method)

with player:
    context = live_stream.stream(painter)
    if not context.state.playing:
        painter.restart()  # the next START measures afresh
    panel.camera_note()
    panel.status(painter, context.state.playing, problem, stem)
