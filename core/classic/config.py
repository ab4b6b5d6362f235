"""Every setting of a classic run (``ClassicConfig``), its presets, and how they are checked.

``PRESETS`` names two configurations:

* ``report`` is the course report's recipe exactly (``shared/docs/seed-recipe.md``): conv4_2
  content, five style layers weighted 0.5/1/1.5/3/4, 5 x content + 100 x style, average
  pooling, 0.7 noise init, Adam at learning rate 2 for 1000 iterations, both images at the
  output size, no bounds on the pixels.
* ``recommended`` is the best quality per second measured on a 2-core CPU (BENCHMARKS.md).

A setting out of range raises ``core.errors.SettingsError`` naming it and what is allowed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from core.backbone import BACKBONES, POOLINGS, PRECISIONS
from core.errors import SettingsError
from core.machine import default_precision
from core.validate import require_choice, require_count, require_number, validate_size

OPTIMIZERS = ("lbfgs", "adam")
# "fast": the any-painting network's picture of the same painting(s), blended as the run
# blends them (core.classic.starts.fast_start); issue 19 measured it against "content".
INITS = ("content", "fast", "noise", "report-noise", "style", "image")
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


@dataclass(frozen=True)
class ClassicConfig:
    """Every setting of a classic run; the defaults are the ``recommended`` preset."""

    size: int = 512  # longest side of the output, px; the content's aspect ratio is kept
    content_layer: str = "conv4_2"
    style_layers: tuple[tuple[str, float], ...] = REPORT_STYLE_LAYERS  # (layer, weight)
    content_weight: float = 5.0  # the report's BETA
    style_weight: float = 100.0  # the report's ALPHA
    tv_weight: float = 0.05  # total variation, against single-pixel noise
    init: str = "fast"  # one of INITS; "image" needs an init image
    optimizer: str = "lbfgs"  # one of OPTIMIZERS; L-BFGS keeps pixels inside 0..255
    learning_rate: float = 2.0  # Adam only
    iterations: int | None = 60  # at the (first) scale; None: run until max_seconds
    max_seconds: float | None = None  # time budget; None: run all iterations
    snapshot_every: int = 10  # iterations between snapshots, from the start (0); 0: none
    seed: int = 0  # noise init
    backbone: str = "auto"  # one of BACKBONES
    pooling: str = "avg"  # the report replaces VGG's max pooling by average pooling
    # Network compute; Grams, losses and the optimiser stay float32. bfloat16 only where the
    # CPU has it: emulated, it is about 10x slower than float32 (core.machine).
    precision: str = field(default_factory=default_precision)
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
        require_choice("optimizer", self.optimizer, OPTIMIZERS)
        require_choice("init", self.init, INITS)
        require_choice("backbone", self.backbone, BACKBONES)
        require_choice("pooling", self.pooling, POOLINGS)
        require_choice("precision", self.precision, PRECISIONS)
        # "1080" from a settings file becomes 1080 (kept as text it crashed the page later)
        object.__setattr__(self, "size", validate_size(self.size))
        for name in ("content_weight", "style_weight", "tv_weight"):
            require_number(name, getattr(self, name), allow_zero=True)
        if self.content_weight + self.style_weight == 0:
            raise SettingsError("content_weight and style_weight cannot both be zero")
        require_number("learning_rate", self.learning_rate)
        if not self.style_layers:
            raise SettingsError("style_layers cannot be empty")
        for layer, weight in self.style_layers:
            require_number(f"style layer {layer} weight", weight, allow_zero=True)
        if self.iterations is None and self.max_seconds is None:
            raise SettingsError("give iterations, max_seconds, or both")
        if self.iterations is not None:
            require_count("iterations", self.iterations, 1, MAX_ITERATIONS)
        if self.max_seconds is not None:
            require_number("max_seconds", self.max_seconds)
        require_count("snapshot_every", self.snapshot_every, 0, MAX_ITERATIONS)
        require_count("seed", self.seed, 0, 2**32 - 1)
        if self.base_size is not None:
            object.__setattr__(self, "base_size", validate_size(self.base_size, what="base_size"))
        require_count("refine_iterations", self.refine_iterations, 1, MAX_ITERATIONS)
        if self.style_scale is not None:
            require_number("style_scale", self.style_scale)
            if not 0.1 <= self.style_scale <= 4:
                raise SettingsError(
                    f"style_scale must be between 0.1 and 4 (got {self.style_scale})")

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
            raise SettingsError(f"unknown classic settings: {', '.join(unknown)}")
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
        raise SettingsError(f"preset must be one of {', '.join(PRESETS)} (got {name!r})")
    given = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(PRESETS[name], **given)
