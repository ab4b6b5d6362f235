"""Training a style network as a job (``TrainTask``): what the Train page submits to the
engine, as the classic page submits a ``core.engine.ClassicTask``.

The task trains with ``core.fast.train.train`` on the bundled training photos (or a folder
of photos), previews the held-out example photos as it learns, and saves the finished network
with its manifest into ``registry.trained_dir()`` through ``registry.save_network``, the same
function the CLI's ``train-fast`` saves through; the fast page then lists it beside the
bundled networks; its result (``TrainedNetwork``) also carries the saved files' contents,
which the page writes into its own ``trained_dir()`` when the run was on another machine (the
Ray engine). Its checkpoint folder is keyed by the painting's pixels and the training
settings (all but the steps and how often to save or preview: ``resumable``), so the same
painting and settings resume where a cancelled run stopped.

For the job's record, progress is a loss row per step and each preview sheet a snapshot
(``core.engine.events.step_of``); the two phases of training are the job's two stages, the
fine-tuning steps weighted by ``FINE_TUNE_COST`` in its plan, so ``JobView``'s progress and
ETA work as they do for a classic run's scales.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from core import images, paintings
from core.errors import SettingsError
from core.fast import registry
from core.fast.settings import JOHNSON, TrainConfig

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
PAINTING_SIDE = 512  # px: the copy of the painting kept beside a trained-here network
CHECKPOINTS = "checkpoints"  # under registry.trained_dir()
# Settings added after the first Train page, by the one that switches them on (a term's
# weight, or frozen_depth): the settings each brings.
LATER_TERMS = {"laplacian_weight": ("laplacian_weight", "laplacian_pool"),
               "glow_weight": ("glow_weight",), "texture_weight": ("texture_weight",),
               "sleeve_weight": ("sleeve_weight",),
               "teacher_weight": ("teacher_weight",),
               "pattern_weight": ("pattern_weight",), "calm_share": ("calm_share",),
               "banding_weight": ("banding_weight",), "frozen_depth": ("frozen_depth",)}


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new network (None: it can): the format, or a bundled
    network's name. A network trained here earlier under this name is replaced."""
    if not NAME.fullmatch(name):
        return ("A network's name is 1 to 48 characters: lower-case letters, digits, "
                "- and _, starting with a letter or digit (e.g. my_painting).")
    if any(model.name == name for model in registry.bundled_models(registry.models_dir())):
        return f"{name} is a bundled network's name: choose another."
    return None


def slug(text: str) -> str:
    """A network name made from a painting's file name: 'My Painting.jpg' -> 'my_painting'."""
    made = re.sub(r"[^a-z0-9_-]+", "_", Path(text).stem.lower()).strip("_-")[:48]
    return made or "my_painting"


def phase_stage(step: int, distil_steps: int) -> tuple[int, int]:
    """(phase of ``step``, phases) as a job's stage: 1 is distillation when there is one."""
    if not distil_steps:
        return 1, 1
    return (1 if step <= distil_steps else 2), 2


def step_costs(config: TrainConfig) -> tuple[tuple[int, float], ...]:
    """The run's phases as a job's stages: (steps, cost of a step in distillation steps).
    Always in distillation steps, a run without that phase too: the job's measured pace
    (``JobView.pace``, seconds per unit of cost) is what ``estimate_seconds`` takes."""
    from core.fast.train import FINE_TUNE_COST

    if not config.distil_steps:
        return ((config.steps, FINE_TUNE_COST),)
    return ((config.distil_steps, 1.0), (config.steps - config.distil_steps, FINE_TUNE_COST))


@dataclass(frozen=True)
class PreviewSheet:
    """A preview (held-out photos over their paintings) as the job's record keeps it."""

    step: int
    elapsed: float
    png: bytes = field(repr=False)
    stage: tuple[int, int]


@dataclass(frozen=True)
class NetworkFiles:
    """A saved network's files' contents, carried in the job's result: on the Ray engine the
    run's worker may be another machine, whose disk the page does not see."""

    weights: bytes = field(repr=False)
    manifest: dict = field(repr=False)
    painting: bytes | None = field(repr=False)  # the copy beside the weights, if any

    @classmethod
    def read(cls, model: registry.StyleModel) -> NetworkFiles:
        copy = registry.painting_copy(model.weights_path)
        return cls(model.weights_path.read_bytes(), dict(model.manifest),
                   copy.read_bytes() if copy.is_file() else None)


