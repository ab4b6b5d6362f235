"""The settings of a fast style network and of its training: ``NetworkShape`` (width and
depth, in every manifest) and ``TrainConfig`` (every training setting, in every checkpoint).

Apart from the networks and the trainer (``core.fast.network``, ``core.fast.train``, which
import them from here), so that reading them (the CLI's ``--help``, a manifest) does not
import Keras and TensorFlow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field

from core.backbone import BACKBONES, PRECISIONS
from core.errors import SettingsError
from core.validate import require_choice, require_count, require_number


@dataclass(frozen=True)
class NetworkShape:
    """How wide and deep the transformer is; stored in every model's manifest."""

    # The any-painting network's widths (8, 16, 32) with fewer residual blocks and 5x5
    # first and last convolutions: it knows one painting, so it can be smaller, and at
    # 1080x720 it paints in 0.17 s against the any-painting network's 0.20 s (BENCHMARKS.md).
    # Width 16 with 9x9 edges, the networks before issue 21, took 0.44 s.
    width: int = 8  # channels of the first conv; the downsampling convs use 2x and 4x
    residual_blocks: int = 3
    edge_kernel: int = 5  # the first and the last convolution's kernel (Johnson et al.: 9)

    def __post_init__(self):
        require_count("width", self.width, 4, 128)
        require_count("residual_blocks", self.residual_blocks, 1, 10)
        require_count("edge_kernel", self.edge_kernel, 1, 15)
        if self.edge_kernel % 2 == 0:
            raise SettingsError(f"edge_kernel must be odd (got {self.edge_kernel})")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> NetworkShape:
        """From a manifest or checkpoint; those written before ``edge_kernel`` existed used 9."""
        return cls(**{"edge_kernel": 9, **values})



