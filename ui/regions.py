"""The regions panel: a different painting for each part of the photo (``core.regions``).

A page calls ``regions_panel(page, photo, names)``. Off by default; on, the regions come from
the photo's colours or its bright and dark parts (``core.regions.automatic``), from one mask
image per painting, from a dropped recipe or a link, or from nothing, and a brush on a canvas
over the photo changes them: each painting has its colour, and the eraser gives the photo
back. The maths is core.regions'; here are the widgets and the state that keeps them across
reruns and page switches (keys ``<page>.regions.*``).

The canvas is streamlit-drawable-canvas (Fabric.js in the page, no iframe). Its strokes come
back as an RGBA picture at the canvas's size and are read by their colour: one per painting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import streamlit as st

from core import compare, images, regions
from core.errors import UserError

# Streamlit's own named colours, so that the legend's ":red[■]" matches the canvas's tint.
PALETTE = (("red", (255, 75, 75)), ("blue", (28, 131, 225)), ("green", (33, 195, 84)),
           ("orange", (255, 164, 33)), ("violet", (128, 61, 245)))
ERASER_RGB = (255, 255, 255)
ERASED, UNTOUCHED = -1, -2  # a canvas pixel's brush: a painting's index, the eraser or none
STROKE_OPACITY = 0.7  # the photo shows through a stroke
TINT_OPACITY = 0.45  # ... and through a region's tint
STROKE_ALPHA_MIN = 64  # canvas alpha (0..255) from which a pixel counts as painted
CANVAS_SIDE = 520  # px: the canvas's longest side (its column is about 530 px wide)
PREVIEW_SIDE = 320
SOURCES = {
    "colour": "Automatic: by colour",
    "brightness": "Automatic: bright against dark",
    "upload": "Upload a mask per painting",
    "draw": "Draw them",
    "loaded": "From {where}",
}
# Not widgets: masks from a recipe, a link or the fast page, and where they came from; the
# canvas's strokes (brush per canvas pixel), its Fabric drawing, and what they were drawn on.
LOADED, LOADED_FROM = "loaded", "loaded_from"
STROKES, DRAWING, DRAWN_ON, CLEARED = "strokes", "drawing", "drawn_on", "cleared"


def key(page: str, name: str) -> str:
    return f"{page}.regions.{name}"


def wanted(page: str) -> bool:
    """Whether the person has turned regions on for ``page``."""
    return bool(st.session_state.get(key(page, "on")))


def load(page: str, masks: Sequence[np.ndarray], where: str, names: Sequence[str]) -> None:
    """Turn regions on for ``page`` with these masks (from a recipe, a link, another page),
    one per painting of ``names``: kept by painting, since the picker lists the paintings in
    its own order."""
    state = st.session_state
    state[key(page, "on")] = True
    state[key(page, LOADED)] = {short_name(name): np.asarray(mask, np.float32)
                                for name, mask in zip(names, masks, strict=True)}
    state[key(page, LOADED_FROM)] = where
    state[key(page, "source")] = state[key(page, "chosen_source")] = "loaded"
    state[key(page, CLEARED)] = state.get(key(page, CLEARED), 0) + 1  # a fresh canvas


def from_recipe(page: str, recipe) -> str:
    """Regions on with a dropped picture's masks, or off when it had none; what was set."""
    masks = recipe.masks  # a damaged one: a one-line UserError for the drop zone
    if masks is None:
        st.session_state[key(page, "on")] = False
        return ""
    if len(masks) != len(recipe.paintings):
        raise UserError(f"the recipe has {len(masks)} regions for "
                        f"{len(recipe.paintings)} paintings")
    load(page, masks, "the recipe", [ref.name for ref in recipe.paintings])
    return f", {len(masks)} regions"


def short_name(name: str) -> str:
    """'styles/wave.jpg' -> 'wave'; 'upload: my painting.png' -> 'my painting'."""
    return Path(name.removeprefix("upload: ")).stem


