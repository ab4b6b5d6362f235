"""Every fast network's files: a weights file plus a JSON manifest holding its sha256.

The trained per-painting networks are ``styles/models/NAME.weights.h5`` plus ``NAME.json``
(which painting the network learned, how it was trained), and those a person trains in the
app (the Train page) are the same two files in ``trained_dir()``; Magenta's converted networks
(``core.fast.arbitrary``) live in ``styles/arbitrary/``. Both are read by one manifest reader
(``read_manifest``) and loaded by one loader (``load_verified``), which refuses a file whose
checksum differs (a truncated download, a Git LFS pointer, a file swapped by hand) with a
message that says so, instead of painting noise.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from core import paintings
from core.errors import UserError
from core.fast.network import build_transformer
from core.fast.settings import NetworkShape

MODELS_DIR = Path(__file__).resolve().parents[2] / "styles" / "models"
MODELS_DIR_ENV = "STYLE_STUDIO_MODELS_DIR"  # a folder of your own trained networks instead
# Networks trained in the app (and their checkpoints): not in the repository's styles/models.
TRAINED_DIR = Path(__file__).resolve().parents[2] / "runs" / "trained"
TRAINED_DIR_ENV = "STYLE_STUDIO_TRAINED_DIR"
WEIGHTS_SUFFIX = ".weights.h5"
PAINTING_SUFFIX = ".painting.png"  # a trained-here network's painting, beside its weights
NEEDS_WORDS = {"weights": "its weights' name", "sha256": "sha256"}  # of a manifest's fields


def painting_copy(weights: Path) -> Path:
    """Where a network trained here keeps a copy of its painting: NAME.painting.png beside
    NAME.weights.h5."""
    return weights.with_name(weights.name.removesuffix(WEIGHTS_SUFFIX) + PAINTING_SUFFIX)


def models_dir() -> Path:
    return Path(os.environ.get(MODELS_DIR_ENV) or MODELS_DIR)


def trained_dir() -> Path:
    """Where the Train page saves networks: ``$STYLE_STUDIO_TRAINED_DIR``, else runs/trained."""
    return Path(os.environ.get(TRAINED_DIR_ENV) or TRAINED_DIR)


class ModelError(UserError):
    """A style network that cannot be used: unknown name, missing or damaged file."""


# --------------------------------------------------------------------------- any network


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: Path, label: str, needs: Collection[str] = (),
                  how_to_make: str | None = None) -> dict:
    """The one manifest reader: the JSON object in ``path``, holding the fields ``needs``
    (of ``NEEDS_WORDS``), or ModelError "``label`` is unreadable / lacks ... / is missing".

    ``label`` names the file in messages ("style manifest udnie.json"); without
    ``how_to_make`` a missing file is unreadable like any other.
    """
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as error:
        if how_to_make is None:
            raise ModelError(f"{label} is unreadable: {error}") from None
        raise ModelError(f"{label} is missing ({how_to_make})") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"{label} is unreadable: {error}") from None
    if needs and (not isinstance(manifest, dict) or not set(needs) <= manifest.keys()):
        raise ModelError(f"{label} lacks " + " or ".join(NEEDS_WORDS[key] for key in needs))
    return manifest


def verified(weights: Path, sha256: str, what: str) -> Path:
    """``weights``, after checking it against its manifest's ``sha256`` (ModelError names
    ``what``, e.g. "style network udnie", when it is missing or differs)."""
    if not weights.is_file():
        raise ModelError(f"{what}: weights file {weights.name} is missing")
    actual = sha256_of(weights)
    if actual != sha256:
        raise ModelError(f"{what}: {weights.name} is damaged or was replaced (sha256 "
                         f"{actual[:12]}…, the manifest expects {sha256[:12]}…)")
    return weights


def keras_weights(network, path: Path) -> None:
    network.load_weights(path)


def load_verified(what: str, weights: Path, sha256: str, build: Callable[[], object],
                  read: Callable[[object, Path], None] = keras_weights):
    """The one loader of every fast network: the weights file checked against its sha256,
    then ``build()`` and ``read(network, weights)``; whatever goes wrong reading the file
    is a ModelError "``what``: weights do not load"."""
    verified(weights, sha256, what)
    network = build()
    try:
        read(network, weights)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise ModelError(f"{what}: weights do not load: {error}") from None
    return network


# --------------------------------------------------------------------------- trained networks


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
        return paintings.credit(self.display_name, self.artist, self.year)

    @property
    def painting_path(self) -> Path:
        """The painting it learned: the copy saved beside the weights (an uploaded
        painting's; ``PAINTING_SUFFIX``), else the bundled one in styles/. The copy comes
        first: an upload may share a bundled painting's file name."""
        copy = painting_copy(self.weights_path)
        return copy if copy.is_file() else MODELS_DIR.parent / self.painting

    @property
    def dither(self) -> float:
        """Grey levels of dither it was trained with, so paints with (``FastConfig.dither``):
        0 for a network trained before training dithered its crops."""
        return float(self.manifest.get("training", {}).get("dither", 0.0))

    @property
    def trained_here(self) -> bool:
        """Trained in the app (it lives in ``trained_dir()``), not bundled."""
        return self.weights_path.parent == trained_dir()

    @property
    def what(self) -> str:
        """How messages name it: "style network udnie"."""
        return f"style network {self.name}"


def style_model(path: Path) -> StyleModel:
    """A trained network's manifest ``NAME.json`` as a StyleModel (weights: NAME.weights.h5)."""
    label = f"style manifest {path.name}"
    manifest = read_manifest(path, label)
    try:
        name = path.name.removesuffix(".json")
        return StyleModel(
            name=name,
            display_name=manifest["display_name"],
            painting=manifest["painting"],
            artist=manifest["artist"],
            year=str(manifest["year"]),
            licence=manifest["licence"],
            network=NetworkShape.from_dict(manifest["network"]),
            sha256=manifest["sha256"],
            weights_path=path.with_name(name + WEIGHTS_SUFFIX),
            manifest=manifest,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ModelError(f"{label} is unreadable: {error}") from None


def bundled_models(folder: Path | None = None, problems: list[str] | None = None
                   ) -> list[StyleModel]:
    """Every model with a readable manifest in ``folder``; by default the bundled networks
    (``models_dir()``) and then those trained in the app (``trained_dir()``).

    An unreadable manifest is skipped (its message goes to ``problems`` when given), so one
    damaged file does not hide the other networks. A trained-here network named like a
    bundled one is left out: a name means one network.
    """
    folders = [models_dir(), trained_dir()] if folder is None else [folder]
    models: dict[str, StyleModel] = {}
    for place in dict.fromkeys(folders):
        found = []
        for path in sorted(place.glob("*.json")) if place.is_dir() else []:
            try:
                found.append(style_model(path))
            except ModelError as error:
                if problems is not None:
                    problems.append(str(error))
        for model in sorted(found, key=lambda model: model.display_name):
            models.setdefault(model.name, model)
    return list(models.values())


def find_model(name: str, folder: Path | None = None) -> StyleModel:
    models = bundled_models(folder)
    for model in models:
        if name in (model.name, model.display_name):
            return model
    known = ", ".join(model.name for model in models) or "none bundled"
    raise ModelError(f"no style network named {name!r} (available: {known})")


def verify(model: StyleModel) -> None:
    verified(model.weights_path, model.sha256, model.what)


def load_transformer(model: StyleModel, precision: str = "float32"):
    """The trained transformer, after checking the weights file against the manifest."""
    return load_verified(
        model.what, model.weights_path, model.sha256,
        lambda: build_transformer(model.network, precision, name=f"style_{model.name}"))


def save_network(transformer, result, config, weights: Path, credits: dict, *,
                 warm_start: str | None = None, note: str | None = None) -> Path:
    """The one place a finished training run becomes a network: ``weights``
    (``NAME.weights.h5``) and its manifest beside it, holding the painting's ``credits``
    (``core.paintings.credits``), how and where it was trained (``result``, a
    ``core.fast.train.TrainResult``, and ``config``), its lineage and its sha256. The CLI's
    ``train-fast`` and the Train page's job both save through here; returns the manifest.
    Both files are written under temporary names and moved into place, the weights first
    (``write_manifest``), so a reader never meets half a file."""
    import keras

    from core.machine import cpu_name

    temporary = _temporary(weights, WEIGHTS_SUFFIX)
    try:
        transformer.save_weights(temporary)
        seconds = round(result.seconds)
        return write_manifest(
            weights, weights_from=temporary, **credits, backbone=result.backbone.name,
            steps=result.steps, batch=config.batch, training_seconds=seconds,
            machine=f"{cpu_name()}, {os.cpu_count()} cores, keras {keras.__version__} "
                    f"({keras.backend.backend()} backend)",
            network=config.network.to_dict(), training=config.to_dict(),
            style_layer_balance=result.balance, **lineage(warm_start, result.steps, seconds),
            trained=time.strftime("%Y-%m-%d"), **({"note": note} if note else {}))
    finally:
        temporary.unlink(missing_ok=True)


def _temporary(path: Path, suffix: str = ".tmp") -> Path:
    """A hidden, unique name beside ``path`` (no reader lists it: not ``*.json``)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{suffix}")


def write_manifest(weights_path: Path, *, weights_from: Path | None = None, **fields) -> Path:
    """Write ``NAME.json`` beside ``NAME.weights.h5`` with its checksum; return its path.

    ``weights_from``: the weights, written under a temporary name in the same folder, moved
    to ``weights_path`` before the manifest (itself written to a temporary name) is moved
    into place: a reader sees the old files or the new ones, never half a manifest."""
    name = weights_path.name.removesuffix(WEIGHTS_SUFFIX)
    source = weights_from or weights_path
    manifest = {**fields, "weights": weights_path.name, "sha256": sha256_of(source)}
    path = weights_path.with_name(name + ".json")
    temporary = _temporary(path)
    try:
        temporary.write_text(json.dumps(manifest, indent=2) + "\n")
        if weights_from is not None:
            os.replace(weights_from, weights_path)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def install_network(weights_path: Path, weights: bytes, manifest: dict) -> Path:
    """A network's files from their contents (a Train job's result, made on another
    machine): the weights, then the manifest (its checksum recomputed), atomically."""
    temporary = _temporary(weights_path, WEIGHTS_SUFFIX)
    try:
        temporary.write_bytes(weights)
        fields = {key: value for key, value in manifest.items()
                  if key not in ("weights", "sha256")}
        return write_manifest(weights_path, weights_from=temporary, **fields)
    finally:
        temporary.unlink(missing_ok=True)


def lineage(warm_start: str | None, steps: int, seconds: int) -> dict:
    """Manifest fields for where the weights began: a network started from another one's
    weights carries that network's steps and time in its totals (when its manifest is there).
    """
    if warm_start is None:
        return {"warm_start": None}
    path = Path(warm_start)
    parent = path.with_name(path.name.removesuffix(".weights.h5") + ".json")
    try:
        prior = json.loads(parent.read_text())
    except (OSError, ValueError):
        return {"warm_start": path.name}
    prior_steps = int(prior.get("total_steps", prior.get("steps", 0)))
    prior_seconds = int(prior.get("total_training_seconds", prior.get("training_seconds", 0)))
    return {"warm_start": f"the {parent.stem} network ({prior_steps} steps)",
            "total_steps": steps + prior_steps, "total_training_seconds": seconds + prior_seconds}
