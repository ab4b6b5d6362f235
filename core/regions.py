"""Regions: a different painting for each part of the photo.

A region is a mask, (H, W) float32 in 0..1 (1: that painting's; soft edges allowed), one per
painting, in the paintings' order. Parts that no mask covers keep the photo. The classic
method uses the masks in its style loss (``core.losses.masked_gram``); the fast methods paint
the photo once per painting and join the pictures here (``composite``), feathered so that no
seam shows. Masks come from image files (white: the painting's region), from the app's
drawing, or from ``automatic`` (colour clusters, or bright against dark).

They travel as text (``encode`` / ``decode``: one 8-bit greyscale PNG per mask, base64) in a
picture's recipe and in a page's link.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from core import images
from core.errors import UserError

MIN_REGIONS, MAX_REGIONS = 2, 4  # automatic regions
AUTO_METHODS = ("colour", "brightness")
EMPTY_BELOW = 1 / 255  # a mask whose every value is below this covers nothing
FEATHER = 0.012  # the fast methods' feathered joins: Gaussian sigma, a fraction of the longest side
MIN_FEATHER_PX = 2.0  # ... and at least this, so that a small picture's join is no step either
LINK_SIDE = 160  # masks in a link are shrunk to this longest side (recipes keep theirs)
_WORK_SIDE = 256  # automatic regions are found at this size, then enlarged


def mask_from_pixels(pixels: np.ndarray) -> np.ndarray:
    """A mask from a picture: its brightness (white 1, black 0), times its opacity if it has
    any (a transparent background counts as black)."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        return pixels.astype(np.float32) / 255.0
    grey = pixels[..., :3].astype(np.float32) @ images.LUMA
    if pixels.shape[-1] == 4:
        grey = grey * (pixels[..., 3].astype(np.float32) / 255.0)
    return np.clip(grey / 255.0, 0.0, 1.0)


def load_mask(data: bytes | str | os.PathLike, *, what: str = "mask") -> np.ndarray:
    """A mask file (PNG, JPEG, ...; greyscale, colour or with transparency) as a mask."""
    raw = data if isinstance(data, bytes) else _read(data, what)
    try:
        with Image.open(io.BytesIO(raw)) as picture:
            if picture.width * picture.height > images.MAX_INPUT_PIXELS:
                raise UserError(f"{what} is too large ({picture.width}x{picture.height})")
            if picture.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit, 32-bit grey
                values = np.asarray(picture, np.float64)
                top = 65535.0 if picture.mode.startswith("I;16") or values.max() > 255 else 255.0
                return np.clip(values / top, 0.0, 1.0).astype(np.float32)
            mode = "RGBA" if "A" in picture.getbands() or "transparency" in picture.info \
                else "L"
            return mask_from_pixels(np.asarray(picture.convert(mode)))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise UserError(f"{what} is not a picture that can be read ({error})") from None


