"""Every picture carries its recipe: a PNG text chunk ``style-studio`` holding JSON.

What goes in: the method, the paintings' names and sha256, the method's settings (its config
dataclass, seed included), the blend, the trained network or the 26-style mix, the loss
network that ran, and the studio's version. The app's downloads, the CLI and the batch write
it (``PictureRecipe.png``); a PNG dropped on the classic or fast page, or ``--recipe
FILE.png`` on the CLI, sets the same run up again (``read``, ``PictureRecipe.config``).
Diffusion tools keep their workflow in the PNG the same way (ComfyUI).

A painting's sha256 is that of its decoded pixels (``painting_sha256``): the same painting
read from the same file anywhere gives the same hash. A bundled painting is found by it
(``PaintingRef.bundled_file``); any other must be given again, and is checked against it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

import core
from core import export, images
from core.errors import UserError

CHUNK = "style-studio"  # the PNG text chunk's keyword
FORMAT = 1  # of the JSON; a newer one is refused with a one-line message
METHODS = ("classic", "arbitrary", "multistyle", "trained")
STYLES_DIR = Path(__file__).resolve().parents[1] / "styles"


def painting_sha256(pixels: np.ndarray) -> str:
    """sha256 of a decoded painting: its shape, then its uint8 RGB bytes."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    digest = hashlib.sha256(f"{pixels.shape[0]}x{pixels.shape[1]}:".encode())
    digest.update(pixels.tobytes())
    return digest.hexdigest()


@functools.cache
def bundled_sha256() -> dict[str, Path]:
    """sha256 -> file, for every painting in styles/ (decoded once per process)."""
    files = sorted(path for path in STYLES_DIR.iterdir()
                   if path.suffix.lower() in images.UPLOAD_SUFFIXES)
    return {painting_sha256(images.load_image(path)): path for path in files}


@dataclass(frozen=True)
class PaintingRef:
    name: str  # "styles/starry_night.jpg", "upload: my.png", a file path
    sha256: str

    @property
    def bundled_file(self) -> Path | None:
        """The bundled painting with these pixels, if there is one."""
        return bundled_sha256().get(self.sha256)


def painting_refs(names: Sequence[str], paintings: Sequence[np.ndarray]) -> tuple:
    return tuple(PaintingRef(str(name), painting_sha256(pixels))
                 for name, pixels in zip(names, paintings, strict=True))


