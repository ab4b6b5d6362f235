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
