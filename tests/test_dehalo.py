"""Halos taken out of a fast network's picture (core.fast.apply.dehaloed): the synthetic halo
of tests/test_edges.py, strips against one pass, and the any-painting network's own halo."""

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


def test_tiles_paint_what_one_pass_does(monkeypatch):
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
    monkeypatch.setattr(apply, "dehalo_margin", lambda: 96)  # short of halo_free's reach
    short = apply.dehaloed(photo, painted.copy(), tile=(48, 64))
    assert np.abs(short - whole).max() > 5e-3  # (measured 0.018; 120 px: under 1e-3)


def test_a_picture_beyond_0_to_255_reads_as_no_halo():
    # a trained network's output is not clipped: a block at 300 on a flat 200 is a bright
    # patch, not 100 levels of halo for its neighbours to lose
    photo = np.full((96, 128, 3), 200, np.uint8)
    photo[30:60, 40:80] = 255
    painted = photo.astype(np.float32)
    painted[30:60, 40:80] = 300.0
    freed = apply.dehaloed(photo, painted)
    outside = np.ones(photo.shape[:2], bool)
    outside[30:60, 40:80] = False
    assert np.abs(freed[outside] - 200).max() < 1.0  # unclipped: a rim 11 levels darker
    assert np.abs(freed[~outside] - 255).max() < 1.0


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
    notes = []
    assert picture_recipe.PictureRecipe.from_dict(
        {**recipe.to_dict(), "settings": old}).config(notes).dehalo is False
    assert notes == ["made before fast pictures had their halos taken out: it kept them"]
