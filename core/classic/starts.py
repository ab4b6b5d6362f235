"""Where a classic run starts: the photo, noise, the painting, a given image, or the fast
picture (``fast_start``, the recommended preset's default since issue 19)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core import images, regions
from core.machine import default_precision


def load_fast_networks() -> tuple:
    """The any-painting networks (style predictor, transformer) a "fast" start paints with,
    loaded once per process (``core.batch.painting.loaded``: a batch's workers share them)."""
    from core.batch.painting import loaded
    from core.fast import arbitrary

    precision = default_precision()
    return (loaded((arbitrary.PREDICTOR,)),
            loaded((arbitrary.TRANSFORMER, precision, False)))


def fast_start(content: np.ndarray, styles: Sequence[np.ndarray], style_blend: Sequence[float],
               networks: tuple, masks: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """The "fast" start: ``content`` (at the first scale's size) painted in one pass by the
    any-painting network, with the paintings' style vectors blended by ``style_blend`` as the
    run blends their Gram matrices; with ``masks``, each painting alone, joined by region
    (``core.regions.composite``: the photo where no mask reaches). Full strength, no dither,
    halos left in: the optimiser takes it from there, as it was measured against the photo
    start on six photo x painting pairs (BENCHMARKS.md)."""
    from core.fast import arbitrary

    predictor, transformer = networks
    side = min(max(content.shape[:2]), arbitrary.MAX_ARBITRARY_SIDE)  # initial_image resizes
    config = arbitrary.ArbitraryConfig(size=side, dither=0.0, dehalo=False)
    if masks is None:
        return arbitrary.paint_with_paintings(predictor, transformer, content, list(styles),
                                              list(style_blend), config).image
    pictures = [arbitrary.paint_with_paintings(predictor, transformer, content, [style],
                                               None, config).image for style in styles]
    return regions.composite(images.resize_longest(content, side), pictures, masks)


def initial_image(config, content, style, init_image, bgr_mean) -> np.ndarray:
    """The starting pixels (H, W, 3) float32, RGB in 0..255 (may leave it for noise)."""
    height, width = content.shape[:2]
    rng = np.random.default_rng(config.seed)
    noise = rng.uniform(-20, 20, size=content.shape).astype(np.float32)
    mean_rgb = bgr_mean[::-1]
    if config.init == "content":
        return content.astype(np.float32)
    if config.init == "style":
        return images.resize_exact(style, width, height).astype(np.float32)
    if config.init in ("image", "fast"):
        return images.resize_exact(images.to_uint8(init_image), width, height).astype(np.float32)
    if config.init == "noise":
        return mean_rgb + noise
    # The report: 0.7 * noise + 0.3 * content, in the mean-subtracted space.
    return 0.7 * noise + 0.3 * (content - mean_rgb) + mean_rgb
