"""Compare page (coming with its issue): classic against fast, side by side."""

import streamlit as st

from ui import frame

frame.require_frame()  # a deep link on a fresh server runs this file alone

st.title("Compare")
st.info(
    "**Coming soon.** Put results next to each other: a grid of photos × paintings, classic "
    "against fast on the same inputs, a before/after slider, the evolution strip of a "
    "classic run, and links to share a comparison.",
    icon=":material/schedule:",
)
st.page_link("pages/classic.py", label="Meanwhile, try the classic method",
             icon=":material/brush:")
