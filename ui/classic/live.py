"""A classic job on the page: live progress, loss chart, snapshot gallery, then the result.

The live part is an ``st.fragment`` that reruns itself every ``POLL_SECONDS`` while the job
is queued or running, and reads one ``JobView`` per rerun; the rest of the page stays put.
When the job ends, the fragment asks for one full rerun, which draws the result and
re-enables the Run button. Nothing here waits or sleeps on the script thread.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import compare, images, memory, regions
from core.classic import ClassicConfig
from core.engine import ClassicTask, Engine, JobHandle
from core.errors import UserError
from core.progress import CANCELLED, DONE, FAILED, QUEUED, JobView, Snapshot, snapshots_zip
from ui import catalog, common, gallery, recipe, shelf
from ui import export as export_ui
from ui.text import duration

JOB = "classic.job_id"  # not a widget: the id of this session's latest job
JOB_PARAM = "job"  # the followed job's id in the page's address: a reload or a link finds it
DOWNLOADS = "classic.downloads"  # not a widget: (job id, prepared results) cache
POLL_SECONDS = 0.5
STOPPED_BY = {  # StylizeResult.stopped_by, for a person
    "iterations": "the planned iterations",
    "time": "the time budget",
    "cancel": "Cancel",
    "converged": "convergence (the optimiser found no better step)",
    "evaluations": "L-BFGS-B's budget of evaluations for the scale",
}
GALLERY_MAX = 24
GALLERY_COLUMNS = 6
SHELF_SNAPSHOTS = 16  # snapshots a shelved run keeps (each a PNG of up to some MB)
# (loss, colour, dash); the total is dotted so that it shows where it lies on the style loss.
TRACES = (
    ("total", "#1f2a44", "dot"),
    ("style", "#d1495b", "solid"),
    ("content", "#2e86ab", "solid"),
    ("tv", "#8f8f8f", "solid"),
)


def followed_job(engine: Engine) -> JobHandle | None:
    """The job this page follows: the one its address names (a reload, a shared link, a
    restarted server on the Ray engine), else this session's latest. Writes the followed
    job's id into the address."""
    linked = st.query_params.get(JOB_PARAM)
    if linked and linked != st.session_state.get(JOB):
        found = engine.get(linked)
        if found is not None and isinstance(found.task, ClassicTask):
            st.session_state[JOB] = linked
        else:
            st.warning(f"The job in this page's address ({linked}) is no longer on this "
                       "server: finished jobs are kept for 30 minutes, and jobs on the local "
                       "engine end when the server restarts.")
            del st.query_params[JOB_PARAM]
    job = engine.get(st.session_state.get(JOB))
    if job is not None and st.query_params.get(JOB_PARAM) != job.id:
        st.query_params[JOB_PARAM] = job.id
    return job


def estimate_text(config: ClassicConfig, width: int, height: int) -> str:
    """'about 41 s from this server's last run (...)': a run's time, said before it starts."""
    engine = common.engine()
    estimate = engine.estimate(config, width, height, backbone=config.backbone)
    running, _ = engine.counts()
    wait = " once it gets a slot" if running >= engine.slots else ""
    return f"about {duration(estimate.seconds)}{wait}, from {estimate.pace.description}"


def memory_problem(config: ClassicConfig, width: int, height: int,
                   regions: bool = False) -> str | None:
    """Why this server cannot run ``config`` on a ``width`` x ``height`` photo (its peak
    memory would not fit), or None."""
    try:
        memory.check_fits(memory.classic_peak(config, width, height, regions), "This run")
    except UserError as error:
        return str(error)
    return None


