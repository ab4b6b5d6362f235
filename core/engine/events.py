"""The small events a job's worker sends to the job's record, on either engine.

A classic run reports ``Started``, ``StartImage`` and ``Progress`` (``core.classic``); the
worker turns the last two into a ``Step`` at once, PNG-encoding the snapshot where the run
is, so that records, and the wire between a Ray worker and the job board, carry bytes ready
to show or zip, never raw pixels. A training job (``core.fast.training_job``) reports a
``TrainProgress`` per step, a loss row here (no losses while it distils), and its previews,
snapshots; its two phases are the job's stages. ``Placed`` says which machine took the
job; ``Outcome`` ends it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import images
from core.progress import LossRow, Snapshot


@dataclass(frozen=True)
class Placed:
    """A worker took the job: on which node (``local`` in this process) and process."""

    node: str
    pid: int


@dataclass(frozen=True)
class Step:
    """One iteration's loss row and/or a snapshot, and the scale the run is at."""

    row: LossRow | None
    snapshot: Snapshot | None
    stage: tuple[int, int]  # (scale now, scales), 1 = the coarsest


@dataclass(frozen=True)
class Outcome:
    """How the job ended: a status from ``core.progress``, its result or a one-line error."""

    status: str
    result: object = None
    error: str | None = None
    # On Ray the result travels as the stream's next item, so that the board keeps only a
    # reference to it and the picture stays in the object store where it was made.
    result_follows: bool = False


def step_of(event):
    """A classic run's event as the record takes it: ``Started`` as it is, the others as a
    ``Step`` with the snapshot encoded."""
    from core.classic import Progress, StartImage
    from core.fast.train import TrainProgress
    from core.fast.training_job import PreviewSheet, phase_stage

    if isinstance(event, StartImage):  # iteration 0: a snapshot, not a loss row
        snapshot = Snapshot(event.iteration, event.elapsed, images.encode_png(event.snapshot))
        return Step(None, snapshot, (event.stage, event.stages))
    if isinstance(event, Progress):
        row = LossRow(event.iteration, event.elapsed, event.losses, event.stage)
        snapshot = None
        if event.snapshot is not None:
            snapshot = Snapshot(event.iteration, event.elapsed, images.encode_png(event.snapshot))
        return Step(row, snapshot, (event.stage, event.stages))
    if isinstance(event, TrainProgress):
        stage = phase_stage(event.step, event.distil_steps)
        return Step(LossRow(event.step, event.elapsed, event.losses, stage[0]), None, stage)
    if isinstance(event, PreviewSheet):
        return Step(None, Snapshot(event.step, event.elapsed, event.png), event.stage)
    return event