@dataclass(frozen=True)
class TrainedNetwork:
    """A training job's result: the network saved (None when cancelled: the checkpoint
    holds the progress), with its files' contents."""

    name: str
    steps: int  # reached, over every session of the run
    seconds: float  # of training, over every session
    stopped_by: str  # "steps" or "cancel"
    model: registry.StyleModel | None = field(default=None, repr=False)
    files: NetworkFiles | None = field(default=None, repr=False)

    def summary(self) -> dict:
        return {"network": self.name, "steps": self.steps, "seconds": round(self.seconds, 1),
                "stopped_by": self.stopped_by,
                "sha256": self.model.sha256 if self.model else None}

    def installed(self) -> registry.StyleModel | None:
        """The network as this machine's ``registry.trained_dir()`` holds it, its files
        written there first from the result when they are not there yet (a run on another
        machine); a network saved there since under the name is left alone."""
        if self.model is None:
            return None
        folder = registry.trained_dir()
        weights = folder / f"{self.name}{registry.WEIGHTS_SUFFIX}"
        manifest = weights.with_name(f"{self.name}.json")
        if self.files is not None and not (manifest.is_file() and weights.is_file()):
            folder.mkdir(parents=True, exist_ok=True)
            copy = registry.painting_copy(weights)
            if self.files.painting is not None:
                images.write_atomically(copy, self.files.painting)
            else:  # a bundled painting: no copy (an older upload's would hide it)
                copy.unlink(missing_ok=True)
            registry.install_network(weights, self.files.weights, self.files.manifest)
        return registry.style_model(manifest) if manifest.is_file() else self.model


@cache
def training_photos_once() -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """``core.fast.photos.bundled_photos``, decoded once per process."""
    from core.fast.photos import bundled_photos as load

    training, held_out = load()
    return tuple(training), tuple(held_out)


@dataclass(frozen=True, eq=False)
class TrainTask:
    """Train a network called ``name`` for ``painting`` (uint8 RGB, never modified)."""

    kind: ClassVar[str] = "train"
    name: str
    painting: np.ndarray = field(repr=False)
    painting_file: str  # "starry_night.jpg"
    config: TrainConfig = field(default_factory=TrainConfig)
    title: str | None = None  # the painting's; None: the record's, else from the file name
    artist: str | None = None
    year: str | None = None
    licence: str | None = None
    photos_dir: str | None = None  # None: the bundled training photos
    fresh: bool = False  # start over even if a checkpoint of these settings exists
    # painting_file is the bundled painting of that name (its credits come from its record),
    # not an upload that happens to share its file name
    bundled: bool = False

    def __post_init__(self):
        problem = name_problem(self.name)
        if problem:
            raise SettingsError(problem)

    @property
    def planned_steps(self) -> int:  # the job's plan (core.engine.records.plan_of)
        return self.config.steps

    @property
    def step_costs(self) -> tuple[tuple[int, float], ...]:
        return step_costs(self.config)

    @property
    def checkpoint_dir(self) -> Path:
        """Same painting and same settings (but the steps): same folder, so it resumes."""
        digest = hashlib.sha256(str(self.painting.shape).encode())
        digest.update(np.ascontiguousarray(self.painting).tobytes())
        resumable = self.config.resumable().to_dict()
        # A setting added since, when off: named as before it, so that older runs still resume.
        for weight, settings in LATER_TERMS.items():
            if not resumable[weight]:
                for name in settings:
                    del resumable[name]
        if resumable["network"]["design"] == JOHNSON:  # the only design there was
            del resumable["network"]["design"]
        settings = hashlib.sha256(json.dumps(resumable, sort_keys=True).encode()).hexdigest()
        photos = hashlib.sha256(str(self.photos_dir).encode()).hexdigest()
        return (registry.trained_dir() / CHECKPOINTS
                / f"{digest.hexdigest()[:12]}-{settings[:8]}-{photos[:6]}")

    def saved_step(self) -> int | None:
        """The step a checkpoint of this painting and these settings reached, if any."""
        from core.fast.checkpoint import Checkpoint

        checkpoint = Checkpoint(self.checkpoint_dir)
        if self.fresh or not checkpoint.exists():
            return None
        try:
            return int(checkpoint.read_state()["step"])
        except Exception:  # noqa: BLE001 - an unreadable state file: the run will say why
            return None

    def run(self, on_event: Callable, cancel: threading.Event) -> TrainedNetwork:
        from core.fast import train as training

        photos, held_out = self._photos()
        transformer, result = training.train(
            self.painting, list(photos), list(held_out), self.config, self.checkpoint_dir,
            on_event=_forwarder(on_event, self.config.distil_steps), cancel=cancel,
            resume=not self.fresh)
        if result.stopped_early:
            return TrainedNetwork(self.name, result.steps, result.seconds, "cancel")
        model = self._save(transformer, result)
        return TrainedNetwork(self.name, result.steps, result.seconds, "steps", model,
                              NetworkFiles.read(model))

    def _photos(self):
        if self.photos_dir is None:
            return training_photos_once()
        from core.fast.photos import load_photos

        return load_photos(self.photos_dir)

    def _save(self, transformer, result) -> registry.StyleModel:
        """The network into ``registry.trained_dir()``; an upload's painting as a copy
        beside it (written first), a bundled one's not (styles/ has it)."""
        folder = registry.trained_dir()
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / f"{self.name}{registry.WEIGHTS_SUFFIX}"
        copy = registry.painting_copy(weights)
        if not self.bundled:
            images.save_png(images.resize_longest(self.painting, PAINTING_SIDE)
                            if max(self.painting.shape[:2]) > PAINTING_SIDE else self.painting,
                            copy)  # atomically
        credits = paintings.credits(self.painting_file, bundled=self.bundled, title=self.title,
                                    artist=self.artist, year=self.year, licence=self.licence)
        note = "trained in the app's Train page"
        manifest = registry.save_network(transformer, result, self.config, weights, credits,
                                         note=note)
        if self.bundled:  # an upload's copy, from a network trained under this name before
            copy.unlink(missing_ok=True)
        return registry.style_model(manifest)

    def describe(self) -> dict:
        return {"kind": self.kind, "network": self.name, "painting": self.painting_file,
                "photos": self.photos_dir or "bundled", "fresh": self.fresh,
                "config": self.config.to_dict()}


