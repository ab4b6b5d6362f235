"""Every picture carries its recipe: PNG round trips, the CLI's --recipe, the batch's PNGs."""

import dataclasses
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import cli, images, picture_recipe
from core.batch import BatchRecipe, PaintTask
from core.classic import PRESETS
from core.errors import UserError
from core.fast.arbitrary import ArbitraryConfig
from core.picture_recipe import PictureRecipe
from tests.conftest import photo

ROOT = Path(__file__).resolve().parents[1]
WAVE = ROOT / "styles" / "wave.jpg"


def test_a_recipe_survives_the_png_and_finds_the_bundled_painting():
    wave = images.load_image(WAVE)
    config = dataclasses.replace(PRESETS["recommended"], size=64, seed=7, style_weight=50.0)
    recipe = PictureRecipe.of("classic", config, ["styles/wave.jpg"], [wave], mix=None,
                              backbone="vgg16-hed")
    pixels = photo()
    png = recipe.png(pixels)
    np.testing.assert_array_equal(images.load_image(png), pixels)  # the picture is unchanged
    back = picture_recipe.read(png)
    assert back == recipe
    assert back.config() == dataclasses.replace(config, backbone="vgg16-hed")  # as it ran
    assert back.paintings[0].bundled_file == WAVE
    stored = json.loads(Image.open(io.BytesIO(png)).text["style-studio"])
    assert stored["method"] == "classic" and stored["seed"] == 7
    assert stored["paintings"][0]["sha256"] == picture_recipe.painting_sha256(wave)
    assert stored["backbone"] == "vgg16-hed" and stored["version"]


def test_a_classic_recipe_pins_the_network_and_replaces_an_unrecorded_start_image():
    config = dataclasses.replace(PRESETS["recommended"], init="image", backbone="auto")
    recipe = PictureRecipe.of("classic", config, backbone="vgg16-hed")
    notes = []
    again = recipe.config(notes)
    assert again.init == "fast" and again.backbone == "vgg16-hed"
    assert len(notes) == 1 and "fast picture" in notes[0]


@pytest.mark.parametrize("data, message", [
    (images.encode_png(photo()), "holds no recipe"),
    (b"not a picture", "not a PNG the studio wrote"),
    (images.encode_png(photo(), {"style-studio": "{"}), "damaged"),
    (images.encode_png(photo(), {"style-studio": json.dumps({"format": 99})}), "newer studio"),
    (images.encode_png(photo(), {"style-studio": json.dumps(
        {"format": 1, "method": "classic", "settings": {"size": "huge"}})}), "size"),
])
def test_a_picture_without_a_usable_recipe_is_a_one_line_error(data, message):
    with pytest.raises(UserError) as raised:
        picture_recipe.read(data).config()
    assert message in str(raised.value) and "\n" not in str(raised.value)


def run_cli(args, capsys):
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out.strip().splitlines(), captured.err.strip()


