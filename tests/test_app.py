"""Every page through Streamlit's AppTest, widgets driven by key; one tiny real classic job."""

import dataclasses
import io
import json
import time

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.classic import PRESETS
from tests.apptest_helpers import ROOT, open_app, png_bytes, texts


@pytest.fixture
def app() -> AppTest:
    return open_app()


def picked(at: AppTest, prefix: str) -> list[str]:
    """The ids of the ticked pictures of a pick grid (tick boxes keyed ``prefix + id``)."""
    return [box.key.removeprefix(prefix) for box in at.checkbox
            if box.key.startswith(prefix) and box.value]


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_home_shows_the_example_and_the_sidebar_names_the_loss_network(app):
    assert app.title[0].value == "Style Studio"
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert any(c.startswith("Photo: Neuschwanstein") for c in captions)
    assert any(c.startswith("Painting: The Starry Night") for c in captions)
    assert "**Loss network:** VGG16-HED (offline)" in texts(app.sidebar.markdown)
    assert "Why: " in texts(app.sidebar.caption)
    app.button(key="home.start").click().run()
    assert app.title[0].value == "Classic style transfer"


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


def open_trained(at: AppTest) -> AppTest:
    """The fast page on its trained networks (it opens on Any painting)."""
    at.session_state["fast.mode"] = "trained"
    return open_page(at, "pages/fast.py")


def test_fast_page_paints_each_chosen_style_with_a_download(app, tiny_models):
    open_trained(app)
    assert app.title[0].value == "Fast style transfer"
    assert picked(app, "fast.pick.") == ["other"]  # first by display name
    assert app.slider(key="fast.size").value == 1080
    app.slider(key="fast.size").set_value(256).run()
    assert not app.exception
    captions = [c for image in app.get("image") for c in image.captions]
    assert any(c.startswith("Other — Test, 2026 · painted in") for c in captions)
    assert "1 result at 256 × 171 px" in texts(app.caption)  # castle.jpg: 1024 x 683
    app.checkbox(key="fast.pick.tiny").check().run()  # the tick box under its painting
    captions = [c for image in app.get("image") for c in image.captions]
    assert sum("painted in" in c for c in captions) == 2
    assert "2 results" in texts(app.caption)
    buttons = app.get("download_button")
    # each with its 16-bit files beside it, encoded only when clicked (ui.export)
    assert [b.proto.label for b in buttons] == ["Download PNG", "PNG, 16-bit", "TIFF, 16-bit"] * 2
    # Downloads are named after photo, painting, method and size, not "style-studio-fast-1".
    stems = {item.file_stem for item in app.session_state["studio.shelf"][:2]}
    assert stems == {"castle-tiny-fast-256x171", "castle-wave-fast-256x171"}


CASTLE = ROOT / "examples" / "castle.jpg"


def captions_of(at: AppTest) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


def open_compare(at: AppTest, **query: str) -> AppTest:
    """The compare page opened from a link with ``query`` (small fast results by default)."""
    at.query_params.update({"size": "256", **query})
    return open_page(at, "pages/compare.py")


def shelved_classic_run(photo=CASTLE, painting="styles/wave.jpg"):
    """A classic result as a finished job leaves it on the shelf, with three snapshots."""
    from core import compare, images
    from core.progress import Snapshot
    from ui.shelf import CLASSIC, Result

    pixels = images.load_image(photo)
    frames = [images.encode_png(np.full((48, 64, 3), value, np.uint8)) for value in (0, 90, 180)]
    return Result(
        method=CLASSIC, photo=f"examples/{photo.name}", photo_digest=compare.digest(pixels),
        style="classic-99", painting=painting, label="The Great Wave off Kanagawa",
        png=frames[-1], seconds=64.0, size=(64, 48), settings="80 iterations, lbfgs",
        snapshots=tuple(Snapshot(10 * i, 8.0 * i, png) for i, png in enumerate(frames, 1)),
    )