def _read(path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{what} not found: {path}") from None
    except OSError as error:
        raise UserError(f"{what} cannot be read: {path} ({error.strerror})") from None


def fit_masks(masks: Sequence[np.ndarray], count: int, height: int, width: int,
              names: Sequence[str] | None = None) -> list[np.ndarray]:
    """One mask per painting at ``height`` x ``width``: a mask of another size is resized
    (stretched, as a mask drawn over a smaller copy of the photo is); a count that is not
    ``count`` or a mask that covers nothing is refused in one line. Float masks are 0..1,
    integer ones 0..255; what comes back is float, in steps of 1/255."""
    masks = list(masks)
    if len(masks) != count:
        raise UserError(f"give one mask per painting: {count} painting"
                        f"{'s' if count != 1 else ''} but {len(masks)} mask"
                        f"{'s' if len(masks) != 1 else ''}")
    fitted = []
    for number, mask in enumerate(masks, 1):
        mask = np.asarray(mask)
        if np.issubdtype(mask.dtype, np.integer):  # an 8-bit picture's 0..255
            mask = mask / 255.0
        mask = np.clip(mask.astype(np.float32), 0.0, 1.0)
        if mask.ndim != 2:
            raise UserError(f"mask {number} must be one channel, not shape {mask.shape}")
        if float(mask.max(initial=0.0)) < EMPTY_BELOW:
            name = f" ({names[number - 1]})" if names else ""
            raise UserError(f"mask {number}{name} is empty: it has no white, so its painting "
                            "would be used nowhere")
        # in steps of 1/255, as ``encode`` keeps them: a recipe repeats the run exactly
        fitted.append(np.round(resize_mask(mask, height, width) * 255) / 255)
    return fitted


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """A mask at another size: area-averaged when shrinking (a layer of the loss network
    sees the fraction of each cell the region covers), bilinear when enlarging."""
    if mask.shape == (height, width):
        return mask.astype(np.float32)
    shrinking = height * width < mask.shape[0] * mask.shape[1]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    resized = Image.fromarray(mask.astype(np.float32), mode="F").resize((width, height),
                                                                         resample)
    return np.clip(np.asarray(resized, np.float32), 0.0, 1.0)


def coverage(masks: Sequence[np.ndarray]) -> np.ndarray:
    """How much of each pixel the regions claim together, at most 1."""
    return np.clip(np.sum(masks, axis=0), 0.0, 1.0)


def feathered(mask: np.ndarray, sigma: float) -> np.ndarray:
    """The mask with its edges blurred over ``sigma`` pixels (Gaussian)."""
    if sigma <= 0:
        return mask
    from scipy.ndimage import gaussian_filter

    return np.clip(gaussian_filter(mask.astype(np.float32), sigma, mode="nearest"), 0.0, 1.0)


def composite(photo: np.ndarray, pictures: Sequence[np.ndarray], masks: Sequence[np.ndarray],
              feather: float = FEATHER) -> np.ndarray:
    """The pictures (one per region, uint8 RGB) joined by their masks over the photo.

    Each mask is feathered (sigma ``feather`` x the longest side) so that neighbouring
    regions cross-fade instead of meeting at a seam; where masks overlap their pictures are
    averaged by weight; what no mask covers stays the photo. Everything is brought to the
    first picture's size.
    """
    height, width = pictures[0].shape[:2]
    sigma = max(feather * max(height, width), MIN_FEATHER_PX) if feather > 0 else 0.0
    weights = [feathered(resize_mask(mask, height, width), sigma) for mask in masks]
    claimed = np.sum(weights, axis=0)
    # Overlaps share the pixel by weight; a pixel claimed less than fully shows the photo
    # through what is left.
    scale = np.where(claimed > 1.0, 1.0 / np.maximum(claimed, 1e-6), 1.0)[..., None]
    base = images.resize_exact(photo, width, height).astype(np.float32)
    blended = base * (1.0 - np.clip(claimed, 0.0, 1.0))[..., None]
    for weight, picture in zip(weights, pictures, strict=True):
        picture = images.resize_exact(picture, width, height).astype(np.float32)
        blended += picture * weight[..., None] * scale
    return images.to_uint8(blended)


def tinted(photo: np.ndarray, masks: Sequence[np.ndarray], colours: Sequence[Sequence[int]],
           opacity: float = 0.45) -> np.ndarray:
    """The photo with each region washed in its colour (RGB), for showing the regions."""
    height, width = photo.shape[:2]
    shown = photo.astype(np.float32)
    for colour, mask in zip(colours, masks, strict=False):
        weight = resize_mask(mask, height, width)[..., None] * opacity
        shown = shown * (1.0 - weight) + np.array(colour, np.float32) * weight
    return images.to_uint8(shown)


def automatic(photo: np.ndarray, count: int, method: str = "colour", seed: int = 0
              ) -> list[np.ndarray]:
    """``count`` hard masks that split the photo, brightest region first.

    "colour": k-means on the Lab colours (small specks merged into their surroundings);
    "brightness": bright against dark (Otsu's threshold on the blurred lightness), for sky
    against ground; always two regions.
    """
    if method not in AUTO_METHODS:
        raise UserError(f"automatic regions are {' or '.join(AUTO_METHODS)} (got {method!r})")
    if method == "brightness":
        count = 2
    elif not MIN_REGIONS <= count <= MAX_REGIONS:
        raise UserError(f"automatic regions: {MIN_REGIONS} to {MAX_REGIONS} (got {count})")
    height, width = photo.shape[:2]
    small = images.resize_longest(photo, min(_WORK_SIDE, max(height, width)))
    lab = _lab(small)
    if method == "brightness":
        lightness = feathered(lab[..., 0] / 100.0, 1.5)
        labels = (lightness <= _otsu(lightness)).astype(np.int64)
    else:
        labels = _kmeans_labels(lab.reshape(-1, 3), count, seed).reshape(small.shape[:2])
    labels = _tidied(labels, count, small.shape[:2])
    found = [k for k in range(count) if np.any(labels == k)]
    if len(found) < count:
        raise UserError(f"the photo has only {len(found)} distinct part"
                        f"{'s' if len(found) != 1 else ''} by {method}, not {count}: choose "
                        "fewer paintings, or draw the regions")
    order = np.argsort([-lab[..., 0][labels == k].mean() for k in range(count)], kind="stable")
    # Enlarged softly, then each pixel to the one region that holds most of it: rounding
    # each mask alone would leave border pixels in none.
    enlarged = np.stack([resize_mask((labels == k).astype(np.float32), height, width)
                         for k in order])
    winner = enlarged.argmax(axis=0)
    return [(winner == k).astype(np.float32) for k in range(count)]


def _lab(pixels: np.ndarray) -> np.ndarray:
    """sRGB uint8 -> CIE Lab (D65), float32."""
    rgb = pixels.astype(np.float32) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array([[0.4124, 0.2126, 0.0193], [0.3576, 0.7152, 0.1192],
                             [0.1805, 0.0722, 0.9505]], np.float32)
    xyz /= np.array([0.9505, 1.0, 1.089], np.float32)
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1).astype(np.float32)


