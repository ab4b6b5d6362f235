"""Every page inside the app's frame, even on a deep link to a freshly started server.

A ``pages/`` folder next to ``app.py`` is also Streamlit's legacy multipage layout: until some
session has run ``st.navigation``, a link such as ``/classic`` runs ``pages/classic.py``
alone, without the router (no page config, no sidebar, every file listed as a page). Each
page therefore calls ``require_frame()`` first; when the router is not running, it runs
``app.py`` in its place (which calls ``st.navigation`` and then this page) and stops.
"""

from __future__ import annotations

import runpy
import threading
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parents[1] / "app.py"
_state = threading.local()  # a script run happens on one thread: its own flag


@contextmanager
def frame():
    """Wrap the router's body: pages run inside it know they are framed."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def require_frame() -> None:
    if getattr(_state, "depth", 0) == 0:
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()