MAX_STEPS = 1_000_000
BALANCED_REPORT_LAYERS = tuple((f"conv{block}_1", 1.0) for block in range(1, 6))
# The texture term's windows, per layer, in that layer's positions: 16 px of the picture at
# both (conv2_1's positions are 2 px apart), fine enough to see a bare band along an edge.
TEXTURE_WINDOWS = {"conv1_1": 16, "conv2_1": 8}


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run; stored in the checkpoint and the model's manifest."""

    # Steps are counted over both phases: the first ``distil_steps`` learn per pixel from
    # the any-painting network's pictures of the training crops (cheap: no loss network),
    # the rest fine-tune on the painting's Gram matrices (see core.fast.train). Measured on
    # The Starry Night (BENCHMARKS.md, issue 21): distillation alone left the report's style
    # loss at 3.6x the any-painting network's (the per-pixel average of a texture is flat
    # and dull); with these 300 fine-tuning steps it is 1.37x at style_size 384, and 0.22x
    # at 1080 (median over five held-out photos at 1080 px).
    steps: int = 1300
    distil_steps: int = 1000
    distil_batch: int = 4  # crops per distillation step (a step is cheap: no loss network)
    # Grey levels of noise on every crop, as core.fast.apply.FastConfig.dither paints with.
    dither: float = 2.0
    batch: int = 2
    crop: int = 256  # px, square training crops
    # px, the painting's longest side as the loss network sees it: the size at which the
    # network learns the painting's brush marks. Paintings of fine strokes want about the
    # size the network will paint (The Starry Night, The Great Wave: 1080, their style loss
    # at 1080 px on the worst photo went from 1.69x and 1.32x the any-painting network's to
    # 0.35x and 0.24x); broad, smooth ones came out blurred or flat at 1080 and keep 384 (The
    # Scream, Udnie, Composition VII; BENCHMARKS.md, issue 21). The Gram targets are
    # computed once: a step costs the same at either size.
    style_size: int = 384
    # Fine-tuning's content target is the any-painting network's picture (relu2_2, as
    # Johnson et al.); its style layers the report's five, equally weighted once balanced.
    # Johnson et al.'s four (conv1_2 .. conv4_3) left conv1_1 and conv2_1, which carry
    # colour and fine texture and most of the report's style loss, 15x above the
    # teacher's, and at style weight 100 washed the picture out.
    content_layer: str = "conv2_2"
    style_layers: tuple[tuple[str, float], ...] = BALANCED_REPORT_LAYERS
    # Each style layer's loss is divided by its value for plain photos (``layer_balance``), so
    # style_weight is "how many times the photos' own distance from the painting". Unbalanced,
    # conv1_2 outweighed conv4_3 by 10^5 and the network learned colour speckle, not strokes.
    # TV 0.1 blurred the strokes away; a learning rate of 5e-3 diverged.
    content_weight: float = 1.5
    style_weight: float = 500.0
    tv_weight: float = 0.02
    learning_rate: float = 2e-3
    # Fine-tuning's Laplacian term against the photo (core.losses.laplacian_loss, pooled by
    # laplacian_pool): off by default, as it flattens paintings of broad shapes; the Wave's
    # and The Scream's networks take 0.15 against relief, The Scream's pooled by 2, as by 4
    # it left thin streaks in skies, finer than the pooling (BENCHMARKS.md).
    laplacian_weight: float = 0.0
    laplacian_pool: int = 4
    # Fine-tuning's glow term (core.losses.glow_loss): the square of how much lighter than
    # their surroundings the picture's bands along the photo's strong edges are, beyond the
    # photo's own. The any-painting network, and so every network distilled from it, draws a
    # light glow there; at 0.2 it went from three of the five bundled networks' pictures
    # (Composition VII's teacher term brought soft bands back) and narrowed to a rim on
    # Udnie's and The Scream's. Udnie's, whose texture is coarse blots, painted skies flat
    # at 0.2 unless its texture term holds them (BENCHMARKS.md, issue 21).
    glow_weight: float = 0.2
    # Fine-tuning's texture term (core.losses.texture_shortfall_loss): how far the picture's
    # texture falls short of the painting's where the photo is plain. Off by default; Udnie's
    # network takes 100, so that the glow term cannot bare its skies.
    texture_weight: float = 0.0
    # Fine-tuning's teacher term (core.losses.teacher_loss: the any-painting network's
    # picture, pixel by pixel, as distillation measures, but for the band along strong edges
    # where it draws its halos; no teacher, no term). Without it Composition VII's network
    # drifted to a cheap way of matching the painting's statistics, a bright and a dark line
    # along every edge: an embossed, metallic look. At 1 it keeps the teacher's clean,
    # many-coloured strokes, with a lower style loss, not a higher one, but soft bands along
    # edges; The Scream's takes 0.3 (crisper, no neon lines along cables, wider halos). Off by
    # default: on Udnie's and The Starry Night's networks, and The Scream's at 1, the
    # teacher's broad halos came back, inside the band too (BENCHMARKS.md, issue 21).
    teacher_weight: float = 0.0
    seed: int = 0
    backbone: str = "auto"
    pooling: str = "avg"
    precision: str = "bfloat16"  # the loss network's; the transformer stays float32
    network: NetworkShape = field(default_factory=NetworkShape)
    checkpoint_every: int = 100
    preview_every: int = 200

    def __post_init__(self):
        require_count("steps", self.steps, 1, MAX_STEPS)
        require_count("batch", self.batch, 1, 64)
        require_count("distil_batch", self.distil_batch, 1, 64)
        require_count("crop", self.crop, 32, 1024)
        require_count("style_size", self.style_size, 32, 2048)
        require_count("laplacian_pool", self.laplacian_pool, 1, 16)
        if self.crop // self.laplacian_pool < 3:  # the Laplacian needs 3x3 pooled pixels
            raise SettingsError(f"laplacian_pool {self.laplacian_pool} is too coarse for "
                                f"crop {self.crop}: at most crop / 3 ({self.crop // 3})")
        require_count("distil_steps", self.distil_steps, 0, self.steps)
        if self.teacher_weight and not self.distil_steps:
            raise SettingsError("teacher_weight needs distil_steps above 0: without "
                                "distillation there is no teacher's picture to follow")
        require_count("checkpoint_every", self.checkpoint_every, 0, MAX_STEPS)
        require_count("preview_every", self.preview_every, 0, MAX_STEPS)
        for name in ("content_weight", "style_weight", "tv_weight", "laplacian_weight",
                     "glow_weight", "texture_weight", "teacher_weight", "learning_rate",
                     "dither"):
            require_number(name, getattr(self, name), allow_zero=True)
        require_choice("backbone", self.backbone, BACKBONES)
        require_choice("precision", self.precision, PRECISIONS)

    @property
    def loss_layers(self) -> tuple[str, ...]:
        texture = tuple(TEXTURE_WINDOWS) if self.texture_weight else ()
        return tuple(dict.fromkeys((self.content_layer, *(n for n, _ in self.style_layers),
                                    *texture)))

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        values["style_layers"] = [list(pair) for pair in self.style_layers]
        return values

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        # Settings written before a field existed meant its old behaviour: no distillation,
        # no dither, no Laplacian, glow, texture or teacher term.
        values = {"distil_steps": 0, "dither": 0.0, "laplacian_weight": 0.0, "glow_weight": 0.0,
                  "texture_weight": 0.0, "teacher_weight": 0.0, **values}
        values["style_layers"] = tuple(tuple(pair) for pair in values["style_layers"])
        values["network"] = NetworkShape.from_dict(values["network"])
        return cls(**values)

    def resumable(self) -> TrainConfig:
        """Without what a resumed run may change (the steps, how often to save or preview)."""
        return dataclasses.replace(self, steps=MAX_STEPS, checkpoint_every=1, preview_every=1)

    def training_differences(self, other: TrainConfig) -> list[str]:
        """The settings, by name, in which a resumed run of ``other`` would differ (all but
        the number of steps and how often to save)."""
        mine, theirs = self.resumable().to_dict(), other.resumable().to_dict()
        return [name for name in mine if mine[name] != theirs[name]]

    def same_training(self, other: TrainConfig) -> bool:
        """Equal in everything but the number of steps and how often to save: resumable."""
        return not self.training_differences(other)
