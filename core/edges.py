"""What fast networks paint along a photo's strong edges, and the terms that take it out:
a light glow (``edge_glow``, ``glow_loss``), a halo's profile (``halo_free``, which every
fast picture is cleaned with, and the teacher term follows), and a sleeve bare of the
painting's strokes. Small pure functions of (B, H, W, 3) RGB tensors on 0..255
(``keras.ops``), as ``core.losses``, which holds the objective and imports the helpers below.
"""

from __future__ import annotations

from itertools import pairwise

from keras import ops

from core import images

EDGE_STEP = 24.0  # grey levels of luminance between neighbouring pixels: a strong edge
GLOW_NEAR = (3, 12)  # px from a strong edge: the band where fast networks draw their glow
GLOW_FAR = (20, 40)  # px from it: the surroundings the band is compared with
BAND_MIN_PIXELS = 50  # a crop with a smaller band (no flat area along an edge) is skipped


def edge_glow(image, photo, near=GLOW_NEAR, far=GLOW_FAR):
    """Per image of (B, H, W, 3) RGB 0..255 and per channel: how much lighter than its
    surroundings the picture is along the photo's strong edges, beyond what the photo itself
    is there, in grey levels, (B, 3); and the number of band pixels it was measured on, (B,).

    Each pixel ``near`` px from a strong edge (of luminance) is compared with the mean of
    the pixels ``far`` px from any edge around it (within ``far[1]`` px), the photo's pixel
    with the photo's surroundings likewise, and the difference of the two averaged over the
    band. Averaged over a whole band the painting's texture cancels out, and so does a
    painting's own choice of colour for a region (the surroundings take it too); what is
    left is the glow fast networks draw along edges, light or coloured. Only bands with
    surroundings count: inside a thicket of edges there are none.
    """
    photo = ops.cast(photo, "float32")
    image = ops.cast(image, "float32")
    band, usual = _band_and_surroundings(strong_edges(photo), near, far)
    lift = (image - usual(image)) - (photo - usual(photo))
    count = ops.sum(band, axis=(1, 2, 3))
    return ops.sum(lift * band, axis=(1, 2)) / ops.maximum(count, 1.0)[:, None], count


def glow_loss(image, photo):
    """The square of ``edge_glow``'s lift, a mean over a batch and the three channels (crops
    with too small a band count 0).

    A loss on the band's mean, not on each pixel: a per-pixel version (the local tone's
    change from place to place where the photo is flat, tried) smoothed the painting's
    texture away and left the glow. Per channel, not on luminance (tried): on luminance
    alone the light glow gave way to a coloured one.
    """
    lift, count = edge_glow(image, photo)
    return ops.mean(ops.square(lift) * ops.cast(count >= BAND_MIN_PIXELS, "float32")[:, None])


# px from the photo's strong edges: the band where the any-painting network draws its halo
# (of a 256 px training crop, which covers 55-100 % of a photo's short side: 50-90 px of a
# 1080x720 picture)
HALO_BAND = 32
HALO_REACH = 64  # px: how far from a ring the usual colour it is compared with is taken
HALO_TONE_BINS = 8  # bins of the photo's luminance: "pixels of like tone"
# the rings' outer radii, in 32nds of the band: narrow near the edge, where a halo is steep
HALO_RINGS = (1, 3, 6, 10, 15, 21, 27, 32)
HALO_COARSE = 4  # px: the grid the means over a window are taken on


