"""What a classic job has done so far, in one immutable reading: its status, one loss row per
iteration, snapshots, and from them how far it is and how long it has left.

``core.engine`` writes these as a job's worker reports, on either engine; pages read them.
The ETA times what is left at the pace of the run's ordinary iterations: a scale's first
iteration also traces, computes the scale's targets and, for L-BFGS-B, evaluates the start
(SCALE_START_ITERATIONS).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core import images

if TYPE_CHECKING:  # annotations only: importing them at run time would load TensorFlow
    from core.classic import Started, StylizeResult
    from core.losses import Losses

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"

# What the first iteration of each scale costs beyond an ordinary one, in ordinary iterations
# of that scale: the scale's targets (photo and painting through the network once each) and,
# for L-BFGS-B, the evaluation of the starting point before its first step (70 iterations
# take 72-73 evaluations in BENCHMARKS.md's 1080 px rows; L-BFGS-B's later iterations mostly
# take one evaluation each, now and then two in a line search, which the pace includes).
# Measured (640 px refine scale after 256 px, a second run so nothing was traced): its first
# iteration took 6.8 s against 2.35 s for the next ones with L-BFGS-B (1.9 more), 1.79 s
# against 0.92 s with Adam (0.95 more); a fresh process adds ~0.7 s to retrace there.
SCALE_START_ITERATIONS = {"lbfgs": 1.9, "adam": 1.0}


@dataclass(frozen=True)
class LossRow:
    """One iteration's weighted losses, when it ended and at which scale."""

    iteration: int
    elapsed: float
    losses: Losses | None  # the one loss triple (core.losses); None: a training step that
    # learned per pixel (core.fast.train's distillation)
    stage: int = 1  # coarse-to-fine: the scale this iteration ran at, 1 = the coarsest


@dataclass(frozen=True)
class Snapshot:
    iteration: int
    elapsed: float
    png: bytes = field(repr=False)


@dataclass(frozen=True)
class JobView:
    """One consistent reading of a job, safe to keep and render."""

    id: str
    status: str
    queue_position: int  # 1 for the next job to start; 0 once it has started
    cancel_requested: bool
    planned_iterations: int | None  # all scales together; None: only a time budget
    max_seconds: float | None
    started: Started | None
    rows: tuple[LossRow, ...]
    snapshots: tuple[Snapshot, ...]
    result: StylizeResult | object | None  # a classic run's, or another task's result
    error: str | None
    stage: tuple[int, int] = (1, 1)  # coarse-to-fine: (scale now, scales), 1 = coarsest
    stage_costs: tuple[tuple[int, float], ...] = ()  # ClassicConfig.stage_costs, for the ETA
    optimizer: str | None = None  # ClassicConfig.optimizer: what a scale's first iteration adds
    node: str | None = None  # where it ran: "local", or a Ray node's id

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    @property
    def iteration(self) -> int:
        return self.rows[-1].iteration if self.rows else 0

    @property
    def elapsed(self) -> float:
        return self.rows[-1].elapsed if self.rows else 0.0

    def fraction(self) -> float:
        """How far the run is, 0..1, by work or by the time budget, whichever is nearer.

        Work, not iterations: at 1080 px the 512 px scale's 60 iterations are 86 % of the
        iterations but about half of the time.
        """
        if self.status == DONE:
            return 1.0
        parts = []
        if self.planned_iterations:
            costs = self.stage_costs or ((self.planned_iterations, 1.0),)
            parts.append(_work(costs, self.iteration) / _work(costs, self.planned_iterations))
        if self.max_seconds:
            parts.append(self.elapsed / self.max_seconds)
        return min(1.0, max(parts, default=0.0))

    def pace(self) -> float | None:
        """Seconds per base-scale iteration (``stage_costs``' unit) once the run is under
        way; None until one is timed.

        Only iterations after the first of their scale count: the run's first iteration
        also traces the TensorFlow step, and every scale's first one computes that scale's
        targets and (L-BFGS) evaluates its starting point as well (SCALE_START_ITERATIONS).
        """
        costs = self.stage_costs or ((self.planned_iterations or 0, 1.0),)
        seconds = work = 0.0
        for before, row in zip(self.rows, self.rows[1:], strict=False):
            if row.stage != before.stage:
                continue  # this span holds the new scale's first iteration
            seconds += row.elapsed - before.elapsed
            work += (row.iteration - before.iteration) * _stage_cost(costs, row.stage)
        if work > 0 and seconds > 0:
            return seconds / work
        last = self.rows[-1] if self.rows else None
        if last is None or last.iteration < 2:
            return None
        # Rows too sparse to leave the first iterations out (never the case for a job's own
        # rows, which hold every iteration): the average so far, first iterations included.
        done = _work(costs, last.iteration)
        return last.elapsed / done if done > 0 and last.elapsed > 0 else None

    def eta_seconds(self) -> float | None:
        """Seconds left, from the pace so far (``pace``); None before the second iteration.

        Later scales are counted at their cost per iteration, with their dearer first
        iteration; a time budget caps the answer.
        """
        if self.status != RUNNING or not self.rows:
            return None
        estimates = []
        if self.planned_iterations:
            pace = self.pace()
            if pace is None:
                return None  # one iteration done: its time is mostly tracing, not pace
            estimates.append(pace * self._work_left())
        if self.max_seconds:
            estimates.append(self.max_seconds - self.elapsed)
        return max(0.0, min(estimates)) if estimates else None

    def _work_left(self) -> float:
        """Base-scale iterations' worth of work still to do (planned iterations)."""
        costs = self.stage_costs or ((self.planned_iterations, 1.0),)
        last = self.rows[-1]
        stage = min(max(last.stage, 1), len(costs))
        earlier = [row.iteration for row in self.rows if row.stage < stage]
        # Where this scale began: the last iteration of the one before (L-BFGS may end a
        # scale early), else where the plan puts it.
        start = earlier[-1] if earlier else sum(count for count, _ in costs[:stage - 1])
        count, cost = costs[stage - 1]
        left = max(0, count - (last.iteration - start)) * cost
        extra = SCALE_START_ITERATIONS.get(self.optimizer, 0.0)
        for count, cost in costs[stage:]:
            left += (count + extra) * cost
        return left


def _stage_cost(costs: tuple[tuple[int, float], ...], stage: int) -> float:
    return costs[min(max(stage, 1), len(costs)) - 1][1]


def _work(costs: tuple[tuple[int, float], ...], iterations: int) -> float:
    """The cost of a run's first ``iterations`` iterations, scale by scale, as planned."""
    work, left = 0.0, iterations
    for count, cost in costs:
        work += min(count, left) * cost
        left -= min(count, left)
    return work


def snapshots_zip(snapshots: Sequence[Snapshot], final: np.ndarray | bytes | None = None,
                  record: dict | None = None) -> bytes:
    """A ZIP (in memory) of the snapshots as PNGs, plus the final image (pixels, or a PNG
    already made: one that carries its recipe) and settings."""
    buffer = io.BytesIO()
    # PNGs are already compressed; storing them saves time and loses nothing.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for snapshot in snapshots:
            archive.writestr(f"snapshot_{snapshot.iteration:05d}.png", snapshot.png)
        if final is not None:
            png = final if isinstance(final, bytes) else images.encode_png(final)
            archive.writestr("result.png", png)
        if record is not None:
            archive.writestr("settings.json", json.dumps(record, indent=2))
    return buffer.getvalue()
