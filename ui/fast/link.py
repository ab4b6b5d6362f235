"""The fast page's regions in a link: ``?photo=castle&paintings=wave,udnie&regions=<m1>.<m2>``.

Pictures do not travel in a link, so only a bundled example photo and bundled paintings can
be named (by file stem); each region is ``core.regions.encode``'s text of its mask, shrunk to
``LINK_SIDE``, and the masks are joined by "." (which base64's URL alphabet never uses). A
session reads the link on its first run of the page; what it cannot use is named in one
warning, and the rest is set up. (The compare page's link, ``ui.compare.link``, works alike.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from core import regions
from core.errors import UserError
from ui import catalog, frame, pickers, recipe_drop
from ui import regions as regions_ui

READ = "fast.link.read"  # not a widget: this session has read the page's link
PAGE = "fast"
ANY_PAGE = "fast.any"  # the any-painting picker's key prefix
SEPARATOR = "."


def read_once(mode_key: str) -> None:
    """Set the page up from its link, once per session (a warning names what was ignored)."""
    state = st.session_state
    if state.get(READ):
        return
    state[READ] = True
    params = st.query_params.to_dict()
    if not {"photo", "paintings", "regions"} & set(params):
        return
    problems: list[str] = []
    photo = params.get("photo")
    if photo is not None:
        if photo in {picture.stem for picture in catalog.photos()}:
            state[pickers.page_key(pickers.PHOTO, PAGE)] = photo
        else:
            problems.append(f"photo {photo!r} is not one of the example photos")
    stems = [stem for stem in params.get("paintings", "").split(",") if stem]
    unknown = [stem for stem in stems if catalog.painting(stem) is None]
    if unknown:
        problems.append("paintings " + ", ".join(map(repr, unknown)) + " are not bundled")
    elif stems:
        if state.get(mode_key, "any") != "any":  # (set only when needed: Streamlit warns
            state[mode_key] = "any"  # about a widget with a default set from outside)
        recipe_drop.set_paintings(ANY_PAGE, dict.fromkeys(stems, 1.0))
    if "regions" in params and not unknown:
        problems += _read_regions(params["regions"], stems)
    if problems:
        st.warning("Some of this link's settings were ignored: " + "; ".join(problems),
                   icon=":material/link_off:")


def _read_regions(text: str, stems: list[str]) -> list[str]:
    try:
        masks = regions.decode(text.split(SEPARATOR), what="regions")
    except UserError as error:
        return [str(error)]
    if len(masks) != len(stems):
        return [f"regions: {len(masks)} masks for {len(stems)} paintings"]
    regions_ui.load(PAGE, masks, "the link", stems)
    return []


def query(photo: pickers.Chosen, paintings: Sequence[pickers.Chosen],
          masks: Sequence[np.ndarray]) -> dict[str, str] | None:
    """The link's parameters, or None when an upload is among the pictures."""
    if photo.uploaded or any(painting.uploaded for painting in paintings):
        return None
    return {"photo": regions_ui.short_name(photo.name),
            "paintings": ",".join(regions_ui.short_name(p.name) for p in paintings),
            "regions": SEPARATOR.join(regions.encode(masks, max_side=regions.LINK_SIDE))}


def share(photo: pickers.Chosen, paintings: Sequence[pickers.Chosen],
          masks: Sequence[np.ndarray]) -> None:
    """"Share these regions": the link, or why there is none."""
    with st.expander("Share these regions", icon=":material/link:"):
        params = query(photo, paintings, masks)
        if params is None:
            st.caption("Uploads cannot travel in a link (they are never stored on the server): "
                       "download the picture instead; its recipe keeps the regions.")
            return
        st.caption("This link opens the fast page with this photo, these paintings and these "
                   f"regions (at {regions.LINK_SIDE} px: their edges a little softer).")
        st.code(frame.page_address("fast", params), language=None, wrap_lines=True)
