"""Loss functions of Gatys et al. (2016), as normalised in the course report.

Small pure functions of tensors (``keras.ops``, any backend); every size comes from the
tensors themselves. Features may arrive in bfloat16: everything here works in float32.

Departure from the report: ``gram`` divides by M (the number of positions), and the style
loss by 4 N^2 instead of 4 N^2 M^2. With equal image sizes this is exactly the report's
``1/(4 N^2 M^2) * sum((G - A)^2)``; unlike it, it stays meaningful when the style image has a
different size from the output (a style scale), because both Grams are per-position averages.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from keras import ops

from core import images


@dataclass(frozen=True)
class Losses:
    """The objective's terms, each already multiplied by its weight; ``total`` is their sum.

    What classic progress, training progress and a job's loss rows report.
    """

    content: float
    style: float
    tv: float

    @property
    def total(self) -> float:
        return self.content + self.style + self.tv

    @classmethod
    def of(cls, terms) -> Losses:
        """From the three numbers ``weighted_terms`` gives (tensors, arrays or floats)."""
        content, style, tv = (float(term) for term in terms)
        return cls(content, style, tv)


def gram(features):
    """(1, H, W, N) features -> (N, N) Gram matrix F^T F / M, in float32."""
    features = ops.cast(features, "float32")
    return _gram(ops.reshape(features, (-1, ops.shape(features)[-1])))


def batch_gram(features):
    """(B, H, W, N) features -> (B, N, N): one Gram matrix per image, in float32."""
    features = ops.cast(features, "float32")
    shape = ops.shape(features)
    return _gram(ops.reshape(features, (shape[0], -1, shape[-1])))


def _gram(flat):
    """F^T F / M for (..., M, N) float32 features: M positions of N channels.

    ``gram`` hands it one (M, N) matrix and ``batch_gram`` a (B, M, N) stack, so each keeps
    its own matrix product (a batched one rounds differently in the last bits).
    """
    positions = ops.cast(ops.shape(flat)[-2], "float32")
    return ops.matmul(ops.swapaxes(flat, -1, -2), flat) / positions


def content_loss(features, target):
    """The report's content loss: sum((F - P)^2) / (4 N M); a batch's mean over images."""
    features = ops.cast(features, "float32")
    size = ops.cast(ops.size(features), "float32")  # B * N * M: a batch gives the mean per image
    return ops.sum(ops.square(features - ops.cast(target, "float32"))) / (4.0 * size)


def style_layer_loss(features, target_gram):
    """One layer's style loss: sum((G - A)^2) / (4 N^2), G and A per-position Grams.

    For a batch of B images it is the mean over the images (each has its own Gram).
    """
    channels = ops.cast(ops.shape(target_gram)[-1], "float32")
    per_image = ops.sum(ops.square(batch_gram(features) - target_gram), axis=(1, 2))
    return ops.mean(per_image) / (4.0 * channels**2)


def masked_gram(features, mask):
    """(1, H, W, N) features and an (H, W) mask in 0..1 -> the region's (N, N) Gram matrix.

    sum_p m_p F_p^T F_p / sum_p m_p: the mean of the region's positions only, so a region's
    Gram compares with a whole painting's whatever the region's area (neural-style-tf's
    masked Grams, normalised by the area rather than by the picture's size).
    """
    flat = ops.reshape(ops.cast(features, "float32"), (-1, ops.shape(features)[-1]))
    weights = ops.reshape(ops.cast(mask, "float32"), (-1, 1))
    area = ops.maximum(ops.sum(weights), 1e-6)
    return ops.matmul(ops.transpose(flat * weights), flat) / area


def regional_style_loss(features: dict, region_grams: list, region_masks: list,
                        region_weights: list):
    """The style loss of a picture with regions: for each region (its painting's target
    Grams, its mask at each layer's resolution, its layer weights) the distance of the
    region's masked Gram to its painting's, summed.

    The caller folds the region's share of each layer into its layer weights, so that a
    pixel is pushed as hard as in a run without regions.
    """
    total = 0.0
    for grams, masks, weights in zip(region_grams, region_masks, region_weights, strict=True):
        for name, weight in weights.items():
            channels = ops.cast(ops.shape(grams[name])[-1], "float32")
            distance = ops.sum(ops.square(masked_gram(features[name], masks[name]) - grams[name]))
            total = total + weight * distance / (4.0 * channels**2)
    return total


def style_loss(features: dict, target_grams: dict, layer_weights: dict):
    """Weighted sum of per-layer style losses over the layers named in ``layer_weights``."""
    return sum(
        weight * style_layer_loss(features[name], target_grams[name])
        for name, weight in layer_weights.items()
    )


def blend_grams(grams_per_style: list[dict], blend: list[float]) -> dict:
    """Target Grams for several style images at once.

    Minimising sum_k w_k |G - A_k|^2 with sum w_k = 1 has the same gradient as |G - sum_k w_k
    A_k|^2 (they differ by a constant), so a blend of styles is one blended target.
    """
    total = float(sum(blend))
    pairs = list(zip(blend, grams_per_style, strict=True))
    return {name: sum((w / total) * grams[name] for w, grams in pairs) for name in pairs[0][1]}


def total_variation(image):
    """Mean squared difference between neighbouring pixels of a (1, H, W, C) image.

    Not in the report; Johnson et al. (2016) use a TV term to suppress high-frequency noise.
    A mean (not a sum) keeps its weight independent of the image size.
    """
    image = ops.cast(image, "float32")
    down = ops.mean(ops.square(image[:, 1:, :, :] - image[:, :-1, :, :]))
    right = ops.mean(ops.square(image[:, :, 1:, :] - image[:, :, :-1, :]))
    return down + right


def laplacian_loss(image, target, pool: int):
    """Mean squared difference of the two (B, H, W, 3) RGB images' Laplacians of luminance,
    each taken after ``pool`` x ``pool`` average pooling (after Li et al., 2017,
    "Laplacian-steered neural style transfer": their code pools by 4 too, and takes the
    Laplacian of the channels' plain sum).

    A halo along an edge, or shading that embosses a flat area, is a second edge or a curve
    the photo does not have: it shows in the Laplacian of the pooled picture. Strokes finer
    than ``pool`` pixels average out in the pooling, so the painting's fine texture is free;
    and so is its colour: taken per channel (tried), the loss held each edge to the photo's
    colours and left a fringe of them along it wherever the painting recoloured the area.
    """
    def laplacian(picture):
        picture = _luminance(picture)
        if pool > 1:
            picture = ops.average_pool(picture, pool, strides=pool, padding="valid")
        centre = picture[:, 1:-1, 1:-1, :]
        return (4.0 * centre - picture[:, :-2, 1:-1, :] - picture[:, 2:, 1:-1, :]
                - picture[:, 1:-1, :-2, :] - picture[:, 1:-1, 2:, :])

    return ops.mean(ops.square(laplacian(image) - laplacian(target)))


EDGE_STEP = 24.0  # grey levels of luminance between neighbouring pixels: a strong edge
GLOW_NEAR = (3, 12)  # px from a strong edge: the band where fast networks draw their glow
GLOW_FAR = (20, 40)  # px from it: the surroundings the band is compared with
GLOW_MIN_PIXELS = 50  # a crop with a smaller band (no flat area along an edge) is skipped


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
    edges = _strong_edges(photo)
    band = _dilate(edges, near[1]) - _dilate(edges, near[0] - 1)
    surroundings = _dilate(edges, far[1]) - _dilate(edges, far[0] - 1)
    window = 2 * far[1] + 1
    share = _box_mean(surroundings, window)
    band = band * ops.cast(share > 0.05, "float32")
    share = ops.maximum(share, 1e-3)
    lift = ((image - _box_mean(image * surroundings, window) / share)
            - (photo - _box_mean(photo * surroundings, window) / share))
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
    return ops.mean(ops.square(lift) * ops.cast(count >= GLOW_MIN_PIXELS, "float32")[:, None])


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
    flattened the painting's blots beside every edge: tests/test_losses.py.)
    """
    teacher = ops.cast(teacher, "float32")
    photo = ops.cast(photo, "float32")
    edges = _strong_edges(photo)
    rings, ring_weights, beyond = _halo_rings(edges, band)
    rings_count = len(HALO_RINGS)
    luma = _luminance(photo)
    spacing = 255.0 / (bins - 1)
    height, width = ops.shape(teacher)[1:3]
    side = reach // HALO_COARSE // 2 * 2 + 1  # two box passes: a triangle window

    def near(values):
        # means over a window this wide are smooth: they are taken on a grid HALO_COARSE
        # times coarser each way, and only their ratios drawn back up
        values = ops.average_pool(values, HALO_COARSE, strides=HALO_COARSE, padding="same")
        return _box_mean(_box_mean(values, side), side)

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
    are multiples of HALO_COARSE (tests/test_losses.py), but with sizes that need not be
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
        reached.append(_dilate(reached[-1], step))  # windows add up to the band, not 8x it
        radius += step
    rings = [outer - inner for inner, outer in pairwise(reached)]
    soft = [edges] + [_box_mean(mask, 5) for mask in reached[1:]]
    weights = [(outer - inner) * (1.0 - edges) for inner, outer in pairwise(soft)]
    return (ops.concatenate(rings, axis=-1), ops.concatenate(weights, axis=-1)[..., None],
            1.0 - reached[-1])


def teacher_loss(image, teacher, photo):
    """Mean squared difference (0..255) of (B, H, W, 3) ``image`` from the teacher's
    picture with its halos taken out (``halo_free``), per pixel and channel.

    Followed pixel by pixel, the teacher's picture holds fine-tuning away from embossing (a
    bright and a dark line along every edge, which the Gram losses drift to) and keeps its
    strokes and colours; with its halos, it taught them too (tried), even when the band
    where it draws them was left out of the mean (BENCHMARKS.md, issue 21).
    """
    target = halo_free(teacher, photo)
    return ops.mean(ops.square(ops.cast(image, "float32") - target))


PLAIN_REACH = 3  # px: a position is plain when no strong edge of the photo is this near


def texture_energy(features):
    """(1, H, W, N) features -> the painting's texture energy: their variance over all its
    positions, summed over the channels (the trace of their covariance).

    Over the whole painting, not per window: it includes the variation from window to
    window, so a window of the picture meets it only when it is about as varied as the
    painting as a whole. That is the strength Udnie's network was tuned with (weight 100).
    """
    flat = ops.reshape(ops.cast(features, "float32"), (-1, ops.shape(features)[-1]))
    return ops.sum(ops.var(flat, axis=0))


def texture_shortfall_loss(features: dict, photo, painting_energy: dict, windows: dict):
    """Where the photo is plain, per window (``windows``: layer -> its side, in positions of
    that layer): how far the picture's texture energy falls short of the painting's
    (``texture_energy``), as a share of it, squared; a mean over the windows (each
    by its plain share) and the layers.

    The glow term's partner: a network whose painting has coarse blots (Udnie) leaves the
    band along an edge bare of them, and the glow term alone let it match the band by baring
    the surroundings too (flat, banded skies). Only a shortfall counts, so areas textured
    more than the painting are free; and only plain positions, so neither the edges nor the
    photo's own detail fill the quota.
    """
    plain = 1.0 - _dilate(_strong_edges(photo), PLAIN_REACH)
    total = 0.0
    for name, window in windows.items():
        fmap = ops.cast(features[name], "float32")
        # a position of a coarser layer is plain when every pixel under it is; the loss
        # network pools with "same" padding, so an odd side rounds up (33 px: 17 positions)
        factor = round(ops.shape(plain)[1] / ops.shape(fmap)[1])
        mask = (plain if factor == 1 else
                -ops.max_pool(-plain, factor, strides=factor, padding="same"))
        energy, share = _window_energy(fmap, mask, window)
        # (a painting of one flat colour still has some energy: the convolutions' zero padding)
        wanted = ops.maximum(painting_energy[name], 1e-6)
        shortfall = ops.square(ops.relu(1.0 - energy / wanted))
        total = total + ops.sum(shortfall * share) / ops.maximum(ops.sum(share), 1.0)
    return total / len(windows)


def _window_energy(features, mask, window: int):
    """Per window x window tile of (B, H, W, N) features: the variance over its masked
    positions summed over the channels, and its masked share; both (tiles,)."""
    batch, height, width = ops.shape(features)[:3]
    rows, cols = height // window, width // window

    def tiles(values):
        values = values[:, :rows * window, :cols * window]
        values = ops.reshape(values, (batch, rows, window, cols, window, -1))
        values = ops.transpose(values, (0, 1, 3, 2, 4, 5))
        return ops.reshape(values, (batch * rows * cols, window * window, -1))

    values, weights = tiles(features), tiles(mask)
    area = ops.maximum(ops.sum(weights, axis=1), 1.0)  # (tiles, 1)
    mean = ops.sum(values * weights, axis=1, keepdims=True) / area[:, None]
    # centred before squaring: VGG activations run to hundreds, E[x^2] - E[x]^2 would cancel
    energy = ops.sum(ops.square(values - mean) * weights, axis=(1, 2)) / area[:, 0]
    return energy, ops.sum(weights, axis=(1, 2)) / float(window * window)


def _strong_edges(photo):
    """(B, H, W, 1): 1 where the photo's luminance steps by over ``EDGE_STEP`` to the next
    pixel right or below."""
    luma = _luminance(photo)
    step = ops.maximum(
        ops.pad(ops.abs(luma[:, :, 1:] - luma[:, :, :-1]), ((0, 0), (0, 0), (0, 1), (0, 0))),
        ops.pad(ops.abs(luma[:, 1:] - luma[:, :-1]), ((0, 0), (0, 1), (0, 0), (0, 0))))
    return ops.cast(step > EDGE_STEP, "float32")


def _luminance(rgb):
    return ops.sum(ops.cast(rgb, "float32") * images.LUMA, axis=-1, keepdims=True)


def _dilate(mask, reach: int):
    """1 within ``reach`` px (a square) of a pixel where (B, H, W, 1) ``mask`` is 1."""
    size = 2 * reach + 1
    mask = ops.max_pool(mask, (size, 1), strides=1, padding="same")  # two 1-D passes
    return ops.max_pool(mask, (1, size), strides=1, padding="same")


def _box_mean(values, size: int):
    """The mean over a size x size square around each pixel (zeros beyond the border)."""
    values = ops.average_pool(values, (size, 1), strides=1, padding="same")
    return ops.average_pool(values, (1, size), strides=1, padding="same")


def weighted_terms(features: dict, image, *, content_layer: str, content_target,
                   style_grams, layer_weights, term_weights, style_masks=None):
    """The one objective: [content, style, tv] losses times ``term_weights``, a (3,) tensor.

    ``features`` are the loss network's maps of ``image`` (B, H, W, 3), keyed by layer; the
    content loss compares ``features[content_layer]`` with ``content_target``, the style loss
    each layer of ``layer_weights`` with its Gram in ``style_grams``. What is minimised is
    the sum of the three; a batch gives each term's mean over its images.

    With regions (``style_masks``, one image), ``style_grams``, ``layer_weights`` and
    ``style_masks`` are lists with one entry per region: ``regional_style_loss``.
    """
    style = (style_loss(features, style_grams, layer_weights) if style_masks is None else
             regional_style_loss(features, style_grams, style_masks, layer_weights))
    terms = ops.stack([
        content_loss(features[content_layer], content_target),
        style,
        total_variation(image),
    ])
    return terms * ops.convert_to_tensor(term_weights, dtype="float32")
