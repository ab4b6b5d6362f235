"""Training a style network for one painting on a folder of photos.

A network of the any-painting design (``NetworkShape.design``, the default) starts as the
any-painting network (Magenta's, ``core.fast.arbitrary``) with the painting's style vector
folded in: from the first step it paints as that network does, without its style predictor.
One of Johnson et al.'s design (2016) starts from random weights and first learns, per
pixel, to paint each training crop as the any-painting network paints it
(**distillation**, ``TrainConfig.distil_steps``: a per-pixel target converges in far
fewer steps than Gram losses, and a step needs no loss network).

Then **fine-tuning** on the painting's Gram matrices, as Johnson et al. train from
scratch, takes the network towards the painting itself, with the any-painting network's
picture as the content target. A teacher term keeps each pixel near that picture with its
halos taken out (``TrainConfig.teacher_weight``), so that the Gram losses cannot emboss it,
a glow term (``TrainConfig.glow_weight``) takes out the light glow drawn along strong
edges, and a sleeve term (``TrainConfig.sleeve_weight``) keeps the painting's strokes up to
them, where the teacher term then lets go. Off by default: a Laplacian term against the
photo (Li et al., 2017; ``TrainConfig.laplacian_weight``), a texture term that keeps the
painting's texture where the photo is plain (``TrainConfig.texture_weight``), and a banding
term that keeps a calm sky's ramp of tone a ramp (``TrainConfig.banding_weight``).

Fine-tuning's loss is the classic engine's: the same VGG feature extractor
(``core.backbone``) and the same loss functions (``core.losses``), here averaged over a
batch of random photo crops. The transformer is float32; the frozen loss network may run
in bfloat16, which on a CPU with bfloat16 instructions (AVX512_BF16, AMX) does most of the
work in about half the time.

``train`` reports progress as small frozen events, writes a checkpoint every N steps and
resumes from it (the weights, Adam's moments, the step, the data sampler's random state), and
saves a preview of held-out photos every N steps. Everything goes through ``keras.ops`` and
``Model.train_on_batch``: under ``KERAS_BACKEND=torch`` the same code trains on a GPU.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import images, losses, regions
from core.backbone import BackboneChoice, FeatureExtractor, resolve_backbone
from core.errors import UserError
from core.fast import fine_tuning
from core.fast.checkpoint import Checkpoint
from core.fast.distil import Teacher, dithered_batch, make_distiller, start_from_teacher
from core.fast.network import build_transformer, freeze_first_stages
from core.fast.photos import PhotoSampler, centre_crop, photo_set_digest
from core.fast.settings import ANY_PAINTING, TEXTURE_WINDOWS, TrainConfig
from core.losses import Losses


@dataclass(frozen=True)
class TrainStarted:
    backbone: BackboneChoice
    photos: int  # training photos
    held_out: int
    first_step: int  # > 0 when resumed from a checkpoint
    parameters: int


DISTIL = "learning from the any-painting network"
FINE_TUNE = "fine-tuning on the painting"
# A fine-tuning step (batch 2, 256 px crops, the loss network in bfloat16) over a
# distillation step (batch 4) of Johnson et al.'s design, at its recipe of issue 21 on a
# 2-core AMD EPYC with AVX512_BF16: 0.98 s against 0.40 s. The ETA counts the fine-tuning
# steps at this until it has timed some.
FINE_TUNE_COST = 2.5
OBJECTIVE_TERMS = ("content", "style", "tv")  # core.losses.weighted_terms's, in its order
# fine-tuning's optional terms, each with TrainConfig's NAME_weight and TrainProgress's NAME:
# those against the photo, then those against the teacher's picture
OPTIONAL_TERMS = ("laplacian", "glow", "texture", "sleeve", "banding", "teacher", "pattern")
TRAINER_TERMS = (*OBJECTIVE_TERMS, *OPTIONAL_TERMS)  # all that fine-tuning logs


@dataclass(frozen=True)
class TrainProgress:
    step: int
    steps: int
    elapsed: float  # seconds of training, over all sessions of this run
    seconds_per_step: float  # recent average, in this phase
    losses: Losses | None  # fine-tuning: weighted loss terms of this step's batch
    phase: str = FINE_TUNE
    pixel_error: float | None = None  # distillation: RMS error against the teacher, 0..255
    laplacian: float | None = None  # fine-tuning with the Laplacian term: its weighted value
    glow: float | None = None  # fine-tuning with the glow term: its weighted value
    texture: float | None = None  # fine-tuning with the texture term: its weighted value
    sleeve: float | None = None  # fine-tuning with the sleeve term: its weighted value
    banding: float | None = None  # fine-tuning with the banding term: its weighted value
    teacher: float | None = None  # fine-tuning with the teacher term: its weighted value
    pattern: float | None = None  # fine-tuning with the pattern term: its weighted value
    distil_steps: int = 0

    @property
    def eta_seconds(self) -> float:
        if self.phase == FINE_TUNE:
            return (self.steps - self.step) * self.seconds_per_step
        return remaining_work(self.step, self.steps, self.distil_steps) * self.seconds_per_step


def remaining_work(step: int, steps: int, distil_steps: int) -> float:
    """The steps left after ``step``, in distillation steps (a fine-tuning step counts
    ``FINE_TUNE_COST``): the ETA's and the estimate before Start's one formula."""
    distilling = max(0, distil_steps - step)
    tuning = max(0, steps - max(step, distil_steps))
    return distilling + tuning * FINE_TUNE_COST


@dataclass(frozen=True)
class TrainPreview:
    step: int
    path: Path


@dataclass(frozen=True)
class TrainResult:
    steps: int
    balance: dict  # style layer -> divisor (``layer_balance``)
    seconds: float
    backbone: BackboneChoice
    stopped_early: bool  # cancelled; the checkpoint holds the progress


def _make_trainer(transformer, extractor: FeatureExtractor, style_grams: dict,
                  config: TrainConfig, balance: dict | None = None,
                  painting_texture: dict | None = None, calm_grams: dict | None = None):
    import keras
    from keras import ops

    _require_targets(config, painting_texture, calm_grams)
    balance = balance or {}
    layer_weights = {name: weight / balance.get(name, 1.0) for name, weight in config.style_layers}
    term_weights = (config.content_weight, config.style_weight, config.tv_weight)

    class StyleTrainer(keras.Model):
        """The transformer with the frozen loss network behind it, as one trainable model."""

        def __init__(self):
            super().__init__(name="style_trainer")
            self.transformer = transformer
            self.loss_network = extractor.model
            self.loss_network.trainable = False
            self.grams = _as_tensors(style_grams)
            self.texture = painting_texture
            self.calm_grams = calm_grams and _as_tensors(calm_grams)
            self.terms = [keras.metrics.Mean(name=name) for name in TRAINER_TERMS]

        def call(self, photos, training=False):
            return self.transformer(photos, training=training)

        def features(self, rgb):
            return extractor(rgb)  # runs self.loss_network on BGR minus the mean

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            # The content target: the teacher's picture ``y`` when there is one, else the
            # photo. Against the photo, the content term pulls the picture back towards it
            # and washed out a network distilled from the any-painting network within 100
            # steps; against the teacher's picture it keeps the teacher's composition and
            # brush texture while the Gram term moves the colours and strokes to the painting.
            layer = config.content_layer
            target = x if y is None else y
            features = self.features(y_pred)
            weighted = losses.weighted_terms(
                features, y_pred, content_layer=layer,
                content_target=ops.stop_gradient(self.features(target)[layer]),
                style_grams=self.grams, layer_weights=layer_weights, term_weights=term_weights,
            )
            guided = self.calm_grams is not None
            # the photo's calm areas, where the calm guide and the banding term act
            calm = losses.calm_mask(x) if guided or config.banding_weight else None
            extra = (*fine_tuning.photo_terms(config, y_pred, x, features, self.texture, calm),
                     *fine_tuning.teacher_terms(config, y_pred, y, x, calm if guided else None))
            terms = (*fine_tuning.with_calm_guide(weighted, config, features, self.grams,
                                                  self.calm_grams, calm, layer_weights), *extra)
            for tracker, term in zip(self.terms, terms, strict=True):
                tracker.update_state(term)
            return sum(terms[1:], terms[0])

        @property
        def metrics(self):
            return self.terms

    return StyleTrainer()


def _require_targets(config: TrainConfig, painting_texture: dict | None,
                     calm_grams: dict | None) -> None:
    """The painting's targets that the terms switched on need, computed once per run."""
    if config.texture_weight and painting_texture is None:
        raise ValueError("the texture term needs the painting's texture_targets")
    if config.calm_share and calm_grams is None:
        raise ValueError("calm_share needs the painting's calm_targets")


