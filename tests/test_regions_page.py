"""Regions in the app (ui/regions.py): the fast page joins each painting's own picture by the
regions, the classic page's job gets them, a link and a dropped recipe bring them back, and
in a real browser a stroke on the canvas changes them."""

import dataclasses
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from scipy import ndimage

from core import compare, images, picture_recipe, regions
from core.classic import PRESETS
from core.fast.arbitrary import ArbitraryConfig
from core.picture_recipe import PictureRecipe
from tests.apptest_helpers import ROOT, open_app, texts
from ui import regions as regions_ui

CASTLE = ROOT / "examples" / "castle.jpg"
TWO_PAINTINGS = {"fast.any.pick.wave": True, "fast.any.picks_touched": True}


def castle() -> np.ndarray:
    return images.load_image(CASTLE)


# --------------------------------------------------------------------------- the brush


def test_strokes_are_read_by_colour_and_laid_over_the_regions():
    rgba = np.zeros((10, 20, 4), np.uint8)
    rgba[:, :5] = (*regions_ui.PALETTE[1][1], 180)  # the second painting's brush
    rgba[:, 15:] = (*regions_ui.ERASER_RGB, 200)  # the eraser
    rgba[0, 5] = (250, 80, 70, 178)  # a soft edge of the first brush: still the first
    labels = regions_ui.stroke_labels(rgba, 2)
    assert (labels[:, :5] == 1).all() and (labels[:, 15:] == regions_ui.ERASED).all()
    assert labels[0, 5] == 0 and (labels[1:, 5:15] == regions_ui.UNTOUCHED).all()
    base = [np.ones((20, 40), np.float32), np.zeros((20, 40), np.float32)]
    first, second = regions_ui.touched_up(base, labels)
    assert second[:, :8].min() == 1.0 and first[:, :8].max() == 0.0  # painted by brush 2
    assert first[:, 32:].max() == 0.0 and second[:, 32:].max() == 0.0  # erased: the photo
    assert first[5:, 14:26].min() == 1.0  # untouched: as it was


def test_shares_name_each_painting_and_the_photo():
    top = np.zeros((10, 10), np.float32)
    top[:4] = 1
    bottom = np.zeros((10, 10), np.float32)
    bottom[5:] = 1
    assert regions_ui.shares([top, bottom], ["wave", "udnie"]) == \
        "wave 40 % · udnie 50 % · photo 10 %"
    bottom[3:] = 1  # row 3 claimed by both
    assert regions_ui.shares([top, bottom], ["wave", "udnie"]).endswith(
        "(regions overlap on 10 %: blended there)")


# --------------------------------------------------------------------------- the pages


def fast_with_regions(query: dict | None = None, **state):
    at = open_app("pages/fast.py", state={"fast.size": 256, "fast.regions.on": True,
                                          **TWO_PAINTINGS, **state}, query=query)
    assert not at.error, texts(at.error)
    return at


def deep_inside(mask: np.ndarray, margin: int) -> np.ndarray:
    return ndimage.binary_erosion(mask >= 0.5, iterations=margin)


