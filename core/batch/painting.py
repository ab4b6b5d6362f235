"""One photo of a batch as a job (``PaintTask``), and the networks a worker keeps loaded.

A task carries the photo file's raw bytes, decoded where it is painted, so a Ray worker
fetches the file, not a decoded array four times its size; its result is the PNG, ready to
write. A worker process loads each network once and keeps it (``loaded``), and computes a
recipe's style vector once (``recipe_vector``): its second to last photos only paint.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from core import images
from core.batch.recipe import BatchRecipe

VECTORS_KEPT = 32  # recipes whose style vector a worker remembers

_lock = threading.Lock()
_networks: dict[tuple, object] = {}
_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
loads: Counter = Counter()  # network key -> times loaded in this process (1 each, ideally)


@dataclass(frozen=True)
class PaintResult:
    """One painted photo: the PNG and what it took."""

    png: bytes = field(repr=False)
    width: int
    height: int
    seconds: float  # decoding, painting and encoding (and loading, for a worker's first)
    stopped_by: str = "done"  # classic: its run's reason ("iterations", "time", ...)

    def summary(self) -> dict:
        return {"size": [self.width, self.height], "seconds": round(self.seconds, 3),
                "stopped_by": self.stopped_by}


@dataclass(frozen=True, eq=False)
class PaintTask:
    """Paint one photo of a batch; ``name`` is its path relative to the batch's input."""

    kind: ClassVar[str] = "item"
    recipe: BatchRecipe
    data: bytes = field(repr=False)  # the photo file, as read from disk
    name: str = "photo"

    def run(self, on_event: Callable, cancel: threading.Event) -> PaintResult:
        started = time.perf_counter()
        if cancel.is_set():
            return PaintResult(b"", 0, 0, 0.0, stopped_by="cancel")
        photo = images.decode_image(self.data, what=f"photo {self.name}").pixels
        ran_on = []  # the classic run's loss network, for the picture's recipe

        def watch(event):
            if hasattr(event, "backbone"):  # core.classic.Started
                ran_on.append(event.backbone.name)
            if on_event is not None:
                on_event(event)

        painted, stopped_by = paint(self.recipe, photo, watch, cancel)
        height, width = painted.shape[:2]
        png = self.recipe.picture_recipe(ran_on[0] if ran_on else None).png(painted)
        return PaintResult(png, width, height, time.perf_counter() - started, stopped_by)

    def describe(self) -> dict:
        return {"kind": self.kind, "photo": self.name, **self.recipe.describe()}

    @property
    def classic_config(self):
        """The classic run's settings when the batch paints by optimisation (its progress
        and ETA read them), else None."""
        return self.recipe.config if self.recipe.method == "classic" else None


def paint(recipe: BatchRecipe, photo: np.ndarray, on_event: Callable | None = None,
          cancel: threading.Event | None = None) -> tuple[np.ndarray, str]:
    """``photo`` (uint8 RGB) painted by ``recipe``, and why it stopped ("done" for the
    one-pass methods)."""
    config = recipe.config
    if recipe.method == "classic":
        from core.classic import stylize

        result = stylize(photo, recipe.paintings, config, style_blend=recipe.mix,
                         on_event=on_event, cancel=cancel)
        return result.image, result.stopped_by
    if recipe.method == "trained":
        from core.fast.apply import paint as paint_trained
        from core.fast.registry import find_model

        network = loaded(("trained", recipe.style, config.precision))
        config = dataclasses.replace(config, dither=find_model(recipe.style).dither)
        return paint_trained(network, photo, config).image, "done"
    from core.fast import arbitrary

    if recipe.method == "multistyle":
        network = loaded((arbitrary.MULTISTYLE, config.precision))
        weights = arbitrary.multistyle_weights(arbitrary.multistyle_choices(recipe.multistyle))
        return arbitrary.paint_with_styles(network, photo, weights, config).image, "done"
    predictor = loaded((arbitrary.PREDICTOR,))
    transformer = loaded((arbitrary.TRANSFORMER, config.precision, config.emulate_quantization))
    # As core.fast.arbitrary.paint_with_paintings, with the paintings' style vector
    # computed once per recipe (recipe_vector), not once per photo.
    vector = recipe_vector(recipe, predictor)
    return arbitrary.paint_with_vector(predictor, transformer, photo, vector, config).image, "done"


def recipe_vector(recipe: BatchRecipe, predictor) -> np.ndarray:
    """The recipe's paintings' blended style vector, computed once per recipe key."""
    from core.fast import arbitrary

    key = recipe.key()
    with _lock:
        if key in _vectors:
            _vectors.move_to_end(key)
            return _vectors[key]
    vector = arbitrary.blend_vectors(
        [arbitrary.style_vector(predictor, painting, recipe.config.style_size)
         for painting in recipe.paintings], recipe.mix)
    with _lock:
        _vectors[key] = vector
        while len(_vectors) > VECTORS_KEPT:
            _vectors.popitem(last=False)
    return vector


def loaded(key: tuple):
    """The network ``key`` names, loaded (checksum-verified) and traced once per process:
    ``("trained", name, precision)``, ``(PREDICTOR,)``, ``(TRANSFORMER, precision,
    emulate_quantization)`` or ``(MULTISTYLE, precision)``. Loading holds a lock, so two
    threads wanting the same network load it once."""
    with _lock:
        if key not in _networks:
            _networks[key] = _load(key)
            loads[key] += 1
        return _networks[key]


def _load(key: tuple):
    from core.fast import arbitrary
    from core.fast.apply import compiled
    from core.fast.registry import find_model, load_transformer

    kind, *options = key
    if kind == "trained":
        name, precision = options
        return compiled(load_transformer(find_model(name), precision))
    if kind == arbitrary.PREDICTOR:
        return compiled(arbitrary.load_style_predictor())
    if kind == arbitrary.TRANSFORMER:
        return compiled(arbitrary.load_arbitrary_transformer(*options))
    if kind == arbitrary.MULTISTYLE:
        return compiled(arbitrary.load_multistyle_transformer(*options))
    raise ValueError(f"no network {key!r}")
