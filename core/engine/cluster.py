"""The Ray engine: every job on a Ray cluster, read through the same handles as local jobs.

``RayEngine`` connects to the cluster (``EngineSettings.ray_address``: ``auto``,
``HOST:PORT`` or ``ray://HOST:PORT``) and finds the cluster's job board by name, creating it
(and its workers) the first time (``core.engine.actors``). A ``RemoteJob`` is a job id and
what it has read so far: each ``view()`` asks the board only for loss rows and snapshots it
has not seen, so a page polling twice a second moves a few hundred bytes, not every snapshot.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import ray

from core.engine import actors
from core.engine.base import Engine, JobHandle
from core.engine.records import plan_of
from core.errors import SettingsError
from core.estimates import Pace
from core.progress import FAILED, JobView

log = logging.getLogger(__name__)

BOARD_START_SECONDS = 60.0  # a fresh board on a busy cluster takes a few seconds to answer
HANDLES_KEPT = 256  # handles (with what they have read) kept for get()
RESULT_LOST = ("the finished picture was lost with the machine that held it (its node left "
               "the cluster); run it again")


class RemoteJob(JobHandle):
    """A job on the cluster's board."""

    def __init__(self, engine: RayEngine, job_id: str, owner: str, task=None):
        self.id = job_id
        self.owner = owner
        self._engine = engine
        self._task = task
        self._rows: tuple = ()
        self._snapshots: tuple = ()
        self._last: JobView | None = None

    @property
    def task(self):
        if self._task is None:  # a job found by id: its task once, then kept
            self._task = actors.resolved(self._engine.call("task", self.id))
        return self._task

    def view(self) -> JobView:
        if self._last is not None and not self._last.active:
            return self._last  # an ended job changes no more
        fresh = self._engine.call("view", self.id, len(self._rows), len(self._snapshots))
        if fresh is None:  # forgotten by the board (long finished, or replaced)
            if self._last is None:
                raise LookupError(f"job {self.id} is no longer on the cluster")
            return self._last
        self._rows += fresh.rows
        self._snapshots += fresh.snapshots
        changes = {"rows": self._rows, "snapshots": self._snapshots}
        if isinstance(fresh.result, ray.ObjectRef):  # it stayed where it was made: fetch it
            try:
                changes["result"] = ray.get(fresh.result)
            except ray.exceptions.ObjectLostError:
                changes.update(status=FAILED, result=None, error=RESULT_LOST)
        self._last = dataclasses.replace(fresh, **changes)
        return self._last

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 5.0 if deadline is None else max(0.0, deadline - time.monotonic())
            if self.id in self._engine.call("wait_any", [self.id], min(left, 5.0)):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def cancel(self) -> None:
        self._engine.call("cancel", self.id)


class RayEngine(Engine):
    """Jobs on a Ray cluster; the job board lives there, not in this process."""

    name = "ray"
    where = "the Ray cluster"

    def __init__(self, settings):
        self.settings = settings
        if not ray.is_initialized():
            try:
                ray.init(address=settings.ray_address, namespace=actors.NAMESPACE,
                         logging_level=logging.WARNING, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise SettingsError(f"cannot reach the Ray cluster at {settings.ray_address}: "
                                    f"{' '.join(str(error).split())[:300]}") from None
        self._board = self._find_board()
        if self._board_version() != actors.code_version():
            self._replace_old_board()
        self._slots = ray.get(self._board.slots.remote())
        self._shared: dict = {}  # recipes already in the object store, by key
        self._handles: dict[str, RemoteJob] = {}  # the handles get() gave out lately

    def _find_board(self):
        """The cluster's job board, started if there is none yet."""
        # max_restarts: a board whose process died comes back (empty: its records were in
        # that process) instead of leaving every server that holds this engine broken.
        board = ray.remote(actors.Board).options(
            name=actors.BOARD, namespace=actors.NAMESPACE, lifetime="detached",
            get_if_exists=True, num_cpus=0, max_concurrency=1000, max_restarts=-1)
        settings = self.settings
        handle = board.remote(settings.worker_cpus, settings.worker_gpus, settings.workers)
        try:
            ray.get(handle.slots.remote(), timeout=BOARD_START_SECONDS)
        except ray.exceptions.GetTimeoutError:
            raise SettingsError(f"the Ray cluster at {settings.ray_address} did not start the "
                                f"job board within {BOARD_START_SECONDS:.0f} s") from None
        return handle

    def _board_version(self) -> str | None:
        try:
            return ray.get(self._board.version.remote())
        except (AttributeError, ray.exceptions.RayError):  # a board from before versions
            return None

    def _replace_old_board(self) -> None:
        """A board (and its workers) left by other code: replaced while it is idle, else kept
        until its jobs have ended (the next connection replaces it)."""
        running, waiting = ray.get(self._board.counts.remote())
        if running or waiting:
            log.warning("the cluster's job board runs other code than this server; it is "
                        "replaced once its %d jobs have ended", running + waiting)
            return
        ray.kill(self._board)
        deadline = time.monotonic() + BOARD_START_SECONDS
        while time.monotonic() < deadline:  # the name is free once the old board is gone
            try:
                ray.get_actor(actors.BOARD, namespace=actors.NAMESPACE)
            except ValueError:
                break
            time.sleep(0.2)
        self._board = self._find_board()

    def call(self, method: str, *args):
        """One of the board's methods, answered."""
        return ray.get(getattr(self._board, method).remote(*args))

    @property
    def slots(self) -> int:
        return self._slots

    def submit(self, owner: str, task, *, replace: bool = True) -> RemoteJob:
        kind = task.kind
        shipped = actors.by_reference(task, self._shared)
        job_id = self.call("submit", owner, shipped, replace, kind, plan_of(task))
        return RemoteJob(self, job_id, owner, task)

    def get(self, job_id: str | None) -> RemoteJob | None:
        """The job's handle: the same one for the same id while it is remembered here, so
        that a page's rerun reads only what is new, not every snapshot again."""
        if not job_id:
            return None
        owner = self.call("owner", job_id)
        if owner is None:
            self._handles.pop(job_id, None)
            return None
        handle = self._handles.pop(job_id, None) or RemoteJob(self, job_id, owner)
        self._handles[job_id] = handle  # the newest last
        while len(self._handles) > HANDLES_KEPT:
            self._handles.pop(next(iter(self._handles)))
        return handle

    def jobs_of(self, owner: str) -> list[RemoteJob]:
        return [RemoteJob(self, job_id, owner) for job_id in self.call("jobs_of", owner)]

    def counts(self) -> tuple[int, int]:
        return self.call("counts")

    def forget(self, job_id: str) -> None:
        self.call("forget", job_id)

    def measured_pace(self, optimizer: str, precision: str) -> Pace | None:
        return self.call("measured_pace", optimizer, precision)

    def wait_any(self, handles: list[JobHandle], timeout: float) -> list[JobHandle]:
        ended = set(self.call("wait_any", [handle.id for handle in handles], timeout))
        return [handle for handle in handles if handle.id in ended]

    def workers(self) -> list:
        """Each worker's node and process id (``core.engine.events.Placed``)."""
        return self.call("workers")

    def nodes(self) -> int:
        return len({placed.node for placed in self.workers()})
