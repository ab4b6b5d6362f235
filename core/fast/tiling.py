"""Fast networks on large pictures: overlapping tiles, feathered joins, and every instance
normalisation layer normalising with the moments of the whole picture.

A fast network's instance normalisation layers (``GroupNormalization(groups=-1)`` in the
trained networks, ``ConditionalInstanceNorm`` in Magenta's) normalise each channel by its
mean and variance over the picture. Painted tile by tile, each tile would take its own
moments, and a tile of sky would come out in other colours than a tile of city beside it.
So a picture of more than ``UNTILED_MAX_PIXELS`` is painted in two passes (``paint_tiled``):

1. Statistics: a model whose outputs are the per-channel moments of every normalisation
   layer's input runs on the picture shrunk to ``STATISTICS_SIDE`` px (longest side).
2. Tiles: a copy of the network whose normalisation layers take given moments
   (non-trainable weights, set before each picture) paints overlapping tiles. Each reads
   the receptive field (``receptive_field``: 34 px for the bundled trained networks, 54 for
   the any-painting one, 62 for the 26-style one) and one stride more past the part it
   keeps, so that with the same moments that part is the untiled picture's. Neighbours
   cross-fade over ``FEATHER`` px (cosine ramps, normalised by their sum).

Measured (tests/test_fast_tiles.py, bench/fast_large.py; the 2-core EPYC, shared):

* With the whole picture's moments, tiled (128 px tiles) and untiled paintings of a 400 px
  photo differ by at most 0 grey levels (trained network, float32 or bfloat16) and 1
  (any-painting network; mean 0.00); with each tile's own moments, by up to 148 (mean 16)
  and 117 (mean 10).
* Moments of a shrunk copy are not the picture's own. Painted from them, a photo enlarged
  to 2048 px is 3.1, 6.5 and 3.0 levels from its one-pass painting on average (trained,
  any-painting, 26 styles) with 1024 px moments, 1.5, 3.2 and 1.5 with 1536 px ones; one
  enlarged to 4096 px is 5.9, 10.9 and 5.0 away with 2048 px moments (1024 px: 6.1, 11.6,
  5.3), its mean colour 2-4 levels. Strokes differ, not colours: at 1:1 the two look alike.
  ``STATISTICS_SIDE`` is 2048, the largest picture painted in one pass anyway: the
  nearest moments for the memory (and 2.3 s of 18 at 7680 px).
* At 7680x5120 (bfloat16): peak 3.1 GiB and 18 s (trained; 25 s for the first picture),
  3.1 GiB and 27 s (any painting), 3.4 GiB and 42 s (26 styles, first picture). TensorFlow,
  the network and the photo hold 1.0 GiB before; a tile adds 0.2-0.3 GiB (``TILE_SIDE``); the rest
  is picture-sized arrays (photo, dither noise, painting, its rounding).
  bench/results/fast-large.json; docs/fast-tile-seam.png shows joins at 1:1.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from dataclasses import dataclass

import numpy as np

# Pictures up to this many pixels are painted in one pass, as before tiling: every picture
# of up to 2048 px a side (the old largest size) keeps its one-pass path and its speed. One
# pass at 2048x2048 peaks at 1.5 GiB (trained, any painting) and 2.2 GiB (26 styles), 170-370
# bytes per pixel on top of TensorFlow: 7680x5120 in one pass would take 8-15 GiB.
UNTILED_MAX_PIXELS = 2048 * 2048
# px: the part of the picture a tile keeps. A tile then reads 1136-1192 px a side (overlap:
# 23-35% more pixels than the picture) and takes 0.17-0.31 GiB in bfloat16; 1536 px tiles
# would read 6-9% fewer pixels for 0.2-0.5 GiB more.
TILE_SIDE = 1024
FEATHER = 32  # px: width of the cross-fade at each join between two tiles
STATISTICS_SIDE = 2048  # px: longest side of the copy the moments are measured on
MOMENTS = ("picture", "tile")  # whose moments the tiles normalise with; "tile": for tests


def needs_tiles(height: int, width: int) -> bool:
    """Whether a picture of this size is painted in tiles (else in one pass)."""
    return height * width > UNTILED_MAX_PIXELS


def network_for(network, picture_shape: tuple, reuse_input: bool = False):
    """``network`` itself for a picture of ``picture_shape`` (height, width, ...) that is
    painted in one pass; else a callable that takes the same inputs and paints in tiles
    (``paint_tiled``; ``reuse_input``: it may paint into the picture array it is given)."""
    if not needs_tiles(*picture_shape[:2]):
        return network
    return functools.partial(paint_tiled, network, reuse_input=reuse_input)


def paint_tiled(network, inputs, *, tile: int = TILE_SIDE, feather: int = FEATHER,
                statistics_side: int | None = STATISTICS_SIDE, moments: str = "picture",
                reuse_input: bool = False) -> np.ndarray:
    """``network(inputs)`` painted tile by tile, as a (1, H, W, C) float32 array.

    ``network``: a fast network (a Keras functional model) or ``compiled(network)``;
    ``inputs``: what it takes, one picture (1, H, W, 3) or a list of it and a style vector
    or weights. ``statistics_side``: longest side of the shrunk copy the moments come from
    (None: the picture itself). ``moments="tile"`` normalises every tile with its own
    moments instead, as the unmodified network would (only to show what that costs).
    ``reuse_input``: paint into the picture's own array (a float32 one the caller no longer
    needs), which saves a picture-sized array (0.5 GB at 7680x5120).
    """
    if moments not in MOMENTS:
        raise ValueError(f"moments must be one of {MOMENTS} (got {moments!r})")
    parts = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    picture, extras = np.asarray(parts[0], np.float32), parts[1:]
    if picture.ndim != 4 or picture.shape[0] != 1:
        raise ValueError(f"paint_tiled takes one picture, shape (1, H, W, C); got "
                         f"{picture.shape}")
    reuse = (reuse_input or picture is not parts[0]) and picture.flags.writeable
    tiled = tiled_network(network)
    rows = spans(picture.shape[1], tile, feather, tiled.reach, tiled.alignment)
    columns = spans(picture.shape[2], tile, feather, tiled.reach, tiled.alignment)
    if moments == "tile":
        return _paint_tiles(network, picture, extras, rows, columns, reuse)
    with tiled.lock:  # the moments live in the copy's weights: one picture at a time
        tiled.set_moments(tiled.measure(picture, extras, statistics_side))
        return _paint_tiles(tiled.network, picture, extras, rows, columns, reuse)


def _paint_tiles(run, picture, extras, rows, columns, reuse: bool) -> np.ndarray:
    """Every tile through ``run``, band of tiles by band, into one (1, H, W, C) picture:
    ``picture`` itself when ``reuse`` allows, keeping aside the rows of it that the next
    band still reads once this one is painted over them."""
    painted = None
    kept_until = 0  # rows above are painted
    aside_start, aside = 0, picture[0, :0]  # picture rows painted over but still needed

    def original(start, stop):
        assert start >= aside_start, "a band reads rows painted over and not kept aside"
        if start >= aside_start + len(aside):
            return picture[0, start:stop]
        return np.concatenate([aside[start - aside_start:],
                               picture[0, aside_start + len(aside):stop]])

    for index, row in enumerate(rows):
        band = _paint_band(run, original(row.read_start, row.read_stop), extras, row, columns)
        if painted is None:
            fits = reuse and band.shape[-1] == picture.shape[-1]
            painted = picture if fits else np.zeros((*picture.shape[:3], band.shape[-1]),
                                                    np.float32)
        if painted is picture and index + 1 < len(rows):
            next_start = rows[index + 1].read_start
            aside, aside_start = original(next_start, row.keep_stop).copy(), next_start
        overlap = kept_until - row.keep_start
        painted[0, row.keep_start:kept_until] += band[:overlap]
        painted[0, kept_until:row.keep_stop] = band[overlap:]
        kept_until = row.keep_stop
    return painted


def _paint_band(run, source: np.ndarray, extras: list, row, columns) -> np.ndarray:
    """One band of tiles (``source``: the picture rows ``row`` reads), its kept rows
    weighted and summed: (kept rows, W, C)."""
    band = None
    for column in columns:
        tile = np.ascontiguousarray(source[None, :, column.read_start:column.read_stop])
        out = np.asarray(run([tile, *extras] if extras else tile), np.float32)[0]
        if band is None:
            band = np.zeros((row.keep_stop - row.keep_start, source.shape[1], out.shape[-1]),
                            np.float32)
        kept = out[row.keep_start - row.read_start:row.keep_stop - row.read_start,
                   column.keep_start - column.read_start:column.keep_stop - column.read_start]
        band[:, column.keep_start:column.keep_stop] += (
            kept * row.weights[:, None, None] * column.weights[None, :, None])
    return band


# --------------------------------------------------------------------------- the tile grid


@dataclass(frozen=True)
class Span:
    """One tile's extent along one axis: the rows (or columns) it reads, those it keeps,
    and the weight of each kept one (normalised: the tiles' weights add up to 1 everywhere)."""

    read_start: int
    read_stop: int
    keep_start: int
    keep_stop: int
    weights: np.ndarray


def spans(length: int, tile: int, feather: int, reach: int, alignment: int) -> list[Span]:
    """Tiles along an axis of ``length`` px: about ``tile`` px each, cut at multiples of
    ``alignment`` (the network's largest stride, so that every tile sees the strided grid
    of the whole picture); each keeps ``feather // 2`` px past its cuts and reads at least
    ``reach`` px (the receptive field) past what it keeps, up to the next multiple of
    ``alignment``."""
    half = feather // 2
    context = alignment * math.ceil((reach + half) / alignment)  # read past each cut
    if tile < 2 * feather:
        raise ValueError(f"tile must be at least twice the feather ({2 * feather} px); "
                         f"got {tile}")
    count = max(1, math.ceil(length / tile))
    cuts = [0, *(alignment * round(index * length / count / alignment)
                 for index in range(1, count)), length]
    # A cosine ramp: its mirror image is 1 minus it, so two neighbours add up to 1.
    rising = 0.5 - 0.5 * np.cos(np.pi * (np.arange(2 * half) + 0.5) / (2 * half))
    total = np.zeros(length, np.float32)
    found = []
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        keep_start = max(0, start - half) if start else 0
        keep_stop = min(length, stop + half) if stop < length else length
        weights = np.ones(keep_stop - keep_start, np.float32)
        if start:
            weights[:2 * half] = rising
        if stop < length:
            weights[len(weights) - 2 * half:] = rising[::-1]
        total[keep_start:keep_stop] += weights
        found.append((max(0, start - context), min(length, stop + context), keep_start,
                      keep_stop, weights))
    return [Span(read_start, read_stop, keep_start, keep_stop,
                 weights / total[keep_start:keep_stop])
            for read_start, read_stop, keep_start, keep_stop, weights in found]


def receptive_field(model) -> tuple[int, int]:
    """(radius in input px, largest stride) of a fast network: every convolution reaches
    half its kernel at the scale it runs at (1 before the first stride-2 convolution, 4
    after two), and all of them lie on one path (residual blocks add an identity)."""
    from keras import layers

    reach, scale, largest = 0.0, 1.0, 1
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)):
            reach += (max(layer.kernel_size) - 1) / 2 * max(layer.dilation_rate) * scale
            scale *= max(layer.strides)
        elif isinstance(layer, layers.UpSampling2D):
            scale /= max(layer.size)
        largest = max(largest, int(scale), getattr(layer, "multiple", 1))
    return math.ceil(reach), largest