def progress_text(view: JobView) -> str:
    """One line under the progress bar: where the job is and how long it has left."""
    if view.status == QUEUED:
        position = view.queue_position
        ahead = f"{position - 1} ahead of you" if position > 1 else "next to start"
        return f"Waiting for a free slot: number {position} in the queue ({ahead})"
    if view.status == DONE and view.result is not None:
        result = view.result
        return f"Done: {result.iterations} iterations in {duration(result.seconds)}"
    if view.status == CANCELLED:
        return f"Cancelled after {view.iteration} iterations"
    if view.status == FAILED:
        return "Failed"
    if view.cancel_requested:
        return f"Stopping after iteration {view.iteration}…"
    if not view.rows:
        if view.started is None:
            return "Loading the loss network and reading the painting…"
        return "Starting the optimisation (the first iteration also compiles it)…"
    planned = f" / {view.planned_iterations}" if view.planned_iterations else ""
    stage, stages = view.stage
    scale = f" (scale {stage} of {stages})" if stages > 1 else ""
    text = f"Iteration {view.iteration}{planned}{scale} · {duration(view.elapsed)} elapsed"
    eta = view.eta_seconds()
    if eta is None:  # one iteration done: it was mostly tracing, no pace to tell yet
        return f"{text} · estimating the time left" if view.planned_iterations else text
    return f"{text} · about {duration(eta)} left"


def loss_figure(view: JobView) -> go.Figure:
    """Weighted content, style, TV and total loss per iteration, log scale."""
    rows = view.rows
    iterations = [row.iteration for row in rows]
    figure = go.Figure()
    for name, colour, dash in TRACES:
        values = [getattr(row.losses, name) for row in rows]
        if name == "tv" and not any(values):
            continue  # no TV term in this run
        figure.add_trace(go.Scatter(
            x=iterations, y=values, name=name, line={"color": colour, "width": 2, "dash": dash},
            mode="lines" if len(rows) > 30 else "lines+markers",
        ))
    figure.update_layout(
        height=330, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title={"text": "Loss (weighted, log scale)", "font": {"size": 15}},
        xaxis_title="iteration", yaxis_type="log",
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.12},
    )
    # Iterations are whole numbers: no 1.5 tick, and one tick each on a short run.
    last = iterations[-1] if iterations else 1
    figure.update_xaxes(tickformat="d", dtick=1 if last <= 10 else None, rangemode="tozero")
    return figure


def evenly(snapshots: tuple[Snapshot, ...], count: int) -> list[Snapshot]:
    """At most ``count`` snapshots spread over the run, always with the first and last."""
    if len(snapshots) <= count:
        return list(snapshots)
    picks = np.linspace(0, len(snapshots) - 1, count).round().astype(int)
    return [snapshots[i] for i in dict.fromkeys(picks.tolist())]


def job_panel(job: JobHandle, *, active: bool, compact: bool = False) -> None:
    """A job on a page, the one polling view of every page: while it runs, a fragment that
    redraws itself every POLL_SECONDS; when it ends, one full rerun.

    In full (the classic page): the result once over, progress, the picture now, the loss
    chart and the snapshots. ``compact`` (a job inside another view, e.g. classic vs fast):
    progress and the picture now; the view that started it shows the result. ``active``:
    whether the job ran when the page drew its buttons. A job that ended since then gets its
    full rerun, which redraws them; asked again here, it left Run disabled and Cancel enabled
    with nothing to poll (seen once in CI).
    """
    if not active and not compact:
        _result(job)

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live() -> None:
        view = job.view()
        if active and not view.active:
            st.rerun()  # it just ended: one full rerun draws the result and the buttons
        _live(view, active, compact)

    live()


def _live(view: JobView, active: bool, compact: bool = False) -> None:
    st.progress(view.fraction(), text=progress_text(view))
    if view.status == FAILED:
        st.error(f"The run failed: {view.error}")
        return
    if compact:
        _current_image(view)
        return
    if active:
        current, chart = st.columns([1, 1.4], gap="medium")
        with current:
            _current_image(view)
        with chart:
            _chart(view)
    else:
        _chart(view)
    _gallery(view)


def _current_image(view: JobView) -> None:
    if view.snapshots:
        latest = view.snapshots[-1]
        st.image(latest.png, caption=f"Now: iteration {latest.iteration}", width="stretch")
    elif view.status == QUEUED:
        st.info("The picture appears here once the job starts.")
    else:
        st.info("The picture appears here once the optimisation starts.")