def halo_free(teacher, photo, band: int = HALO_BAND, reach: int = HALO_REACH,
              bins: int = HALO_TONE_BINS):
    """The teacher's (B, H, W, 3) picture of (B, H, W, 3) ``photo`` (both RGB 0..255; one
    trace serves every H and W) with its halos taken out.

    A halo is what the picture does at a given distance from the photo's strong edges, the
    same all along them; the painting's blots and strokes fall anywhere. So each ring of
    ``HALO_RINGS`` within ``band`` px of an edge has its mean colour compared with that of
    the pixels beyond the band, near it (a triangle window of ``reach`` px), and the
    difference, the halo's profile, is taken out of the ring's pixels; everything else
    stays, but for strokes that run along an edge all through the window, which count as
    halo. Both means are per bin of the photo's luminance, among pixels of like tone:
    across an edge a window holds both sides, a dark tower and a light sky. (Taking each
    pixel's tone within the band from its like-toned neighbours beyond it, tried first,
    flattened the painting's blots beside every edge: tests/test_edges.py.)
    """
    teacher = ops.cast(teacher, "float32")
    photo = ops.cast(photo, "float32")
    edges = strong_edges(photo)
    rings, ring_weights, beyond = _halo_rings(edges, band)
    rings_count = len(HALO_RINGS)
    luma = luminance(photo)
    spacing = 255.0 / (bins - 1)
    height, width = ops.shape(teacher)[1:3]
    side = reach // HALO_COARSE // 2 * 2 + 1  # two box passes: a triangle window

    def near(values):
        # means over a window this wide are smooth: they are taken on a grid HALO_COARSE
        # times coarser each way, and only their ratios drawn back up
        values = ops.average_pool(values, HALO_COARSE, strides=HALO_COARSE, padding="same")
        return box_mean(box_mean(values, side), side)

    def per_ring(values):  # (B, h, w, rings * 3) <-> (B, h, w, rings, 3)
        shape = ops.shape(values)
        if len(shape) == 5:
            return ops.reshape(values, (-1, *shape[1:3], rings_count * 3))
        return ops.reshape(values, (-1, *shape[1:3], rings_count, 3))

    halo = ops.zeros_like(teacher)
    for index in range(bins):
        member = ops.relu(1.0 - ops.abs(luma - index * spacing) / spacing)  # a soft bin
        beyond_members = beyond * member
        share = near(beyond_members)
        usual = near(teacher * beyond_members) / ops.maximum(share, 1e-4)
        found = ops.clip(share / 0.03, 0.0, 1.0)  # under 3 % of the window: not trusted
        ring_members = rings * member
        ring_share = near(ring_members)[..., None]  # (B, h, w, rings, 1)
        colour = per_ring(near(per_ring(teacher[..., None, :] * ring_members[..., None])))
        # a ring's profile: its mean colour less the usual, where both were seen (a ring
        # needs a few dozen pixels in the window)
        seen = found[..., None] * ops.clip(ring_share / 0.004, 0.0, 1.0)
        profile = seen * (colour / ops.maximum(ring_share, 1e-4) - usual[..., None, :])
        profile = per_ring(_drawn_up(per_ring(profile), height, width))
        halo = halo + member * ops.sum(ring_weights * profile, axis=3)
    return ops.clip(teacher - halo, 0.0, 255.0)


def _drawn_up(values, height, width):
    """(B, h, w, C) means on the grid of ``near`` -> (B, height, width, C), bilinear with
    half-pixel centres, the ends held: what ``ops.image.resize`` draws when height and width
    are multiples of HALO_COARSE (tests/test_edges.py), but with sizes that need not be
    known when traced, so that one trace serves every picture size."""
    offsets = [(step + 0.5) / HALO_COARSE - 0.5 for step in range(HALO_COARSE)]
    for axis, length in ((1, height), (2, width)):
        count = ops.shape(values)[axis]
        index = ops.arange(count)
        before = ops.take(values, ops.maximum(index - 1, 0), axis=axis)
        after = ops.take(values, ops.minimum(index + 1, count - 1), axis=axis)
        drawn = ops.stack([values + abs(offset) * ((before if offset < 0 else after) - values)
                           for offset in offsets], axis=axis + 1)
        shape = list(ops.shape(values))
        shape[axis] = count * HALO_COARSE
        drawn = ops.reshape(drawn, shape)
        start = (-length % HALO_COARSE) // 2  # "same" pooling padded half the rest before
        values = drawn[:, start:start + length] if axis == 1 else drawn[:, :, start:start + length]
    return values


