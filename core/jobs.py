"""Classic style-transfer jobs off the caller's thread: a queue, a global limit, cancel.

The app's pages submit work here and poll it; nothing here imports Streamlit. One
``JobManager`` per process owns every job. At most ``slots`` jobs optimise at once (classic
runs use every core they get, so two at once on a small machine only make both slow); the
rest wait in a first-in, first-out queue and can read their place in it.

A ``Job`` records what ``core.classic.stylize`` reports (the ``Started`` event, one loss row
per iteration, snapshots as PNG bytes) behind a lock; ``Job.view()`` hands the reader one
consistent, immutable copy. Workers never touch the UI; the UI never touches a worker.

Time: ``JobView.eta_seconds`` times what is left at the pace of the run's ordinary
iterations (a scale's first iteration also traces, computes targets, and for L-BFGS-B
evaluates the start). Before a run, ``estimate_seconds`` (or ``JobManager.estimate``) says how
long it should take, at the pace of this process's last finished job of that optimiser and
precision (``JobManager.measured_pace``), else at a benchmark's (``default_pace``).

Design after whitphx/streamlit-webrtc's demos: heavy work on its own thread, results polled.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import math
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
    MAX_ITERATIONS,
    ClassicConfig,
    Progress,
    Started,
    StartImage,
    StylizeResult,
    stylize,
)

log = logging.getLogger(__name__)

SLOTS_ENV = "STYLE_STUDIO_CLASSIC_SLOTS"
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
KEEP_FINISHED_SECONDS = 30 * 60  # finished jobs are forgotten after this long
# A closed tab's job is cancelled after this long without a connection (not at once: a
# browser that loses its connection for a moment reconnects to the same session and job)...
CANCEL_ORPHANS_AFTER = 10.0
# ...and its record (the picture so far, snapshots) forgotten after this long: Streamlit keeps
# a disconnected session this long (server.disconnectedSessionTTL) for it to come back to.
FORGET_ORPHANS_AFTER = 120.0


def default_slots() -> int:
    """Concurrent classic jobs: ``$STYLE_STUDIO_CLASSIC_SLOTS``, else one per two cores."""
    raw = os.environ.get(SLOTS_ENV, "").strip()
    if not raw:
        return max(1, (os.cpu_count() or 1) // 2)
    try:
        slots = int(raw)
    except ValueError:
        slots = 0
    if slots < 1:
        raise ValueError(f"{SLOTS_ENV} must be a whole number, 1 or more (got {raw!r})")
    return slots


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


@dataclass(frozen=True)
class LossRow:
    iteration: int
    elapsed: float
    content: float
    style: float
    tv: float
    total: float
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
    result: StylizeResult | None
    error: str | None
    stage: tuple[int, int] = (1, 1)  # coarse-to-fine: (scale now, scales), 1 = coarsest
    stage_costs: tuple[tuple[int, float], ...] = ()  # ClassicConfig.stage_costs, for the ETA
    optimizer: str | None = None  # ClassicConfig.optimizer: what a scale's first iteration adds

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


# ---------------------------------------------------------------- time, before a run

MEASURED, DEFAULT = "measured", "default"  # Pace.source
MEGAPIXEL = 1_000_000

# Seconds per ordinary iteration per megapixel (of the image at that scale), per optimiser and
# precision, with VGG16-HED up to conv5_1 (both presets' layers): the default pace before this
# process has finished a job of its own. Measured on the 2-core AMD EPYC (Zen 4) of
# BENCHMARKS.md with the castle photo and The Starry Night; an iteration's time grows with the
# pixels (512x342 and 1080x720 give the same figure within a few per cent).
DEFAULT_SECONDS_PER_MEGAPIXEL = {
    # "Classic at the report's size", the report recipe's row: median 5.69 s per iteration
    # at 1080x720 = 0.7776 MP (its 512x342 rows, 1.263-1.288 s, give 7.2-7.4).
    ("adam", "float32"): 7.32,
    # Fitted to the recommended preset's two 1080x720 rows (90.7 s and 101.2 s of
    # optimisation for 60 iterations at 512x341 and 10 at 1080x720, BENCHMARKS.md "Classic at
    # the report's size"): this estimate gives 96 s for them (a run for this estimate, with
    # other work sharing the cores, took 96.3 s). The 512 px table's 0.981 s per iteration
    # (its start-point evaluation included) is 5.4 s/MP; 512x341 runs for this estimate took
    # 0.80 s per iteration (4.6 s/MP).
    ("lbfgs", "bfloat16"): 4.7,
    # The same 512 px table: float32 L-BFGS-B 1.471 s against bfloat16 0.975 s per iteration
    # ("bfloat16 VGG ... 1.51x per iteration").
    ("lbfgs", "float32"): 4.7 * 1.51,
    # Not in BENCHMARKS.md: measured for this estimate (2026-12-02, same machine), one loss and
    # gradient at 512x342 and 1080x720, bfloat16 against float32 alternately: 0.56 of the
    # float32 time at both sizes (0.32 s against 0.58 s; 1.41 s against 2.48 s, fastest of 12).
    ("adam", "bfloat16"): 7.32 * 0.56,
}
# Loading the network before the optimisation starts: 0.3-0.5 s in a fresh process in the
# 1080 px rows of BENCHMARKS.md (3.7 s once, from a cold disk); a later job reuses it.
DEFAULT_SETUP_SECONDS = 1.0
# Tracing the TensorFlow step, inside the run's first iteration: 1-3 s at 256-512 px (first
# iteration of a fresh process against a second run's).
DEFAULT_WARMUP_SECONDS = 2.0
DEFAULT_DESCRIPTION = ("a benchmark on a 2-core AMD EPYC (Zen 4) CPU with VGG16-HED "
                       "(BENCHMARKS.md)")
# What the first iteration of each scale costs beyond an ordinary one, in ordinary iterations
# of that scale: the scale's targets (photo and painting through the network once each) and,
# for L-BFGS-B, the evaluation of the starting point before its first step (70 iterations
# take 72-73 evaluations in BENCHMARKS.md's 1080 px rows; L-BFGS-B's later iterations mostly
# take one evaluation each, now and then two in a line search, which the pace includes).
# Measured (640 px refine scale after 256 px, a second run so nothing was traced): its first
# iteration took 6.8 s against 2.35 s for the next ones with L-BFGS-B (1.9 more), 1.79 s
# against 0.92 s with Adam (0.95 more); a fresh process adds ~0.7 s to retrace there.
SCALE_START_ITERATIONS = {"lbfgs": 1.9, "adam": 1.0}
# Convolution work up to conv5_1 relative to VGG16-HED: VGG19 has one more convolution in
# blocks 3 and 4 (361 152 against 287 424 multiply-adds per input pixel, counted from the layer
# widths). Not timed: this machine has no VGG19 weights offline.
BACKBONE_COST = {"vgg16-hed": 1.0, "vgg19": 1.26}
# A finished job's pace is kept only if its timed scales had at least this many pixels: on
# tiny images the fixed cost of an iteration dominates (128x85 px: 6.6 s/MP against 4.6 at
# 512x342 with L-BFGS-B), and would promise a 1080 px run far too long.
PACE_MIN_PIXELS = 256 * 256
PACES_KEPT = 32


@dataclass(frozen=True)
class Pace:
    """How fast classic iterations go, for one optimiser and precision, and from where."""

    optimizer: str
    precision: str
    backbone: str  # the loss network it was timed with, "vgg16-hed" or "vgg19"
    seconds_per_megapixel: float  # one ordinary iteration at 1 megapixel
    setup_seconds: float  # loading the network, before the optimisation's clock starts
    warmup_seconds: float  # what the run's first iteration adds (tracing the step)
    source: str  # MEASURED: a job this process finished; DEFAULT: DEFAULT_SECONDS_PER_MEGAPIXEL
    description: str  # for people: "this server's last run (...)" or the benchmark


@dataclass(frozen=True)
class Estimate:
    """How long a classic run should take, said before it starts."""

    seconds: float  # Run to result: set-up, every iteration, the time budget's cap
    iteration_seconds: float  # the ordinary iterations alone: pace x megapixels, scale by scale
    overhead_seconds: float  # set-up, tracing, and each scale's dearer first iteration
    iterations: int  # as planned, or as many as fit in the time budget
    stopped_by: str  # "iterations", or "time" when the budget ends the run first
    width: int  # the output, px
    height: int
    pace: Pace

    @property
    def source(self) -> str:
        return self.pace.source

    @property
    def optimisation_seconds(self) -> float:
        """What the live ``elapsed`` reaches at the end (the set-up is not counted there)."""
        return self.seconds - self.pace.setup_seconds


def default_pace(optimizer: str, precision: str) -> Pace:
    """The benchmark's pace (DEFAULT_SECONDS_PER_MEGAPIXEL) for this optimiser and precision."""
    return Pace(optimizer, precision, "vgg16-hed",
                DEFAULT_SECONDS_PER_MEGAPIXEL[(optimizer, precision)], DEFAULT_SETUP_SECONDS,
                DEFAULT_WARMUP_SECONDS, DEFAULT, DEFAULT_DESCRIPTION)


