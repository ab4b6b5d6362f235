"""The local engine: jobs on threads of this process, a queue, a global limit, cancel.

The default engine: ``streamlit run app.py`` and the command line need nothing else. One
``LocalEngine`` per process owns every job. At most ``slots`` jobs run at once (classic runs
use every core they get, so two at once on a small machine only make both slow); the rest
wait in a first-in, first-out queue and can read their place in it. A job's record
(``core.engine.records.JobRecord``) takes its worker's events behind a lock; the UI never
touches a worker.

How long a run should take, before it starts, comes from ``core.estimates`` through
``estimate``, at the pace of this process's last finished job of that optimiser and
precision. Browser sessions that close have their jobs cancelled (``reap``).

Design after whitphx/streamlit-webrtc's demos: heavy work on its own thread, results polled.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from core.engine.base import Engine, JobHandle, new_job_id
from core.engine.events import Placed
from core.engine.records import KEEP_FINISHED_SECONDS, JobRecord
from core.engine.tasks import PACES_KEPT, execute, newest_pace, pace_of
from core.estimates import Pace
from core.progress import CANCELLED, FAILED, RUNNING, JobView
from core.validate import env_count

log = logging.getLogger(__name__)

SLOTS_ENV = "STYLE_STUDIO_CLASSIC_SLOTS"
MAX_SLOTS = 256
# A closed tab's job is cancelled after this long without a connection (not at once: a
# browser that loses its connection for a moment reconnects to the same session and job)...
CANCEL_ORPHANS_AFTER = 10.0
# ...and its record (the picture so far, snapshots) forgotten after this long: Streamlit keeps
# a disconnected session this long (server.disconnectedSessionTTL) for it to come back to.
FORGET_ORPHANS_AFTER = 120.0


def default_slots() -> int:
    """Concurrent jobs: ``$STYLE_STUDIO_CLASSIC_SLOTS``, else one per two cores."""
    return env_count(SLOTS_ENV, max(1, (os.cpu_count() or 1) // 2), 1, MAX_SLOTS)


class Job(JobHandle):
    """A job of this process: its record, written by its worker thread, read by anyone."""

    def __init__(self, record: JobRecord, engine: LocalEngine):
        self.id = record.id
        self.owner = record.owner
        self.state = record
        self.cancel_event = threading.Event()
        self._engine = engine
        self._done = threading.Event()

    @property
    def task(self):
        return self.state.task

    @property
    def status(self) -> str:
        return self.state.status

    def view(self) -> JobView:
        return self.state.view(self.queue_position())

    def queue_position(self) -> int:
        """1 for the next job to start, 2 behind it, ...; 0 once the job has started."""
        return self._engine.queue_position(self)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def cancel(self) -> None:
        self.state.cancel_requested = True
        self.cancel_event.set()
        self._engine.withdraw(self)

    def _run(self) -> None:
        self.state.apply(Placed("local", os.getpid()))
        outcome = execute(self.task, self.state.apply, self.cancel_event, self.id)
        self.state.apply(outcome)


class LocalEngine(Engine):
    """Runs at most ``slots`` jobs at once and queues the rest; a page's owner follows one
    job (``submit`` replaces its earlier one), a batch submits many (``replace=False``)."""

    def __init__(self, slots: int | None = None,
                 keep_finished_seconds: float = KEEP_FINISHED_SECONDS):
        self._slots = default_slots() if slots is None else slots
        if self._slots < 1:
            raise ValueError(f"slots must be 1 or more (got {self._slots})")
        self.keep_finished_seconds = keep_finished_seconds
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[Job] = deque()
        self._running: set[Job] = set()
        self._paces: deque[Pace] = deque(maxlen=PACES_KEPT)  # finished jobs', oldest first
        self._watcher: threading.Thread | None = None
        self._closed = threading.Event()
        self._ended = threading.Condition(self._lock)  # notified whenever a job ends

    name = "local"
    where = "this server"

    @property
    def slots(self) -> int:
        return self._slots

    def submit(self, owner: str, task, *, replace: bool = True) -> Job:
        self.prune()
        if replace:
            for earlier in self.jobs_of(owner):
                # The owner only follows its newest job: stop the old one and drop its record
                # (a running one keeps its slot until it notices, within one iteration).
                earlier.cancel()
        with self._lock:
            if replace:
                for earlier in [job for job in self._jobs.values() if job.owner == owner]:
                    del self._jobs[earlier.id]
            job = Job(JobRecord(new_job_id(task.kind), owner, task), self)
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
            return newest_pace(self._paces, optimizer, precision)

    def wait_any(self, handles: list[Job], timeout: float) -> list[Job]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                ended = [job for job in handles if job._done.is_set()]
                left = deadline - time.monotonic()
                if ended or left <= 0:
                    return ended
                self._ended.wait(left)

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
        job.state.finish(CANCELLED)
        with self._lock:
            job._done.set()
            self._ended.notify_all()

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
                if job.state.finished_at is not None
                and now - job.state.finished_at > self.keep_finished_seconds
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
            record = job.state
            if owner_connected(job.owner):
                record.orphaned_at = None
                continue
            if record.orphaned_at is None:
                record.orphaned_at = now
            gone = now - record.orphaned_at
            if gone >= forget_after:
                self.forget(job.id)
                forgotten.append(job.id)
            elif gone >= cancel_after and job.active and not job.cancel_event.is_set():
                job.cancel()
                cancelled.append(job.id)
        return cancelled, forgotten

    def watch_owners(self, owner_connected: Callable[[str], bool], *, every_seconds: float = 2.0,
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
            job.state.start()
            worker = threading.Thread(target=self._work, args=(job,), name=job.id, daemon=True)
            worker.start()

    def _work(self, job: Job) -> None:
        pace = None
        try:
            job._run()
            pace = pace_of(job.task, job.view())
        finally:
            if job.status == RUNNING:  # only a BaseException (e.g. SystemExit) gets here
                job.state.finish(FAILED, error="internal error: the worker thread stopped")
            with self._lock:
                if pace is not None:
                    self._paces.append(pace)
                self._running.discard(job)
                self._start_waiting()
                job._done.set()
                self._ended.notify_all()