def _halo_rings(edges, band: int):
    """For (B, H, W, 1) ``edges``: the rings of ``HALO_RINGS`` around them, (B, H, W,
    rings); how much of each ring's profile each pixel takes, (B, H, W, rings, 1), the
    rings' borders softened so that the profile changes from ring to ring as a ramp, not a
    staircase, and the edges' own pixels left as they are; and the pixels beyond the band."""
    reached, radius = [edges], 0
    for fraction in HALO_RINGS:  # each ring from the last: a square grown by r, then by s,
        step = fraction * band // HALO_RINGS[-1] - radius  # is one grown by r + s, and the
        reached.append(dilate(reached[-1], step))  # windows add up to the band, not 8x it
        radius += step
    rings = [outer - inner for inner, outer in pairwise(reached)]
    soft = [edges] + [box_mean(mask, 5) for mask in reached[1:]]
    weights = [(outer - inner) * (1.0 - edges) for inner, outer in pairwise(soft)]
    return (ops.concatenate(rings, axis=-1), ops.concatenate(weights, axis=-1)[..., None],
            1.0 - reached[-1])


def teacher_loss(image, teacher, photo, leave_sleeve: bool = False, leave=None):
    """Mean squared difference (0..255) of (B, H, W, 3) ``image`` from the teacher's
    picture with its halos taken out (``halo_free``), per pixel and channel; with
    ``leave_sleeve`` (the sleeve term on, at any weight), but within ``SLEEVE_BAND`` px of
    the photo's strong edges, which are left to ``sleeve_loss`` (it measures from about
    4 px out: the 2-4 px nearest the edge are held by neither; BENCHMARKS.md); and, given
    ``leave`` ((B, H, W, 1) in 0..1), the less the more it is 1 (the calm areas that the
    calm guide holds to the painting's own).

    Followed pixel by pixel, the teacher's picture holds fine-tuning away from embossing (a
    bright and a dark line along every edge, which the Gram losses drift to) and keeps its
    strokes and colours; with its halos, it taught them too (tried), even when the band
    where it draws them was left out of the mean (BENCHMARKS.md, issue 21). ``halo_free``
    takes out a halo's colour, not the strokes it covered: followed there too, the teacher
    taught a pale sleeve bare of strokes along every edge.
    """
    error = ops.square(ops.cast(image, "float32") - halo_free(teacher, photo))
    if not leave_sleeve and leave is None:
        return ops.mean(error)
    followed = (1.0 - edge_ring(strong_edges(ops.cast(photo, "float32")), SLEEVE_BAND)
                if leave_sleeve else ops.ones_like(error[..., :1]))
    if leave is not None:
        followed = followed * (1.0 - leave)
    return ops.sum(error * followed) / ops.maximum(3.0 * ops.sum(followed), 1.0)


# px from the photo's strong edges: the band where networks that followed the teacher's
# picture painted a sleeve bare of strokes (of a training crop; 5-20 px at 1080 px)
SLEEVE_BAND = (2, 8)
PLAIN_DETAIL = 3.0  # grey levels (RMS) of a photo's own fine detail: under it, plain


def edge_ring(edges, band: tuple[int, int]):
    """(B, H, W, 1): 1 from ``band[0]`` to ``band[1]`` px (a square's) from the pixels
    where (B, H, W, 1) ``edges`` is 1."""
    return dilate(edges, band[1]) - dilate(edges, band[0] - 1)