def stage_pixels(config: ClassicConfig, width: int, height: int) -> tuple[int, ...]:
    """Pixels at each scale of a run on a ``width`` x ``height`` photo (the output's size
    will do: only the aspect ratio counts), sized as ``images.resize_longest`` does."""
    if width < 1 or height < 1:
        raise ValueError(f"width and height must be at least 1, got {width} x {height}")
    pixels = []
    for longest in config.stage_sizes:
        scale = longest / max(width, height)
        pixels.append(max(1, round(width * scale)) * max(1, round(height * scale)))
    return tuple(pixels)


def estimate_seconds(config: ClassicConfig, width: int, height: int, pace: Pace | None = None,
                     *, backbone: str | None = None) -> Estimate:
    """How long ``config`` should take on a ``width`` x ``height`` photo at ``pace``
    (``JobManager.measured_pace``; None: the benchmark's ``default_pace``).

    Every scale's iterations at the pace for its pixels, plus the set-up, the tracing and
    each scale's dearer first iteration. A time budget ends the run after the iteration that
    reaches it. ``backbone`` is the loss network that will run ("vgg19" or "vgg16-hed"),
    when the config says "auto" and the caller knows; otherwise the pace's.
    """
    if pace is None:
        pace = default_pace(config.optimizer, config.precision)
    elif (pace.optimizer, pace.precision) != (config.optimizer, config.precision):
        raise ValueError(f"a {pace.optimizer}/{pace.precision} pace cannot time a "
                         f"{config.optimizer}/{config.precision} run")
    network = backbone or (pace.backbone if config.backbone == "auto" else config.backbone)
    per_megapixel = pace.seconds_per_megapixel * (
        BACKBONE_COST.get(network, 1.0) / BACKBONE_COST.get(pace.backbone, 1.0))
    pixels = stage_pixels(config, width, height)
    counts = ([config.iterations] + [config.refine_iterations] * (len(pixels) - 1)
              if config.iterations is not None else [MAX_ITERATIONS])
    budget = config.max_seconds if config.max_seconds is not None else math.inf
    start_extra = SCALE_START_ITERATIONS.get(config.optimizer, 0.0)

    clock = overhead = pace.warmup_seconds  # the run's clock: what max_seconds is held to
    ordinary, done, stopped_by = 0.0, 0, "iterations"
    for count, scale_pixels in zip(counts, pixels, strict=False):
        step = per_megapixel * scale_pixels / MEGAPIXEL
        overhead += start_extra * step
        clock += start_extra * step
        runs = count
        if clock + count * step >= budget:  # stops after the iteration that reaches it
            runs = min(count, max(1, math.ceil((budget - clock) / step)))
            stopped_by = "time"
        ordinary += runs * step
        clock += runs * step
        done += runs
        if stopped_by == "time":
            break
    output = config.size / max(width, height)
    return Estimate(
        seconds=pace.setup_seconds + overhead + ordinary,
        iteration_seconds=ordinary,
        overhead_seconds=pace.setup_seconds + overhead,
        iterations=done,
        stopped_by=stopped_by,
        width=max(1, round(width * output)),
        height=max(1, round(height * output)),
        pace=pace,
    )


