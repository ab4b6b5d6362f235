"""What a batch paints with: the method, the painting (or network, or styles), the settings.

The pickers are the other pages' own: ``pickers.style_picker`` for paintings (bundled or
uploaded, several blended; the any-painting and classic methods share this page's ticks),
``ui.fast.magenta.multistyle_picker`` for the 26 styles (its ticks are the fast page's),
``ui.classic.settings.settings_panel`` for classic (its presets and values are the classic
page's). Only the trained networks get a picker of their own here: a batch paints with one.
The choices end as a ``core.batch.BatchRecipe``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import streamlit as st

from core import images
from core.batch import BatchRecipe, Uploads
from core.classic import ClassicConfig
from core.errors import SettingsError
from core.fast import arbitrary, registry
from core.fast.apply import MAX_FAST_SIDE, FastConfig
from ui import catalog, common, gallery, pickers, shelf
from ui.classic import settings as classic_settings
from ui.fast import magenta
from ui.fast import results as fast_results

MODE = "batch.mode"
MODES = {
    "arbitrary": ":material/palette: Any painting",
    "trained": ":material/model_training: Trained networks",
    "multistyle": ":material/grid_view: 26 styles",
    "classic": ":material/brush: Classic",
}
FAST_METHODS = [method for method in MODES if method != "classic"]  # the Video, Live pages'
PAINTINGS = "batch"  # pickers.style_picker's page: keys "batch.pick.*", "batch.style_upload"
TRAINED_PICK = "batch.trained."  # + network name: a tick box (one ticked at a time)
TRAINED_CHOSEN = "batch.trained_chosen"  # not a widget: the network ticked last
SIZE = "batch.size"
STRENGTH = "batch.strength"
PRESERVE_COLORS = "batch.preserve_colors"


@dataclass(frozen=True)
class Choice:
    """The recipe's painting part, and how captions and file names call it."""

    label: str  # "The Starry Night — Vincent van Gogh, 1889", "26-style network, styles 3:1"
    names: tuple[str, ...]  # for the download's name: ("styles/starry_night.jpg",)
    style: str | None = None  # trained: the network's name
    paintings: tuple[np.ndarray, ...] = ()
    painting_names: tuple[str, ...] = ()
    mix: tuple[float, ...] | None = None
    multistyle: str | None = None  # "3:0.5,12:0.5"


def method_picker(methods=tuple(MODES), key: str = MODE) -> str:
    """One of ``methods`` (MODES' keys); a page offering fewer keeps its own ``key``."""
    return st.segmented_control("Method", list(methods), format_func=MODES.__getitem__,
                                key=key, default="arbitrary", required=True,
                                persist_state="session", label_visibility="collapsed")


def networks_problem(method: str) -> str | None:
    """Why ``method`` cannot paint on this server (missing networks), shown; else None."""
    if method in ("arbitrary", "multistyle"):
        problem = magenta.problem()
        if problem is not None:
            st.error(f"The any-painting networks cannot be used: {problem}")
        return problem
    return None


def trained_models() -> list[registry.StyleModel]:
    try:
        models = fast_results.available_models()
    except ValueError as error:  # a damaged manifest
        st.error(str(error))
        return []
    if not models:
        st.warning("No style networks are installed. Train one with `python -m core "
                   "train-fast` (see the fast page), or use Any painting.")
    return models


def painting_picker(method: str, models: list[registry.StyleModel],
                    columns: int = pickers.GRID_COLUMNS) -> Choice | None:
    """The painting column: paintings, a network, or (26 styles) a pointer to the gallery;
    ``columns``: the paintings' grid's (fewer in a narrow column, where a title would break
    mid-word)."""
    if method in ("arbitrary", "classic"):
        if method == "arbitrary":
            st.caption(magenta.ABOUT)
        picked = pickers.style_picker(PAINTINGS, columns)
        if picked is None:
            return None
        paintings, weights = picked
        return Choice(label=" + ".join(p.label for p in paintings),
                      names=tuple(p.name for p in paintings),
                      paintings=tuple(p.pixels for p in paintings),
                      painting_names=tuple(p.name for p in paintings),
                      mix=tuple(weights) if len(paintings) > 1 else None)
    if method == "trained":
        model = trained_picker(models)
        return None if model is None else Choice(
            label=model.label, names=(f"{catalog.STYLES_DIR.name}/{model.painting}",),
            style=model.name)
    st.caption("Dumoulin et al. (2017), from Google Magenta: one network, 26 styles, "
               "numbered 0 to 25. Tick them in the gallery below, which shows your first "
               "photo in each; several are blended by their weights. The ticks are the fast "
               "page's.")
    return None


def styles_gallery(photos: Uploads) -> Choice | None:
    """The 26 styles on the batch's first photo (or an example photo), ticked to pick."""
    choices = magenta.multistyle_picker(preview_photo(photos))
    if not choices:
        return None
    spec = ",".join(f"{index}:{weight:g}" for index, weight in sorted(choices.items()))
    return Choice(label=f"26-style network, styles {spec}", names=(f"styles-{spec}",),
                  multistyle=spec)


def preview_photo(photos: Uploads) -> pickers.Chosen:
    """The batch's first photo that decodes, small; before any, the first example photo."""
    for photo in photos.photos[:3]:
        pixels = _preview_pixels(photo.data)
        if pixels is not None:
            return pickers.Chosen(pixels, pixels, f"upload: {photo.name}", photo.name)
    return pickers.from_bundled(catalog.photos()[0])