def test_compare_grid_shows_one_captioned_result_per_chosen_style(app, tiny_models):
    open_compare(app, method="trained")
    assert app.title[0].value == "Compare"
    assert app.segmented_control(key="compare.section").value == "grid"
    assert app.pills(key="compare.styles").value == ["other", "tiny"]  # all, by name
    fast = [c for c in captions_of(app) if " · fast · " in c]
    assert len(fast) == 2
    assert fast[0].startswith("Other — Test, 2026 · fast · ")
    assert "2 fast results" in texts(app.caption)
    assert [b.proto.label for b in app.get("download_button")] == [
        "Download the comparison (PNG sheet)"]

    app.pills(key="compare.styles").unselect("other").run()
    assert [c for c in captions_of(app) if " · fast · " in c] == [
        next(c for c in captions_of(app) if c.startswith("Tiny — Test, 2026 · fast · "))]
    assert app.query_params["styles"] == "tiny"  # the widgets lead the URL
    assert app.query_params["view"] == "grid" and app.query_params["size"] == "256"
    assert ("http://localhost:8501/compare?view=grid&photo=castle&method=trained&styles=tiny"
            in texts(app.code))


def test_a_link_preselects_the_styles_photo_and_settings(app, tiny_models):
    # a link from before the grid's method choice: styles= and no method= (trained networks)
    open_compare(app, view="grid", styles="tiny,other", photo="lemurs", strength="0.5",
                 colours="1")
    assert not app.warning
    assert app.segmented_control(key="compare.grid_method").value == "trained"
    assert app.query_params["method"] == "trained"  # written back with today's parameter
    assert app.pills(key="compare.styles").value == ["tiny", "other"]
    assert app.selectbox(key="compare.photo").value == "lemurs"
    assert app.slider(key="compare.size").value == 256
    assert app.slider(key="compare.strength").value == 0.5
    assert app.toggle(key="compare.preserve_colors").value is True
    assert any(c.startswith("Lemurs · ") for c in captions_of(app))  # the photo's preview
    assert sum(" · fast · " in c for c in captions_of(app)) == 2


def test_bad_link_values_are_ignored_with_a_warning(app, tiny_models):
    open_compare(app, method="trained", styles="tiny,no_such_style", size="99999",
                 view="<b>x</b>",
                 strength="nan", colours="perhaps")
    assert not app.exception
    warning = texts(app.warning)
    for name in ("no_such_style", "size=", "view=", "strength=", "colours="):
        assert name in warning
    assert app.pills(key="compare.styles").value == ["tiny"]
    assert app.slider(key="compare.size").value == 1080  # the default: 99999 was ignored
    assert app.segmented_control(key="compare.section").value == "grid"
    assert sum(" · fast · " in c for c in captions_of(app)) == 1


def test_an_uploaded_photo_cannot_travel_in_the_link(app, tiny_models):
    open_compare(app, method="trained", styles="tiny")
    app.file_uploader(key="compare.content_upload").set_value(
        ("gradient.png", png_bytes(), "image/png")).run()
    assert not app.exception
    assert "uploads cannot travel in a link" in texts(app.info)
    assert "photo" not in app.query_params
    assert any(c.startswith("Tiny — Test, 2026 · fast · ") for c in captions_of(app))


def test_a_fast_result_goes_on_the_shelf_and_compare_reuses_it(app, tiny_models, monkeypatch):
    from ui.fast import results as fast_results

    calls = []

    def counted_paint(*args, **kwargs):
        calls.append(kwargs.get("config") or args[2])
        return paint(*args, **kwargs)

    paint = fast_results.paint
    monkeypatch.setattr(fast_results, "paint", counted_paint)
    open_trained(app)  # paints at the default 1080 px
    app.slider(key="fast.size").set_value(256).run()
    assert [config.size for config in calls] == [1080, 256]
    shelf = app.session_state["studio.shelf"]
    assert [(item.method, item.style, item.size) for item in shelf] == [
        ("fast", "other", (256, 171)), ("fast", "other", (1080, 720))]  # newest first

    # no size: it follows the fast page
    app.query_params.update({"method": "trained", "styles": "other"})
    open_page(app, "pages/compare.py")
    assert app.slider(key="compare.size").value == 256
    assert len(calls) == 2  # nothing painted again
    fast = [c for c in captions_of(app) if " · fast · " in c]
    assert len(fast) == 1 and fast[0].startswith("Other — Test, 2026 · fast · ")
    assert f"{shelf[0].seconds:.2f} s" in fast[0]  # the very result the fast page made


