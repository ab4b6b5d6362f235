"""Style Studio, the web app: ``streamlit run app.py``.

This file is the router and the frame around every page: page config, navigation over
``pages/`` and the shared sidebar (which loss network is active, and why).

The pages live in ``pages/``. Streamlit also treats that folder as a legacy multipage app
until some session has run ``st.navigation``, so each page calls ``frame.require_frame()``:
a deep link such as ``/classic`` on a fresh server still runs inside this frame.
"""

import streamlit as st

from ui import common, frame, keras_guard

keras_guard.install()  # Streamlit would reset Keras after every rerun, under running jobs
st.set_page_config(page_title="Style Studio", page_icon="🎨", layout="wide")

page = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/classic.py", title="Classic", icon=":material/brush:",
            url_path="classic"),
    st.Page("pages/fast.py", title="Fast", icon=":material/bolt:",
            url_path="fast"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:",
            url_path="compare"),
])
common.sidebar()
with frame.frame():
    page.run()