# --------------------------------------------------------------------------- the networks


class TiledNetwork:
    """What tiling a network needs, built once per network (``tiled_network``).

    ``statistics``: picture -> moments (mean, variance per channel) of the input of each
    instance normalisation layer, in ``names`` order; ``network``: a copy of the network
    whose normalisation layers use the moments ``set_moments`` gave them; ``reach``: px a
    tile reads past the part it keeps; ``alignment``: the multiple its cuts fall on.
    """

    def __init__(self, model):
        import keras

        from core.fast.apply import compiled

        norms = [layer for layer in model.layers if _given_moments_class(layer) is not None]
        self.names = [layer.name for layer in norms]
        recorded = [keras.ops.moments(keras.ops.cast(_normalised(layer), "float32"),
                                      axes=[1, 2]) for layer in norms]
        self.statistics = compiled(keras.Model(
            model.inputs, [moment for pair in recorded for moment in pair],
            name=f"{model.name}_moments"))
        copy = keras.models.clone_model(model, clone_function=_with_given_moments)
        for layer in model.layers:
            if layer.weights:
                given = {variable.name: variable for variable in copy.get_layer(layer.name).weights}
                for variable in layer.weights:
                    given[variable.name].assign(variable.value)
        self.given = [copy.get_layer(name) for name in self.names]
        self.network = compiled(copy)
        radius, self.alignment = receptive_field(model)
        # One stride of slack: nearest upsampling and stride-2 grids shift what a pixel
        # sees by up to a pixel of the coarsest scale.
        self.reach = radius + self.alignment
        self.lock = threading.Lock()

    def measure(self, picture: np.ndarray, extras: list, side: int | None) -> list:
        """[(mean, variance), ...] of every normalisation layer, on ``picture`` shrunk to
        ``side`` px (None, or a smaller picture: as it is)."""
        small = shrunk(picture, side)
        found = self.statistics([small, *extras] if extras else small)
        values = [np.asarray(moment, np.float32)[0] for moment in found]
        return list(zip(values[::2], values[1::2], strict=True))

    def set_moments(self, moments: list) -> None:
        for layer, (mean, variance) in zip(self.given, moments, strict=True):
            layer.given_mean.assign(mean)
            layer.given_variance.assign(variance)


_TILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TILED_LOCK = threading.Lock()


def tiled_network(network) -> TiledNetwork:
    """The ``TiledNetwork`` of a network or of ``compiled(network)``: built on first use
    (about a second), then kept as long as the network lives."""
    from core.fast.apply import Compiled

    model = network.network if isinstance(network, Compiled) else network
    if not getattr(model, "inputs", None):
        raise TypeError(f"tiling needs a Keras functional network (got {type(model).__name__})")
    with _TILED_LOCK:
        if model not in _TILED:
            _TILED[model] = TiledNetwork(model)
        return _TILED[model]


def shrunk(picture: np.ndarray, side: int | None) -> np.ndarray:
    """(1, H, W, C) float picture with its longest side ``side`` px (antialiased).

    Whole blocks are averaged first (numpy, no picture-sized temporary; up to ``block - 1``
    rows and columns at the far edges are left out, which moments do not notice), then the
    smaller copy is resized to the exact size."""
    height, width = picture.shape[1:3]
    if side is None or max(height, width) <= side:
        return picture
    import keras

    block = max(height, width) // side
    if block > 1:
        rows, columns = height // block, width // block
        picture = picture[:, :rows * block, :columns * block].reshape(
            1, rows, block, columns, block, -1).mean(axis=(2, 4), dtype=np.float32)
    scale = side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return np.asarray(keras.ops.image.resize(picture, size, interpolation="bilinear",
                                             antialias=True), np.float32)


