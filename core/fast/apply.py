"""Running a fast network: one traced graph per network (``compiled``, ``warm_up``), painting a
photo with a trained style network (one pass, then strength and colours), and ``FastResult``,
the one timed result of every fast network (trained, any-painting, 26-style)."""

from __future__ import annotations

import functools
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from core import images
from core.backbone import PRECISIONS
from core.fast import tiling
from core.validate import require_between, require_choice, validate_size

# Above core.fast.tiling.UNTILED_MAX_PIXELS (2048 x 2048) a picture is painted in tiles:
# 7680x5120 peaks at 3.1 GiB (bench/results/fast-large.json).
MAX_FAST_SIDE = 8192


@dataclass(frozen=True)
class FastConfig:
    """Settings of one fast stylisation; the defaults are what the app starts with."""

    size: int | None = 1080  # longest side of the output; None keeps the photo's size
    strength: float = 1.0  # 0: the photo, 1: the network's painting; linear blend between
    preserve_colors: bool = False  # keep the photo's colours, take the painting's strokes
    precision: str = "bfloat16"  # same picture (0.25 levels apart on average), 1.6x faster
    # Grey levels of seeded noise added to the debanded photo before the pass, as in
    # training (core.fast.train): without both a network draws a smooth sky's 8-bit banding
    # as streaks (``dithered``); 0: the photo as it is.
    dither: float = 2.0
    # Take out the band of colour a network paints along the photo's strong edges
    # (``dehaloed``): 0.1 s at 1080x720.
    dehalo: bool = True

    def __post_init__(self):
        if self.size is not None:  # "1080" from a settings file becomes 1080
            object.__setattr__(self, "size", validate_size(self.size, max_side=MAX_FAST_SIDE))
        check_strength(self.strength)
        require_choice("precision", self.precision, PRECISIONS)
        require_between("dither", self.dither, 0, 32)


def check_strength(strength: float) -> float:
    return require_between("strength", strength, 0, 1)


def compiled(network):
    """The network as one traced TensorFlow graph for every batch and image size (about 1.5x
    faster than eager calls on a CPU), or as is under other backends.

    The graph is traced once, on the first call (or by ``warm_up``), with None for batch,
    height and width in every input, so no later size traces again. Called like the network:
    one array, or a list of arrays for the networks with a second input (style vector,
    style weights); numbers are cast to the inputs' dtype.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return network
    return Compiled(network)


class Compiled:
    """A Keras functional network behind one ``tf.function`` with a shape-free signature.

    ``function`` is the ``tf.function`` (``function.experimental_get_tracing_count()`` stays 1
    after the first call); ``network`` the Keras model, ``specs`` its inputs.
    """

    def __init__(self, network):
        import tensorflow as tf

        inputs = getattr(network, "inputs", None)
        if not inputs:
            raise TypeError(f"compiled() needs a Keras functional network, whose inputs give "
                            f"the signature (got {type(network).__name__})")
        self.network = network
        self.specs = tuple(tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype,
                                         name=tensor.name) for tensor in inputs)
        self.function = tf.function(_Inference(network, len(self.specs)),
                                    input_signature=self.specs)

    def __call__(self, inputs):
        parts = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(parts) != len(self.specs):
            raise ValueError(f"{self.network.name} takes {len(self.specs)} input(s), "
                             f"got {len(parts)}")
        return self.function(*(_as_input(part, spec) for part, spec in zip(parts, self.specs,
                                                                            strict=True)))

    @property
    def tracing_count(self) -> int:
        return self.function.experimental_get_tracing_count()


class _Inference:
    """``network(inputs, training=False)``. An object, not a function: TensorFlow's
    retracing warning counts traces per function code, which every network's lambda would
    share, so five networks traced once each (the compare page) looked like one function
    retraced five times."""

    def __init__(self, network, count: int):
        self.network = network
        self.count = count

    def __call__(self, *inputs):
        return self.network(list(inputs) if self.count > 1 else inputs[0], training=False)


def _as_input(value, spec):
    if isinstance(value, np.ndarray):
        return value.astype(spec.dtype.as_numpy_dtype, copy=False)
    import tensorflow as tf

    return tf.cast(value, spec.dtype)


WARM_UP_SIDE = 32  # px: big enough for every padding and stride of the fast networks


def input_shapes(network) -> list[tuple]:
    """Shapes of a network's inputs (None where any size goes), compiled or not."""
    if isinstance(network, Compiled):
        return [tuple(spec.shape) for spec in network.specs]
    inputs = getattr(network, "inputs", None)
    if not inputs:
        raise TypeError(f"cannot tell the inputs of {type(network).__name__}")
    return [tuple(tensor.shape) for tensor in inputs]