def _forwarder(on_event: Callable | None, distil_steps: int) -> Callable:
    """Training's events to ``on_event``, each preview as a ``PreviewSheet`` (its PNG read
    here, where the run is: a Ray worker's disk is not the page's; its blank margins cut)."""
    from core.fast.train import TrainPreview, TrainProgress

    elapsed = [0.0]

    def forward(event) -> None:
        if isinstance(event, TrainProgress):
            elapsed[0] = event.elapsed
        elif isinstance(event, TrainPreview):
            sheet = trimmed(images.load_image(event.path, what="training preview"))
            event = PreviewSheet(event.step, elapsed[0], images.encode_png(sheet),
                                 phase_stage(event.step, distil_steps))
        if on_event is not None:
            on_event(event)

    return forward


# A fine-tuning step's seconds at TrainConfig's defaults (the any-painting design, batch 2,
# 256 px crops, the five report layers of VGG16-HED in bfloat16) on the 2-core AMD EPYC of
# BENCHMARKS.md (issue 21: the bundled networks' 300 steps took 176-197 s with the sleeve
# term, 0.55-0.62 s a step, 2026-12-05); float32 costs FLOAT32_COST times as much.
BENCHMARK_FINE_TUNE_SECONDS = 0.58
BENCHMARK_WORK = 2 * 256 * 256  # batch x crop², the benchmark's
# BENCHMARKS.md, "Fast networks: the architecture's speed before training": a step with the
# float32 loss network took about 1.3 s against 0.85 s in bfloat16.
FLOAT32_COST = 1.3 / 0.85


def step_work(config: TrainConfig) -> float:
    """A step's work relative to the benchmark's (batch x crop², precision)."""
    cost = FLOAT32_COST if config.precision == "float32" else 1.0
    return config.batch * config.crop ** 2 / BENCHMARK_WORK * cost


def estimate_seconds(config: TrainConfig, steps_from: int = 0,
                     measured: tuple[float, TrainConfig] | None = None) -> float:
    """Seconds to train from step ``steps_from`` to ``config.steps``.

    ``measured``: (seconds per distillation step, the settings it was timed at), scaled to
    ``config``'s work; else the benchmark's fine-tuning step over ``FINE_TUNE_COST``.
    """
    from core.fast.train import FINE_TUNE_COST, remaining_work

    if measured is not None:
        pace, timed = measured
        per_step = pace * step_work(config) / step_work(timed)
    else:
        per_step = BENCHMARK_FINE_TUNE_SECONDS / FINE_TUNE_COST * step_work(config)
    return remaining_work(steps_from, config.steps, config.distil_steps) * per_step


def trimmed(sheet: np.ndarray, blank: int = 255) -> np.ndarray:
    """A preview sheet without its blank bottom rows and right-hand columns (the sheet is
    padded to two squares' height for portrait photos; landscape ones leave a white band)."""
    content = np.any(sheet != blank, axis=2)
    rows, columns = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    if not len(rows):
        return sheet
    return sheet[:rows[-1] + 1, :columns[-1] + 1]