def edge_texture(image, photo, band=SLEEVE_BAND, far=GLOW_FAR):
    """Per image of (B, H, W, 3) RGB 0..255: the fine texture of the picture within
    ``band`` px of the photo's strong edges as a share of that ``far`` px from them, around
    it (within ``far[1]`` px), (B,); and the number of band pixels it was measured on, (B,).

    Texture: the square of luminance less its 5 x 5 mean, summed over the band. Only where
    the photo is plain (its own such detail under ``PLAIN_DETAIL``), so that neither the
    edge nor the photo's detail fills the band: in practice from about 4 px out, as the
    edge's own step counts as the photo's detail. Each pixel counts ``PLAIN_DETAIL`` squared
    more on both sides, so that a band as flat as its surroundings is alike (not 0 of 0) and
    invisible noise is no target. ``edge_glow``'s partner: it compares a band's mean, this
    its strokes; under 1, a sleeve bare of them runs along the edges.
    """
    image = ops.cast(image, "float32")
    photo = ops.cast(photo, "float32")
    plain = ops.cast(box_mean(_fine_texture(photo), 5) < PLAIN_DETAIL ** 2, "float32")
    measured, usual = _band_and_surroundings(strong_edges(photo), band, far, plain)
    texture = _fine_texture(image)
    count = ops.sum(measured, axis=(1, 2, 3))
    floor = count * PLAIN_DETAIL ** 2
    wanted = ops.sum(usual(texture) * measured, axis=(1, 2, 3)) + floor
    return (ops.sum(texture * measured, axis=(1, 2, 3)) + floor) / ops.maximum(wanted, 1e-3), count


def sleeve_loss(image, photo):
    """How far ``edge_texture``'s share falls short of 1, squared; a mean over a batch
    (crops with too small a band count 0). Only a shortfall counts: strokes up to an edge
    are the painting's, more of them there is not a sleeve."""
    share, count = edge_texture(image, photo)
    counted = ops.cast(count >= BAND_MIN_PIXELS, "float32")
    return ops.mean(ops.square(ops.relu(1.0 - share)) * counted)


def _band_and_surroundings(edges, near, far, where=None):
    """For ``edge_glow`` and ``edge_texture``: the pixels ``near`` px from ``edges`` that
    have surroundings (pixels ``far`` px from them, over 5 % of a window ``far[1]`` px
    around; inside a thicket of edges there are none), and the mean of (B, H, W, C) values
    over those surroundings around each pixel, as a function. Both only ``where`` it is 1,
    if given."""
    surroundings = edge_ring(edges, far)
    band = edge_ring(edges, near)
    if where is not None:
        surroundings, band = surroundings * where, band * where
    window = 2 * far[1] + 1
    share = box_mean(surroundings, window)
    band = band * ops.cast(share > 0.05, "float32")
    share = ops.maximum(share, 1e-3)

    def usual(values):
        return box_mean(values * surroundings, window) / share

    return band, usual


def _fine_texture(rgb):
    luma = luminance(rgb)
    return ops.square(luma - box_mean(luma, 5))


def strong_edges(photo):
    """(B, H, W, 1): 1 where the photo's luminance steps by over ``EDGE_STEP`` to the next
    pixel right or below."""
    luma = luminance(photo)
    step = ops.maximum(
        ops.pad(ops.abs(luma[:, :, 1:] - luma[:, :, :-1]), ((0, 0), (0, 0), (0, 1), (0, 0))),
        ops.pad(ops.abs(luma[:, 1:] - luma[:, :-1]), ((0, 0), (0, 1), (0, 0), (0, 0))))
    return ops.cast(step > EDGE_STEP, "float32")


def luminance(rgb):
    return ops.sum(ops.cast(rgb, "float32") * images.LUMA, axis=-1, keepdims=True)


def dilate(mask, reach: int):
    """1 within ``reach`` px (a square) of a pixel where (B, H, W, 1) ``mask`` is 1."""
    size = 2 * reach + 1
    mask = ops.max_pool(mask, (size, 1), strides=1, padding="same")  # two 1-D passes
    return ops.max_pool(mask, (1, size), strides=1, padding="same")


def box_mean(values, size: int):
    """The mean over a size x size square around each pixel, of the pixels inside the
    picture (TensorFlow's pooling leaves "same" padding out of the mean)."""
    values = ops.average_pool(values, (size, 1), strides=1, padding="same")
    return ops.average_pool(values, (1, size), strides=1, padding="same")