def warm_up(network, side: int = WARM_UP_SIDE) -> float:
    """Runs one ``side`` x ``side`` black image (and all-zero style vector or weights, for
    the networks that take them) through ``network``; returns the seconds it took.

    For a ``compiled`` network this traces and optimises its graph (about 0.5 s on a
    2-core CPU; BENCHMARKS.md), so the first real picture, of any size, costs no tracing;
    an eager network loses its slower first call. The graph that takes the halos out
    (``dehaloed``, one for every network) is traced too, the first time. Thread-safe: an
    app can run it on a background thread at start-up, and a picture asked for meanwhile
    shares the one trace. It changes no weight and no result.
    """
    started = time.perf_counter()
    batch = [np.zeros([1 if axis == 0 else side if length is None else length
                       for axis, length in enumerate(shape)], np.float32)
             for shape in input_shapes(network)]
    np.asarray(network(batch if len(batch) > 1 else batch[0]))
    black = np.zeros((side, side, 3), np.uint8)
    dehaloed(black, black)
    return time.perf_counter() - started


@dataclass(frozen=True)
class FastResult:
    """A picture from any fast network, and what it took to paint."""

    image: np.ndarray  # uint8 RGB
    seconds: float  # style vectors (any painting), the network pass and blending; not loading
    vector: np.ndarray | None = None  # any painting: the style vector, strength applied
    # ``image`` unrounded (float32 on 0..255): for 16-bit files (core.export)
    float_pixels: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def of(cls, pixels: np.ndarray, started: float, vector=None) -> FastResult:
        """The result of float ``pixels`` (0..255), rounded once, timed from ``started``."""
        image = images.to_uint8(pixels)
        return cls(image, time.perf_counter() - started, vector, pixels)


def paint(network, content: np.ndarray, config: FastConfig = FastConfig()) -> FastResult:
    """Photo (uint8 RGB) -> painting at ``config.size``, with strength and colour options.

    ``network`` is a transformer or ``compiled(transformer)``.
    """
    started = time.perf_counter()
    photo = content if config.size is None else images.resize_longest(content, config.size)
    pixels = dithered(photo, config.dither)[None].astype(np.float32)
    painted = np.asarray(tiling.network_for(network, photo.shape, reuse_input=True)(pixels))[0]
    if config.dehalo:
        painted = dehaloed(photo, painted)
    return FastResult.of(finish(photo, painted, config.strength, config.preserve_colors),
                         started)


def dithered(pixels: np.ndarray, levels: float, seed=0) -> np.ndarray:
    """``pixels`` (one photo or a batch) debanded, plus Gaussian noise of ``levels`` grey
    levels, seeded, rounded to uint8; ``levels`` 0: the photo as it is.

    Every fast network paints a dithered photo: a network sees 8-bit banding in a smooth sky
    as edges and draws streaks along it. Noise alone breaks the bands only in part (a
    step runs the width of the picture, and the network sums along it), so the steps are
    first smoothed away where the photo is flat (``debanded``).
    """
    if levels == 0:
        return pixels
    noisy = debanded(pixels)
    if noisy.size > CACHED_NOISE_VALUES:  # print sizes: float32 noise, drawn, not kept
        rng = np.random.default_rng(seed)
        noisy += rng.standard_normal(noisy.shape, dtype=np.float32) * np.float32(levels)
    else:
        noisy += _noise(pixels.shape, levels, seed)
    return images.to_uint8(noisy)


