"""Classic style-transfer jobs off the caller's thread: a queue, a global limit, cancel.

The app's pages submit work here and poll it; nothing here imports Streamlit. One
``JobManager`` per process owns every job. At most ``slots`` jobs optimise at once (classic
runs use every core they get, so two at once on a small machine only make both slow); the
rest wait in a first-in, first-out queue and can read their place in it.

A ``Job`` records what ``core.classic.stylize`` reports (the ``Started`` event, one loss row
per iteration, snapshots as PNG bytes) behind a lock; ``Job.view()`` hands the reader one
consistent, immutable copy. Workers never touch the UI; the UI never touches a worker.

What a job has done reads as a ``core.progress.JobView`` (with its ETA); how long a run
should take, before it starts, comes from ``core.estimates`` through ``JobManager.estimate``,
at the pace of this process's last finished job of that optimiser and precision.

Design after whitphx/streamlit-webrtc's demos: heavy work on its own thread, results polled.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import threading
import time
import zipfile
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from core import images
from core.classic import (
    ClassicConfig,
    Progress,
    Started,
    StartImage,
    StylizeResult,
    stylize,
)
from core.errors import UserError
from core.estimates import Estimate, Pace, estimate_seconds, measure_pace
from core.progress import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobView, LossRow, Snapshot
from core.validate import env_count

log = logging.getLogger(__name__)

SLOTS_ENV = "STYLE_STUDIO_CLASSIC_SLOTS"
MAX_SLOTS = 256
PACES_KEPT = 32  # finished jobs' paces remembered for estimates
KEEP_FINISHED_SECONDS = 30 * 60  # finished jobs are forgotten after this long
# A closed tab's job is cancelled after this long without a connection (not at once: a
# browser that loses its connection for a moment reconnects to the same session and job)...
CANCEL_ORPHANS_AFTER = 10.0
# ...and its record (the picture so far, snapshots) forgotten after this long: Streamlit keeps
# a disconnected session this long (server.disconnectedSessionTTL) for it to come back to.
FORGET_ORPHANS_AFTER = 120.0


def default_slots() -> int:
    """Concurrent classic jobs: ``$STYLE_STUDIO_CLASSIC_SLOTS``, else one per two cores."""
    return env_count(SLOTS_ENV, max(1, (os.cpu_count() or 1) // 2), 1, MAX_SLOTS)


@dataclass(frozen=True)
class ClassicTask:
    """Everything one classic run needs; arrays are uint8 RGB and are never modified."""

    content: np.ndarray = field(repr=False)
    styles: tuple[np.ndarray, ...] = field(repr=False)
    config: ClassicConfig
    style_blend: tuple[float, ...] | None = None
    init_image: np.ndarray | None = field(default=None, repr=False)
    content_name: str = "content"
    style_names: tuple[str, ...] = ()
    requested_backbone: str | None = None  # e.g. "auto" when the caller resolved it itself


class Job:
    """One submitted run. Written by its worker thread, read by anyone through ``view()``."""

    def __init__(self, job_id: str, owner: str, task: ClassicTask, manager: JobManager):
        self.id = job_id
        self.owner = owner
        self.task = task
        self.cancel_event = threading.Event()
        self.finished_at: float | None = None
        self.orphaned_at: float | None = None  # when its owner was first seen gone
        self._manager = manager
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._status = QUEUED
        self._started: Started | None = None
        self._rows: list[LossRow] = []
        self._snapshots: list[Snapshot] = []
        self._result: StylizeResult | None = None
        self._error: str | None = None
        self._stage = (1, 1)

    # ---------------------------------------------------------------- reading

    @property
    def status(self) -> str:
        with self._lock:
            return self._status

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.status in (QUEUED, RUNNING)

    @property
    def result(self) -> StylizeResult | None:
        with self._lock:
            return self._result

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    def queue_position(self) -> int:
        """1 for the next job to start, 2 behind it, ...; 0 once the job has started."""
        return self._manager.queue_position(self)

    def view(self) -> JobView:
        position = self.queue_position()
        with self._lock:
            return JobView(
                id=self.id,
                status=self._status,
                queue_position=position,
                cancel_requested=self.cancel_event.is_set(),
                planned_iterations=self.task.config.planned_iterations,
                max_seconds=self.task.config.max_seconds,
                started=self._started,
                rows=tuple(self._rows),
                snapshots=tuple(self._snapshots),
                result=self._result,
                error=self._error,
                stage=self._stage,
                stage_costs=self.task.config.stage_costs,
                optimizer=self.task.config.optimizer,
            )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (any way); False on timeout."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop after the current iteration; a queued job never starts."""
        self.cancel_event.set()
        self._manager.withdraw(self)

    def record(self) -> dict:
        """The settings and outcome of the run, JSON-ready, enough to repeat it."""
        task = self.task
        with self._lock:
            result, status, error = self._result, self._status, self._error
        return {
            "kind": "classic",
            "status": status,
            "error": error,
            "content": task.content_name,
            "styles": list(task.style_names),
            "style_blend": list(task.style_blend) if task.style_blend else None,
            "config": task.config.to_dict(),
            "requested_backbone": task.requested_backbone,
            "summary": result.summary() if result is not None else None,
        }

    # ---------------------------------------------------------------- writing (worker)

    def _set(self, **values) -> None:
        with self._lock:
            for name, value in values.items():
                setattr(self, f"_{name}", value)

    def _on_event(self, event: Started | StartImage | Progress) -> None:
        if isinstance(event, Started):
            self._set(started=event)
            return
        if isinstance(event, StartImage):  # iteration 0: a snapshot, not a loss row
            snapshot = Snapshot(event.iteration, event.elapsed, images.encode_png(event.snapshot))
            with self._lock:
                self._snapshots.append(snapshot)
                self._stage = (event.stage, event.stages)
            return
        row = LossRow(event.iteration, event.elapsed, event.losses, event.stage)
        # PNG-encode here, on the worker: readers get bytes ready to show or zip.
        snapshot = None
        if event.snapshot is not None:
            snapshot = Snapshot(event.iteration, event.elapsed, images.encode_png(event.snapshot))
        with self._lock:
            self._rows.append(row)
            self._stage = (event.stage, event.stages)
            if snapshot is not None:
                self._snapshots.append(snapshot)

    def _run(self) -> None:
        task = self.task
        try:
            result = stylize(
                task.content, task.styles, task.config, style_blend=task.style_blend,
                init_image=task.init_image, on_event=self._on_event, cancel=self.cancel_event,
            )
        except UserError as error:  # a person's mistake the core caught: its line says what
            self._finish(FAILED, error=" ".join(str(error).split()))
        except Exception as error:
            log.exception("classic job %s failed", self.id)
            message = " ".join(f"{type(error).__name__}: {error}".split())
            self._finish(FAILED, error=f"internal error: {message}")
        else:
            self._finish(CANCELLED if result.stopped_by == "cancel" else DONE, result=result)

    def _finish(self, status: str, *, result=None, error=None) -> None:
        # Waiters are woken by the manager once the slot is free again (see _work).
        self.finished_at = time.monotonic()
        self._set(status=status, result=result, error=error)