def test_colour_regions_on_the_fast_page_join_each_paintings_own_picture():
    from ui import shelf
    from ui.fast import results as fast_results

    at = fast_with_regions()
    assert at.radio(key="fast.regions.source").value == "colour"
    made = at.session_state[shelf.SHELF][0]
    recipe = picture_recipe.read(made.png)  # the download carries the regions
    photo = castle()
    expected = regions.automatic(photo, 2, "colour")
    assert [ref.bundled_file.stem for ref in recipe.paintings] == ["starry_night", "wave"]
    for carried, mask in zip(recipe.masks, expected, strict=True):
        np.testing.assert_array_equal(carried, mask)
    assert expected[0][: photo.shape[0] // 2].mean() > expected[0][photo.shape[0] // 2:].mean()

    result = images.load_image(made.png)
    height, width = result.shape[:2]
    own = [compare.decode_png(fast_results.painted(
        compare.digest(photo), photo, (fast_results.ANY_PAINTING, (compare.digest(p),), (1.0,)),
        (p,), 256, 1.0, False, ArbitraryConfig.precision)[0])
        for p in (images.load_image(ROOT / "styles" / f"{n}.jpg")
                  for n in ("starry_night", "wave"))]
    for index, mask in enumerate(expected):
        inside = deep_inside(regions.resize_mask(mask, height, width), 12)
        assert inside.sum() > 500
        here = np.abs(result[inside].astype(int) - own[index][inside]).mean()
        other = np.abs(result[inside].astype(int) - own[1 - index][inside]).mean()
        assert here < 1.0 < 20.0 < other, (index, here, other)
    assert re.search(r"Of the picture: starry_night \d+ % · wave \d+ % · photo 0 %",
                     texts(at.caption))


def test_the_share_link_carries_the_regions_and_opens_them_again():
    from ui import shelf

    at = fast_with_regions()
    masks = picture_recipe.read(at.session_state[shelf.SHELF][0].png).masks
    link = next(code.value for code in at.code if "regions=" in code.value)
    params = {name: values[0] for name, values in parse_qs(urlsplit(link).query).items()}
    assert params["photo"] == "castle" and params["paintings"] == "starry_night,wave"
    carried = regions.decode(params["regions"].split("."))
    for mask, back in zip(masks, carried, strict=True):
        small = regions.resize_mask(mask, *back.shape)
        assert max(back.shape) == regions.LINK_SIDE
        assert np.abs(back - small).max() <= 1 / 255 + 1e-6

    again = open_app("pages/fast.py", state={"fast.size": 256}, query=params)
    assert not again.error and not again.warning, texts(again.error) + texts(again.warning)
    assert again.toggle(key="fast.regions.on").value
    assert again.radio(key="fast.regions.source").value == "loaded"
    opened = picture_recipe.read(again.session_state[shelf.SHELF][0].png).masks
    for back, used in zip(carried, opened, strict=True):
        np.testing.assert_allclose(regions.resize_mask(back, *used.shape), used, atol=1 / 255)


def test_a_link_with_unknown_pictures_says_what_it_ignored():
    at = open_app("pages/fast.py", state={"fast.size": 256},
                  query={"photo": "moon", "paintings": "wave,nonesuch", "regions": "@@"})
    assert "photo 'moon' is not one of the example photos" in texts(at.warning)
    assert "'nonesuch' are not bundled" in texts(at.warning)
    assert not at.toggle(key="fast.regions.on").value


def test_refine_takes_the_regions_to_the_classic_job_and_page():
    from ui import common, shelf

    at = fast_with_regions(**{"classic.size": 64, "classic.iterations": 2})
    masks = picture_recipe.read(at.session_state[shelf.SHELF][0].png).masks
    at.button(key="fast.refine").click().run()
    assert not at.exception and not at.error, texts(at.error)
    task = common.engine().get(at.session_state["classic.job_id"]).task
    assert len(task.masks) == 2
    for sent, mask in zip(task.masks, masks, strict=True):
        np.testing.assert_array_equal(sent, mask)
    assert at.toggle(key="classic.regions.on").value
    assert at.radio(key="classic.regions.source").value == "loaded"
    common.engine().get(at.session_state["classic.job_id"]).cancel()


def test_run_on_the_classic_page_submits_the_regions():
    from ui import common

    at = open_app("pages/classic.py", state={
        "classic.size": 64, "classic.iterations": 2, "classic.regions.on": True,
        "classic.pick.wave": True, "classic.picks_touched": True})
    assert not at.error, texts(at.error)
    assert at.radio(key="classic.regions.source").value == "colour"
    at.radio(key="classic.regions.source").set_value("brightness").run()
    at.button(key="classic.run").click().run()
    assert not at.exception and not at.error, texts(at.error)
    job = common.engine().get(at.session_state["classic.job_id"])
    expected = regions.automatic(castle(), 2, "brightness")
    assert job.task.style_names == ("styles/starry_night.jpg", "styles/wave.jpg")
    for sent, mask in zip(job.task.masks, expected, strict=True):
        np.testing.assert_array_equal(sent, mask)
    job.cancel()


def test_uploaded_masks_are_the_regions_and_an_empty_one_is_named():
    at = open_app("pages/classic.py", state={"classic.regions.on": True,
                                             "classic.pick.wave": True,
                                             "classic.picks_touched": True})
    at.radio(key="classic.regions.source").set_value("draw").run()
    assert "Paint each painting's part of the photo with its brush." in texts(at.info)
    assert at.button(key="classic.run").disabled
    at.radio(key="classic.regions.source").set_value("upload").run()
    left = np.zeros((30, 40), np.uint8)
    left[:, :10] = 255
    for name, mask in (("starry_night", left), ("wave", 255 - left)):  # keyed by painting
        at.file_uploader(key=f"classic.regions.upload.{name}").set_value(
            (f"{name}.png", images.encode_png(np.dstack([mask] * 3)), "image/png"))
    at.run()
    assert not at.error, texts(at.error)
    assert "Of the picture: starry_night 25 % · wave 75 % · photo 0 %" in texts(at.caption)
    at.file_uploader(key="classic.regions.upload.wave").set_value(
        ("black.png", images.encode_png(np.zeros((30, 40, 3), np.uint8)), "image/png")).run()
    assert texts(at.error) == ("mask 2 (wave) is empty: it has no white, so its painting "
                               "would be used nowhere")
    assert at.button(key="classic.run").disabled


@pytest.mark.parametrize("page, method, config", [
    ("classic", "classic", dataclasses.replace(PRESETS["recommended"], size=64)),
    ("fast", "arbitrary", ArbitraryConfig(size=256)),
])
def test_a_dropped_recipe_with_regions_turns_them_on(page, method, config):
    """The recipe lists udnie before wave; the page's picker lists wave first: each mask
    must stay with its own painting (a quarter for udnie, the rest for wave)."""
    wave, udnie = (images.load_image(ROOT / "styles" / f"{n}.jpg") for n in ("wave", "udnie"))
    quarter = np.zeros((30, 40), np.float32)
    quarter[:, :10] = 1
    png = PictureRecipe.of(method, config, ["styles/udnie.jpg", "styles/wave.jpg"],
                           [udnie, wave], masks=[quarter, 1 - quarter]).png(castle()[:60, :80])
    at = open_app(f"pages/{page}.py")
    at.file_uploader(key=f"{page}.recipe_drop").set_value(("made.png", png, "image/png")).run()
    assert not at.exception and not at.error, texts(at.error)
    assert "2 regions" in texts(at.info)
    assert at.toggle(key=f"{page}.regions.on").value
    assert at.radio(key=f"{page}.regions.source").value == "loaded"
    loaded = at.session_state[f"{page}.regions.loaded"]
    np.testing.assert_array_equal(loaded["udnie"], quarter)
    assert "Of the picture: wave 75 % · udnie 25 % · photo 0 %" in texts(at.caption)

    empty = PictureRecipe.of(method, config, ["styles/udnie.jpg", "styles/wave.jpg"],
                             [udnie, wave], masks=[quarter, 0 * quarter]).png(castle()[:60, :80])
    at.file_uploader(key=f"{page}.recipe_drop").set_value(("empty.png", empty, "image/png")).run()
    assert "mask 1 (wave) is empty" in texts(at.error)


# --------------------------------------------------------------------------- in a browser


def test_a_stroke_on_the_canvas_gives_that_part_of_the_picture_back_to_the_photo(tmp_path):
    """A real server and Chromium: regions on, then the eraser dragged across the canvas with
    the mouse; the regions' shares, worked out from the session's masks, now give the photo
    a part of the picture (auto regions cover all of it), and still do after a visit to
    another page."""
    from tests.serving import CHROMIUM_ARGS, streamlit_server
    from tests.test_browser import ARTIFACTS, nav_link, require_browser, save_screenshot

    sync_playwright, executable = require_browser()
    shares = re.compile(r"Of the picture: starry_night \d+ % · wave \d+ % · photo (\d+) %")
    with (streamlit_server(tmp_path / "server.log") as (url, _), sync_playwright() as driver):
        browser = driver.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        try:
            page.goto(f"{url}/fast?photo=castle&paintings=starry_night,wave")
            page.get_by_text("A painting per region").click(timeout=120_000)
            caption = page.get_by_text(shares)
            caption.wait_for(timeout=120_000)
            assert shares.search(caption.inner_text()).group(1) == "0"
            page.get_by_text("eraser: keep the photo").click()
            canvas = page.locator('[class*="st-key-fast-regions-canvas"] canvas').last
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2)
            page.mouse.down()
            for step in range(1, 31):
                page.mouse.move(box["x"] + 10 + step * (box["width"] - 20) / 30,
                                box["y"] + box["height"] / 2, steps=2)
            page.mouse.up()
            erased = re.compile(shares.pattern.replace(r"(\d+)", r"([1-9]\d*)"))
            page.get_by_text(erased).wait_for(timeout=120_000)
            for where, heading in (("Home", "Style Studio"), ("Fast", "Fast style transfer")):
                nav_link(page, where).click()  # the strokes stay
                page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
            page.get_by_text(erased).wait_for(timeout=120_000)
        except Exception:
            save_screenshot(page, ARTIFACTS / "regions-failure.png")
            raise
        finally:
            browser.close()


