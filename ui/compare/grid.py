"""The compare page's styles grid: one photo through every method the studio has.

* Any painting (the default): Magenta's any-painting network with each chosen bundled
  painting, the very pictures (and cache entries) of the fast page's Any painting.
* Trained networks: the studio's networks, one per painting (``fast_results.paint_each``).
* 26 styles: the multi-style network, each style alone (``magenta.multistyle_result``).
* Classic results: this session's classic runs of the photo, from the shelf.

Fast results come with the session's classic runs of the same photo and paintings.
"""

from __future__ import annotations

import streamlit as st

from core import compare
from core.fast import arbitrary, registry
from core.fast.apply import FastConfig
from ui import catalog, gallery, pickers, shelf
from ui.compare import link as compare_link
from ui.compare import views as compare_views
from ui.fast import magenta
from ui.fast import results as fast_results
from ui.text import plural

METHODS = compare_link.GRID_METHODS  # method -> label, in the order the picker shows them
COLUMNS = {"multi": 4}  # 26 small pictures; the rest compare.GRID_COLUMNS
HOW_TO_CLASSIC = (
    "No classic run of this photo has finished in this session yet. Run one on the classic "
    "page, under *Classic vs fast*, or as a *Sweep* (classic); it shows up here.")


def method_picker() -> str:
    return st.segmented_control(
        "Method", list(METHODS), format_func=METHODS.__getitem__, required=True,
        key=compare_link.GRID_METHOD, persist_state="session", label_visibility="collapsed")


def art_picker() -> list[pickers.Chosen]:
    """The bundled paintings for the any-painting network (all by default)."""
    pictures = catalog.paintings()
    titles = {picture.stem: picture.title for picture in pictures}
    picked = st.pills(
        "Paintings (any-painting network)", list(titles), selection_mode="multi",
        key=compare_link.ART, format_func=titles.__getitem__, persist_state="session", wrap=True,
        help="The any-painting network paints the photo once with each; pictures made on "
             "the fast page with the same photo, painting and settings are reused.") or []
    return [pickers.from_bundled(picture) for picture in pictures if picture.stem in picked]


def picker(method: str, models: list[registry.StyleModel]) -> list:
    """What the method paints with: paintings, networks, the 26 style numbers; nothing for
    classic results (they come from the shelf)."""
    if method == "any":
        st.caption(magenta.ABOUT)
        return art_picker()
    if method == "trained":
        if not models:
            st.warning("No style networks are installed. See the fast page for how to train "
                       "one, or use Any painting.")
        return compare_views.styles_picker(models)
    if method == "multi":
        st.caption("Dumoulin et al. (2017), from Google Magenta: one network, 26 styles "
                   "(numbered 0 to 25, as on the fast page). The photo in each of them.")
        return list(range(arbitrary.MULTISTYLE_COUNT))
    st.caption("This session's classic runs of the photo: from the classic page, *Classic "
               "vs fast* and classic sweeps.")
    return []


def results_of(photo: pickers.Chosen, method: str, chosen: list,
               config: FastConfig) -> list[shelf.Result]:
    """The method's pictures of the photo (fast ones cached, classic ones from the shelf)."""
    if method == "classic":
        return classic_results(photo)
    if method == "trained":
        return fast_results.paint_each(photo, chosen, config)
    same = arbitrary.ArbitraryConfig(size=config.size, strength=config.strength,
                                     preserve_colors=config.preserve_colors,
                                     dehalo=config.dehalo)
    with st.spinner("Painting…"):
        if method == "any":
            return [magenta.any_result(photo, [painting], [1.0], same) for painting in chosen]
        return [magenta.multistyle_result(photo, {index: 1.0}, same) for index in chosen]


def classic_results(photo: pickers.Chosen) -> list[shelf.Result]:
    """The session's classic runs of this photo, newest first."""
    digest = compare.digest(photo.pixels)
    return [run for run in shelf.classic_runs() if run.photo_digest == digest]


def styles_grid(photo: pickers.Chosen, method: str, chosen: list,
                config: FastConfig) -> list[shelf.Result]:
    """The photo through each chosen style of ``method``, with this session's classic runs
    of it with those paintings; returns what it showed."""
    if method == "classic":
        results = classic_results(photo)
        if not results:
            st.info(HOW_TO_CLASSIC)
            st.page_link("pages/classic.py", label="Go to the classic page",
                         icon=":material/brush:")
            return []
        st.caption(f"{plural(len(results), 'classic run')} of this photo from this session.")
    else:
        if not chosen:
            st.info("Choose at least one painting." if method == "any" else
                    "Choose at least one fast style.")
            return []
        fast = results_of(photo, method, chosen, config)
        classic = compare_views.classic_matches(fast) if method != "multi" else []
        results = fast + classic
        note = f" and {plural(len(classic), 'classic run')} from this session" if classic else ""
        st.caption(f"{plural(len(fast), 'fast result')}{note}. Fast results are cached: those "
                   "made on the fast page with the same photo and settings are not painted "
                   "again.")
    if not results:
        return []
    columns = COLUMNS.get(method, compare_views.GRID_COLUMNS)
    for column, result in gallery.rows(results, columns, gap="medium"):
        column.image(result.png, caption=compare_views.caption(result), width="stretch")
    compare_views.sheet_download(photo, results, "grid", columns)
    return results
