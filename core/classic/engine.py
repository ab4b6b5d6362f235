"""The classic engine (Gatys, Ecker & Bethge, 2016): ``stylize`` runs one job.

It optimises the pixels of the output against ``Objective`` (the report's objective for one
content image and one, possibly blended, style target: ``core.losses.weighted_terms``),
scale by scale, with the optimiser the config names (``core.classic.optimisers``). Progress
goes out as small frozen events through ``on_event``: ``Started``, ``StartImage`` (the
starting picture), one ``Progress`` per iteration; it stops between iterations when
``cancel`` is set or the time budget is spent.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field

import numpy as np

from core import images, losses, memory, regions
from core.backbone import BackboneChoice, FeatureExtractor, feature_extractor, resolve_backbone
from core.classic import tiles
from core.classic.config import PRESETS, ClassicConfig
from core.classic.optimisers import Cancelled, adam, lbfgs, lbfgs_fits
from core.classic.starts import fast_start, initial_image, load_fast_networks
from core.errors import SettingsError, UserError
from core.losses import Losses
from core.validate import MAX_OUTPUT_SIDE, MIN_SIDE

log = logging.getLogger(__name__)

CANCEL_POLL_SECONDS = 0.02  # how often a waiting run looks for a cancel


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
    # "iterations", "time", "cancel"; L-BFGS-B's last scale may also end by "evaluations"
    # (its evaluation budget spent) or "converged" (it could go no further)
    stopped_by: str
    # ``image`` unrounded (float32 on 0..255, colours as asked): for 16-bit files (core.export)
    float_pixels: np.ndarray | None = field(default=None, repr=False)

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
    (``core.losses.weighted_terms``, the trainer's objective too) as ``Losses``, and the
    gradient of their sum as numpy, so that optimisers can stay plain Python.
    """

    def __init__(self, extractor: FeatureExtractor, config: ClassicConfig, content, styles,
                 style_blend, masks=None):
        self.extractor = extractor
        self.content_layer = config.content_layer
        layer_weights = dict(config.style_layers)
        content_features = extractor(_batch(content))
        self.content_target = content_features[config.content_layer]
        style_grams = [self._grams(style, layer_weights) for style in styles]
        if masks is None:  # one (blended) target for the whole picture
            self.style_grams = losses.blend_grams(style_grams, style_blend)
            self.layer_weights, self.style_masks = layer_weights, None
        else:  # regions: each painting's own Grams, on its region only
            self.style_grams = style_grams
            self.style_masks, self.layer_weights = region_terms(
                masks, {name: content_features[name].shape[1:3] for name in layer_weights},
                layer_weights, style_blend)
        self.term_weights = np.array(
            [config.content_weight, config.style_weight, config.tv_weight], dtype=np.float32
        )
        self._step = _compiled_step(extractor)

    def _grams(self, style: np.ndarray, layer_weights: dict) -> dict:
        features = self.extractor(_batch(style))
        return {name: losses.gram(features[name]) for name in layer_weights}

    def __call__(self, image: np.ndarray) -> tuple[Losses, np.ndarray]:
        terms, gradient = self._step(
            _batch(image), self.content_target, self.style_grams, self.layer_weights,
            self.term_weights, self.content_layer, self.style_masks,
        )
        return Losses.of(np.asarray(terms)), np.asarray(gradient[0], dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _compiled_step(extractor: FeatureExtractor):
    """One traced TensorFlow function per extractor: loss terms and their gradient.

    The targets and weights are arguments, not closures, so a new image or new weights
    reuse the trace; ``reduce_retracing`` lets one trace serve every image size.
    """
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def step(image, content_target, style_grams, layer_weights, term_weights, content_layer,
             style_masks):
        with tf.GradientTape() as tape:
            tape.watch(image)
            terms = losses.weighted_terms(
                extractor(image), image, content_layer=content_layer,
                content_target=content_target, style_grams=style_grams,
                layer_weights=layer_weights, term_weights=term_weights, style_masks=style_masks,
            )
            total = tf.reduce_sum(terms)
        return terms, tape.gradient(total, image)

    return step


def region_terms(masks, layer_shapes: dict, layer_weights: dict, style_blend
                 ) -> tuple[list[dict], list[dict]]:
    """Each region's mask at each style layer's resolution, and its layer weights.

    A region's weight at a layer is the layer's weight x the region's share of that layer's
    positions x its painting's weight (the largest counting 1): a masked Gram is a mean over
    the region, so without the share a small region would be pushed harder per pixel than
    the whole picture is in a run without regions.
    """
    top = max(style_blend)
    layer_masks, weights = [], []
    for mask, blend in zip(masks, style_blend, strict=True):
        at_layer = {name: regions.resize_mask(mask, int(height), int(width))
                    for name, (height, width) in layer_shapes.items()}
        layer_masks.append(at_layer)
        # numpy scalars, not Python floats: a traced step takes a Python number as a
        # constant and would trace again for every new share
        weights.append({name: np.float32(weight * at_layer[name].mean() * blend / top)
                        for name, weight in layer_weights.items()})
    return layer_masks, weights


def stylize(
    content: np.ndarray,
    styles: Sequence[np.ndarray],
    config: ClassicConfig = PRESETS["recommended"],
    *,
    style_blend: Sequence[float] | None = None,
    init_image: np.ndarray | None = None,
    masks: Sequence[np.ndarray] | None = None,
    on_event: Callable[[Started | StartImage | Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> StylizeResult:
    """Paint ``content`` in the style of ``styles`` (uint8 RGB arrays, any size).

    ``masks`` (``core.regions``: one per style, any size) give each painting its region
    instead of blending them; what no mask covers keeps the photo.
    """
    started = time.perf_counter()
    styles = list(styles)
    if not styles:
        raise UserError("give at least one style image")
    style_blend = _check_blend(style_blend, len(styles))
    if config.init == "image" and init_image is None:
        raise SettingsError("init 'image' needs an init image")

    full_content = images.resize_longest(content, config.size)
    height, width = full_content.shape[:2]  # every caller's run is checked here, Ray's too:
    memory.check_fits(memory.classic_peak(config, width, height, masks is not None), "This run")
    if masks is not None:
        masks = regions.fit_masks(masks, len(styles), height, width)
    choice = resolve_backbone(config.backbone)
    extractor = feature_extractor(choice, config.loss_layers, config.pooling, config.precision)
    config, fast_networks = _with_fast_networks(config)
    setup_seconds = time.perf_counter() - started
    if on_event is not None:
        on_event(Started(choice, config.precision, width, height, setup_seconds))

    run = Run(config, full_content, on_event, cancel)
    if config.optimizer == "lbfgs":
        optimise = lbfgs
    else:
        optimise = functools.partial(adam, learning_rate=config.learning_rate)
    sizes = config.stage_sizes
    try:
        image = _optimise_stages(content, styles, config, style_blend, init_image, extractor,
                                 run, optimise, sizes, fast_networks, masks)
    finally:
        run.close()
    pixels = run.final_pixels(_resize_float(image, width, height))
    return StylizeResult(
        image=images.to_uint8(pixels),
        iterations=run.iteration,
        evaluations=run.evaluations,
        seconds=run.elapsed(),
        setup_seconds=setup_seconds,
        losses=run.last_losses,
        backbone=choice,
        precision=config.precision,
        stopped_by=run.stopped_by,
        float_pixels=pixels,
    )


def _with_fast_networks(config: ClassicConfig) -> tuple[ClassicConfig, tuple | None]:
    """The networks a "fast" start paints with (None for other starts); where they are
    missing or damaged on this server, the run starts from the photo instead, logged."""
    if config.init != "fast":
        return config, None
    try:
        return config, load_fast_networks()
    except UserError as error:
        log.warning("classic: starting from the photo, not the fast picture: %s", error)
        return dataclasses.replace(config, init="content"), None


def _optimise_stages(content, styles, config, style_blend, init_image, extractor, run,
                     optimise, sizes, fast_networks=None, masks=None) -> np.ndarray:
    """Each scale in turn, from the previous scale's result; the last scale's pixels."""
    image = None
    for stage, stage_size in enumerate(sizes, 1):
        stage_content = images.resize_longest(content, stage_size)
        stage_height, stage_width = stage_content.shape[:2]
        stage_styles = [fit_style(style, stage_width, stage_height, config) for style in styles]
        stage_masks = None if masks is None else [
            regions.resize_mask(mask, stage_height, stage_width) for mask in masks]
        limit = config.iterations if stage == 1 else config.refine_iterations
        run.begin_stage(stage, len(sizes), stage_content, limit)
        if image is None:
            if config.init == "fast":  # painted here, so the run's clock counts it
                init_image = fast_start(stage_content, styles, style_blend, fast_networks,
                                        stage_masks)
            image = initial_image(config, stage_content, stage_styles[0], init_image,
                                  extractor.bgr_mean)
            if stage_masks is not None:  # what no region covers starts as (and stays) photo
                covered = regions.coverage(stage_masks)[..., None]
                image = covered * image + (1.0 - covered) * stage_content.astype(np.float32)
            run.starting_image(image)
        else:  # the previous scale's result, upsampled, is this scale's start
            image = _resize_float(image, stage_width, stage_height)
        # passed, not kept: the last scale's objective is freed before the next one is built
        image = stage_optimiser(config, image, optimise)(stage_objective(
            extractor, config, stage_content, stage_styles, style_blend, stage_masks,
            run.cancel), image, run)
        if run.stopped_by in ("cancel", "time"):
            break
    return image


def stage_objective(extractor, config, content, styles, style_blend, masks=None, cancel=None):
    """The objective of one scale: in one pass, or over tiles where one pass would not fit
    in memory (``core.classic.tiles``; a picture with regions is always one pass)."""
    if tiles.stage_tiled(*content.shape[:2], masks is not None):
        return tiles.TiledObjective(extractor, config, content, styles, style_blend,
                                    cancel=cancel)
    return Objective(extractor, config, content, styles, style_blend, masks)


def stage_optimiser(config: ClassicConfig, image: np.ndarray, optimise):
    """``optimise``, or Adam (the config's learning rate) where L-BFGS-B's float64 arrays
    would not fit (``lbfgs_fits``: 5.1 GB at 4096 px, 11 GB at 6000; 2048 px keeps it)."""
    if optimise is lbfgs and not lbfgs_fits(image.size):
        return functools.partial(adam, learning_rate=config.learning_rate)
    return optimise


class Run:
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
        """One loss and gradient; raises Cancelled as soon as a cancel arrives.

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
                    raise Cancelled from None

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
        return images.to_uint8(self.final_pixels(image))

    def final_pixels(self, image: np.ndarray) -> np.ndarray:
        """``finish`` unrounded (float32, 0..255): a 16-bit file keeps the levels between."""
        pixels = np.clip(np.asarray(image, np.float32), 0, 255)  # new: the optimiser's stays
        if self.config.preserve_colors:
            pixels = images.preserve_colors(self.content, pixels)
        return pixels


def _resize_float(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize optimiser pixels (float, may lie outside 0..255) without rounding them."""
    if image.shape[:2] == (height, width):
        return image
    import tensorflow as tf

    resized = tf.image.resize(image[None], (height, width), method="bicubic")
    return np.asarray(resized[0], dtype=np.float32)


def fit_style(style: np.ndarray, width: int, height: int, config: ClassicConfig) -> np.ndarray:
    """The style image as a scale of ``width`` x ``height`` sees it (``config.style_scale``)."""
    if config.style_scale is None:
        return images.resize_exact(style, width, height)
    longest = round(config.style_scale * max(width, height))
    return images.resize_longest(style, min(max(longest, MIN_SIDE), MAX_OUTPUT_SIDE))


def _check_blend(blend, count: int) -> list[float]:
    if blend is None:
        return [1.0] * count
    blend = [float(w) for w in blend]
    if len(blend) != count:
        raise SettingsError(f"{count} style images but {len(blend)} style weights")
    if any(not math.isfinite(w) or w < 0 for w in blend) or sum(blend) <= 0:
        raise SettingsError("style weights must be non-negative numbers, not all zero")
    return blend


def _batch(image):
    return np.asarray(image, dtype=np.float32)[None]
