"""What the clip is painted with, the Paint and Cancel buttons, and the run on the page.

The pickers are the batch page's (``ui.batch.choices``), limited to the fast methods: a
clip's frames go through the same networks as a batch's photos. The live part is an
``st.fragment`` that reruns itself every ``POLL_SECONDS`` while the run paints, as
``ui.batch.panel`` does; when the run ends it asks for one full rerun, which draws the
players, the downloads and the buttons again. Nothing here waits on the script thread.
"""

from __future__ import annotations

import dataclasses
import json

import streamlit as st

from core.batch import BatchRecipe
from core.video.consistency import ConsistencyConfig
from ui.text import duration, plural
from ui.video import clip as video_clip
from ui.video import run as video_run

POLL_SECONDS = 0.5
MODE = "video.mode"
CONSISTENCY = "video.consistency"
SIDE_BY_SIDE = "video.side_by_side"


def fit_to_clip(config, clip: video_clip.Clip | None):
    """The settings with the size capped at the clip's own: a clip is never enlarged (it
    would take longer and look no sharper)."""
    if config is None or clip is None or clip.info is None or config.size is None:
        return config
    side = max(clip.info.width, clip.info.height)
    if config.size <= side:
        return config
    st.caption(f"Painted at {side} px, the clip's own size: a clip is not enlarged.")
    return dataclasses.replace(config, size=side)


def options() -> tuple[ConsistencyConfig | None, bool]:
    """The consistency toggle (on by default) and 'original beside painted'."""
    steady_col, beside_col = st.columns(2)
    steady = steady_col.toggle(
        "Consistency", value=True, key=CONSISTENCY, persist_state="session",
        help="Blends each painted frame with the previous one carried along the optical "
             "flow, where the flow can be trusted: far less flicker, a little more time.")
    beside = beside_col.toggle(
        "Original beside painted", key=SIDE_BY_SIDE, persist_state="session",
        help="Also makes a clip with the original on the left and the painting on the right.")
    return (ConsistencyConfig() if steady else None), beside


def controls(clip: video_clip.Clip | None, recipe_: BatchRecipe | None, problem: str | None,
             consistency: ConsistencyConfig | None, beside: bool, label: str, stem: str) -> None:
    """Paint the video (a new run; a running one is cancelled first) and Cancel."""
    run = video_run.current()
    busy = run is not None and run.active
    if clip is None:
        problem = "Upload a clip."
    elif clip.error:
        problem = "Choose a clip that can be painted."
    paint_col, cancel_col, note_col = st.columns([1.4, 1, 4], vertical_alignment="center")
    if paint_col.button("Paint the video", type="primary", key="video.paint",
                        icon=":material/movie:", disabled=problem is not None,
                        width="stretch", help="A run already going is cancelled first."):
        steady = "consistency on" if consistency else "consistency off"
        video_run.start(clip.data, clip.name, recipe_, consistency, beside,
                        f"{clip.name} · {label} · {steady}", stem, clip.info.frame_count)
        st.rerun()
    if cancel_col.button("Cancel", key="video.cancel", icon=":material/stop:",
                         disabled=not busy or run.cancel.is_set(), width="stretch"):
        run.cancel.set()
        st.rerun()
    if problem:
        note_col.caption(problem)
    elif busy:
        note_col.caption("The clip keeps painting while you change settings or pages.")
    else:
        note_col.caption(f"{plural(clip.info.frame_count, 'frame')}, painted one after "
                         "another on this server.")


def run_panel() -> None:
    """The session's run, live while it paints; nothing before the first."""
    run = video_run.current()
    if run is None:
        return
    active = run.active
    st.subheader("4 · Result")
    st.caption(run.label)

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live() -> None:
        if active and not run.active:
            st.rerun()  # it just ended: one full rerun draws the players and downloads
        st.progress(run.fraction if run.status != video_run.DONE else 1.0,
                    text=progress_text(run))
        if run.status == video_run.FAILED:
            st.error(f"The clip could not be painted: {run.error}")
        if run.status == video_run.DONE:
            _results(run)

    live()


def progress_text(run: video_run.VideoRun) -> str:
    """'7 of 12 frames · 3.1 s elapsed · about 2.2 s left', 'Done: 12 frames in 5.0 s'."""
    frames = f"{run.done} of {plural(run.expected, 'frame')}"
    if run.status == video_run.DONE:
        return f"Done: {plural(run.result.frames, 'frame')} in {duration(run.elapsed)}"
    if run.status == video_run.CANCELLED:
        return f"Cancelled after {frames}: nothing was kept"
    if run.status == video_run.FAILED:
        return f"Failed after {frames}"
    if run.cancel.is_set():
        return f"Stopping… {frames}"
    eta = run.eta_seconds()
    left = "estimating the time left" if eta is None else f"about {duration(eta)} left"
    return f"{frames} painted · {duration(run.elapsed)} elapsed · {left}"


def _results(run: video_run.VideoRun) -> None:
    summary = run.result.summary()
    fps_col, error_col, size_col = st.columns(3)
    fps_col.metric("Processing speed", f"{summary['processing_fps']:g} fps",
                   help="Frames painted per second, decoding and encoding included.")
    error_col.metric("Warping error", f"{summary['warping_error']:g}", help=(
        "Flicker: how far each frame is from the previous one carried along the optical "
        "flow (Lai et al. 2018, 0–255 scale); lower is steadier."))
    size_col.metric("Size", f"{summary['size'][0]} × {summary['size'][1]} px",
                    help=f"{summary['frames']} frames at {summary['fps']:g} fps")
    players = [("Painted", run.painted, f"{run.stem}.mp4", "video.download")]
    if run.beside is not None:
        players.append(("Original beside painted", run.beside, f"{run.stem}-side-by-side.mp4",
                        "video.download_side"))
    for column, (title, data, _, _) in zip(st.columns(len(players)), players, strict=True):
        column.markdown(f"**{title}**")
        column.video(data, format="video/mp4")
    for column, (_, data, file_name, key) in zip(st.columns(len(players)), players,
                                                 strict=True):  # in a row of their own
        column.download_button(f"Download {file_name}", data, file_name=file_name,
                               mime="video/mp4", key=key, on_click="ignore",
                               icon=":material/download:", type="primary")
    for note in summary["notes"]:
        st.caption(note)
    with st.expander("Summary (JSON)"):
        shown = {key: value for key, value in summary.items() if key != "output"}
        st.code(json.dumps(shown, indent=2), language="json")