def _kmeans_labels(points: np.ndarray, count: int, seed: int, rounds: int = 25) -> np.ndarray:
    """Lloyd's k-means from a k-means++ start (seeded); each point's cluster."""
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, count):
        distance = np.min([np.sum((points - c) ** 2, axis=1) for c in centres], axis=0)
        total = float(distance.sum())
        pick = rng.choice(len(points), p=distance / total) if total > 0 else rng.integers(
            len(points))
        centres.append(points[pick])
    centres = np.array(centres, np.float32)
    labels = np.zeros(len(points), np.int64)
    for _ in range(rounds):
        distance = ((points[:, None, :] - centres[None]) ** 2).sum(axis=-1)
        labels = distance.argmin(axis=1)
        moved = np.array([points[labels == k].mean(axis=0) if np.any(labels == k)
                          else centres[k] for k in range(count)], np.float32)
        if np.allclose(moved, centres, atol=1e-3):
            break
        centres = moved
    return labels


def _tidied(labels: np.ndarray, count: int, shape: tuple[int, int]) -> np.ndarray:
    """Labels with specks smoothed away: each pixel takes the region that holds most of its
    neighbourhood (Gaussian-weighted, 1.5 % of the longest side)."""
    sigma = 0.015 * max(shape)
    votes = np.stack([feathered((labels == k).astype(np.float32), sigma) for k in range(count)])
    return votes.argmax(axis=0)


def _otsu(values: np.ndarray) -> float:
    """The threshold that best splits ``values`` (0..1) into two classes (Otsu, 1979)."""
    histogram, edges = np.histogram(values, bins=256, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(histogram).astype(np.float64)
    total = weight[-1]
    mean = np.cumsum(histogram * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight / total - mean) ** 2 / (weight * (total - weight))
    if not np.any(np.isfinite(between)):  # one brightness everywhere: nothing to split
        raise UserError("the photo has no bright and dark parts to split: draw the regions")
    return float(centres[int(np.nanargmax(between))])


def labels_of(masks: Sequence[np.ndarray]) -> np.ndarray:
    """The region each pixel belongs to most (0-based), -1 where no mask reaches half."""
    stack = np.stack(masks)
    return np.where(stack.max(axis=0) >= 0.5, stack.argmax(axis=0), -1)


def encode(masks: Sequence[np.ndarray], max_side: int | None = None) -> list[str]:
    """Each mask as text: an 8-bit greyscale PNG, base64 (URL-safe, unpadded), shrunk to
    ``max_side`` if given."""
    texts = []
    for mask in masks:
        height, width = mask.shape
        if max_side is not None and max(height, width) > max_side:
            scale = max_side / max(height, width)
            mask = resize_mask(mask, max(1, round(height * scale)), max(1, round(width * scale)))
        buffer = io.BytesIO()
        Image.fromarray(np.round(np.clip(mask, 0, 1) * 255).astype(np.uint8), "L").save(
            buffer, format="PNG", optimize=True)
        texts.append(base64.urlsafe_b64encode(buffer.getvalue()).decode("ascii").rstrip("="))
    return texts


def decode(texts: Sequence[str], *, what: str = "regions") -> list[np.ndarray]:
    """The masks ``encode`` wrote; a damaged one is refused in one line."""
    masks = []
    for number, text in enumerate(texts, 1):
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise UserError(f"{what}: mask {number} is not valid text") from None
        masks.append(load_mask(raw, what=f"{what}: mask {number}"))
    return masks