def regions_panel(page: str, photo: np.ndarray, names: Sequence[str]
                  ) -> list[np.ndarray] | None:
    """The Regions section: one mask per painting (in ``names``' order) at the photo's size,
    or None when regions are off or unusable (the panel has said why)."""
    st.subheader("Regions")
    if not st.toggle("A painting per region", key=key(page, "on"), persist_state="session",
                     help="Each painting paints its own part of the photo instead of blending "
                          "them; what no region covers keeps the photo."):
        return None
    count = len(names)
    if count > len(PALETTE):
        st.info(f"Regions take at most {len(PALETTE)} paintings: untick some.")
        return None
    source = _source(page, count)
    if source in regions.AUTO_METHODS:
        st.button("Swap the regions" if count == 2 else "Give each painting the next region",
                  key=key(page, "turn_button"), icon=":material/swap_horiz:",
                  on_click=_turn, args=(page,),
                  help="The automatic regions go to the paintings in another order.")
    base = _base(page, source, photo, names)
    if base is None:
        return None
    draw_col, preview_col = st.columns([3, 2], gap="large")
    with draw_col:
        masks = _drawing(page, photo, base, names)
    with preview_col:
        if source == "draw" and st.session_state.get(key(page, STROKES)) is None:
            st.info("Paint each painting's part of the photo with its brush.")
            return None
        height, width = photo.shape[:2]
        try:
            fitted = regions.fit_masks(masks, count, height, width, names)
        except UserError as error:
            unpainted = [name for name, mask in zip(names, masks, strict=True)
                         if float(np.max(mask)) < regions.EMPTY_BELOW]
            if source == "draw" and unpainted:  # still drawing: what is left to do
                st.info(f"Now paint {', '.join(unpainted)}'s part with its brush.")
            else:
                st.error(str(error))
            return None
        _summary(photo, fitted, names)
    return fitted


def _turn(page: str) -> None:
    state = st.session_state
    state[key(page, "turn")] = state.get(key(page, "turn"), 0) + 1


def _source(page: str, count: int) -> str:
    """Where the regions start from, offering only what fits this many paintings."""
    state = st.session_state
    options = [*(["colour"] if regions.MIN_REGIONS <= count <= regions.MAX_REGIONS else []),
               *(["brightness"] if count == 2 else []), "draw", "upload"]
    if state.get(key(page, LOADED)) is not None:
        options.append("loaded")
    source_key, chosen_key = key(page, "source"), key(page, "chosen_source")
    chosen = state.get(chosen_key)  # the person's (or a load's) choice, kept apart: a
    if chosen in options:  # third painting hides bright/dark, unticking it brings it back
        state[source_key] = chosen
    elif state.get(source_key) not in options:
        state[source_key] = options[0]
    where = state.get(key(page, LOADED_FROM), "the recipe")

    def remember() -> None:
        state[chosen_key] = state[source_key]

    return st.radio("Regions from", options, key=source_key, horizontal=True,
                    persist_state="session", on_change=remember,
                    format_func=lambda option: SOURCES[option].format(where=where))


def _base(page: str, source: str, photo: np.ndarray, names: Sequence[str]
          ) -> list[np.ndarray] | None:
    """The regions before the brush: one mask per painting at the photo's size."""
    height, width = photo.shape[:2]
    count = len(names)
    if source in regions.AUTO_METHODS:  # brightest first, turned as the person asked
        found = list(automatic(compare.digest(photo), photo, count, source))
        turn = st.session_state.get(key(page, "turn"), 0) % count
        return found[turn:] + found[:turn]
    if source == "draw":
        return [np.zeros((height, width), np.float32) for _ in names]
    if source == "loaded":
        loaded = st.session_state[key(page, LOADED)]
        missing = [name for name in names if name not in loaded]
        try:
            if missing:
                raise UserError(f"they give no region to {', '.join(missing)}; they are for "
                                f"{', '.join(loaded)}")
            return regions.fit_masks([loaded[name] for name in names], count, height, width,
                                     names)
        except UserError as error:
            st.error(f"The regions from {st.session_state.get(key(page, LOADED_FROM))}: "
                     f"{error}")
            return None
    return _uploaded(page, photo, names)


