"""A training job on the Train page: Start/Resume and Cancel, progress with its phase, step
and ETA, the latest preview of the held-out photos, then the network's manifest facts.

As on the classic page (``ui.classic.live``), the job runs on the server's engine and its id
lives in Session State; the live part is a fragment that polls one ``JobView`` every
``POLL_SECONDS`` while the job runs, then asks for one full rerun. Nothing here waits on a
worker or touches one.
"""

from __future__ import annotations

import streamlit as st

from core.engine import Engine, JobHandle
from core.fast.train import DISTIL, FINE_TUNE, FINE_TUNE_COST
from core.fast.training_job import TrainTask, estimate_seconds
from core.progress import CANCELLED, DONE, FAILED, QUEUED, JobView
from ui import common, gallery
from ui.fast import repeat
from ui.fast import results as fast_results
from ui.text import duration
from ui.train import form

JOB = "train.job_id"  # not a widget: the id of this session's latest training job
PACE = "train.pace"  # not a widget: (seconds per distillation step, the settings timed)
POLL_SECONDS = 1.0
FAST_PAGE = "pages/fast.py"


def owner() -> str:
    """Training jobs' owner: this session's, apart from its classic job (a new training run
    replaces only the session's earlier training run)."""
    return f"{common.session_owner()}.train"


def followed_job(engine: Engine) -> JobHandle | None:
    job = engine.get(st.session_state.get(JOB))
    return job if job is not None and isinstance(job.task, TrainTask) else None


def controls(engine: Engine, job: JobHandle | None, task: TrainTask | None,
             problem: str | None) -> bool:
    """Start (or Resume from a checkpoint of the same painting and settings), Cancel, and a
    line: what to fix, or how long it should take. Returns whether the job ran as they were
    drawn, for ``job_panel``."""
    busy = job is not None and job.active
    saved = task.saved_step() if task is not None and not busy else None
    if saved:
        task = form.fresh_choice(task, saved)
        saved = None if task.fresh else saved
    reached = task is not None and saved is not None and saved >= task.config.steps
    start_col, cancel_col, note_col = st.columns([1, 1, 5], vertical_alignment="center")
    label, icon = ("Resume", ":material/resume:") if saved else ("Start", ":material/play_arrow:")
    if start_col.button(label, type="primary", key="train.start", icon=icon, width="stretch",
                        disabled=busy or task is None or reached):
        st.session_state[JOB] = engine.submit(owner(), task).id
        st.rerun()
    if cancel_col.button("Cancel", key="train.cancel", icon=":material/stop:", width="stretch",
                         disabled=not busy):
        job.cancel()
        job.wait(timeout=2.0)  # it stops within a step, after saving a checkpoint
        st.rerun()
    if problem:
        note_col.caption(problem)
    elif busy:
        note_col.caption("Training keeps running if you change settings or visit other "
                         "pages; Cancel keeps a checkpoint to resume from.")
    elif reached:
        note_col.caption(f"Its checkpoint is at step {saved}: raise Steps to train it further, "
                         "or start afresh.")
    else:
        note_col.caption(estimate_text(task, saved or 0))
    return busy


def estimate_text(task: TrainTask, saved: int) -> str:
    """'Estimated time: about 14 min 10 s for steps 0 to 1000, at ...' (the measured pace of
    this session's last run, else the benchmark's)."""
    measured = st.session_state.get(PACE)
    seconds = estimate_seconds(task.config, saved, measured)
    phases = (f"; a fine-tuning step counted as {FINE_TUNE_COST:g} distillation steps, as "
              "measured on a 2-core CPU" if task.config.distil_steps else "")
    source = ("at the pace of your last training run on this server" if measured else
              f"at the benchmark's pace on a 2-core CPU (BENCHMARKS.md{phases}): the measured "
              "pace replaces it once training runs")
    steps = (f"steps {saved} to {task.config.steps}" if saved else
             f"{task.config.steps} steps")
    return f"Estimated time: about {duration(seconds)} for {steps}, {source}."


def phase_name(view: JobView) -> str:
    stage, stages = view.stage
    return DISTIL if stages == 2 and stage == 1 else FINE_TUNE


def progress_text(view: JobView) -> str:
    """One line under the progress bar: where training is and how long it has left."""
    if view.status == QUEUED:
        return f"Waiting for a free slot: number {view.queue_position} in the queue"
    result = view.result
    if view.status == DONE and result is not None:
        return f"Done: {result.steps} steps in {duration(result.seconds)}"
    if view.status == CANCELLED:
        step = result.steps if result is not None else view.iteration
        return f"Cancelled at step {step}: Resume continues from its checkpoint"
    if view.status == FAILED:
        return "Failed"
    if view.cancel_requested:
        return f"Stopping after step {view.iteration} and saving a checkpoint…"
    if not view.rows:
        if view.started is None:
            return "Loading the training photos, the loss network and the painting…"
        return f"Starting at step {view.started.first_step} (the first step also compiles)…"
    text = (f"{phase_name(view).capitalize()}: step {view.iteration} / "
            f"{view.planned_iterations} · {duration(view.elapsed)} elapsed")
    eta = view.eta_seconds()
    return f"{text} · about {duration(eta)} left" if eta is not None else (
        f"{text} · estimating the time left")


def job_panel(job: JobHandle, active: bool) -> None:
    """The job: live while it runs (a polling fragment), then its network's facts.
    ``active``: whether it ran when ``controls`` drew the buttons, so that a job ending in
    between gets its full rerun (as ``ui.classic.live.job_panel``)."""

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live() -> None:
        view = job.view()
        if active and not view.active:
            st.rerun()  # it just ended: one full rerun draws the result and the buttons
        _remember_pace(job, view)
        _live(view, job.task)

    live()
    if not active:
        _finished(job)


def _remember_pace(job: JobHandle, view: JobView) -> None:
    pace = view.pace()
    if pace is not None and view.iteration >= 3:
        st.session_state[PACE] = (pace, job.task.config)


def _live(view: JobView, task: TrainTask) -> None:
    st.progress(view.fraction(), text=progress_text(view))
    if view.status == FAILED:
        st.error(f"Training failed: {view.error}")
        return
    if view.snapshots:
        latest = view.snapshots[-1]
        st.image(latest.png, width="content",
                 caption=f"Held-out photos (top) and the network's paintings of them (below), "
                         f"step {latest.iteration}")
    elif view.active and task.config.preview_every:
        st.info("A preview of held-out photos, painted by the network as it learns, appears "
                f"here every {task.config.preview_every} steps.")


def _finished(job: JobHandle) -> None:
    view = job.view()
    result = view.result
    if view.status != DONE or result is None or result.model is None:
        return
    model = result.installed()  # its files written here if it ran on another machine
    st.success(f"**{model.name}** is trained and saved: the fast page now offers it under "
               "Trained networks.", icon=":material/check_circle:")
    if st.button("Paint with it on the Fast page", key="train.open_fast", type="primary",
                 icon=":material/bolt:"):
        st.session_state[repeat.MODE] = "trained"
        st.session_state[gallery.pick_key(fast_results.PICK_PREFIX, model.name)] = True
        st.switch_page(FAST_PAGE)
    st.markdown(fast_results.manifest_facts(model))
