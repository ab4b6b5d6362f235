"""Classic page: pick a photo and paintings, set up a run, watch it paint, download it.

Widgets become a ``core.engine.ClassicTask``; the job runs on the server's engine
(one per process, ``st.cache_resource``), and its id lives in Session State, so it
outlives reruns and page switches. ``ui.classic.live`` draws it.
"""

import functools

import streamlit as st

from core import memory
from core.engine import ClassicTask
from ui import common, frame, pickers, recipe_drop
from ui import regions as regions_ui
from ui.classic import live, settings

frame.require_frame()  # a deep link on a fresh server runs this file alone

st.title("Classic style transfer")
st.caption(
    "Gatys, Ecker & Bethge (2016): the picture's pixels are optimised until a VGG network "
    "sees the photo's layout drawn with the painting's textures. Slow but faithful: "
    "you can watch the painting form."
)

try:
    limits = settings.limits()
except ValueError as error:  # a bad size or iteration limit in the server's environment
    st.error(f"Server configuration: {error}")
    st.stop()
engine = common.engine_or_stop()
job = live.followed_job(engine)
recipe_drop.drop_zone("classic", ("classic",),
                      functools.partial(settings.apply_recipe, lim=limits))

photo_col, painting_col = st.columns(2, gap="large")
with photo_col:
    st.subheader("1 · Photo")
    content = pickers.content_picker()
with painting_col:
    st.subheader("2 · Painting")
    painted_with = pickers.style_picker()
masks = None
if content is not None and painted_with is not None:
    masks = regions_ui.regions_panel("classic", content.pixels,
                                     [regions_ui.short_name(p.name) for p in painted_with[0]])
st.subheader("3 · Settings")
config = settings.settings_panel(limits, common.backbone_name())

busy = job is not None and job.active
if content is None:
    problem = "Choose a photo that can be used."
elif painted_with is None:
    problem = "Choose a painting that can be used."
elif masks is None and regions_ui.wanted("classic"):
    problem = "Fix the regions above, or turn them off."
elif config is None:
    problem = "Fix the settings above."
else:
    problem = live.memory_problem(config, *content.pixels.shape[1::-1], masks is not None)

run_col, cancel_col, note_col = st.columns([1, 1, 5], vertical_alignment="center")
if run_col.button("Run", type="primary", key="classic.run", icon=":material/play_arrow:",
                  disabled=busy or problem is not None, width="stretch"):
    styles, weights = painted_with
    task = ClassicTask(
        content=content.pixels,
        styles=tuple(style.pixels for style in styles),
        config=config,
        style_blend=tuple(weights) if len(styles) > 1 else None,
        content_name=content.name,
        style_names=tuple(style.name for style in styles),
        requested_backbone=st.session_state[settings.BACKBONE],
        masks=None if masks is None else tuple(masks),
    )
    st.session_state[live.JOB] = engine.submit(common.session_owner(), task).id
    st.rerun()
if cancel_col.button("Cancel", key="classic.cancel", icon=":material/stop:", disabled=not busy,
                     width="stretch"):
    job.cancel()
    # The worker stops within one evaluation (a fraction of a second at 512 px): waiting for
    # it here lets this one rerun say "Cancelled" instead of the next poll.
    job.wait(timeout=1.0)
    st.rerun()
if problem:
    note_col.caption(problem)
elif busy:
    note_col.caption("Your job keeps running if you change settings or visit other pages.")
else:
    height, width = content.pixels.shape[:2]
    note_col.caption(f"Estimated time: {live.estimate_text(config, width, height)}; "
                     f"{memory.classic_peak(config, width, height, masks is not None).text()}.")

if job is not None:
    live.job_panel(job, active=busy)
live.earlier_runs(job.id if job is not None else None)
