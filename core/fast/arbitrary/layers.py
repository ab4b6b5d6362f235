"""The layers of Magenta's networks that Keras lacks: conditional instance normalisation
(Dumoulin et al., 2017) in the order of operations of the TFLite graph, and the rounding of
activations to int8 levels where that graph rounds (``emulate_quantization``)."""

from __future__ import annotations

from collections.abc import Mapping

import keras
from keras import layers, ops

from core.backbone import dtype_policy
from core.errors import SettingsError
from core.fast.arbitrary.config import EPSILON
from core.fast.network import PACKAGE
from core.fast.registry import ModelError


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


class Rounding:
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


def compute_dtype(precision: str, quantization) -> str:
    """The studio's precision policy (``core.backbone.dtype_policy``), which the int8
    rounding's emulation allows only in float32."""
    policy = dtype_policy(precision)
    if quantization is not None and precision != "float32":
        raise SettingsError("emulate_quantization needs precision float32")
    return policy