def _chart(view: JobView) -> None:
    if view.rows:
        st.plotly_chart(loss_figure(view), config={"displayModeBar": False})


def _gallery(view: JobView) -> None:
    if not view.snapshots:
        return
    shown = evenly(view.snapshots, GALLERY_MAX)
    more = f", {len(shown)} shown; all are in the ZIP" if len(shown) < len(view.snapshots) else ""
    st.markdown(f"**Snapshots** ({len(view.snapshots)}{more})")
    for column, snapshot in gallery.rows(shown, GALLERY_COLUMNS):
        column.image(snapshot.png, width="stretch",
                     caption=f"iteration {snapshot.iteration} · {duration(snapshot.elapsed)}")


def _prepared(job: JobHandle) -> dict:
    """Display images and download files for a finished job, made once per job."""
    cached = st.session_state.get(DOWNLOADS)
    if cached is not None and cached[0] == job.id:
        return cached[1]
    view = job.view()
    result = view.result
    record = job.record()
    if record["summary"] is not None:  # the page, not the core, knows why "auto" chose it
        record["summary"]["backbone_reason"] = _reason(job)
    side = max(result.image.shape[:2])
    made = job.task.picture_recipe(result.backbone.name)
    png = made.png(result.image)
    prepared = {
        "content": images.shrink_to(job.task.content, side),
        "styles": [images.shrink_to(style, side) for style in job.task.styles],
        "png": png,
        "zip": snapshots_zip(view.snapshots, png, record),
        "json": json.dumps(record, indent=2),
        "record": record,
        # for the 16-bit downloads, encoded when clicked; this cache holds the current job's
        # only, and the very array of its result (no copy)
        "made": made,
        "float_pixels": result.float_pixels,
    }
    st.session_state[DOWNLOADS] = (job.id, prepared)
    return prepared


def shelve(job: JobHandle) -> None:
    """Put a finished job's result (and some snapshots) on the session's shelf, once."""
    view = job.view()
    if view.status != DONE or view.result is None or shelf.holds_job(job.id):
        return
    task, result = job.task, view.result
    height, width = result.image.shape[:2]
    png = task.picture_recipe(result.backbone.name).png(result.image)
    snapshots = evenly(view.snapshots, SHELF_SNAPSHOTS)
    if not snapshots or snapshots[-1].iteration != result.iterations:
        snapshots.append(Snapshot(result.iterations, result.seconds, png))  # ends on the result
    shelf.put_job(job.id, shelf.Result(
        method=shelf.CLASSIC, photo=task.content_name, photo_digest=compare.digest(task.content),
        style=recipe.encode(task.config), painting=" + ".join(task.style_names),
        label=" + ".join(title(name) for name in task.style_names),
        png=png, seconds=result.seconds, size=(width, height),
        settings=f"{result.iterations} iterations, {task.config.optimizer}",
        snapshots=tuple(snapshots), weights=task.style_blend or (), job_id=job.id,
    ))


def _result(job: JobHandle) -> None:
    view = job.view()
    result = view.result
    if view.status == FAILED:
        return  # the live part shows the error
    if result is None:
        st.info("Cancelled before it started.")
        return
    st.subheader("Result")
    if view.status == DONE:
        shelve(job)
    if view.status == CANCELLED:
        st.warning(f"Cancelled at iteration {result.iterations}: this is the picture so far.")
    prepared = _prepared(job)
    task = job.task
    photo, paintings, painted = st.columns([1, 1, 1.5], gap="medium")
    photo.image(prepared["content"], caption=f"Photo: {title(task.content_name)}",
                width="stretch")
    blend = task.style_blend or (1.0,) * len(task.styles)
    labels = None if task.masks is None else regions.labels_of(task.masks)
    for index, (style, name, weight) in enumerate(
            zip(prepared["styles"], task.style_names, blend, strict=False)):
        weight_note = f" (weight {weight:g})" if len(task.styles) > 1 else ""
        if labels is not None:  # by region: the weight is that region's strength
            weight_note = (f" (its region: {round(100 * float(np.mean(labels == index)))} % of "
                           f"the picture{f', strength {weight:g}' if weight != 1 else ''})")
        paintings.image(style, caption=f"Painting: {title(name)}{weight_note}",
                        width="stretch")
    height, width = result.image.shape[:2]
    painted.image(result.image, caption=f"Result · {width} × {height} px", width="stretch")
    _timings(job, result)
    _downloads(job, prepared)


