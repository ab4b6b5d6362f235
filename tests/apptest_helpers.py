"""What the AppTest suites share: opening the app on a page, waiting for it, a small photo,
element texts."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60  # seconds per script run; the first one imports TensorFlow on a busy CPU


def open_app(page: str | None = None, *, state: dict | None = None,
             query: dict | None = None) -> AppTest:
    """The app run once, then (with ``state`` and ``query`` set first) switched to ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.query_params.update(query or {})
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def wait_until(at: AppTest, finished, seconds: float = 180) -> None:
    """Rerun the page every quarter second until ``finished(at)``; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not finished(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)
        at.run()
        assert not at.exception, at.exception


def png_bytes(height=48, width=64) -> bytes:
    """A small gradient photo, PNG-encoded, as a person would upload it."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 4, y * 5, np.full_like(x, 120)], -1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def texts(elements) -> str:
    return " ".join(str(element.value) for element in elements)