@st.cache_data(show_spinner=False, max_entries=4)
def _preview_pixels(data: bytes) -> np.ndarray | None:
    try:
        return images.shrink_to(images.decode_image(data).pixels, pickers.PREVIEW_SIDE)
    except images.ImageError:
        return None  # its own job will say what is wrong with it


def trained_picker(models: list[registry.StyleModel]) -> registry.StyleModel | None:
    """One trained network, ticked under its painting (ticking one unticks the others)."""
    if not models:
        return None
    names = [model.name for model in models]
    default = catalog.DEFAULT_STYLE if catalog.DEFAULT_STYLE in names else names[0]
    if st.session_state.get(TRAINED_CHOSEN) not in names:
        st.session_state[TRAINED_CHOSEN] = default
    st.caption("Tick the network that paints every photo.")
    picked = gallery.pick_grid([_network_item(model) for model in models], TRAINED_PICK,
                               columns=pickers.GRID_COLUMNS, default=[default],
                               on_pick=_tick_one, on_pick_args=(tuple(names),))
    if not picked:
        st.warning("Tick a network.")
        return None
    return next(model for model in models if model.name == picked[0])


def _tick_one(names: tuple[str, ...]) -> None:
    """A tick box's on_change: the box just ticked stays the only one ticked."""
    state = st.session_state
    ticked = [name for name in names if state.get(gallery.pick_key(TRAINED_PICK, name))]
    new = [name for name in ticked if name != state.get(TRAINED_CHOSEN)]
    if not new:
        return  # the chosen one was unticked: none is ticked now
    state[TRAINED_CHOSEN] = new[0]
    for name in names:
        state[gallery.pick_key(TRAINED_PICK, name)] = name == new[0]


def _network_item(model: registry.StyleModel) -> gallery.Item:
    painting = catalog.STYLES_DIR / model.painting
    image = pickers.thumbnail(str(painting)) if painting.is_file() else np.full(
        (gallery.THUMBNAIL_SIDE, gallery.THUMBNAIL_SIDE, 3), 235, np.uint8)
    return gallery.Item(model.name, image, model.display_name, f"{model.artist}, {model.year}")


def settings_panel(method: str, sized: bool = True):
    """The method's settings, as the fast and classic pages offer them; None if unusable.
    ``sized`` False (the Live page, whose size follows the machine): no size slider, and
    the config's size is None."""
    if method == "classic":
        config = classic_settings.settings_panel(classic_settings.limits(),
                                                 common.backbone_name())
        # No snapshots: a batch shows and keeps only each photo's finished picture.
        return None if config is None else dataclasses.replace(config, snapshot_every=0)
    if sized:
        size_col, strength_col, colour_col = st.columns([2, 2, 1.5], vertical_alignment="bottom")
        size = size_col.slider("Size (longest side, px)", 256, MAX_FAST_SIDE, FastConfig.size,
                               step=8, key=SIZE, persist_state="session")
    else:
        strength_col, colour_col = st.columns([2, 1.5], vertical_alignment="bottom")
        size = None
    strength_help = ("0 paints the photo in its own style, 1 in the painting's." if
                     method == "arbitrary" else "0 keeps the photo, 1 is the full painting.")
    strength = strength_col.slider("Strength", 0.0, 1.0, FastConfig.strength, step=0.05,
                                   key=STRENGTH, persist_state="session", help=strength_help)
    keep_colours = colour_col.toggle("Keep photo colours", key=PRESERVE_COLORS,
                                     persist_state="session")
    kind = FastConfig if method == "trained" else arbitrary.ArbitraryConfig
    return kind(size=size, strength=strength, preserve_colors=keep_colours)


def recipe(method: str, photos: Uploads, choice: Choice | None,
           config) -> tuple[BatchRecipe | None, str | None]:
    """The batch's recipe, or None and what holds it back, in a line."""
    if not photos.photos:
        return None, "Upload photos, or a ZIP of photos."
    if photos.problems:
        return None, "Fix the photos above."
    return chosen_recipe(method, choice, config)


def chosen_recipe(method: str, choice: Choice | None,
                  config) -> tuple[BatchRecipe | None, str | None]:
    """The recipe the method, painting and settings pickers make (the Batch and Video
    pages'), or None and what holds it back, in a line."""
    if choice is None:
        return None, ("Tick at least one style in the gallery." if method == "multistyle"
                      else "Choose a painting that can be used.")
    if config is None:
        return None, "Fix the settings above."
    try:
        return BatchRecipe(method, style=choice.style, paintings=choice.paintings,
                           painting_names=choice.painting_names, mix=choice.mix,
                           multistyle=choice.multistyle, config=config), None
    except SettingsError as error:
        return None, str(error)


def describe(method: str, choice: Choice, config) -> tuple[str, str]:
    """(label, download stem): 'Any painting: The Starry Night — … · 256 px',
    'batch-starry-night-arbitrary'."""
    size = f"{config.size} px" if config.size else "the photos' own size"
    label = f"{MODES[method].split(' ', 1)[1]}: {choice.label} · {size}"
    if isinstance(config, ClassicConfig):
        label += f" · {config.optimizer}"
    return label, shelf.download_stem("batch", choice.names, method)
