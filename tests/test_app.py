"""Every page through Streamlit's AppTest, widgets driven by key; one tiny real classic job."""

import dataclasses
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.classic import PRESETS

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60  # seconds per script run; the first one imports TensorFlow on a busy CPU


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def png_bytes(height=48, width=64) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 4, y * 5, np.full_like(x, 120)], -1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def texts(elements) -> str:
    return " ".join(str(element.value) for element in elements)


def test_home_shows_the_example_and_the_sidebar_names_the_loss_network(app):
    assert app.title[0].value == "Style Studio"
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert any(c.startswith("Photo: Neuschwanstein") for c in captions)
    assert any(c.startswith("Painting: The Starry Night") for c in captions)
    assert "**Loss network:** VGG16-HED (offline)" in texts(app.sidebar.markdown)
    assert "Why: " in texts(app.sidebar.caption)
    app.button(key="home.start").click().run()
    assert app.title[0].value == "Classic style transfer"


def test_compare_page_still_to_come_says_so(app):
    open_page(app, "pages/compare.py")
    assert app.title[0].value == "Compare"
    assert "Coming soon" in app.info[0].value


@pytest.fixture
def tiny_models(tmp_path_factory, monkeypatch, make_bundle):
    """Two real (tiny, one-step) style networks with manifests, as the trainer writes them."""
    folder = tmp_path_factory.mktemp("models")
    make_bundle(folder)
    first = folder / "tiny.json"
    manifest = json.loads(first.read_text())
    for suffix in (".json", ".weights.h5"):
        (folder / f"other{suffix}").write_bytes((folder / f"tiny{suffix}").read_bytes())
    (folder / "other.json").write_text(json.dumps({**manifest, "display_name": "Other",
                                                   "painting": "wave.jpg"}))
    monkeypatch.setenv("STYLE_STUDIO_MODELS_DIR", str(folder))
    return folder


def test_fast_page_paints_each_chosen_style_with_a_download(app, tiny_models):
    open_page(app, "pages/fast.py")
    assert app.title[0].value == "Fast style transfer"
    assert app.multiselect(key="fast.styles").value == ["other"]  # first by display name
    assert app.slider(key="fast.size").value == 1080
    app.slider(key="fast.size").set_value(256).run()
    assert not app.exception
    captions = [c for image in app.get("image") for c in image.captions]
    assert any(c.startswith("Other — Test, 2026 · painted in") for c in captions)
    assert "1 result(s) at 256 × 171 px" in texts(app.caption)  # castle.jpg: 1024 x 683
    app.multiselect(key="fast.styles").select("tiny").run()
    captions = [c for image in app.get("image") for c in image.captions]
    assert sum("painted in" in c for c in captions) == 2
    assert "2 result(s)" in texts(app.caption)
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Download PNG", "Download PNG"]


