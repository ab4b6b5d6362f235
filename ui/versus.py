"""Classic against fast: one photo, one painting, both methods side by side with their times.

The fast picture comes from the fast page's cache; the classic one from this session's
shelf. Without one, the page offers to start a classic job with the recommended preset.
That job is this page's own (its own owner and Session State key), so it never replaces
or cancels the classic page's job; it queues for a slot like any other.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from core import compare
from core.classic import PRESETS
from core.fast import registry
from core.fast.apply import FastConfig
from core.jobs import FAILED, ClassicTask, Job
from ui import catalog, common, compare_views, fast_results, live, pickers, settings, shelf

JOB = "compare.job_id"  # not a widget: the id of this page's classic job
PRESET = "recommended"


def shelve_finished_jobs() -> None:
    """Shelve the session's finished classic jobs, the classic page's and this page's."""
    manager = common.job_manager()
    for key in (live.JOB, JOB):
        job = manager.get(st.session_state.get(key))
        if job is not None:
            live.shelve(job)


def classic_vs_fast(photo: pickers.Chosen, model: registry.StyleModel,
                    config: FastConfig) -> list[shelf.Result]:
    """Both pictures and their times; returns the results shown."""
    fast = fast_results.paint_each(photo, [model], config)
    painting = f"{catalog.STYLES_DIR.name}/{model.painting}"
    classic = shelf.classic_for(compare.digest(photo.pixels), painting)
    classic_col, fast_col = st.columns(2, gap="medium")
    with classic_col:
        st.markdown("**Classic** (Gatys et al.: optimise the pixels)")
        if classic is not None:
            st.image(classic.png, width="stretch", caption=_caption(classic))
        else:
            _offer_classic_run(photo, model, painting)
    with fast_col:
        st.markdown("**Fast** (Johnson et al.: one pass of a trained network)")
        for result in fast:
            st.image(result.png, width="stretch", caption=_caption(result))
    shown = [result for result in (classic, *fast) if result is not None]
    if classic is not None and fast:
        _timings(classic, fast[0])
        compare_views.sheet_download(photo, shown, "classic-vs-fast")
    return shown


def _caption(result: shelf.Result) -> str:
    width, height = result.size
    return (f"{result.label} · {result.method} · {compare_views.time_text(result.seconds)} · "
            f"{width} × {height} px · {result.settings}")


def _timings(classic: shelf.Result, fast: shelf.Result) -> None:
    classic_col, fast_col, ratio_col = st.columns(3)
    classic_col.metric("Classic", compare_views.time_text(classic.seconds))
    fast_col.metric("Fast", compare_views.time_text(fast.seconds))
    ratio = classic.seconds / max(fast.seconds, 1e-9)
    ratio_col.metric("Fast is quicker by", f"{ratio:,.0f}×")
    st.caption("Times of the painting itself: the classic optimisation without loading its "
               "network, the fast network's one pass. The two may be at different sizes "
               "(see the captions).")


def _offer_classic_run(photo: pickers.Chosen, model: registry.StyleModel,
                       painting: str) -> None:
    manager = common.job_manager()
    job = manager.get(st.session_state.get(JOB))
    if job is not None and job.active:
        _progress(job)
        return
    if job is not None and job.status == FAILED:
        st.error(f"The last classic run failed: {job.error}")
    st.info("No classic run of this photo with this painting in this session yet. Start one "
            f"with the {PRESET} preset (a few minutes), or run one on the classic page.")
    picture = _painting_picture(model)
    if picture is None:
        st.warning(f"The painting {model.painting} is not installed, so the classic method "
                   "cannot use it.")
        return
    if st.button("Run classic", key="compare.run_classic", icon=":material/play_arrow:",
                 type="primary"):
        try:
            task = _task(photo, picture, painting)
        except ValueError as error:  # a bad limit in the server's environment
            st.error(f"Server configuration: {error}")
            return
        owner = f"{common.session_owner()}.compare"  # not the classic page's job
        st.session_state[JOB] = manager.submit(owner, task).id
        st.rerun()


def _painting_picture(model: registry.StyleModel) -> pickers.Chosen | None:
    for picture in catalog.paintings():
        if picture.path.name == model.painting:
            return pickers.from_bundled(picture)
    return None


def _task(photo: pickers.Chosen, picture: pickers.Chosen, painting: str) -> ClassicTask:
    limits = settings.limits()
    recommended = PRESETS[PRESET]
    config = dataclasses.replace(
        recommended,
        size=min(recommended.size, limits.max_size),
        iterations=min(recommended.iterations, limits.max_iterations),
        # "auto" is decided once per process (sidebar); the job then skips the probe.
        backbone=common.backbone_name(),
    )
    return ClassicTask(content=photo.pixels, styles=(picture.pixels,), config=config,
                       content_name=photo.name, style_names=(painting,),
                       requested_backbone="auto")


def _progress(job: Job) -> None:
    task = job.task
    st.caption(f"Classic run of {live.title(task.content_name)} with "
               f"{live.title(task.style_names[0])}:")

    @st.fragment(run_every=live.POLL_SECONDS)
    def poll() -> None:
        view = job.view()
        if not view.active:
            st.rerun()  # it just ended: a full rerun shelves it and shows it
        st.progress(view.fraction(), text=live.progress_text(view))
        if view.snapshots:
            latest = view.snapshots[-1]
            st.image(latest.png, width="stretch", caption=f"Now: iteration {latest.iteration}")

    poll()
    if st.button("Cancel", key="compare.cancel_classic", icon=":material/stop:"):
        job.cancel()
        st.rerun()