def _normalised(layer):
    """The tensor an instance normalisation layer normalises (Magenta's also take the scale
    and shift as inputs)."""
    return layer.input[0] if isinstance(layer.input, (list, tuple)) else layer.input


def _with_given_moments(layer):
    """``clone_model``'s copy of a layer: instance norms become their given-moments kind."""
    kind = _given_moments_class(layer) or type(layer)
    return kind.from_config(layer.get_config())


def _given_moments_class(layer):
    """The given-moments kind of an instance normalisation layer; None for other layers."""
    from keras import layers

    from core.fast.arbitrary.layers import ConditionalInstanceNorm

    instance, conditional = _given_moments_classes()
    if isinstance(layer, ConditionalInstanceNorm):
        return conditional
    if isinstance(layer, layers.GroupNormalization) and layer.groups == layer.input.shape[-1]:
        return instance
    return None


@functools.cache
def _given_moments_classes():
    """(instance norm, conditional instance norm) with given moments; made on first use,
    since their bases import Keras, which this module leaves to the networks."""
    from keras import layers, ops

    from core.fast.arbitrary.layers import ConditionalInstanceNorm

    def add_moments(layer, channels):
        layer.given_mean = layer.add_weight(shape=(channels,), name="given_mean",
                                            initializer="zeros", trainable=False,
                                            autocast=False)
        layer.given_variance = layer.add_weight(shape=(channels,), name="given_variance",
                                                initializer="ones", trainable=False,
                                                autocast=False)

    class GivenMomentsInstanceNorm(layers.GroupNormalization):
        """``GroupNormalization(groups=-1)`` (instance norm) with the moments given, in its
        order of operations, so that given a tile's own moments it paints what it did."""

        def build(self, input_shape):
            super().build(input_shape)
            add_moments(self, input_shape[-1])

        def call(self, inputs):
            scale = ops.rsqrt(self.given_variance + self.epsilon)
            if self.gamma is not None:
                scale = scale * self.gamma
            shift = -self.given_mean * scale
            if self.beta is not None:
                shift = shift + self.beta
            return ops.cast(ops.cast(inputs, "float32") * scale + shift, self.compute_dtype)

    class GivenMomentsConditionalNorm(ConditionalInstanceNorm):
        """``ConditionalInstanceNorm`` with the moments given, in its order of operations
        (its int8 rounding points included)."""

        def build(self, input_shapes):
            super().build(input_shapes)
            add_moments(self, input_shapes[0][-1])

        def call(self, inputs):
            x, gamma, beta = (ops.cast(tensor, "float32") for tensor in inputs)
            gamma, beta = gamma[:, None, None, :], beta[:, None, None, :]
            mean = self._round(self.given_mean, "mean")
            variance = self._round(self._round(self.given_variance, "variance")
                                   + self.epsilon, "variance_epsilon")
            inverse_std = self._round(1.0 / ops.sqrt(variance), "inverse_std")
            multiplier = self._round(inverse_std * gamma, "multiplier")
            shift = self._round(beta - self._round(mean * multiplier, "mean_multiplier"),
                                "shift")
            return ops.cast(self._round(x * multiplier, "scaled") + shift, self.compute_dtype)

    return GivenMomentsInstanceNorm, GivenMomentsConditionalNorm
