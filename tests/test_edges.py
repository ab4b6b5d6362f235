"""What fast networks paint along a photo's strong edges, and the terms that take it out
(core.edges): the glow, halo_free, the teacher term and the sleeve term, on synthetic
edges whose answer is known."""

import numpy as np
import pytest

from core import edges
from tests.conftest import checker_strokes, haloed_teacher


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
    band = np.asarray(edges.edge_ring(edges.strong_edges(photo), edges.SLEEVE_BAND))[..., 0] > 0
    return photo, photo + checker_strokes(96, 96, 12.0), band


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
