"""Fast networks at 4096 and 7680 px (longest side), painted in tiles: peak memory and time.

    python bench/fast_large.py [--kinds trained arbitrary] [--sizes 2048 4096 7680]
        [--photo PHOTO] [--json FILE] [--crop PNG]

Each (network kind, size) runs in a fresh process, so that its peak resident memory
(``ru_maxrss``: TensorFlow, the network, the photo and the painting, all of it) is its own.
The photo is cropped to 3:2 (``--aspect``) and enlarged to the size (7680 px: 7680x5120;
``core.images.resize_exact``) before the clock starts;
then ``paint`` (trained network) or ``paint_with_vector`` (any painting, the style vector
computed beforehand) paints it ``--repeats`` times: the first time includes building the
network's tiled copy and tracing its graphs, the later ones are what a second picture costs.

``--crop`` writes a 1:1 crop of each kind's 4096 px picture centred on where four tiles
meet, with ticks outside the crop marking the joins, to look for a seam. Not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.machine import cpu_name  # noqa: E402

PHOTOS = Path("/work/shared/data/photos")
CROP = (512, 256)  # width, height of the seam crop, px
CROP_SIZE = 4096  # the picture the crop comes from


def _painter(kind: str, style: str, painting: str, precision: str):
    """(network, paint(photo) -> FastResult) for a network kind, loaded."""
    from core.fast import arbitrary
    from core.fast.apply import FastConfig, compiled, paint
    from core.fast.registry import find_model, load_transformer

    if kind == "trained":
        model = find_model(style)
        network = compiled(load_transformer(model, precision))
        config = FastConfig(size=None, precision=precision, dither=model.dither)
        return network, lambda photo: paint(network, photo, config)
    config = arbitrary.ArbitraryConfig(size=None, precision=precision)
    if kind == "multistyle":
        network = compiled(arbitrary.load_multistyle_transformer(precision))
        weights = arbitrary.multistyle_weights({0: 1.0})
        return network, lambda photo: arbitrary.paint_with_styles(network, photo, weights,
                                                                  config)
    predictor = arbitrary.load_style_predictor()
    network = compiled(arbitrary.load_arbitrary_transformer(precision))
    vector = arbitrary.style_vector(predictor, images.load_image(painting))
    return network, lambda photo: arbitrary.paint_with_vector(predictor, network, photo,
                                                              vector, config)


def _run(kind: str, size: int, settings: dict) -> dict:
    """In the child process: one kind at one size, timed, its peak memory, maybe a crop."""
    from core.fast import tiling

    network, paint = _painter(kind, settings["style"], settings["painting"],
                              settings["precision"])
    photo = images.resize_exact(centre_crop(images.load_image(settings["photo"]),
                                            settings["aspect"]),
                                size, round(size / settings["aspect"]))
    loaded_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    seconds, result = [], None
    for _ in range(settings["repeats"]):
        result = None  # one picture at a time, as a person paints them
        started = time.perf_counter()
        result = paint(photo)
        seconds.append(time.perf_counter() - started)
    row = {"kind": kind, "size": list(result.image.shape[1::-1]),
           "tiled": tiling.needs_tiles(*photo.shape[:2]),
           "first_seconds": round(seconds[0], 2), "seconds": round(min(seconds), 2),
           "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
           "rss_before_painting_gib": round(loaded_gib, 3)}
    if settings["crop"]:
        row["crop"] = _seam_crop(result.image, tiling.tiled_network(network))
    return row


def centre_crop(photo: np.ndarray, aspect: float) -> np.ndarray:
    """The largest centred part of ``photo`` that is ``aspect`` (width / height)."""
    height, width = photo.shape[:2]
    keep_width, keep_height = min(width, round(height * aspect)), min(height,
                                                                      round(width / aspect))
    top, left = (height - keep_height) // 2, (width - keep_width) // 2
    return photo[top:top + keep_height, left:left + keep_width]


def _seam_crop(picture: np.ndarray, tiled) -> dict:
    """A ``CROP`` px crop centred on the tile joins nearest the picture's centre, and where
    the joins cross it."""
    from core.fast import tiling

    joins = []
    for length in picture.shape[:2]:
        spans = tiling.spans(length, tiling.TILE_SIDE, tiling.FEATHER, tiled.reach,
                             tiled.alignment)
        cuts = [span.keep_start + tiling.FEATHER // 2 for span in spans[1:]]
        joins.append(min(cuts, key=lambda cut: abs(cut - length / 2)))
    width, height = CROP
    top, left = joins[0] - height // 2, joins[1] - width // 2
    return {"pixels": picture[top:top + height, left:left + width],
            "join_row": joins[0] - top, "join_column": joins[1] - left,
            "at": [left, top]}


def crop_sheet(rows: list[dict], margin: int = 14, band: int = 22) -> np.ndarray:
    """Each row's crop at 1:1 on white, captioned, with ticks in the margin (not on the
    picture) where the tile joins cross it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=13)
    width, height = CROP
    panel = band + height + 2 * margin
    sheet = Image.new("RGB", (width + 2 * margin, panel * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for index, row in enumerate(rows):
        crop, top = row["crop"], index * panel + band + margin
        draw.text((margin, index * panel + 4),
                  f"{row['kind']} at {row['size'][0]}x{row['size'][1]}: 1:1 crop at "
                  f"{tuple(crop['at'])}; ticks mark tile joins", fill=(20, 20, 20), font=font)
        sheet.paste(Image.fromarray(crop["pixels"]), (margin, top))
        x, y = margin + crop["join_column"], top + crop["join_row"]
        red = (220, 30, 30)
        draw.line([(x, top - margin + 3), (x, top - 3)], fill=red, width=2)
        draw.line([(x, top + height + 2), (x, top + height + margin - 4)], fill=red, width=2)
        draw.line([(3, y), (margin - 3, y)], fill=red, width=2)
        draw.line([(margin + width + 2, y), (2 * margin + width - 4, y)], fill=red, width=2)
    return np.asarray(sheet)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    first_photo = next(iter(sorted(PHOTOS.glob("*.jpg"))), ROOT / "examples" / "castle.jpg")
    parser.add_argument("--photo", default=str(first_photo))
    parser.add_argument("--kinds", nargs="+", default=["trained", "arbitrary"],
                        choices=["trained", "arbitrary", "multistyle"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[2048, 4096, 7680],
                        help="longest sides, px; 2048 is the one-pass path, for comparison")
    parser.add_argument("--style", default="starry_night", help="trained network")
    parser.add_argument("--painting", default=str(ROOT / "styles" / "starry_night.jpg"),
                        help="the any-painting network's painting")
    parser.add_argument("--precision", default="bfloat16", help="as the app paints")
    parser.add_argument("--aspect", type=float, default=1.5, help="width / height")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--crop", help=f"write the seam crops of the {CROP_SIZE} px pictures")
    args = parser.parse_args(argv)

    from core.fast import tiling

    spawn = multiprocessing.get_context("spawn")
    rows = []
    for kind in args.kinds:
        for size in args.sizes:
            settings = {"photo": args.photo, "style": args.style, "painting": args.painting,
                        "precision": args.precision, "repeats": args.repeats,
                        "aspect": args.aspect,
                        "crop": bool(args.crop) and size == CROP_SIZE}
            with spawn.Pool(1) as pool:
                row = pool.apply(_run, (kind, size, settings))
            rows.append(row)
            print(json.dumps({key: value for key, value in row.items() if key != "crop"}),
                  flush=True)
    crops = [row for row in rows if "crop" in row]
    if args.crop and crops:
        images.save_png(crop_sheet(crops), args.crop)
        print(f"wrote {args.crop}")
    photo = images.load_image(args.photo)
    print(f"\n{cpu_name()}; photo {Path(args.photo).name} "
          f"({photo.shape[1]}x{photo.shape[0]}, cropped to {args.aspect:g}:1 and enlarged); "
          f"{args.precision}\n")
    print("| network | size | peak RSS GiB | first picture s | next picture s |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['kind']} | {row['size'][0]}x{row['size'][1]} | {row['peak_rss_gib']:.2f}"
              f" | {row['first_seconds']:.1f} | {row['seconds']:.1f} |")
    if args.json:
        for row in rows:
            if "crop" in row:
                row["crop"] = {key: value for key, value in row["crop"].items()
                               if key != "pixels"}
        Path(args.json).write_text(json.dumps({
            "photo": str(args.photo), "photo_size": list(photo.shape[1::-1]),
            "aspect": args.aspect,
            "precision": args.precision, "machine": cpu_name(),
            "tile_side": tiling.TILE_SIDE, "feather": tiling.FEATHER,
            "statistics_side": tiling.STATISTICS_SIDE,
            "untiled_max_pixels": tiling.UNTILED_MAX_PIXELS, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