def test_classic_vs_fast_evolution_and_slider_use_the_shelf(app, tiny_models):
    run = shelved_classic_run()
    app.session_state["studio.shelf"] = [run]
    open_compare(app, view="versus", painting="other")  # "other" learned wave.jpg
    captions = captions_of(app)
    assert any(c.startswith("The Great Wave off Kanagawa · classic · 1 min 04 s · 64 × 48 px")
               for c in captions)
    assert any(c.startswith("Other — Test, 2026 · fast · ") for c in captions)
    assert any(c.startswith(
        "The Great Wave off Kanagawa — Katsushika Hokusai, c. 1831 · any-painting · ")
               for c in captions)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Classic"] == "1 min 04 s"
    # The fast pictures at the classic one's size: said, with no size slider to do nothing,
    # and no size in the link, which the classic run decides.
    assert not [s for s in app.slider if s.key == "compare.size"]
    assert "Size: 64 px on the longest side, the classic picture's" in texts(app.caption)
    fast = next(c for c in captions_of(app) if c.startswith("Other — Test, 2026 · fast · "))
    assert " · 64 × 43 px · " in fast
    assert "size" not in app.query_params and app.query_params["classic"] == "classic-99"
    assert metrics["Trained network"].endswith(" s") and metrics["Any painting"].endswith(" s")
    assert "Download the comparison (PNG sheet)" in [
        b.proto.label for b in app.get("download_button")]

    app.segmented_control(key="compare.section").set_value("evolution").run()
    assert app.query_params["view"] == "evolution"
    assert any(c.startswith("3 of 3 snapshots") for c in captions_of(app))
    assert any(c.startswith("3 frames, 0.5 s each") for c in captions_of(app))
    assert [b.proto.label for b in app.get("download_button")] == [
        "Download the GIF", "Download the strip (PNG)"]

    app.segmented_control(key="compare.section").set_value("slider").run()
    options = app.selectbox(key="compare.after").options
    assert options == [
        "The photo: Neuschwanstein Castle",
        "fast: Other — Test, 2026, strength 1",
        "fast: Tiny — Test, 2026, strength 1",
        "any-painting: The Great Wave off Kanagawa — Katsushika Hokusai, c. 1831, strength 1",
        "classic: The Great Wave off Kanagawa, 80 iterations, lbfgs",
        "classic snapshot: The Great Wave off Kanagawa, iteration 10",
        "classic snapshot: The Great Wave off Kanagawa, iteration 20",
    ]
    assert app.selectbox(key="compare.before").value == "photo"
    assert app.selectbox(key="compare.after").value.startswith("result:fast:")
    page = app.get("iframe")[0].proto.srcdoc
    # nothing fetched from elsewhere (the pictures' base64 may hold "http", never a colon)
    assert page.count("data:image/jpeg;base64,") == 2
    assert "http:" not in page and "https:" not in page
    assert 'type="range"' in page


def test_compare_runs_a_classic_job_without_touching_the_classic_pages(app, tiny_models,
                                                                        monkeypatch):
    from ui.classic import settings

    monkeypatch.setenv(settings.MAX_SIZE_ENV, "64")  # the recommended preset, made tiny
    monkeypatch.setenv(settings.MAX_ITERATIONS_ENV, "2")
    open_compare(app, view="versus", painting="other")
    assert "This view needs a classic run of Neuschwanstein Castle with The Great Wave" in \
        texts(app.info)
    app.button(key="compare.run_classic").click().run()
    assert not app.exception
    assert app.session_state["compare.job_id"]
    assert "classic.job_id" not in app.session_state
    deadline = time.monotonic() + 120
    while not any(" · classic · " in c for c in captions_of(app)):
        assert time.monotonic() < deadline, "the classic job did not finish in time"
        time.sleep(0.25)
        app.run()
        assert not app.exception and not app.error, texts(app.error)
    classic = next(c for c in captions_of(app) if " · classic · " in c)
    assert "64 × 43 px · 2 iterations, lbfgs" in classic
    run = next(item for item in app.session_state["studio.shelf"] if item.method == "classic")
    assert (run.method, run.painting, run.photo) == (
        "classic", "styles/wave.jpg", "examples/castle.jpg")


