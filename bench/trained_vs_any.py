"""Each trained network against the any-painting network with the same painting (issue 21).

    python bench/trained_vs_any.py [--size 1080] [--models DIR] [--keep-halos] [--json FILE]
        [--sheet PNG]

On photos no network trained on (``core.fast.photos.HELD_OUT``, from ``--photos``; the three
example photos when that folder is absent): both pictures at ``--size`` (longest side), as
the app paints them (defaults of ``FastConfig`` and ``ArbitraryConfig``; ``--keep-halos``:
both without ``core.fast.apply.dehaloed``, as before it), scored on the
report's objective (``bench/fast_quality.report_terms``: content and style terms, float32,
8-bit pictures), on structure the photo lacks (``laplacian_score``) and on the glow along
strong edges (``glow_score``, grey levels) and the strokes there (``sleeve_score``), on a
regular pattern (``pattern_score``), and both networks
timed at that size in alternation (median of ``--repeats`` calls after a warm-up; the
any-painting time includes its style vector, as the app computes it per painting). Prints a
markdown table with each network's median and worst ratio over the photos; ``--sheet``
writes a contact sheet: per painting, the photos painted by the any-painting network above
those of the trained one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fast_quality import cell, report_terms, sheet, square  # noqa: E402

from core import images  # noqa: E402
from core.edges import edge_glow, edge_texture  # noqa: E402
from core.fast import arbitrary  # noqa: E402
from core.fast.apply import FastConfig, compiled, paint  # noqa: E402
from core.fast.photos import HELD_OUT  # noqa: E402
from core.fast.registry import bundled_models, load_transformer  # noqa: E402
from core.images import LUMA  # noqa: E402
from core.losses import banding_loss, laplacian_loss, pattern_peak  # noqa: E402

SHARED_PHOTOS = ROOT.parent / "shared" / "data" / "photos"


def held_out_photos(folder: Path) -> dict[str, np.ndarray]:
    paths = [folder / name for name in HELD_OUT if (folder / name).is_file()]
    if not paths:
        paths = sorted((ROOT / "examples").glob("*.jpg"))
    return {path.stem.split("_")[-1]: images.load_image(path) for path in paths}


def timed(paint_once, repeats: int) -> float:
    paint_once()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        paint_once()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def laplacian_score(picture, photo) -> float:
    """The training's Laplacian term (``core.losses.laplacian_loss``) measured again: structure
    at 8 px and coarser that the photo does not have (relief, broad strokes, halos), pooled by
    8 at 1080 px as by 4 on the training crops (which show a photo's short side at 256-465
    px, against 720 px here). It falls with the term even where the halos stay and the
    painting's broad shapes go (BENCHMARKS.md): a number to read beside the pictures."""
    return float(laplacian_loss(picture[None].astype(np.float32),
                                photo[None].astype(np.float32), pool=8))


def glow_score(picture, photo) -> float:
    """The glow along the photo's strong edges (``core.edges.edge_glow``), in grey levels of
    luminance: how much lighter the picture is 3-15 px from an edge than 40-80 px away,
    beyond the photo's own difference. Wider bands than the training's glow term measures
    (3-12 against 20-40 px): a glow as wide as the any-painting network's (about 25 px)
    would hide in the training's surroundings band."""
    lift, _ = edge_glow(picture[None].astype(np.float32), photo[None].astype(np.float32),
                        near=(3, 15), far=(40, 80))
    return float(np.asarray(lift[0]) @ np.asarray(LUMA, np.float32))


def sleeve_score(picture, photo) -> float:
    """The sleeve along the photo's strong edges (``core.edges.edge_texture``): the
    picture's fine texture 3-15 px from an edge as a share of that 40-80 px away; under 1, a
    band bare of strokes. ``glow_score``'s bands. NaN where no band was measured (no plain
    area along an edge)."""
    share, count = edge_texture(picture[None].astype(np.float32),
                                photo[None].astype(np.float32), band=(3, 15), far=(40, 80))
    return float(np.asarray(share)[0]) if float(np.asarray(count)[0]) else float("nan")


def pattern_score(picture) -> float:
    """The share of the picture's fine detail in its strongest 0.2 % of spatial frequencies
    (``core.losses.pattern_peak``, the pattern term's measure, on the whole picture): a
    regular ripple or hatch raises it; the photo's own lines count too, so it is a number
    to compare between two pictures of one photo."""
    return float(pattern_peak(picture[None].astype(np.float32))[0])


def banding_score(picture, photo) -> float:
    """The banding term's measure (``core.losses.banding_loss``) on the whole picture: where
    the photo is calm, how much steeper the picture's tone changes beneath its strokes than
    the photo's (squared, grey levels a px); a sky painted as two tones meeting at a seam
    raises it."""
    return float(banding_loss(picture[None].astype(np.float32), photo[None].astype(np.float32)))


