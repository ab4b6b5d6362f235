"""Classic style transfer by optimisation (Gatys, Ecker & Bethge, 2016).

``ClassicConfig`` holds every default; ``PRESETS`` names two of them:

* ``report`` is the course report's recipe exactly (``shared/docs/seed-recipe.md``): conv4_2
  content, five style layers weighted 0.5/1/1.5/3/4, 5 x content + 100 x style, average
  pooling, 0.7 noise init, Adam at learning rate 2 for 1000 iterations, both images at the
  output size, no bounds on the pixels.
* ``recommended`` is the best quality per second measured on a 2-core CPU (BENCHMARKS.md).

``stylize`` runs one job and reports progress as small frozen events through ``on_event``;
it stops between iterations when ``cancel`` is set or the time budget is spent.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field

import numpy as np

from core import images, losses
from core.backbone import (
    BACKBONES,
    POOLINGS,
    PRECISIONS,
    BackboneChoice,
    FeatureExtractor,
    feature_extractor,
    resolve_backbone,
)

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise", "report-noise", "style", "image")
MAX_ITERATIONS = 100_000
MAX_SCALE_STEP = 2.5  # multi-scale runs: the most one scale grows over the one before
REPORT_STYLE_LAYERS = (
    ("conv1_1", 0.5), ("conv2_1", 1.0), ("conv3_1", 1.5), ("conv4_1", 3.0), ("conv5_1", 4.0),
)


# Settings an earlier version wrote into settings files, and what took their place.
RETIRED_SETTINGS = {
    "coarse_scales": "outputs larger than base_size now start at base_size px",
    "coarse_iterations": "each larger scale now runs refine_iterations",
}


def _require(ok: bool, name: str, allowed, value):
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")


def _require_number(name: str, value, allow_zero: bool = False):
    bad = isinstance(value, bool) or not isinstance(value, (int, float))
    if bad or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ValueError(f"{name} must be a finite number, {bound} (got {value!r})")


def _require_count(name: str, value, low: int, high: int):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high} (got {value!r})")


@dataclass(frozen=True)
class ClassicConfig:
    """Every setting of a classic run; the defaults are the ``recommended`` preset."""

    size: int = 512  # longest side of the output, px; the content's aspect ratio is kept
    content_layer: str = "conv4_2"
    style_layers: tuple[tuple[str, float], ...] = REPORT_STYLE_LAYERS  # (layer, weight)
    content_weight: float = 5.0  # the report's BETA
    style_weight: float = 100.0  # the report's ALPHA
    tv_weight: float = 0.05  # total variation, against single-pixel noise
    init: str = "content"  # one of INITS; "image" needs an init image
    optimizer: str = "lbfgs"  # one of OPTIMIZERS; L-BFGS keeps pixels inside 0..255
    learning_rate: float = 2.0  # Adam only
    iterations: int | None = 60  # at the (first) scale; None: run until max_seconds
    max_seconds: float | None = None  # time budget; None: run all iterations
    snapshot_every: int = 10  # iterations between snapshots, from the start (0); 0: none
    seed: int = 0  # noise init
    backbone: str = "auto"  # one of BACKBONES
    pooling: str = "avg"  # the report replaces VGG's max pooling by average pooling
    precision: str = "bfloat16"  # network compute; Grams, losses, optimiser stay float32
    preserve_colors: bool = False  # keep the content's colours, take only luminance
    # Style image's longest side as a multiple of the output's; None squashes the style
    # image to the output's exact width and height, as the report did.
    style_scale: float | None = 1.0
    # Outputs larger than ``base_size`` px are optimised first at ``base_size`` (``iterations``
    # there), then refined at larger scales, each at most MAX_SCALE_STEP times the last, for
    # ``refine_iterations`` each, from the previous result upsampled: strokes and colours
    # settle where an iteration is cheap, and the full size only adds detail. None: one scale.
    # Needs ``iterations``: a run bounded only by ``max_seconds`` is one scale.
    base_size: int | None = 512
    refine_iterations: int = 10

    def __post_init__(self):
        _require(self.optimizer in OPTIMIZERS, "optimizer", OPTIMIZERS, self.optimizer)
        _require(self.init in INITS, "init", INITS, self.init)
        _require(self.backbone in BACKBONES, "backbone", BACKBONES, self.backbone)
        _require(self.pooling in POOLINGS, "pooling", POOLINGS, self.pooling)
        _require(self.precision in PRECISIONS, "precision", PRECISIONS, self.precision)
        images.validate_size(self.size)
        for name in ("content_weight", "style_weight", "tv_weight"):
            _require_number(name, getattr(self, name), allow_zero=True)
        if self.content_weight + self.style_weight == 0:
            raise ValueError("content_weight and style_weight cannot both be zero")
        _require_number("learning_rate", self.learning_rate)
        if not self.style_layers:
            raise ValueError("style_layers cannot be empty")
        for layer, weight in self.style_layers:
            _require_number(f"style layer {layer} weight", weight, allow_zero=True)
        if self.iterations is None and self.max_seconds is None:
            raise ValueError("give iterations, max_seconds, or both")
        if self.iterations is not None:
            _require_count("iterations", self.iterations, 1, MAX_ITERATIONS)
        if self.max_seconds is not None:
            _require_number("max_seconds", self.max_seconds)
        _require_count("snapshot_every", self.snapshot_every, 0, MAX_ITERATIONS)
        _require_count("seed", self.seed, 0, 2**32 - 1)
        if self.base_size is not None:
            images.validate_size(self.base_size, what="base_size")
        _require_count("refine_iterations", self.refine_iterations, 1, MAX_ITERATIONS)
        if self.style_scale is not None:
            _require_number("style_scale", self.style_scale)
            if not 0.1 <= self.style_scale <= 4:
                raise ValueError(f"style_scale must be between 0.1 and 4 (got {self.style_scale})")

    @property
    def stage_sizes(self) -> tuple[int, ...]:
        """Longest side of each scale the run optimises at, ending with ``size``."""
        if self.base_size is None or self.iterations is None or self.size <= self.base_size:
            return (self.size,)
        sizes = [self.base_size]
        while sizes[-1] * MAX_SCALE_STEP < self.size:
            sizes.append(sizes[-1] * 2)
        return (*sizes, self.size)

    @property
    def planned_iterations(self) -> int | None:
        """All iterations of all scales; None when only the time budget ends the run."""
        if self.iterations is None:
            return None
        return self.iterations + self.refine_iterations * (len(self.stage_sizes) - 1)

    @property
    def stage_costs(self) -> tuple[tuple[int, float], ...]:
        """(iterations, cost of one of them relative to the first scale's) for each scale.

        An iteration's cost grows with the pixels: a 1080 px refine iteration costs about
        (1080 / 512)^2 = 4.4 base iterations (3.4 s against 0.8 s measured). Empty when only
        the time budget ends the run.
        """
        if self.iterations is None:
            return ()
        first, *larger = self.stage_sizes
        return ((self.iterations, 1.0),
                *((self.refine_iterations, (size / first) ** 2) for size in larger))

    @property
    def loss_layers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.content_layer, *(n for n, _ in self.style_layers)]))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict, notes: list[str] | None = None) -> ClassicConfig:
        """Rebuild a config from ``to_dict`` output (JSON turns tuples into lists).

        Settings that earlier versions wrote and this one no longer has are left out, with
        a line in ``notes`` saying so; any other unknown name is refused.
        """
        retired = sorted(set(values) & set(RETIRED_SETTINGS))
        if retired:
            values = {name: value for name, value in values.items() if name not in retired}
            if notes is not None:
                notes.extend(f"{name} is from an older version and was left out: "
                             f"{RETIRED_SETTINGS[name]}" for name in retired)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown classic settings: {', '.join(unknown)}")
        values = dict(values)
        if "style_layers" in values:
            values["style_layers"] = tuple((str(n), float(w)) for n, w in values["style_layers"])
        return cls(**values)


PRESETS = {
    "report": ClassicConfig(
        size=1080,
        base_size=None,
        init="report-noise",
        optimizer="adam",
        learning_rate=2.0,
        iterations=1000,
        snapshot_every=50,
        pooling="avg",
        precision="float32",
        style_scale=None,
        tv_weight=0.0,
    ),
    "recommended": ClassicConfig(),
}


def preset(name: str, **overrides) -> ClassicConfig:
    """A named preset with some settings replaced (``None`` values are ignored)."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)} (got {name!r})")
    given = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(PRESETS[name], **given)


