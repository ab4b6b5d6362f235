"""The report's loss functions, checked against numpy versions of its formulas."""

import numpy as np
import pytest

from core import losses
from tests.conftest import sky_ramp, two_tones

RNG = np.random.default_rng(7)


def features(height=6, width=5, channels=4):
    return RNG.standard_normal((1, height, width, channels)).astype(np.float32)


def test_gram_is_symmetric_and_positive_semidefinite():
    gram = np.asarray(losses.gram(features()))
    assert gram.shape == (4, 4)
    np.testing.assert_allclose(gram, gram.T, rtol=1e-6)
    assert np.linalg.eigvalsh(gram).min() > -1e-5


def test_gram_is_the_report_gram_divided_by_positions():
    maps = features()
    flat = maps.reshape(-1, 4)
    expected = flat.T @ flat / flat.shape[0]
    np.testing.assert_allclose(np.asarray(losses.gram(maps)), expected, rtol=1e-5)


def test_gram_scales_quadratically_and_ignores_image_size():
    maps = features()
    np.testing.assert_allclose(
        np.asarray(losses.gram(2 * maps)), 4 * np.asarray(losses.gram(maps)), rtol=1e-5
    )
    tiled = np.tile(maps, (1, 2, 3, 1))  # same statistics, six times the positions
    np.testing.assert_allclose(
        np.asarray(losses.gram(tiled)), np.asarray(losses.gram(maps)), rtol=1e-5
    )


def test_gram_of_bfloat16_features_is_float32():
    import tensorflow as tf

    gram = losses.gram(tf.cast(features(), tf.bfloat16))
    assert gram.dtype == tf.float32


def test_content_loss_is_the_report_formula():
    generated, target = features(), features()
    n, m = 4, 6 * 5
    expected = np.sum((generated - target) ** 2) / (4 * n * m)
    assert float(losses.content_loss(generated, target)) == pytest.approx(expected, rel=1e-5)


def test_style_layer_loss_equals_the_report_formula_for_equal_sizes():
    generated, style = features(), features()
    n, m = 4, 6 * 5
    raw = lambda f: f.reshape(-1, n).T @ f.reshape(-1, n)  # noqa: E731 - the report's G
    expected = np.sum((raw(generated) - raw(style)) ** 2) / (4 * n**2 * m**2)
    value = losses.style_layer_loss(generated, losses.gram(style))
    assert float(value) == pytest.approx(expected, rel=1e-4)


def test_style_loss_weights_each_layer():
    maps = {"a": features(), "b": features()}
    targets = {"a": losses.gram(features()), "b": losses.gram(features())}
    a = float(losses.style_layer_loss(maps["a"], targets["a"]))
    b = float(losses.style_layer_loss(maps["b"], targets["b"]))
    total = float(losses.style_loss(maps, targets, {"a": 0.5, "b": 3.0}))
    assert total == pytest.approx(0.5 * a + 3.0 * b, rel=1e-5)


def test_blended_target_normalises_weights():
    first = {"a": np.full((2, 2), 1.0, np.float32)}
    second = {"a": np.full((2, 2), 4.0, np.float32)}
    only_first = losses.blend_grams([first, second], [3.0, 0.0])
    np.testing.assert_allclose(np.asarray(only_first["a"]), first["a"])
    quarter = losses.blend_grams([first, second], [3.0, 1.0])
    np.testing.assert_allclose(np.asarray(quarter["a"]), np.full((2, 2), 1.75))


def test_total_variation_is_zero_on_a_flat_image():
    flat = np.full((1, 8, 8, 3), 117.0, np.float32)
    assert float(losses.total_variation(flat)) == 0.0


def test_total_variation_of_a_checkerboard():
    board = (np.indices((8, 8)).sum(axis=0) % 2).astype(np.float32)
    image = np.repeat(board[None, :, :, None], 3, axis=-1)
    # every neighbour pair differs by 1, in both directions: mean 1 + mean 1
    assert float(losses.total_variation(image)) == pytest.approx(2.0)


def test_batch_gram_is_each_image_s_gram():
    batch = np.concatenate([features(), 3 * features()])
    per_image = np.asarray(losses.batch_gram(batch))
    for index in range(2):
        expected = np.asarray(losses.gram(batch[index:index + 1]))
        np.testing.assert_allclose(per_image[index], expected, rtol=1e-5)


