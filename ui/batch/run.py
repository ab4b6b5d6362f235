"""A batch in the session: its photos' jobs on the engine, and what has come back.

Each photo is one ``core.batch.PaintTask``, submitted with ``replace=False`` under the owner
``<session id>.batch`` (the session's classic run, owned by the bare session id, is never
touched by a batch, nor the batch by it). The engine's queue is first in, first out and
shared by every visitor, so a batch keeps at most ``window`` jobs unfinished there (two per
slot, ``core.engine.base.BATCH_WINDOW_PER_SLOT``, as ``Engine.run_all`` does for the command
line): the other photos wait in the run, as their bytes, and each ``collect`` submits more as
jobs end. So another visitor's job waits behind a window of a batch, not behind all of it.
A feeder thread (``_feed``) collects and submits as jobs end while the page is not drawn (the
person is on another page), and stops when the browser session has gone.

``BatchRun`` keeps the job ids and, once a job has ended, its picture and time or its error;
the job is then forgotten on the engine, so a finished batch holds no slot, no queue place
and no record there. The run lives in Session State: it outlives reruns and page switches,
and the page shows whatever ended meanwhile when it is drawn again. Nothing here draws, and
only the feeder waits: ``ui.batch.panel`` polls ``collect``. The run's lock keeps the feeder
and the page from collecting the same job twice.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

import streamlit as st

from core import compare, images
from core.batch import BatchRecipe, PaintTask, UploadedPhoto, output_names
from core.engine import Engine
from core.engine.base import BATCH_WINDOW_PER_SLOT
from core.progress import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobView
from ui import common

CURRENT = "batch.current"  # not a widget: this session's latest BatchRun
THUMBNAIL_SIDE = 360  # px: the grid's pictures (the PNGs themselves only go in the ZIP)
WATCHED_SECONDS = 3.0  # an end seen this soon after the previous look is timed to it
FEED_SECONDS = 1.0  # the feeder's longest wait for a job to end
log = logging.getLogger(__name__)
LOST = "its job is gone from the server (the server restarted, or kept it too long)"


@dataclass
class Item:
    """One photo of the batch and what became of it."""

    name: str  # as uploaded: "beach.jpg", "holiday/beach.jpg"
    output: str  # its result in the ZIP: "beach.png", "holiday/beach.png"
    job_id: str | None = None  # None while it waits to be submitted
    data: bytes | None = field(default=None, repr=False)  # the photo, until submitted
    status: str = QUEUED  # QUEUED (submitted or not), RUNNING, then DONE, FAILED or CANCELLED
    fraction: float = 0.0  # of its own work (a classic run reports it; fast ones jump to 1)
    png: bytes | None = field(default=None, repr=False)
    thumbnail: bytes | None = field(default=None, repr=False)  # JPEG, THUMBNAIL_SIDE px
    size: tuple[int, int] = (0, 0)  # (width, height) px
    seconds: float = 0.0
    error: str | None = None

    @property
    def ended(self) -> bool:
        return self.status not in (QUEUED, RUNNING)


@dataclass
class BatchRun:
    """This session's batch: what it paints with, its photos, its clock."""

    label: str  # "Any painting: The Starry Night · 256 px"
    settings: dict  # the recipe, JSON-ready (BatchRecipe.describe)
    stem: str  # the download's name, without ".zip"
    items: list[Item]
    recipe: BatchRecipe = field(repr=False)  # what the photos still waiting are painted with
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None  # when the page saw the last photo end
    watched: bool = True  # the end was seen as it happened (else: the page was not open)
    polled: float = field(default_factory=time.monotonic)  # the last collect
    cancel_requested: bool = False
    archive: bytes | None = field(default=None, repr=False)  # the ZIP, made once at the end
    owner: str = ""  # the jobs' owner: "<session id>.batch"
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return any(not item.ended for item in self.items)

    def count(self, *statuses: str) -> int:
        return sum(item.status in statuses for item in self.items)

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far (photos' work done per second); None until a
        photo has ended or reported progress."""
        work = sum(1.0 if item.ended else item.fraction for item in self.items)
        if not self.active or work <= 0:
            return None
        return (len(self.items) - work) * self.elapsed / work


def owner() -> str:
    return f"{common.session_owner()}.batch"


def current() -> BatchRun | None:
    return st.session_state.get(CURRENT)


def start(engine: Engine, recipe: BatchRecipe, photos: Sequence[UploadedPhoto], label: str,
          stem: str) -> BatchRun:
    """A batch of one job per photo, the first ``window`` submitted; the session's previous
    batch is cancelled and dropped."""
    previous = current()
    if previous is not None:
        drop(engine, previous)
    outputs = output_names([photo.name for photo in photos], [p.folder for p in photos])
    items = [Item(photo.name, output, data=photo.data)
             for photo, output in zip(photos, outputs, strict=True)]
    run = BatchRun(label, recipe.describe(), stem, items, recipe, owner=owner())
    st.session_state[CURRENT] = run
    with run.lock:
        submit_more(engine, run)
    threading.Thread(target=_feed, args=(engine, run, common.session_connected),
                     name=f"batch-feeder-{run.owner}", daemon=True).start()
    return run


def _feed(engine: Engine, run: BatchRun, connected) -> None:
    """Keep the run's window full, and collect what ends, until every photo has ended, the
    run is cancelled or its browser session has gone (``connected(owner)``)."""
    try:
        while not run.cancel_requested and connected(run.owner) and run.active:
            handles = [engine.get(item.job_id) for item in run.items
                       if item.job_id is not None and not item.ended]
            handles = [handle for handle in handles if handle is not None]
            if handles:
                engine.wait_any(handles, FEED_SECONDS)
            else:
                time.sleep(FEED_SECONDS)
            collect(engine, run)
    except Exception:  # the page's own polling still feeds the run when it is drawn
        log.exception("feeding batch %s failed", run.owner)


def window(engine: Engine) -> int:
    """Jobs a batch keeps unfinished on the engine at most."""
    return max(1, engine.slots * BATCH_WINDOW_PER_SLOT)


def submit_more(engine: Engine, run: BatchRun) -> None:
    """Submit waiting photos, in order, until ``window`` of the run's jobs are unfinished."""
    if run.cancel_requested:
        return
    unfinished = sum(item.job_id is not None and not item.ended for item in run.items)
    for item in run.items:
        if unfinished >= window(engine):
            return
        if item.job_id is None and not item.ended:
            task = PaintTask(run.recipe, item.data, item.name)
            item.job_id = engine.submit(run.owner, task, replace=False).id
            item.data = None
            unfinished += 1


def cancel(engine: Engine, run: BatchRun) -> None:
    """Cancel every photo not yet painted: waiting ones never start, running ones stop as
    soon as they can (a classic run within an iteration, a fast one after its pass)."""
    run.cancel_requested = True
    with run.lock:
        _cancel_all(engine, run)


def _cancel_all(engine: Engine, run: BatchRun) -> None:
    for item in run.items:
        if not item.ended and item.job_id is None:  # never submitted: never will be
            item.status, item.data = CANCELLED, None
        handle = None if item.ended else engine.get(item.job_id)
        if handle is not None:
            handle.cancel()


def drop(engine: Engine, run: BatchRun) -> None:
    """Cancel and forget every job of ``run`` still on the engine; submit no more."""
    run.cancel_requested = True
    with run.lock:
        for item in run.items:
            item.data = None
            if not item.ended and item.job_id is not None:
                engine.forget(item.job_id)


def collect(engine: Engine, run: BatchRun) -> None:
    """Read every unfinished photo's job once; copy what ended into the run and forget the
    job on the engine; submit waiting photos in their place."""
    with run.lock:
        _collect(engine, run)


def _collect(engine: Engine, run: BatchRun) -> None:
    for item in run.items:
        if item.ended or item.job_id is None:
            continue
        handle = engine.get(item.job_id)
        if handle is None:
            item.status, item.error = FAILED, LOST
            continue
        view = handle.view()
        if view.active:
            item.status, item.fraction = view.status, view.fraction()
            continue
        engine.forget(item.job_id)  # first: once the item reads as ended, the job is gone
        _take(item, view)
    submit_more(engine, run)
    now = time.monotonic()
    if run.ended is None and not run.active:
        run.ended, run.watched = now, now - run.polled <= WATCHED_SECONDS
    run.polled = now


def _take(item: Item, view: JobView) -> None:
    result = view.result
    if view.status == DONE and result is not None and result.png:
        item.status, item.fraction = DONE, 1.0
        item.png, item.size, item.seconds = result.png, (result.width, result.height), \
            result.seconds
        item.thumbnail = compare.encode_jpeg(
            images.shrink_to(compare.decode_png(result.png), THUMBNAIL_SIDE), quality=85)
    elif view.status == FAILED:
        item.status, item.error = FAILED, view.error or "failed"
    else:  # cancelled (a cancelled classic run's picture so far is not a result)
        item.status = CANCELLED


def archive(run: BatchRun) -> bytes:
    """A ZIP of every finished picture (named after its photo, ``.png``) and settings.json:
    the recipe and, per photo, its file, size and time or why it has none."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as bundle:
        for item in run.items:
            if item.status == DONE and item.png is not None:
                bundle.writestr(item.output, item.png)
        bundle.writestr("settings.json", json.dumps(record(run), indent=2))
    return buffer.getvalue()


def record(run: BatchRun) -> dict:
    """The batch's settings.json."""
    photos = []
    for item in run.items:
        entry = {"photo": item.name, "status": item.status}
        if item.status == DONE:
            entry.update(file=item.output, size=list(item.size), seconds=round(item.seconds, 3))
        if item.error:
            entry["error"] = item.error
        photos.append(entry)
    return {"kind": "batch", "recipe": run.settings, "photos": photos,
            "painted": run.count(DONE), "failed": run.count(FAILED),
            "cancelled": run.count(CANCELLED),
            "seconds": round(run.elapsed, 3) if run.watched else None}