@dataclass(frozen=True)
class Losses:
    """Weighted loss terms (each already multiplied by its weight); ``total`` is their sum."""

    content: float
    style: float
    tv: float

    @property
    def total(self) -> float:
        return self.content + self.style + self.tv


@dataclass(frozen=True)
class Started:
    """The network is loaded and the targets computed; the optimisation begins."""

    backbone: BackboneChoice
    precision: str
    width: int
    height: int
    setup_seconds: float


@dataclass(frozen=True)
class StartImage:
    """The picture the optimisation starts from: iteration 0's snapshot.

    Sent once, after ``Started`` and before the first ``Progress``, when ``snapshot_every`` is
    above zero, so that the snapshots run from the starting picture to the result. It is at
    the first scale's size, like that scale's snapshots, and carries no losses: none are
    computed before the first iteration.
    """

    snapshot: np.ndarray = field(repr=False)
    elapsed: float  # seconds since the optimisation started (network set-up excluded)
    iteration: int = 0
    stage: int = 1
    stages: int = 1


@dataclass(frozen=True)
class Progress:
    """One optimiser iteration done. ``snapshot`` is the current image every N iterations."""

    iteration: int
    total: int | None  # planned iterations; None when only a time budget bounds the run
    elapsed: float  # seconds since the optimisation started (network set-up excluded)
    losses: Losses
    snapshot: np.ndarray | None = field(default=None, repr=False)
    stage: int = 1  # coarse-to-fine: which scale (1 = the coarsest) of ``stages``
    stages: int = 1


