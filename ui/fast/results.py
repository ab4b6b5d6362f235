"""The fast page's parts: every fast network loaded once per process, the one cached painting
function, and the trained networks' picker and results.

``painted`` paints with any fast network (a trained one, the any-painting pair, the 26-style
network): the fast and compare pages and ``ui.fast.magenta`` all paint through it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import numpy as np
import streamlit as st

from core import compare, estimates, images, memory
from core.errors import UserError
from core.fast import arbitrary, registry, tiling
from core.fast.apply import MAX_FAST_SIDE, FastConfig, FastResult, compiled, paint, warm_up
from core.picture_recipe import PictureRecipe
from ui import catalog, gallery, pickers, shelf
from ui import export as export_ui
from ui.text import duration, fast_duration, plural

PICK_PREFIX = "fast.pick."  # + network name: a tick box
SIZE = "fast.size"


def print_size_note(photo: np.ndarray, size: int, mode: str) -> None:
    """Above one pass's size, how long the picture takes and how much memory (it is painted
    over tiles, core.fast.tiling), said before the wait."""
    width, height = estimates.output_shape(photo.shape[1], photo.shape[0], size)
    if not tiling.needs_tiles(height, width):
        return
    method = {"any": "any", "trained": "trained"}.get(mode, "26-style")
    st.caption(f"Print size, {width}x{height} px: painted in tiles, in about "
               f"{duration(estimates.fast_seconds(method, width, height))}; "
               f"{memory.fast_peak(width, height).text()}.")


SIZE_LIMIT = "fast.size_limit"


def size_limit() -> int:
    """The largest size the page offers: MAX_FAST_SIDE where this server's memory holds a
    square picture that size (core.memory), less where it does not. Measured once a session
    (a slider whose bounds change is a new slider) and the chosen size kept inside it."""
    state = st.session_state
    if SIZE_LIMIT not in state:
        try:
            state[SIZE_LIMIT] = memory.largest_fast_side(1024, MAX_FAST_SIDE, 256)
        except UserError as error:  # a bad $STYLE_STUDIO_MEMORY_LIMIT: say so, offer 2048
            st.warning(f"Server configuration: {error}")
            state[SIZE_LIMIT] = 2048
    if state.get(SIZE, 0) > state[SIZE_LIMIT]:
        state[SIZE] = state[SIZE_LIMIT]
    return state[SIZE_LIMIT]
STRENGTH = "fast.strength"
PRESERVE_COLORS = "fast.preserve_colors"
GRID_COLUMNS = 3
# What paints, the first item of ``painted``'s ``network``:
TRAINED = "trained"  # + weights path, sha256
ANY_PAINTING = "any painting"  # + the paintings' digests, their mix
STYLES_26 = "26 styles"  # + the 26 weights
TRAINING_HELP = """\
Any painting works: the **Train** page trains one in the app, in the background. At the
default settings (1000 steps learning from the any-painting network, then 300 fine-tuning on
the painting) training takes about 13 minutes on a 2-core CPU; the Train page estimates your
run's time. From the command line:

```bash
python -m core train-fast --style my_painting.jpg --photos path/to/photos \\
    --out styles/models/my_painting.weights.h5 --display-name "My painting" \\
    --artist "Me" --year 2026 --licence "CC BY 4.0"
```