def _as_tensors(arrays: dict) -> dict:
    from keras import ops

    return {name: ops.convert_to_tensor(array) for name, array in arrays.items()}


def style_targets(extractor: FeatureExtractor, style: np.ndarray, config: TrainConfig) -> dict:
    """The painting's Gram matrices at ``style_size``, computed once."""
    features = extractor(_painting_at_style_size(style, config))
    return {name: np.asarray(losses.gram(features[name])) for name, _ in config.style_layers}


def texture_targets(extractor: FeatureExtractor, style: np.ndarray,
                    config: TrainConfig) -> dict:
    """The painting's texture energy (``losses.texture_energy``) at ``style_size`` for each
    layer of the texture term."""
    features = extractor(_painting_at_style_size(style, config))
    return {name: float(losses.texture_energy(features[name])) for name in TEXTURE_WINDOWS}


def calm_targets(extractor: FeatureExtractor, style: np.ndarray, config: TrainConfig) -> dict:
    """The Gram matrices, at ``style_size``, of the painting's calmest ``calm_share`` (by
    ``losses.local_spread``): what ``losses.guided_style_loss`` holds a photo's calm areas
    to."""
    painting = _painting_at_style_size(style, config)
    spread = np.asarray(losses.local_spread(painting))[0, ..., 0]
    calm = (spread <= np.quantile(spread, config.calm_share)).astype(np.float32)
    features = extractor(painting)
    return {name: np.asarray(losses.masked_gram(features[name], regions.resize_mask(
        calm, *features[name].shape[1:3]))) for name, _ in config.style_layers}