def compare(model, photos, size, repeats, any_networks, dehalo=True):
    """Rows (one per photo) and the sheet's two rows for one trained network."""
    predictor, transformer = any_networks
    painting = images.load_image(ROOT / "styles" / model.painting)
    network = compiled(load_transformer(model, FastConfig.precision))
    any_config = arbitrary.ArbitraryConfig(size=size, dehalo=dehalo)
    own_config = FastConfig(size=size, dehalo=dehalo)
    rows, any_row, trained_row = [], [cell(square(painting), model.display_name)], [
        cell(square(painting), "trained")]
    for name, photo in photos.items():
        any_picture = arbitrary.paint_with_paintings(predictor, transformer, photo, [painting],
                                                     config=any_config).image
        trained_picture = paint(network, photo, own_config).image
        score = report_terms(photo, painting, size)
        (any_content, any_style), (own_content, own_style) = score(any_picture), score(
            trained_picture)
        scaled = images.resize_longest(photo, size)
        photo_style = score(scaled)[1]
        any_seconds = timed(lambda p=photo: arbitrary.paint_with_paintings(
            predictor, transformer, p, [painting], config=any_config), repeats)
        own_seconds = timed(lambda p=photo: paint(network, p, own_config), repeats)
        rows.append({"style": model.name, "photo": name, "photo_style": photo_style,
                     "any_content": any_content, "any_style": any_style,
                     "trained_content": own_content, "trained_style": own_style,
                     "any_laplacian": laplacian_score(any_picture, scaled),
                     "trained_laplacian": laplacian_score(trained_picture, scaled),
                     "any_glow": glow_score(any_picture, scaled),
                     "trained_glow": glow_score(trained_picture, scaled),
                     "any_sleeve": sleeve_score(any_picture, scaled),
                     "trained_sleeve": sleeve_score(trained_picture, scaled),
                     "any_pattern": pattern_score(any_picture),
                     "trained_pattern": pattern_score(trained_picture),
                     "any_banding": banding_score(any_picture, scaled),
                     "trained_banding": banding_score(trained_picture, scaled),
                     "any_seconds": any_seconds, "trained_seconds": own_seconds})
        print(json.dumps(rows[-1]), flush=True)
        any_row.append(cell(any_picture, f"any painting {any_seconds:.2f} s"))
        trained_row.append(cell(trained_picture, f"trained {own_seconds:.2f} s"))
    return rows, [any_row, trained_row]


def summary(rows) -> list[str]:
    lines = ["| network | style / any (median, worst) | content / any (median, worst) | "
             "Laplacian / any (median, worst) | glow, grey levels: trained; any (median, "
             "largest) | strokes by edges: trained; any (median, least) | "
             "regular pattern: trained; any (median, largest) | "
             "banding: trained; any (median, largest) | seconds: trained / any (median) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for style in dict.fromkeys(r["style"] for r in rows):
        mine = [r for r in rows if r["style"] == style]
        style_ratio = [r["trained_style"] / r["any_style"] for r in mine]
        content_ratio = [r["trained_content"] / r["any_content"] for r in mine]
        speed = [r["trained_seconds"] / r["any_seconds"] for r in mine]
        laplacian = [r["trained_laplacian"] / r["any_laplacian"] for r in mine]
        glow = [f"{np.median(values):.1f}, {max(values, key=abs):.1f}" for values in (
            [r["trained_glow"] for r in mine], [r["any_glow"] for r in mine])]
        sleeve = [f"{np.nanmedian(values):.2f}, {np.nanmin(values):.2f}" for values in (
            [r["trained_sleeve"] for r in mine], [r["any_sleeve"] for r in mine])]
        pattern = [f"{np.median(values):.3f}, {max(values):.3f}" for values in (
            [r["trained_pattern"] for r in mine], [r["any_pattern"] for r in mine])]
        banding = [f"{np.median(values):.2f}, {max(values):.2f}" for values in (
            [r["trained_banding"] for r in mine], [r["any_banding"] for r in mine])]
        lines.append(f"| {style} | {np.median(style_ratio):.2f}, {max(style_ratio):.2f} | "
                     f"{np.median(content_ratio):.2f}, {max(content_ratio):.2f} | "
                     f"{np.median(laplacian):.2f}, {max(laplacian):.2f} | "
                     f"{glow[0]}; {glow[1]} | {sleeve[0]}; {sleeve[1]} | "
                     f"{pattern[0]}; {pattern[1]} | {banding[0]}; {banding[1]} | "
                     f"{np.median([r['trained_seconds'] for r in mine]):.3f} / "
                     f"{np.median([r['any_seconds'] for r in mine]):.3f} s "
                     f"({np.median(speed):.2f}x) |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1080)
    parser.add_argument("--photos", default=str(SHARED_PHOTOS))
    parser.add_argument("--models", help="a folder of trained networks (default: bundled)")
    parser.add_argument("--only", nargs="*", help="these networks only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep-halos", action="store_true", help="both networks without "
                        "core.fast.apply.dehaloed")
    parser.add_argument("--json")
    parser.add_argument("--sheet")
    args = parser.parse_args(argv)

    photos = held_out_photos(Path(args.photos))
    any_networks = (arbitrary.load_style_predictor(),
                    compiled(arbitrary.load_arbitrary_transformer(
                        arbitrary.ArbitraryConfig.precision)))
    models = bundled_models(Path(args.models) if args.models else None)
    rows, sheet_rows = [], [[cell(np.full((8, 8, 3), 255, np.uint8))] + [
        cell(images.resize_longest(p, args.size), name) for name, p in photos.items()]]
    for model in models:
        if args.only and model.name not in args.only:
            continue
        more, pair = compare(model, photos, args.size, args.repeats, any_networks,
                             dehalo=not args.keep_halos)
        rows += more
        sheet_rows += pair
    print("\n".join(["", *summary(rows)]))
    if args.sheet:  # a .jpg sheet stays small enough for docs/ (a PNG of 1080 px crops: 15 MB)
        Image.fromarray(sheet(sheet_rows)).save(args.sheet, quality=90)
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
