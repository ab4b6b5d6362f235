"""Style Studio, the web app: ``streamlit run app.py``.

This file is the router and the frame around every page: page config, navigation over
``pages/`` and the shared sidebar (which loss network is active, and why).

The pages live in ``pages/``. Streamlit also treats that folder as a legacy multipage app
until some session has run ``st.navigation``, so each page calls ``frame.require_frame()``:
a deep link such as ``/classic`` on a fresh server still runs inside this frame. For the
same reason the sidebar's page links are the app's own (``ui.sidebar.page_links``) and
Streamlit's automatic list is switched off: on a first visit it would list the folder.

The links are drawn before anything imports TensorFlow (seconds on a first visit), and the
home page, which needs no network, shows while the sidebar's loss-network line is still
being worked out. (TensorFlow is
imported by ``core``, quietly: ``core/quiet.py``.)
"""

import streamlit as st

from ui import frame, keras_guard, sidebar  # none of these imports TensorFlow

keras_guard.install()  # Streamlit would reset Keras after every rerun, under running jobs
st.set_page_config(page_title="Style Studio", page_icon="🎨", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/classic.py", title="Classic", icon=":material/brush:",
            url_path="classic"),
    st.Page("pages/fast.py", title="Fast", icon=":material/bolt:",
            url_path="fast"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:",
            url_path="compare"),
    st.Page("pages/batch.py", title="Batch", icon=":material/photo_library:",
            url_path="batch"),
    st.Page("pages/video.py", title="Video", icon=":material/movie:",
            url_path="video"),
    st.Page("pages/live.py", title="Live", icon=":material/videocam:",
            url_path="live"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:",
            url_path="train"),
]
page = st.navigation(PAGES)  # its own list is hidden (.streamlit/config.toml)...
sidebar.page_links(PAGES)  # ...these links are the app's navigation, drawn at once
try:
    with frame.frame():
        page.run()
finally:  # also when a page stops early (st.stop) or reruns
    sidebar.draw()  # after the page: its first draw waits for TensorFlow