def measure_pace(view: JobView, config: ClassicConfig) -> Pace | None:
    """The pace a finished (or cancelled) job ran at, or None if it timed too little.

    Its ordinary iterations (not a scale's first) per megapixel; what its first iteration
    took beyond that is its warm-up. Runs on images under PACE_MIN_PIXELS do not count.
    """
    started, rows = view.started, view.rows
    if started is None or len(rows) < 3:
        return None
    pixels = stage_pixels(config, started.width, started.height)
    seconds = megapixels = 0.0
    timed = largest = 0
    for before, row in zip(rows, rows[1:], strict=False):
        if row.stage != before.stage or row.stage > len(pixels):
            continue  # a scale's first iteration is not an ordinary one
        seconds += row.elapsed - before.elapsed
        megapixels += (row.iteration - before.iteration) * pixels[row.stage - 1] / MEGAPIXEL
        timed += row.iteration - before.iteration
        largest = max(largest, pixels[row.stage - 1])
    if timed < 2 or seconds <= 0 or largest < PACE_MIN_PIXELS:
        return None
    per_megapixel = seconds / megapixels
    first = rows[0]
    warmup = DEFAULT_WARMUP_SECONDS
    if first.iteration == 1 and first.stage == 1:
        ordinary = (1 + SCALE_START_ITERATIONS.get(config.optimizer, 0.0)) * per_megapixel
        warmup = max(0.0, first.elapsed - ordinary * pixels[0] / MEGAPIXEL)
    return Pace(
        config.optimizer, config.precision, started.backbone.name, per_megapixel,
        started.setup_seconds, warmup, MEASURED,
        f"this server's last {config.optimizer} run ({config.precision}, "
        f"{started.width}x{started.height}, {rows[-1].iteration} iterations)",
    )


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
        losses = event.losses
        row = LossRow(event.iteration, event.elapsed, losses.content, losses.style, losses.tv,
                      losses.total, event.stage)
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
        except ValueError as error:  # a user mistake the core caught: its message says what
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
