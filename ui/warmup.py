"""Start-up work off the script thread, once per server process: the loss-network choice and
the fast page's default networks loaded and traced, so that a person's first fast picture
costs one network pass, not loading and tracing (seconds on a CPU)."""

from __future__ import annotations

import logging
import threading

import streamlit as st

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread:
    """Begin warming (idempotent: one thread per process); returns the thread."""
    thread = threading.Thread(target=_warm, name="style-studio-warmup", daemon=True)
    thread.start()
    return thread


def _warm() -> None:
    from ui import common
    from ui.fast import magenta as arbitrary_results

    try:
        common.active_backbone()
        arbitrary_results.networks()  # loads and traces the any-painting networks
    except Exception:  # noqa: BLE001 - a page will say what is wrong when it needs them
        log.exception("warm-up failed")
