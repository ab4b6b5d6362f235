"""The feed-forward style network of Johnson, Alahi & Fei-Fei (2016), in Keras 3.

Photo (RGB 0..255) in, painting (RGB 0..255) out, in one pass:

    KxK conv -> two stride-2 3x3 convs -> residual blocks -> two (nearest upsample, 3x3 conv)
    -> KxK conv -> linear RGB (clipped to 0..255 when saved)

with the refinements the field settled on after the paper: instance normalisation
(Ulyanov et al., 2016) instead of batch normalisation, reflection padding instead of zero
padding (no dark frame), and upsample-then-convolve instead of transposed convolutions (no
checkerboard, Odena et al., 2016). Fully convolutional: any input size; sizes that are not
multiples of 4 are padded by reflection and cropped back, so the output always has the
input's size.

A second design, the any-painting network's own layers (``NetworkShape.design``), is the
default for training: it starts from that network's weights (``core.fast.train``).

Only ``keras.ops`` and stock layers: the same network trains under TensorFlow or PyTorch.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from core.backbone import dtype_policy
from core.fast.settings import ANY_PAINTING, NetworkShape

PACKAGE = "style_studio"
DEFAULT_SHAPE = NetworkShape()  # frozen: one instance serves every default


@keras.saving.register_keras_serializable(package=PACKAGE)
class ReflectionPad(layers.Layer):
    """Pads height and width by mirroring the image (no dark border, unlike zeros)."""

    def __init__(self, pad: int, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        p = self.pad
        return ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda side: None if side is None else side + 2 * self.pad  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PadToMultiple(layers.Layer):
    """Reflect-pads bottom and right so that both sides are multiples of ``multiple``."""

    def __init__(self, multiple: int, **kwargs):
        super().__init__(**kwargs)
        self.multiple = multiple

    def call(self, x):
        shape = ops.shape(x)
        extra_h = (-shape[1]) % self.multiple
        extra_w = (-shape[2]) % self.multiple
        return ops.pad(x, ((0, 0), (0, extra_h), (0, extra_w), (0, 0)), mode="reflect")

    def compute_output_shape(self, shape):
        return (shape[0], None, None, shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package=PACKAGE)
class CropLike(layers.Layer):
    """Crops the first input to the height and width of the second."""

    def call(self, inputs):
        x, like = inputs
        shape = ops.shape(like)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, shapes):
        x, like = shapes
        return (x[0], like[1], like[2], x[3])


def _conv(x, filters, kernel, name, dtype, stride=1, relu=True, norm=True):
    x = ReflectionPad(kernel // 2, name=f"{name}_pad", dtype=dtype)(x)
    x = layers.Conv2D(filters, kernel, strides=stride, name=f"{name}_conv", dtype=dtype)(x)
    if norm:
        # groups=-1: one group per channel, which is instance normalisation. Its statistics
        # are computed in float32 whatever the compute dtype.
        x = layers.GroupNormalization(groups=-1, epsilon=1e-5, name=f"{name}_norm",
                                      dtype=dtype)(x)
    return layers.ReLU(name=f"{name}_relu", dtype=dtype)(x) if relu else x


def _residual(x, filters, name, dtype):
    y = _conv(x, filters, 3, f"{name}_a", dtype)
    y = _conv(y, filters, 3, f"{name}_b", dtype, relu=False)
    return layers.Add(name=f"{name}_add", dtype=dtype)([x, y])


def _upsample(x, filters, name, dtype):
    x = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_up", dtype=dtype)(x)
    return _conv(x, filters, 3, name, dtype)


def build_transformer(shape: NetworkShape = DEFAULT_SHAPE, precision: str = "float32",
                      name: str = "transformer"):
    """(B, H, W, 3) RGB 0..255 -> same shape, RGB 0..255, float32 in and out.

    ``precision="bfloat16"`` computes the inner layers in bfloat16 (variables stay float32,
    so the same weights file loads into either).
    """
    dtype = dtype_policy(precision)
    if shape.design == ANY_PAINTING:
        return _any_painting_form(shape, dtype, name)
    width = shape.width
    rgb = keras.Input((None, None, 3), name="photo")
    x = PadToMultiple(4, name="pad_to_4")(rgb)
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="to_unit", dtype=dtype)(x)
    x = _conv(x, width, shape.edge_kernel, "in", dtype)
    x = _conv(x, 2 * width, 3, "down1", dtype, stride=2)
    x = _conv(x, 4 * width, 3, "down2", dtype, stride=2)
    for index in range(shape.residual_blocks):
        x = _residual(x, 4 * width, f"res{index + 1}", dtype)
    x = _upsample(x, 2 * width, "up1", dtype)
    x = _upsample(x, width, "up2", dtype)
    x = ReflectionPad(shape.edge_kernel // 2, name="out_pad", dtype=dtype)(x)
    x = layers.Conv2D(3, shape.edge_kernel, name="out_conv", dtype=dtype)(x)
    # Linear output, clipped only when saved as 8-bit: a tanh here saturated in the photos'
    # dark regions early in training and left flat black blobs that never recovered.
    x = layers.Rescaling(127.5, offset=127.5, name="to_rgb", dtype="float32")(x)
    x = CropLike(name="crop_back")([x, rgb])
    return keras.Model(rgb, x, name=name)


def freeze_first_stages(transformer, depth: int) -> None:
    """Makes the first ``depth`` stages of an any-painting-design ``transformer`` untrainable
    (``TrainConfig.frozen_depth``): 1 its convolutions down, each further one a residual
    block."""
    stages = ("contract",) + tuple(f"res{index}_" for index in range(1, depth))
    for layer in transformer.layers:
        if depth and layer.name.startswith(stages):
            layer.trainable = False


def _any_painting_form(shape: NetworkShape, dtype, name: str):
    """The any-painting network's transformer (``core.fast.arbitrary.building``) for one
    painting: the same layers under the same names, each conditional instance norm a plain
    one whose scale and shift are weights (``core.fast.distil.start_from_teacher`` sets them
    to what that network computes from the painting's style vector); RGB 0..255 in and
    out, like the other design."""
    rgb = keras.Input((None, None, 3), name="photo")
    x = PadToMultiple(4, name="pad_to_4")(rgb)
    x = layers.Rescaling(1 / 255, name="to_unit", dtype=dtype)(x)  # it takes 0..1
    # on the way down its batch norm is folded into the convolutions' biases
    x = _conv(x, 8, 9, "contract1", dtype, norm=False)
    x = _conv(x, 16, 3, "contract2", dtype, stride=2, norm=False)
    x = _conv(x, 32, 3, "contract3", dtype, stride=2, norm=False)
    for index in range(1, shape.residual_blocks + 1):
        y = _conv(x, 32, 3, f"res{index}_conv1", dtype)
        y = _conv(y, 32, 3, f"res{index}_conv2", dtype, relu=False)
        x = layers.Add(name=f"res{index}_add", dtype=dtype)([x, y])
    x = _upsample(x, 16, "expand1", dtype)
    x = _upsample(x, 8, "expand2", dtype)
    x = _conv(x, 3, 9, "expand3", dtype, relu=False)
    x = layers.Activation("sigmoid", name="sigmoid", dtype="float32")(x)
    x = layers.Rescaling(255.0, name="to_rgb", dtype="float32")(x)
    return keras.Model(rgb, CropLike(name="crop_back")([x, rgb]), name=name)
