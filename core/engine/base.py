"""The one interface every kind of job runs behind, whichever engine runs it.

Pages and the command line hold an ``Engine`` and the ``JobHandle``s it gives back; they
never learn whether the work runs on threads of this process (``LocalEngine``) or on a Ray
cluster (``RayEngine``). A handle reads its job as a ``core.progress.JobView``.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator

from core.classic import ClassicConfig
from core.engine.records import job_record
from core.estimates import Estimate, Pace, estimate_seconds
from core.progress import QUEUED, RUNNING, JobView

BATCH_WINDOW_PER_SLOT = 2  # a batch keeps this many items per slot submitted, no more


def new_job_id(kind: str) -> str:
    """A job's id, e.g. ``classic-3f9a0c1d2b4e``: unguessable, because the id in a page's
    address is what reaches (and can cancel) the job, and unique across server restarts."""
    return f"{kind}-{uuid.uuid4().hex[:12]}"


class JobHandle(ABC):
    """One submitted job, as its submitter (or anyone with its id) sees it."""

    id: str
    owner: str

    @property
    @abstractmethod
    def task(self):
        """What the job runs (``ClassicTask``, ``core.batch.PaintTask``, ...)."""

    @abstractmethod
    def view(self) -> JobView:
        """One consistent reading of everything the job has done so far."""

    @abstractmethod
    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (any way); False on timeout."""

    @abstractmethod
    def cancel(self) -> None:
        """Stop after the current iteration; a queued job never starts."""

    @property
    def status(self) -> str:
        return self.view().status

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    @property
    def result(self):
        return self.view().result

    @property
    def error(self) -> str | None:
        return self.view().error

    def queue_position(self) -> int:
        return self.view().queue_position

    def record(self) -> dict:
        """The settings and outcome of the run, JSON-ready, enough to repeat it."""
        return job_record(self.task, self.view())


class Engine(ABC):
    """Runs jobs: at most ``slots`` at once, the rest queued first in, first out."""

    name: str  # "local" or "ray"
    where: str  # where jobs run, for people: "this server", "the Ray cluster"

    @property
    @abstractmethod
    def slots(self) -> int:
        """How many jobs run at once."""

    @abstractmethod
    def submit(self, owner: str, task, *, replace: bool = True) -> JobHandle:
        """Queue ``task`` for ``owner``. With ``replace``, the owner's earlier jobs are
        cancelled and forgotten (a page follows only its newest run); a batch submits its
        items with ``replace=False``."""

    @abstractmethod
    def get(self, job_id: str | None) -> JobHandle | None:
        """The job with this id (e.g. from a page's address), if the engine still has it."""

    @abstractmethod
    def jobs_of(self, owner: str) -> list[JobHandle]:
        ...

    @abstractmethod
    def counts(self) -> tuple[int, int]:
        """(running, waiting) right now."""

    @abstractmethod
    def forget(self, job_id: str) -> None:
        """Drop a job's record, cancelling it first if it still runs or waits."""

    @abstractmethod
    def measured_pace(self, optimizer: str, precision: str) -> Pace | None:
        """The pace of the newest finished classic job with this optimiser and precision."""

    @abstractmethod
    def wait_any(self, handles: list[JobHandle], timeout: float) -> list[JobHandle]:
        """Those of ``handles`` that have ended, waiting up to ``timeout`` for one."""

    def nodes(self) -> int:
        """Machines the engine can run jobs on (1 for this process)."""
        return 1

    def watch_owners(self, owner_connected: Callable[[str], bool], **timings) -> None:  # noqa: B027
        """Cancel the jobs of owners (browser sessions) that have gone, if this engine
        ties jobs to sessions. By default it does not: jobs outlive sessions."""

    def close(self) -> None:  # noqa: B027
        """Let go of the engine (a server dropping it); by default there is nothing to do."""

    def estimate(self, config: ClassicConfig, width: int, height: int, *,
                 backbone: str | None = None) -> Estimate:
        """``estimate_seconds`` at the engine's measured pace, else the benchmark's."""
        pace = self.measured_pace(config.optimizer, config.precision)
        return estimate_seconds(config, width, height, pace, backbone=backbone)

    def run_all(self, owner: str, tasks: Iterable,
                window: int | None = None) -> Iterator[tuple[int, JobView]]:
        """Run many tasks, yielding ``(index, final view)`` as each ends, in the order they
        end. At most ``window`` are submitted at a time (default: two per slot), so a batch of
        thousands neither floods the queue nor holds every picture at once; a finished job's
        record is forgotten once yielded. Closing the iterator cancels what is left."""
        window = window or max(1, self.slots * BATCH_WINDOW_PER_SLOT)
        pending: dict[str, tuple[int, JobHandle]] = {}
        numbered = enumerate(tasks)
        try:
            while True:
                for index, task in numbered:
                    handle = self.submit(owner, task, replace=False)
                    pending[handle.id] = (index, handle)
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                for handle in self.wait_any([h for _, h in pending.values()], timeout=1.0):
                    index, _ = pending.pop(handle.id)
                    view = handle.view()
                    self.forget(handle.id)
                    yield index, view
        finally:
            for _, handle in pending.values():
                self.forget(handle.id)
