"""The classic objective over tiles, for pictures whose loss network does not fit in memory.

The loss network's activations and their gradients take about 1.4 GiB per megapixel (VGG16
up to conv5_1, BENCHMARKS.md "Print size"): a 4096 px picture would need 16 GiB at once, a
6000 px one 34 GiB. ``TiledObjective`` gives the same losses and gradient
as ``core.classic.engine.Objective`` while the network only ever sees one tile:

* The picture is cut into **cores** that partition it, each grown by a **margin** (half the
  loss network's receptive field, rounded up to the deepest layer's stride) into a tile.
  A feature at a core position depends only on pixels inside its tile, so the network run
  on the tile computes it exactly as on the whole picture (VGG's zero padding at the tile's
  edge never reaches the core). Every tile starts at a multiple of the deepest stride, so the
  pooled grids of the tiles line up with the picture's.
* **Pass 1** sums each style layer's F^T F over every core (Gram matrices are sums over
  positions): the whole picture's Gram, exactly.
* **Pass 2** takes, per tile, the gradient of a surrogate whose gradient is the true one:
  for each style layer <K, F_core^T F_core> / M, with K = dLoss/dGram held constant (from
  pass 1), plus the content loss of the core (local: its target is the photo's core
  features). Each tile's gradient is added into the picture's, margins included: a pixel
  near a core edge gets its share from every tile whose core it influences.
* Total variation is computed on the whole picture (cheap: no network).

Exact up to floating-point summation order: the losses and gradient equal the untiled ones
(tests/test_classic_tiles.py measures the difference at a size where both fit). What is not
exact is float rounding in bfloat16, which differs from the untiled run's by the order of
its sums. The cost: every evaluation runs the network forward twice per tile (pass 1 and
pass 2) over the cores plus their margins.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from core import losses
from core.backbone import FeatureExtractor
from core.classic.config import ClassicConfig
from core.classic.optimisers import Cancelled
from core.losses import Losses

# The side of a tile's core, px. With the margin (80 px a side to conv5_1) a tile is at most
# 928 px square, 0.86 MP: about 1.3 GiB of activations and gradients, so that a 6000 px
# picture's full-size arrays (pixels, gradient, optimiser state, content targets) fit
# beside it within 8 GB.
TILE_CORE = 768
# Pictures above this many pixels are tiled. Up to 1536x1024 (1.6 MP) one pass needs at most
# about 2.4 GiB and is faster than two passes over tiles.
TILE_ABOVE_PIXELS = 1536 * 1024


def needs_tiles(height: int, width: int) -> bool:
    return height * width > TILE_ABOVE_PIXELS


def stage_tiled(height: int, width: int, regions: bool = False) -> bool:
    """Whether a scale of this size runs over tiles: above the threshold, and never with
    regions (their masked Grams are computed in one pass). What the engine, the time
    estimate and the memory estimate all ask."""
    return needs_tiles(height, width) and not regions


def work_ratio(height: int, width: int, layers: tuple[str, ...] = ("conv5_1",),
               regions: bool = False, core: int | None = None) -> float:
    """An evaluation's network work over tiles relative to one pass over the picture: both
    passes over every tile, margins included (pass 1 forward only: about a third of pass
    2's forward and backward). 1.0 where the picture is not tiled."""
    if not stage_tiled(height, width, regions):
        return 1.0
    from core.backbone import layer_names

    margin = tile_margin(layer_names("vgg16-hed"), layers)  # VGG19's margin is the same
    align = max(layer_stride(name) for name in layers)
    grid = tile_grid(height, width, core or TILE_CORE, margin, align)
    area = sum((tile.bottom - tile.top) * (tile.right - tile.left) for tile in grid)
    return 4 / 3 * area / (height * width)


def layer_stride(name: str) -> int:
    """``conv4_2`` -> 8: the pixels per position of a VGG layer (one pooling per block)."""
    return 2 ** (int(name.removeprefix("conv").split("_")[0]) - 1)


def tile_margin(layer_names: tuple[str, ...], layers: tuple[str, ...]) -> int:
    """Half the receptive field of the deepest of ``layers``, rounded up to its stride.

    Counted over VGG's layers in order (``layer_names``, the backbone's): a 3x3 convolution
    widens the field by 2 strides, a 2x2 pooling by 1 and doubles the stride. VGG16 to
    conv5_1: 132 px, margin 80; VGG19: 156 px, margin 80 (both rounded to 16).
    """
    deepest = max(layer_names.index(name) for name in layers)
    field, stride, block = 1, 1, 1
    for name in layer_names[:deepest + 1]:
        if not name.startswith(f"conv{block}_"):
            field, stride, block = field + stride, stride * 2, block + 1
        field += 2 * stride
    align = layer_stride(layer_names[deepest])
    return math.ceil(field / 2 / align) * align


@dataclass(frozen=True)
class Tile:
    """One tile: where it lies in the picture (rows top:bottom, columns left:right) and where
    its core lies within it."""

    top: int
    left: int
    bottom: int
    right: int
    core: tuple[int, int, int, int]  # top, left, bottom, right, relative to the tile

    @property
    def box(self) -> tuple[slice, slice]:
        return slice(self.top, self.bottom), slice(self.left, self.right)


def tile_grid(height: int, width: int, core: int, margin: int, align: int) -> list[Tile]:
    """Tiles whose cores partition a ``height`` x ``width`` picture; core edges (and so tile
    edges) fall on multiples of ``align``."""
    if margin % align:  # a tile starting off the pooling grid would pool other pixels
        raise ValueError(f"the margin ({margin} px) must be a multiple of {align}")
    core = max(align, core - core % align)
    tiles = []
    for core_top in range(0, height, core):
        for core_left in range(0, width, core):
            core_bottom, core_right = min(core_top + core, height), min(core_left + core, width)
            top, left = max(0, core_top - margin), max(0, core_left - margin)
            bottom, right = min(height, core_bottom + margin), min(width, core_right + margin)
            tiles.append(Tile(top, left, bottom, right, (core_top - top, core_left - left,
                                                         core_bottom - top, core_right - left)))
    return tiles


def _core_of(features, core, stride: int):
    """The core's positions of a layer's (1, h, w, n) features: tile pixels top:bottom map to
    positions top/stride : ceil(bottom/stride) (pooling pads the picture's last odd row)."""
    top, left, bottom, right = core[0], core[1], core[2], core[3]
    return features[:, top // stride:-(-bottom // stride), left // stride:-(-right // stride), :]


class TiledObjective:
    """``core.classic.engine.Objective``'s losses and gradient, computed tile by tile.

    One (possibly blended) style target, no regions: a picture with regions is painted in
    one pass.
    """

    def __init__(self, extractor: FeatureExtractor, config: ClassicConfig, content, styles,
                 style_blend, core: int | None = None, margin: int | None = None,
                 cancel=None):
        self.extractor = extractor
        # An evaluation takes minutes at 6000 px: a cancel stops it between two tiles
        # (``Cancelled``), so that it does not hold its memory while the next job starts.
        self.cancel = cancel
        self.content_layer = config.content_layer
        self.layer_weights = dict(config.style_layers)
        self.content_weight, self.style_weight, self.tv_weight = (
            config.content_weight, config.style_weight, config.tv_weight)
        names = extractor.choice.layer_names
        self.margin = tile_margin(names, extractor.layers) if margin is None else margin
        self.align = max(layer_stride(name) for name in extractor.layers)
        self.core = core or TILE_CORE
        self._passes = _compiled_passes(extractor)
        height, width = content.shape[:2]
        self.tiles = tile_grid(height, width, self.core, self.margin, self.align)
        stride = layer_stride(self.content_layer)
        # The photo's features at each core: the content targets (float32; at 6000 px and
        # conv4_2 about 0.7 GB in all).
        self.content_targets = [
            np.asarray(_core_of(self._features(content[tile.box])[self.content_layer],
                                tile.core, stride), dtype=np.float32)
            for tile in self.tiles]
        self.content_size = sum(target.size for target in self.content_targets)
        grams = [self.grams(style) for style in styles]
        self.style_grams = losses.blend_grams(grams, list(style_blend))

    def _features(self, pixels: np.ndarray) -> dict:
        return self.extractor(np.asarray(pixels, dtype=np.float32)[None])

    def grams(self, picture: np.ndarray) -> dict:
        """Each style layer's Gram matrix of a whole picture, summed over its tiles."""
        height, width = picture.shape[:2]
        sums, counts = {}, {}
        for tile in tile_grid(height, width, self.core, self.margin, self.align):
            self._stop_if_cancelled()
            tile_sums, tile_counts = self._passes.gram_sums(
                np.asarray(picture[tile.box], np.float32)[None], np.array(tile.core, np.int32),
                tuple(self.layer_weights))
            for name in self.layer_weights:
                sums[name] = sums.get(name, 0.0) + np.asarray(tile_sums[name], np.float64)
                counts[name] = counts.get(name, 0) + int(tile_counts[name])
        return {name: (sums[name] / counts[name]).astype(np.float32) for name in sums}

    def __call__(self, image: np.ndarray) -> tuple[Losses, np.ndarray]:
        image = np.asarray(image, dtype=np.float32)
        grams = self.grams(image)
        # The style loss and its derivative by each layer's Gram: K = w (G - A) / (2 N^2),
        # the same for every position, so pass 2 can treat it as a constant.
        style_value, slopes = 0.0, {}
        for name, weight in self.layer_weights.items():
            difference = grams[name].astype(np.float64) - self.style_grams[name]
            channels = difference.shape[0]
            style_value += weight * float(np.sum(difference**2)) / (4.0 * channels**2)
            slopes[name] = (self.style_weight * weight * difference
                            / (2.0 * channels**2)).astype(np.float32)
        positions = {name: self._positions(name, image.shape[:2]) for name in self.layer_weights}
        gradient = np.zeros_like(image)
        content_value = 0.0
        content_scale = np.float32(self.content_weight / (4.0 * self.content_size))
        for tile, target in zip(self.tiles, self.content_targets, strict=True):
            self._stop_if_cancelled()
            squared, tile_gradient = self._passes.gradient(
                image[tile.box][None], np.array(tile.core, np.int32), target, slopes,
                {name: np.float32(1.0 / count) for name, count in positions.items()},
                content_scale, self.content_layer)
            content_value += float(squared)
            gradient[tile.box] += np.asarray(tile_gradient[0], dtype=np.float32)
        tv_value = total_variation_into(image, self.tv_weight, gradient)
        terms = Losses(self.content_weight * content_value / (4.0 * self.content_size),
                       self.style_weight * style_value, self.tv_weight * tv_value)
        return terms, gradient

    def _stop_if_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled

    def _positions(self, name: str, shape: tuple[int, int]) -> int:
        stride = layer_stride(name)
        return -(-shape[0] // stride) * -(-shape[1] // stride)


def total_variation_into(image: np.ndarray, weight: float, gradient: np.ndarray,
                         band: int = 256) -> float:
    """``losses.total_variation`` of an (H, W, 3) picture, its gradient times ``weight``
    added into ``gradient``, a band of rows at a time: on the whole picture at once its
    temporaries took 2 GB at 6000 px."""
    height, width = image.shape[:2]
    down_count, right_count = max(1, (height - 1) * width * 3), max(1, height * (width - 1) * 3)
    value = 0.0
    for top in range(0, height, band):
        bottom = min(height, top + band)
        right = image[top:bottom, 1:] - image[top:bottom, :-1]
        value += float(np.sum(np.square(right), dtype=np.float64)) / right_count
        right *= np.float32(2 * weight / right_count)
        gradient[top:bottom, 1:] += right
        gradient[top:bottom, :-1] -= right
        down = image[top + 1:bottom + 1] - image[top:min(bottom, height - 1)]
        value += float(np.sum(np.square(down), dtype=np.float64)) / down_count
        down *= np.float32(2 * weight / down_count)
        gradient[top + 1:bottom + 1] += down
        gradient[top:top + len(down)] -= down
    return value


class _Passes:
    """The traced TensorFlow functions of one extractor (one trace serves every tile size)."""

    def __init__(self, extractor: FeatureExtractor):
        import tensorflow as tf

        def cores(tile, core, names):
            features = extractor(tile)
            return {name: tf.reshape(tf.cast(_core_of(features[name], core, layer_stride(name)),
                                             tf.float32), (-1, features[name].shape[-1]))
                    for name in names}

        @tf.function(reduce_retracing=True)
        def gram_sums(tile, core, names):
            flat = cores(tile, core, names)
            return ({name: tf.matmul(f, f, transpose_a=True) for name, f in flat.items()},
                    {name: tf.shape(f)[0] for name, f in flat.items()})

        @tf.function(reduce_retracing=True)
        def gradient(tile, core, content_target, slopes, inverse_positions, content_scale,
                     content_layer):
            with tf.GradientTape() as tape:
                tape.watch(tile)
                flat = cores(tile, core, (content_layer, *slopes))
                content = tf.reduce_sum(tf.square(
                    tf.reshape(flat[content_layer], tf.shape(content_target)) - content_target))
                surrogate = content_scale * content
                for name, slope in slopes.items():
                    surrogate += inverse_positions[name] * tf.reduce_sum(
                        tf.matmul(flat[name], slope) * flat[name])
            return content, tape.gradient(surrogate, tile)

        self.gram_sums, self.gradient = gram_sums, gradient


@functools.lru_cache(maxsize=8)
def _compiled_passes(extractor: FeatureExtractor) -> _Passes:
    """One set of traced passes per extractor, as ``engine._compiled_step``."""
    return _Passes(extractor)
