"""Fast networks against the classic engine on photos the networks never saw.

    python bench/fast_quality.py [--size 384] [--json bench/results/fast-quality.json]

For every bundled network and each example photo (held out of training): the network's
painting and the classic engine's ``recommended`` preset at the same size, both scored on the
report's objective (conv4_2 content x 5, five style layers x 100, style image squashed to the
output size, float32, on the 8-bit image). Writes the contact sheets
``docs/fast-vs-classic-contact-sheet.png`` (fast) and ``docs/classic-contact-sheet.png``
(classic) and prints a markdown table. Not a test: about half a minute per classic run on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.backbone import feature_extractor, resolve_backbone  # noqa: E402
from core.classic import PRESETS, Objective, stylize  # noqa: E402
from core.fast.apply import FastConfig, compiled, paint  # noqa: E402
from core.fast.registry import bundled_models, load_transformer  # noqa: E402

PHOTOS = ("castle", "eiffel_tower", "lemurs")
CELL = 256  # px, height of a contact-sheet cell


def report_terms(content, style, size):
    """Scores an 8-bit painting of ``content`` on the report's objective: (content, style)."""
    config = dataclasses.replace(PRESETS["report"], size=size)
    extractor = feature_extractor(resolve_backbone(config.backbone), config.loss_layers,
                                  config.pooling, "float32")
    content = images.resize_longest(content, size)
    height, width = content.shape[:2]
    objective = Objective(extractor, config, content,
                          [images.resize_exact(style, width, height)], [1.0])

    def score(picture):
        losses, _ = objective(picture.astype(np.float32))
        return losses.content, losses.style

    return score


def classic_result(photo, painting, config, cache_dir: str, key: str):
    """The recommended preset's painting and seconds, from ``cache_dir`` when made before.

    Classic runs dominate this benchmark (the networks take a fraction of a second); a new
    network should not cost a rerun of every painting's classic results.
    """
    stem = Path(cache_dir) / f"{key}-{config.size}" if cache_dir else None
    # (``key`` has no dots: with_suffix below would cut a name at its first one)
    settings = json.loads(json.dumps(config.to_dict()))  # tuples as JSON reads them back
    if stem is not None and stem.with_suffix(".json").is_file():
        record = json.loads(stem.with_suffix(".json").read_text())
        if record["config"] == settings:
            return images.load_image(stem.with_suffix(".png")), record["seconds"]
    result = stylize(photo, [painting], config)
    if stem is not None:
        stem.parent.mkdir(parents=True, exist_ok=True)
        images.save_png(result.image, stem.with_suffix(".png"))
        stem.with_suffix(".json").write_text(json.dumps({"config": settings,
                                                         "seconds": result.seconds}))
    return result.image, result.seconds


def square(pixels):
    """The centre square: painting thumbnails as wide as the blank corner cell."""
    height, width = pixels.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return pixels[top:top + side, left:left + side]


def cell(pixels, label=None):
    picture = Image.fromarray(pixels)
    picture = picture.resize((round(picture.width * CELL / picture.height), CELL),
                             Image.Resampling.LANCZOS)
    if label:
        draw = ImageDraw.Draw(picture)
        draw.rectangle((0, CELL - 18, picture.width, CELL), fill=(255, 255, 255))
        draw.text((4, CELL - 16), label, fill=(20, 20, 20))
    return np.asarray(picture)


def sheet(rows, gap=6):
    """Rows of cells -> one white-spaced image."""
    lines = [np.concatenate(sum(([c, np.full((CELL, gap, 3), 255, np.uint8)] for c in row), [])
                            [:-1], axis=1) for row in rows]
    width = max(line.shape[1] for line in lines)
    padded = [np.pad(line, ((0, gap), (0, width - line.shape[1]), (0, 0)),
                     constant_values=255) for line in lines]
    return np.concatenate(padded, axis=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--docs", default=str(ROOT / "docs"))
    parser.add_argument("--classic-cache", default=str(ROOT / "runs" / "quality-classic"),
                        help="keep classic results here and reuse them on the next run "
                             "(same size, photo and painting); '' to always recompute")
    args = parser.parse_args(argv)

    photos = {name: images.load_image(ROOT / "examples" / f"{name}.jpg") for name in PHOTOS}
    recommended = dataclasses.replace(PRESETS["recommended"], size=args.size, snapshot_every=0)
    photo_row = [cell(np.full((CELL, CELL, 3), 255, np.uint8), "")]
    photo_row += [cell(images.resize_longest(p, args.size), name) for name, p in photos.items()]
    fast_rows, classic_rows, results = [photo_row], [photo_row], []
    for model in bundled_models():
        painting = images.load_image(ROOT / "styles" / model.painting)
        network = compiled(load_transformer(model, FastConfig.precision))
        fast_row = [cell(square(painting), model.display_name)]
        classic_row = [cell(square(painting), model.display_name)]
        for name, photo in photos.items():
            score = report_terms(photo, painting, args.size)
            fast = paint(network, photo, FastConfig(size=args.size))  # default precision
            classic_image, classic_seconds = classic_result(
                photo, painting, recommended, args.classic_cache,
                f"{Path(model.painting).stem}-{name}")
            fast_terms, classic_terms = score(fast.image), score(classic_image)
            row = {"style": model.name, "photo": name,
                   "fast_content": fast_terms[0], "fast_style": fast_terms[1],
                   "fast_seconds": fast.seconds,
                   "classic_content": classic_terms[0], "classic_style": classic_terms[1],
                   "classic_seconds": classic_seconds}
            results.append(row)
            print(json.dumps(row), flush=True)
            fast_row.append(cell(fast.image, f"fast {fast.seconds:.2f} s"))
            classic_row.append(cell(classic_image, f"classic {classic_seconds:.0f} s"))
        fast_rows.append(fast_row)
        classic_rows.append(classic_row)
    docs = Path(args.docs)
    images.save_png(sheet(fast_rows), docs / "fast-vs-classic-contact-sheet.png")
    images.save_png(sheet(classic_rows), docs / "classic-contact-sheet.png")

    print(f"\nreport objective at {args.size} px (weighted terms; lower is closer)\n")
    print("| style | photo | fast content | fast style | classic content | classic style |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['style']} | {r['photo']} | {r['fast_content']:.4g} | "
              f"{r['fast_style']:.4g} | {r['classic_content']:.4g} | "
              f"{r['classic_style']:.4g} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "rows": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
