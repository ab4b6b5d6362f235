"""Drop a PNG the studio saved onto the classic or fast page: the same run is set up again.

The picture's recipe (``core.picture_recipe``) gives the method, the settings and the
paintings by sha256. Bundled paintings are found by their pixels, and so are paintings this
session has uploaded; one that is in neither is named, so the person can upload it. Only the
widgets' session state changes: nothing runs until the person presses Run (classic), and
the fast page paints as it always does.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core import picture_recipe
from core.errors import UserError
from core.picture_recipe import PictureRecipe
from ui import catalog, gallery, pickers, uploads

MESSAGE = "{page}.recipe_message"  # not a widget: (kind, text) after a drop
METHOD_NAMES = {"classic": "classic", "arbitrary": "any-painting", "multistyle": "26-style",
                "trained": "trained-network"}  # as the pages call them


def painted_by(recipe: PictureRecipe) -> tuple[dict[str, float], list[str]]:
    """The recipe's paintings as pick-grid ids with their blend weights, and the names of
    those neither bundled nor uploaded in this session."""
    uploaded = {picture_recipe.painting_sha256(upload.pixels): upload.id
                for upload in uploads.library(uploads.PAINTING)}
    mix = recipe.mix or (1.0,) * len(recipe.paintings)
    top = max(mix) or 1.0
    found, missing = {}, []
    for ref, weight in zip(recipe.paintings, mix, strict=True):
        bundled = ref.bundled_file
        item_id = bundled.stem if bundled is not None else uploaded.get(ref.sha256)
        if item_id is None:
            missing.append(ref.name.removeprefix("upload: "))
        else:
            found[item_id] = weight / top  # the sliders run 0..1; only ratios count
    return found, missing


def set_paintings(page: str, weights: dict[str, float]) -> None:
    """Tick exactly these paintings on ``page``'s picker, with these blend weights."""
    prefix = pickers.page_key(pickers.PICK_PREFIX, page)
    ids = [p.stem for p in catalog.paintings()] + [
        u.id for u in uploads.library(uploads.PAINTING)]
    for item_id in ids:
        st.session_state[gallery.pick_key(prefix, item_id)] = item_id in weights
    st.session_state[pickers.page_key(pickers.PICKS_TOUCHED, page)] = True
    blend = pickers.page_key(pickers.BLEND_PREFIX, page)
    for item_id, weight in weights.items():
        st.session_state[blend + item_id] = round(weight / 0.05) * 0.05 or 0.05


def _on_drop(page: str, key: str, methods: tuple[str, ...],
             apply: Callable[[PictureRecipe, list[str]], str]) -> None:
    upload = st.session_state.get(key)
    message = MESSAGE.format(page=page)
    if upload is None:  # the file taken away: its message goes with it
        st.session_state.pop(message, None)
        return
    try:
        recipe = picture_recipe.read(upload.getvalue(), what=upload.name)
        if recipe.method not in methods:
            other = "Classic" if recipe.method == "classic" else "Fast"
            raise UserError(f"{upload.name} was painted by the {METHOD_NAMES[recipe.method]} "
                            f"method: drop it on the {other} page")
        notes: list[str] = []
        done = apply(recipe, notes)
    except UserError as error:
        st.session_state[message] = ("error", str(error))
        return
    st.session_state[message] = ("info", " ".join(
        [f"Set up again from {upload.name} (studio {recipe.version}): {done}.",
         *(f"{note[0].upper()}{note[1:]}." for note in notes)]))


def drop_zone(page: str, methods: tuple[str, ...],
              apply: Callable[[PictureRecipe, list[str]], str]) -> None:
    """An uploader for a studio PNG; ``apply(recipe, notes)`` sets the page's widgets and
    says what it set."""
    key = f"{page}.recipe_drop"
    st.file_uploader(
        "Repeat a picture: drop a PNG this studio saved", type=["png"], key=key,
        on_change=_on_drop, args=(page, key, methods, apply),
        help="Every PNG the studio writes (downloads, command line, batch) carries its recipe: "
             "method, settings and paintings. Dropping it here sets the same run up again.")
    shown = st.session_state.get(MESSAGE.format(page=page))
    if shown and st.session_state.get(key) is not None:  # about the file still there
        kind, text = shown
        (st.error if kind == "error" else st.info)(text)


def missing_note(missing: list[str]) -> str:
    return ("upload " + " and ".join(missing) + " again to use "
            + ("it" if len(missing) == 1 else "them")) if missing else ""
