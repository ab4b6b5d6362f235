"""The sidebar every page shares: which loss network is active and why, and the job queue.

Drawn after the page, and importing ``ui.common`` (and with it TensorFlow) only when drawn:
on a first visit the navigation and the home page show at once, not after the import.
"""

from __future__ import annotations

import streamlit as st


def page_links(pages: list) -> None:
    """The app's navigation: one link per page, the current one highlighted."""
    with st.sidebar:
        for page in pages:
            st.page_link(page)


def draw() -> None:
    from ui import common, warmup  # TensorFlow: the first import takes seconds

    warmup.start()
    common.sidebar()