def test_fast_page_without_networks_says_how_to_train_one(app, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLE_STUDIO_MODELS_DIR", str(tmp_path))
    open_page(app, "pages/fast.py")
    assert "No style networks are installed" in app.warning[0].value


def test_classic_starts_from_the_recommended_preset(app):
    open_page(app, "pages/classic.py")
    recommended = PRESETS["recommended"]
    assert app.radio(key="classic.preset").value == "recommended"
    assert app.slider(key="classic.size").value == recommended.size == 512
    assert app.number_input(key="classic.iterations").value == recommended.iterations
    assert app.selectbox(key="classic.optimizer").value == recommended.optimizer
    assert app.selectbox(key="classic.example").value == "castle"
    assert app.multiselect(key="classic.styles").value == ["starry_night"]
    assert len(app.multiselect(key="classic.styles").options) == 7
    assert not app.button(key="classic.run").disabled
    assert app.button(key="classic.cancel").disabled


def test_switching_preset_resets_the_settings(app):
    open_page(app, "pages/classic.py")
    app.slider(key="classic.size").set_value(200).run()
    app.radio(key="classic.preset").set_value("report").run()
    report = PRESETS["report"]
    assert app.slider(key="classic.size").value == report.size == 1080
    assert app.number_input(key="classic.iterations").value == report.iterations
    assert app.selectbox(key="classic.optimizer").value == "adam"
    assert app.selectbox(key="classic.init").value == "report-noise"
    app.radio(key="classic.preset").set_value("recommended").run()
    assert app.slider(key="classic.size").value == 512
    assert app.selectbox(key="classic.optimizer").value == "lbfgs"


def test_two_paintings_get_blend_weights(app):
    open_page(app, "pages/classic.py")
    app.multiselect(key="classic.styles").select("wave").run()
    assert app.slider(key="classic.blend.starry_night").value == 1.0
    assert app.slider(key="classic.blend.wave").value == 1.0
    app.slider(key="classic.blend.starry_night").set_value(0.0)
    app.slider(key="classic.blend.wave").set_value(0.0).run()
    assert "weight above zero" in texts(app.error)
    assert app.button(key="classic.run").disabled


def test_a_tiny_classic_job_runs_survives_a_page_switch_and_offers_downloads(app):
    open_page(app, "pages/classic.py")
    app.file_uploader(key="classic.content_upload").set_value(
        ("gradient.png", png_bytes(), "image/png"))
    app.slider(key="classic.size").set_value(64)
    app.number_input(key="classic.iterations").set_value(3)
    app.number_input(key="classic.snapshot_every").set_value(1)
    app.run()
    app.button(key="classic.run").click().run()
    assert not app.exception
    job_id = app.session_state["classic.job_id"]

    open_page(app, "pages/home.py")  # the job carries on without the page
    open_page(app, "pages/classic.py")
    assert app.session_state["classic.job_id"] == job_id
    deadline = time.monotonic() + 90
    while not app.download_button:
        assert time.monotonic() < deadline, "the job did not finish in time"
        time.sleep(0.25)
        app.run()
        assert not app.exception and not app.error, texts(app.error)

    assert app.get("progress")[0].proto.text.startswith("Done: 3 iterations in ")
    assert [d.label for d in app.download_button] == [
        "Download PNG", "Download snapshots (ZIP)", "Download settings (JSON)"]
    assert {m.label: m.value for m in app.metric}["Iterations"] == "3"
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert any(c.startswith("Result · 64 × 48 px") for c in captions)
    assert any(c.startswith("Photo: gradient.png") for c in captions)
    assert any(c.startswith("Painting: The Starry Night — Van Gogh, 1889") for c in captions)
    assert sum(c.startswith("iteration ") for c in captions) == 3  # the gallery
    assert len(app.get("plotly_chart")) == 1
    record = json.loads(json.dumps(app.session_state["classic.downloads"][1]["record"]))
    assert record["summary"]["iterations"] == 3 and record["config"]["size"] == 64
    assert record["content"] == "upload: gradient.png"
    assert record["styles"] == ["styles/starry_night.jpg"]
    assert not app.button(key="classic.run").disabled


def test_a_file_that_is_not_an_image_gets_the_core_message(app):
    open_page(app, "pages/classic.py")
    app.file_uploader(key="classic.content_upload").set_value(
        ("holiday.png", b"this is not a picture", "image/png")).run()
    assert not app.exception
    assert "content image: not an image file we can read" in texts(app.error)
    assert app.button(key="classic.run").disabled


def test_an_upload_over_the_limit_is_refused_in_the_page(app):
    open_page(app, "pages/classic.py")
    too_big = png_bytes() + bytes(21 * 2**20)
    app.file_uploader(key="classic.style_upload").set_value(
        [("huge.png", too_big, "image/png")]).run()
    assert not app.exception
    assert "style image: huge.png is 21.0 MB; the limit is 20 MB" in texts(app.error)
    assert app.button(key="classic.run").disabled


def test_a_settings_file_sets_the_widgets_and_a_bad_one_is_explained(app):
    open_page(app, "pages/classic.py")
    record = {"config": {**PRESETS["report"].to_dict(), "size": 320, "seed": 7}}
    app.file_uploader(key="classic.settings_upload").set_value(
        ("settings.json", json.dumps(record).encode(), "application/json")).run()
    assert app.slider(key="classic.size").value == 320
    assert app.number_input(key="classic.seed").value == 7
    assert app.selectbox(key="classic.optimizer").value == "adam"
    assert "Settings loaded from settings.json" in texts(app.info)

    app.file_uploader(key="classic.settings_upload").set_value(
        ("other.json", b'{"config": {"colour": 1}}', "application/json")).run()
    assert "other.json: unknown classic settings: colour" in texts(app.error)
    assert app.slider(key="classic.size").value == 320


def test_streamlit_no_longer_resets_keras_under_running_jobs(app):
    from keras.src.backend.common import global_state
    from streamlit.runtime.scriptrunner import script_runner

    from ui import keras_guard

    assert keras_guard.installed()
    tracker = global_state.GLOBAL_STATE_TRACKER
    script_runner._clean_problem_modules()  # what Streamlit runs after every script run
    assert global_state.GLOBAL_STATE_TRACKER is tracker


def test_settings_survive_a_visit_to_another_page(app):
    open_page(app, "pages/classic.py")
    app.slider(key="classic.size").set_value(200)
    app.multiselect(key="classic.styles").select("wave")
    app.run()
    open_page(app, "pages/home.py")
    open_page(app, "pages/classic.py")
    assert app.slider(key="classic.size").value == 200
    assert app.multiselect(key="classic.styles").value == ["starry_night", "wave"]


def test_a_job_waits_in_the_queue_while_the_slots_are_taken(app):
    """Another session's long job holds every slot: ours shows its place, then runs."""
    from core.jobs import ClassicTask
    from ui import common

    manager = common.job_manager()
    config = dataclasses.replace(PRESETS["recommended"], size=48, iterations=100_000,
                                 snapshot_every=0, backbone="vgg16-hed")
    pixels = np.full((48, 48, 3), 128, np.uint8)
    blockers = [manager.submit(f"other-session-{i}", ClassicTask(pixels, (pixels,), config))
                for i in range(manager.slots)]
    try:
        open_page(app, "pages/classic.py")
        app.slider(key="classic.size").set_value(64)
        app.number_input(key="classic.iterations").set_value(2)
        app.run()
        app.button(key="classic.run").click().run()
        assert app.get("progress")[0].proto.text == (
            "Waiting for a free slot: number 1 in the queue (next to start)")
        assert app.button(key="classic.cancel").disabled is False
    finally:
        for blocker in blockers:
            blocker.cancel()
    deadline = time.monotonic() + 90
    while not app.download_button:
        assert time.monotonic() < deadline, "the queued job did not run"
        time.sleep(0.25)
        app.run()
    assert {m.label: m.value for m in app.metric}["Iterations"] == "2"


def test_progress_lines_say_where_a_job_is():
    from core.jobs import JobView, LossRow
    from ui.live import duration, evenly, progress_text

    row = LossRow(iteration=30, elapsed=12.0, content=1.0, style=2.0, tv=0.0, total=3.0)
    view = JobView("x", "running", 0, False, 300, None, None, (row,), (), None, None)
    assert progress_text(view) == "Iteration 30 / 300 · 12.0 s elapsed · about 1 min 48 s left"
    queued = dataclasses.replace(view, status="queued", queue_position=3, rows=())
    assert progress_text(queued) == (
        "Waiting for a free slot: number 3 in the queue (2 ahead of you)")
    stopping = dataclasses.replace(view, cancel_requested=True)
    assert progress_text(stopping) == "Stopping after iteration 30…"
    assert [duration(s) for s in (3.21, 125, 3725)] == ["3.2 s", "2 min 05 s", "1 h 02 min"]
    assert [s for s in evenly(tuple(range(100)), 5)] == [0, 25, 50, 74, 99]


def test_hosted_demos_can_lower_the_limits(monkeypatch):
    from ui import settings

    monkeypatch.setenv(settings.MAX_SIZE_ENV, "512")
    monkeypatch.setenv(settings.MAX_ITERATIONS_ENV, "100")
    limits = settings.limits()
    assert (limits.max_size, limits.max_iterations) == (512, 100)
    values = settings.widget_values(PRESETS["report"], limits)
    assert values[settings.SIZE] == 512 and values[settings.ITERATIONS] == 100
    monkeypatch.setenv(settings.MAX_SIZE_ENV, "huge")
    with pytest.raises(ValueError, match=settings.MAX_SIZE_ENV):
        settings.limits()
