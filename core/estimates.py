"""How long a classic run should take, said before it starts: at the pace of this process's
last finished job of that optimiser and precision (``measure_pace``, kept by
``core.engine``), else at a benchmark's (``default_pace``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.classic import MAX_ITERATIONS, ClassicConfig
from core.progress import SCALE_START_ITERATIONS, JobView

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
# Convolution work up to conv5_1 relative to VGG16-HED: VGG19 has one more convolution in
# blocks 3 and 4 (361 152 against 287 424 multiply-adds per input pixel, counted from the layer
# widths). Not timed: this machine has no VGG19 weights offline.
BACKBONE_COST = {"vgg16-hed": 1.0, "vgg19": 1.26}
# A finished job's pace is kept only if its timed scales had at least this many pixels: on
# tiny images the fixed cost of an iteration dominates (128x85 px: 6.6 s/MP against 4.6 at
# 512x342 with L-BFGS-B), and would promise a 1080 px run far too long.
PACE_MIN_PIXELS = 256 * 256


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


def output_shape(width: int, height: int, longest: int) -> tuple[int, int]:
    """(width, height) of a ``width`` x ``height`` picture scaled to ``longest`` px on its
    longer side, rounded as ``images.resize_longest`` rounds."""
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def stage_shapes(config: ClassicConfig, width: int, height: int) -> tuple[tuple[int, int], ...]:
    """(width, height) of each scale of a run on a ``width`` x ``height`` photo (the output's
    size will do: only the aspect ratio counts), sized as ``images.resize_longest`` does."""
    if width < 1 or height < 1:
        raise ValueError(f"width and height must be at least 1, got {width} x {height}")
    return tuple(output_shape(width, height, longest) for longest in config.stage_sizes)


def stage_pixels(config: ClassicConfig, width: int, height: int) -> tuple[int, ...]:
    """Pixels at each scale of a run (``stage_shapes``)."""
    return tuple(w * h for w, h in stage_shapes(config, width, height))


def stage_cost(config: ClassicConfig, width: int, height: int, regions: bool = False) -> float:
    """An iteration's cost at one scale relative to the pace's (one pass, the config's
    optimiser): over tiles, the tiles' extra work (``tiles.work_ratio``); where L-BFGS-B
    gives way to Adam for memory (``engine.stage_optimiser``), Adam's lighter iteration."""
    from core.classic import tiles
    from core.classic.optimisers import lbfgs_fits

    cost = tiles.work_ratio(height, width, config.loss_layers, regions)
    if config.optimizer == "lbfgs" and not lbfgs_fits(3 * width * height):
        cost *= (DEFAULT_SECONDS_PER_MEGAPIXEL[("adam", config.precision)]
                 / DEFAULT_SECONDS_PER_MEGAPIXEL[("lbfgs", config.precision)])
    return cost


def stage_costs(config: ClassicConfig, width: int, height: int,
                regions: bool = False) -> tuple[tuple[int, float], ...]:
    """``ClassicConfig.stage_costs`` for a ``width`` x ``height`` photo: each scale's
    iteration in first-scale iterations, its tiles' extra work and Adam counted (what the
    live ETA divides by)."""
    if not config.stage_costs:
        return ()
    shapes = stage_shapes(config, width, height)
    work = [w * h * stage_cost(config, w, h, regions) for w, h in shapes]
    return tuple((count, scale_work / work[0])
                 for (count, _), scale_work in zip(config.stage_costs, work, strict=True))


def estimate_seconds(config: ClassicConfig, width: int, height: int, pace: Pace | None = None,
                     *, backbone: str | None = None) -> Estimate:
    """How long ``config`` should take on a ``width`` x ``height`` photo at ``pace``
    (``Engine.measured_pace``; None: the benchmark's ``default_pace``).

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
    shapes = stage_shapes(config, width, height)
    pixels = [w * h for w, h in shapes]
    costs = [stage_cost(config, w, h) for w, h in shapes]
    counts = ([config.iterations] + [config.refine_iterations] * (len(pixels) - 1)
              if config.iterations is not None else [MAX_ITERATIONS])
    budget = config.max_seconds if config.max_seconds is not None else math.inf
    start_extra = SCALE_START_ITERATIONS.get(config.optimizer, 0.0)

    clock = overhead = pace.warmup_seconds  # the run's clock: what max_seconds is held to
    ordinary, done, stopped_by = 0.0, 0, "iterations"
    for count, scale_pixels, cost in zip(counts, pixels, costs, strict=False):
        step = per_megapixel * cost * scale_pixels / MEGAPIXEL
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
    out_width, out_height = output_shape(width, height, config.size)
    return Estimate(
        seconds=pace.setup_seconds + overhead + ordinary,
        iteration_seconds=ordinary,
        overhead_seconds=pace.setup_seconds + overhead,
        iterations=done,
        stopped_by=stopped_by,
        width=out_width,
        height=out_height,
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
    shapes = stage_shapes(config, started.width, started.height)
    pixels = [w * h for w, h in shapes]
    # an iteration over tiles does more work per pixel: counted in one-pass megapixels
    costs = [stage_cost(config, w, h) for w, h in shapes]
    seconds = megapixels = 0.0
    timed = largest = 0
    for before, row in zip(rows, rows[1:], strict=False):
        if row.stage != before.stage or row.stage > len(pixels):
            continue  # a scale's first iteration is not an ordinary one
        seconds += row.elapsed - before.elapsed
        megapixels += ((row.iteration - before.iteration) * pixels[row.stage - 1]
                       * costs[row.stage - 1] / MEGAPIXEL)
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


# Fast networks at print sizes, seconds per megapixel painted over tiles (bench/fast_large.py,
# the 2-core AMD EPYC, BENCHMARKS.md "Print size" and "Halos taken out"): the trained
# networks, the any-painting network and the 26-style network, bfloat16, halos taken out;
# a second picture of that size took 0.58, 0.68 and 0.72 at 7680x5120 px with nothing else
# running, a first one 0.88, 0.82 and 0.87: these leave room for a machine in use.
FAST_SECONDS_PER_MEGAPIXEL = {"trained": 0.9, "any": 1.0, "26-style": 1.0}


def fast_seconds(method: str, width: int, height: int) -> float:
    """About how long a fast network takes to paint a ``width`` x ``height`` picture."""
    return FAST_SECONDS_PER_MEGAPIXEL[method] * width * height / MEGAPIXEL