# Debanding: a flat region varies less than DEBAND_FLAT grey levels from its blur of
# DEBAND_SIGMA px (in its most varying channel, averaged over a DEBAND_BOX px square): an
# 8-bit sky's steps (1 level every 17 px in the Eiffel photo's at 1080 px) vary half a level,
# grass and edges tens. Where flat the photo moves to its blur, less and less between
# DEBAND_FLAT and twice it, and no pixel moves more than DEBAND_MOST levels: a cable or a
# star in a flat sky stays.
DEBAND_SIGMA = 8.0
DEBAND_FLAT = 1.5
DEBAND_MOST = 3.0
DEBAND_BOX = 17
DEBAND_COARSE = 4  # the blur on a 4x smaller copy: 2 ms at 1080x720, a full one 15 ms
DEBAND_STRIP_ROWS = 256  # rows at a time: ~0.1 GB at 7680 px, where whole it would be ~1.5
# rows a strip needs beyond its own, so that strips paint what one pass would: the blur's
# kernel (OpenCV's reaches 4 sigma), one coarse cell for the resize back, and half the box,
# in whole coarse cells (44)
DEBAND_MARGIN = DEBAND_COARSE * math.ceil(
    (4 * DEBAND_SIGMA + DEBAND_COARSE + DEBAND_BOX // 2) / DEBAND_COARSE)


def debanded(pixels: np.ndarray) -> np.ndarray:
    """Float32 ``pixels`` (H x W x 3, or a batch of them) with 8-bit banding smoothed where
    the photo is flat; edges and texture as they are (module comment above)."""
    if pixels.ndim == 4:
        return np.stack([debanded(picture) for picture in pixels]) if len(pixels) else \
            pixels.astype(np.float32)
    out = np.empty(pixels.shape, np.float32)
    _in_strips(pixels, out, DEBAND_STRIP_ROWS, DEBAND_MARGIN, lambda photo, _: _debanded(photo))
    return out


def _debanded(pixels: np.ndarray) -> np.ndarray:
    """One strip of ``debanded``, float32."""
    import cv2  # a fifth of a second to load, on the first painting only

    strip = pixels.astype(np.float32)
    rows, width = strip.shape[:2]
    small = cv2.resize(strip, (max(1, width // DEBAND_COARSE), max(1, rows // DEBAND_COARSE)),
                       interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), DEBAND_SIGMA / DEBAND_COARSE,
                             borderType=cv2.BORDER_REFLECT)
    change = cv2.resize(small, (width, rows), interpolation=cv2.INTER_LINEAR) - strip
    distance = np.abs(change)
    deviation = np.maximum(np.maximum(distance[..., 0], distance[..., 1]), distance[..., 2])
    flatness = cv2.blur(deviation, (DEBAND_BOX, DEBAND_BOX), borderType=cv2.BORDER_REFLECT)
    weight = np.clip(2 - flatness / DEBAND_FLAT, 0, 1)
    np.clip(change, -DEBAND_MOST, DEBAND_MOST, out=change)
    change *= weight[..., None]
    strip += change
    return strip


# Halos: every fast network paints a band of colour of its own along the photo's strong
# edges, 3-15 px wide for the bundled networks, 20-50 px for the any-painting network
# (BENCHMARKS.md, issue 21). core.edges.halo_free, the target the bundled networks were
# fine-tuned towards, takes out what a picture does at a given distance from those edges,
# the same all along them; here it runs on the picture itself. On a copy DEHALO_SCALE times
# smaller, its band and reach halved to stay the same in the picture: a halo is smooth, and
# only the halo found is drawn back up, so the strokes stay sharp. 0.1 s at 1080x720, a
# full-size pass 0.4 s, and the pictures looked at side by side the same.
DEHALO_SCALE = 2
DEHALO_GRID = 8  # px: strips start on halo_free's coarse grid of the smaller copy
# Above 2 megapixels (a 1920x1080 video frame is one pass), in tiles of 512 rows x 2048
# columns and their margins: at 7680x5120 px strips the picture's width raised the peak by
# 0.6 GiB, these tiles by 0.04-0.09 (bench/fast_large.py).
DEHALO_ONE_PASS_PIXELS = 2 ** 21
DEHALO_TILE = (512, 2048)


def dehaloed(photo: np.ndarray, painted: np.ndarray, tile: tuple[int, int] | None = None
             ) -> np.ndarray:
    """A fast network's picture (H x W x 3 on 0..255) of uint8 ``photo`` with its halos
    taken out (comment above); float32 on 0..255. Above ``DEHALO_ONE_PASS_PIXELS`` (or
    with ``tile``: rows, columns, multiples of ``DEHALO_GRID``) in tiles, which equal one
    pass when the sides are multiples of ``DEHALO_GRID``, written back into ``painted``
    where it can be written (a print-size picture is 0.47 GB a copy): in tiles
    ``painted`` may be overwritten and returned."""
    painted = np.asarray(painted, np.float32)
    height, width = photo.shape[:2]
    if tile is None and height * width > DEHALO_ONE_PASS_PIXELS:
        tile = DEHALO_TILE
    if tile is None:
        return _dehalo_pass(photo, painted)
    if any(side % DEHALO_GRID for side in tile):
        raise ValueError(f"tile sides must be multiples of {DEHALO_GRID} (got {tile})")
    if not painted.flags.writeable:
        painted = painted.copy()
    rows, columns = tile
    margin = dehalo_margin()

    # halo_free treats rows and columns alike (edges, rings, windows): the columns of a
    # strip of rows are the rows of that strip transposed
    def across(photo_rows, painted_rows):
        picture = painted_rows.copy()
        _in_strips(photo_rows.transpose(1, 0, 2), picture.transpose(1, 0, 2), columns, margin,
                   _dehalo_pass)
        return picture

    _in_strips(photo, painted, rows, margin, across)
    return painted


def _in_strips(photo, painted, rows: int, margin: int, strip_pass) -> None:
    """Fills ``painted`` in place with ``strip_pass(photo rows, painted rows)`` (what a
    strip becomes, from its rows and ``margin`` more on each side) strip by strip of
    ``rows`` rows: debanding and dehaloing a print-size picture a bit at a time, as one
    pass would. A strip's rows are written back once no later strip reads them."""
    height = photo.shape[0]
    if height <= rows:
        painted[:] = strip_pass(photo, painted)
        return
    pending: list[tuple[int, np.ndarray]] = []  # strips done, their rows still read by others
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        start, stop = max(0, top - margin), min(height, bottom + margin)
        pending = _write_back(painted, pending, below=start)  # rows no later strip reads
        strip = strip_pass(photo[start:stop], painted[start:stop])
        pending.append((top, strip[top - start:bottom - start]))
    _write_back(painted, pending, below=height)


def dehalo_margin() -> int:
    """Rows a strip needs beyond its own to equal one pass: halo_free's reach (an edge
    pixel, the band, the rings' ramp, its window and two cells of its grid, all on the
    smaller copy) and a pixel of the resize back, in whole ``DEHALO_GRID`` cells (120)."""
    from core.edges import HALO_BAND, HALO_COARSE, HALO_REACH

    assert DEHALO_GRID == DEHALO_SCALE * HALO_COARSE, "tiles must start on halo_free's grid"
    reach = 1 + HALO_BAND // DEHALO_SCALE + 2 + HALO_REACH // DEHALO_SCALE + 2 * HALO_COARSE
    return DEHALO_GRID * math.ceil((DEHALO_SCALE * reach + 1) / DEHALO_GRID)


_HALO_GRAPH_LOCK = threading.Lock()


def _halo_free_graph():
    """The graph of ``_build_halo_free_graph``, built once even when a warm-up thread and a
    picture ask for it together (two graphs would trace twice)."""
    with _HALO_GRAPH_LOCK:
        return _build_halo_free_graph()


@functools.lru_cache(maxsize=1)
def _build_halo_free_graph():
    """``core.edges.halo_free`` at the smaller copy's scale, for one (1, H, W, 3) picture
    and photo: under TensorFlow one traced graph for every size (0.1 s at 1080x720 against
    0.16 s called eagerly; the trace, on the first picture, 0.7 s)."""
    import keras

    from core.edges import HALO_BAND, HALO_REACH, halo_free

    def freed(picture, photo):
        return halo_free(picture, photo, band=HALO_BAND // DEHALO_SCALE,
                         reach=HALO_REACH // DEHALO_SCALE)

    if keras.backend.backend() != "tensorflow":
        return freed
    import tensorflow as tf

    spec = tf.TensorSpec((1, None, None, 3), tf.float32)
    return tf.function(freed, input_signature=(spec, spec))


def _write_back(painted, pending, below: int) -> list:
    """Writes the rows of ``pending`` strips (first row, values) above row ``below`` into
    ``painted``; returns what is left."""
    left = []
    for first, values in pending:
        done = max(0, min(len(values), below - first))
        painted[first:first + done] = values[:done]
        if done < len(values):
            left.append((first + done, values[done:]))
    return left


def _dehalo_pass(photo: np.ndarray, painted: np.ndarray) -> np.ndarray:
    import cv2

    height, width = photo.shape[:2]
    # a trained network's output runs past 0..255; what lies beyond would read as halo and
    # be drawn back up onto its neighbours (columns come transposed: made contiguous too)
    photo, painted = np.ascontiguousarray(photo), np.clip(painted, 0, 255)
    small = (max(1, width // DEHALO_SCALE), max(1, height // DEHALO_SCALE))
    small_picture = cv2.resize(painted, small, interpolation=cv2.INTER_AREA)
    small_photo = cv2.resize(photo.astype(np.float32), small, interpolation=cv2.INTER_AREA)
    freed = np.asarray(_halo_free_graph()(small_picture[None], small_photo[None]))[0]
    halo = cv2.resize(small_picture - freed, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(painted - halo, 0, 255)


# Up to 2048 x 2048 px the noise of a size is kept (a second photo of that size reuses it);
# above, keeping it would hold 0.45 GiB at 7680 px, and drawing it in float64 twice that.
CACHED_NOISE_VALUES = 2048 * 2048 * 3


@functools.lru_cache(maxsize=2)
def _noise(shape: tuple, levels: float, seed) -> np.ndarray:
    """The same noise for every photo of one size (40 ms to draw at 1080x720, not 4)."""
    noise = np.random.default_rng(seed).normal(0.0, levels, shape).astype(np.float32)
    noise.flags.writeable = False
    return noise


def finish(photo: np.ndarray, painted: np.ndarray, strength: float,
           preserve_colors: bool) -> np.ndarray:
    """A network's painting (float on 0..255, or uint8) with the photo's colours if asked,
    then blended with the uint8 ``photo`` of the same size by ``strength`` (1: the painting
    alone). Float32 clipped to 0..255, not rounded: ``FastResult.of`` rounds once, and a
    16-bit file keeps the levels between."""
    # in place where the array is the network's fresh output (0.47 GB at 7680 px); a
    # TensorFlow tensor's numpy view is read-only, and is copied
    painted = np.asarray(painted, np.float32)
    if not painted.flags.writeable:
        painted = painted.copy()
    np.clip(painted, 0, 255, out=painted)
    if preserve_colors:
        painted = images.preserve_colors(photo, painted)
    if strength < 1:
        painted *= strength
        painted += (1 - strength) * photo.astype(np.float32)
    return painted
