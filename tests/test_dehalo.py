"""Halos taken out of a fast network's picture (core.fast.apply.dehaloed): the synthetic halo
of tests/test_losses.py, strips against one pass, and the any-painting network's own halo."""

from pathlib import Path

import numpy as np
import pytest
from conftest import haloed_teacher

from core import images, picture_recipe
from core.fast import apply, arbitrary

ROOT = Path(__file__).resolve().parents[1]


def test_dehaloing_takes_a_halo_out_and_keeps_the_strokes_and_the_rest():
    photo, haloed, clean = haloed_teacher(rows=64)
    photo = photo[0].astype(np.uint8)
    freed = apply.dehaloed(photo, haloed[0])
    inside = slice(132, 150)  # the halo's stronger part, away from the edge's own pixels
    assert np.abs(haloed[0, :, inside] - clean[0, :, inside]).mean() > 20.0
    assert np.abs(freed[:, inside] - clean[0, :, inside]).mean() < 4.0
    # the +-10 strokes kept as sharp as they were: only the halo found is drawn back up
    assert freed[:, inside].std(axis=1).mean() > 8.0
    assert np.array_equal(freed[:, :80], haloed[0, :, :80])  # far from the edge: as it was
    assert np.array_equal(freed[:, 200:], haloed[0, :, 200:])
    assert freed.dtype == np.float32 and freed.min() >= 0 and freed.max() <= 255


def test_tiles_paint_what_one_pass_does():
    import cv2

    photo = np.full((312, 240, 3), 200, np.uint8)  # a light sky with dark posts and a beam
    for left in (30, 120, 190):
        photo[40:, left:left + 16] = 40
    photo[150:160] = 40
    dark = (photo[..., 0] < 100).astype(np.uint8)
    distance = cv2.distanceTransform(1 - dark, cv2.DIST_L2, 5)
    halo = np.where(dark == 0, 40.0 * np.exp(-distance / 8.0), 0.0)  # light, along every edge
    strokes = np.random.default_rng(0).normal(0.0, 10.0, photo.shape)
    painted = (photo * 0.7 + strokes + halo[..., None]).astype(np.float32)
    whole = apply.dehaloed(photo, painted)  # 312 x 240: one pass
    assert np.abs(whole - painted).mean() > 1.5  # a halo taken out (measured 2.6)
    for tile in ((48, 64), (48, 240), (320, 40)):  # tiles, strips of rows, of columns
        tiled = apply.dehaloed(photo, painted.copy(), tile=tile)  # margins of 120
        assert np.abs(tiled - whole).max() < 1e-3
    with pytest.raises(ValueError, match="multiples of 8"):
        apply.dehaloed(photo, painted, tile=(50, 64))


@pytest.fixture(scope="module")
def predictor():
    return arbitrary.load_style_predictor()


@pytest.fixture(scope="module")
def transformer():
    return arbitrary.load_arbitrary_transformer("float32")


def tower(height=192, width=256) -> np.ndarray:
    """A dark tower in a smooth light sky: the any-painting network's halo case."""
    photo = np.empty((height, width, 3), np.uint8)
    photo[:] = (150, 190, 230)
    photo[40:, 112:144] = (60, 50, 45)
    return photo


def test_the_any_painting_network_paints_a_tower_without_its_glow(predictor, transformer):
    starry = images.resize_longest(images.load_image(ROOT / "styles" / "starry_night.jpg"), 96)
    photo = tower()
    pictures = {dehalo: arbitrary.paint_with_paintings(
        predictor, transformer, photo, [starry],
        config=arbitrary.ArbitraryConfig(size=None, precision="float32", dehalo=dehalo)).image
        for dehalo in (False, True)}
    # the sky 2-16 px left of the tower against the sky beyond 48 px: the network's glow
    lift = {dehalo: (picture[60:, 96:110].mean() - picture[60:, :64].mean())
            for dehalo, picture in pictures.items()}
    assert lift[False] > 30.0  # grey levels (measured 55)
    assert abs(lift[True]) < 0.35 * lift[False]  # (measured 10)
    far = (slice(None), slice(0, 40))  # the sky beyond the band, strokes and all
    assert np.abs(pictures[True][far].astype(int) - pictures[False][far]).mean() < 1.0


def test_a_recipe_from_before_dehaloing_paints_with_its_halos():
    config = arbitrary.ArbitraryConfig(size=512)
    recipe = picture_recipe.PictureRecipe.of("arbitrary", config)
    assert recipe.config().dehalo is True
    old = dict(recipe.settings)
    del old["dehalo"]
    assert picture_recipe.PictureRecipe.from_dict(
        {**recipe.to_dict(), "settings": old}).config().dehalo is False
