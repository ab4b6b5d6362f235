"""The Ray engine's two actors: the job board (one per cluster) and the workers.

``Board`` is a named, detached actor: it outlives every Streamlit server and CLI that talks to
it, so a restarted server, or a second one behind a load balancer, finds running and finished
jobs by id. It holds the records (``core.engine.records.JobRecord``, the local engine's own),
the first-in, first-out queue and the workers, and hands each waiting job to the next idle
worker. It is an async actor on no CPU of its own: it only moves small events.

``Worker`` actors (one per slot, spread over the nodes) run tasks through the same
``core.engine.tasks.execute`` as the local engine, keeping whatever networks a task loaded
for the next one. A run streams its events back to the board as a Ray streaming generator;
cancel reaches the running task through the worker's second thread. A worker process that
dies fails only the job it ran; Ray restarts the actor (``max_restarts=-1``) and the board
gives it the next job once it answers again.

A job's input and result pictures do not pass through the board: a task's large byte
fields, and a batch's recipe (once for the whole batch), travel as object references
(``by_reference``), fetched by the worker that paints them; a result is the worker's stream's
last item, which the board keeps as a reference (the board, the caller, owns it, so it
outlives the worker) and whoever reads the result fetches. A classic task's photo and
paintings, and its snapshots (PNGs), do go through the board.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import os
import queue
import threading
import time
from collections import deque
from pathlib import Path

import ray

from core.engine.base import new_job_id
from core.engine.events import Outcome, Placed
from core.engine.records import KEEP_FINISHED_SECONDS, JobRecord
from core.engine.tasks import PACES_KEPT, execute, newest_pace, pace_of
from core.progress import CANCELLED, FAILED

NAMESPACE = "style-studio"
BOARD = "style-studio-board"
KEEP_FINISHED_JOBS = 500  # finished jobs kept at most (besides KEEP_FINISHED_SECONDS)
PRUNE_EVERY_SECONDS = 60.0
BY_REFERENCE_BYTES = 64 * 1024  # byte fields larger than this travel as object references
SHARED_KEPT = 8  # recipes a driver keeps in the object store for its next tasks
WORKER_DIED = ("the worker running this job stopped, or could not be reached, before it "
               "finished ({reason}); a new worker takes the next job, so run it again")
INPUT_LOST = ("the picture sent with this job is gone: the process that sent it (a Streamlit "
              "server or the command line) has stopped; send it again")


@functools.cache
def code_version() -> str:
    """A digest of the studio's core code: a board started by other code is replaced."""
    digest = hashlib.sha256()
    core = Path(__file__).resolve().parents[1]
    for path in sorted(core.rglob("*.py")):
        digest.update(str(path.relative_to(core)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def worker_count(resources: dict, cpus: float, gpus: float) -> int:
    """As many workers as the cluster's CPUs, and GPUs when workers take GPUs, allow."""
    count = resources.get("CPU", 1) // cpus
    if gpus:
        count = min(count, resources.get("GPU", 0) // gpus)
    return max(1, int(count))


def by_reference(value, shared: dict | None = None):
    """``value`` (a dataclass) with its large ``bytes`` fields put in the object store.

    With ``shared`` (a cache the caller keeps), fields that are dataclasses with a ``key()``
    (a batch's recipe, paintings and all) are put once per key, so a batch of thousands of
    photos sends its paintings to the cluster once, not once per photo.
    """
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if isinstance(item, bytes) and len(item) > BY_REFERENCE_BYTES:
            changes[field.name] = ray.put(item)
        elif shared is not None and dataclasses.is_dataclass(item) and hasattr(item, "key"):
            if item.key() not in shared:
                while len(shared) >= SHARED_KEPT:
                    shared.pop(next(iter(shared)))
                shared[item.key()] = ray.put(item)
            changes[field.name] = shared[item.key()]
    return dataclasses.replace(value, **changes) if changes else value


def resolved(value):
    """``value`` with the object references ``by_reference`` made fetched back."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes = {
        field.name: ray.get(getattr(value, field.name))
        for field in dataclasses.fields(value)
        if isinstance(getattr(value, field.name), ray.ObjectRef)
    }
    return dataclasses.replace(value, **changes) if changes else value


class Worker:
    """Runs one task at a time (a second thread only takes cancels)."""

    def __init__(self):
        self._cancels: dict[str, threading.Event] = {}
        self._placed = Placed(ray.get_runtime_context().get_node_id(), os.getpid())

    def ready(self) -> Placed:
        return self._placed

    @ray.method(num_returns="streaming")
    def run(self, job_id: str, task):
        # setdefault: a cancel that came in before this run started counts.
        cancel = self._cancels.setdefault(job_id, threading.Event())
        events: queue.SimpleQueue = queue.SimpleQueue()

        def work():
            try:
                events.put(execute(resolved(task), events.put, cancel, job_id))
            except ray.exceptions.ObjectLostError:
                events.put(Outcome(FAILED, error=INPUT_LOST))
            except BaseException as error:  # even this must end the stream
                message = " ".join(f"{type(error).__name__}: {error}".split())[:300]
                events.put(Outcome(FAILED, error=f"internal error: {message}"))

        threading.Thread(target=work, name=job_id, daemon=True).start()
        yield self._placed
        try:
            while True:
                event = events.get()
                if isinstance(event, Outcome):
                    follows = event.result is not None
                    yield dataclasses.replace(event, result=None, result_follows=follows)
                    if follows:
                        yield event.result
                    return
                yield event
        finally:  # the board stopped listening: stop the work too
            cancel.set()
            self._cancels.pop(job_id, None)

    def cancel(self, job_id: str) -> None:
        self._cancels.setdefault(job_id, threading.Event()).set()


class Board:
    """The cluster's job records, queue and workers (an async actor: one event loop)."""

    def __init__(self, worker_cpus: float, worker_gpus: float, workers: int | None):
        self._worker_options = {"num_cpus": worker_cpus, "num_gpus": worker_gpus}
        self._count = workers or worker_count(ray.cluster_resources(), worker_cpus, worker_gpus)
        self._records: dict[str, JobRecord] = {}
        self._waiting: deque[str] = deque()
        self._running: dict[str, object] = {}  # job id -> the worker running it
        self._workers: list = []
        self._idle: asyncio.Queue | None = None
        self._arrived: asyncio.Event | None = None
        self._ended: asyncio.Condition | None = None
        self._paces: deque = deque(maxlen=PACES_KEPT)
        self._tasks: set[asyncio.Task] = set()

    # ------------------------------------------------------------ asked by engines

    async def slots(self) -> int:
        return self._count

    async def version(self) -> str:
        return code_version()

    async def submit(self, owner: str, task, replace: bool, kind: str, plan=None) -> str:
        self._start()
        self._prune()
        if replace:
            for earlier in [r for r in self._records.values() if r.owner == owner]:
                await self.forget(earlier.id)
        job_id = new_job_id(kind)
        self._records[job_id] = JobRecord(job_id, owner, task, plan)
        self._waiting.append(job_id)
        self._arrived.set()
        return job_id

    async def view(self, job_id: str, rows_from: int = 0, snapshots_from: int = 0):
        record = self._records.get(job_id)
        if record is None:
            return None
        return record.view(self._position(job_id), rows_from, snapshots_from)

    async def task(self, job_id: str):
        record = self._records.get(job_id)
        return None if record is None else record.task

    async def owner(self, job_id: str) -> str | None:
        record = self._records.get(job_id)
        return None if record is None else record.owner

    async def jobs_of(self, owner: str) -> list[str]:
        return [r.id for r in self._records.values() if r.owner == owner]

    async def counts(self) -> tuple[int, int]:
        return len(self._running), len(self._waiting)

    async def measured_pace(self, optimizer: str, precision: str):
        return newest_pace(self._paces, optimizer, precision)

    async def cancel(self, job_id: str) -> None:
        record = self._records.get(job_id)
        if record is None or not record.active:
            return
        record.cancel_requested = True
        if job_id in self._waiting:
            self._waiting.remove(job_id)
            record.finish(CANCELLED)
            await self._announce()
        elif job_id in self._running:
            self._running[job_id].cancel.remote(job_id)

    async def forget(self, job_id: str) -> None:
        await self.cancel(job_id)
        if self._records.pop(job_id, None) is not None:
            await self._announce()  # a waiter on it must not sleep until its timeout

    async def wait_any(self, job_ids: list[str], timeout: float) -> list[str]:
        self._start()

        def ended():
            return [i for i in job_ids if i not in self._records or not self._records[i].active]

        async with self._ended:
            try:
                await asyncio.wait_for(self._ended.wait_for(lambda: bool(ended())), timeout)
            except TimeoutError:
                pass
        return ended()

    async def workers(self) -> list[Placed]:
        """Where each worker runs (node, process id); waits for them to start."""
        self._start()
        return list(await asyncio.gather(*(_answer(worker) for worker in self._workers)))

    # ------------------------------------------------------------ the dispatcher

    def _start(self) -> None:
        if self._idle is not None:
            return
        self._idle, self._arrived = asyncio.Queue(), asyncio.Event()
        self._ended = asyncio.Condition()
        remote = ray.remote(Worker).options(
            max_restarts=-1, max_task_retries=0, max_concurrency=2,
            scheduling_strategy="SPREAD", **self._worker_options)
        self._workers = [remote.remote() for _ in range(self._count)]
        for worker in self._workers:  # a worker takes jobs once it is placed and answers
            self._spawn(self._revive(worker))
        self._spawn(self._dispatch())
        self._spawn(self._prune_every(PRUNE_EVERY_SECONDS))

    def _spawn(self, coroutine) -> None:
        # The loop keeps only weak references to tasks: hold them until they are done.
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self) -> None:
        while True:
            worker = await self._idle.get()
            while not self._waiting:
                self._arrived.clear()
                await self._arrived.wait()
            record = self._records[self._waiting.popleft()]
            record.start()
            self._running[record.id] = worker
            asyncio.get_running_loop().create_task(self._run(record, worker))

    async def _run(self, record: JobRecord, worker) -> None:
        died = False
        try:
            stream = worker.run.remote(record.id, record.task)
            async for reference in stream:
                event = await reference
                if isinstance(event, Placed) and record.cancel_requested:
                    worker.cancel.remote(record.id)  # cancelled while on its way
                if isinstance(event, Outcome) and event.result_follows:
                    # Keep the reference, not the picture: it stays in the object store.
                    event = dataclasses.replace(event, result=await stream.__anext__(),
                                                result_follows=False)
                record.apply(event)
        except ray.exceptions.RayActorError as error:
            # A killed process of a restartable actor reads as ActorUnavailableError, like a
            # moment without contact: either way the job ends here, and a worker that may
            # still run it is told to stop; the worker gets jobs again once it answers.
            worker.cancel.remote(record.id)
            died = True
            record.finish(FAILED, error=WORKER_DIED.format(reason=type(error).__name__))
        except Exception as error:  # a result that would not travel, say: this job only
            message = " ".join(f"{type(error).__name__}: {error}".split())[:300]
            record.finish(FAILED, error=f"internal error: {message}")
        finally:
            self._running.pop(record.id, None)
            if record.active:
                record.finish(FAILED, error="internal error: the worker ended without an outcome")
            pace = pace_of(record.task, record.view())
            if pace is not None:
                self._paces.append(pace)
            await self._announce()
            if died:
                self._spawn(self._revive(worker))
            else:
                self._idle.put_nowait(worker)

    async def _revive(self, worker) -> None:
        """Give a restarted worker back to the queue once it answers (Ray restarts it)."""
        await _answer(worker)
        self._idle.put_nowait(worker)

    async def _announce(self) -> None:
        async with self._ended:
            self._ended.notify_all()

    def _position(self, job_id: str) -> int:
        try:
            return self._waiting.index(job_id) + 1
        except ValueError:
            return 0

    def _prune(self) -> None:
        """Forget finished jobs after KEEP_FINISHED_SECONDS, and the oldest ones beyond
        KEEP_FINISHED_JOBS (each holds its snapshots): the board's memory stays bounded."""
        now = time.monotonic()
        finished = sorted((r.finished_at, job_id) for job_id, r in self._records.items()
                          if r.finished_at is not None)
        excess = max(0, len(finished) - KEEP_FINISHED_JOBS)
        for rank, (finished_at, job_id) in enumerate(finished):
            if rank < excess or now - finished_at > KEEP_FINISHED_SECONDS:
                del self._records[job_id]

    async def _prune_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self._prune()


async def _answer(worker) -> Placed:
    """The worker's node and process, once it answers: a worker that Ray is restarting
    after its process died answers when the new process has started."""
    while True:
        try:
            return await worker.ready.remote()
        except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError):
            await asyncio.sleep(0.5)
