"""Fast page: one pass of a trained network per painting, cached, with downloads.

Widgets become a ``core.fast.apply.FastConfig``; ``ui.fast_results`` paints (cached per
photo, style and settings) and lays out the results.
"""

import streamlit as st

from core.fast.apply import MAX_FAST_SIDE, FastConfig
from ui import fast_results, frame, pickers

frame.require_frame()  # a deep link on a fresh server runs this file alone

st.title("Fast style transfer")
st.caption(
    "Johnson, Alahi & Fei-Fei (2016): a network trained for one painting paints any photo in "
    "a single pass, in about a second instead of minutes. Each painting below has its own "
    "network, trained by this studio on its own loss network."
)

try:
    models = fast_results.available_models()
except ValueError as error:  # a damaged manifest
    st.error(str(error))
    st.stop()
if not models:
    st.warning("No style networks are installed. Train one with `python -m core train-fast` "
               "(see below) or use the classic page.")

photo_col, style_col = st.columns(2, gap="large")
with photo_col:
    st.subheader("1 · Photo")
    content = pickers.content_picker("fast")
with style_col:
    st.subheader("2 · Paintings")
    chosen = fast_results.style_picker(models)

st.subheader("3 · Settings")
size_col, strength_col, colour_col = st.columns([2, 2, 1.5], vertical_alignment="bottom")
size = size_col.slider("Output size (longest side, px)", 256, MAX_FAST_SIDE,
                       FastConfig.size, step=8, key=fast_results.SIZE, persist_state="session")
strength = strength_col.slider("Strength", 0.0, 1.0, FastConfig.strength, step=0.05,
                               key=fast_results.STRENGTH, persist_state="session",
                               help="0 keeps the photo, 1 is the network's full painting.")
keep_colours = colour_col.toggle("Keep the photo's colours", key=fast_results.PRESERVE_COLORS,
                                 persist_state="session")
config = FastConfig(size=size, strength=strength, preserve_colors=keep_colours)

if content is not None and chosen:
    fast_results.show(content, chosen, config)
elif content is not None and models:
    st.info("Choose at least one painting.")

with st.expander("Train a network for your own painting"):
    st.markdown(fast_results.TRAINING_HELP)