It saves a checkpoint every 100 steps (run the same command again to resume) and a preview
of held-out photos every 200 steps in `runs/my_painting/`. The new network appears here on the
next rerun of this page; `STYLE_STUDIO_MODELS_DIR` points the app at another folder of networks.
"""


def available_models() -> list[registry.StyleModel]:
    """The installed networks; a warning in the page for each unreadable manifest."""
    problems: list[str] = []
    models = registry.bundled_models(problems=problems)
    for problem in problems:
        st.warning(problem)
    return models


def style_picker(models: list[registry.StyleModel]) -> list[registry.StyleModel]:
    """The ticked networks (several: one result each), each under its painting."""
    if not models:
        return []
    names = [model.name for model in models]
    default = catalog.DEFAULT_STYLE if catalog.DEFAULT_STYLE in names else names[0]
    st.caption("Tick one or more: each network paints the photo once, side by side.")
    titles = [model.display_name for model in models]
    picked = gallery.pick_grid([_item(model, titles.count(model.display_name) > 1)
                                for model in models], PICK_PREFIX,
                               columns=pickers.GRID_COLUMNS, default=[default])
    by_name = {model.name: model for model in models}
    return [by_name[name] for name in picked]


def _item(model: registry.StyleModel, same_title: bool) -> gallery.Item:
    """A network under its painting; two networks of one painting also show their names."""
    painting = model.painting_path
    image = pickers.thumbnail(str(painting)) if painting.is_file() else _blank()
    title = f"{model.display_name} ({model.name})" if same_title or model.trained_here else (
        model.display_name)
    byline = f"{model.artist}, {model.year}" + (" · trained here" if model.trained_here else "")
    return gallery.Item(model.name, image, title, byline)


def _blank() -> np.ndarray:
    return np.full((gallery.THUMBNAIL_SIDE, gallery.THUMBNAIL_SIDE, 3), 235, np.uint8)


# --------------------------------------------------------------------------- networks


@st.cache_resource(show_spinner="Loading the style network…", max_entries=16)
def trained_network(weights_path: str, sha256: str, precision: str):
    for model in registry.bundled_models():
        if str(model.weights_path) == weights_path and model.sha256 == sha256:
            network = compiled(registry.load_transformer(model, precision))
            warm_up(network)  # traced here, once for every size: not in the first picture
            return network
    raise registry.ModelError(f"style network {weights_path} is no longer installed")


@st.cache_resource(show_spinner=False)  # ui.warmup's thread calls it too: no spinner there
def any_painting_networks(precision: str = arbitrary.ArbitraryConfig.precision):
    # The predictor stays float32: it takes 0.02 s, and its 100 numbers steer every layer.
    # Both are traced (once for every size) and warmed here, so that a person's first picture
    # costs one pass; ui.warmup does this at start-up (BENCHMARKS: 0.80 -> 0.26 s at 1080 px).
    predictor = compiled(arbitrary.load_style_predictor())
    transformer = compiled(arbitrary.load_arbitrary_transformer(precision))
    warm_up(predictor)
    warm_up(transformer)
    return predictor, transformer


@st.cache_resource(show_spinner="Loading the 26-style network…")
def multistyle_network(precision: str):
    network = compiled(arbitrary.load_multistyle_transformer(precision))
    warm_up(network)
    return network


# --------------------------------------------------------------------------- painting


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def painted(photo_digest: str, _photo: np.ndarray, network: tuple, _paintings: tuple,
            size: int, strength: float, preserve_colors: bool, precision: str,
            _recipe: PictureRecipe | None = None) -> tuple[bytes, tuple[int, int], float]:
    """Any fast network's painting, cached per photo (by digest), network and settings:
    (PNG, (width, height), seconds).

    ``network`` says what paints: ``(TRAINED, weights path, sha256, dither)``, ``(ANY_PAINTING,
    the paintings' digests, their mix)`` with the paintings' pixels in ``_paintings``, or
    ``(STYLES_26, the 26 weights)``. The fast and compare pages both paint through here, so
    a result made on one is not made again on the other. Only the PNG is kept (a 2048 px
    result is some 3 MB instead of 8 MB of pixels). The PNG carries ``_recipe``
    (``core.picture_recipe``), which follows from the arguments that are hashed.
    """
    result = _paint(network, _photo, _paintings, size, strength, preserve_colors, precision)
    height, width = result.image.shape[:2]
    png = _recipe.png(result.image) if _recipe else images.encode_png(result.image)
    return png, (width, height), result.seconds


def _paint(network: tuple, photo: np.ndarray, paintings: tuple, size: int, strength: float,
           preserve_colors: bool, precision: str) -> FastResult:
    return painter(network, paintings, size, strength, preserve_colors, precision)(photo)


def painter(network: tuple, paintings: tuple, size: int, strength: float,
            preserve_colors: bool, precision: str) -> Callable[[np.ndarray], FastResult]:
    """What paints a photo with ``network`` (as ``painted`` names it) at these settings. The
    networks load now, on the script thread (their caches are Streamlit's); the painting
    runs when called, on any thread (a 16-bit download paints again when clicked)."""
    kind = network[0]
    if kind == TRAINED:
        _, weights_path, sha256, dither = network
        config = FastConfig(size=size, strength=strength, preserve_colors=preserve_colors,
                            precision=precision, dither=dither)
        return functools.partial(paint, trained_network(weights_path, sha256, precision),
                                 config=config)
    config = arbitrary.ArbitraryConfig(size=size, strength=strength,
                                       preserve_colors=preserve_colors, precision=precision)
    if kind == ANY_PAINTING:
        _, _, mix = network
        predictor, transformer = any_painting_networks(precision)
        return lambda photo: arbitrary.paint_with_paintings(
            predictor, transformer, photo, list(paintings), list(mix), config)
    if kind == STYLES_26:
        _, weights = network
        return functools.partial(arbitrary.paint_with_styles, multistyle_network(precision),
                                 weights=list(weights), config=config)
    raise ValueError(f"no fast network of the kind {kind!r}")


def sixteen_bits(photo: np.ndarray, network: tuple, paintings: tuple, size: int,
                 strength: float, preserve_colors: bool, precision: str,
                 made: PictureRecipe) -> export_ui.Source:
    """Where ``painted``'s picture comes from for the 16-bit downloads: painted again when
    one is clicked, as float pixels (the cache keeps only the 8-bit PNG)."""
    paint_photo = painter(network, paintings, size, strength, preserve_colors, precision)
    return export_ui.Source(lambda: paint_photo(photo).float_pixels, made)


def settings_note(config: FastConfig) -> str:
    """The settings that change a fast picture, in a few words: "strength 0.8, photo's colours"."""
    colours = ", photo's colours" if config.preserve_colors else ""
    return f"strength {config.strength:g}{colours}"


def paint_each(content: pickers.Chosen, models: list[registry.StyleModel],
               config: FastConfig) -> list[shelf.Result]:
    """The photo painted by each network (cached); an unusable network is shown as an error."""
    digest = compare.digest(content.pixels)
    results = []
    with st.spinner("Painting…"):
        for model in models:
            try:
                png, size, seconds = painted(
                    digest, content.pixels, _network(model), (), config.size,
                    config.strength, config.preserve_colors, config.precision,
                    PictureRecipe.of("trained", config, style=model.name))
            except registry.ModelError as error:
                st.error(str(error))
                continue
            results.append(shelf.Result(
                method=shelf.FAST, photo=content.name, photo_digest=digest, style=model.name,
                painting=painting_name(model), label=model.label,
                png=png, seconds=seconds, size=size, settings=settings_note(config)))
    return results


def _network(model: registry.StyleModel) -> tuple:
    """A trained network as ``painted`` names it."""
    return (TRAINED, str(model.weights_path), model.sha256, model.dither)


def painting_name(model: registry.StyleModel) -> str:
    """How results name the painting a network learned: "styles/starry_night.jpg" for a
    bundled one, "trained/my_wave.painting.png" for a trained-here copy (an upload named
    like a bundled painting is not that painting)."""
    path = model.painting_path
    return f"{path.parent.name}/{path.name}"


def show(content: pickers.Chosen, models: list[registry.StyleModel], config: FastConfig,
         refine=None):
    """Paint the photo with each chosen network, show the results in a grid, shelve them;
    ``refine(content, result, model)``, if given, draws a button under each picture."""
    started = time.perf_counter()
    results = paint_each(content, models, config)
    for result in reversed(results):  # the first painting ends up first on the shelf
        shelf.put(result)
    wall = time.perf_counter() - started
    if not results:
        return
    width, height = results[0].size
    st.caption(f"{plural(len(results), 'result')} at {width} × {height} px; this page took "
               f"{wall:.2f} s (results are cached: changing nothing costs nothing).")
    by_name = {model.name: model for model in models}
    # Row by row, pictures first and buttons in a row of their own: captions of different
    # lengths then cannot push one card's buttons below its neighbour's. One or two
    # pictures take the page's width between them (a lone one is not a third of it); a lone
    # one's buttons keep a third's width, not stretched across the page.
    shown = min(GRID_COLUMNS, len(results))
    buttons = GRID_COLUMNS if shown == 1 else shown
    for row in gallery.chunks(results, GRID_COLUMNS):
        for column, result in zip(st.columns(shown, gap="medium"), row, strict=False):
            column.image(result.png, width="stretch", caption=f"{by_name[result.style].label} · "
                         f"painted in {fast_duration(result.seconds)}")
        for column, result in zip(st.columns(buttons, gap="medium"), row, strict=False):
            with column:
                _result_buttons(content, result, by_name[result.style], config)
                if refine is not None:
                    refine(content, result, by_name[result.style])


def _result_buttons(content: pickers.Chosen, result: shelf.Result,
                    model: registry.StyleModel, config: FastConfig) -> None:
    st.download_button(
        "Download PNG", result.png, file_name=f"{result.file_stem}.png", mime="image/png",
        key=f"fast.download.{model.name}", on_click="ignore", icon=":material/download:",
        width="stretch")
    source = sixteen_bits(content.pixels, _network(model), (), config.size, config.strength,
                          config.preserve_colors, config.precision,
                          PictureRecipe.of("trained", config, style=model.name))
    export_ui.buttons(st.columns(2), source, result.file_stem, f"fast.download.{model.name}",
                      width="stretch")
    with st.popover("About this network", width="stretch"):
        st.markdown(manifest_facts(model))
        if model.manifest.get("note"):  # train-fast's --note (the bundled ones': their recipe)
            st.caption(f"**Note:** {model.manifest['note']}")


def manifest_facts(model: registry.StyleModel) -> str:
    """A trained network's manifest, in a few lines: painting, licence, steps, time, sha256."""
    manifest = model.manifest
    seconds = manifest.get("total_training_seconds", manifest.get("training_seconds", 0))
    steps = manifest.get("total_steps", manifest.get("steps"))
    return (f"- **Painting:** {model.label} (`{model.painting}`)\n"
            f"- **Licence:** {model.licence}\n"
            f"- **Steps:** {steps}, batch {manifest.get('batch')}, loss network "
            f"{manifest.get('backbone', 'unknown')}\n"
            f"- **Training time:** {duration(seconds)} on "
            f"{manifest.get('machine', 'an unknown machine')}\n"
            f"- **sha256:** `{model.sha256}`")