@st.cache_data(show_spinner="Finding the regions…", max_entries=16)
def automatic(photo_digest: str, _photo: np.ndarray, count: int, method: str
              ) -> tuple[np.ndarray, ...]:
    """``core.regions.automatic``, once per photo (by digest), count and method."""
    return tuple(regions.automatic(_photo, count, method))


def _uploaded(page: str, photo: np.ndarray, names: Sequence[str]) -> list[np.ndarray] | None:
    """One uploader per painting: white where that painting goes."""
    height, width = photo.shape[:2]
    masks = []
    for number, column in enumerate(st.columns(len(names))):
        upload = column.file_uploader(  # keyed by painting: another choice, another slot
            f"{_swatch(number, names)}'s region", type=["png", "jpg", "jpeg", "webp"],
            key=key(page, f"upload.{names[number]}"),
            help="A picture as big as the photo (or of its shape): white where this painting "
                 "goes, black elsewhere.")
        if upload is None:
            masks.append(None)
            continue
        try:
            mask = regions.load_mask(upload.getvalue(), what=upload.name)
        except UserError as error:
            column.error(str(error))
            return None
        masks.append(regions.resize_mask(mask, height, width))
    if any(mask is None for mask in masks):
        st.info("Upload one mask per painting (white: that painting's part of the photo).")
        return None
    return masks


def _drawing(page: str, photo: np.ndarray, base: list[np.ndarray], names: Sequence[str]
             ) -> list[np.ndarray]:
    """The canvas: the photo tinted by ``base``, painted over with the brushes; the masks with
    the strokes applied."""
    # Imported here: the component registers its files on import, which needs the manifests
    # that Streamlit's runtime (or AppTest) reads when it starts; a plain import (a test's
    # collection, the CLI) would fail.
    from streamlit_drawable_canvas import st_canvas

    state = st.session_state
    count = len(names)
    brushes = [*range(count), ERASED]
    brush_key = key(page, "brush")
    if state.get(brush_key) not in brushes:
        state[brush_key] = 0
    brush = st.radio("Brush", brushes, key=brush_key, horizontal=True,
                     persist_state="session", format_func=lambda index: _swatch(index, names))
    width_col, clear_col = st.columns([3, 1], vertical_alignment="bottom")
    stroke_width = width_col.slider("Brush width", 4, 80, 28, step=2, key=key(page, "width"),
                                    persist_state="session")
    if clear_col.button("Clear", key=key(page, "clear"), icon=":material/ink_eraser:",
                        help="Remove every stroke: back to the regions above."):
        state[key(page, CLEARED)] = state.get(key(page, CLEARED), 0) + 1
    small = images.resize_longest(photo, min(CANVAS_SIDE, max(photo.shape[:2])))
    canvas_height, canvas_width = small.shape[:2]
    # Strokes go over whatever regions are chosen: another source keeps them (Clear, another
    # photo, other paintings or newly loaded regions do not)
    drawn_on = _fingerprint(photo, names, state.get(key(page, CLEARED), 0),
                            state.get(key(page, LOADED_FROM)))
    if state.get(key(page, DRAWN_ON)) != drawn_on:  # another photo, paintings or start
        state[key(page, DRAWN_ON)] = drawn_on
        state.pop(key(page, STROKES), None)
        state.pop(key(page, DRAWING), None)
    canvas_key = key(page, f"canvas.{drawn_on}")
    if canvas_key not in state:  # (re)mounted: show the strokes kept from before
        state[key(page, "initial")] = state.get(key(page, DRAWING))
    st.caption("Paint over the photo with a painting's brush to give it that part; the eraser "
               "gives the photo back. Strokes go over the regions above.")
    # JPEG: the picture travels with every rerun (a PNG of it is some ten times the bytes).
    result = st_canvas(
        stroke_color=_rgba(brush), stroke_width=stroke_width, drawing_mode="freedraw",
        background_image=compare.encode_jpeg(tinted(small, base)), width=canvas_width,
        height=canvas_height, initial_drawing=state.get(key(page, "initial")),
        return_image_data=True, key=canvas_key)
    if result.image_data is not None:
        state[key(page, DRAWING)] = result.json_data
        labels = stroke_labels(result.image_data, count)
        state[key(page, STROKES)] = labels if np.any(labels != UNTOUCHED) else None
    strokes = state.get(key(page, STROKES))
    return base if strokes is None else touched_up(base, strokes)


