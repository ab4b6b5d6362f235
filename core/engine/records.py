"""What one job has done, kept wherever the job's record lives: in this process (the local
engine) or in the cluster's job board (the Ray engine).

A worker turns what it runs into small, picklable events (``core.engine.events``) and a
``JobRecord`` folds them in behind a lock; ``view()`` hands a reader one consistent, immutable
``JobView``. The same class serves both engines, so a page reads a job the same way wherever
it ran.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from core.engine.events import Outcome, Placed, Step
from core.estimates import stage_costs
from core.progress import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobView, Snapshot

KEEP_FINISHED_SECONDS = 30 * 60  # an engine forgets a finished job's record after this long


@dataclass(frozen=True)
class Plan:
    """What a job plans to do, for its progress and ETA: a classic run's iterations, time
    budget and scales (``ClassicConfig``); nothing for work done in one pass."""

    planned_iterations: int | None = None
    max_seconds: float | None = None
    stage_costs: tuple[tuple[int, float], ...] = ()
    optimizer: str | None = None


def plan_of(task) -> Plan:
    """The task's plan, from its ``classic_config`` (None: one pass), or its own steps and
    their costs (a training job: ``planned_steps``, ``step_costs``). Read where the task
    is whole: on Ray, the board holds it with its larger parts as object references."""
    steps = getattr(task, "planned_steps", None)
    if steps is not None:
        return Plan(steps, None, task.step_costs)
    config = getattr(task, "classic_config", None)
    if config is None:
        return Plan()
    costs, content = config.stage_costs, getattr(task, "content", None)
    if isinstance(content, np.ndarray):  # on Ray it may be a reference: the plain ratios then
        costs = stage_costs(config, content.shape[1], content.shape[0],
                            getattr(task, "masks", None) is not None)
    return Plan(config.planned_iterations, config.max_seconds, costs, config.optimizer)


class JobRecord:
    """One submitted job: its task, status, events so far and outcome."""

    def __init__(self, job_id: str, owner: str, task, plan: Plan | None = None):
        self.id = job_id
        self.owner = owner
        self.task = task
        self.plan = plan_of(task) if plan is None else plan
        self.submitted_at = time.time()
        self.finished_at: float | None = None  # time.monotonic() when it ended
        self.orphaned_at: float | None = None  # when its owner was first seen gone (local)
        self.cancel_requested = False
        self._lock = threading.Lock()
        self._status = QUEUED
        self._started = None
        self._rows: list = []
        self._snapshots: list[Snapshot] = []
        self._result = None
        self._error: str | None = None
        self._stage = (1, 1)
        self._node: str | None = None

    @property
    def status(self) -> str:
        with self._lock:
            return self._status

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    def start(self) -> None:
        with self._lock:
            self._status = RUNNING

    def apply(self, event) -> None:
        """Fold in one event from the job's worker."""
        with self._lock:
            if isinstance(event, Placed):
                self._node = event.node
            elif isinstance(event, Step):
                if event.row is not None:
                    self._rows.append(event.row)
                if event.snapshot is not None:
                    self._snapshots.append(event.snapshot)
                self._stage = event.stage
            elif isinstance(event, Outcome):
                self._finish(event.status, event.result, event.error)
            else:  # the run's Started event (core.classic.Started)
                self._started = event

    def finish(self, status: str, result=None, error: str | None = None) -> None:
        with self._lock:
            self._finish(status, result, error)

    def _finish(self, status, result, error) -> None:
        # Caller holds the lock. The first outcome counts: a cancel that lands after a job
        # ended (or a dead worker's late report) changes nothing.
        if self._status in (DONE, FAILED, CANCELLED):
            return
        self._status, self._result, self._error = status, result, error
        self.finished_at = time.monotonic()

    def view(self, queue_position: int = 0, rows_from: int = 0,
             snapshots_from: int = 0) -> JobView:
        """One consistent reading. ``rows_from``/``snapshots_from`` leave out what a reader
        already has (the Ray engine's handles fetch only what is new)."""
        plan = self.plan
        with self._lock:
            return JobView(
                id=self.id,
                status=self._status,
                queue_position=queue_position,
                cancel_requested=self.cancel_requested,
                planned_iterations=plan.planned_iterations,
                max_seconds=plan.max_seconds,
                started=self._started,
                rows=tuple(self._rows[rows_from:]),
                snapshots=tuple(self._snapshots[snapshots_from:]),
                result=self._result,
                error=self._error,
                stage=self._stage,
                stage_costs=plan.stage_costs,
                optimizer=plan.optimizer,
                node=self._node,
            )


def job_record(task, view: JobView) -> dict:
    """The settings and outcome of a run, JSON-ready, enough to repeat it."""
    describe = getattr(task, "describe", None)
    summary = getattr(view.result, "summary", None)
    return {
        **(describe() if describe else {"kind": type(task).__name__}),
        "status": view.status,
        "error": view.error,
        "summary": summary() if summary is not None else None,
    }