def test_the_regions_source_comes_back_when_the_paintings_allow_it_again():
    at = fast_with_regions()
    at.radio(key="fast.regions.source").set_value("brightness").run()
    at.checkbox(key="fast.any.pick.the_scream").check().run()  # 3 paintings: no bright/dark
    assert at.radio(key="fast.regions.source").value == "colour"
    at.checkbox(key="fast.any.pick.the_scream").uncheck().run()
    assert at.radio(key="fast.regions.source").value == "brightness"
    assert not at.exception and not at.error, texts(at.error)


def test_a_refused_drop_says_so_only_while_the_file_is_there():
    png = PictureRecipe.of("arbitrary", ArbitraryConfig()).png(castle()[:40, :60])
    at = open_app("pages/classic.py")
    at.file_uploader(key="classic.recipe_drop").set_value(("fast.png", png, "image/png")).run()
    assert "painted by the any-painting method: drop it on the Fast page" in texts(at.error)
    at.file_uploader(key="classic.recipe_drop").set_value(None).run()
    assert not texts(at.error)



def test_swapped_automatic_regions_reach_the_job_and_its_result_names_them():
    from ui import common

    at = open_app("pages/classic.py", state={
        "classic.size": 64, "classic.iterations": 2, "classic.regions.on": True,
        "classic.pick.wave": True, "classic.picks_touched": True})
    at.radio(key="classic.regions.source").set_value("brightness").run()
    at.button(key="classic.regions.turn_button").click().run()
    at.button(key="classic.run").click().run()
    assert not at.exception and not at.error, texts(at.error)
    job = common.engine().get(at.session_state["classic.job_id"])
    bright, dark = regions.automatic(castle(), 2, "brightness")
    np.testing.assert_array_equal(job.task.masks[0], dark)  # starry_night: now the dark part
    np.testing.assert_array_equal(job.task.masks[1], bright)
    job.wait(timeout=120)
    at.run()
    share = round(100 * float(np.mean(dark >= 0.5)))
    captions = [image.caption for element in at.get("image") for image in element.proto.imgs]
    assert any("The Starry Night" in caption and f"its region: {share} % of the picture"
               in caption for caption in captions), captions
