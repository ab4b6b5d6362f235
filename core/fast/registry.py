"""Bundled style networks: ``styles/models/NAME.weights.h5`` plus ``NAME.json`` (manifest).

The manifest says which painting the network learned, how it was trained, and the sha256 of
the weights file; loading refuses a file whose checksum differs (a truncated download, a Git
LFS pointer, a file swapped by hand) with a message that says so, instead of painting noise.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from core.fast.network import NetworkShape, build_transformer

MODELS_DIR = Path(__file__).resolve().parents[2] / "styles" / "models"
MODELS_DIR_ENV = "STYLE_STUDIO_MODELS_DIR"  # a folder of your own trained networks instead
WEIGHTS_SUFFIX = ".weights.h5"


def models_dir() -> Path:
    return Path(os.environ.get(MODELS_DIR_ENV) or MODELS_DIR)


class ModelError(ValueError):
    """A style network that cannot be used: unknown name, missing or damaged file."""


@dataclass(frozen=True)
class StyleModel:
    name: str  # file stem: styles/models/<name>.weights.h5
    display_name: str
    painting: str  # file name of the painting in styles/
    artist: str
    year: str
    licence: str
    network: NetworkShape
    sha256: str
    weights_path: Path
    manifest: dict

    @property
    def label(self) -> str:
        return f"{self.display_name} — {self.artist}, {self.year}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: Path) -> StyleModel:
    try:
        manifest = json.loads(path.read_text())
        name = path.name.removesuffix(".json")
        return StyleModel(
            name=name,
            display_name=manifest["display_name"],
            painting=manifest["painting"],
            artist=manifest["artist"],
            year=str(manifest["year"]),
            licence=manifest["licence"],
            network=NetworkShape(**manifest["network"]),
            sha256=manifest["sha256"],
            weights_path=path.with_name(name + WEIGHTS_SUFFIX),
            manifest=manifest,
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"style manifest {path.name} is unreadable: {error}") from None


def bundled_models(folder: Path | None = None, problems: list[str] | None = None
                   ) -> list[StyleModel]:
    """Every model with a readable manifest in ``folder`` (default ``models_dir()``).

    An unreadable manifest is skipped (its message goes to ``problems`` when given), so one
    damaged file does not hide the other networks.
    """
    folder = models_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    models = []
    for path in sorted(folder.glob("*.json")):
        try:
            models.append(read_manifest(path))
        except ModelError as error:
            if problems is not None:
                problems.append(str(error))
    return sorted(models, key=lambda model: model.display_name)


def find_model(name: str, folder: Path | None = None) -> StyleModel:
    models = bundled_models(folder)
    for model in models:
        if name in (model.name, model.display_name):
            return model
    known = ", ".join(model.name for model in models) or "none bundled"
    raise ModelError(f"no style network named {name!r} (available: {known})")


def verify(model: StyleModel) -> None:
    if not model.weights_path.is_file():
        raise ModelError(f"style network {model.name}: weights file "
                         f"{model.weights_path.name} is missing")
    actual = sha256_of(model.weights_path)
    if actual != model.sha256:
        raise ModelError(
            f"style network {model.name}: {model.weights_path.name} is damaged or was replaced "
            f"(sha256 {actual[:12]}…, the manifest expects {model.sha256[:12]}…)")


def load_transformer(model: StyleModel, precision: str = "float32"):
    """The trained transformer, after checking the weights file against the manifest."""
    verify(model)
    transformer = build_transformer(model.network, precision, name=f"style_{model.name}")
    try:
        transformer.load_weights(model.weights_path)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise ModelError(f"style network {model.name}: weights do not load: {error}") from None
    return transformer


def write_manifest(weights_path: Path, **fields) -> Path:
    """Write ``NAME.json`` beside ``NAME.weights.h5`` with its checksum; return its path."""
    name = weights_path.name.removesuffix(WEIGHTS_SUFFIX)
    manifest = {**fields, "weights": weights_path.name, "sha256": sha256_of(weights_path)}
    path = weights_path.with_name(name + ".json")
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
