"""Compare page: one photo through many styles, a sweep over two settings, classic against
fast, a before/after slider, the evolution of a classic run; every view reachable by a link.

Widgets live in ``ui.compare`` (``grid``, ``sweep``, ``views``, ``versus``); pictures come from
the fast page's cache, the session's shelf (``ui.shelf``) and the engine's jobs; sheets and
GIFs from ``core.compare``; the view's state travels in the URL through ``ui.compare.link``.
"""

import streamlit as st

from ui import catalog, frame, pickers
from ui.compare import grid, versus
from ui.compare import link as compare_link
from ui.compare import sweep as compare_sweep
from ui.compare import views as compare_views
from ui.fast import magenta
from ui.fast import results as fast_results

frame.require_frame()  # a deep link on a fresh server runs this file alone

st.title("Compare")
st.caption("Put results next to each other: one photo in many styles, a grid over two "
           "settings, the classic method against the fast one, any two pictures under a "
           "slider, a classic run as it forms.")

try:
    models = fast_results.available_models()
except ValueError as error:  # a damaged manifest
    st.error(str(error))
    st.stop()
compare_link.init_state(compare_link.Choices(
    sections=tuple(compare_views.SECTIONS),
    photos=tuple(picture.stem for picture in catalog.photos()),
    styles=tuple(model.name for model in models),
    paintings=tuple(picture.stem for picture in catalog.paintings()),
))
versus.shelve_finished_jobs()

section = compare_views.section_picker()
method = grid.method_picker() if section == "grid" else None
if method in ("any", "multi") or section == "sweep":
    if (problem := magenta.problem()) is not None:
        st.error(f"The any-painting networks cannot be used: {problem}")
        st.stop()
fixed_size = None  # the fast pictures' size when a classic picture sets it (classic vs fast)
if section == "evolution":
    photo = pickers.photo_by_id(st.session_state.get(compare_link.PHOTO))
    compare_views.evolution_section(photo)
elif section == "sweep":
    photo_col, painting_col = st.columns(2, gap="large")
    with photo_col:
        photo = pickers.content_picker("compare")
    with painting_col:
        painting = compare_sweep.painting_picker()
    plan = compare_sweep.settings()
    if photo is not None and painting is not None and plan is not None:
        compare_sweep.show(photo, painting, plan)
else:
    if not models and section != "grid":
        st.warning("No style networks are installed, so there are no fast results to compare. "
                   "See the fast page for how to train one.")
    chosen, painting = [], None
    photo_col, style_col = st.columns(2, gap="large")
    with photo_col:
        photo = pickers.content_picker("compare")
    with style_col:
        if section == "versus":
            painting = compare_views.painting_picker(models)
        elif section == "grid":
            chosen = grid.picker(method, models)
        else:
            chosen = compare_views.styles_picker(models)
    pick = None
    if photo is not None and section == "versus" and painting is not None:
        pick = versus.pick_classic(photo, painting)
    fixed_size = pick.fast_size if pick is not None else None
    config = compare_views.settings_row(fixed_size) if method != "classic" else None
    if photo is not None and section == "grid":  # (a photo that cannot be used says why)
        grid.styles_grid(photo, method, chosen, config)
    elif pick is not None:
        versus.classic_vs_fast(photo, painting, config, pick)
    elif photo is not None and section == "slider":
        results = fast_results.paint_each(photo, chosen, config)
        compare_views.before_after_section(photo, results)

st.divider()
# The photo the link will name, as the view left it (Evolution shows its run's photo).
shown = pickers.photo_by_id(st.session_state.get(compare_link.PHOTO))
uploaded = shown is not None and shown.uploaded
query = compare_link.write(with_photo=not uploaded, size_from_classic=fixed_size is not None)
compare_link.share_hint(query, uploaded=uploaded)