def title(name: str) -> str:
    """'styles/starry_night.jpg' -> 'The Starry Night — Vincent van Gogh, 1889'; uploads as
    named."""
    folder, _, file_name = name.partition("/")
    pictures = {"styles": catalog.paintings, "examples": catalog.photos}.get(folder)
    if pictures is not None:
        for picture in pictures():
            if picture.path.name == file_name:
                return picture.label
    return name.removeprefix("upload: ")


def _timings(job: JobHandle, result) -> None:
    speed = result.iterations / max(result.seconds, 1e-9)
    metrics = [
        ("Set-up", duration(result.setup_seconds)),
        ("Optimisation", duration(result.seconds)),
        ("Iterations", f"{result.iterations}"),
        ("Speed", f"{speed:.2f} it/s"),
        ("Precision", result.precision),
    ]
    for column, (label, value) in zip(st.columns(len(metrics)), metrics, strict=True):
        column.metric(label, value)
    st.caption(f"Stopped by: {STOPPED_BY.get(result.stopped_by, result.stopped_by)}. "
               f"Loss network: {result.backbone.label}, "
               f"{_reason(job)}.")


def earlier_runs(current_job_id: str | None) -> None:
    """The session's other classic runs, newest first: each picture stays until the session
    ends, with its download, however many runs follow it."""
    runs = [run for run in shelf.classic_runs() if run.job_id != current_job_id]
    if not runs:
        return
    st.subheader(f"Earlier runs in this session ({len(runs)})")
    for index, run in enumerate(runs):
        width, height = run.size
        with st.expander(f"{run.label} on {title(run.photo)} · {run.settings} · "
                         f"{duration(run.seconds)}", expanded=index == 0):
            picture, about = st.columns([2, 1], gap="medium")
            picture.image(run.png, width="stretch", caption=f"{width} × {height} px")
            about.download_button("Download PNG", run.png, file_name=f"{run.file_stem}.png",
                                  mime="image/png", key=f"classic.earlier.{run.job_id}",
                                  on_click="ignore", icon=":material/download:")


def _reason(job: JobHandle) -> str:
    # The page turns "auto" into the process's choice before submitting (no network probe
    # per job), so the core only saw an explicit name; the sidebar's choice knows why.
    if job.task.requested_backbone == "auto":
        return f"chosen automatically: {common.active_backbone().reason}"
    return job.result.backbone.reason


def _downloads(job: JobHandle, prepared: dict) -> None:
    height, width = job.view().result.image.shape[:2]
    stem = shelf.download_stem(job.task.content_name, job.task.style_names, "classic",
                               (width, height))
    png, archive, settings = st.columns(3)
    png.download_button("Download PNG", prepared["png"], file_name=f"{stem}.png",
                        mime="image/png", key="classic.download_png", on_click="ignore",
                        type="primary", icon=":material/download:", width="stretch")
    archive.download_button("Download snapshots (ZIP)", prepared["zip"],
                            file_name=f"{stem}-snapshots.zip", mime="application/zip",
                            key="classic.download_zip", on_click="ignore",
                            icon=":material/folder_zip:", width="stretch")
    settings.download_button("Download settings (JSON)", prepared["json"],
                             file_name=f"{stem}-settings.json", mime="application/json",
                             key="classic.download_json", on_click="ignore",
                             icon=":material/settings:", width="stretch")
    pixels = prepared["float_pixels"]
    if pixels is not None:
        first, second, _ = st.columns(3)
        export_ui.buttons((first, second), export_ui.Source(lambda: pixels, prepared["made"]),
                          stem, "classic.download", width="stretch")
    with st.expander("Settings used (load this file under Advanced settings to repeat the run)"):
        st.json(prepared["record"], expanded=False)
