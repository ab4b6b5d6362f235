"""The settings of a fast style network and of its training: ``NetworkShape`` (width and
depth, in every manifest) and ``TrainConfig`` (every training setting, in every checkpoint).

Apart from the networks and the trainer (``core.fast.network``, ``core.fast.train``, which
import them from here), so that reading them (the CLI's ``--help``, a manifest) does not
import Keras and TensorFlow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass

from core.backbone import BACKBONES, PRECISIONS
from core.errors import SettingsError
from core.validate import require_choice, require_count, require_number

JOHNSON = "johnson"
ANY_PAINTING = "any-painting"
DESIGNS = (JOHNSON, ANY_PAINTING)
ANY_PAINTING_LAYERS = {"width": 8, "edge_kernel": 9, "residual_blocks": 5}


@dataclass(frozen=True)
class NetworkShape:
    """How wide and deep the transformer is, and its design; stored in every model's
    manifest."""

    # Johnson et al.'s design, as narrow as the any-painting network (8, 16, 32 channels)
    # with fewer residual blocks and 5x5 first and last convolutions: the networks of
    # issue 21's first recipe, distilled (TrainConfig), 0.57x the any-painting network's
    # time at 1080x720. Width 16 with 9x9 edges, the networks before, took 1.06-1.37x.
    # TrainConfig's default is the other design, ANY_PAINTING_SHAPE.
    width: int = 8  # channels of the first conv; the downsampling convs use 2x and 4x
    residual_blocks: int = 3
    edge_kernel: int = 5  # the first and the last convolution's kernel (Johnson et al.: 9)
    # JOHNSON: Johnson et al.'s layers (instance norm after every convolution, a linear
    # output), from random weights. ANY_PAINTING: the any-painting network's own layers (no
    # norm on the way down, a sigmoid out; ``core.fast.network``), which training starts
    # from that network's weights with the painting's style vector folded in: a copy of its
    # picture from the first step, minus the style predictor's time.
    design: str = JOHNSON

    def __post_init__(self):
        require_count("width", self.width, 4, 128)
        require_count("residual_blocks", self.residual_blocks, 1, 10)
        require_count("edge_kernel", self.edge_kernel, 1, 15)
        if self.edge_kernel % 2 == 0:
            raise SettingsError(f"edge_kernel must be odd (got {self.edge_kernel})")
        require_choice("design", self.design, DESIGNS)
        # all of that network's layers: without two of its five residual blocks (tried) its
        # picture was 70 grey levels (RMS) from the whole network's
        layers = {name: getattr(self, name) for name in ANY_PAINTING_LAYERS}
        if self.design == ANY_PAINTING and layers != ANY_PAINTING_LAYERS:
            wanted = ", ".join(f"{name} {value}" for name, value in ANY_PAINTING_LAYERS.items())
            got = ", ".join(f"{name} {value}" for name, value in layers.items())
            raise SettingsError(f"the {ANY_PAINTING} design has that network's layers: "
                                f"{wanted} (got {got})")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> NetworkShape:
        """From a manifest or checkpoint; those written before ``edge_kernel`` existed used 9,
        and before ``design``, Johnson et al.'s."""
        return cls(**{"edge_kernel": 9, "design": JOHNSON, **values})


# the any-painting network's layers, all five residual blocks
ANY_PAINTING_SHAPE = NetworkShape(**ANY_PAINTING_LAYERS, design=ANY_PAINTING)
# TrainConfig's fields that differ for Johnson et al.'s design, from random weights: the
# first recipe of issue 21 (its networks were bundled until 2026-12-05), without the terms
# each painting had of its own. ``TrainConfig.of_design`` applies them.
JOHNSON_RECIPE = {"network": NetworkShape(), "steps": 1300, "distil_steps": 1000,
                  "learning_rate": 2e-3, "glow_weight": 0.2, "teacher_weight": 0.0,
                  "sleeve_weight": 0.0}



