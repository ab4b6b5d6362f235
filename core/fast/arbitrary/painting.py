"""Painting with Magenta's networks: style vectors of paintings (blended, with Magenta's
strength), the painting pass, and the 26 styles' weights. Every painting function returns
``core.fast.apply.FastResult``, the one timed result of every fast network, or its picture."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from core import images
from core.errors import SettingsError
from core.fast import tiling
from core.fast.apply import FastResult, check_strength, dehaloed, dithered, finish
from core.fast.arbitrary.config import MULTISTYLE_COUNT, VECTOR_SIZE, ArbitraryConfig

DEFAULTS = ArbitraryConfig()  # the app's settings (frozen)


def style_vector(predictor, painting: np.ndarray, style_size: int = 256) -> np.ndarray:
    """Painting (uint8 RGB) -> its 100-number style vector.

    As Magenta and the package do: the largest centred square, resized to ``style_size``.
    """
    height, width = painting.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = images.resize_exact(painting[top:top + side, left:left + side],
                                 style_size, style_size)
    batch = square[None].astype(np.float32) / 255.0
    return np.asarray(predictor(batch), np.float32)[0]


def blend_vectors(vectors: Sequence[np.ndarray], weights: Sequence[float] | None = None
                  ) -> np.ndarray:
    """Weighted mean of style vectors: several paintings in one style (equal weights when
    None; the weights need not add up to 1)."""
    stack = np.stack([np.asarray(vector, np.float32) for vector in vectors])
    mix = np.ones(len(stack)) if weights is None else np.asarray(weights, np.float64)
    if mix.shape != (len(stack),):
        raise SettingsError(f"give one mix weight per painting ({len(stack)}), got {len(mix)}")
    if not np.all(np.isfinite(mix)) or np.any(mix < 0) or mix.sum() <= 0:
        raise SettingsError("mix weights must be non-negative numbers, not all zero")
    return (mix / mix.sum()).astype(np.float32) @ stack


def with_strength(style: np.ndarray, content: np.ndarray, strength: float) -> np.ndarray:
    """Magenta's strength: ``strength * style + (1 - strength) * the photo's own vector``,
    so that 0 paints the photo in its own style (close to the photo), not a cross-fade."""
    strength = check_strength(strength)
    return (strength * np.asarray(style, np.float32)
            + (1 - strength) * np.asarray(content, np.float32)).astype(np.float32)


def paint_arbitrary(transformer, content: np.ndarray, vector: np.ndarray,
                    size: int | None = ArbitraryConfig.size, rounded: bool = True
                    ) -> np.ndarray:
    """Photo (uint8 RGB) painted with a style vector, at ``size`` (longest side) or as is:
    uint8, or with ``rounded=False`` float32 on 0..255 (clipped) for 16-bit files.

    ``transformer`` is a transformer or ``core.fast.apply.compiled(transformer)``.
    """
    photo = content if size is None else images.resize_longest(content, size)
    vector = np.asarray(vector, np.float32).reshape(1, VECTOR_SIZE)
    painted = tiling.network_for(transformer, photo.shape, reuse_input=True)(
        [photo[None].astype(np.float32) / 255.0, vector])
    pixels = np.clip(np.asarray(painted, np.float32)[0] * 255.0, 0, 255)
    return images.to_uint8(pixels) if rounded else pixels


def paint_with_paintings(predictor, transformer, content: np.ndarray,
                         paintings: Sequence[np.ndarray], mix: Sequence[float] | None = None,
                         config: ArbitraryConfig = DEFAULTS) -> FastResult:
    """Photo painted in the style of one painting, or of several mixed by ``mix``; the
    result carries the style vector it was painted with (strength applied)."""
    if not paintings:
        raise SettingsError("give at least one painting")
    started = time.perf_counter()
    vector = blend_vectors([style_vector(predictor, painting, config.style_size)
                            for painting in paintings], mix)
    result = paint_with_vector(predictor, transformer, content, vector, config)
    return replace(result, seconds=time.perf_counter() - started)


def paint_with_vector(predictor, transformer, content: np.ndarray, vector: np.ndarray,
                      config: ArbitraryConfig = DEFAULTS) -> FastResult:
    """Photo painted with the paintings' style vector, already computed (and blended): at
    ``config.size``, with strength (against the photo's own vector, hence ``predictor``),
    dither and colours. A batch computes the vector once and paints every photo here."""
    started = time.perf_counter()
    photo = content if config.size is None else images.resize_longest(content, config.size)
    if config.strength < 1:
        own = style_vector(predictor, photo, config.style_size)
        vector = with_strength(vector, own, config.strength)
    painted = paint_arbitrary(transformer, dithered(photo, config.dither), vector, size=None,
                              rounded=False)
    if config.dehalo:
        painted = dehaloed(photo, painted)
    if config.preserve_colors:
        painted = images.preserve_colors(photo, painted)
    return FastResult.of(painted, started, vector)


def multistyle_choices(spec: str) -> dict[int, float]:
    """'3:0.5,12' -> {3: 0.5, 12: 1.0}: style indices, each with an optional weight."""
    choices: dict[int, float] = {}
    for part in str(spec).split(","):
        index, _, weight = part.strip().partition(":")
        try:
            choices[int(index)] = choices.get(int(index), 0.0) + float(weight or 1.0)
        except ValueError:
            raise SettingsError("styles are INDEX[:WEIGHT] pairs separated by commas, e.g. "
                                f"3:0.5,12 (got {spec!r})") from None
    multistyle_weights(choices)  # refuses bad indices and weights now, with the same words
    return choices


def multistyle_weights(choices: Mapping[int, float]) -> np.ndarray:
    """{style index: weight} -> the 26 weights, normalised to add up to 1."""
    weights = np.zeros(MULTISTYLE_COUNT, np.float32)
    for index, weight in choices.items():
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
                0 <= index < MULTISTYLE_COUNT):
            raise SettingsError(f"style index must be 0 to {MULTISTYLE_COUNT - 1} (got {index!r})")
        if not math.isfinite(weight) or weight < 0:
            raise SettingsError(f"style weights must be non-negative numbers (got {weight!r})")
        weights[index] += weight
    if weights.sum() <= 0:
        raise SettingsError("style weights must not all be zero")
    return weights / weights.sum()


def paint_multistyle(network, content: np.ndarray, weights: np.ndarray,
                     config: ArbitraryConfig = DEFAULTS) -> np.ndarray:
    """The picture of ``paint_with_styles`` alone."""
    return paint_with_styles(network, content, weights, config).image


def paint_with_styles(network, content: np.ndarray, weights: np.ndarray,
                      config: ArbitraryConfig = DEFAULTS) -> FastResult:
    """Photo (uint8 RGB) painted with a mix of the 26 styles (``weights`` as given, e.g.
    from ``multistyle_weights``), dithered and then strength and colours as the fast
    networks do."""
    started = time.perf_counter()
    weights = np.asarray(weights, np.float32).reshape(1, MULTISTYLE_COUNT)
    photo = content if config.size is None else images.resize_longest(content, config.size)
    pixels = dithered(photo, config.dither)[None].astype(np.float32)
    pixels /= 255.0  # in place: at 7680 px a second float copy would be 0.47 GB more
    painted = tiling.network_for(network, photo.shape, reuse_input=True)([pixels, weights])
    painted = np.asarray(painted, np.float32)[0] * 255.0
    if config.dehalo:
        painted = dehaloed(photo, painted)
    return FastResult.of(finish(photo, painted, config.strength, config.preserve_colors),
                         started)
