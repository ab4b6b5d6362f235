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
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

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


def page_address(page: str, query: Mapping[str, str]) -> str:
    """A full link to ``page`` with ``query``: the address the browser sees (a proxy's or a
    hosted demo's), else this server's on localhost. Commas stay commas: lists read well."""
    base = st.context.url or f"http://localhost:{st.get_option('server.port')}/{page}"
    return f"{base.split('?')[0]}?{urlencode(query, safe=',')}"