@pytest.fixture
def photo_file(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(photo(60, 80)).save(path)
    return path


def test_the_cli_repeats_a_classic_picture_from_its_recipe(photo_file, tmp_path, capsys):
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    code, lines, error = run_cli(
        ["classic", "--content", str(photo_file), "--style", str(WAVE), "--size", "48",
         "--iterations", "3", "--style-weight", "40", "--seed", "9", "--init", "noise",
         "--backbone", "vgg16-hed", "--out", str(first)], capsys)
    assert code == 0, error
    recipe = picture_recipe.read(first)
    assert recipe.settings["style_weight"] == 40 and recipe.settings["seed"] == 9
    assert recipe.paintings[0].name == "wave.jpg" and recipe.backbone == "vgg16-hed"
    # no --style, no settings: all from the recipe (the painting found among the bundled)
    code, lines, error = run_cli(["classic", "--content", str(photo_file), "--recipe",
                                  str(first), "--out", str(again)], capsys)
    assert code == 0, error
    summary = json.loads(lines[-1])
    assert summary["size"] == [48, 36] and summary["iterations"] == 3
    repeated = picture_recipe.read(again)
    assert repeated.settings == recipe.settings
    assert repeated.paintings == recipe.paintings
    difference = np.abs(images.load_image(first).astype(int) - images.load_image(again))
    assert difference.mean() < 1.0  # the same run again (same seed, same start)
    # a flag still overrides the recipe
    code, lines, error = run_cli(["classic", "--content", str(photo_file), "--recipe",
                                  str(first), "--iterations", "1", "--out", str(again)], capsys)
    assert code == 0 and json.loads(lines[-1])["iterations"] == 1


def test_the_cli_repeats_a_fast_mix_exactly(photo_file, tmp_path, capsys):
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    code, _, error = run_cli(
        ["fast", "--content", str(photo_file), "--style-image", str(WAVE), "--style-image",
         str(ROOT / "styles" / "udnie.jpg"), "--mix", "0.25,0.75", "--strength", "0.7",
         "--size", "48", "--out", str(first)], capsys)
    assert code == 0, error
    recipe = picture_recipe.read(first)
    assert recipe.method == "arbitrary" and recipe.mix == (0.25, 0.75)
    assert recipe.config() == ArbitraryConfig(size=48, strength=0.7)
    code, lines, error = run_cli(["fast", "--content", str(photo_file), "--recipe", str(first),
                                  "--out", str(again)], capsys)
    assert code == 0, error
    assert json.loads(lines[-1])["mix"] == [0.25, 0.75]
    np.testing.assert_array_equal(images.load_image(again), images.load_image(first))


def test_a_recipe_whose_painting_is_not_bundled_asks_for_it(photo_file, tmp_path, capsys):
    own = tmp_path / "own.png"
    Image.fromarray(photo(50, 50, shift=40)).save(own)
    first = tmp_path / "first.png"
    code, _, error = run_cli(["fast", "--content", str(photo_file), "--style-image", str(own),
                              "--size", "40", "--out", str(first)], capsys)
    assert code == 0, error
    code, _, error = run_cli(["fast", "--content", str(photo_file), "--recipe", str(first),
                              "--out", str(tmp_path / "again.png")], capsys)
    assert code == 2 and "own.png" in error and "not bundled" in error and "\n" not in error
    code, _, error = run_cli(["classic", "--content", str(photo_file), "--recipe", str(first),
                              "--out", str(tmp_path / "again.png")], capsys)
    assert code == 2 and "python -m core fast" in error


def test_every_batch_picture_carries_the_batch_recipe():
    wave = images.load_image(WAVE)
    recipe = BatchRecipe("arbitrary", paintings=(wave,), painting_names=("styles/wave.jpg",),
                         config=ArbitraryConfig(size=40))
    result = PaintTask(recipe, images.encode_png(photo()), "a.png").run(None, threading.Event())
    carried = picture_recipe.read(result.png)
    assert carried.method == "arbitrary" and carried.config() == ArbitraryConfig(size=40)
    assert carried.paintings[0].bundled_file == WAVE  # hashed before the batch shrank it


# --------------------------------------------------------------------------- the pages

def picked(at, prefix: str) -> list[str]:
    return sorted(box.key.removeprefix(prefix) for box in at.checkbox
                  if box.key.startswith(prefix) and box.value)


def open_page(page: str, state: dict | None = None):
    from tests.apptest_helpers import open_app

    return open_app(page, state=state)


def test_dropping_a_classic_png_sets_the_classic_page_up_again():
    from tests.apptest_helpers import texts

    config = dataclasses.replace(PRESETS["report"], size=320, seed=7)
    wave, udnie = images.load_image(WAVE), images.load_image(ROOT / "styles" / "udnie.jpg")
    png = PictureRecipe.of("classic", config, ["styles/wave.jpg", "styles/udnie.jpg"],
                           [wave, udnie], mix=(2.0, 1.0)).png(photo())
    at = open_page("pages/classic.py")
    at.file_uploader(key="classic.recipe_drop").set_value(("made.png", png, "image/png")).run()
    assert not at.exception and not at.error, texts(at.error)
    assert at.slider(key="classic.size").value == 320
    assert at.number_input(key="classic.seed").value == 7
    assert at.selectbox(key="classic.optimizer").value == "adam"
    assert picked(at, "classic.pick.") == ["udnie", "wave"]
    assert at.slider(key="classic.blend.wave").value == 1.0
    assert at.slider(key="classic.blend.udnie").value == 0.5
    assert "Set up again from made.png" in texts(at.info)
    fast_png = PictureRecipe.of("arbitrary", ArbitraryConfig()).png(photo())
    at.file_uploader(key="classic.recipe_drop").set_value(("f.png", fast_png, "image/png")).run()
    assert "drop it on the Fast page" in texts(at.error)
    at.file_uploader(key="classic.recipe_drop").set_value(
        ("plain.png", images.encode_png(photo()), "image/png")).run()
    assert "plain.png: holds no recipe" in texts(at.error)


def test_dropping_a_fast_png_sets_the_fast_page_up_and_its_picture_carries_the_recipe():
    from tests.apptest_helpers import texts
    from ui import shelf

    wave, udnie = images.load_image(WAVE), images.load_image(ROOT / "styles" / "udnie.jpg")
    config = ArbitraryConfig(size=256, strength=0.6)
    png = PictureRecipe.of("arbitrary", config, ["styles/wave.jpg", "styles/udnie.jpg"],
                           [wave, udnie], mix=(0.5, 1.0)).png(photo())
    at = open_page("pages/fast.py")
    at.file_uploader(key="fast.recipe_drop").set_value(("made.png", png, "image/png")).run()
    assert not at.exception and not at.error, texts(at.error)
    assert at.segmented_control(key="fast.mode").value == "any"
    assert at.slider(key="fast.size").value == 256 and at.slider(key="fast.strength").value == 0.6
    assert picked(at, "fast.any.pick.") == ["udnie", "wave"]
    result = at.session_state[shelf.SHELF][0]
    carried = picture_recipe.read(result.png)
    assert carried.method == "arbitrary" and carried.mix == (0.5, 1.0)
    assert carried.config() == dataclasses.replace(config, precision=carried.config().precision)
    assert [ref.bundled_file.name for ref in carried.paintings] == ["wave.jpg", "udnie.jpg"]


def test_refine_takes_the_fast_picture_into_a_classic_job_that_starts_from_it():
    from tests.apptest_helpers import texts
    from ui import shelf

    at = open_page("pages/fast.py", state={"classic.size": 64, "classic.iterations": 2,
                                           "fast.size": 256})
    fast_picture = images.load_image(at.session_state[shelf.SHELF][0].png)
    at.button(key="fast.refine").click().run()
    assert not at.exception and not at.error, texts(at.error)
    job_id = at.session_state["classic.job_id"]
    from ui import common

    task = common.engine().get(job_id).task
    assert task.config.init == "image" and task.config.size == 64
    np.testing.assert_array_equal(task.init_image, fast_picture)
    assert task.style_names == ("styles/starry_night.jpg",)
    assert picked(at, "classic.pick.") == ["starry_night"]  # the classic page shows the same


def test_refine_under_a_trained_network_paints_with_that_networks_painting():
    from tests.apptest_helpers import texts
    from ui import common, shelf

    at = open_page("pages/fast.py", state={"classic.size": 64, "classic.iterations": 2,
                                           "fast.size": 256, "fast.mode": "trained"})
    assert not at.exception, at.exception
    keys = [button.key for button in at.button if button.key.startswith("fast.refine.")]
    assert keys, "no Refine button under the trained networks' pictures"
    model = keys[0].removeprefix("fast.refine.")
    painted = next(r for r in at.session_state[shelf.SHELF] if r.style == model)
    at.button(key=keys[0]).click().run()
    assert not at.exception and not at.error, texts(at.error)
    task = common.engine().get(at.session_state["classic.job_id"]).task
    assert task.config.init == "image"
    np.testing.assert_array_equal(task.init_image, images.load_image(painted.png))
    manifest = json.loads((ROOT / "styles" / "models" / f"{model}.json").read_text())
    assert task.style_names == (f"styles/{manifest['painting']}",)
    np.testing.assert_array_equal(task.styles[0],
                                  images.load_image(ROOT / "styles" / manifest["painting"]))