def _painting_at_style_size(style: np.ndarray, config: TrainConfig) -> np.ndarray:
    return images.resize_longest(style, config.style_size).astype(np.float32)[None]


def layer_balance(extractor: FeatureExtractor, grams: dict, photos: list[np.ndarray],
                  config: TrainConfig, count: int = 8) -> dict:
    """Per style layer: its loss for plain photos (centre crops) against the painting.

    Raw Gram losses differ by orders of magnitude between layers (conv1_2's activations are
    large, conv4_3's small); dividing by these puts every layer on the same footing.
    """
    batch = np.stack([centre_crop(p, config.crop) for p in photos[:count]]).astype(np.float32)
    features = extractor(batch)
    return {name: max(float(losses.style_layer_loss(features[name], grams[name])), 1e-12)
            for name, _ in config.style_layers}


def preview_sheet(transformer, photos: list[np.ndarray], side: int = 256) -> np.ndarray:
    """Held-out photos over their paintings, one column each, the halos taken out as the
    fast page takes them out (``core.fast.apply.dehaloed``)."""
    from core.fast.apply import dehaloed

    columns = []
    for photo in photos:
        small = images.resize_longest(photo, side)
        raw = np.asarray(transformer(small[None].astype(np.float32), training=False))[0]
        painted = images.to_uint8(dehaloed(small, raw))
        pad = side - small.shape[1]
        pair = np.concatenate([small, painted], axis=0)
        columns.append(np.pad(pair, ((0, 2 * side - pair.shape[0]), (0, pad + 4), (0, 0)),
                              constant_values=255))
    return np.concatenate(columns, axis=1)


def _build_trainer(style, photos, config: TrainConfig, saved: dict | None):
    """(loss network choice, layer balance, transformer, compiled trainer) for a run."""
    import keras

    keras.utils.set_random_seed(config.seed)
    # A resumed run keeps the loss network it started with, even if "auto" would now choose
    # another one (VGG19 reachable today, not last time).
    choice = resolve_backbone(saved["backbone"] if saved else config.backbone)
    extractor = FeatureExtractor(choice, config.loss_layers, config.pooling, config.precision)
    grams = style_targets(extractor, style, config)
    balance = (saved or {}).get("balance") or layer_balance(extractor, grams, photos, config)
    transformer = build_transformer(config.network)
    freeze_first_stages(transformer, config.frozen_depth)  # before the optimiser sees it
    texture = texture_targets(extractor, style, config) if config.texture_weight else None
    calm = calm_targets(extractor, style, config) if config.calm_share else None
    trainer = _make_trainer(transformer, extractor, grams, config, balance, texture, calm)
    trainer.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    trainer.optimizer.build(trainer.trainable_variables)
    return choice, balance, transformer, trainer


def _load_warm_start(transformer, path: str | Path) -> None:
    try:
        transformer.load_weights(path)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise UserError(f"cannot warm-start from {path}: {error}") from None


