"""The fast page's two ways on from a picture: set it up again from a dropped PNG's recipe
(``apply_recipe``), and **Refine** an any-painting picture with the classic method.

Refine queues a classic job, like the classic page's Run, that starts from the fast picture
(``init="image"``) with the classic page's current settings (the recommended preset until
the person changes them), and opens the classic page, which follows it: the classic look
in a fraction of its time, since the optimiser starts from a painted picture.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import streamlit as st

from core import images
from core.engine import ClassicTask
from core.fast import arbitrary
from core.picture_recipe import PictureRecipe
from ui import catalog, common, gallery, pickers, recipe_drop, shelf, uploads
from ui import regions as regions_ui
from ui.classic import live
from ui.classic import settings as classic_settings
from ui.fast import magenta
from ui.fast import results as fast_results

MODE = "fast.mode"  # the method: "any", "trained" or "multi"
MODE_OF_METHOD = {"arbitrary": "any", "trained": "trained", "multistyle": "multi"}
ANY_PAGE = "fast.any"  # the any-painting picker's key prefix (pickers.page_key)
SIZE_STEP = 8


def apply_recipe(recipe: PictureRecipe, notes: list[str]) -> str:
    """Set the fast page's widgets from a picture's recipe (``ui.recipe_drop``)."""
    config = recipe.config(notes)
    state = st.session_state
    state[MODE] = MODE_OF_METHOD[recipe.method]
    largest = fast_results.size_limit()
    size = config.size or largest
    state[fast_results.SIZE] = max(256, min(largest, size - size % SIZE_STEP))
    state[fast_results.STRENGTH] = float(config.strength)
    state[fast_results.PRESERVE_COLORS] = bool(config.preserve_colors)
    if not config.dehalo:
        notes.append("this page takes out the halos along strong edges that this picture "
                     "kept (python -m core fast --recipe paints it as it was)")
    if recipe.method == "arbitrary":
        found, missing = recipe_drop.painted_by(recipe)
        recipe_drop.set_paintings(ANY_PAGE, found)
        if missing:
            notes.append(recipe_drop.missing_note(missing))
        regions = regions_ui.from_recipe("fast", recipe)
        return (f"any painting, {len(found)} of {len(recipe.paintings)} paintings{regions}, "
                "size, strength")
    if recipe.method == "multistyle":
        choices = arbitrary.multistyle_choices(recipe.multistyle)
        top = max(choices.values())
        for index in range(arbitrary.MULTISTYLE_COUNT):
            state[gallery.pick_key(magenta.MULTI_PICK, str(index))] = index in choices
        for index, weight in choices.items():
            state[magenta.MULTI_WEIGHT + str(index)] = round(weight / top / 0.05) * 0.05 or 0.05
        return f"26 styles ({recipe.multistyle}), size, strength"
    for model in fast_results.available_models():
        state[gallery.pick_key(fast_results.PICK_PREFIX, model.name)] = (
            model.name == recipe.style)
    return f"the trained network {recipe.style}, size, strength"


def drop_zone() -> None:
    recipe_drop.drop_zone("fast", tuple(MODE_OF_METHOD), apply_recipe)


def refine_button(content: pickers.Chosen, paintings: list[pickers.Chosen], mix: list[float],
                  result: shelf.Result, masks: list[np.ndarray] | None = None,
                  key: str = "fast.refine", width: str = "content") -> None:
    """"Refine with classic": a classic job from this picture (in the same regions, if
    any), and the classic page."""
    engine = common.engine()
    followed = engine.get(st.session_state.get(live.JOB))  # this session's classic run
    busy = followed is not None and followed.active
    if not st.button("Refine with classic", icon=":material/brush:", key=key,
                     width=width, disabled=busy, help=(
                         "A classic run (the classic page's settings) that starts from this "
                         "picture instead of the photo: the classic look in a fraction of its "
                         "time." + (" Your classic run is still going." if busy else ""))):
        return
    lim = classic_settings.limits()
    classic_settings.init_state(lim)
    config = dataclasses.replace(
        classic_settings.current_config(st.session_state, common.backbone_name()),
        init="image")
    several = len(paintings) > 1
    task = ClassicTask(
        content=content.pixels, styles=tuple(p.pixels for p in paintings), config=config,
        # By region the fast picture used no blend weights: neither does its refinement.
        style_blend=tuple(mix) if several and masks is None else None,
        init_image=images.load_image(result.png, what="fast picture"),
        content_name=content.name, style_names=tuple(p.name for p in paintings),
        requested_backbone=st.session_state[classic_settings.BACKBONE],
        masks=None if masks is None else tuple(masks))
    st.session_state[live.JOB] = engine.submit(common.session_owner(), task).id
    # The classic page shows this run's photo, paintings and regions, so what it draws
    # matches the job (by region the weights were not used: the page shows them all at 1).
    if masks is not None:
        regions_ui.load("classic", masks, "the fast page",
                        [regions_ui.short_name(p.name) for p in paintings])
        mix = [1.0] * len(paintings)
    else:
        st.session_state[regions_ui.key("classic", "on")] = False
    st.session_state[pickers.page_key(pickers.PHOTO, "classic")] = (
        st.session_state.get(pickers.page_key(pickers.PHOTO, "fast")))
    recipe_drop.set_paintings("classic", {_pick_id(chosen): weight
                                          for chosen, weight in zip(paintings, mix, strict=True)})
    st.switch_page("pages/classic.py")


def refine_trained(content: pickers.Chosen, result: shelf.Result, model) -> None:
    """"Refine with classic" under a trained network's picture: its painting is bundled
    (the manifest names it), so the classic run paints with it from that picture."""
    picture = next((p for p in catalog.paintings()
                    if p.path.name == model.manifest.get("painting")), None)
    if picture is not None:
        refine_button(content, [pickers.from_bundled(picture)], [1.0], result,
                      key=f"fast.refine.{model.name}", width="stretch")


def _pick_id(chosen: pickers.Chosen) -> str:
    """The painting picker's id of a chosen painting: a bundled stem or an upload's id."""
    upload = next((u for u in uploads.library(uploads.PAINTING) if u.name == chosen.name), None)
    return upload.id if upload is not None else Path(chosen.name).stem
