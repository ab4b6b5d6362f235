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

from keras import ops

from core.edges import PLAIN_DETAIL, box_mean, dilate, luminance, strong_edges


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
        picture = luminance(picture)
        if pool > 1:
            picture = ops.average_pool(picture, pool, strides=pool, padding="valid")
        centre = picture[:, 1:-1, 1:-1, :]
        return (4.0 * centre - picture[:, :-2, 1:-1, :] - picture[:, 2:, 1:-1, :]
                - picture[:, 1:-1, :-2, :] - picture[:, 1:-1, 2:, :])

    return ops.mean(ops.square(laplacian(image) - laplacian(target)))


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
    plain = 1.0 - dilate(strong_edges(photo), PLAIN_REACH)
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


PATTERN_SHARE = 0.002  # of a picture's spatial frequencies: the strongest, a pattern's peak
PATTERN_DETAIL = 9  # px: fine detail is luminance less its mean over a square this wide
# grey levels (RMS) of fine detail that every picture is taken to have at least: a ripple in
# a crop of less detail than this is too faint to see, and its share is no target
PATTERN_FLOOR = 2.0


def pattern_peak(rgb, share: float = PATTERN_SHARE):
    """Per image of (B, H, W, 3) RGB 0..255 (H and W known when traced): the share of its
    fine detail's power (luminance less its ``PATTERN_DETAIL`` px mean, over the whole
    picture under a Hann window) in the strongest ``share`` of its spatial frequency bins
    (a real picture's come in mirrored pairs), (B,). A painting's strokes spread over many
    frequencies; a regular ripple or hatch, which Gram losses reward in skies, puts its
    power into a few. The power of ``PATTERN_FLOOR`` grey levels of detail counts in the
    total: a crop of barely any detail has a small share, whatever its shape."""
    luma = luminance(rgb)
    detail = (luma - box_mean(luma, PATTERN_DETAIL))[..., 0]
    height, width = detail.shape[1], detail.shape[2]
    if height is None or width is None:
        raise ValueError("pattern_peak needs the picture's height and width when traced")
    window = ops.outer(ops.cast(ops.hanning(height), "float32"),
                       ops.cast(ops.hanning(width), "float32"))
    real, imaginary = ops.fft2((detail * window, ops.zeros_like(detail)))
    power = ops.reshape(ops.square(real) + ops.square(imaginary), (-1, height * width))
    strongest, _ = ops.top_k(power, max(1, round(share * height * width)))
    # Parseval: detail of RMS f under the window has a total power of H W sum(window^2) f^2
    floor = height * width * ops.sum(ops.square(window)) * PATTERN_FLOOR ** 2
    return ops.sum(strongest, axis=1) / (ops.sum(power, axis=1) + floor)


def pattern_loss(image, teacher):
    """How far (B, H, W, 3) ``image``'s ``pattern_peak`` rises above that of the teacher's
    picture of the same photo, squared; a mean over the batch. Only a rise counts: the
    teacher's own peaks are the photo's lines and the painting's."""
    rise = pattern_peak(image) - ops.stop_gradient(pattern_peak(teacher))
    return ops.mean(ops.square(ops.relu(rise)))


CALM_WINDOW = 9  # px: a pixel's calm is how little the luminance varies over this square


def local_spread(rgb):
    """(B, H, W, 3) RGB 0..255 -> (B, H, W, 1): the RMS of the luminance about its mean over
    ``CALM_WINDOW`` px around each pixel (centred first: E[x^2] - E[x]^2 would cancel)."""
    luma = luminance(rgb)
    return ops.sqrt(box_mean(ops.square(luma - box_mean(luma, CALM_WINDOW)), CALM_WINDOW))


def calm_mask(rgb):
    """(B, H, W, 3) RGB 0..255 -> (B, H, W, 1) in 0..1: 1 where the picture is calm (a sky,
    a wall: ``local_spread`` under ``PLAIN_DETAIL``, the level under which the other terms
    take a photo for plain), 0 where it is busy (twice that), a ramp between."""
    return ops.clip(2.0 - local_spread(rgb) / PLAIN_DETAIL, 0.0, 1.0)


# px: a box mean taken twice (a 15 px triangle): the tone beneath strokes. Even, unlike
# core.edges' odd windows (a "same" box of 8 sits half a px off centre, so the smoothed
# tone lies about 1 px down and right), because the bundled networks that use the term were
# trained with it; small next to the window, and the picture and photo shift alike.
RAMP_SMOOTHING = 8
RAMP_FACTOR = 2.0  # times the photo's coarse slope that a calm area's picture may have
RAMP_FLOOR = 1.0  # grey levels a px of coarse slope that any calm area may have


def coarse_slope(rgb):
    """(B, H, W, 3) RGB 0..255 -> (B, H - 1, W - 1, 1): how steeply the luminance, smoothed
    over ``RAMP_SMOOTHING`` px twice, changes from each pixel to the next (grey levels a px)."""
    luma = box_mean(box_mean(luminance(rgb), RAMP_SMOOTHING), RAMP_SMOOTHING)
    down = luma[:, 1:, :-1] - luma[:, :-1, :-1]
    right = luma[:, :-1, 1:] - luma[:, :-1, :-1]
    return ops.sqrt(ops.square(down) + ops.square(right) + 1e-6)


def banding_loss(image, photo, calm=None):
    """Where the photo is calm (``calm``, its ``calm_mask`` when not given): how much
    steeper the picture's tone changes beneath its strokes (``coarse_slope``) than
    ``RAMP_FACTOR`` times the photo's, beyond ``RAMP_FLOOR``, squared; a mean over the calm
    positions. A sky's gentle ramp from deep blue to pale, painted as two tones, meets at a
    seam that drips; spread over the ramp, the same change of tone has no seam (of all the
    ways to make it, the even ramp has the least sum of squared slopes)."""
    calm = (calm_mask(photo) if calm is None else calm)[:, :-1, :-1]
    excess = ops.relu(coarse_slope(image) - RAMP_FACTOR * coarse_slope(photo) - RAMP_FLOOR)
    return ops.sum(ops.square(excess) * calm) / ops.maximum(ops.sum(calm), 1.0)


def guided_style_loss(features: dict, grams: dict, calm_grams: dict, calm, layer_weights):
    """The style loss with the photo's calm areas held to the painting's calm areas: each
    layer's Gram matrix over the calm positions (``calm``, (B, H, W, 1) at the picture's
    size, pooled to the layer's) against ``calm_grams``, over the rest against ``grams``,
    each weighted by the share of positions it covers. One whole-picture Gram asks for the
    painting's mean texture everywhere, and in a plain sky the cheapest texture that
    matches it is a lit ripple; a painting's own calm areas (a sky of plain paper, broad
    bands of colour) ask for what the painter put there."""
    total = 0.0
    for name, weight in layer_weights.items():
        layer = features[name]
        stride = calm.shape[1] // layer.shape[1]
        calm_here = ops.average_pool(calm, stride, strides=stride) if stride > 1 else calm
        channels = float(grams[name].shape[-1])
        for mask, target in ((calm_here, calm_grams[name]), (1.0 - calm_here, grams[name])):
            distance = ops.sum(ops.square(masked_gram(layer, mask) - target))
            total = total + weight * ops.mean(mask) * distance / (4.0 * channels**2)
    return total


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