def test_fast_page_without_networks_says_how_to_train_one(app, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLE_STUDIO_MODELS_DIR", str(tmp_path))
    open_trained(app)
    assert "No style networks are installed" in app.warning[0].value


def painting_png() -> bytes:
    """A 'painting' of bold diagonal stripes, as a person might upload one."""
    y, x = np.mgrid[0:96, 0:96]
    stripes = ((x + y) // 12) % 3
    palette = np.array([[200, 40, 30], [240, 200, 40], [20, 40, 160]], np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(palette[stripes]).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_fast_page_opens_on_any_painting_and_paints_an_uploaded_one(app):
    from ui import shelf

    open_page(app, "pages/fast.py")
    assert app.segmented_control(key="fast.mode").value == "any"
    app.slider(key="fast.size").set_value(256).run()
    assert not app.exception and not app.error, texts(app.error)
    first = app.session_state[shelf.SHELF][0]
    assert (first.method, first.style, first.size) == ("any-painting", "styles/starry_night.jpg",
                                                       (256, 171))
    app.file_uploader(key="fast.any.style_upload").set_value(
        [("stripes.png", painting_png(), "image/png")]).run()
    assert not app.exception and not app.error, texts(app.error)
    result = app.session_state[shelf.SHELF][0]
    assert result.style == "stripes.png" and result.label == "stripes.png"
    captions = [c for image in app.get("image") for c in image.captions]
    assert any(c.startswith("stripes.png · painted in ") for c in captions)
    assert [b.label for b in app.download_button] == [
        "Download PNG", "PNG, 16-bit", "TIFF, 16-bit"]
    with Image.open(io.BytesIO(result.png)) as picture:
        colours = np.asarray(picture).reshape(-1, 3).mean(0)
    assert colours[2] < colours[0]  # the stripes' reds and yellows, not the castle's blue sky


def test_any_painting_mixes_paintings_and_refuses_a_bad_one(app):
    from ui import shelf

    open_page(app, "pages/fast.py")
    app.slider(key="fast.size").set_value(256)
    app.checkbox(key="fast.any.pick.wave").check().run()
    app.slider(key="fast.any.blend.wave").set_value(0.5).run()
    assert not app.exception and not app.error, texts(app.error)
    result = app.session_state[shelf.SHELF][0]
    assert result.style == "styles/starry_night.jpg + styles/wave.jpg"
    assert result.settings == "strength 1, mix 1:0.5"
    app.file_uploader(key="fast.any.style_upload").set_value(
        [("notes.jpg", b"not a painting at all", "image/jpeg")]).run()
    assert not app.exception
    assert "Painting notes.jpg: not an image file we can read" in texts(app.error)


def test_the_26_styles_gallery_blends_the_styles_picked(app):
    from ui import shelf

    app.session_state["fast.mode"] = "multi"
    open_page(app, "pages/fast.py")
    app.slider(key="fast.size").set_value(256).run()
    ticks = {box.label: box.value for box in app.checkbox if box.key.startswith("fast.multi.")}
    assert len(ticks) == 26 and ticks["Style 0"] and not ticks["Style 25"]  # named, ticked
    app.checkbox(key="fast.multi.pick.0").uncheck()
    app.checkbox(key="fast.multi.pick.3").check()
    app.checkbox(key="fast.multi.pick.12").check().run()
    app.slider(key="fast.multi.weight.12").set_value(0.5).run()
    assert not app.exception and not app.error, texts(app.error)
    result = app.session_state[shelf.SHELF][0]
    assert (result.method, result.style, result.size) == ("26-style", "3:1,12:0.5", (256, 171))
    assert [b.label for b in app.download_button] == [
        "Download PNG", "PNG, 16-bit", "TIFF, 16-bit"]


def test_classic_starts_from_the_recommended_preset(app):
    open_page(app, "pages/classic.py")
    recommended = PRESETS["recommended"]
    assert app.radio(key="classic.preset").value == "recommended"
    assert app.slider(key="classic.size").value == recommended.size == 512
    assert app.number_input(key="classic.iterations").value == recommended.iterations
    assert app.selectbox(key="classic.optimizer").value == recommended.optimizer
    assert app.selectbox(key="classic.photo").value == "castle"
    assert picked(app, "classic.pick.") == ["starry_night"]
    assert len([box for box in app.checkbox if box.key.startswith("classic.pick.")]) == 7
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
    app.checkbox(key="classic.pick.wave").check().run()
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
        "Download PNG", "Download snapshots (ZIP)", "Download settings (JSON)", "PNG, 16-bit",
        "TIFF, 16-bit"]
    assert {m.label: m.value for m in app.metric}["Iterations"] == "3"
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert any(c.startswith("Result · 64 × 48 px") for c in captions)
    assert any(c.startswith("Photo: gradient.png") for c in captions)
    assert any(c.startswith("Painting: The Starry Night — Vincent van Gogh, 1889")
               for c in captions)
    assert sum(c.startswith("iteration ") for c in captions) == 4  # the gallery: 0, 1, 2, 3
    assert len(app.get("plotly_chart")) == 1
    record = json.loads(json.dumps(app.session_state["classic.downloads"][1]["record"]))
    assert record["summary"]["iterations"] == 3 and record["config"]["size"] == 64
    pixels = app.session_state["classic.downloads"][1]["float_pixels"]  # the 16-bit files'
    assert pixels.dtype == np.float32 and pixels.shape == (48, 64, 3)
    assert record["content"] == "upload: gradient.png"
    assert record["styles"] == ["styles/starry_night.jpg"]
    assert not app.button(key="classic.run").disabled


def test_a_file_that_is_not_an_image_gets_the_core_message(app):
    open_page(app, "pages/classic.py")
    app.file_uploader(key="classic.content_upload").set_value(
        ("holiday.png", b"this is not a picture", "image/png")).run()
    assert not app.exception
    assert "Photo holiday.png: not an image file we can read" in texts(app.error)
    assert app.button(key="classic.run").disabled


def test_an_upload_over_the_limit_is_refused_in_the_page(app):
    open_page(app, "pages/classic.py")
    too_big = png_bytes() + bytes(21 * 2**20)
    app.file_uploader(key="classic.style_upload").set_value(
        [("huge.png", too_big, "image/png")]).run()
    assert not app.exception
    assert "Painting huge.png: the file is 21.0 MB; the limit is 20 MB" in texts(app.error)
    assert app.button(key="classic.run").disabled  # no silent fall-back to Starry Night


def test_a_settings_file_sets_the_widgets_and_a_bad_one_is_explained(app):
    open_page(app, "pages/classic.py")
    record = {"config": {**PRESETS["report"].to_dict(), "size": 320, "seed": 7}}
    app.file_uploader(key="classic.settings_upload").set_value(
        ("settings.json", json.dumps(record).encode(), "application/json")).run()
    assert app.slider(key="classic.size").value == 320
    assert app.number_input(key="classic.seed").value == 7
    assert app.selectbox(key="classic.optimizer").value == "adam"
    assert "Settings loaded from settings.json" in texts(app.info)

    old = {"config": {"size": 256, "coarse_scales": [0.5]}}  # from an earlier version
    app.file_uploader(key="classic.settings_upload").set_value(
        ("old.json", json.dumps(old).encode(), "application/json")).run()
    assert app.slider(key="classic.size").value == 256
    assert "coarse_scales is from an older version and was left out" in texts(app.info)

    app.file_uploader(key="classic.settings_upload").set_value(
        ("other.json", b'{"config": {"colour": 1}}', "application/json")).run()
    assert "other.json: unknown classic settings: colour" in texts(app.error)
    assert app.slider(key="classic.size").value == 256


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
    app.checkbox(key="classic.pick.wave").check()
    app.run()
    open_page(app, "pages/home.py")
    open_page(app, "pages/classic.py")
    assert app.slider(key="classic.size").value == 200
    assert picked(app, "classic.pick.") == ["starry_night", "wave"]


def test_a_job_waits_in_the_queue_while_the_slots_are_taken(app):
    """Another session's long job holds every slot: ours shows its place, then runs."""
    from core.engine import ClassicTask
    from ui import common

    manager = common.engine()
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
    from core.losses import Losses
    from core.progress import JobView, LossRow
    from ui.classic.live import evenly, progress_text
    from ui.text import duration

    row = LossRow(iteration=30, elapsed=12.0, losses=Losses(1.0, 2.0, 0.0))
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
    from ui.classic import settings

    monkeypatch.setenv(settings.MAX_SIZE_ENV, "512")
    monkeypatch.setenv(settings.MAX_ITERATIONS_ENV, "100")
    limits = settings.limits()
    assert (limits.max_size, limits.max_iterations) == (512, 100)
    values = settings.widget_values(PRESETS["report"], limits)
    assert values[settings.SIZE] == 512 and values[settings.ITERATIONS] == 100
    monkeypatch.setenv(settings.MAX_SIZE_ENV, "huge")
    with pytest.raises(ValueError, match=settings.MAX_SIZE_ENV):
        settings.limits()
