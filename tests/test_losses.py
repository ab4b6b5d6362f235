"""The report's loss functions, checked against numpy versions of its formulas."""

import numpy as np
import pytest

from core import edges, losses
from tests.conftest import haloed_teacher

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


def _tower(side=128):
    """A light sky with a dark tower down the middle: two straight edges, flat around."""
    picture = np.full((1, side, side, 3), 180.0, np.float32)
    picture[:, :, side // 2 - 2:side // 2 + 2] = 20.0
    return picture


def test_edge_glow_measures_a_light_band_along_an_edge():
    photo = _tower()
    # the tower is columns 62..65; its edges are measured at 61 and 65 (a step is put at its
    # left pixel), so the band 3..12 px away is columns 49..58 and 68..77
    haloed = photo.copy()
    haloed[:, :, 49:59] += 30.0
    haloed[:, :, 68:78] += 30.0
    lift, count = edges.edge_glow(haloed, photo)
    assert float(count[0]) == 128 * 2 * 10
    np.testing.assert_allclose(lift[0], [30.0, 30.0, 30.0], rtol=1e-4)
    assert float(edges.glow_loss(haloed, photo)) == pytest.approx(30.0 ** 2, rel=1e-4)
    narrow = photo.copy()
    narrow[:, :, 54:59] += 30.0  # half as wide: half the lift
    assert float(edges.edge_glow(narrow, photo)[0][0, 1]) == pytest.approx(7.5, rel=1e-4)
    tinted = photo.copy()
    tinted[:, :, 49:59, 2] += 30.0  # a blue glow on one side only, no lighter in red or green
    np.testing.assert_allclose(edges.edge_glow(tinted, photo)[0][0], [0.0, 0.0, 15.0],
                               atol=1e-4)
    assert float(edges.glow_loss(tinted, photo)) == pytest.approx(15.0 ** 2 / 3, rel=1e-4)


def test_edge_glow_leaves_the_painting_its_texture_its_tones_and_the_photo_its_own_band():
    photo = _tower()
    rng = np.random.default_rng(0)
    textured = photo + rng.normal(0.0, 30.0, photo.shape).astype(np.float32)
    assert np.abs(edges.edge_glow(textured, photo)[0]).max() < 2.0  # of a glow of 30
    retoned = photo.copy()
    retoned[:, :, :62] -= 60.0  # the left sky painted darker as a whole: no glow
    assert float(edges.glow_loss(retoned, photo)) == pytest.approx(0.0, abs=1e-6)
    lit = photo.copy()
    lit[:, :, 52:62] += 30.0  # a band the photo has itself (a lit wall, say)
    assert float(edges.glow_loss(lit, lit)) == pytest.approx(0.0, abs=1e-6)


def test_a_crop_without_flat_surroundings_has_no_glow_to_measure():
    stripes = np.zeros((1, 64, 64, 3), np.float32)
    stripes[:, :, ::8] = 250.0  # edges every 8 px: no pixel is 20 px from one
    _, count = edges.edge_glow(stripes, stripes)
    assert float(count[0]) == 0.0
    assert float(edges.glow_loss(stripes + 40.0, stripes)) == 0.0


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


def test_halo_free_takes_the_halo_out_and_keeps_the_strokes():
    photo, haloed, clean = haloed_teacher()
    freed = np.asarray(edges.halo_free(haloed, photo))
    inside = slice(132, 150)  # the halo's stronger part, away from the edge's own pixels
    assert np.abs(haloed[:, :, inside] - clean[:, :, inside]).mean() > 20.0
    assert np.abs(freed[:, :, inside] - clean[:, :, inside]).mean() < 3.0
    # the strokes kept: the +-10 pattern, not smoothed to the tone
    assert freed[:, :, inside].std(axis=2).mean() > 8.0
    # the dark side, which has no halo, and everything beyond the band, as they were
    assert np.abs(freed[:, :, 100:123] - haloed[:, :, 100:123]).mean() < 3.0
    assert np.array_equal(freed[:, :, :90], haloed[:, :, :90])
    assert np.array_equal(freed[:, :, 166:], haloed[:, :, 166:])


def test_halo_free_keeps_the_paintings_blots_beside_the_edge():
    photo, haloed, clean = haloed_teacher(rows=128)
    # a halo of its own colour in each channel: lighter, half as light, darker
    haloed = clean + (haloed - clean) * np.array([1.0, 0.5, -0.5], np.float32)
    # blots of 8 px, +-15 levels at random, on both sides and in the halo's band: the
    # painting's, found anywhere, not a profile along the edge
    blots = np.random.default_rng(0).choice([-15.0, 15.0], size=(16, 32))
    blots = np.kron(blots, np.ones((8, 8)))[None, :, :, None]
    freed = np.asarray(edges.halo_free(haloed + blots, photo))
    inside = slice(132, 150)
    left = (freed - clean)[:, :, inside]
    blots = np.broadcast_to(blots[:, :, inside], left.shape)
    assert np.abs(left - blots).mean() < 5.0  # the halo out: it was 16 on average
    # the blots in: the rings' means along the edge take only a little of them (with the
    # halo left in, 0.69)
    assert np.corrcoef(left.ravel(), blots.ravel())[0, 1] > 0.95


def test_the_teacher_loss_follows_the_teacher_without_its_halo():
    photo, haloed, clean = haloed_teacher()
    # a picture with the teacher's halo costs; one without it hardly
    with_halo = float(edges.teacher_loss(haloed, haloed, photo))
    without = float(edges.teacher_loss(clean, haloed, photo))
    assert with_halo > 50 * without
    # beyond the band it is the plain mean squared difference
    shifted = haloed.copy()
    shifted[:, :, 200:] += 10.0
    assert float(edges.teacher_loss(shifted, haloed, photo)) - with_halo == pytest.approx(
        100.0 * 56 / 256, rel=1e-3)


def test_halos_are_drawn_up_as_a_resize_would_and_one_trace_serves_every_size():
    import tensorflow as tf
    from keras import ops

    values = np.random.default_rng(0).normal(size=(2, 16, 24, 5)).astype(np.float32)
    # on the training crops' sizes (multiples of the coarse grid): a bilinear resize
    drawn = np.asarray(edges._drawn_up(values, 64, 96))
    resized = np.asarray(ops.image.resize(values, (64, 96), interpolation="bilinear"))
    assert np.abs(drawn - resized).max() < 1e-5
    spec = tf.TensorSpec((1, None, None, 3), tf.float32)
    traced = tf.function(edges.halo_free, input_signature=(spec, spec))
    photo, haloed, _ = haloed_teacher()
    for rows, columns in ((48, 256), (45, 250), (33, 199)):  # the last two: not multiples of 4
        shown = (haloed[:, :rows, :columns], photo[:, :rows, :columns])
        eager = np.asarray(edges.halo_free(*shown))
        assert np.abs(traced(*shown).numpy() - eager).max() < 1e-3
        assert np.abs(eager - shown[0]).mean() > 1.0  # a halo was found and taken out
    assert traced.experimental_get_tracing_count() == 1


def sleeve_scene():
    """A plain light wall with a dark post (strong edges at columns 45 and 49), its picture
    with strokes (a fine checker of +-12) everywhere, and the sleeve band's pixels."""
    photo = np.full((1, 96, 96, 3), 170.0, np.float32)
    photo[:, :, 46:50] = 30.0
    rows, cols = np.meshgrid(np.arange(96), np.arange(96), indexing="ij")
    strokes = np.where((rows // 2 + cols // 2) % 2 == 0, 12.0, -12.0)[None, :, :, None]
    band = np.asarray(edges.sleeve_band(photo))[..., 0] > 0
    return photo, photo + strokes, band


def test_the_sleeve_term_finds_a_band_bare_of_strokes_along_an_edge():
    photo, painted, band = sleeve_scene()
    # 2-8 px from the edges' pixels (45 and 49): beside the post, and its middle column
    assert np.flatnonzero(band[0, 0]).tolist() == [*range(37, 44), 47, *range(51, 58)]
    assert float(edges.sleeve_loss(painted, photo)) == pytest.approx(0.0, abs=1e-3)
    bare = painted.copy()
    bare[band] = photo[band]  # a pale sleeve: the band painted plain
    assert float(edges.sleeve_loss(bare, photo)) > 0.8  # a shortfall of nearly all, squared
    half = painted.copy()
    half[band] = photo[band] + 0.5 * (painted - photo)[band]  # strokes at half strength
    # a quarter of the strokes' energy (0.75 short, squared, but for the 3 grey levels
    # each side counts more)
    assert float(edges.sleeve_loss(half, photo)) == pytest.approx(0.5, abs=0.05)
    busier = painted.copy()
    busier[band] = photo[band] + 2.0 * (painted - photo)[band]
    assert float(edges.sleeve_loss(busier, photo)) == 0.0  # only a shortfall counts
    # where the photo has such detail of its own, nothing is measured: it fills no band
    assert float(edges.sleeve_loss(photo, painted)) == 0.0
    # a band as flat as its surroundings is no sleeve, nor one barer than invisible noise
    assert float(edges.sleeve_loss(photo, photo)) == 0.0
    noise = np.random.default_rng(0).normal(0.0, 0.5, photo.shape).astype(np.float32)
    noise[band] = 0.0
    assert float(edges.sleeve_loss(photo + noise, photo)) < 1e-3


def test_the_teacher_term_can_leave_the_sleeve_band_to_the_sleeve_term():
    photo, painted, band = sleeve_scene()
    moved = painted.copy()
    moved[band] += 30.0  # the picture leaves the teacher's only in the band
    left = [float(edges.teacher_loss(picture, painted, photo, leave_sleeve=True))
            for picture in (painted, moved)]
    assert left[1] == pytest.approx(left[0], abs=1e-3)
    followed = [float(edges.teacher_loss(picture, painted, photo)) for picture in (painted, moved)]
    assert followed[1] - followed[0] > 0.9 * 900.0 * band.mean()
