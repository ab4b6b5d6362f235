"""Painting a photo with a trained style network: one pass, then strength and colours."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from core import images

MAX_FAST_SIDE = 2048


@dataclass(frozen=True)
class FastConfig:
    """Settings of one fast stylisation; the defaults are what the app starts with."""

    size: int | None = 1080  # longest side of the output; None keeps the photo's size
    strength: float = 1.0  # 0: the photo, 1: the network's painting; linear blend between
    preserve_colors: bool = False  # keep the photo's colours, take the painting's strokes
    precision: str = "bfloat16"  # same picture (0.25 levels apart on average), 1.6x faster

    def __post_init__(self):
        if self.size is not None:
            images.validate_size(self.size, max_side=MAX_FAST_SIDE)
        check_strength(self.strength)
        if self.precision not in ("float32", "bfloat16"):
            raise ValueError(f"precision must be float32 or bfloat16 (got {self.precision!r})")


def check_strength(strength: float) -> float:
    bad = isinstance(strength, bool) or not isinstance(strength, (int, float))
    if bad or not math.isfinite(strength) or not 0 <= strength <= 1:
        raise ValueError(f"strength must be a number from 0 to 1 (got {strength!r})")
    return float(strength)


def compiled(transformer):
    """The transformer as one traced graph under TensorFlow (about 1.5x faster than eager
    calls on a CPU; ``reduce_retracing`` lets one trace serve every image size), or as is
    under other backends."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return transformer
    import tensorflow as tf

    return tf.function(lambda batch: transformer(batch, training=False), reduce_retracing=True)


@dataclass(frozen=True)
class FastResult:
    image: np.ndarray  # uint8 RGB
    seconds: float  # the network pass plus blending, not loading


def paint(network, content: np.ndarray, config: FastConfig = FastConfig()) -> FastResult:
    """Photo (uint8 RGB) -> painting at ``config.size``, with strength and colour options.

    ``network`` is a transformer or ``compiled(transformer)``.
    """
    started = time.perf_counter()
    photo = content if config.size is None else images.resize_longest(content, config.size)
    painted = images.to_uint8(np.asarray(network(photo[None].astype(np.float32)))[0])
    painted = finish(photo, painted, config.strength, config.preserve_colors)
    return FastResult(painted, time.perf_counter() - started)


def finish(photo: np.ndarray, painted: np.ndarray, strength: float,
           preserve_colors: bool) -> np.ndarray:
    """A network's painting with the photo's colours if asked, then blended with the photo
    by ``strength`` (1: the painting alone). Both uint8 RGB of the same size."""
    if preserve_colors:
        painted = images.preserve_colors(photo, painted)
    if strength < 1:
        mixed = strength * painted.astype(np.float32)
        mixed += (1 - strength) * photo.astype(np.float32)
        painted = images.to_uint8(mixed)
    return painted