class JobManager:
    """Runs at most ``slots`` jobs at once, queues the rest, one job per owner."""

    def __init__(self, slots: int | None = None,
                 keep_finished_seconds: float = KEEP_FINISHED_SECONDS):
        self.slots = default_slots() if slots is None else slots
        if self.slots < 1:
            raise ValueError(f"slots must be 1 or more (got {self.slots})")
        self.keep_finished_seconds = keep_finished_seconds
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[Job] = deque()
        self._running: set[Job] = set()
        self._ids = itertools.count(1)
        self._paces: deque[Pace] = deque(maxlen=PACES_KEPT)  # finished jobs', oldest first
        self._watcher: threading.Thread | None = None
        self._closed = threading.Event()

    def submit(self, owner: str, task: ClassicTask) -> Job:
        """Queue a run for ``owner``; the owner's earlier job, if still going, is cancelled."""
        self.prune()
        for earlier in self.jobs_of(owner):
            # The owner only follows its newest job: stop the old one and drop its record
            # (a running one keeps its slot until it notices, within one iteration).
            earlier.cancel()
        with self._lock:
            for earlier in [job for job in self._jobs.values() if job.owner == owner]:
                del self._jobs[earlier.id]
            job = Job(f"classic-{next(self._ids)}", owner, task, self)
            self._jobs[job.id] = job
            self._waiting.append(job)
            self._start_waiting()
        return job

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def jobs_of(self, owner: str) -> list[Job]:
        with self._lock:
            return [job for job in self._jobs.values() if job.owner == owner]

    def measured_pace(self, optimizer: str, precision: str) -> Pace | None:
        """The pace of the newest finished job with this optimiser and precision (its
        ordinary iterations, see ``measure_pace``); None before one has finished."""
        with self._lock:
            for pace in reversed(self._paces):
                if (pace.optimizer, pace.precision) == (optimizer, precision):
                    return pace
        return None

    def estimate(self, config: ClassicConfig, width: int, height: int, *,
                 backbone: str | None = None) -> Estimate:
        """``estimate_seconds`` at this process's measured pace, else the benchmark's."""
        pace = self.measured_pace(config.optimizer, config.precision)
        return estimate_seconds(config, width, height, pace, backbone=backbone)

    def queue_position(self, job: Job) -> int:
        with self._lock:
            try:
                return self._waiting.index(job) + 1
            except ValueError:
                return 0

    def counts(self) -> tuple[int, int]:
        """(running, waiting) right now."""
        with self._lock:
            return len(self._running), len(self._waiting)

    def withdraw(self, job: Job) -> None:
        """Take a cancelled job out of the queue, if it is still waiting there."""
        with self._lock:
            if job not in self._waiting:
                return
            self._waiting.remove(job)
        job._finish(CANCELLED)
        job._done.set()

    def forget(self, job_id: str) -> None:
        """Drop a job's record (cancelling it first if it still runs or waits)."""
        job = self.get(job_id)
        if job is None:
            return
        job.cancel()
        with self._lock:
            self._jobs.pop(job_id, None)

    def prune(self) -> None:
        """Forget finished jobs older than ``keep_finished_seconds`` (bounds memory)."""
        now = time.monotonic()
        with self._lock:
            stale = [
                job_id for job_id, job in self._jobs.items()
                if job.finished_at is not None
                and now - job.finished_at > self.keep_finished_seconds
            ]
            for job_id in stale:
                del self._jobs[job_id]

    def reap(self, owner_connected: Callable[[str], bool],
             cancel_after: float = CANCEL_ORPHANS_AFTER,
             forget_after: float = FORGET_ORPHANS_AFTER) -> tuple[list[str], list[str]]:
        """Cancel the jobs whose owner has been disconnected for ``cancel_after`` seconds,
        and forget them (images and all) after ``forget_after``.

        A closed tab must not keep a slot or a queue place; one that reconnects in time
        finds its job cancelled, with the picture it had reached. ``owner_connected`` says
        whether an owner (a browser session) is connected. Returns (cancelled, forgotten) ids.
        """
        now = time.monotonic()
        with self._lock:
            jobs = list(self._jobs.values())
        cancelled, forgotten = [], []
        for job in jobs:
            if owner_connected(job.owner):
                job.orphaned_at = None
                continue
            if job.orphaned_at is None:
                job.orphaned_at = now
            gone = now - job.orphaned_at
            if gone >= forget_after:
                self.forget(job.id)
                forgotten.append(job.id)
            elif gone >= cancel_after and job.active and not job.cancel_event.is_set():
                job.cancel()
                cancelled.append(job.id)
        return cancelled, forgotten

    def watch_owners(self, owner_connected: Callable[[str], bool], every_seconds: float = 2.0,
                     cancel_after: float = CANCEL_ORPHANS_AFTER,
                     forget_after: float = FORGET_ORPHANS_AFTER) -> None:
        """Run ``reap`` every ``every_seconds`` on a daemon thread (one per manager) until
        ``close``."""
        with self._lock:
            if self._watcher is not None:
                return

            def watch():
                while not self._closed.wait(every_seconds):
                    try:
                        self.reap(owner_connected, cancel_after, forget_after)
                    except Exception:  # a watcher that dies would leak every later job
                        log.exception("reaping closed sessions' jobs failed")

            self._watcher = threading.Thread(target=watch, name="job-reaper", daemon=True)
            self._watcher.start()

    def close(self) -> None:
        """Stop the owner watcher and cancel every job (a server dropping this manager)."""
        self._closed.set()
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()

    def _start_waiting(self) -> None:
        # Caller holds self._lock.
        while self._waiting and len(self._running) < self.slots:
            job = self._waiting.popleft()
            self._running.add(job)
            job._set(status=RUNNING)
            worker = threading.Thread(target=self._work, args=(job,), name=job.id, daemon=True)
            worker.start()

    def _work(self, job: Job) -> None:
        pace = None
        try:
            job._run()
            pace = self._pace_of(job)
        finally:
            if job.status == RUNNING:  # only a BaseException (e.g. SystemExit) gets here
                job._finish(FAILED, error="internal error: the worker thread stopped")
            with self._lock:
                if pace is not None:
                    self._paces.append(pace)
                self._running.discard(job)
                self._start_waiting()
            job._done.set()

    @staticmethod
    def _pace_of(job: Job) -> Pace | None:
        if job.status not in (DONE, CANCELLED):
            return None
        try:
            return measure_pace(job.view(), job.task.config)
        except Exception:  # a wrong estimate later is better than a stuck slot now
            log.exception("timing classic job %s failed", job.id)
            return None


def snapshots_zip(snapshots: Sequence[Snapshot], final: np.ndarray | None = None,
                  record: dict | None = None) -> bytes:
    """A ZIP (in memory) of the snapshots as PNGs, plus the final image and settings."""
    buffer = io.BytesIO()
    # PNGs are already compressed; storing them saves time and loses nothing.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for snapshot in snapshots:
            archive.writestr(f"snapshot_{snapshot.iteration:05d}.png", snapshot.png)
        if final is not None:
            archive.writestr("result.png", images.encode_png(final))
        if record is not None:
            archive.writestr("settings.json", json.dumps(record, indent=2))
    return buffer.getvalue()
