"""What a newcomer met (issue 14), each through AppTest: choices that stay, links that hold
what they promise, every chosen painting shown, one vocabulary, honest times and charts."""

import time

import pytest

from tests.apptest_helpers import ROOT, open_app, png_bytes, texts
from tests.test_app import (
    captions_of,
    open_compare,
    open_page,
    picked,
    shelved_classic_run,
    tiny_models,  # noqa: F401 - a fixture
)

TINY_RUN = "size:64,iterations:2,snapshot_every:1"


def wait_for(at, finished, seconds=120):
    deadline = time.monotonic() + seconds
    while not finished(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)
        at.run()
        assert not at.exception and not at.error, texts(at.error)


def test_uploads_and_picks_survive_page_switches_and_reach_every_page():
    at = open_app("pages/classic.py")
    at.file_uploader(key="classic.content_upload").set_value(
        ("me.png", png_bytes(), "image/png")).run()
    at.file_uploader(key="classic.style_upload").set_value(
        [("art.png", png_bytes(64, 96), "image/png")]).run()
    upload = next(key for key in picked(at, "classic.pick."))
    # The upload replaced the untouched default; it is shown in the grid, ticked.
    assert upload.startswith("upload-") and picked(at, "classic.pick.") == [upload]
    assert "art.png" in [box.label for box in at.checkbox]
    at.checkbox(key="classic.pick.wave").check().run()
    for page in ("pages/home.py", "pages/classic.py"):
        open_page(at, page)
    assert at.selectbox(key="classic.photo").value.startswith("upload-")
    assert picked(at, "classic.pick.") == [upload, "wave"]
    assert not at.button(key="classic.run").disabled and not at.warning
    open_page(at, "pages/fast.py")
    assert at.selectbox(key="fast.photo").value == at.session_state["classic.photo"]
    # The painting uploaded on Classic is offered on Fast, and survives a mode switch.
    assert f"fast.any.pick.{upload}" in [box.key for box in at.checkbox]
    at.checkbox(key=f"fast.any.pick.{upload}").check().run()
    at.segmented_control(key="fast.mode").set_value("multi").run()
    at.segmented_control(key="fast.mode").set_value("any").run()
    assert upload in picked(at, "fast.any.pick.")


def test_an_upload_is_added_to_a_choice_the_person_made():
    at = open_app("pages/classic.py")
    at.checkbox(key="classic.pick.wave").check().run()
    at.file_uploader(key="classic.style_upload").set_value(
        [("art.png", png_bytes(64, 96), "image/png")]).run()
    assert picked(at, "classic.pick.")[1:] == ["starry_night", "wave"]  # kept, upload first


def test_a_versus_link_names_the_missing_classic_run_and_runs_exactly_that(tiny_models):  # noqa: F811
    at = open_app()
    open_compare(at, view="versus", painting="other", classic=TINY_RUN)
    assert at.query_params["size"] == "256"  # no classic picture yet: the slider's size holds
    info = texts(at.info)
    assert "needs a classic run of Neuschwanstein Castle with The Great Wave off Kanagawa" \
        in info and "custom settings, 64 px, 2 iterations (L-BFGS-B)" in info
    at.button(key="compare.run_classic").click().run()
    wait_for(at, lambda a: any(" · classic · " in c for c in captions_of(a)))
    run = next(item for item in at.session_state["studio.shelf"] if item.method == "classic")
    assert run.style == TINY_RUN and run.size == (64, 43)
    # Like with like: both fast pictures at the classic picture's size.
    sizes = {c.split(" px")[0].rsplit(" · ", 1)[-1] for c in captions_of(at) if " px" in c
             and (" · fast · " in c or " · any-painting · " in c)}
    assert sizes == {"64 × 43"}
    assert "All three at 64 × 43 px" in texts(at.caption)
    assert at.query_params["classic"] == TINY_RUN and "size" not in at.query_params