def test_weighted_terms_are_each_loss_times_its_weight():
    image = RNG.uniform(0, 255, (1, 6, 5, 3)).astype(np.float32)
    maps = {"c": features(), "s": features()}
    target, grams = features(), {"s": losses.gram(features())}
    terms = losses.weighted_terms(maps, image, content_layer="c", content_target=target,
                                  style_grams=grams, layer_weights={"s": 2.0},
                                  term_weights=(5.0, 100.0, 0.5))
    expected = [5.0 * float(losses.content_loss(maps["c"], target)),
                100.0 * float(losses.style_loss(maps, grams, {"s": 2.0})),
                0.5 * float(losses.total_variation(image))]
    np.testing.assert_allclose(np.asarray(terms), expected, rtol=1e-6)
    row = losses.Losses.of(terms)
    assert row.total == pytest.approx(sum(expected), rel=1e-6)


def _step_edge(side=32):
    """A grey picture, dark on the left half, light on the right: one straight edge."""
    picture = np.full((1, side, side, 3), 60.0, np.float32)
    picture[:, :, side // 2:] = 200.0
    return picture


def test_laplacian_loss_ignores_texture_finer_than_the_pooling():
    photo = _step_edge()
    # 2x2 light and dark squares (what a painting's fine strokes add): every 4x4 pooling
    # window holds two of each, so the pooled pictures are the photo's
    squares = (np.indices((32, 32)) // 2).sum(axis=0) % 2
    textured = photo + 30.0 * (2.0 * squares - 1.0)[None, :, :, None]
    assert float(losses.laplacian_loss(textured, photo, pool=4)) == pytest.approx(0.0, abs=1e-4)
    assert float(losses.laplacian_loss(textured, photo, pool=1)) > 100.0


def test_laplacian_loss_sees_a_halo_along_an_edge():
    photo = _step_edge()
    haloed = photo.copy()
    haloed[:, :, 8:16] += 40.0  # a light band along the dark side of the edge, 8 px wide
    # pooled by 4, the difference is the columns [0, 0, 40, 40, 0, 0, 0, 0]: its Laplacian
    # is -40, 40, 40, -40, 0, 0 on the six inner columns
    value = float(losses.laplacian_loss(haloed, photo, pool=4))
    assert value == pytest.approx(40.0 ** 2 * 4 / 6, rel=1e-5)
    assert float(losses.laplacian_loss(photo + 25.0, photo, pool=4)) == pytest.approx(
        0.0, abs=1e-6)


def test_laplacian_loss_leaves_colour_to_the_painting():
    photo = _step_edge()
    # the dark half recoloured at the same luminance (red up, green down): per channel this
    # would be an edge with other colours, and a Laplacian loss would pull it back
    recoloured = photo.copy()
    recoloured[:, :, :16] += 60.0 * np.array([0.587, -0.299, 0.0], np.float32)
    assert float(losses.laplacian_loss(recoloured, photo, pool=4)) == pytest.approx(
        0.0, abs=1e-3)
    darker = photo.copy()
    darker[:, :, :16] -= 20.0
    assert float(losses.laplacian_loss(darker, photo, pool=4)) > 10.0


WINDOWS = {"conv1_1": 16, "conv2_1": 8}  # as TrainConfig's: 16 px of the picture at both
PAINTING_ENERGY = {"conv1_1": 2.0, "conv2_1": 2.0}  # what _checker's features have


def _checker(side: int):
    """(1, side, side, 2) features of +-1 in a checkerboard: variance 1 a channel."""
    checker = np.indices((side, side)).sum(axis=0) % 2 * 2.0 - 1.0
    return np.repeat(checker[None, :, :, None], 2, axis=-1).astype(np.float32)


def _bare(features, columns: slice):
    features = features.copy()
    features[:, :, columns] = 0.0
    return features


def test_texture_energy_is_the_features_variance_summed_over_channels():
    rng = np.random.default_rng(0)
    features = rng.normal([0.0, 5.0, -3.0], [1.0, 2.0, 3.0], (1, 64, 64, 3)).astype(np.float32)
    expected = features.reshape(-1, 3).var(axis=0).sum()
    assert float(losses.texture_energy(features)) == pytest.approx(expected, rel=1e-4)
    assert expected == pytest.approx(14.0, rel=0.05)


def test_texture_shortfall_counts_how_far_plain_areas_fall_short_of_the_painting():
    photo = np.full((1, 32, 32, 3), 120.0, np.float32)  # plain everywhere

    def shortfall(features, energy):
        return float(losses.texture_shortfall_loss(features, photo, energy, WINDOWS))

    textured = {"conv1_1": _checker(32), "conv2_1": _checker(16)}
    assert shortfall(textured, PAINTING_ENERGY) == pytest.approx(0.0, abs=1e-6)
    bare = {name: np.zeros_like(values) for name, values in textured.items()}
    assert shortfall(bare, PAINTING_ENERGY) == pytest.approx(1.0)
    richer = {"conv1_1": 4.0, "conv2_1": 4.0}  # half the painting's energy: (1 - 1/2)^2
    assert shortfall(textured, richer) == pytest.approx(0.25, rel=1e-5)
    poorer = {"conv1_1": 1.0, "conv2_1": 1.0}  # more texture than the painting costs nothing
    assert shortfall(textured, poorer) == 0.0
    one_layer = {"conv1_1": _checker(32), "conv2_1": np.zeros((1, 16, 16, 2), np.float32)}
    assert shortfall(one_layer, PAINTING_ENERGY) == pytest.approx(0.5)  # a mean of layers


def test_texture_shortfall_leaves_the_photos_edges_free():
    photo = np.full((1, 32, 32, 3), 200.0, np.float32)
    photo[:, :, 16:] = 40.0  # one strong edge, measured at column 15: columns 12..18 not plain

    def shortfall(features):
        return float(losses.texture_shortfall_loss(features, photo, PAINTING_ENERGY,
                                                   WINDOWS))

    # bare at the edge: conv2_1's positions 6..9 each cover a pixel of it
    assert shortfall({"conv1_1": _bare(_checker(32), slice(12, 19)),
                      "conv2_1": _bare(_checker(16), slice(6, 10))}) == pytest.approx(0.0,
                                                                                        abs=1e-6)
    beside = shortfall({"conv1_1": _bare(_checker(32), slice(0, 8)),  # a bare band beside it
                        "conv2_1": _bare(_checker(16), slice(0, 4))})
    # 8 of a window's 12 plain columns bare (conv2_1: 4 of 6): (1 - 1/3)^2 at 12/25 and
    # 6/12 of the plain positions
    assert beside == pytest.approx((4 / 9 * 12 / 25 + 4 / 9 * 6 / 12) / 2, rel=1e-5)


def test_texture_shortfall_fits_the_loss_networks_rounded_up_sizes():
    # a 33 px crop: the loss network's pooling ("same" padding) gives conv2_1 17 positions
    photo = np.full((1, 33, 33, 3), 120.0, np.float32)
    photo[:, :, 17:] = 20.0  # a strong edge at column 16: columns 13..19 not plain
    textured = {"conv1_1": _bare(_checker(33), slice(13, 20)),
                "conv2_1": _bare(_checker(17), slice(6, 10))}  # positions 6..9 cover them
    assert float(losses.texture_shortfall_loss(textured, photo, PAINTING_ENERGY, WINDOWS)) == (
        pytest.approx(0.0, abs=1e-6))


def striped(size: int, period: float, amplitude: float = 12.0) -> np.ndarray:
    """(1, size, size, 3) grey with a vertical ripple of ``period`` px: a regular pattern."""
    ripple = 128.0 + amplitude * np.sin(2 * np.pi * np.arange(size) / period)
    return np.broadcast_to(ripple[None, None, :, None], (1, size, size, 3)).astype(np.float32)


def test_a_regular_pattern_puts_its_detail_into_a_few_frequencies_and_strokes_do_not():
    rng = np.random.default_rng(0)
    strokes = (128.0 + 12.0 * rng.standard_normal((1, 64, 64, 3))).astype(np.float32)
    ripple = striped(64, 5.0)
    assert float(losses.pattern_peak(ripple)[0]) > 0.7
    assert float(losses.pattern_peak(strokes)[0]) < 0.05
    # the ripple over the same strokes: the peak rises with its share of the detail
    faint, strong = (float(losses.pattern_peak(strokes + striped(64, 5.0, a) - 128.0)[0])
                     for a in (3.0, 12.0))
    assert 0.05 < faint < strong
    # a rise over the teacher's picture costs, squared; a fall is free
    rise = float(losses.pattern_peak(ripple)[0] - losses.pattern_peak(strokes)[0])
    assert float(losses.pattern_loss(ripple, strokes)) == pytest.approx(rise ** 2, rel=1e-5)
    assert float(losses.pattern_loss(strokes, ripple)) == 0.0
    assert float(losses.pattern_loss(ripple, ripple)) == 0.0
    # a ripple too faint to see, on a flat picture, is no pattern to speak of
    assert float(losses.pattern_peak(striped(64, 5.0, 0.05))[0]) < 0.01


def test_calm_is_where_the_luminance_barely_varies():
    rng = np.random.default_rng(1)
    sky = 128.0 + rng.normal(0.0, 2.0, (1, 32, 32, 1))  # a sky, dithered
    strokes = 128.0 + rng.normal(0.0, 30.0, (1, 32, 32, 1))
    pictures = np.concatenate([sky, strokes]).repeat(3, axis=-1).astype(np.float32)
    calm = np.asarray(losses.calm_mask(pictures))
    assert calm.shape == (2, 32, 32, 1)
    assert calm[0].min() > 0.99 and calm[1].max() < 0.01


def test_the_guided_style_loss_holds_calm_areas_to_the_calm_grams_and_the_rest_to_the_whole():
    maps = {"a": features(8, 8, 4), "b": features(4, 4, 3)}
    whole = {name: losses.gram(features(6, 6, f.shape[-1])) for name, f in maps.items()}
    calm_grams = {name: losses.gram(features(6, 6, f.shape[-1])) for name, f in maps.items()}
    weights = {"a": 1.0, "b": 0.5}
    busy, calm = np.zeros((1, 8, 8, 1), np.float32), np.ones((1, 8, 8, 1), np.float32)
    assert float(losses.guided_style_loss(maps, whole, calm_grams, busy, weights)) == (
        pytest.approx(float(losses.style_loss(maps, whole, weights)), rel=1e-5))
    assert float(losses.guided_style_loss(maps, whole, calm_grams, calm, weights)) == (
        pytest.approx(float(losses.style_loss(maps, calm_grams, weights)), rel=1e-5))
    # the top half calm: each half against its own target, weighted by its share
    half = np.concatenate([calm[:, :4], busy[:, 4:]], axis=1)
    expected = sum(
        weight * share * float(losses.style_layer_loss(region, target[name]))
        for name, weight in weights.items()
        for share, region, target in (
            (0.5, maps[name][:, : maps[name].shape[1] // 2], calm_grams),
            (0.5, maps[name][:, maps[name].shape[1] // 2:], whole)))
    assert float(losses.guided_style_loss(maps, whole, calm_grams, half, weights)) == (
        pytest.approx(expected, rel=1e-4))


def test_banding_is_a_seam_where_the_photo_ramps_gently_and_strokes_are_free():
    photo = sky_ramp()
    assert float(losses.banding_loss(photo, photo)) == 0.0
    # the same ramp, steeper (1.8x, in other tones): within RAMP_FACTOR, free...
    assert float(losses.banding_loss(sky_ramp(top=0.0, bottom=255.0), photo)) == 0.0
    # ...but a ramp 5x the photo's slope (2.5 against 0.5 grey levels a px), beyond twice
    # it and the floor of 1; within those, free
    gentle = sky_ramp(top=100.0, bottom=147.5)
    assert float(losses.banding_loss(sky_ramp(top=0.0, bottom=237.5), gentle)) > 0.1
    assert float(losses.banding_loss(sky_ramp(top=0.0, bottom=180.0), gentle)) == 0.0
    # two tones meeting at a seam: the change of tone all in one place
    seam = two_tones(photo)
    banded = float(losses.banding_loss(seam, photo))
    assert banded > 1.0
    # strokes finer than the smoothing, over the photo's own ramp, are the painting's texture
    rng = np.random.default_rng(3)
    dabs = np.kron(rng.normal(0.0, 25.0, (1, 24, 16, 1)), np.ones((1, 4, 4, 3)))
    assert float(losses.banding_loss((photo + dabs).astype(np.float32), photo)) < 0.05 * banded
    # where the photo is busy (no calm), any seam is the photo's business
    busy = (photo + rng.normal(0.0, 40.0, photo.shape)).astype(np.float32)
    assert float(losses.banding_loss(seam, busy)) < 0.01 * banded
