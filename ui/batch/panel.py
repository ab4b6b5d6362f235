"""The batch on the page: Run and Cancel, then progress, results as they come, failures and
the ZIP of everything.

The live part is an ``st.fragment`` that reruns itself every ``POLL_SECONDS`` while the batch
runs, as ``ui.classic.live.job_panel`` does for a classic job: each rerun collects the jobs
that ended (``ui.batch.run.collect``) and redraws the progress and the grid; when the last
one ends it asks for one full rerun, which draws the downloads and the buttons again. Nothing
here waits or sleeps on the script thread.
"""

from __future__ import annotations

import math

import streamlit as st

from core.batch import BatchRecipe, Uploads
from core.classic import ClassicConfig
from core.engine import Engine
from core.progress import CANCELLED, DONE, FAILED, RUNNING
from ui import gallery
from ui.batch import run as batch_run
from ui.text import duration, fast_duration, plural

POLL_SECONDS = 0.5
GRID_COLUMNS = 3
MARKDOWN_SPECIAL = set("\\`*_[]~$")
ESTIMATE_ASPECT = 3 / 4  # the photo an estimate before Run assumes: landscape 4:3


def controls(engine: Engine, photos: Uploads, recipe: BatchRecipe | None,
             problem: str | None, label: str, stem: str, estimate: str | None = None) -> None:
    """Run (a new batch; the session's previous one is cancelled) and Cancel, with a line
    that says what holds the batch back, or what it will take."""
    run = batch_run.current()
    if run is not None:
        batch_run.collect(engine, run)  # what ended since the last poll: the buttons know
    busy = run is not None and run.active
    run_col, cancel_col, note_col = st.columns([1, 1, 5], vertical_alignment="center")
    if run_col.button("Run", type="primary", key="batch.run", icon=":material/play_arrow:",
                      disabled=problem is not None, width="stretch",
                      help="Paints every photo; a batch still running is cancelled first."):
        batch_run.start(engine, recipe, photos.photos, label, stem)
        st.rerun()
    if cancel_col.button("Cancel", key="batch.cancel", icon=":material/stop:",
                         disabled=not busy or run.cancel_requested, width="stretch"):
        batch_run.cancel(engine, run)
        st.rerun()
    if problem:
        note_col.caption(problem)
    elif busy:
        note_col.caption("The batch keeps running while you change settings; on other pages "
                         "the photos already started finish and the rest wait for this page. "
                         "Run starts a new batch in its place.")
    else:
        note_col.caption(estimate or f"{plural(len(photos.photos), 'photo')}, up to "
                                     f"{engine.slots} at a time on {engine.where}.")


def classic_estimate(engine: Engine, config: ClassicConfig, count: int) -> str:
    """'Classic: about 41 s a photo (4:3, 512 px); 12 photos: about 8 min 12 s'."""
    width, height = config.size, round(config.size * ESTIMATE_ASPECT)
    seconds = engine.estimate(config, width, height, backbone=config.backbone).seconds
    rounds = math.ceil(count / max(engine.slots, 1))
    total = f"; {plural(count, 'photo')}: about {duration(seconds * rounds)}" if count else ""
    return f"Classic: about {duration(seconds)} a photo (4:3, {width} px){total}"


def batch_panel(engine: Engine) -> None:
    """The session's batch, live while it runs; nothing before the first."""
    run = batch_run.current()
    if run is None:
        return
    batch_run.collect(engine, run)
    active = run.active
    st.subheader("4 · Results")
    st.caption(run.label)

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live() -> None:
        batch_run.collect(engine, run)
        if active and not run.active:
            st.rerun()  # the batch just ended: one full rerun draws the downloads
        st.progress(_fraction(run), text=progress_text(run))
        if not active:
            _downloads(run)
        _failures(run)
        _grid(run)

    live()


def progress_text(run: batch_run.BatchRun) -> str:
    """One line under the progress bar: how many are done and failed, how long is left."""
    total, done, failed = len(run.items), run.count(DONE), run.count(FAILED)
    failures = f" · {failed} failed" if failed else ""
    if not run.active:
        took = (f" in {duration(run.elapsed)}" if run.watched
                else " (it ended while this page was not open)")
        cancelled = run.count(CANCELLED)
        if cancelled:
            return f"Cancelled: {done} of {total} painted{took}{failures} · {cancelled} not painted"
        return f"Done: {done} of {total} painted{took}{failures}"
    text = f"{done} of {total} painted{failures}"
    if run.cancel_requested:
        return f"Stopping… {text}"
    running = run.count(RUNNING)
    text += f" · {running} painting now" if running else " · waiting for a free slot"
    eta = run.eta_seconds()
    left = "estimating the time left" if eta is None else f"about {duration(eta)} left"
    return f"{text} · {duration(run.elapsed)} elapsed · {left}"


def _fraction(run: batch_run.BatchRun) -> float:
    work = sum(1.0 if item.ended else item.fraction for item in run.items)
    return min(1.0, work / max(len(run.items), 1))


def _failures(run: batch_run.BatchRun) -> None:
    failed = [item for item in run.items if item.status == FAILED]
    if not failed:
        return
    lines = []
    for item in failed:
        # "photo a.jpg: not an image file..." already names the photo: said once.
        reason = item.error.removeprefix(f"photo {item.name}: ")
        lines.append(f"- **{_plain(item.name)}**: {_plain(reason)}")
    st.error(f"{plural(len(failed), 'photo')} could not be painted:\n" + "\n".join(lines))


def _plain(text: str) -> str:
    """Text shown as itself in Markdown: a file name's * or _ is not emphasis."""
    return "".join("\\" + char if char in MARKDOWN_SPECIAL else char for char in text)


def _grid(run: batch_run.BatchRun) -> None:
    painted = [item for item in run.items if item.status == DONE]
    for column, item in gallery.rows(painted, GRID_COLUMNS):
        width, height = item.size
        column.image(item.thumbnail, width="stretch",
                     caption=f"{item.name} · {width} × {height} px · "
                             f"{fast_duration(item.seconds)}")


def _downloads(run: batch_run.BatchRun) -> None:
    if not run.count(DONE):
        return
    if run.archive is None:
        run.archive = batch_run.archive(run)
    st.download_button(
        f"Download all ({plural(run.count(DONE), 'picture')} and settings.json, ZIP)",
        run.archive, file_name=f"{run.stem}.zip", mime="application/zip",
        key="batch.download_zip", on_click="ignore", type="primary",
        icon=":material/folder_zip:")