def _fingerprint(photo: np.ndarray, names: Sequence[str], *more) -> str:
    """What the strokes were drawn for: the photo, the paintings (by name: strokes belong to
    a painting, not to a place in the list), where the regions came from."""
    text = f"{compare.digest(photo)}|{'/'.join(names)}|{'|'.join(map(str, more))}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _rgba(brush: int) -> str:
    red, green, blue = ERASER_RGB if brush == ERASED else PALETTE[brush][1]
    return f"rgba({red}, {green}, {blue}, {STROKE_OPACITY})"


def _swatch(index: int, names: Sequence[str]) -> str:
    """':red[■] wave', or the eraser."""
    if index == ERASED:
        return ":gray[□] eraser: keep the photo"
    return f":{PALETTE[index][0]}[■] {names[index]}"


def stroke_labels(rgba: np.ndarray, count: int) -> np.ndarray:
    """Which brush painted each canvas pixel: a painting's index, ERASED, or UNTOUCHED.

    Each pixel goes to the nearest brush colour, so a stroke's soft edge, and a stroke seen
    through the one over it, still read as one brush.
    """
    rgba = np.asarray(rgba)
    colours = np.array([rgb for _, rgb in PALETTE[:count]] + [ERASER_RGB], np.float32)
    distance = ((rgba[..., None, :3].astype(np.float32) - colours) ** 2).sum(axis=-1)
    nearest = distance.argmin(axis=-1)
    labels = np.where(nearest == count, ERASED, nearest)
    return np.where(rgba[..., 3] >= STROKE_ALPHA_MIN, labels, UNTOUCHED)


def touched_up(base: Sequence[np.ndarray], strokes: np.ndarray) -> list[np.ndarray]:
    """``base`` with the strokes (canvas size, enlarged to the masks') laid over it."""
    height, width = base[0].shape

    def enlarged(where: np.ndarray) -> np.ndarray:
        return regions.resize_mask(where.astype(np.float32), height, width)

    painted = enlarged(strokes != UNTOUCHED)
    return [mask * (1.0 - painted) + enlarged(strokes == index)
            for index, mask in enumerate(base)]


def tinted(photo: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
    """The photo with each region washed in its painting's colour."""
    return regions.tinted(photo, masks, [rgb for _, rgb in PALETTE], TINT_OPACITY)


def shares(masks: Sequence[np.ndarray], names: Sequence[str]) -> str:
    """'wave 38 % · starry_night 52 % · photo 10 %': how much of the picture each part is."""
    labels = regions.labels_of(masks)
    parts = [(name, float(np.mean(labels == index))) for index, name in enumerate(names)]
    parts.append(("photo", float(np.mean(labels == -1))))
    text = " · ".join(f"{name} {round(100 * share)} %" for name, share in parts)
    overlap = float(np.mean(np.sum(np.asarray(masks) >= 0.5, axis=0) > 1))
    if overlap > 0:  # counted above for the first of them; painted as a blend of them
        text += f" (regions overlap on {max(1, round(100 * overlap))} %: blended there)"
    return text


def _summary(photo: np.ndarray, masks: list[np.ndarray], names: Sequence[str]) -> None:
    """The regions as they will be painted: the tinted photo, small, and each one's share."""
    small = images.resize_longest(photo, min(PREVIEW_SIDE, max(photo.shape[:2])))
    st.markdown("**As it will be painted**")
    st.image(tinted(small, masks), width=min(PREVIEW_SIDE, small.shape[1]))
    st.caption(" · ".join(_swatch(index, names) for index in range(len(names))))
    st.caption(f"Of the picture: {shares(masks, names)}")
