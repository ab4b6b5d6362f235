"""The classic objective over tiles (core.classic.tiles) against the one-pass objective, at a
size where both fit: same losses and gradient; and a run that tiles its last scale."""

import numpy as np
import pytest

from core.classic import ClassicConfig, tiles
from tests.conftest import painting

CONFIG = ClassicConfig(size=200, iterations=2, snapshot_every=0, backbone="vgg16-hed",
                       precision="float32", init="content", base_size=None)


def _photo(height, width, seed=0):
    """Smooth gradients with some texture: every tile sees different content."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    noise = np.random.default_rng(seed).normal(0, 12, (height, width, 3))
    picture = np.stack([x * 255 / width, y * 255 / height, 128 + 60 * np.sin(x / 9)], -1)
    return np.clip(picture + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def extractor():
    from core.backbone import feature_extractor, resolve_backbone

    return feature_extractor(resolve_backbone(CONFIG.backbone), CONFIG.loss_layers,
                             CONFIG.pooling, CONFIG.precision)


def test_margin_covers_half_the_receptive_field():
    from core.backbone import resolve_backbone

    names = resolve_backbone("vgg16-hed").layer_names
    # VGG16 to conv5_1: 132 px of receptive field; half of it, rounded up to 16
    assert tiles.tile_margin(names, ("conv5_1",)) == 80
    assert tiles.tile_margin(names, ("conv1_1",)) == 2  # 3 px: 1.5, rounded up to stride 1
    assert tiles.layer_stride("conv4_2") == 8


def test_cores_partition_the_picture():
    grid = tiles.tile_grid(150, 230, core=64, margin=32, align=16)
    covered = np.zeros((150, 230), np.int32)
    for tile in grid:
        top, left, bottom, right = tile.core
        covered[tile.top + top:tile.top + bottom, tile.left + left:tile.left + right] += 1
        assert tile.top % 16 == 0 and tile.left % 16 == 0
    assert (covered == 1).all()
    assert len(grid) == 3 * 4


def test_tiled_objective_equals_the_one_pass_objective(extractor):
    """Losses and gradient over 64 px cores (12 tiles) match one pass within float32
    rounding; a picture whose sides are not multiples of 16 checks the last odd rows."""
    from core.classic.engine import Objective

    content = _photo(150, 200)
    style = painting(96)
    image = np.clip(content.astype(np.float32) + _photo(150, 200, seed=1) * 0.3 - 40, 0, 255)
    whole = Objective(extractor, CONFIG, content, [style], [1.0])
    tiled = tiles.TiledObjective(extractor, CONFIG, content, [style], [1.0], core=64)
    assert len(tiled.tiles) == 12
    for name, gram in whole.style_grams.items():
        np.testing.assert_allclose(tiled.style_grams[name], np.asarray(gram), rtol=2e-3,
                                   atol=1e-3 * float(np.abs(gram).max()))
    expected_losses, expected_gradient = whole(image)
    losses, gradient = tiled(image)
    for term in ("content", "style", "tv"):
        assert getattr(losses, term) == pytest.approx(getattr(expected_losses, term), rel=2e-3)
    scale = float(np.abs(expected_gradient).max())
    assert float(np.abs(gradient - expected_gradient).max()) < 2e-3 * scale
    # the test can fail: a margin too small for conv5_1 changes the deep layers' Grams
    narrow = tiles.TiledObjective(extractor, CONFIG, content, [style], [1.0], core=64,
                                  margin=16)
    exact, cut = tiled.grams(image), narrow.grams(image)
    assert not np.allclose(cut["conv5_1"], exact["conv5_1"], rtol=2e-2)


def test_a_tiled_run_paints_like_a_one_pass_run(monkeypatch):
    """The same two Adam steps from the photo, tiled (forced at this size) and in one pass,
    give the same picture within a grey level."""
    from core.classic import stylize

    content, style = _photo(120, 160), painting(96)
    config = ClassicConfig(**{**CONFIG.to_dict(), "size": 160, "optimizer": "adam",
                              "learning_rate": 4.0})
    one_pass = stylize(content, [style], config)
    monkeypatch.setattr(tiles, "TILE_ABOVE_PIXELS", 100)
    monkeypatch.setattr(tiles, "TILE_CORE", 64)
    tiled = stylize(content, [style], config)
    difference = np.abs(tiled.image.astype(int) - one_pass.image.astype(int))
    assert difference.max() <= 1
    assert tiled.losses.style == pytest.approx(one_pass.losses.style, rel=2e-3)
    assert np.abs(one_pass.image.astype(int) - content.astype(int)).mean() > 1  # it painted