MAX_STEPS = 1_000_000
BALANCED_REPORT_LAYERS = tuple((f"conv{block}_1", 1.0) for block in range(1, 6))
# The texture term's windows, per layer, in that layer's positions: 16 px of the picture at
# both (conv2_1's positions are 2 px apart), fine enough to see a bare band along an edge.
TEXTURE_WINDOWS = {"conv1_1": 16, "conv2_1": 8}


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run; stored in the checkpoint and the model's manifest."""

    # A network of the any-painting design (the default) starts as a copy of that network
    # with the painting's style vector folded in, and fine-tunes for ``steps`` on the
    # painting's Gram matrices and the terms below. Johnson et al.'s design starts from
    # random weights: its first ``distil_steps`` learn per pixel from the any-painting
    # network's pictures of the training crops (cheap: no loss network), the rest fine-tune
    # as above (the recipe of before: 1000 of 1300 steps, learning rate 2e-3). Distilled,
    # those networks stayed blurred and dull (a pixel error of 25-30 grey levels after 1000
    # steps, 27 after 3000: a small network's per-pixel average of a texture is flat), and a
    # second reviewer preferred the any-painting network's picture to four of the five
    # (BENCHMARKS.md, issue 21).
    steps: int = 300
    distil_steps: int = 0
    distil_batch: int = 4  # crops per distillation step (a step is cheap: no loss network)
    # Grey levels of noise on every (debanded) crop, as core.fast.apply.FastConfig.dither
    # paints with.
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
    # a network that starts as the any-painting network's copy needs a tenth of the rate
    # that trains one from random weights: at 2e-3 its picture went 36 grey levels (RMS)
    # from its teacher's in 15 steps; at 3e-4, 20-25 over 300 steps, most of it the halo
    learning_rate: float = 3e-4
    # Fine-tuning's Laplacian term against the photo (core.losses.laplacian_loss, pooled by
    # laplacian_pool): off, as it flattens paintings of broad shapes; the distilled networks
    # of Johnson et al.'s design took it against relief (the Wave's and The Scream's, 0.15;
    # pooled by 4 it left thin streaks in skies, finer than the pooling; BENCHMARKS.md).
    laplacian_weight: float = 0.0
    laplacian_pool: int = 4
    # Fine-tuning's glow term (core.edges.glow_loss): the square of how much lighter than
    # their surroundings the picture's bands along the photo's strong edges are, beyond the
    # photo's own. The any-painting network draws a light glow there; with the teacher term,
    # 1 narrowed what was left of it more than 0.2 did, on Udnie's network (BENCHMARKS.md,
    # issue 21). Udnie's, whose texture is coarse blots, would paint skies bare unless its
    # texture term holds them.
    glow_weight: float = 1.0
    # Fine-tuning's texture term (core.losses.texture_shortfall_loss): how far the picture's
    # texture falls short of the painting's where the photo is plain. Off by default; Udnie's
    # network takes 100, so that the glow term cannot bare its skies.
    texture_weight: float = 0.0
    # Fine-tuning's sleeve term (core.edges.sleeve_loss): how far the picture's strokes
    # within a few px of the photo's strong edges fall short of those around them. Above 0
    # the teacher term also lets go of that band: followed there, the teacher's picture
    # (its halos taken out as a colour, not the strokes they covered) taught a pale sleeve
    # of 10-18 px at 1080 px, bare of strokes, along towers and cables. With it, a blind
    # reviewer saw fewer artefacts on three bundled networks and as many on two; a comb or
    # dotted line of a few px along cables can come instead (BENCHMARKS.md, "Sleeves along
    # edges").
    sleeve_weight: float = 1000.0
    # Fine-tuning's teacher term (core.edges.teacher_loss: the any-painting network's
    # picture with its halos taken out, pixel by pixel). Without it the Gram losses drifted
    # to a cheap way of matching the painting's statistics: a bright and a dark line along
    # every edge, an embossed, metallic look, muted colours; followed with its halos, the
    # teacher taught them too (BENCHMARKS.md, issue 21). Its price: in flat skies the
    # teacher's blots follow the dither's noise, not the photo (bench/teacher_noise.py), so
    # a network being trained can hardly draw them where it did: a sky held to them alone
    # turned smooth.
    teacher_weight: float = 1.0
    # Fine-tuning's pattern term (core.losses.pattern_loss): how far the share of the
    # picture's fine detail in its strongest spatial frequencies rises above that of the
    # teacher's picture. The Gram losses reward a regular ripple or hatch in flat skies,
    # lit from one side ("hammered metal", an embossed look), which the teacher term only
    # holds back. Off by default: at 10000 it lowered that share on three of the five
    # bundled paintings, but a blind reviewer saw no fewer artefacts (BENCHMARKS.md, "A
    # regular pattern in flat areas"). Needs the teacher.
    pattern_weight: float = 0.0
    # The share of the painting, its calmest (core.losses.local_spread), whose Gram matrices
    # the photo's calm areas (skies, walls) are held to, the rest to the whole painting's
    # (core.losses.guided_style_loss), and the teacher term leaves them to it; 0: the whole
    # painting's everywhere. Held to the whole painting's, a plain sky gets the painting's
    # mean texture, and the cheapest that matches it is a lit ripple: classic optimisation
    # draws it too, with no network. Off by default, a per-painting choice: at 0.3 the
    # skies of the Wave, The Scream (at style weight 1000), Udnie and Composition VII lost
    # their lit ridges, and four of the five bundled networks use it; The Starry Night's
    # style loss, textured all over, rose to about the any-painting network's everywhere
    # (BENCHMARKS.md, "Calm areas like the painting's").
    calm_share: float = 0.0
    # Fine-tuning's banding term (core.losses.banding_loss): how much steeper the picture's
    # tone changes beneath its strokes than the photo's, where the photo is calm. Painted by
    # a network, a sky's gentle ramp from deep blue to pale became two tones meeting at a
    # seam that drips (the bridge photo's, under its cables; the any-painting network's
    # too); at 300, Udnie's and Composition VII's networks paint the ramp (their banding on
    # that photo 2.2 and 5.4 to 0.16 and 0.36). Off by default, a per-painting choice, and
    # meant with the calm guide, as both use it: without the guide the teacher term holds
    # calm skies to the any-painting network's picture, which has the seams (BENCHMARKS.md,
    # "Drips in skies").
    banding_weight: float = 0.0
    # How many of the any-painting design's first stages stay the copy of the any-painting
    # network it starts as: 0 none; 1 its three convolutions down; 1 + k those and its first
    # k residual blocks (1 + residual_blocks: all but the three up). Its blots in flat skies
    # follow the dither's noise through these layers, and fine-tuning them is what moves the
    # blots away and leaves a duller picture; frozen, they stay, and the halos still narrow
    # (BENCHMARKS.md, issue 21). Off by default: at 3, with style weight 2000 and rate 1e-3,
    # the five bundled paintings were no better pictures, and The Scream's sky streaked.
    frozen_depth: int = 0
    seed: int = 0
    backbone: str = "auto"
    pooling: str = "avg"
    precision: str = "bfloat16"  # the loss network's; the transformer stays float32
    network: NetworkShape = ANY_PAINTING_SHAPE
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
        taught = [name for name in ("teacher_weight", "pattern_weight") if getattr(self, name)]
        if taught and not self.learns_from_teacher:
            raise SettingsError(f"{' and '.join(taught)} need{'s' * (len(taught) == 1)} the "
                                "any-painting network's pictures: distil_steps above 0 or the "
                                f"{ANY_PAINTING} design (or {' and '.join(taught)} 0)")
        if self.distil_steps and self.network.design == ANY_PAINTING:
            raise SettingsError(f"the {ANY_PAINTING} design starts as that network: nothing "
                                "to distil (distil_steps 0)")
        require_count("frozen_depth", self.frozen_depth, 0, 1 + self.network.residual_blocks)
        if self.frozen_depth and self.network.design != ANY_PAINTING:
            raise SettingsError(f"frozen_depth keeps layers as the {ANY_PAINTING} network's "
                                f"copy: it needs that design (or frozen_depth 0)")
        require_count("checkpoint_every", self.checkpoint_every, 0, MAX_STEPS)
        require_count("preview_every", self.preview_every, 0, MAX_STEPS)
        for name in ("content_weight", "style_weight", "tv_weight", "laplacian_weight",
                     "glow_weight", "texture_weight", "sleeve_weight", "teacher_weight",
                     "pattern_weight", "calm_share", "banding_weight",
                     "learning_rate",
                     "dither"):
            require_number(name, getattr(self, name), allow_zero=True)
        if not 0 <= self.calm_share < 1:
            raise SettingsError(f"calm_share is a share of the painting: from 0 to below 1, "
                                f"not {self.calm_share}")
        require_choice("backbone", self.backbone, BACKBONES)
        require_choice("precision", self.precision, PRECISIONS)

    @classmethod
    def of_design(cls, design: str, **changes) -> TrainConfig:
        """The defaults of ``design`` (``JOHNSON_RECIPE`` for Johnson et al.'s; the class's
        own for the any-painting design), with ``changes``."""
        recipe = JOHNSON_RECIPE if require_choice("design", design, DESIGNS) == JOHNSON else {}
        return cls(**{**recipe, **changes})

    @property
    def learns_from_teacher(self) -> bool:
        """Whether the run paints each crop with the any-painting network too: to distil
        from, to start from (its design) and as fine-tuning's content target."""
        return self.distil_steps > 0 or self.network.design == ANY_PAINTING

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
        # no dither, no Laplacian, glow, texture, sleeve, teacher, pattern or banding term, no
        # calm guide, nothing frozen.
        values = {"distil_steps": 0, "dither": 0.0, "laplacian_weight": 0.0, "glow_weight": 0.0,
                  "texture_weight": 0.0, "sleeve_weight": 0.0, "teacher_weight": 0.0,
                  "pattern_weight": 0.0, "calm_share": 0.0, "banding_weight": 0.0,
                  "frozen_depth": 0, **values}
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
