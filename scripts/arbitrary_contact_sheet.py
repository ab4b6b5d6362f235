"""Contact sheet of the arbitrary-style network: held-out photos across, paintings down.

    PYTHONPATH=. python scripts/arbitrary_contact_sheet.py [--out docs/arbitrary-contact-sheet.png]

The photos are the bundled examples (none used to train the fast networks). The first three
"paintings" are bundled nowhere: this script draws them (a grid composition after Mondrian,
a pointillist sunset, a stained-glass mosaic; CC0), since no other public-domain paintings
are available offline; they stand for a person's own picture. The last two are real
paintings the product bundles as images but has no trained network for. Each painting is
shown as its centre square, the part the style predictor sees. Every picture is painted
with the app's defaults (``ArbitraryConfig``: 1080 px, bfloat16); each caption gives the
time of the whole job (style vector and painting pass).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from core import compare, images  # noqa: E402
from core.fast import arbitrary  # noqa: E402
from core.fast.apply import compiled  # noqa: E402

PHOTOS = ("castle.jpg", "eiffel_tower.jpg", "lemurs.jpg")
PAINTINGS = (
    ("grid", "Grid composition (after Mondrian)\ndrawn by this script: not bundled"),
    ("dots", "Pointillist sunset\ndrawn by this script: not bundled"),
    ("glass", "Stained glass\ndrawn by this script: not bundled"),
    ("shipwreck.jpg", "The Shipwreck of the Minotaur (Turner)\nbundled image, no fast network"),
    ("woman-with-hat-matisse.jpg", "Woman with a Hat (Matisse)\nbundled image, no fast network"),
)
SIDE = 600


def grid_composition(rng) -> np.ndarray:
    """Black bars on white, a few cells filled with primaries."""
    canvas = Image.new("RGB", (SIDE, SIDE), (246, 243, 232))
    draw = ImageDraw.Draw(canvas)
    xs = sorted(rng.choice(np.arange(60, SIDE - 60, 20), 4, replace=False).tolist())
    ys = sorted(rng.choice(np.arange(60, SIDE - 60, 20), 4, replace=False).tolist())
    edges_x, edges_y = [0, *xs, SIDE], [0, *ys, SIDE]
    colours = [(200, 30, 30), (20, 50, 150), (245, 205, 30)]
    for i in range(len(edges_x) - 1):
        for j in range(len(edges_y) - 1):
            if rng.random() < 0.3:
                fill = colours[rng.integers(len(colours))]
                draw.rectangle([edges_x[i], edges_y[j], edges_x[i + 1], edges_y[j + 1]], fill)
    for x in xs:
        draw.rectangle([x - 7, 0, x + 7, SIDE], (15, 15, 15))
    for y in ys:
        draw.rectangle([0, y - 7, SIDE, y + 7], (15, 15, 15))
    return np.asarray(canvas)


def pointillist_sunset(rng) -> np.ndarray:
    """Thousands of dots over a sky that turns from orange to violet."""
    canvas = Image.new("RGB", (SIDE, SIDE), (250, 240, 220))
    draw = ImageDraw.Draw(canvas)
    for _ in range(9000):
        x, y = rng.uniform(0, SIDE, 2)
        t = y / SIDE
        base = np.array([250, 150, 40]) * (1 - t) + np.array([90, 40, 150]) * t
        colour = np.clip(base + rng.normal(0, 35, 3), 0, 255).astype(int)
        radius = rng.uniform(3, 7)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], tuple(colour.tolist()))
    return np.asarray(canvas)


def stained_glass(rng) -> np.ndarray:
    """Voronoi cells in saturated colours with dark lead lines between them."""
    seeds = rng.uniform(0, SIDE, (140, 2))
    palette = np.array([[180, 20, 40], [20, 90, 170], [240, 180, 20], [30, 140, 70],
                        [120, 40, 140], [230, 110, 20]])
    colours = palette[rng.integers(len(palette), size=len(seeds))]
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    points = np.stack([x.ravel(), y.ravel()], 1).astype(np.float32)
    nearest = np.empty(len(points), np.int64)
    for start in range(0, len(points), 60_000):  # in chunks: 360 000 x 140 distances
        chunk = points[start:start + 60_000]
        nearest[start:start + 60_000] = ((chunk[:, None] - seeds[None]) ** 2).sum(-1).argmin(1)
    cells = nearest.reshape(SIDE, SIDE)
    picture = colours[cells].astype(np.uint8)
    edge = np.zeros((SIDE, SIDE), bool)
    edge[:, 1:] |= cells[:, 1:] != cells[:, :-1]
    edge[1:, :] |= cells[1:, :] != cells[:-1, :]
    edge = np.asarray(Image.fromarray(edge.astype(np.uint8) * 255).resize((SIDE, SIDE))) > 0
    thick = edge.copy()
    for shift in (1, 2):
        thick[shift:] |= edge[:-shift]
        thick[:, shift:] |= edge[:, :-shift]
    picture[thick] = (25, 20, 20)
    return picture


GENERATED = {"grid": grid_composition, "dots": pointillist_sunset, "glass": stained_glass}


def painting_pixels(name: str) -> np.ndarray:
    if name in GENERATED:
        return GENERATED[name](np.random.default_rng(7))
    return images.load_image(ROOT / "styles" / name)


def centre_square(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return pixels[top:top + side, left:left + side]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "arbitrary-contact-sheet.png"))
    args = parser.parse_args(argv)
    config = arbitrary.ArbitraryConfig()
    predictor = compiled(arbitrary.load_style_predictor())
    transformer = compiled(arbitrary.load_arbitrary_transformer(config.precision))
    photos = [images.load_image(ROOT / "examples" / name) for name in PHOTOS]
    for photo in photos:  # trace the graphs for each size first, so captions time painting
        arbitrary.paint_with_paintings(predictor, transformer, photo, [photo], config=config)
    height, width = photos[0].shape[:2]
    cells = [compare.Cell(np.full((height, width, 3), 255, np.uint8), "")]  # top-left corner
    cells += [compare.Cell(photo, Path(name).stem) for photo, name in zip(photos, PHOTOS,
                                                                          strict=True)]
    for name, caption in PAINTINGS:
        painting = painting_pixels(name)
        # the centre square is what the style predictor sees; on a landscape box like the
        # photos', so that a portrait painting does not make every row tall
        seen = compare.fit(centre_square(painting), width, height)
        cells.append(compare.Cell(seen, caption))
        for photo in photos:
            result = arbitrary.paint_with_paintings(predictor, transformer, photo, [painting],
                                                    config=config)
            cells.append(compare.Cell(result.image, f"arbitrary {result.seconds:.2f} s"))
            print(f"{name}: {result.seconds:.2f} s", flush=True)
    images.save_png(compare.contact_sheet(cells, columns=1 + len(PHOTOS)), args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