def test_no_quicker_badge_between_pictures_of_different_sizes(tiny_models):  # noqa: F811
    at = open_app()
    at.session_state["studio.shelf"] = [shelved_classic_run()]  # says 64 x 48: castle is 64 x 43
    open_compare(at, view="versus", painting="other")
    assert [m.proto.delta for m in at.metric] == ["", "", ""]
    assert "different sizes (see the captions), so no speed-up is claimed" in texts(at.caption)


def test_an_evolution_link_offers_its_run_then_shows_it_from_iteration_0(tiny_models):  # noqa: F811
    at = open_app()
    open_compare(at, view="evolution", photo="castle", paintings="wave:1", classic=TINY_RUN)
    assert "needs a classic run of Neuschwanstein Castle with The Great Wave" in texts(at.info)
    at.button(key="compare.run_classic").click().run()
    wait_for(at, lambda a: any(" snapshots, first to last" in c for c in captions_of(a)))
    run = at.session_state["studio.shelf"][0]
    assert [s.iteration for s in run.snapshots][0] == 0  # the strip starts at the start
    assert at.query_params["paintings"] == "wave:1" and at.query_params["classic"] == TINY_RUN


def test_a_slider_link_opens_the_same_pair(tiny_models):  # noqa: F811
    at = open_app()
    open_compare(at, view="slider", styles="tiny,other")
    options = at.selectbox(key="compare.after").options
    at.selectbox(key="compare.after").set_value(options[2]).run()  # not the default pair
    link = dict(at.query_params)
    right = at.session_state["compare.after"]
    assert link["left"] == "photo" and link["right"] == right
    fresh = open_app()  # a stranger's new session
    open_compare(fresh, **link)
    assert fresh.selectbox(key="compare.before").value == "photo"
    assert fresh.selectbox(key="compare.after").value == right
    assert not fresh.warning


def test_a_slider_link_to_a_classic_picture_says_exactly_what_is_missing(tiny_models):  # noqa: F811
    at = open_app()
    missing = ("result:classic:0123456789abcdef:01234567:size:64,iterations:2:"
               "2 iterations, lbfgs:64x48")
    open_compare(at, view="slider", styles="tiny", right=missing)
    warning = texts(at.warning)
    assert "right picture is not in this session: a classic run (custom settings, 64 px, " \
        "2 iterations (L-BFGS-B))" in warning


def test_the_settings_file_says_why_the_loss_network_was_chosen():
    from ui.classic import live

    at = open_app("pages/classic.py")
    at.file_uploader(key="classic.content_upload").set_value(
        ("me.png", png_bytes(), "image/png"))
    at.slider(key="classic.size").set_value(64)
    at.number_input(key="classic.iterations").set_value(2).run()
    at.button(key="classic.run").click().run()
    wait_for(at, lambda a: bool(a.download_button))
    record = at.session_state[live.DOWNLOADS][1]["record"]
    assert record["summary"]["backbone_reason"].startswith("chosen automatically: ")
    # A second run keeps the first on the page, newest first, each with its download.
    at.button(key="classic.run").click().run()
    wait_for(at, lambda a: "Download snapshots (ZIP)" in [b.proto.label for b in
                                                          a.get("download_button")])
    assert "Earlier runs in this session (1)" in [s.value for s in at.subheader]
    names = [b.proto.label for b in at.get("download_button")]
    assert names.count("Download PNG") == 2  # the new result's and the first run's


def test_the_loss_chart_counts_whole_iterations():
    from core.losses import Losses
    from core.progress import JobView, LossRow
    from ui.classic.live import loss_figure

    rows = tuple(LossRow(i, i * 0.5, Losses(1.0, 2.0, 0.1)) for i in (1, 2, 3))
    view = JobView("j", "running", 0, False, 3, None, None, rows, (), None, None)
    axis = loss_figure(view).layout.xaxis
    assert axis.dtick == 1 and axis.tickformat == "d"