def train(
    style: np.ndarray,
    photos: list[np.ndarray],
    held_out: list[np.ndarray],
    config: TrainConfig,
    checkpoint_dir: str | Path,
    on_event: Callable[[object], None] | None = None,
    cancel: threading.Event | None = None,
    resume: bool = True,
    warm_start: str | Path | None = None,
):
    """Train a transformer; return (model, TrainResult). Resumes from ``checkpoint_dir``.

    ``warm_start`` (a transformer weights file of the same shape) sets the starting weights
    of a new run: a network that already reproduces photos learns a new painting in a
    fraction of the steps it needs from random weights.
    """
    with Checkpoint(checkpoint_dir).claimed() as checkpoint:
        return _train(checkpoint, style, photos, held_out, config, on_event or (
            lambda event: None), cancel, resume, warm_start)


def _train(checkpoint: Checkpoint, style, photos, held_out, config: TrainConfig, emit,
           cancel, resume: bool, warm_start):
    photos_digest = photo_set_digest(photos)
    if not resume:
        checkpoint.forget()
    saved = checkpoint.resumable_state(config, photos_digest) if resume else None
    run = _Run(config, *_build_trainer(style, photos, config, saved), PhotoSampler(
        photos, config.crop, config.seed))
    extra = {"config": config.to_dict(), "backbone": run.choice.name, "photos": photos_digest,
             "balance": run.balance}
    step, elapsed = 0, 0.0
    # the pictures of distillation and of the teacher term, and fine-tuning's content target
    teacher = Teacher(style) if config.learns_from_teacher else None
    if saved is not None:
        step, elapsed = checkpoint.restore(run.trainer_at, run.transformer, run.sampler)
    elif warm_start is not None:
        _load_warm_start(run.transformer, warm_start)
    elif config.network.design == ANY_PAINTING:
        start_from_teacher(run.transformer, teacher)
    emit(TrainStarted(run.choice, len(photos), len(held_out), step,
                      run.transformer.count_params()))

    recent: list[float] = []
    stopped_early = False
    while step < config.steps:
        if cancel is not None and cancel.is_set():
            stopped_early = True
            break
        started = time.perf_counter()
        report = run.step(step, teacher)
        recent = [] if step == config.distil_steps else recent  # a new phase's pace
        step += 1
        took = time.perf_counter() - started
        elapsed += took
        recent = (recent + [took])[-20:]
        emit(TrainProgress(step, config.steps, elapsed, float(np.median(recent)),
                           distil_steps=config.distil_steps, **report))
        last = step == config.steps
        if config.checkpoint_every and (step % config.checkpoint_every == 0 or last):
            checkpoint.save(run.trainer_at(step), run.transformer, step, elapsed, extra,
                            run.sampler)
        if held_out and config.preview_every and (step % config.preview_every == 0 or last):
            emit(TrainPreview(step, checkpoint.save_preview(
                preview_sheet(run.transformer, held_out), step)))
    if stopped_early and config.checkpoint_every:
        checkpoint.save(run.trainer_at(step), run.transformer, step, elapsed, extra, run.sampler)
    return run.transformer, TrainResult(step, run.balance, elapsed, run.choice, stopped_early)


class _Run:
    """One run's networks and data: the step of either phase, and whose optimizer a
    checkpoint at a step holds."""

    def __init__(self, config: TrainConfig, choice, balance, transformer, trainer,
                 sampler: PhotoSampler):
        self.config, self.choice, self.balance = config, choice, balance
        self.transformer, self.trainer, self.sampler = transformer, trainer, sampler
        self.distiller = make_distiller(transformer, config) if config.distil_steps else None

    def trainer_at(self, step: int):
        """The model whose optimizer state a checkpoint at ``step`` holds (the last step of
        distillation saves the distiller's: fine-tuning starts with a fresh Adam)."""
        if self.distiller is not None and step <= self.config.distil_steps:
            return self.distiller
        return self.trainer

    def step(self, step: int, teacher: Teacher | None) -> dict:
        """Trains one step (0-based); returns TrainProgress's fields for it."""
        config = self.config
        distilling = step < config.distil_steps
        batch = self.sampler.batch(config.distil_batch if distilling else config.batch)
        batch = dithered_batch(batch, config.dither, config.seed, step)
        target = None if teacher is None else teacher(batch)
        if distilling:
            logs = self.distiller.train_on_batch(batch, target, return_dict=True)
            return dict(losses=None, phase=DISTIL, pixel_error=float(np.sqrt(logs["loss"])))
        logs = self.trainer.train_on_batch(batch, target, return_dict=True)
        # an optional term that is off reports None (the teacher and pattern terms always
        # have their teacher: TrainConfig refuses them without one)
        return dict(losses=Losses.of(logs[name] for name in OBJECTIVE_TERMS),
                    **{term: float(logs[term]) if getattr(config, f"{term}_weight") else None
                       for term in OPTIONAL_TERMS})