@dataclass(frozen=True)
class StylizeResult:
    image: np.ndarray = field(repr=False)  # (H, W, 3) uint8
    iterations: int
    evaluations: int  # loss-and-gradient evaluations (L-BFGS line searches take extra ones)
    seconds: float
    setup_seconds: float  # loading the network and computing the targets
    losses: Losses
    backbone: BackboneChoice
    precision: str
    stopped_by: str  # "iterations", "time", "cancel" or "converged"

    def summary(self) -> dict:
        """What a person or a script wants to know about the run, JSON-ready."""
        height, width = self.image.shape[:2]
        return {
            "backbone": self.backbone.name,
            "backbone_reason": self.backbone.reason,
            "precision": self.precision,
            "size": [width, height],
            "iterations": self.iterations,
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 3),
            "setup_seconds": round(self.setup_seconds, 3),
            "iterations_per_second": round(self.iterations / max(self.seconds, 1e-9), 3),
            "stopped_by": self.stopped_by,
            "losses": {**dataclasses.asdict(self.losses), "total": self.losses.total},
        }


class Objective:
    """The report's objective for one content image and one (blended) style target.

    Calling it with an RGB image (H, W, 3) float32 in 0..255 gives the weighted loss terms
    and the gradient of their sum, as numpy, so that optimisers can stay plain Python.
    """

    def __init__(self, extractor: FeatureExtractor, config: ClassicConfig, content, styles,
                 style_blend):
        self.extractor = extractor
        self.config = config
        self.content_layer = config.content_layer
        self.layer_weights = dict(config.style_layers)
        self.content_target = extractor(_batch(content))[config.content_layer]
        style_grams = [self._grams(style) for style in styles]
        self.style_grams = losses.blend_grams(style_grams, style_blend)
        self.term_weights = np.array(
            [config.content_weight, config.style_weight, config.tv_weight], dtype=np.float32
        )
        self._step = _compiled_step(extractor)

    def _grams(self, style: np.ndarray) -> dict:
        features = self.extractor(_batch(style))
        return {name: losses.gram(features[name]) for name in self.layer_weights}

    def __call__(self, image: np.ndarray) -> tuple[Losses, np.ndarray]:
        terms, gradient = self._step(
            _batch(image), self.content_target, self.style_grams, self.layer_weights,
            self.term_weights, self.content_layer,
        )
        content, style, tv = (float(t) for t in np.asarray(terms))
        return Losses(content, style, tv), np.asarray(gradient[0], dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _compiled_step(extractor: FeatureExtractor):
    """One traced TensorFlow function per extractor: loss terms and their gradient.

    The targets and weights are arguments, not closures, so a new image or new weights
    reuse the trace; ``reduce_retracing`` lets one trace serve every image size.
    """
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def step(image, content_target, style_grams, layer_weights, term_weights, content_layer):
        with tf.GradientTape() as tape:
            tape.watch(image)
            features = extractor(image)
            terms = tf.stack([
                losses.content_loss(features[content_layer], content_target),
                losses.style_loss(features, style_grams, layer_weights),
                losses.total_variation(image),
            ]) * term_weights
            total = tf.reduce_sum(terms)
        return terms, tape.gradient(total, image)

    return step


def stylize(
    content: np.ndarray,
    styles: Sequence[np.ndarray],
    config: ClassicConfig = PRESETS["recommended"],
    *,
    style_blend: Sequence[float] | None = None,
    init_image: np.ndarray | None = None,
    on_event: Callable[[Started | StartImage | Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> StylizeResult:
    """Paint ``content`` in the style of ``styles`` (uint8 RGB arrays, any size)."""
    started = time.perf_counter()
    styles = list(styles)
    if not styles:
        raise ValueError("give at least one style image")
    style_blend = _check_blend(style_blend, len(styles))
    if config.init == "image" and init_image is None:
        raise ValueError("init 'image' needs an init image")

    full_content = images.resize_longest(content, config.size)
    height, width = full_content.shape[:2]
    choice = resolve_backbone(config.backbone)
    extractor = feature_extractor(choice, config.loss_layers, config.pooling, config.precision)
    setup_seconds = time.perf_counter() - started
    if on_event is not None:
        on_event(Started(choice, config.precision, width, height, setup_seconds))

    run = _Run(config, full_content, on_event, cancel)
    optimise = _lbfgs if config.optimizer == "lbfgs" else _adam
    sizes = config.stage_sizes
    try:
        image = _optimise_stages(content, styles, config, style_blend, init_image, extractor,
                                 run, optimise, sizes)
    finally:
        run.close()
    image = _resize_float(image, width, height)
    return StylizeResult(
        image=run.finish(image),
        iterations=run.iteration,
        evaluations=run.evaluations,
        seconds=run.elapsed(),
        setup_seconds=setup_seconds,
        losses=run.last_losses,
        backbone=choice,
        precision=config.precision,
        stopped_by=run.stopped_by,
    )


def _optimise_stages(content, styles, config, style_blend, init_image, extractor, run,
                     optimise, sizes) -> np.ndarray:
    """Each scale in turn, from the previous scale's result; the last scale's pixels."""
    image = None
    for stage, stage_size in enumerate(sizes, 1):
        stage_content = images.resize_longest(content, stage_size)
        stage_height, stage_width = stage_content.shape[:2]
        stage_styles = [_fit_style(style, stage_width, stage_height, config) for style in styles]
        limit = config.iterations if stage == 1 else config.refine_iterations
        run.begin_stage(stage, len(sizes), stage_content, limit)
        if image is None:
            image = _initial_image(config, stage_content, stage_styles[0], init_image,
                                   extractor.bgr_mean)
            run.starting_image(image)
        else:  # the previous scale's result, upsampled, is this scale's start
            image = _resize_float(image, stage_width, stage_height)
        objective = Objective(extractor, config, stage_content, stage_styles, style_blend)
        image = optimise(objective, image, config, run)
        if run.stopped_by in ("cancel", "time"):
            break
    return image


class _Run:
    """Iteration bookkeeping shared by the optimisers: events, snapshots, stop conditions."""

    def __init__(self, config, content, on_event, cancel):
        self.config = config
        self.content = content
        self.on_event = on_event
        self.cancel = cancel
        self.started = time.perf_counter()
        self.iteration = 0
        self.evaluations = 0
        self.last_losses = Losses(math.nan, math.nan, math.nan)
        self.stopped_by = "iterations"
        self.stage, self.stages, self.stage_start, self.stage_limit = 1, 1, 0, config.iterations
        self._evaluator: ThreadPoolExecutor | None = None

    def begin_stage(self, stage: int, stages: int, content: np.ndarray, limit: int | None):
        self.stage, self.stages, self.content = stage, stages, content
        self.stage_start, self.stage_limit = self.iteration, limit
        self.stopped_by = "iterations"

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def evaluate(self, objective, image):
        """One loss and gradient; raises _Cancelled as soon as a cancel arrives.

        One evaluation of the loss network takes about 3 s at 1080 px and cannot be stopped
        from Python, so a cancellable run evaluates on a helper thread and stops waiting for
        it: the run ends within a few hundredths of a second, and the abandoned evaluation
        finishes on its own (its result unused) within that one evaluation's time.
        """
        self.evaluations += 1
        if self.cancel is None:
            self.last_losses, gradient = objective(image)
            return self.last_losses, gradient
        if self._evaluator is None:
            self._evaluator = ThreadPoolExecutor(1, thread_name_prefix="classic-evaluation")
        pending = self._evaluator.submit(objective, image)
        while True:
            try:  # wakes the moment the evaluation is done, else checks for a cancel
                self.last_losses, gradient = pending.result(timeout=CANCEL_POLL_SECONDS)
                return self.last_losses, gradient
            except FuturesTimeout:
                if self.cancel.is_set():
                    self.stopped_by = "cancel"
                    raise _Cancelled from None

    def close(self) -> None:
        """Let go of the helper thread (an abandoned evaluation finishes in the background)."""
        if self._evaluator is not None:
            self._evaluator.shutdown(wait=False)
            self._evaluator = None

    def starting_image(self, image: np.ndarray) -> None:
        """Report the first scale's starting pixels as iteration 0's snapshot (if any are
        taken). Not an iteration: no loss row, and nothing counts it."""
        if self.config.snapshot_every and self.on_event is not None:
            self.on_event(StartImage(self.finish(image), self.elapsed(), 0, self.stage,
                                     self.stages))

    def iteration_done(self, image: np.ndarray) -> bool:
        """Count an iteration, report it; True when the run must stop now."""
        self.iteration += 1
        every = self.config.snapshot_every
        snapshot = self.finish(image) if every and self.iteration % every == 0 else None
        if self.on_event is not None:
            self.on_event(Progress(self.iteration, self.config.planned_iterations,
                                   self.elapsed(), self.last_losses, snapshot, self.stage,
                                   self.stages))
        if self.cancel is not None and self.cancel.is_set():
            self.stopped_by = "cancel"
        elif self.config.max_seconds is not None and self.elapsed() >= self.config.max_seconds:
            self.stopped_by = "time"
        elif self.stage_limit is not None and self.iteration - self.stage_start >= self.stage_limit:
            self.stopped_by = "iterations"
        else:
            return False
        return True

    def finish(self, image: np.ndarray) -> np.ndarray:
        """The optimiser's pixels as the picture a person gets: 8-bit, colours as asked."""
        picture = images.to_uint8(image)
        if self.config.preserve_colors:
            picture = images.preserve_colors(self.content, picture)
        return picture


@dataclass
class AdamState:
    """Adam's moment estimates and step count (kept so that a long run can be resumed)."""

    first: np.ndarray
    second: np.ndarray
    step: int = 0

    @classmethod
    def zeros_like(cls, image: np.ndarray) -> AdamState:
        return cls(np.zeros_like(image), np.zeros_like(image))


def adam_update(image, gradient, state: AdamState, learning_rate: float, beta1=0.9,
                beta2=0.999, epsilon=1e-8) -> np.ndarray:
    """One Adam step on raw pixels with TensorFlow 1's defaults, as the report ran it."""
    state.step += 1
    state.first = beta1 * state.first + (1 - beta1) * gradient
    state.second = beta2 * state.second + (1 - beta2) * gradient**2
    rate = learning_rate * math.sqrt(1 - beta2**state.step) / (1 - beta1**state.step)
    return image - rate * state.first / (np.sqrt(state.second) + epsilon)


def _adam(objective, image, config, run):
    """Adam on the raw pixels, unbounded, as the report ran it."""
    image = image.astype(np.float32)
    state = AdamState.zeros_like(image)
    for _ in range(MAX_ITERATIONS):
        try:
            _, gradient = run.evaluate(objective, image)
        except _Cancelled:
            break  # the last iterate stands
        image = adam_update(image, gradient, state, config.learning_rate)
        if run.iteration_done(image):
            break
    return image


def _lbfgs(objective, image, config, run):
    """L-BFGS-B with every pixel boxed into 0..255.

    The bounds matter: unbounded, the optimum lies partly outside the displayable range and
    the clipped 8-bit image is worse than what the optimiser saw.
    """
    shape = image.shape
    start = np.clip(image, 0, 255).astype(np.float64).ravel()
    # The last iterate L-BFGS-B accepted, what a cancel returns: one copy, replaced each
    # iteration (the routine overwrites x in place; a 2048 px image is 67 MB a copy).
    accepted = start

    def value_and_gradient(flat):
        # An iteration may take several evaluations (line search); checking here keeps a
        # cancel's delay to one evaluation instead of one iteration.
        if run.evaluations and run.cancel is not None and run.cancel.is_set():
            run.stopped_by = "cancel"
            raise _Cancelled
        step_losses, gradient = run.evaluate(objective, flat.reshape(shape).astype(np.float32))
        return step_losses.total, gradient.ravel().astype(np.float64)

    def after_iteration(x):
        nonlocal accepted
        accepted = x.copy()
        return run.iteration_done(x.reshape(shape))

    budget = run.stage_limit or MAX_ITERATIONS
    try:
        final, iterations = box_lbfgsb(value_and_gradient, start, 0.0, 255.0,
                                       max_iterations=budget, max_evaluations=budget * 3,
                                       history=lbfgs_history(start.size, budget),
                                       on_iteration=after_iteration)
    except _Cancelled:
        final, iterations = accepted, run.iteration - run.stage_start
    if iterations < budget and run.stopped_by == "iterations":
        run.stopped_by = "converged"
    return final.reshape(shape).astype(np.float32)


def box_lbfgsb(value_and_gradient, start, lower: float, upper: float, *, max_iterations: int,
               max_evaluations: int, history: int = 10, on_iteration=None):
    """Minimise with L-BFGS-B (scipy's routine) inside one box ``lower..upper`` for all x.

    The same iterates as ``scipy.optimize.minimize(method="L-BFGS-B", ftol=0, gtol=0)``, but
    scipy's wrapper converts per-variable bounds in Python loops: about 3 s per call for a
    512x342 image and 14 s at 1080x720, a quarter of the time the recommended preset needs to
    reach the report's result. Here the bounds are three vectorised arrays.
    ``on_iteration(x)`` after each accepted iterate returns True to stop. Returns (x,
    iterations).
    """
    from scipy.optimize import _lbfgsb  # the compiled routine scipy.optimize itself drives

    n = start.size
    x = np.clip(np.asarray(start, dtype=np.float64), lower, upper)
    low = np.full(n, lower, dtype=np.float64)
    high = np.full(n, upper, dtype=np.float64)
    both_bounded = np.full(n, 2, dtype=np.int32)  # L-BFGS-B's code for "lower and upper"
    value = np.array(0.0, dtype=np.float64)
    gradient = np.zeros(n, dtype=np.float64)
    work = np.zeros(2 * history * n + 5 * n + 11 * history**2 + 8 * history, np.float64)
    integer_work = np.zeros(3 * n, dtype=np.int32)
    task = np.zeros(2, dtype=np.int32)
    line_search_task = np.zeros(2, dtype=np.int32)
    keep_logical = np.zeros(4, dtype=np.int32)
    keep_integer = np.zeros(44, dtype=np.int32)
    keep_double = np.zeros(29, dtype=np.float64)
    evaluations = iterations = 0
    while True:
        # factr 0 and pgtol 0: stop by counts only (the caller's budget), never by tolerance
        _lbfgsb.setulb(history, x, low, high, both_bounded, value, gradient, 0.0, 0.0, work,
                       integer_work, task, keep_logical, keep_integer, keep_double, 20,
                       line_search_task)
        if task[0] == 3:  # wants the value and gradient at x
            new_value, new_gradient = value_and_gradient(x)
            value = np.array(new_value, dtype=np.float64)
            gradient = np.asarray(new_gradient, dtype=np.float64)
            evaluations += 1
        elif task[0] == 1:  # a new iterate
            iterations += 1
            stop = on_iteration is not None and on_iteration(x)
            if stop or iterations >= max_iterations or evaluations > max_evaluations:
                break
        else:  # converged, or no further progress possible
            break
    return x, iterations


CANCEL_POLL_SECONDS = 0.02  # how often a waiting run looks for a cancel
LBFGS_HISTORY = 20  # correction pairs L-BFGS-B keeps (scipy's default is 10)
LBFGS_PAIR_MEMORY = 512 * 2**20  # bytes the stored pairs may fill, for large images
LBFGS_MIN_HISTORY = 4


def lbfgs_history(pixels: int, iterations: int) -> int:
    """How many correction pairs L-BFGS-B keeps for an image of ``pixels`` values.

    Each pair is two float64 copies of the image and one is stored per iteration: 134 MB a
    pair at 2048 px, where ten of them were a sixth of the run's peak memory. Up to 1080 px
    (and in every 512 px base stage) this is the full LBFGS_HISTORY or the stage's iteration
    count, whichever is smaller: a run never stores more pairs than it takes iterations.
    """
    affordable = LBFGS_PAIR_MEMORY // (2 * 8 * pixels)
    return max(1, min(LBFGS_HISTORY, iterations, max(LBFGS_MIN_HISTORY, affordable)))


class _Cancelled(Exception):
    """Raised inside an L-BFGS-B evaluation to stop it when the run is cancelled."""


def _initial_image(config, content, style, init_image, bgr_mean) -> np.ndarray:
    """The starting pixels (H, W, 3) float32, RGB in 0..255 (may leave it for noise)."""
    height, width = content.shape[:2]
    rng = np.random.default_rng(config.seed)
    noise = rng.uniform(-20, 20, size=content.shape).astype(np.float32)
    mean_rgb = bgr_mean[::-1]
    if config.init == "content":
        return content.astype(np.float32)
    if config.init == "style":
        return images.resize_exact(style, width, height).astype(np.float32)
    if config.init == "image":
        return images.resize_exact(images.to_uint8(init_image), width, height).astype(np.float32)
    if config.init == "noise":
        return mean_rgb + noise
    # The report: 0.7 * noise + 0.3 * content, in the mean-subtracted space.
    return 0.7 * noise + 0.3 * (content - mean_rgb) + mean_rgb


def _resize_float(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize optimiser pixels (float, may lie outside 0..255) without rounding them."""
    if image.shape[:2] == (height, width):
        return image
    import tensorflow as tf

    resized = tf.image.resize(image[None], (height, width), method="bicubic")
    return np.asarray(resized[0], dtype=np.float32)


def _fit_style(style: np.ndarray, width: int, height: int, config: ClassicConfig) -> np.ndarray:
    if config.style_scale is None:
        return images.resize_exact(style, width, height)
    longest = round(config.style_scale * max(width, height))
    return images.resize_longest(style, min(max(longest, images.MIN_SIDE), images.MAX_OUTPUT_SIDE))


def _check_blend(blend, count: int) -> list[float]:
    if blend is None:
        return [1.0] * count
    blend = [float(w) for w in blend]
    if len(blend) != count:
        raise ValueError(f"{count} style images but {len(blend)} style weights")
    if any(not math.isfinite(w) or w < 0 for w in blend) or sum(blend) <= 0:
        raise ValueError("style weights must be non-negative numbers, not all zero")
    return blend


def _batch(image):
    return np.asarray(image, dtype=np.float32)[None]