@pytest.mark.parametrize("page", ["pages/classic.py", "pages/fast.py", "pages/compare.py"])
def test_one_vocabulary_for_sizes_and_colours(page):
    at = open_app(page)
    sliders = [s.label for s in at.slider if "px" in s.label]
    assert sliders == ["Size (longest side, px)"]
    assert "Keep photo colours" in [t.label for t in at.toggle]
    prefix = page.removeprefix("pages/").removesuffix(".py")  # the photo picker's keys
    uploader = at.file_uploader(key=f"{prefix}.content_upload").proto
    assert "GIF" in uploader.help and ".gif" in list(uploader.type)


def test_the_classic_page_estimates_the_time_before_run():
    at = open_app("pages/classic.py")
    assert "Estimated time:" in texts(at.caption)
    at.radio(key="classic.preset").set_value("report").run()
    estimate = next(c.value for c in at.caption if "Estimated time:" in c.value)
    assert " h " in estimate or "min" in estimate  # 1000 Adam iterations at 1080 px


def test_a_painting_has_one_name_on_every_page():
    """The catalog (classic and any-painting pages) and each bundled network's manifest (trained
    networks, compare) name a painting and its artist alike: no "Van Gogh" beside "Vincent
    van Gogh"."""
    from core.fast import registry
    from ui import catalog

    labels = {picture.path.name: picture.label for picture in catalog.paintings()}
    models = registry.bundled_models()
    assert models
    for model in models:
        assert model.label == labels[model.painting], model.name


def test_two_classic_runs_differing_only_in_painting_are_two_pictures():
    """A run with The Starry Night and one with a blend, same photo and settings, both stay
    on the shelf (equal keys made the second replace the first)."""
    alone = shelved_classic_run(painting="styles/starry_night.jpg")
    blend = shelved_classic_run(painting="styles/starry_night.jpg + styles/wave.jpg")
    assert alone.key != blend.key
    assert alone.key == shelved_classic_run(painting="styles/starry_night.jpg").key


def test_fast_pictures_never_push_a_classic_run_off_the_shelf():
    import dataclasses

    from ui import shelf

    run = shelved_classic_run()
    fast = [dataclasses.replace(run, method=shelf.FAST, style=f"net{i}", snapshots=())
            for i in range(shelf.CAPACITY + 10)]
    kept = shelf.trimmed([*fast, run])  # the classic run is the oldest of all
    assert kept[-1] is run and len(kept) == shelf.CAPACITY + 1


def test_two_classic_blends_differing_only_in_weights_are_two_pictures():
    import dataclasses

    blend = shelved_classic_run(painting="styles/starry_night.jpg + styles/wave.jpg")
    assert dataclasses.replace(blend, weights=(1.0, 0.2)).key != \
        dataclasses.replace(blend, weights=(1.0, 1.0)).key


def test_classic_vs_fast_shows_the_newest_run_once_a_link_is_honoured(tiny_models):  # noqa: F811
    import dataclasses

    older = dataclasses.replace(shelved_classic_run(), style="size:64,iterations:2",
                                seconds=30.0)
    at = open_app()
    at.session_state["studio.shelf"] = [older]
    open_compare(at, view="versus", painting="other", classic="size:64,iterations:2")
    assert any(" · classic · 30.0 s · " in c for c in captions_of(at))
    newer = dataclasses.replace(older, style="", seconds=50.0)  # the preset, run since
    at.session_state["studio.shelf"] = [newer, older]
    at.run()
    assert any(" · classic · 50.0 s · " in c for c in captions_of(at))  # not stuck on the link's
    assert at.query_params.get("classic") is None  # "" is the recommended preset: no parameter


def test_the_credits_name_each_painting_as_its_record_does():
    """styles/CREDITS.md against the one record, styles/paintings.json."""
    from core import paintings

    rows = {}
    for line in (ROOT / "styles" / "CREDITS.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith((".jpg", ".png")):
            rows[cells[0]] = cells
    assert set(rows) == set(paintings.bundled())
    for name, record in paintings.bundled().items():
        _, work, artist, year, licence = rows[name]
        assert work.startswith(record.title) and artist.startswith(record.artist), name
        assert year == record.year and licence.startswith(record.licence), name
