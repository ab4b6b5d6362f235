"""What the classic and fast commands read alike: a picture's recipe (``--recipe``), the
paintings, the regions' masks (``--masks``), the output path and its bit depth (``--out``,
``--bit-depth``); each mistake one line."""

from __future__ import annotations

from pathlib import Path

from core import export, images
from core.errors import UserError

RECIPE_HELP = ("a PNG the studio wrote: its recipe (settings, paintings) sets this run up "
               "again; flags given here override it")
MASKS_HELP = ("one mask image per {what}, in the same order: white is its region, "
              "black is not (soft edges allowed); parts no mask covers keep the photo")


def read_recipe(path: str | None, command: str):
    """The recipe in ``--recipe FILE.png``, or None; a recipe for another command is refused."""
    if path is None:
        return None
    from core import picture_recipe

    recipe = picture_recipe.read(path, what=f"--recipe {path}")
    wanted = ("classic",) if command == "classic" else ("arbitrary", "multistyle", "trained")
    if recipe.method not in wanted:
        other = "classic" if recipe.method == "classic" else "fast"
        raise UserError(f"--recipe {path} is a {recipe.method} picture's: repeat it with "
                        f"python -m core {other}")
    return recipe


def recipe_config(recipe):
    notes: list[str] = []
    config = recipe.config(notes)
    for note in notes:
        print(f"recipe: {note}", flush=True)
    return config


def load_masks(paths, recipe, content, names) -> list | None:
    """The regions: ``--masks`` files, else the recipe's; checked against the paintings (one
    each, none empty) at the photo's size. None: no regions."""
    from core import regions

    if paths:
        masks = [regions.load_mask(path, what=f"mask {path}") for path in paths]
        return regions.fit_masks(masks, len(names), *content.shape[:2],
                                 names=[Path(path).name for path in paths])
    if recipe is not None and recipe.regions is not None:
        return regions.fit_masks(recipe.masks, len(names), *content.shape[:2])
    return None


def load_paintings(paths, recipe, flag: str) -> tuple[list[str], list]:
    """(names, pixels) of the paintings: the flag's files, else the recipe's bundled ones."""
    if paths:
        several = len(paths) > 1
        return [Path(path).name for path in paths], [
            images.load_image(path, what=f"style image {i}" if several else "style image")
            for i, path in enumerate(paths, 1)]
    if recipe is None or not recipe.paintings:
        raise UserError(f"give the painting with {flag} (or a picture's recipe with --recipe)")
    missing = [ref for ref in recipe.paintings if ref.bundled_file is None]
    if missing:
        raise UserError(f"the recipe's painting {missing[0].name} (sha256 "
                        f"{missing[0].sha256[:12]}) is not bundled: give it with {flag}")
    files = [ref.bundled_file for ref in recipe.paintings]
    return [ref.name for ref in recipe.paintings], [images.load_image(p) for p in files]


def add_output_flags(parser) -> None:
    parser.add_argument("--out", required=True,
                        help="output picture: .png (with its recipe), or .tif/.tiff")
    parser.add_argument("--bit-depth", type=int, choices=export.BIT_DEPTHS, default=8,
                        help="bits per channel (default 8); 16 keeps the painted levels "
                             "between 8-bit ones, for print (PNG or TIFF)")


def output_path(path: str, bits: int = 8) -> Path:
    """``--out``, checked before the slow part: a PNG or TIFF in a folder that exists."""
    out = Path(path)
    export.format_of(out, bits, what="--out")
    if not out.parent.is_dir():
        raise UserError(f"the folder for --out does not exist: {out.parent}")
    return out


def finest(result, bits: int):
    """What a ``--bit-depth`` file is written from: a classic or fast result's unrounded
    pixels for 16 bits, its 8-bit picture otherwise."""
    if bits == 16 and result.float_pixels is not None:
        return result.float_pixels
    return result.image
