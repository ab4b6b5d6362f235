"""Faults in the app: a worker that crashes, a server that restarts.

The crash is injected where it would really happen (inside the classic worker's call into
the core), so the page, the engine and the slot bookkeeping all run for real.
"""

from __future__ import annotations

import io
import json
import zipfile

import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.engine import tasks
from tests.apptest_helpers import open_app, png_bytes, texts, wait_until


def classic_page() -> AppTest:
    return open_app("pages/classic.py")


def start_tiny_job(at: AppTest, iterations: int = 3) -> None:
    at.file_uploader(key="classic.content_upload").set_value(
        ("gradient.png", png_bytes(), "image/png"))
    at.slider(key="classic.size").set_value(64)
    at.number_input(key="classic.iterations").set_value(iterations)
    at.run()
    at.button(key="classic.run").click().run()
    assert not at.exception


def test_a_crash_in_the_worker_shows_an_error_in_that_session_and_frees_the_slot(monkeypatch):
    def crash(*args, **kwargs):
        raise MemoryError("out of memory while building the loss network")

    monkeypatch.setattr(tasks, "stylize", crash)
    at = classic_page()
    start_tiny_job(at)
    wait_until(at, lambda page: page.error)
    assert ("internal error: MemoryError: out of memory while building the loss network"
            in texts(at.error))
    assert not at.button(key="classic.run").disabled  # the person can try again
    from ui import common

    engine = common.engine()
    assert engine.get(at.session_state["classic.job_id"]).wait(5)
    assert engine.counts() == (0, 0)  # no slot held, nobody stuck waiting

    monkeypatch.undo()  # the next run in the same session works
    at.button(key="classic.run").click().run()
    wait_until(at, lambda page: page.download_button)
    assert not at.error


def test_a_downloaded_result_outlives_a_server_restart():
    """Everything a finished run needs lives in its downloads: after a restart (every cache
    and job gone) the settings file sets the same run up again and the PNG is whole."""
    at = classic_page()
    start_tiny_job(at)
    wait_until(at, lambda page: page.download_button)
    prepared = at.session_state["classic.downloads"][1]  # the bytes the buttons hand out
    settings, config = prepared["json"].encode(), json.loads(prepared["json"])["config"]
    with Image.open(io.BytesIO(prepared["png"])) as picture:
        assert picture.format == "PNG" and picture.size == (64, 48)
    with zipfile.ZipFile(io.BytesIO(prepared["zip"])) as archive:
        assert json.loads(archive.read("settings.json"))["config"] == config
        assert archive.read("result.png") == prepared["png"]

    st.cache_resource.clear()  # the restart: no engine, no models, no cached pictures
    st.cache_data.clear()
    fresh = classic_page()
    assert fresh.slider(key="classic.size").value != 64
    fresh.file_uploader(key="classic.settings_upload").set_value(
        ("settings.json", settings, "application/json")).run()
    assert fresh.slider(key="classic.size").value == config["size"] == 64
    assert fresh.number_input(key="classic.iterations").value == config["iterations"] == 3
    assert fresh.number_input(key="classic.seed").value == config["seed"]


def test_a_bad_engine_setting_stops_each_job_page_with_the_reason(monkeypatch):
    """The server's environment is read when the engine is made: a worker count that is not
    a number stops the pages that run jobs with the setting's name, before any widget."""
    from ui import common

    monkeypatch.setenv("STYLE_STUDIO_RAY_WORKERS", "two")
    common.engine.clear()  # the engine is made again, from this environment
    try:
        for page in ("pages/classic.py", "pages/batch.py", "pages/train.py"):
            at = open_app(page)
            assert [e.value for e in at.error] == [
                "Server configuration: STYLE_STUDIO_RAY_WORKERS must be a whole number "
                "(got 'two')"], page
            assert not at.button, page  # st.stop: nothing below the error
    finally:
        monkeypatch.undo()
        common.engine.clear()