def plain_settings(config) -> dict:
    """A config dataclass as the JSON in a PNG gives it back (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


@dataclass(frozen=True)
class PictureRecipe:
    """How one picture was made, enough to make it again."""

    method: str  # one of METHODS
    settings: dict  # the method's config, as dataclasses.asdict gives it
    paintings: tuple[PaintingRef, ...] = ()  # classic, arbitrary
    mix: tuple[float, ...] | None = None  # a weight per painting; None: equal
    style: str | None = None  # trained: the network's name
    multistyle: str | None = None  # multistyle: "3:0.5,12:0.5"
    backbone: str | None = None  # classic: the loss network that ran ("vgg16-hed")
    version: str = core.__version__
    # one mask per painting (or per 26-style index, or the trained network's one), as
    # ``core.regions.encode`` writes them; None: the whole picture
    regions: tuple[str, ...] | None = None

    @property
    def masks(self) -> list[np.ndarray] | None:
        """The regions' masks, or None; a damaged one is a one-line UserError."""
        from core import regions

        return None if self.regions is None else regions.decode(self.regions,
                                                                what="the recipe's regions")

    @classmethod
    def of(cls, method: str, config, names=(), paintings=(), masks=None, **given
           ) -> PictureRecipe:
        """The recipe of a run: its method, config dataclass, paintings (pixels) and the
        regions' masks, if any."""
        from core import regions

        encoded = None if masks is None else tuple(regions.encode(masks))
        return cls(method, plain_settings(config), painting_refs(names, paintings),
                   regions=encoded, **given)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "studio": "style-studio", "version": self.version,
                "method": self.method, "seed": self.settings.get("seed", 0),
                "paintings": [dataclasses.asdict(ref) for ref in self.paintings],
                "mix": list(self.mix) if self.mix is not None else None,
                "style": self.style, "multistyle": self.multistyle,
                "backbone": self.backbone, "settings": self.settings,
                "regions": list(self.regions) if self.regions is not None else None}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict) -> PictureRecipe:
        if not isinstance(values, dict) or values.get("format") is None:
            raise UserError("the recipe is not a style-studio recipe")
        if values["format"] > FORMAT:
            raise UserError(f"the recipe was written by a newer studio "
                            f"({values.get('version')}); update to repeat it")
        if values.get("method") not in METHODS:
            raise UserError(f"the recipe names no known method (got {values.get('method')!r})")
        try:
            refs = tuple(PaintingRef(str(ref["name"]), str(ref["sha256"]))
                         for ref in values.get("paintings") or ())
            mix, masks = values.get("mix"), values.get("regions")
            return cls(values["method"], dict(values["settings"]), refs,
                       tuple(float(w) for w in mix) if mix is not None else None,
                       values.get("style"), values.get("multistyle"), values.get("backbone"),
                       str(values.get("version", "?")),
                       tuple(str(text) for text in masks) if masks is not None else None)
        except (KeyError, TypeError, ValueError) as error:
            raise UserError(f"the recipe is damaged: {error}") from None

    def config(self, notes: list[str] | None = None):
        """The method's config dataclass, as the run had it. A classic run that started
        from an uploaded image starts from the fast picture (the image is not in the
        recipe), and "auto" becomes the loss network that actually ran; ``notes`` says so."""
        notes = [] if notes is None else notes
        if self.method == "classic":
            from core.classic import ClassicConfig

            values = dict(self.settings)
            if values.get("init") == "image":
                values["init"] = "fast"
                notes.append("the run started from an image the recipe does not hold; this "
                             "one starts from the fast picture")
            if values.get("backbone") == "auto" and self.backbone:
                values["backbone"] = self.backbone
            return ClassicConfig.from_dict(values, notes)
        if self.method == "trained":
            from core.fast.apply import FastConfig as config_class
        else:
            from core.fast.arbitrary import ArbitraryConfig as config_class
        known = {f.name for f in dataclasses.fields(config_class)}
        unknown = sorted(set(self.settings) - known)
        if unknown:
            raise UserError(f"unknown {self.method} settings in the recipe: {', '.join(unknown)}")
        if "dehalo" not in self.settings:  # made before halos were taken out: it had them
            notes.append("made before fast pictures had their halos taken out: it kept them")
        return config_class(**{"dehalo": False, **self.settings})

    def png(self, pixels: np.ndarray) -> bytes:
        """The picture as PNG bytes, with this recipe in its ``style-studio`` chunk."""
        return images.encode_png(pixels, {CHUNK: self.to_json()})

    def encoded(self, pixels: np.ndarray, fmt: str = "png", bits: int = 8) -> bytes:
        """The picture (uint8, or float on 0..255) as a PNG or TIFF of ``bits`` per channel
        (``core.export``); a PNG carries this recipe, a TIFF none."""
        return export.encode_picture(pixels, fmt, bits, {CHUNK: self.to_json()})

    def save(self, pixels: np.ndarray, path: str | os.PathLike, bits: int = 8) -> None:
        """Write ``encoded`` in the format ``path``'s suffix names (.png, .tif, .tiff)."""
        images.write_atomically(path, self.encoded(pixels, export.format_of(path, bits), bits))


def read(data: bytes | str | os.PathLike, what: str = "picture") -> PictureRecipe:
    """The recipe in a PNG (bytes or a path), or a one-line UserError saying why not."""
    if not isinstance(data, bytes):
        try:
            data = Path(data).read_bytes()
        except OSError as error:
            raise UserError(f"{what}: cannot read it ({error.strerror})") from None
    try:
        with Image.open(io.BytesIO(data)) as picture:
            text = picture.text.get(CHUNK) if picture.format == "PNG" else None
    except (UnidentifiedImageError, OSError, ValueError):
        raise UserError(f"{what}: not a PNG the studio wrote") from None
    if text is None:
        raise UserError(f"{what}: holds no recipe (only PNGs the studio saved carry one)")
    try:
        values = json.loads(text)
    except ValueError:
        raise UserError(f"{what}: its recipe is damaged") from None
    return PictureRecipe.from_dict(values)
