"""The three networks, layer by layer: the MobileNetV2 style predictor (Ghiasi et al., 2017),
the arbitrary-style transformer and the 26-style transformer (Dumoulin et al., 2017).
Builders only: ``core.fast.arbitrary.loading`` fills them with the converted weights."""

from __future__ import annotations

from collections.abc import Mapping

import keras
from keras import layers

from core.fast.arbitrary.config import (
    MOBILENET_V2_BLOCKS,
    MULTISTYLE,
    MULTISTYLE_COUNT,
    PREDICTOR,
    TRANSFORMER,
    VECTOR_SIZE,
)
from core.fast.arbitrary.layers import ConditionalInstanceNorm, Rounding, compute_dtype
from core.fast.network import CropLike, PadToMultiple, ReflectionPad


def build_style_predictor(precision: str = "float32", quantization: Mapping | None = None,
                          name: str = PREDICTOR):
    """Painting (B, H, W, 3) RGB 0..1 -> style vector (B, 100); H = W = 256 as trained.

    MobileNetV2 (width 1.0) up to its 1280-channel layer, global average pooling, and one
    dense layer (Magenta's "mobilenet_conv" 1x1 convolution) to the 100 numbers. The
    [-1, 1] input scaling of MobileNet is folded into the first convolution's weights in the
    quantised graph, so the input is 0..1 here too.
    """
    dtype = compute_dtype(precision, quantization)
    rounding = Rounding(quantization)
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
    dtype = compute_dtype(precision, quantization)
    rounding = Rounding(quantization)
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
    dtype = compute_dtype(precision, None)
    rounding = Rounding(None)
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
